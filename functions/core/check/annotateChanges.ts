import { type ChangeTarget, changeTargets, latestChange } from '../diagnose/relevantChange.js';
import { AwsCallError, errorName, isAccessDenied } from '../model/errors.js';
import type { ChangeEvent, ChangeHistory, Log } from '../model/ports.js';
import type { Finding, ResourceChange } from '../model/types.js';

/**
 * Distinct resources one check looks up. LookupEvents allows 2 calls per second per account and
 * region, shared with everyone else in the account: a few resources keep a check within seconds.
 */
export const CHANGE_LOOKUP_BUDGET = 4;
/** How far back CloudTrail's event history goes. */
export const CHANGE_HISTORY_DAYS = 90;

const DAY_MS = 24 * 60 * 60 * 1000;

/** One resource's history, or why it could not be read. */
type Lookup = { kind: 'events'; events: ChangeEvent[] } | { kind: 'failed'; change: ResourceChange };

/**
 * Adds to each routing, endpoint, NACL and security-group finding who last changed its resource
 * (CloudTrail, 90 days), within a per-check budget: critical findings first, each resource looked up
 * once (findings sharing a route table share its lookup), the rest NOT_LOOKED_UP. A lookup that fails
 * is said on the finding (ACCESS_DENIED, UNAVAILABLE), never a reason to fail the check. Never throws.
 * Without the port, findings are returned as they are.
 */
export async function annotateChanges(
  findings: Finding[],
  ports: { changes?: ChangeHistory; log: Log },
  now: Date,
): Promise<Finding[]> {
  const { changes, log } = ports;
  if (!changes) return findings;
  try {
    const targets = findings.map(changeTargets);
    const chosen = chooseResources(findings, targets);
    if (chosen.length === 0) return findings;
    const since = new Date(now.getTime() - CHANGE_HISTORY_DAYS * DAY_MS);
    const lookups = new Map(
      await Promise.all(chosen.map(async (name) => [name, await lookUp(changes, name, since)] as const)),
    );
    logLookups(log, lookups);
    return findings.map((finding, i) => {
      const own = targets[i] ?? [];
      return own.length === 0 ? finding : { ...finding, lastChange: changeOf(own, lookups) };
    });
  } catch (error) {
    // A bug here must not cost the check its findings.
    log.warn('could not add resource changes to the findings', { error: String(error) });
    return findings;
  }
}

/** The resources to look up, in order: critical findings' first, each once, at most the budget. */
function chooseResources(findings: Finding[], targets: ChangeTarget[][]): string[] {
  const order = findings
    .map((finding, i) => ({ finding, i }))
    .sort((a, b) => rank(a.finding) - rank(b.finding) || a.i - b.i);
  const chosen = new Set<string>();
  for (const { i } of order) {
    for (const target of targets[i] ?? []) {
      if (chosen.size >= CHANGE_LOOKUP_BUDGET) return [...chosen];
      chosen.add(target.resourceName);
    }
  }
  return [...chosen];
}

const rank = (finding: Finding): number => (finding.severity === 'critical' ? 0 : 1);

async function lookUp(changes: ChangeHistory, resourceName: string, since: Date): Promise<Lookup> {
  try {
    return { kind: 'events', events: await changes.lookupEvents(resourceName, since) };
  } catch (error) {
    return { kind: 'failed', change: failure(error, resourceName) };
  }
}

/** Why a lookup failed, in words a person can act on. */
function failure(error: unknown, resourceName: string): ResourceChange {
  const cause = error instanceof AwsCallError ? error.cause : error;
  if (isAccessDenied(cause)) {
    return {
      found: false,
      why: 'ACCESS_DENIED',
      detail: `The tool may not read CloudTrail: grant cloudtrail:LookupEvents to its role to see who changed ${resourceName}.`,
    };
  }
  // The first line: an SDK error may append a debugging hint meant for developers.
  let message = (error instanceof Error ? error.message : String(error)).split('\n')[0]?.trim();
  // An answer that is not CloudTrail's (an HTML error page from a proxy or an emulator): say that,
  // not the parser's complaint about it.
  if (message && /is not valid JSON|Unexpected token/.test(message)) {
    const status = httpStatusOf(error);
    message = `cloudtrail:LookupEvents got an answer that is not CloudTrail's${status ? ` (HTTP ${status})` : ''}`;
  }
  return {
    found: false,
    why: 'UNAVAILABLE',
    detail: `CloudTrail's event history of ${resourceName} could not be read: ${message || errorName(error) || 'unknown error'}`,
  };
}

/**
 * The finding's last change over its targets: the newest relevant event found; else, when a lookup
 * failed or a target was over the budget, why the change is not known; else NONE_FOUND.
 */
function changeOf(targets: ChangeTarget[], lookups: Map<string, Lookup>): ResourceChange {
  const read: { target: ChangeTarget; events: ChangeEvent[] }[] = [];
  let failed: ResourceChange | undefined;
  let skipped = false;
  for (const target of targets) {
    const lookup = lookups.get(target.resourceName);
    if (!lookup) skipped = true;
    else if (lookup.kind === 'failed') failed ??= lookup.change;
    else read.push({ target, events: lookup.events });
  }
  const change = latestChange(read);
  if (change) {
    return {
      found: true,
      eventName: change.eventName,
      eventTime: change.eventTime,
      ...(change.principalArn && { principalArn: change.principalArn }),
      ...(change.userName && { userName: change.userName }),
      ...(change.eventId && { eventId: change.eventId }),
    };
  }
  const names = targets.map((t) => t.resourceName).join(', ');
  if (failed) return failed;
  if (skipped) {
    return {
      found: false,
      why: 'NOT_LOOKED_UP',
      detail: `Not looked up: this check looks up at most ${CHANGE_LOOKUP_BUDGET} resources in CloudTrail (2 lookups per second per account and region).`,
    };
  }
  return {
    found: false,
    why: 'NONE_FOUND',
    detail: `CloudTrail's event history shows no change of ${names} that bears on this finding in the last ${CHANGE_HISTORY_DAYS} days (${unique(targets.flatMap((t) => t.eventNames)).join(', ')}); a change of the last few minutes may not be there yet.`,
  };
}

const unique = <T>(values: T[]): T[] => [...new Set(values)];

function logLookups(log: Log, lookups: Map<string, Lookup>): void {
  const failed = [...lookups].filter(([, l]) => l.kind === 'failed');
  for (const [resourceName, lookup] of failed) {
    if (lookup.kind === 'failed' && !lookup.change.found)
      log.warn('CloudTrail lookup failed', {
        resourceName,
        why: lookup.change.why,
        detail: lookup.change.detail,
      });
  }
  log.debug('CloudTrail lookups', { resources: [...lookups.keys()], failed: failed.length });
}

/** The HTTP status behind an SDK error (on it or on its cause), when the SDK kept it. */
function httpStatusOf(error: unknown): number | undefined {
  for (let e: unknown = error; e && typeof e === 'object'; e = (e as { cause?: unknown }).cause) {
    const meta = e as { $metadata?: { httpStatusCode?: number }; $response?: { statusCode?: number } };
    const status = meta.$metadata?.httpStatusCode ?? meta.$response?.statusCode;
    if (status) return status;
  }
  return undefined;
}
