import { createHash } from 'node:crypto';
import { runCheck } from '../core/check/runCheck.js';
import type { CheckPorts, CheckResult } from '../core/model/check.js';
import { JoinRemediatorError, NotFoundError } from '../core/model/errors.js';
import { checkKey } from '../core/model/ports.js';
import {
  DEFAULT_REMEDIATION,
  type PreflightPolicy,
  type RemediationSettings,
  SETTINGS,
} from '../core/model/settings.js';
import type { LaunchFailure, Policy } from '../core/model/types.js';
import { isWatchedCluster } from '../core/model/watchedClusters.js';
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
  /** The instances named by the launch events this check gave the verdict for (not preflight-only ones). */
  launchedInstanceIds?: string[];
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
  /** What a preflight check (at a nodegroup API call or a launch) may do; default notify. */
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
    ask: TargetAsk,
  ) => {
    if (settings.clusters && !isWatchedCluster(settings.clusters, region, cluster)) {
      // A launch that only asked for a preflight is in notDue: it is skipped when it comes back due.
      if (ask.launchedAt === undefined)
        outcome.skipped.push({
          id,
          reason: `cluster ${cluster}${region ? ` of ${region}` : ''} is not watched (CLUSTERS)`,
        });
      return;
    }
    const key = JSON.stringify([region ?? '', cluster, nodegroup]);
    const target = targets.get(key) ?? {
      ...(region && { region }),
      cluster,
      nodegroup,
      ids: [],
      preflightIds: [],
      failureIds: [],
      preflight: false,
      launchPreflightAt: Number.NEGATIVE_INFINITY,
      dueAt: Number.NEGATIVE_INFINITY,
      groups: new Set<string>(),
      failures: [],
      launchedInstanceIds: [],
    };
    // A launch seen before its window asks only for the static checks: its own verdict comes later,
    // from the re-queued message, so a failed preflight does not fail (and re-deliver) the record.
    if (ask.launchedAt === undefined) target.ids.push(id);
    else target.preflightIds.push(id);
    if (ask.group) target.groups.add(ask.group);
    if (ask.instanceId && ask.dueAt !== undefined) target.launchedInstanceIds.push(ask.instanceId);
    if (ask.dueAt !== undefined) target.dueAt = Math.max(target.dueAt, ask.dueAt);
    const preflightAt = ask.launchedAt ?? ask.alsoPreflightAt;
    if (preflightAt !== undefined) target.launchPreflightAt = Math.max(target.launchPreflightAt, preflightAt);
    if (ask.failure) {
      target.failures.push(ask.failure);
      target.failureIds.push(id);
    }
    // A nodegroup API call asks for the static checks of its subnets at once, before any instance fails.
    target.preflight ||= ask.preflight === true;
    targets.set(key, target);
  };

  const launchesByRegion = new Map<string | undefined, { id: string; group: string; ask: TargetAsk }[]>();
  const addLaunch = (region: string | undefined, id: string, group: string, ask: TargetAsk) => {
    const list = launchesByRegion.get(region) ?? [];
    list.push({ id, group, ask: { ...ask, group } });
    launchesByRegion.set(region, list);
  };
  for (const { id, requeues, event } of parsed) {
    const scope =
      event.kind === 'malformed' || event.kind === 'skip' ? undefined : outOfScope(event, settings, own);
    if (event.kind === 'malformed') outcome.failed.push({ id, reason: event.reason, malformed: true });
    else if (event.kind === 'skip') outcome.skipped.push({ id, reason: event.reason });
    else if (scope?.retry) outcome.failed.push({ id, reason: scope.reason });
    else if (scope) outcome.skipped.push({ id, reason: scope.reason });
    else if (event.kind === 'nodegroup')
      addTarget(id, event.region, event.cluster, event.nodegroup, { preflight: true });
    else if (event.kind === 'launch-failed') {
      const { kind: _kind, region, account: _account, ...failure } = event;
      addLaunch(region, id, event.autoScalingGroupName, { failure });
    } else if (secondsUntilDue(event.time, settings) > 0) {
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
        // First delivery: the static causes are checked now, so a broken subnet is alerted in seconds.
        if (requeues === 0) addLaunch(event.region, id, event.autoScalingGroupName, launchAsk(event.time));
      }
    } else {
      const fresh = insideWindow(event.time, settings) ? launchAsk(event.time) : {};
      addLaunch(event.region, id, event.autoScalingGroupName, {
        dueAt: dueAtOf(event.time, settings),
        ...(event.instanceId && { instanceId: event.instanceId }),
        ...(fresh.launchedAt !== undefined && { alsoPreflightAt: fresh.launchedAt }),
      });
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
      // A launch that only asked for a preflight is in notDue already: it comes back for its verdict.
      for (const l of launches)
        if (l.ask.launchedAt === undefined) outcome.failed.push({ id: l.id, reason: messageOf(error) });
      continue;
    }
    for (const group of unknown) {
      const owner = nodegroupOfGroup(tagsByGroup.get(group));
      if (owner) owners.set(ownerKey(group), owner);
    }
    for (const launch of launches) {
      const owner = owners.get(ownerKey(launch.group));
      if (owner) addTarget(launch.id, region, owner.cluster, owner.nodegroup, launch.ask);
      else {
        const reason = tagsByGroup.has(launch.group)
          ? `Auto Scaling group ${launch.group} is not an EKS managed nodegroup (no eks:cluster-name / eks:nodegroup-name tags)`
          : `Auto Scaling group ${launch.group} no longer exists`;
        log.info('event skipped', { eventId: launch.id, reason });
        if (launch.ask.launchedAt === undefined) outcome.skipped.push({ id: launch.id, reason });
      }
    }
  }

  const due = await skipCheckedAlready([...targets.values()], settings, portsFor, outcome);
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

/** A launch that asks for the static checks now; one without a time asks at the time it is seen. */
function launchAsk(time: string | undefined): TargetAsk {
  const at = time === undefined ? Number.NaN : Date.parse(time);
  return { launchedAt: Number.isNaN(at) ? Date.now() : at };
}

/** Whether a launch is still inside its join window when the events arrived. */
function insideWindow(time: string | undefined, settings: ProcessSettings): boolean {
  const at = time === undefined ? Number.NaN : Date.parse(time);
  const seen = (settings.receivedAt ?? settings.now ?? new Date()).getTime();
  return !Number.isNaN(at) && seen < at + settings.joinWindowSeconds * 1000;
}

/** When a launch is due: its time plus the join window; a launch without a time is always due now. */
function dueAtOf(time: string | undefined, settings: ProcessSettings): number {
  const at = time === undefined ? Number.NaN : Date.parse(time);
  return Number.isNaN(at) ? Number.POSITIVE_INFINITY : at + settings.joinWindowSeconds * 1000;
}

/**
 * What each nodegroup still needs, from one state read per region: launches whose nodegroup was
 * already checked, to the end, after they were due need no check of their own (that check judged
 * them); a launch's preflight is not needed when a check after its launch looked at the subnets; and
 * failed launches of one cause are diagnosed once per alert cooldown, however many fail. A nodegroup
 * API call (preflight) is always checked. When the state cannot be read, everything is checked.
 */
async function skipCheckedAlready(
  targets: Target[],
  settings: ProcessSettings,
  portsFor: (region: string | undefined) => CheckPorts,
  outcome: ProcessOutcome,
): Promise<Target[]> {
  const cooldownMs =
    (settings.remediation?.alertCooldownSeconds ?? DEFAULT_REMEDIATION.alertCooldownSeconds) * 1000;
  const due: Target[] = [];
  for (const region of new Set(targets.map((t) => t.region))) {
    const inRegion = targets.filter((t) => t.region === region);
    const { state, log, clock } = portsFor(region);
    const keys = inRegion.flatMap((t) => [
      { cluster: t.cluster, nodegroup: t.nodegroup },
      ...failureCauses(t).map((cause) => ({ cluster: t.cluster, nodegroup: failureKey(t.nodegroup, cause) })),
    ]);
    let checks = new Map<string, Date>();
    try {
      if (inRegion.some((t) => !t.preflight)) checks = await state.lastChecks(keys);
    } catch (error) {
      // Unknown: check them all rather than skip one wrongly.
      log.warn('could not read the last checks: every nodegroup is checked', { error: messageOf(error) });
    }
    const now = (settings.now ?? clock.now()).getTime();
    for (const target of inRegion) {
      const last =
        checks.get(checkKey(target.cluster, target.nodegroup))?.getTime() ?? Number.NEGATIVE_INFINITY;
      // dueAt is -Infinity without a due launch, +Infinity for a launch without a time (always checked).
      const needsVerdict = target.dueAt !== Number.NEGATIVE_INFINITY && !(last >= target.dueAt);
      const needsPreflight = Number.isFinite(target.launchPreflightAt) && last < target.launchPreflightAt;
      const fresh = target.failures.filter((f) => {
        const at = checks.get(checkKey(target.cluster, failureKey(target.nodegroup, failureCause(f))));
        return !at || now - at.getTime() >= cooldownMs;
      });
      if (target.preflight || needsVerdict || needsPreflight || fresh.length > 0) {
        target.failures = fresh;
        if (!needsPreflight) target.launchPreflightAt = Number.NEGATIVE_INFINITY;
        due.push(target);
        continue;
      }
      const reason = `nodegroup ${target.cluster}/${target.nodegroup} was checked at ${new Date(last).toISOString()}, after this launch was due: that check judged it`;
      const failed = `failed launches of nodegroup ${target.cluster}/${target.nodegroup} with this cause were diagnosed within the alert cooldown`;
      for (const id of target.ids)
        outcome.skipped.push({ id, reason: target.failureIds.includes(id) ? failed : reason });
    }
  }
  return due;
}

/**
 * The cause of a failed launch as far as its message tells, before any confirmation: the message
 * without the ids and numbers that differ from one launch to the next. Failures with one cause share
 * an alert cooldown; another cause is diagnosed at once.
 */
function failureCause(failure: LaunchFailure): string {
  return failure.statusMessage
    .replace(/\b(?:i|subnet|sg|vpc|lt|eni|vol|ami|snap)-[0-9a-f]+\b/g, '<id>')
    .replace(/\d+/g, '#')
    .slice(0, 200);
}

function failureCauses(target: Target): string[] {
  return [...new Set(target.failures.map(failureCause))];
}

/** Where the state table keeps when a cause of failed launches was last diagnosed (EKS names have no '#'). */
function failureKey(nodegroup: string, cause: string): string {
  return `${nodegroup}#launch-failed#${createHash('sha256').update(cause).digest('hex').slice(0, 16)}`;
}

/** What one event asks of its nodegroup's check. */
interface TargetAsk {
  /** A nodegroup API call: the static checks, now. */
  preflight?: boolean;
  /** A launch to judge: when it is due (epoch ms; infinite without a time). */
  dueAt?: number;
  /** A launch seen inside its window: the static checks now (epoch ms of the launch). */
  launchedAt?: number;
  /** A due launch also still inside its window (a direct invocation): checked with preflight. */
  alsoPreflightAt?: number;
  failure?: LaunchFailure;
  group?: string;
  /** A launch to judge: the instance its event names. */
  instanceId?: string;
}

interface Target {
  region?: string;
  cluster: string;
  nodegroup: string;
  /** The events whose outcome is this check's: retried when it fails. */
  ids: string[];
  /** Launches that asked only for a preflight (they are re-queued for their verdict): never failed. */
  preflightIds: string[];
  /** A nodegroup API call asked for the static checks. */
  preflight: boolean;
  /** The newest launch that asked for the static checks now (epoch ms); -Infinity: none. */
  launchPreflightAt: number;
  /** When the last of its launches is due (epoch ms); infinite when one has no time. */
  dueAt: number;
  /** The Auto Scaling groups its launches name. */
  groups: Set<string>;
  /** Failed launches to diagnose, and the events that reported them (also in ids). */
  failures: LaunchFailure[];
  failureIds: string[];
  /** The instances named by its launches to judge (dueAt set): their time to join is measured once. */
  launchedInstanceIds: string[];
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
    eventIds: [...target.ids, ...target.preflightIds],
    findings: [],
    alerted: false,
    ...(target.launchedInstanceIds.length > 0 && {
      launchedInstanceIds: [...new Set(target.launchedInstanceIds)],
    }),
  };
  const keys = { cluster: target.cluster, nodegroup: target.nodegroup, events: summary.eventIds.length };
  // A failed check fails its events, so they are retried; a launch that only asked for a preflight
  // is re-queued for its verdict already, and its check's failure is only logged.
  const fail = (reason: string) => {
    for (const id of target.ids) outcome.failed.push({ id, reason });
    if (target.preflightIds.length > 0)
      ports.log.warn('preflight at launch failed: the launches are judged at their window', {
        ...keys,
        reason,
      });
  };
  const preflight = target.preflight || Number.isFinite(target.launchPreflightAt);
  try {
    const result = await runCheck(
      {
        clusterName: target.cluster,
        nodegroupNames: [target.nodegroup],
        defaultPolicy: settings.defaultPolicy,
        joinWindowSeconds: settings.joinWindowSeconds,
        ...(settings.remediation && { remediation: settings.remediation }),
        ...(settings.deadline && { deadline: settings.deadline }),
        ...(preflight && {
          preflight: true,
          preflightPolicy: settings.preflightPolicy ?? SETTINGS.preflightPolicy.default,
        }),
        ...(target.failures.length > 0 && { launchFailures: target.failures }),
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
      fail(summary.error);
    } else if (report?.actions.some((a) => a.reasonCode === 'LOCKED')) {
      // Another run holds the nodegroup and judged it from an earlier snapshot, perhaps before these
      // launches were due: they come back later (the holder's recorded check may cover them then).
      summary.error = `another run is checking ${target.cluster}/${target.nodegroup}: the events are retried`;
      fail(summary.error);
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
      fail(summary.error);
    }
  }
  return summary;
}

/**
 * A check that ran to the end: later launches due before its snapshot need no check of their own,
 * and the causes of failed launches it diagnosed wait for the alert cooldown.
 */
async function recordCheck(target: Target, result: CheckResult, { state, log }: CheckPorts): Promise<void> {
  const at = new Date(result.report.checkedAt);
  const names = [target.nodegroup, ...failureCauses(target).map((c) => failureKey(target.nodegroup, c))];
  try {
    for (const name of names) await state.recordCheck(target.cluster, name, at);
  } catch (error) {
    // Only a saving is lost: a later launch gets a check of its own.
    log.warn('could not record the check', {
      cluster: target.cluster,
      nodegroup: target.nodegroup,
      error: messageOf(error),
    });
  }
}

type Checkable = Exclude<ParsedEvent, { kind: 'skip' | 'malformed' }>;
type OwnAccount = { account: string } | { error: string } | undefined;

/** The function's own account, asked once, only when an event in a watched region names its account. */
async function ownAccountOf(
  parsed: { event: ParsedEvent }[],
  settings: ProcessSettings,
): Promise<OwnAccount> {
  if (!settings.ownAccount) return undefined;
  const asking = parsed.find(
    ({ event }) =>
      event.kind !== 'skip' &&
      event.kind !== 'malformed' &&
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
