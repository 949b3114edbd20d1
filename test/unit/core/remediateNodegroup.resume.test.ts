/**
 * Resuming an interrupted remediation record, and what a finished record says: an instance gone by
 * the time it is recycled (terminated by the interrupted run, or by someone else in a fresh one), a
 * node that joined meanwhile, the network read again only when a planned route needs it, and whether
 * anything was done or failed (the alert then owed, the instances counted as replaced).
 */
import { describe, expect, it } from 'vitest';
import type { Action } from '../../../functions/core/model/types.js';
import { PRIVATE_SUBNET } from '../../support/factories.js';
import type { FakeAccount } from '../../support/fakeAccount.js';
import {
  actionsOf,
  addSeedDefaultRoute,
  checkSeed,
  putEarlierRemediation,
  putInterruptedRemediation,
  recordingTopic,
  recordsOf,
  SEED_INSTANCE,
  type Seed,
  seedAccount,
  unjoinedInstance,
} from '../../support/seedCheck.js';

const writes = (account: FakeAccount) => account.writes.map((w) => `${w.op}:${w.outcome}`);

/** The seed's plan as a dry-run makes it: the route to add, then the instance to replace. */
async function seedPlan(): Promise<[Action, Action]> {
  const [route, replace] = (await checkSeed(seedAccount(), { policy: 'dry-run' })).nodegroup.actions;
  return [route as Action, replace as Action];
}

/** Counts the network reads of the account (the check's own and the resumed re-plan's). */
function countNetworkReads(account: FakeAccount): () => number {
  let reads = 0;
  const read = account.readNetwork.bind(account);
  account.readNetwork = async () => {
    reads += 1;
    return read();
  };
  return () => reads;
}

/** The seed instance leaves just before it is terminated, as if another hand (or the interrupted run) did it. */
function goneBeforeTermination(account: FakeAccount): void {
  const terminate = account.terminateInstance.bind(account);
  account.terminateInstance = async (id) => {
    for (const instance of account.instances) if (instance.instanceId === id) instance.state = 'terminated';
    return terminate(id);
  };
}

describe('remediateNodegroup: an instance already gone when it is recycled', () => {
  it('counts it as done when resuming: the interrupted run may have terminated it', async () => {
    const seed = seedAccount();
    const [route, replace] = await seedPlan();
    await putInterruptedRemediation(seed, 1, [{ ...route, status: 'done' } as Action, replace]);
    goneBeforeTermination(seed.account);
    const { nodegroup } = await checkSeed(seed);
    expect(actionsOf(nodegroup)).toEqual([
      'create-route:done',
      'replace-instances:done:VERIFIED_AFTER_ERROR',
    ]);
  });

  it('says it was already gone in a fresh run, and counts nothing as replaced', async () => {
    const seed = seedAccount();
    goneBeforeTermination(seed.account);
    const { nodegroup } = await checkSeed(seed);
    expect(actionsOf(nodegroup)).toEqual(['create-route:done', 'replace-instances:skipped:ALREADY_GONE']);
    const [record] = await recordsOf(seed);
    expect(record?.replacedInstanceIds).toEqual([]);
  });
});

describe('remediateNodegroup: resuming', () => {
  it('does not terminate an instance that joined meanwhile, as a fresh node list shows', async () => {
    const seed = seedAccount();
    const [route, replace] = await seedPlan();
    await putInterruptedRemediation(seed, 1, [{ ...route, status: 'done' } as Action, replace]);
    (seed.account.instances[0] as { joined: boolean }).joined = true;
    const reads = countNetworkReads(seed.account);
    const { nodegroup } = await checkSeed(seed);
    expect(actionsOf(nodegroup)).toEqual(['create-route:done', 'replace-instances:skipped:INSTANCES_JOINED']);
    expect(writes(seed.account)).toEqual([]);
    // No route is left to write: the network is not read for a re-plan.
    expect(reads()).toBe(0);
  });

  it('recycles nothing when the node list cannot be read again', async () => {
    const seed = seedAccount();
    const [route, replace] = await seedPlan();
    await putInterruptedRemediation(seed, 1, [{ ...route, status: 'done' } as Action, replace]);
    (seed.account.spec as { membershipUnknown?: boolean }).membershipUnknown = true;
    const { nodegroup } = await checkSeed(seed);
    expect(actionsOf(nodegroup)).toContain('replace-instances:skipped:MEMBERSHIP_UNKNOWN');
    expect(writes(seed.account)).toEqual([]);
  });

  it('reads the network for a route still to write though other actions are planned too', async () => {
    const seed = seedAccount();
    await putInterruptedRemediation(seed, 1, await seedPlan());
    (seed.account.instances[0] as { joined: boolean }).joined = true;
    const reads = countNetworkReads(seed.account);
    const { nodegroup } = await checkSeed(seed);
    expect(actionsOf(nodegroup)).toEqual(['create-route:done', 'replace-instances:skipped:INSTANCES_JOINED']);
    expect(writes(seed.account)).toEqual(['createRoute:applied']);
    expect(reads()).toBe(1);
  });

  it('re-plans on the network the check read, without reading it again', async () => {
    const seed = seedAccount();
    await putInterruptedRemediation(seed, 1, await seedPlan());
    const reads = countNetworkReads(seed.account);
    await checkSeed(seed);
    expect(writes(seed.account)).toEqual(['createRoute:applied', 'terminateInstance:applied']);
    // The check's own read, and no other.
    expect(reads()).toBe(1);
  });

  it('saves the record after each action it carries out, still writing until the last', async () => {
    const seed = seedAccount();
    await putInterruptedRemediation(seed, 1, await seedPlan());
    const saved: string[] = [];
    const put = seed.state.putRemediation.bind(seed.state);
    seed.state.putRemediation = async (record) => {
      saved.push(`${record.progress}: ${record.actions.map((a) => a.status).join(', ')}`);
      return put(record);
    };
    await checkSeed(seed, { alerts: recordingTopic().publisher });
    expect(saved.slice(0, 3)).toEqual([
      'writing: done, planned',
      'writing: done, done',
      'written: done, done',
    ]);
  });

  it('only alerts about a record already written, whatever it holds, and writes nothing', async () => {
    const seed = seedAccount();
    await putEarlierRemediation(seed, 1, {
      status: 'open',
      progress: 'written',
      alerted: false,
      actions: await seedPlan(),
    });
    const { nodegroup } = await checkSeed(seed, { alerts: recordingTopic().publisher });
    expect(writes(seed.account)).toEqual([]);
    expect(actionsOf(nodegroup).slice(0, 2)).toEqual(['create-route:planned', 'replace-instances:planned']);
  });
});

/** The seed with its table already routed by someone else just before the write: nothing is done. */
async function refusedRun(seed: Seed) {
  const read = seed.account.readRouteTable.bind(seed.account);
  seed.account.readRouteTable = async (id) => {
    if (!seed.account.table(id)?.routes.some((r) => r.destination === '0.0.0.0/0'))
      addSeedDefaultRoute(seed.account, { kind: 'transit-gateway', id: 'tgw-0123' });
    return read(id);
  };
}

describe('remediateNodegroup: what the finished record says', () => {
  it.each([
    ['nothing was done nor failed', refusedRun, { alerted: true, status: 'failed' }, false],
    [
      'every write failed',
      async (seed: Seed) =>
        seed.account.inject('createRoute', { kind: 'error', name: 'UnauthorizedOperation' }),
      { alerted: false, status: 'failed' },
      true,
    ],
  ])('when %s: whether an alert is owed', async (_, arrange, record, remediated) => {
    const seed = seedAccount();
    await arrange(seed);
    // The alert cannot be delivered: the record keeps whether one is owed.
    const { nodegroup } = await checkSeed(seed, { alerts: recordingTopic(5).publisher });
    const [saved] = await recordsOf(seed);
    expect(saved).toMatchObject({ progress: 'written', ...record });
    expect(nodegroup.alertKind === 'remediated').toBe(remediated);
  });

  it('counts as replaced only the instances replaced, when no scale-cycle ran', async () => {
    const other = unjoinedInstance({ instanceId: 'i-0bbb', subnetId: PRIVATE_SUBNET });
    const seed = seedAccount({ instances: [unjoinedInstance(), other] });
    const { nodegroup } = await checkSeed(seed);
    expect(actionsOf(nodegroup)).toEqual([
      'create-route:done',
      'replace-instances:done',
      'replace-instances:skipped:ROUTE_NOT_FIXED',
    ]);
    const [record] = await recordsOf(seed);
    expect(record?.replacedInstanceIds).toEqual([SEED_INSTANCE]);
  });
});
