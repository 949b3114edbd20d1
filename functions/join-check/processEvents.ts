import { JoinRemediatorError, NotFoundError } from '../core/errors.js';
import type { CheckPorts, CheckResult, RemediationSettings } from '../core/runCheck.js';
import { runCheck } from '../core/runCheck.js';
import type { Policy } from '../core/types.js';
import { nodegroupOfGroup, type ParsedEvent, parseEvent } from '../events/parseEvent.js';

/** One unit of input: an SQS record (id = messageId) or a direct EventBridge event. */
export interface IncomingEvent {
  id: string;
  /** The event itself, or the raw record body when it still needs parsing. */
  body: unknown;
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
  /** Launches not yet past their join window (a window longer than the queue's 900 s delay): send again. */
  notDue: { id: string; delaySeconds: number }[];
  /** Ids to report as batch item failures: malformed input (kept for the dead-letter queue) and failed checks (retried). */
  failed: { id: string; reason: string; malformed?: true }[];
}

export interface ProcessSettings {
  defaultPolicy: Policy;
  joinWindowSeconds: number;
  remediation?: RemediationSettings;
  deadline?: Date;
  /** What a preflight check (on a nodegroup API call) may do; default notify. */
  preflightPolicy?: 'notify' | 'remediate';
  /** Only these clusters are watched; undefined: all. */
  clusters?: string[];
  /** Set for queued events: launches whose window has not passed are returned as notDue. */
  now?: Date;
}

/** SQS delays a message by at most 15 minutes. */
const MAX_DELAY_SECONDS = 900;
/** Delivery is a little late, never early: a launch due within this is checked now. */
const DUE_TOLERANCE_SECONDS = 5;

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
  const parsed = events.map((e) => ({ id: e.id, event: parseBody(e.body) }));
  const targets = new Map<string, Target>();
  const addTarget = (
    id: string,
    region: string | undefined,
    cluster: string,
    nodegroup: string,
    preflight = false,
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
    };
    target.ids.push(id);
    // A nodegroup API call asks for the static checks of its subnets at once, before any instance fails.
    target.preflight ||= preflight;
    targets.set(key, target);
  };

  const launchesByRegion = new Map<string | undefined, { id: string; group: string }[]>();
  for (const { id, event } of parsed) {
    if (event.kind === 'malformed') outcome.failed.push({ id, reason: event.reason, malformed: true });
    else if (event.kind === 'skip') outcome.skipped.push({ id, reason: event.reason });
    else if (event.kind === 'nodegroup') addTarget(id, event.region, event.cluster, event.nodegroup, true);
    else if (secondsUntilDue(event.time, settings) > 0) {
      outcome.notDue.push({ id, delaySeconds: secondsUntilDue(event.time, settings) });
    } else {
      const list = launchesByRegion.get(event.region) ?? [];
      list.push({ id, group: event.autoScalingGroupName });
      launchesByRegion.set(event.region, list);
    }
  }

  // Launch events name only the group: one batched tag lookup per region finds cluster and nodegroup.
  for (const [region, launches] of launchesByRegion) {
    const { account, log } = portsFor(region);
    let tagsByGroup: Map<string, Record<string, string>>;
    try {
      tagsByGroup = await account.describeGroupTags([...new Set(launches.map((l) => l.group))]);
    } catch (error) {
      for (const l of launches) outcome.failed.push({ id: l.id, reason: messageOf(error) });
      continue;
    }
    for (const launch of launches) {
      const owner = nodegroupOfGroup(tagsByGroup.get(launch.group));
      if (owner) addTarget(launch.id, region, owner.cluster, owner.nodegroup);
      else {
        const reason = tagsByGroup.has(launch.group)
          ? `Auto Scaling group ${launch.group} is not an EKS managed nodegroup (no eks:cluster-name / eks:nodegroup-name tags)`
          : `Auto Scaling group ${launch.group} no longer exists`;
        log.info('event skipped', { eventId: launch.id, reason });
        outcome.skipped.push({ id: launch.id, reason });
      }
    }
  }

  for (const target of targets.values()) {
    outcome.checks.push(await checkTarget(target, settings, portsFor(target.region), outcome));
  }
  return outcome;
}

interface Target {
  region?: string;
  cluster: string;
  nodegroup: string;
  ids: string[];
  preflight: boolean;
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
        ...(target.preflight && { preflight: true, preflightPolicy: settings.preflightPolicy ?? 'notify' }),
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

function parseBody(body: unknown): ParsedEvent {
  if (typeof body !== 'string') return parseEvent(body);
  try {
    return parseEvent(JSON.parse(body));
  } catch (error) {
    return { kind: 'malformed', reason: `the record body is not JSON: ${messageOf(error)}` };
  }
}

function messageOf(error: unknown): string {
  return error instanceof JoinRemediatorError || error instanceof Error ? error.message : String(error);
}
