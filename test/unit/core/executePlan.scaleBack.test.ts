/**
 * A scale-cycle step by step, on a scripted writer and clock: how long it waits for ACTIVE (the
 * deadline less the time kept for the scale-back), how often it polls, how the scale-back is retried
 * and spaced within the time left, and which outcome each answer leads to.
 */
import { describe, expect, it } from 'vitest';
import {
  type InstanceState,
  type RemediationWriter,
  silentLog,
} from '../../../functions/core/model/ports.js';
import type {
  Action,
  ReplaceInstancesAction,
  RouteAction,
  ScaleCycleAction,
} from '../../../functions/core/model/types.js';
import { executePlan } from '../../../functions/core/remediate/executePlan.js';

/** Long past, so a clock read from the real time instead of the scripted one is seen at once. */
const START = Date.parse('2020-01-01T00:00:00Z');
const TABLE = 'rtb-1';

type Scaling = { status: string; desiredSize: number; minSize: number };
type Answer<T> = T | Error;

interface Script {
  /** Seconds from the start to the deadline. */
  deadlineSeconds: number;
  pollSeconds?: number;
  group?: Answer<string[]>[];
  set?: Answer<void>[];
  scaling?: Answer<Scaling>[];
  terminate?: Answer<'terminating' | 'already-gone'>[];
  instances?: Answer<InstanceState[]>[];
  resuming?: boolean;
}

const updating = (desiredSize = 0): Scaling => ({ status: 'UPDATING', desiredSize, minSize: 0 });
const active = (desiredSize = 0): Scaling => ({ status: 'ACTIVE', desiredSize, minSize: 0 });
const inUse = () => new Error('ResourceInUseException: update in progress');

const fixedRoute: RouteAction = {
  type: 'create-route',
  resourceId: TABLE,
  routeTableId: TABLE,
  destination: '0.0.0.0/0',
  subnetIds: ['subnet-1'],
  natGatewayId: 'nat-1',
  before: 'no 0.0.0.0/0 route',
  status: 'done',
  reason: '',
};
const cycle: ScaleCycleAction = {
  type: 'scale-cycle',
  resourceId: 'ng-1',
  nodegroup: 'ng-1',
  autoScalingGroupName: 'asg-1',
  desiredSize: 4,
  instanceIds: ['i-1'],
  routeTableIds: [TABLE],
  status: 'planned',
  reason: '',
};

/** Runs one recycle behind a route fixed in this run; every call and sleep, at its second, in order. */
async function runRecycle<A extends ScaleCycleAction | ReplaceInstancesAction>(script: Script, action: A) {
  let elapsed = 0;
  const calls: string[] = [];
  const at = () => `@${elapsed / 1000}`;
  const next = <T>(queue: Answer<T>[] | undefined, otherwise: T): T => {
    const answer = queue?.length ? (queue.shift() as Answer<T>) : otherwise;
    if (answer instanceof Error) throw answer;
    return answer;
  };
  const unexpected = async () => {
    throw new Error('not part of a scale-cycle');
  };
  const writer: RemediationWriter = {
    createRoute: unexpected,
    replaceRoute: unexpected,
    readRouteTable: unexpected,
    readNatGateways: unexpected,
    terminateInstance: async (id) => {
      calls.push(`terminate ${id}`);
      return next(script.terminate, 'terminating');
    },
    readInstances: async (ids) => {
      calls.push(`instances [${ids.join(',')}]`);
      return next(script.instances, []);
    },
    readGroupInstanceIds: async (names) => {
      calls.push(`group [${names.join(',')}] ${at()}`);
      return next(script.group, ['i-1']);
    },
    setDesiredSize: async (_cluster, _nodegroup, size) => {
      calls.push(`set ${size} ${at()}`);
      next(script.set, undefined);
    },
    readNodegroupScaling: async () => {
      calls.push(`read ${at()}`);
      return next(script.scaling, active(4));
    },
  };
  const actions: Action[] = [fixedRoute, action];
  const [, result] = await executePlan(actions, {
    cluster: 'c-1',
    nodegroup: 'ng-1',
    writer,
    log: silentLog,
    routeContext: () => undefined,
    stillUnjoined: async (ids) => new Set(ids),
    deadline: new Date(START + script.deadlineSeconds * 1000),
    ...(script.pollSeconds === undefined ? {} : { pollMs: script.pollSeconds * 1000 }),
    sleep: async (ms) => {
      calls.push(`sleep ${ms / 1000}`);
      elapsed += ms;
    },
    now: () => new Date(START + elapsed),
    ...(script.resuming ? { resuming: true } : {}),
  });
  return { result: result as A, calls };
}

const runCycle = (script: Script, action: ScaleCycleAction = cycle) => runRecycle(script, action);
const outcome = (a: Action) => [a.status, a.reasonCode, a.error];

describe('scale-cycle: waiting for ACTIVE', () => {
  it('polls until the deadline less 60 s, the last sleep cut to what is left, then scales back anyway', async () => {
    const { result, calls } = await runCycle({
      deadlineSeconds: 350,
      pollSeconds: 300,
      scaling: [updating()],
    });
    expect(outcome(result)).toEqual(['done', undefined, undefined]);
    expect(calls).toEqual(['group [asg-1] @0', 'set 0 @0', 'sleep 290', 'read @290', 'set 4 @290']);
  });

  it('polls once more when the next poll would land exactly on the end of the wait', async () => {
    const { calls } = await runCycle({
      deadlineSeconds: 360,
      pollSeconds: 100,
      scaling: [updating(), updating(), updating()],
    });
    expect(calls).toEqual([
      'group [asg-1] @0',
      'set 0 @0',
      'sleep 100',
      'read @100',
      'sleep 100',
      'read @200',
      'sleep 100',
      'read @300',
      'set 4 @300',
    ]);
  });

  it('goes on polling when the nodegroup cannot be read, and stops at the first ACTIVE', async () => {
    const { result, calls } = await runCycle({
      deadlineSeconds: 900,
      pollSeconds: 20,
      scaling: [new Error('Throttling'), updating(), active()],
    });
    expect(outcome(result)).toEqual(['done', undefined, undefined]);
    expect(calls).toEqual([
      'group [asg-1] @0',
      'set 0 @0',
      'sleep 20',
      'read @20',
      'sleep 20',
      'read @40',
      'sleep 20',
      'read @60',
      'set 4 @60',
    ]);
  });

  it('polls every 15 s unless told otherwise', async () => {
    const { calls } = await runCycle({ deadlineSeconds: 900, scaling: [updating(), active()] });
    expect(calls.filter((c) => c.startsWith('sleep'))).toEqual(['sleep 15', 'sleep 15']);
  });
});

describe('scale-cycle: the scale-back', () => {
  it('retries five times, each wait half the time left (at most the poll), and fails naming the last error', async () => {
    const { result, calls } = await runCycle({
      deadlineSeconds: 360,
      pollSeconds: 100,
      scaling: [active(), updating(), updating(), updating(), updating(), updating()],
      set: [undefined, inUse(), inUse(), inUse(), inUse(), new Error('AccessDenied: nope')],
    });
    expect(outcome(result)).toEqual(['failed', 'SCALE_BACK_FAILED', 'AccessDenied: nope']);
    expect(calls).toEqual([
      'group [asg-1] @0',
      'set 0 @0',
      'sleep 100',
      'read @100',
      'set 4 @100',
      'read @100',
      'sleep 100',
      'set 4 @200',
      'read @200',
      'sleep 80',
      'set 4 @280',
      'read @280',
      'sleep 40',
      'set 4 @320',
      'read @320',
      'sleep 20',
      'set 4 @340',
      'read @340',
    ]);
  });

  it('says the nodegroup never became ACTIVE when it also could not scale back', async () => {
    const { result } = await runCycle({
      deadlineSeconds: 350,
      pollSeconds: 300,
      scaling: [updating(), updating(1), updating(1), updating(1), updating(1), updating(1)],
      set: [undefined, inUse(), inUse(), inUse(), inUse(), inUse()],
    });
    expect(outcome(result)).toEqual([
      'failed',
      'NOT_ACTIVE_IN_TIME',
      'ResourceInUseException: update in progress',
    ]);
    expect(result.reason).toContain('could not be scaled back to 4');
  });

  it.each([
    ['the size it began with', 4],
    ['more than it began with', 5],
  ])('counts a refused scale-back as done when the nodegroup is read back at %s', async (_, size) => {
    const { result, calls } = await runCycle({
      deadlineSeconds: 900,
      pollSeconds: 30,
      scaling: [active(), updating(size)],
      set: [undefined, inUse()],
    });
    expect(outcome(result)).toEqual(['done', undefined, undefined]);
    expect(calls.slice(-3)).toEqual(['read @30', 'set 4 @30', 'read @30']);
  });
});

describe('scale-cycle: before the scale-down', () => {
  it('does not scale down when its refusal leaves the size as it was, and scales nothing back', async () => {
    const { result, calls } = await runCycle({
      deadlineSeconds: 900,
      set: [new Error('InvalidParameterException: desired size')],
      scaling: [active(4)],
    });
    expect(outcome(result)).toEqual(['failed', 'CALL_FAILED', 'InvalidParameterException: desired size']);
    expect(calls).toEqual(['group [asg-1] @0', 'set 0 @0', 'read @0']);
  });

  it('goes on when the refused scale-down took effect after all (the size reads 0)', async () => {
    const { result, calls } = await runCycle({
      deadlineSeconds: 900,
      pollSeconds: 10,
      set: [inUse()],
      scaling: [updating(0), active(0)],
    });
    expect(outcome(result)).toEqual(['done', undefined, undefined]);
    expect(calls).toEqual(['group [asg-1] @0', 'set 0 @0', 'read @0', 'sleep 10', 'read @10', 'set 4 @10']);
  });

  it('refuses when the group cannot be listed twice, and lists no group for a cycle that names none', async () => {
    const refused = await runCycle({
      deadlineSeconds: 900,
      group: [new Error('Throttling'), new Error('Throttling')],
    });
    expect(outcome(refused.result)).toEqual(['skipped', 'MEMBERSHIP_UNKNOWN', undefined]);
    expect(refused.calls).toEqual(['group [asg-1] @0', 'group [asg-1] @0']);
    const { autoScalingGroupName: _, ...noGroup } = cycle;
    const unnamed = await runCycle({ deadlineSeconds: 900, group: [[]], pollSeconds: 10 }, noGroup);
    expect(unnamed.calls[0]).toBe('group [] @0');
    expect(outcome(unnamed.result)).toEqual(['done', undefined, undefined]);
  });
});

const replace: ReplaceInstancesAction = {
  type: 'replace-instances',
  resourceId: 'i-1',
  autoScalingGroupName: 'asg-1',
  instanceIds: ['i-1'],
  routeTableId: TABLE,
  status: 'planned',
  reason: '',
};
const lost = new Error('socket hang up');

describe('replace-instances: an instance already gone, or a termination whose answer was lost', () => {
  it.each<[string, Partial<Script>, ReturnType<typeof outcome>]>([
    ['already gone, in a fresh run', { terminate: ['already-gone'] }, ['skipped', 'ALREADY_GONE', undefined]],
    [
      'already gone, when resuming (this remediation may have terminated it)',
      { terminate: ['already-gone'], resuming: true },
      ['done', 'VERIFIED_AFTER_ERROR', undefined],
    ],
    [
      'lost, and the instance is no longer listed',
      {
        terminate: [lost],
        instances: [[{ instanceId: 'i-2', state: 'running', lifecycleState: 'InService' }]],
      },
      ['done', 'VERIFIED_AFTER_ERROR', undefined],
    ],
    [
      'lost, and the instance is shutting down',
      { terminate: [lost], instances: [[{ instanceId: 'i-1', state: 'shutting-down' }]] },
      ['done', 'VERIFIED_AFTER_ERROR', undefined],
    ],
    [
      'lost, and the instance is running but its group is terminating it',
      {
        terminate: [lost],
        instances: [[{ instanceId: 'i-1', state: 'running', lifecycleState: 'Terminating:Wait' }]],
      },
      ['done', 'VERIFIED_AFTER_ERROR', undefined],
    ],
    [
      'lost, and the instance is in service (listed after another)',
      {
        terminate: [lost],
        instances: [
          [
            { instanceId: 'i-2', state: 'terminated' },
            { instanceId: 'i-1', state: 'running', lifecycleState: 'InService' },
          ],
        ],
      },
      ['failed', 'CALL_FAILED', 'socket hang up'],
    ],
    [
      'lost, and the instance is running with no lifecycle state',
      { terminate: [lost], instances: [[{ instanceId: 'i-1', state: 'running' }]] },
      ['failed', 'CALL_FAILED', 'socket hang up'],
    ],
    [
      'lost, and the instance only warms up after termination (not terminating itself)',
      {
        terminate: [lost],
        instances: [[{ instanceId: 'i-1', state: 'running', lifecycleState: 'Warmed:Terminating' }]],
      },
      ['failed', 'CALL_FAILED', 'socket hang up'],
    ],
  ])('%s', async (_, script, expected) => {
    const { result, calls } = await runRecycle({ deadlineSeconds: 900, ...script }, replace);
    expect(outcome(result)).toEqual(expected);
    expect(calls[0]).toBe('terminate i-1');
  });
});
