/**
 * The behaviour every StateStore must have, written once and run against each implementation (the
 * in-memory store in a unit test, the DynamoDB store on moto in an integration test).
 *
 * Each test works on its own cluster name, so implementations backed by a shared table need no reset.
 */
import { randomUUID } from 'node:crypto';
import { expect, it } from 'vitest';
import type { Clock, StateStore } from '../../functions/core/model/ports.js';
import type { RemediationRecord } from '../../functions/core/model/types.js';

export interface FakeClock extends Clock {
  set(iso: string): void;
  advance(ms: number): void;
}

/** A settable clock, starting on a whole second so second-granularity expiry is easy to reason about. */
export function fakeClock(iso = '2026-11-26T10:00:00.000Z'): FakeClock {
  let current = new Date(iso).getTime();
  return {
    now: () => new Date(current),
    set: (at) => {
      current = new Date(at).getTime();
    },
    advance: (ms) => {
      current += ms;
    },
  };
}

export type StateStoreFactory = (clock: Clock) => StateStore | Promise<StateStore>;

const SECOND = 1000;
const NODEGROUP = 'new_nodegroup_2';

function uniqueCluster(): string {
  return `eks-${randomUUID().slice(0, 8)}`;
}

function record(cluster: string, at: string, overrides: Partial<RemediationRecord> = {}): RemediationRecord {
  return {
    cluster,
    nodegroup: NODEGROUP,
    at,
    status: 'open',
    actions: [
      {
        type: 'create-route',
        resourceId: 'rtb-0f1e2d3c4b5a69788',
        target: 'nat-0123456789abcdef0',
        status: 'done',
        reason: 'route table had no default route',
        routeTableId: 'rtb-0f1e2d3c4b5a69788',
        destination: '0.0.0.0/0',
        subnetIds: ['subnet-0e5e4b6c1d2a3f405'],
        natGatewayId: 'nat-0123456789abcdef0',
        before: '(none)',
        after: '0.0.0.0/0 -> nat-0123456789abcdef0',
        undo: 'aws ec2 delete-route --route-table-id rtb-0f1e2d3c4b5a69788 --destination-cidr-block 0.0.0.0/0',
      },
      {
        type: 'replace-instances',
        resourceId: 'i-0a1b2c3d4e5f60718',
        instanceIds: ['i-0a1b2c3d4e5f60718'],
        autoScalingGroupName: 'eks-new_nodegroup_2-a6c9a1b2',
        status: 'done',
        reason: 'launched before the fix',
      },
    ],
    replacedInstanceIds: ['i-0a1b2c3d4e5f60718'],
    ...overrides,
  };
}

/** Registers the StateStore behaviour tests in the current describe block. */
export function stateStoreContract(factory: StateStoreFactory): void {
  async function setup(iso?: string) {
    const clock = fakeClock(iso);
    const store = await factory(clock);
    const cluster = uniqueCluster();
    return {
      clock,
      store,
      cluster,
      /** The test nodegroup's lock, claimed by `owner` for `ttlSeconds`. */
      claim: (owner: string, ttlSeconds: number) => store.acquireLock(cluster, NODEGROUP, owner, ttlSeconds),
      /** The test nodegroup's lock, released by `owner`. */
      release: (owner: string) => store.releaseLock(cluster, NODEGROUP, owner),
    };
  }

  /** The test's nodegroup's records from the start of the day all the records below fall in. */
  function listToday(store: StateStore, cluster: string): Promise<RemediationRecord[]> {
    return store.listRemediations(cluster, NODEGROUP, new Date('2026-11-26T00:00:00.000Z'));
  }

  // --- completed checks ---

  it('checks: none until one is recorded, then the latest, never an older one over a newer', async () => {
    const { store, cluster } = await setup();
    const other = uniqueCluster();
    expect(await store.lastChecks([{ cluster, nodegroup: NODEGROUP }])).toEqual(new Map());

    await store.recordCheck(cluster, NODEGROUP, new Date('2026-11-26T10:05:00.000Z'));
    await store.recordCheck(cluster, NODEGROUP, new Date('2026-11-26T10:01:00.000Z'));
    await store.recordCheck(other, NODEGROUP, new Date('2026-11-26T09:00:00.000Z'));

    expect(
      await store.lastChecks([
        { cluster, nodegroup: NODEGROUP },
        { cluster, nodegroup: 'never_checked' },
        { cluster: other, nodegroup: NODEGROUP },
      ]),
    ).toEqual(
      new Map([
        [`${cluster}/${NODEGROUP}`, new Date('2026-11-26T10:05:00.000Z')],
        [`${other}/${NODEGROUP}`, new Date('2026-11-26T09:00:00.000Z')],
      ]),
    );
  });

  it('checks: reads more nodegroups than one batch holds', async () => {
    const { store, cluster } = await setup();
    const names = Array.from({ length: 130 }, (_, n) => `ng-${n}`);
    for (const name of names.filter((_, n) => n % 2 === 0)) {
      await store.recordCheck(cluster, name, new Date('2026-11-26T10:00:00.000Z'));
    }
    const found = await store.lastChecks(names.map((nodegroup) => ({ cluster, nodegroup })));
    expect([...found.keys()].sort()).toEqual(
      names
        .filter((_, n) => n % 2 === 0)
        .map((name) => `${cluster}/${name}`)
        .sort(),
    );
  });

  // --- the lock ---

  it('lock: the first claim wins and every other claim is refused while it is held', async () => {
    const { store, cluster, claim } = await setup();

    expect(await claim('invocation-a', 300)).toBe(true);
    expect(await claim('invocation-b', 300)).toBe(false);
    // The owner itself may take it again (an SDK retry of a claim whose answer was lost; a Lambda
    // retry of the same request).
    expect(await claim('invocation-a', 300)).toBe(true);
    expect(await claim('invocation-b', 300)).toBe(false);
    // Another nodegroup, or the same name in another cluster, is independent.
    expect(await store.acquireLock(cluster, 'other_nodegroup', 'invocation-b', 300)).toBe(true);
    expect(await store.acquireLock(uniqueCluster(), NODEGROUP, 'invocation-b', 300)).toBe(true);
  });

  // The title, who releases the lock invocation-a holds, whether invocation-b may claim it then.
  it.each([
    ['released by its owner, it can be claimed again', 'invocation-a', true],
    ['a release by anyone but the owner does nothing', 'invocation-b', false],
  ])('lock: %s', async (_title, releasedBy, claimedAfter) => {
    const { claim, release } = await setup();
    await claim('invocation-a', 300);

    await release(releasedBy);

    expect(await claim('invocation-b', 300)).toBe(claimedAfter);
  });

  it('lock: releasing a lock that is not held is not an error', async () => {
    const { claim, release } = await setup();

    await expect(release('invocation-a')).resolves.toBeUndefined();
    expect(await claim('invocation-a', 300)).toBe(true);
  });

  it('lock: held for its whole time to live, free once it has expired', async () => {
    const { clock, claim } = await setup();
    await claim('invocation-a', 60);

    clock.advance(59 * SECOND);
    expect(await claim('invocation-b', 60)).toBe(false);
    clock.advance(1 * SECOND); // exactly at expiry: still held
    expect(await claim('invocation-b', 60)).toBe(false);
    clock.advance(1 * SECOND);
    expect(await claim('invocation-b', 60)).toBe(true);
    // The new holder's lock runs from its own claim.
    clock.advance(59 * SECOND);
    expect(await claim('invocation-c', 60)).toBe(false);
  });

  it('lock: once expired and taken over, the old owner can no longer release it', async () => {
    const { clock, claim, release } = await setup();
    await claim('invocation-a', 60);
    clock.advance(61 * SECOND);
    expect(await claim('invocation-b', 60)).toBe(true);

    await release('invocation-a');

    expect(await claim('invocation-c', 60)).toBe(false);
  });

  it('lock: concurrent claims, exactly one wins', async () => {
    const { claim } = await setup();

    const results = await Promise.all(['a', 'b', 'c', 'd', 'e'].map((owner) => claim(owner, 300)));

    expect(results.filter(Boolean)).toHaveLength(1);
  });

  // --- alert de-duplication ---

  it('claimAlert: the first claim sends, the same alert within the cooldown is suppressed, after it sends again', async () => {
    const { store, cluster } = await setup();
    const sent = new Date('2026-11-26T10:00:00.000Z');
    const at = (ms: number) => new Date(sent.getTime() + ms);

    expect(await store.claimAlert(cluster, NODEGROUP, 'fp-1', sent, 3600)).toBe(true);
    expect(await store.claimAlert(cluster, NODEGROUP, 'fp-1', at(1), 3600)).toBe(false);
    expect(await store.claimAlert(cluster, NODEGROUP, 'fp-1', at(3599 * SECOND), 3600)).toBe(false);
    expect(await store.claimAlert(cluster, NODEGROUP, 'fp-1', at(3600 * SECOND), 3600)).toBe(false);
    expect(await store.claimAlert(cluster, NODEGROUP, 'fp-1', at(3600 * SECOND + 1), 3600)).toBe(true);
    // The new claim starts a new cooldown.
    expect(await store.claimAlert(cluster, NODEGROUP, 'fp-1', at(3700 * SECOND), 3600)).toBe(false);
  });

  it('claimAlert: a suppressed alert does not extend the cooldown', async () => {
    const { store, cluster } = await setup();
    const sent = new Date('2026-11-26T10:00:00.000Z');
    const at = (seconds: number) => new Date(sent.getTime() + seconds * SECOND);

    await store.claimAlert(cluster, NODEGROUP, 'fp-1', sent, 3600);
    expect(await store.claimAlert(cluster, NODEGROUP, 'fp-1', at(1800), 3600)).toBe(false);

    expect(await store.claimAlert(cluster, NODEGROUP, 'fp-1', at(3601), 3600)).toBe(true);
  });

  it('claimAlert: other fingerprints, nodegroups and clusters are independent', async () => {
    const { store, cluster } = await setup();
    const now = new Date('2026-11-26T10:00:00.000Z');

    expect(await store.claimAlert(cluster, NODEGROUP, 'fp-1', now, 3600)).toBe(true);
    expect(await store.claimAlert(cluster, NODEGROUP, 'fp-2', now, 3600)).toBe(true);
    expect(await store.claimAlert(cluster, 'other_nodegroup', 'fp-1', now, 3600)).toBe(true);
    expect(await store.claimAlert(uniqueCluster(), NODEGROUP, 'fp-1', now, 3600)).toBe(true);
  });

  it('claimAlert: the cooldown is the one given with each claim', async () => {
    const { store, cluster } = await setup();
    const sent = new Date('2026-11-26T10:00:00.000Z');

    await store.claimAlert(cluster, NODEGROUP, 'fp-1', sent, 3600);

    expect(
      await store.claimAlert(cluster, NODEGROUP, 'fp-1', new Date(sent.getTime() + 61 * SECOND), 60),
    ).toBe(true);
  });

  it('claimAlert: concurrent claims of the same alert, exactly one sends', async () => {
    const { store, cluster } = await setup();
    const now = new Date('2026-11-26T10:00:00.000Z');

    const results = await Promise.all(
      Array.from({ length: 5 }, () => store.claimAlert(cluster, NODEGROUP, 'fp-1', now, 3600)),
    );

    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it('claimAlert: concurrent claims after the cooldown, exactly one sends again', async () => {
    const { store, cluster } = await setup();
    const sent = new Date('2026-11-26T10:00:00.000Z');
    await store.claimAlert(cluster, NODEGROUP, 'fp-1', sent, 3600);
    const later = new Date(sent.getTime() + 7200 * SECOND);

    const results = await Promise.all(
      Array.from({ length: 5 }, () => store.claimAlert(cluster, NODEGROUP, 'fp-1', later, 3600)),
    );

    expect(results.filter(Boolean)).toHaveLength(1);
  });

  // --- remediation records ---

  it('listRemediations: nothing recorded, nothing listed', async () => {
    const { store, cluster } = await setup();

    expect(await listToday(store, cluster)).toEqual([]);
  });

  it('listRemediations: the records at or after `since`, oldest first, as they were put', async () => {
    const { store, cluster } = await setup();
    const early = record(cluster, '2026-11-26T03:59:59.999Z');
    const onBoundary = record(cluster, '2026-11-26T04:00:00.000Z', { status: 'resolved' });
    const middle = record(cluster, '2026-11-26T07:30:00.000Z', { replacedInstanceIds: [] });
    const latest = record(cluster, '2026-11-26T09:45:12.345Z', {
      status: 'escalated',
      replacedInstanceIds: ['i-0aaaaaaaaaaaaaaa1', 'i-0bbbbbbbbbbbbbbb2'],
    });
    // Put out of order, and with noise in other nodegroups and clusters.
    for (const r of [latest, early, middle, onBoundary]) await store.putRemediation(r);
    await store.putRemediation(record(cluster, '2026-11-26T08:00:00.000Z', { nodegroup: 'other_nodegroup' }));
    await store.putRemediation(record(uniqueCluster(), '2026-11-26T08:00:00.000Z'));

    const listed = await store.listRemediations(cluster, NODEGROUP, new Date('2026-11-26T04:00:00.000Z'));

    expect(listed).toEqual([onBoundary, middle, latest]);
  });

  it('listRemediations: orders by time even when `at` is written without milliseconds', async () => {
    const { store, cluster } = await setup();
    const whole = record(cluster, '2026-11-26T10:00:00Z');
    const fraction = record(cluster, '2026-11-26T10:00:00.500Z');
    await store.putRemediation(fraction);
    await store.putRemediation(whole);

    const listed = await store.listRemediations(cluster, NODEGROUP, new Date('2026-11-26T10:00:00.000Z'));

    expect(listed.map((r) => r.at)).toEqual(['2026-11-26T10:00:00Z', '2026-11-26T10:00:00.500Z']);
  });

  it('listRemediations: returns copies, not the stored records', async () => {
    const { store, cluster } = await setup();
    const original = record(cluster, '2026-11-26T09:00:00.000Z');
    await store.putRemediation(original);
    original.replacedInstanceIds.push('i-0changedafterput00');

    const [first] = await listToday(store, cluster);
    first?.actions.splice(0);

    const [again] = await listToday(store, cluster);
    expect(again?.replacedInstanceIds).toEqual(['i-0a1b2c3d4e5f60718']);
    expect(again?.actions).toHaveLength(2);
  });

  it('putRemediation: a record put again with the same `at` replaces the first, fields left out included', async () => {
    const { store, cluster } = await setup();
    const at = '2026-11-26T09:00:00.000Z';
    await store.putRemediation(
      record(cluster, at, {
        progress: 'writing',
        alerted: false,
        before: { routes: [{ routeTableId: 'rtb-0f1e2d3c4b5a69788' }], desiredSize: 2 },
      }),
    );
    const written = record(cluster, at, {
      status: 'failed',
      progress: 'written',
      replacedInstanceIds: [],
    });

    await store.putRemediation(written);

    const listed = await listToday(store, cluster);
    expect(listed).toEqual([written]);
    expect(listed[0]).not.toHaveProperty('alerted');
    expect(listed[0]).not.toHaveProperty('before');
  });

  it('putRemediation: status failed, progress, alerted and the state before the writes round-trip', async () => {
    const { store, cluster } = await setup();
    const full = record(cluster, '2026-11-26T09:00:00.000Z', {
      status: 'failed',
      progress: 'writing',
      alerted: true,
      before: {
        routes: [
          {
            routeTableId: 'rtb-0f1e2d3c4b5a69788',
            route: {
              destination: '0.0.0.0/0',
              target: { kind: 'nat-gateway', id: 'nat-0deleted000000001' },
              state: 'blackhole',
              origin: 'CreateRoute',
            },
          },
          { routeTableId: 'rtb-0second000000001' },
        ],
        desiredSize: 3,
      },
    });
    const notAlerted = record(cluster, '2026-11-26T09:30:00.000Z', { progress: 'written', alerted: false });
    const bare = record(cluster, '2026-11-26T10:00:00.000Z');
    for (const r of [full, notAlerted, bare]) await store.putRemediation(r);

    const listed = await listToday(store, cluster);

    expect(listed).toEqual([full, notAlerted, bare]);
    expect(listed[1]?.alerted).toBe(false);
    for (const field of ['progress', 'alerted', 'before']) expect(listed[2]).not.toHaveProperty(field);
  });

  // The title, the record's status, the close asked for, whether it closes, the status then stored.
  it.each([
    ['a failed record is not closed', 'failed', 'resolved', false, 'failed'],
    ['escalated is recorded as such', 'open', 'escalated', true, 'escalated'],
  ] as const)('closeRemediation: %s', async (_title, status, to, closes, stored) => {
    const { store, cluster } = await setup();
    const put = record(cluster, '2026-11-26T09:00:00.000Z', { status });
    await store.putRemediation(put);

    expect(await store.closeRemediation(put, to)).toBe(closes);

    const [after] = await listToday(store, cluster);
    expect(after?.status).toBe(stored);
  });

  it('closeRemediation: moves an open record once; a second close is refused', async () => {
    const { store, cluster } = await setup();
    const open = record(cluster, '2026-11-26T09:00:00.000Z');
    await store.putRemediation(open);

    expect(await store.closeRemediation(open, 'resolved')).toBe(true);
    expect(await store.closeRemediation(open, 'escalated')).toBe(false);
    expect(await store.closeRemediation(open, 'resolved')).toBe(false);

    const [stored] = await listToday(store, cluster);
    expect(stored).toEqual({ ...open, status: 'resolved' });
  });

  it('closeRemediation: a record that was never put is not closed', async () => {
    const { store, cluster } = await setup();

    expect(await store.closeRemediation(record(cluster, '2026-11-26T09:00:00.000Z'), 'resolved')).toBe(false);
    expect(await listToday(store, cluster)).toEqual([]);
  });

  it('closeRemediation: closes only the record it is given', async () => {
    const { store, cluster } = await setup();
    const first = record(cluster, '2026-11-26T08:00:00.000Z');
    const second = record(cluster, '2026-11-26T09:00:00.000Z');
    for (const r of [first, second]) await store.putRemediation(r);

    await store.closeRemediation(second, 'resolved');

    const listed = await listToday(store, cluster);
    expect(listed.map((r) => r.status)).toEqual(['open', 'resolved']);
  });

  it('closeRemediation: concurrent closes, exactly one wins', async () => {
    const { store, cluster } = await setup();
    const open = record(cluster, '2026-11-26T09:00:00.000Z');
    await store.putRemediation(open);

    const results = await Promise.all(
      (['resolved', 'escalated', 'resolved', 'escalated', 'resolved'] as const).map((status) =>
        store.closeRemediation(open, status),
      ),
    );

    expect(results.filter(Boolean)).toHaveLength(1);
    const winner = (['resolved', 'escalated', 'resolved', 'escalated', 'resolved'] as const)[
      results.indexOf(true)
    ];
    const [stored] = await listToday(store, cluster);
    expect(stored?.status).toBe(winner);
  });
}
