/**
 * executePlan's gate before recycling: an instance is terminated (or the group cycled) only behind
 * routes this run fixed, every one of them; actions that are not planned are left as they are; and
 * each changed action is reported (log and progress) once.
 */
import { describe, expect, it } from 'vitest';
import { silentLog } from '../../../functions/core/model/ports.js';
import type {
  Action,
  ReplaceInstancesAction,
  RouteAction,
  ScaleCycleAction,
} from '../../../functions/core/model/types.js';
import { type ExecuteOptions, executePlan } from '../../../functions/core/remediate/executePlan.js';
import { NAT, NEW_SUBNET, PRIVATE_SUBNET, PUBLIC_SUBNET } from '../../support/factories.js';
import type { FakeAccount } from '../../support/fakeAccount.js';
import { recordingLog } from '../../support/recordingLog.js';
import { SEED_TABLE as RTB, SEED_ASG, seedAccount, unjoinedInstances } from '../../support/seedCheck.js';

const OTHER_TABLE = 'rtb-0other0000000001';

function fake(): FakeAccount {
  return seedAccount({ instances: unjoinedInstances(['i-0aaa', 'i-0bbb']), minSize: 0 }).account;
}

function options(account: FakeAccount, extra: Partial<ExecuteOptions> = {}): ExecuteOptions {
  return {
    cluster: 'eks-workshop',
    nodegroup: 'new_nodegroup_2',
    writer: account,
    log: silentLog,
    deadline: new Date(account.clock.now().getTime() + 14 * 60_000),
    now: () => account.clock.now(),
    sleep: async (ms) => account.clock.advance(ms),
    routeContext: () => ({
      region: 'us-west-2',
      network: account.spec.network,
      clusterSubnetIds: new Set([PUBLIC_SUBNET, PRIVATE_SUBNET, NEW_SUBNET]),
      allowMainRouteTable: false,
      allowSharedRouteTable: false,
    }),
    stillUnjoined: async (ids) =>
      new Set(ids.filter((id) => !account.instances.find((i) => i.instanceId === id)?.joined)),
    ...extra,
  };
}

const createRoute: RouteAction = {
  type: 'create-route',
  resourceId: RTB,
  routeTableId: RTB,
  destination: '0.0.0.0/0',
  subnetIds: [NEW_SUBNET],
  subnetId: NEW_SUBNET,
  natGatewayId: NAT,
  target: NAT,
  before: 'no 0.0.0.0/0 route',
  status: 'planned',
  reason: '',
};

function replace(instanceId: string, routeTableId?: string): ReplaceInstancesAction {
  return {
    type: 'replace-instances',
    resourceId: instanceId,
    autoScalingGroupName: SEED_ASG,
    instanceIds: [instanceId],
    ...(routeTableId && { routeTableId }),
    status: 'planned',
    reason: '',
  };
}

function cycle(routeTableIds: string[]): ScaleCycleAction {
  return {
    type: 'scale-cycle',
    resourceId: 'new_nodegroup_2',
    nodegroup: 'new_nodegroup_2',
    autoScalingGroupName: SEED_ASG,
    desiredSize: 2,
    instanceIds: ['i-0aaa', 'i-0bbb'],
    routeTableIds,
    status: 'planned',
    reason: '',
  };
}

const terminated = (account: FakeAccount) =>
  account.writes.filter((w) => w.op === 'terminateInstance' && w.outcome === 'applied').map((w) => w.args[0]);

describe('executePlan: recycling only behind routes this run fixed', () => {
  it('replaces an instance behind the fixed table, and refuses one that names no table', async () => {
    const account = fake();
    const results = await executePlan(
      [createRoute, replace('i-0aaa', RTB), replace('i-0bbb')],
      options(account),
    );
    expect(results.map((a) => [a.type, a.status, a.reasonCode])).toEqual([
      ['create-route', 'done', undefined],
      ['replace-instances', 'done', undefined],
      ['replace-instances', 'skipped', 'ROUTE_NOT_FIXED'],
    ]);
    expect(terminated(account)).toEqual(['i-0aaa']);
  });

  it('does not cycle the group when one of the tables it relies on was not fixed', async () => {
    const account = fake();
    const results = await executePlan([createRoute, cycle([RTB, OTHER_TABLE])], options(account));
    expect(results[1]).toMatchObject({
      type: 'scale-cycle',
      status: 'skipped',
      reasonCode: 'ROUTE_NOT_FIXED',
    });
    expect(account.writes.filter((w) => w.op === 'setDesiredSize')).toEqual([]);
  });

  it('does not count a route that was already skipped in the plan as fixed, and asks no node list', async () => {
    const account = fake();
    let asked = false;
    const skippedRoute: Action = { ...createRoute, status: 'skipped', reasonCode: 'SHARED_ROUTE_TABLE' };
    const results = await executePlan(
      [skippedRoute, replace('i-0aaa', RTB)],
      options(account, {
        stillUnjoined: async (ids) => {
          asked = true;
          return new Set(ids);
        },
      }),
    );
    expect(results[0]).toBe(skippedRoute);
    expect(results[1]).toMatchObject({ status: 'skipped', reasonCode: 'ROUTE_NOT_FIXED' });
    expect(asked).toBe(false);
    expect(account.writes).toEqual([]);
  });

  it('leaves recycles that are not planned as they are', async () => {
    const account = fake();
    const refused: Action = { ...replace('i-0bbb', RTB), status: 'skipped', reasonCode: 'NO_ROUTE_FIX' };
    const results = await executePlan([createRoute, replace('i-0aaa', RTB), refused], options(account));
    expect(results[2]).toBe(refused);
    expect(terminated(account)).toEqual(['i-0aaa']);
  });

  it('names only the joined instances when a cycle is refused because some joined', async () => {
    const account = fake();
    const joined = account.instances.find((i) => i.instanceId === 'i-0bbb');
    if (joined) joined.joined = true;
    const results = await executePlan([createRoute, cycle([RTB])], options(account));
    expect(results[1]).toMatchObject({
      type: 'scale-cycle',
      status: 'skipped',
      reasonCode: 'INSTANCES_JOINED',
      instanceIds: ['i-0bbb'],
    });
  });

  it('returns the plan as it is when nothing is planned, with nothing reported', async () => {
    const account = fake();
    const log = recordingLog();
    const progress: Action[][] = [];
    const plan: Action[] = [{ ...createRoute, status: 'skipped', reasonCode: 'EGRESS_PRESENT' }];
    const results = await executePlan(
      plan,
      options(account, { log, onProgress: async (a) => void progress.push([...a]) }),
    );
    expect(results).toEqual(plan);
    expect(log.entries).toEqual([]);
    expect(progress).toEqual([]);
  });
});

describe('executePlan: reporting each outcome', () => {
  it('logs and records progress once per action that changed, with what it is and how it ended', async () => {
    const account = fake();
    const log = recordingLog();
    const progress: string[][] = [];
    const untouched: Action = { ...replace('i-0bbb'), status: 'skipped', reasonCode: 'NO_ROUTE_FIX' };
    await executePlan(
      [createRoute, replace('i-0aaa', RTB), untouched],
      options(account, {
        log,
        onProgress: async (actions) => void progress.push(actions.map((a) => a.status)),
      }),
    );
    expect(log.entries.map((e) => [e.level, e.extra])).toEqual([
      [
        'info',
        {
          cluster: 'eks-workshop',
          nodegroup: 'new_nodegroup_2',
          type: 'create-route',
          resourceId: RTB,
          status: 'done',
          reasonCode: undefined,
        },
      ],
      [
        'info',
        {
          cluster: 'eks-workshop',
          nodegroup: 'new_nodegroup_2',
          type: 'replace-instances',
          resourceId: 'i-0aaa',
          status: 'done',
          reasonCode: undefined,
        },
      ],
    ]);
    expect(log.entries.every((e) => e.message.length > 0)).toBe(true);
    expect(progress).toEqual([
      ['done', 'planned', 'skipped'],
      ['done', 'done', 'skipped'],
    ]);
  });
});

describe('executePlan: the time a scale-cycle needs', () => {
  it('refuses to start it with less than 300 s left, saying how much it needs and has', async () => {
    const account = fake();
    const deadline = new Date(account.clock.now().getTime() + 299_000);
    const results = await executePlan([createRoute, cycle([RTB])], options(account, { deadline }));
    expect(results[1]).toMatchObject({
      status: 'skipped',
      reasonCode: 'NOT_ENOUGH_TIME',
      secondsNeeded: 300,
      secondsLeft: 299,
    });
  });

  it('says 0 s left, never less, once the deadline has passed', async () => {
    const account = fake();
    const deadline = new Date(account.clock.now().getTime() - 60_000);
    const results = await executePlan([createRoute, cycle([RTB])], options(account, { deadline }));
    expect(results[1]).toMatchObject({ reasonCode: 'NOT_ENOUGH_TIME', secondsLeft: 0 });
  });

  it('starts it with exactly 300 s left', async () => {
    const account = fake();
    const deadline = new Date(account.clock.now().getTime() + 300_000);
    const results = await executePlan([createRoute, cycle([RTB])], options(account, { deadline }));
    expect(results[1]?.reasonCode).not.toBe('NOT_ENOUGH_TIME');
    expect(account.writes.some((w) => w.op === 'setDesiredSize')).toBe(true);
  });
});

describe('executePlan: how a failed write is classed', () => {
  it('calls a failure that is neither access denied nor throttling CALL_FAILED, with its error', async () => {
    const account = fake();
    account.inject('createRoute', { kind: 'error', name: 'InternalError' });
    const results = await executePlan([createRoute, replace('i-0aaa', RTB)], options(account));
    expect(results[0]).toMatchObject({ status: 'failed', reasonCode: 'CALL_FAILED' });
    expect(results[0]?.error).toContain('InternalError');
    expect(results[1]).toMatchObject({ status: 'skipped', reasonCode: 'ROUTE_NOT_FIXED' });
  });
});
