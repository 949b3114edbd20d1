import { runCheck } from '../core/check/runCheck.js';
import type { CheckPorts, CheckResult } from '../core/model/check.js';
import { JoinRemediatorError, NotFoundError } from '../core/model/errors.js';
import { checkKey } from '../core/model/ports.js';
import { type PreflightPolicy, type RemediationSettings, SETTINGS } from '../core/model/settings.js';
import type { Policy } from '../core/model/types.js';
import { nodegroupOfGroup, type ParsedEvent, type ParseOptions, parseEvent } from '../events/parseEvent.js';

/** One unit of input: an SQS record (id = messageId) or a direct EventBridge event. */
export interface IncomingEvent {
  id: string;
  /** The event itself, or the raw record body when it still needs parsing. */
  body: unknown;
  /** How often this launch was already sent back to the queue (the record's `requeues` attribute). */
  requeues?: number;
  /** The envelope is already known to be bad (e.g. not an SQS record): reported as malformed, not parsed. */
  malformed?: string;
}

export interface CheckSummary {
  region?: string;
  cluster: string;
  nodegroup: string;
  /** The events that asked for this check. */
  eventIds: string[];
  findings: string[];
  alerted: boolean;
  result?: CheckResult;
  error?: string;
}

export interface ProcessOutcome {
  checks: CheckSummary[];
  skipped: { id: string; reason: string }[];
  /**
   * Launches not yet past their join window (a window longer than the queue's 900 s delay): send again,
   * with `requeues` as the new message's count.
   */
  notDue: { id: string; delaySeconds: number; requeues: number }[];
  /** Ids to report as batch item failures: malformed input (kept for the dead-letter queue) and failed checks (retried). */
  failed: { id: string; reason: string; malformed?: true }[];
}

export interface ProcessSettings {
  defaultPolicy: Policy;
  joinWindowSeconds: number;
  remediation?: RemediationSettings;
  deadline?: Date;
  /** What a preflight check (on a nodegroup API call) may do; default notify. */
  preflightPolicy?: PreflightPolicy;
  /** Only these clusters are watched; undefined: all. */
  clusters?: string[];
  /** Set for queued events: launches whose window has not passed are returned as notDue. */
  now?: Date;
  /** When the events arrived (default: now): one dated beyond the join window plus 5 minutes is malformed. */
  receivedAt?: Date;
  /** Only events of these regions are handled (REGIONS); undefined: all. */
  regions?: string[];
  /**
   * The function's own account: events of another account are skipped without any AWS call. Asked
   * at most once per batch, only when an event to check names its account; undefined: not checked.
   */
  ownAccount?: (region: string | undefined) => Promise<string>;
  /**
   * Which nodegroup owns each Auto Scaling group, by region and group name, kept across batches by
   * the caller (a group's EKS tags never change): a known group costs no tag lookup.
   */
  groupOwners?: Map<string, { cluster: string; nodegroup: string }>;
}

/** SQS delays a message by at most 15 minutes. */
const MAX_DELAY_SECONDS = 900;
/** Delivery is a little late, never early: a launch due within this is checked now. */
const DUE_TOLERANCE_SECONDS = 5;
/** Re-queues allowed beyond the 900 s delays the join window needs: a late delivery, a little clock skew. */
const REQUEUE_MARGIN = 2;

/**
 * How often one launch may be sent back to the queue: the 900 s delays its join window needs, plus
 * a margin. A launch still not due after that has a time that cannot be right: it is malformed.
 */
export function requeueCap(joinWindowSeconds: number): number {
  return Math.ceil(joinWindowSeconds / MAX_DELAY_SECONDS) + REQUEUE_MARGIN;
}

/** Seconds until a launch has been running for the join window, when that is still ahead. */
function secondsUntilDue(time: string | undefined, settings: ProcessSettings): number {
  if (!settings.now || !time || Number.isNaN(Date.parse(time))) return 0;
  const remaining = (Date.parse(time) + settings.joinWindowSeconds * 1000 - settings.now.getTime()) / 1000;
  return remaining > DUE_TOLERANCE_SECONDS ? Math.min(MAX_DELAY_SECONDS, Math.ceil(remaining)) : 0;
}

/**
 * Coalesces a batch of events into one check per nodegroup, runs them, and says which input failed.
 * `portsFor` gives the ports of one region; it is asked once per region in the batch.
 */
export async function processEvents(
  events: IncomingEvent[],
  settings: ProcessSettings,
  portsFor: (region: string | undefined) => CheckPorts,
): Promise<ProcessOutcome> {
  const outcome: ProcessOutcome = { checks: [], skipped: [], failed: [], notDue: [] };
  const options: ParseOptions = {
    receivedAt: settings.receivedAt ?? settings.now ?? new Date(),
    joinWindowSeconds: settings.joinWindowSeconds,
  };
  const parsed = events.map((e) => ({
    id: e.id,
    requeues: e.requeues ?? 0,
    event: e.malformed ? ({ kind: 'malformed', reason: e.malformed } as const) : parseBody(e.body, options),
  }));
  const own = await ownAccountOf(parsed, settings);
  const targets = new Map<string, Target>();
  const addTarget = (
    id: string,
    region: string | undefined,
    cluster: string,
    nodegroup: string,
    preflight = false,
    dueAt = Number.POSITIVE_INFINITY,
    group?: string,
  ) => {
    if (settings.clusters && !settings.clusters.includes(cluster)) {
      outcome.skipped.push({ id, reason: `cluster ${cluster} is not watched (CLUSTERS)` });
      return;
    }
    const key = JSON.stringify([region ?? '', cluster, nodegroup]);
    const target = targets.get(key) ?? {
      ...(region && { region }),
      cluster,
      nodegroup,
      ids: [],
      preflight: false,
      dueAt: Number.NEGATIVE_INFINITY,
      groups: new Set<string>(),
    };
    target.ids.push(id);
    if (group) target.groups.add(group);
    target.dueAt = Math.max(target.dueAt, dueAt);
    // A nodegroup API call asks for the static checks of its subnets at once, before any instance fails.
    target.preflight ||= preflight;
    targets.set(key, target);
  };

  const launchesByRegion = new Map<string | undefined, { id: string; group: string; dueAt: number }[]>();
  for (const { id, requeues, event } of parsed) {
    const scope =
      event.kind === 'launch' || event.kind === 'nodegroup' ? outOfScope(event, settings, own) : undefined;
    if (event.kind === 'malformed') outcome.failed.push({ id, reason: event.reason, malformed: true });
    else if (event.kind === 'skip') outcome.skipped.push({ id, reason: event.reason });
    else if (scope?.retry) outcome.failed.push({ id, reason: scope.reason });
    else if (scope) outcome.skipped.push({ id, reason: scope.reason });
    else if (event.kind === 'nodegroup') addTarget(id, event.region, event.cluster, event.nodegroup, true);
    else if (secondsUntilDue(event.time, settings) > 0) {
      const cap = requeueCap(settings.joinWindowSeconds);
      if (requeues >= cap) {
        const reason = `launch at ${event.time} still not due after ${requeues} re-queues (cap ${cap} for a join window of ${settings.joinWindowSeconds} s): its time cannot be right`;
        outcome.failed.push({ id, reason, malformed: true });
      } else {
        outcome.notDue.push({
          id,
          delaySeconds: secondsUntilDue(event.time, settings),
          requeues: requeues + 1,
        });
      }
    } else {
      const list = launchesByRegion.get(event.region) ?? [];
      list.push({ id, group: event.autoScalingGroupName, dueAt: dueAtOf(event.time, settings) });
      launchesByRegion.set(event.region, list);
    }
  }

  // Launch events name only the group: one batched tag lookup per region finds cluster and nodegroup
  // (groups already known from an earlier batch cost nothing).
  for (const [region, launches] of launchesByRegion) {
    const { account, log } = portsFor(region);
    const owners = settings.groupOwners ?? new Map<string, { cluster: string; nodegroup: string }>();
    const ownerKey = (group: string) => `${region ?? ''}/${group}`;
    const groups = [...new Set(launches.map((l) => l.group))];
    const unknown = groups.filter((g) => !owners.has(ownerKey(g)));
    let tagsByGroup = new Map<string, Record<string, string>>();
    try {
      // The known groups too: the call costs the same, and the checks read them from the reader.
      if (unknown.length > 0) tagsByGroup = await account.describeGroupTags(groups);
    } catch (error) {
      for (const l of launches) outcome.failed.push({ id: l.id, reason: messageOf(error) });
      continue;
    }
    for (const group of unknown) {
      const owner = nodegroupOfGroup(tagsByGroup.get(group));
      if (owner) owners.set(ownerKey(group), owner);
    }
    for (const launch of launches) {
      const owner = owners.get(ownerKey(launch.group));
      if (owner)
        addTarget(launch.id, region, owner.cluster, owner.nodegroup, false, launch.dueAt, launch.group);
      else {
        const reason = tagsByGroup.has(launch.group)
          ? `Auto Scaling group ${launch.group} is not an EKS managed nodegroup (no eks:cluster-name / eks:nodegroup-name tags)`
          : `Auto Scaling group ${launch.group} no longer exists`;
        log.info('event skipped', { eventId: launch.id, reason });
        outcome.skipped.push({ id: launch.id, reason });
      }
    }
  }

  const due = await skipCheckedAlready([...targets.values()], portsFor, outcome);
  await describeGroupsOnce(due, portsFor);
  for (const target of due) {
    outcome.checks.push(await checkTarget(target, settings, portsFor(target.region), outcome));
  }
  return outcome;
}

/**
 * One Auto Scaling read per region for the groups the checks will read (the reader keeps them for
 * this invocation), rather than one per nodegroup: groups known from an earlier batch were not
 * described by this one. A failure here is not final: each check reads its group again.
 */
async function describeGroupsOnce(
  targets: Target[],
  portsFor: (region: string | undefined) => CheckPorts,
): Promise<void> {
  for (const region of new Set(targets.map((t) => t.region))) {
    const groups = [...new Set(targets.filter((t) => t.region === region).flatMap((t) => [...t.groups]))];
    if (groups.length > 1)
      await portsFor(region)
        .account.describeGroupTags(groups)
        .catch(() => undefined);
  }
}

/** When a launch is due: its time plus the join window; a launch without a time is always due now. */
function dueAtOf(time: string | undefined, settings: ProcessSettings): number {
  const at = time === undefined ? Number.NaN : Date.parse(time);
  return Number.isNaN(at) ? Number.POSITIVE_INFINITY : at + settings.joinWindowSeconds * 1000;
}

/**
 * Launches whose nodegroup was already checked, to the end, after they were due need no check of
 * their own: that check judged their instances. One state read per region; a nodegroup API call
 * (preflight) and a launch due later are always checked.
 */
async function skipCheckedAlready(
  targets: Target[],
  portsFor: (region: string | undefined) => CheckPorts,
  outcome: ProcessOutcome,
): Promise<Target[]> {
  const candidates = targets.filter((t) => !t.preflight && Number.isFinite(t.dueAt));
  const skipped = new Set<Target>();
  for (const region of new Set(candidates.map((t) => t.region))) {
    const inRegion = candidates.filter((t) => t.region === region);
    const { state, log } = portsFor(region);
    let checks: Map<string, Date>;
    try {
      checks = await state.lastChecks(inRegion.map(({ cluster, nodegroup }) => ({ cluster, nodegroup })));
    } catch (error) {
      // Unknown: check them all rather than skip one wrongly.
      log.warn('could not read the last checks: every nodegroup is checked', { error: messageOf(error) });
      continue;
    }
    for (const target of inRegion) {
      const last = checks.get(checkKey(target.cluster, target.nodegroup));
      if (!last || last.getTime() < target.dueAt) continue;
      skipped.add(target);
      const reason = `nodegroup ${target.cluster}/${target.nodegroup} was checked at ${last.toISOString()}, after this launch was due: that check judged it`;
      for (const id of target.ids) outcome.skipped.push({ id, reason });
    }
  }
  return targets.filter((t) => !skipped.has(t));
}

interface Target {
  region?: string;
  cluster: string;
  nodegroup: string;
  ids: string[];
  preflight: boolean;
  /** When the last of its launches is due (epoch ms); infinite when one has no time. */
  dueAt: number;
  /** The Auto Scaling groups its launches name. */
  groups: Set<string>;
}

async function checkTarget(
  target: Target,
  settings: ProcessSettings,
  ports: CheckPorts,
  outcome: ProcessOutcome,
): Promise<CheckSummary> {
  const summary: CheckSummary = {
    ...(target.region && { region: target.region }),
    cluster: target.cluster,
    nodegroup: target.nodegroup,
    eventIds: target.ids,
    findings: [],
    alerted: false,
  };
  const keys = { cluster: target.cluster, nodegroup: target.nodegroup, events: target.ids.length };
  try {
    const result = await runCheck(
      {
        clusterName: target.cluster,
        nodegroupNames: [target.nodegroup],
        defaultPolicy: settings.defaultPolicy,
        joinWindowSeconds: settings.joinWindowSeconds,
        ...(settings.remediation && { remediation: settings.remediation }),
        ...(settings.deadline && { deadline: settings.deadline }),
        ...(target.preflight && {
          preflight: true,
          preflightPolicy: settings.preflightPolicy ?? SETTINGS.preflightPolicy.default,
        }),
      },
      ports,
    );
    const report = result.report.nodegroups[0];
    summary.result = result;
    summary.findings = report?.findings.map((f) => f.code) ?? [];
    summary.alerted = report?.actions.some((a) => a.type === 'notify' && a.status === 'done') ?? false;
    // An alert that could not be published is retried with the whole check, rather than lost.
    if (result.errors.length > 0) {
      summary.error = result.errors.map((e) => e.message).join('; ');
      for (const id of target.ids) outcome.failed.push({ id, reason: summary.error });
    } else if (report?.actions.some((a) => a.reasonCode === 'LOCKED')) {
      // Another run holds the nodegroup and judged it from an earlier snapshot, perhaps before these
      // launches were due: they come back later (the holder's recorded check may cover them then).
      const reason = `another run is checking ${target.cluster}/${target.nodegroup}: the events are retried`;
      summary.error = reason;
      for (const id of target.ids) outcome.failed.push({ id, reason });
    } else {
      await recordCheck(target, result, ports);
    }
  } catch (error) {
    summary.error = messageOf(error);
    if (error instanceof NotFoundError) {
      // The nodegroup or cluster is gone: a retry cannot help, and the event is not malformed.
      ports.log.info('nodegroup no longer exists: event skipped', { ...keys, reason: summary.error });
      for (const id of target.ids) outcome.skipped.push({ id, reason: summary.error });
    } else {
      ports.log.error('check failed: events will be retried', { ...keys, error: summary.error });
      for (const id of target.ids) outcome.failed.push({ id, reason: summary.error });
    }
  }
  return summary;
}

/** A check that ran to the end: later launches due before its snapshot need no check of their own. */
async function recordCheck(target: Target, result: CheckResult, { state, log }: CheckPorts): Promise<void> {
  const at = new Date(result.report.checkedAt);
  try {
    await state.recordCheck(target.cluster, target.nodegroup, at);
  } catch (error) {
    // Only a saving is lost: a later launch gets a check of its own.
    log.warn('could not record the check', {
      cluster: target.cluster,
      nodegroup: target.nodegroup,
      error: messageOf(error),
    });
  }
}

type Checkable = Extract<ParsedEvent, { kind: 'launch' | 'nodegroup' }>;
type OwnAccount = { account: string } | { error: string } | undefined;

/** The function's own account, asked once, only when an event in a watched region names its account. */
async function ownAccountOf(
  parsed: { event: ParsedEvent }[],
  settings: ProcessSettings,
): Promise<OwnAccount> {
  if (!settings.ownAccount) return undefined;
  const asking = parsed.find(
    ({ event }) =>
      (event.kind === 'launch' || event.kind === 'nodegroup') &&
      event.account !== undefined &&
      watched(event.region, settings.regions),
  )?.event as Checkable | undefined;
  if (!asking) return undefined;
  try {
    return { account: await settings.ownAccount(asking.region) };
  } catch (error) {
    return { error: messageOf(error) };
  }
}

/**
 * Why an event is not for this function: its region is not watched, or its account is another's
 * (a misrouted bus must not be handled with this account's credentials). Pure: no AWS call.
 */
function outOfScope(
  event: Checkable,
  settings: ProcessSettings,
  own: OwnAccount,
): { reason: string; retry?: true } | undefined {
  if (!watched(event.region, settings.regions)) {
    return {
      reason: `event of region ${event.region}, which is not watched (REGIONS: ${settings.regions?.join(',')})`,
    };
  }
  if (event.account === undefined || own === undefined) return undefined;
  if ('error' in own) {
    return {
      reason: `cannot tell whether account ${event.account} is this function's own (${own.error}): the record is retried`,
      retry: true,
    };
  }
  if (event.account !== own.account) {
    return {
      reason: `event of account ${event.account}, not this function's account ${own.account}: skipped without any call (misrouted event bus?)`,
    };
  }
  return undefined;
}

function watched(region: string | undefined, regions: string[] | undefined): boolean {
  return !regions || region === undefined || regions.includes(region);
}

function parseBody(body: unknown, options: ParseOptions): ParsedEvent {
  if (typeof body !== 'string') return parseEvent(body, options);
  try {
    return parseEvent(JSON.parse(body), options);
  } catch (error) {
    return { kind: 'malformed', reason: `the record body is not JSON: ${messageOf(error)}` };
  }
}

function messageOf(error: unknown): string {
  return error instanceof JoinRemediatorError || error instanceof Error ? error.message : String(error);
}
