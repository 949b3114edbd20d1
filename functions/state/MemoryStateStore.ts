import { type Clock, checkKey, type StateStore } from '../core/model/ports.js';
import type { RemediationRecord } from '../core/model/types.js';
import { alertCutoff, lockExpired, lockExpiresAt, partitionKey, remediationSortKey } from './stateKeys.js';

export interface MemoryStateStoreOptions {
  /** Lock expiry is judged against this clock; default: the system clock. */
  clock?: Clock;
}

interface Lock {
  owner: string;
  /** Epoch seconds, as the DynamoDB store keeps it. */
  expiresAt: number;
}

type ClaimAlert = Parameters<StateStore['claimAlert']>;

const systemClock: Clock = { now: () => new Date() };

/**
 * The StateStore in memory, for one CLI run without STATE_TABLE and for tests. It makes the same
 * decisions as DynamoDbStateStore (same keys, same expiry arithmetic, same conditions); each method
 * reads and writes without awaiting in between, so concurrent calls in one process are atomic too.
 * Records are copied in and out: callers never share objects with the store.
 */
export class MemoryStateStore implements StateStore {
  readonly #clock: Clock;
  readonly #locks = new Map<string, Lock>();
  /** pk -> sort key -> record */
  readonly #remediations = new Map<string, Map<string, RemediationRecord>>();
  /** pk + fingerprint -> sentAt (epoch ms) */
  readonly #alerts = new Map<string, number>();
  /** pk -> the last completed check (epoch ms) */
  readonly #checks = new Map<string, number>();

  constructor(options: MemoryStateStoreOptions = {}) {
    this.#clock = options.clock ?? systemClock;
  }

  async acquireLock(cluster: string, nodegroup: string, owner: string, ttlSeconds: number): Promise<boolean> {
    const key = partitionKey(cluster, nodegroup);
    const now = this.#clock.now();
    const current = this.#locks.get(key);
    if (current && current.owner !== owner && !lockExpired(current.expiresAt, now)) return false;
    this.#locks.set(key, { owner, expiresAt: lockExpiresAt(now, ttlSeconds) });
    return true;
  }

  async releaseLock(cluster: string, nodegroup: string, owner: string): Promise<void> {
    const key = partitionKey(cluster, nodegroup);
    if (this.#locks.get(key)?.owner === owner) this.#locks.delete(key);
  }

  async listRemediations(cluster: string, nodegroup: string, since: Date): Promise<RemediationRecord[]> {
    const from = remediationSortKey(since);
    const records = this.#remediations.get(partitionKey(cluster, nodegroup)) ?? new Map();
    return [...records.entries()]
      .filter(([sk]) => sk >= from)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, record]) => structuredClone(record));
  }

  async putRemediation(record: RemediationRecord): Promise<void> {
    const sk = remediationSortKey(record.at);
    const key = partitionKey(record.cluster, record.nodegroup);
    let records = this.#remediations.get(key);
    if (!records) {
      records = new Map();
      this.#remediations.set(key, records);
    }
    records.set(sk, structuredClone(record));
  }

  async closeRemediation(record: RemediationRecord, status: 'resolved' | 'escalated'): Promise<boolean> {
    const stored = this.#remediations
      .get(partitionKey(record.cluster, record.nodegroup))
      ?.get(remediationSortKey(record.at));
    if (stored?.status !== 'open') return false;
    stored.status = status;
    return true;
  }

  async claimAlert(...[cluster, nodegroup, fingerprint, now, cooldownSeconds]: ClaimAlert): Promise<boolean> {
    const key = `${partitionKey(cluster, nodegroup)}\u0000${fingerprint}`;
    const sentAt = this.#alerts.get(key);
    if (sentAt !== undefined && !(sentAt < alertCutoff(now, cooldownSeconds))) return false;
    this.#alerts.set(key, now.getTime());
    return true;
  }

  async recordCheck(cluster: string, nodegroup: string, at: Date): Promise<void> {
    const key = partitionKey(cluster, nodegroup);
    this.#checks.set(key, Math.max(this.#checks.get(key) ?? 0, at.getTime()));
  }

  async lastChecks(nodegroups: { cluster: string; nodegroup: string }[]): Promise<Map<string, Date>> {
    const found = new Map<string, Date>();
    for (const { cluster, nodegroup } of nodegroups) {
      const at = this.#checks.get(partitionKey(cluster, nodegroup));
      if (at !== undefined) found.set(checkKey(cluster, nodegroup), new Date(at));
    }
    return found;
  }
}
