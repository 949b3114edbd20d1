/**
 * Keys and expiry arithmetic shared by the DynamoDB and in-memory state stores, so both make exactly
 * the same decisions. Times kept as DynamoDB TTL values are epoch seconds.
 */

/** Remediation records are kept a week: well beyond the loop guard window and the follow-up. */
export const REMEDIATION_RETENTION_SECONDS = 7 * 24 * 3600;
/** Alert claims outlive their cooldown by this much before DynamoDB's TTL may delete them. */
export const ALERT_RETENTION_MARGIN_SECONDS = 24 * 3600;

export const LOCK_SK = 'lock';
/** The item that holds when the nodegroup was last checked to the end. */
export const CHECK_SK = 'check';
/** A check record outlives any join window (a day at most) before DynamoDB's TTL may delete it. */
export const CHECK_RETENTION_SECONDS = 2 * 24 * 3600;
const REMEDIATION_PREFIX = 'remediation#';
/** Sorts after every ISO 8601 timestamp: the upper bound of a remediation query. */
export const REMEDIATION_SK_END = `${REMEDIATION_PREFIX}~`;

export function partitionKey(cluster: string, nodegroup: string): string {
  return `nodegroup#${cluster}#${nodegroup}`;
}

/**
 * The sort key of a remediation made at `at`. Normalised through Date so that every key has the same
 * ISO form (milliseconds, Z) and keys sort in time order whatever form the record's `at` was written in.
 */
export function remediationSortKey(at: string | Date): string {
  const date = typeof at === 'string' ? new Date(at) : at;
  if (Number.isNaN(date.getTime())) throw new RangeError(`invalid remediation time: ${String(at)}`);
  return `${REMEDIATION_PREFIX}${date.toISOString()}`;
}

export function alertSortKey(fingerprint: string): string {
  return `alert#${fingerprint}`;
}

export function epochSeconds(date: Date): number {
  return Math.floor(date.getTime() / 1000);
}

/** A lock taken at `now` for `ttlSeconds` is held while `now' <= expiresAt` (expired once `expiresAt < now'`). */
export function lockExpiresAt(now: Date, ttlSeconds: number): number {
  return Math.ceil((now.getTime() + ttlSeconds * 1000) / 1000);
}

export function lockExpired(expiresAt: number, now: Date): boolean {
  return expiresAt < epochSeconds(now);
}

/** Claims sent strictly before this instant (epoch ms) no longer suppress the same alert. */
export function alertCutoff(now: Date, cooldownSeconds: number): number {
  return now.getTime() - cooldownSeconds * 1000;
}

export function alertExpiresAt(sentAt: Date, cooldownSeconds: number): number {
  return Math.ceil((sentAt.getTime() + cooldownSeconds * 1000) / 1000) + ALERT_RETENTION_MARGIN_SECONDS;
}

export function remediationExpiresAt(at: string): number {
  return epochSeconds(new Date(at)) + REMEDIATION_RETENTION_SECONDS;
}

export function checkExpiresAt(at: Date): number {
  return epochSeconds(at) + CHECK_RETENTION_SECONDS;
}
