/**
 * The decisions of remediateNodegroup and of the check around it that remediateNodegroup.test.ts does
 * not pin down: what dry-run and a run without a writer record, the loop guard's window, the record's
 * time and the state it keeps, the time left for scale-cycle, the blast radius of a route table, the
 * preflight and the nodegroup lock. Through the real check on the in-memory account.
 */
import { describe, expect, it } from 'vitest';
import { NAT, NEW_SUBNET } from '../../support/factories.js';
import {
  actionsOf,
  addSeedDefaultRoute,
  checkSeed,
  OTHER_SUBNET,
  putEarlierRemediation,
  putInterruptedRemediation,
  recordingTopic,
  recordsOf,
  replacementsOf,
  SEED_CLUSTER,
  SEED_INSTANCE,
  SEED_NODEGROUP,
  SEED_TABLE,
  seedAccount,
  shareSeedTable,
  twoUnjoinedIds,
  unjoinedInstances,
} from '../../support/seedCheck.js';

describe('remediateNodegroup: what is written and recorded', () => {
  it('under dry-run plans exactly what remediate would do, writes nothing and records nothing', async () => {
    const dry = seedAccount();
    const { nodegroup } = await checkSeed(dry, { policy: 'dry-run' });
    expect(actionsOf(nodegroup)).toEqual(['create-route:planned', 'replace-instances:planned']);
    expect(dry.account.writes).toEqual([]);
    expect(await recordsOf(dry)).toEqual([]);

    const real = seedAccount();
    const remediated = await checkSeed(real);
    expect(remediated.nodegroup.actions.map((a) => [a.type, a.resourceId])).toEqual(
      nodegroup.actions.map((a) => [a.type, a.resourceId]),
    );
  });

  it('under notify and off, plans nothing and reads no remediation', async () => {
    for (const policy of ['notify', 'off'] as const) {
      const seed = seedAccount();
      let listed = 0;
      seed.state.listRemediations = async () => {
        listed += 1;
        return [];
      };
      const { nodegroup } = await checkSeed(seed, { policy });
      expect(nodegroup.actions).toEqual([]);
      expect(listed).toBe(0);
      expect(seed.account.writes).toEqual([]);
    }
  });

  it('without a writer, says so for each planned action, drops their undo, and records nothing', async () => {
    const seed = seedAccount();
    const { nodegroup } = await checkSeed(seed, { noWriter: true });
    expect(actionsOf(nodegroup)).toEqual([
      'create-route:skipped:NO_WRITER',
      'replace-instances:skipped:NO_WRITER',
    ]);
    expect(nodegroup.actions.map((a) => a.undo)).toEqual([undefined, undefined]);
    expect(nodegroup.actions.map((a) => a.reason)).toEqual([
      'this run cannot write (no remediation writer)',
      'this run cannot write (no remediation writer)',
    ]);
    expect(await recordsOf(seed)).toEqual([]);
  });

  it('records nothing when nothing is planned, only the refusals', async () => {
    const seed = seedAccount();
    shareSeedTable(seed);
    const { nodegroup } = await checkSeed(seed);
    expect(actionsOf(nodegroup)).toEqual([
      'create-route:skipped:SHARED_ROUTE_TABLE',
      'replace-instances:skipped:NO_ROUTE_FIX',
    ]);
    expect(await recordsOf(seed)).toEqual([]);
    expect(seed.account.writes).toEqual([]);
  });

  it('dates the record to the second, and keeps the state before the writes and what was replaced', async () => {
    const seed = seedAccount();
    seed.account.clock.advance(750);
    await checkSeed(seed);
    const [record] = await recordsOf(seed);
    expect(record).toMatchObject({
      at: '2026-11-26T10:00:00.000Z',
      status: 'open',
      progress: 'written',
      alerted: true,
      before: { routes: [{ routeTableId: SEED_TABLE }], desiredSize: 1 },
      replacedInstanceIds: [SEED_INSTANCE],
    });
  });

  it('keeps the dead route it replaces in the record', async () => {
    const seed = seedAccount();
    const gone = { kind: 'nat-gateway', id: 'nat-0gone0000000000001' } as const;
    addSeedDefaultRoute(seed.account, gone, 'blackhole');
    const { nodegroup } = await checkSeed(seed);
    expect(actionsOf(nodegroup)).toEqual(['replace-route:done', 'replace-instances:done']);
    const [record] = await recordsOf(seed);
    const dead = { destination: '0.0.0.0/0', target: gone, state: 'blackhole' };
    expect(record?.before?.routes).toEqual([{ routeTableId: SEED_TABLE, route: dead }]);
  });

  it('marks a remediation whose every write failed as failed, and replaced nothing', async () => {
    const seed = seedAccount();
    seed.account.inject('createRoute', { kind: 'error', name: 'UnauthorizedOperation' });
    const topic = recordingTopic();
    await checkSeed(seed, { alerts: topic.publisher });
    const [record] = await recordsOf(seed);
    expect(record).toMatchObject({
      status: 'failed',
      progress: 'written',
      alerted: true,
      replacedInstanceIds: [],
    });
    expect(topic.kinds()).toEqual(['remediated']);
  });

  it('records a scale-cycle as replacing every instance of the nodegroup', async () => {
    const seed = seedAccount({
      instances: unjoinedInstances(twoUnjoinedIds),
    });
    const { nodegroup } = await checkSeed(seed, { remediation: { recycleStrategy: 'scale-cycle' } });
    expect(actionsOf(nodegroup)).toEqual(['create-route:done', 'scale-cycle:done']);
    const [record] = await recordsOf(seed);
    expect(record?.replacedInstanceIds).toEqual(twoUnjoinedIds);
    expect(record?.before?.desiredSize).toBe(2);
  });
});

describe('remediateNodegroup: the time left and the loop guard', () => {
  it('does not start a scale-cycle with less than five minutes left, and says how much there was', async () => {
    const seed = seedAccount({
      instances: unjoinedInstances(twoUnjoinedIds),
    });
    const { nodegroup } = await checkSeed(seed, {
      policy: 'dry-run',
      secondsLeft: 299,
      remediation: { recycleStrategy: 'scale-cycle' },
    });
    expect(actionsOf(nodegroup)).toEqual([
      'create-route:planned',
      'replace-instances:planned',
      'replace-instances:planned',
    ]);
    expect(nodegroup.actions[1]).toMatchObject({
      scaleCycleBlockedBy: 'NOT_ENOUGH_TIME',
      blockers: ['299 s left'],
    });

    const enough = await checkSeed(seedAccount({ instances: unjoinedInstances(twoUnjoinedIds) }), {
      policy: 'dry-run',
      secondsLeft: 301,
      remediation: { recycleStrategy: 'scale-cycle' },
    });
    expect(actionsOf(enough.nodegroup)).toEqual(['create-route:planned', 'scale-cycle:planned']);
  });

  it('counts the remediations within its window only, failed ones too', async () => {
    const old = seedAccount();
    await putEarlierRemediation(old, 7 * 60);
    await putEarlierRemediation(old, 6 * 60 + 1);
    expect(actionsOf((await checkSeed(old)).nodegroup)).toEqual([
      'create-route:done',
      'replace-instances:done',
    ]);

    const recent = seedAccount();
    await putEarlierRemediation(recent, 5 * 60 + 59);
    await putEarlierRemediation(recent, 10);
    expect(actionsOf((await checkSeed(recent)).nodegroup)).toEqual([
      'create-route:skipped:LOOP_GUARD',
      'replace-instances:skipped:LOOP_GUARD',
    ]);
    expect(recent.account.writes).toEqual([]);
  });

  it('takes the window and the limit from the settings', async () => {
    const seed = seedAccount();
    await putEarlierRemediation(seed, 50);
    const { nodegroup } = await checkSeed(seed, {
      remediation: { loopGuard: { maxRemediations: 1, windowSeconds: 3600 } },
    });
    expect(nodegroup.actions[0]).toMatchObject({
      reasonCode: 'LOOP_GUARD',
      loopGuard: { remediations: 1, limit: 1, windowSeconds: 3600 },
    });
  });
});

describe('remediateNodegroup: resuming', () => {
  it('without a writer, reports an interrupted remediation as recorded and writes nothing new', async () => {
    const seed = seedAccount();
    const planned = (await checkSeed(seedAccount(), { policy: 'dry-run' })).nodegroup.actions;
    await putInterruptedRemediation(seed, 1, planned);
    const { nodegroup } = await checkSeed(seed, { noWriter: true });
    expect(actionsOf(nodegroup)).toEqual(['create-route:planned', 'replace-instances:planned']);
    expect(nodegroup.remediation?.progress).toBe('writing');
    expect(seed.account.writes).toEqual([]);
  });

  it('finishes the latest unfinished remediation, not an older one', async () => {
    const seed = seedAccount();
    const planned = (await checkSeed(seedAccount(), { policy: 'dry-run' })).nodegroup.actions;
    await putInterruptedRemediation(seed, 30, []);
    await putInterruptedRemediation(seed, 2, planned);
    const { nodegroup } = await checkSeed(seed, { alerts: recordingTopic().publisher });
    expect(nodegroup.remediation?.at).toBe(
      new Date(Date.parse('2026-11-26T10:00:00.000Z') - 120_000).toISOString(),
    );
    expect(actionsOf(nodegroup)).toEqual(['create-route:done', 'replace-instances:done', 'notify:done']);
  });
});

describe('route tables that serve other subnets', () => {
  it('patches one whose other subnets belong to another nodegroup of the cluster', async () => {
    const seed = seedAccount();
    shareSeedTable(seed);
    (seed.account.spec.otherNodegroups as { name: string; subnetIds: string[] }[]).push({
      name: 'other_nodegroup',
      subnetIds: [OTHER_SUBNET],
    });
    const { nodegroup } = await checkSeed(seed);
    expect(actionsOf(nodegroup)).toEqual(['create-route:done', 'replace-instances:done']);
    expect(nodegroup.actions[0]).toMatchObject({ subnetIds: [NEW_SUBNET, OTHER_SUBNET], natGatewayId: NAT });
  });

  it('patches one whose other subnets are the cluster own', async () => {
    const seed = seedAccount();
    shareSeedTable(seed);
    seed.account.spec.clusterSubnetIds.push(OTHER_SUBNET);
    const { nodegroup } = await checkSeed(seed);
    expect(actionsOf(nodegroup)[0]).toBe('create-route:done');
  });
});

describe('the check around it', () => {
  it('at preflight, plans for a nodegroup with no unjoined instance but writes only when preflight may remediate', async () => {
    const notify = seedAccount({ instances: [] });
    const planned = await checkSeed(notify, { preflight: true });
    expect(planned.nodegroup.policy).toBe('dry-run');
    expect(actionsOf(planned.nodegroup)).toEqual(['create-route:planned']);
    expect(notify.account.writes).toEqual([]);

    const remediate = seedAccount({ instances: [] });
    const done = await checkSeed(remediate, { preflight: true, preflightPolicy: 'remediate' });
    expect(done.nodegroup.policy).toBe('remediate');
    expect(actionsOf(done.nodegroup)).toEqual(['create-route:done']);
  });

  it('at preflight with an unjoined instance, remediates under remediate', async () => {
    const seed = seedAccount();
    const { nodegroup } = await checkSeed(seed, { preflight: true });
    expect(nodegroup.policy).toBe('remediate');
    expect(actionsOf(nodegroup)).toEqual(['create-route:done', 'replace-instances:done']);
    expect(replacementsOf(seed.account)).toHaveLength(1);
  });

  it('takes the nodegroup lock for the whole run, a minute past its deadline, and releases it', async () => {
    const seed = seedAccount();
    const taken: [string, number][] = [];
    const acquire = seed.state.acquireLock.bind(seed.state);
    seed.state.acquireLock = async (cluster, nodegroup, owner, ttl) => {
      taken.push([owner, ttl]);
      return acquire(cluster, nodegroup, owner, ttl);
    };
    await checkSeed(seed, { runId: 'run-1', secondsLeft: 600 });
    expect(taken).toEqual([['run-1', 660]]);
    expect(await seed.state.acquireLock(SEED_CLUSTER, SEED_NODEGROUP, 'run-2', 60)).toBe(true);
  });

  it('skips a nodegroup another run holds, quietly: no write, no alert', async () => {
    const seed = seedAccount();
    await seed.state.acquireLock(SEED_CLUSTER, SEED_NODEGROUP, 'other-run', 600);
    const topic = recordingTopic();
    const { nodegroup } = await checkSeed(seed, { runId: 'run-1', alerts: topic.publisher });
    expect(nodegroup.actions).toEqual([
      {
        type: 'notify',
        resourceId: 'sns',
        status: 'skipped',
        reasonCode: 'LOCKED',
        reason: 'another run is checking this nodegroup now and reports it',
      },
    ]);
    expect(seed.account.writes).toEqual([]);
    expect(topic.sent).toEqual([]);
  });

  it('holds the lock at least a minute even when the deadline has passed', async () => {
    const seed = seedAccount();
    const ttls: number[] = [];
    const acquire = seed.state.acquireLock.bind(seed.state);
    seed.state.acquireLock = async (cluster, nodegroup, owner, ttl) => {
      ttls.push(ttl);
      return acquire(cluster, nodegroup, owner, ttl);
    };
    await checkSeed(seed, { secondsLeft: -600 });
    expect(ttls).toEqual([60]);
  });

  it('does not lock a nodegroup it only reports on', async () => {
    const seed = seedAccount();
    await seed.state.acquireLock(SEED_CLUSTER, SEED_NODEGROUP, 'other-run', 600);
    const { nodegroup } = await checkSeed(seed, { policy: 'dry-run' });
    expect(actionsOf(nodegroup)).toEqual(['create-route:planned', 'replace-instances:planned']);
  });
});
