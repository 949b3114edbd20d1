import { describe, expect, it } from 'vitest';
import { judgeInstances } from '../../../functions/core/diagnose/judgeInstances.js';
import { silentLog } from '../../../functions/core/model/ports.js';
import type { RecycleStrategy } from '../../../functions/core/model/settings.js';
import type { Action, NetworkSnapshot, Route } from '../../../functions/core/model/types.js';
import { type ExecuteOptions, executePlan } from '../../../functions/core/remediate/executePlan.js';
import { planRemediation } from '../../../functions/core/remediate/planRemediation.js';
import { diagnoseRouting } from '../../support/diagnoseRouting.js';
import {
  NAT,
  NEW_SUBNET,
  natGateway,
  PRIVATE_SUBNET,
  PUBLIC_SUBNET,
  seedNetwork,
} from '../../support/factories.js';
import type { FakeAccount, FakeInstance } from '../../support/fakeAccount.js';
import {
  addSeedDefaultRoute,
  deleteSeedDefaultRoute,
  SEED_NOW as NOW,
  SEED_TABLE as RTB,
  SEED_ASG,
  seedAccount,
  unjoinedInstance,
  unjoinedInstances,
} from '../../support/seedCheck.js';

const throttled = { kind: 'error', name: 'Throttling' } as const;

/** The seed nodegroup with two unjoined instances, i-0aaa and i-0bbb, on `network`. */
function account(network: NetworkSnapshot = seedNetwork()): FakeAccount {
  return seedAccount({ network, instances: unjoinedInstances(['i-0aaa', 'i-0bbb']) }).account;
}

/** The plan for the account as it is, made as the check makes it. */
async function planFor(
  fake: FakeAccount,
  recycleStrategy: RecycleStrategy = 'replace-unjoined',
): Promise<Action[]> {
  const network = await fake.readNetwork();
  const instances = await fake.describeGroupInstances([SEED_ASG]);
  const cluster = await fake.describeCluster('eks-workshop');
  const membership = await fake.listNodes(
    cluster,
    'new_nodegroup_2',
    instances.map((i) => i.instanceId),
  );
  const verdicts = judgeInstances(instances, membership, new Date(NOW), 300);
  return planRemediation({
    region: 'us-west-2',
    cluster: 'eks-workshop',
    nodegroup: await fake.describeNodegroup('eks-workshop', 'new_nodegroup_2'),
    verdicts,
    instances,
    findings: diagnoseRouting({ region: 'us-west-2', network, instances }),
    networks: [network],
    clusterSubnetIds: [PUBLIC_SUBNET, PRIVATE_SUBNET, NEW_SUBNET],
    allowMainRouteTable: false,
    allowSharedRouteTable: false,
    recycleStrategy,
    loopGuard: { allowed: true },
    secondsLeft: 840,
  });
}

function options(fake: FakeAccount, extra: Partial<ExecuteOptions> = {}): ExecuteOptions {
  return {
    cluster: 'eks-workshop',
    nodegroup: 'new_nodegroup_2',
    writer: fake,
    log: silentLog,
    deadline: new Date(Date.parse(NOW) + 14 * 60_000),
    now: () => fake.clock.now(),
    sleep: async (ms) => fake.clock.advance(ms),
    routeContext: () => ({
      region: 'us-west-2',
      network: fake.spec.network,
      clusterSubnetIds: new Set([PUBLIC_SUBNET, PRIVATE_SUBNET, NEW_SUBNET]),
      allowMainRouteTable: false,
      allowSharedRouteTable: false,
    }),
    stillUnjoined: async (ids) =>
      new Set(ids.filter((id) => !fake.instances.find((i) => i.instanceId === id)?.joined)),
    ...extra,
  };
}

async function run(fake: FakeAccount, extra: Partial<ExecuteOptions> = {}, strategy?: RecycleStrategy) {
  return executePlan(await planFor(fake, strategy), options(fake, extra));
}

const shape = (actions: Action[]) => actions.map((a) => [a.type, a.status, a.reasonCode]);
const defaultRoute = (fake: FakeAccount) =>
  fake.table(RTB)?.routes.find((r) => r.destination === '0.0.0.0/0');
const writes = (fake: FakeAccount) => fake.writes.map((w) => `${w.op}:${w.outcome}`);

function withDeadNatRoute(state: Route['state'] = 'active', natState = 'deleted'): NetworkSnapshot {
  const network = seedNetwork({
    natGateways: [natGateway(), natGateway({ natGatewayId: 'nat-0dead', state: natState })],
  });
  const table = network.routeTables.find((t) => t.routeTableId === RTB);
  table?.routes.push({ destination: '0.0.0.0/0', target: { kind: 'nat-gateway', id: 'nat-0dead' }, state });
  return network;
}

describe('executePlan', () => {
  it('adds the route, then replaces the unjoined instances without lowering desired capacity', async () => {
    const fake = account();
    const actions = await run(fake);
    expect(shape(actions)).toEqual([
      ['create-route', 'done', undefined],
      ['replace-instances', 'done', undefined],
      ['replace-instances', 'done', undefined],
    ]);
    expect(defaultRoute(fake)).toMatchObject({ target: { kind: 'nat-gateway', id: NAT }, state: 'active' });
    expect(fake.desiredSize).toBe(2);
    expect(fake.live().map((i) => i.state)).toEqual(['pending', 'pending']);
  });

  it('records each outcome as it happens', async () => {
    const fake = account();
    const seen: string[][] = [];
    await run(fake, { onProgress: async (actions) => void seen.push(actions.map((a) => a.status)) });
    expect(seen).toEqual([
      ['done', 'planned', 'planned'],
      ['done', 'done', 'planned'],
      ['done', 'done', 'done'],
    ]);
  });

  it('counts RouteAlreadyExists for our own route as done, without a second route', async () => {
    const fake = account();
    const plan = await planFor(fake);
    // Another run made the same route between this run's re-read and its write.
    const realRead = fake.readRouteTable.bind(fake);
    fake.readRouteTable = async (id) => {
      const table = await realRead(id);
      addSeedDefaultRoute(fake);
      fake.readRouteTable = realRead;
      return table;
    };
    const actions = await executePlan(plan, options(fake));
    expect(shape(actions)[0]).toEqual(['create-route', 'done', 'ALREADY_THERE']);
    expect(fake.table(RTB)?.routes.filter((r) => r.destination === '0.0.0.0/0')).toHaveLength(1);
  });

  it("leaves someone else's new default route alone, as the re-read just before the write shows it, and recycles nothing", async () => {
    const fake = account();
    const plan = await planFor(fake);
    addSeedDefaultRoute(fake, { kind: 'transit-gateway', id: 'tgw-0123' });
    const actions = await executePlan(plan, options(fake));
    expect(shape(actions)).toEqual([
      ['create-route', 'skipped', 'ROUTE_CHANGED'],
      ['replace-instances', 'skipped', 'ROUTE_NOT_FIXED'],
      ['replace-instances', 'skipped', 'ROUTE_NOT_FIXED'],
    ]);
    expect(actions[0]).toMatchObject({ before: '0.0.0.0/0 → tgw-0123 (active)', undo: undefined });
    expect(writes(fake)).toEqual([]);
  });

  it('turns access denied into a failed action naming the permission, and recycles nothing', async () => {
    const fake = account();
    fake.inject('createRoute', { kind: 'error', name: 'UnauthorizedOperation' });
    const actions = await run(fake);
    expect(shape(actions)[0]).toEqual(['create-route', 'failed', 'ACCESS_DENIED']);
    expect(actions[0]?.error).toContain('ec2:CreateRoute');
    expect(actions[0]?.undo).toBeUndefined();
    expect(actions.slice(1).map((a) => a.reasonCode)).toEqual(['ROUTE_NOT_FIXED', 'ROUTE_NOT_FIXED']);
    expect(fake.live().map((i) => i.instanceId)).toEqual(['i-0aaa', 'i-0bbb']);
  });

  it('reports throttling that outlasted the retries as a failed action, never a crash', async () => {
    const fake = account();
    fake.inject('createRoute', throttled);
    expect(shape(await run(fake))[0]).toEqual(['create-route', 'failed', 'THROTTLED']);
  });

  it('counts a write whose answer was lost as done when a fresh read shows its effect', async () => {
    const fake = account();
    fake.inject('createRoute', { kind: 'lost' });
    fake.inject('terminateInstance', { kind: 'lost' });
    const actions = await run(fake);
    expect(shape(actions)).toEqual([
      ['create-route', 'done', 'VERIFIED_AFTER_ERROR'],
      ['replace-instances', 'done', 'VERIFIED_AFTER_ERROR'],
      ['replace-instances', 'done', undefined],
    ]);
    expect(actions[0]?.undo).toContain('aws ec2 delete-route');
  });

  it('says the outcome is unknown when the answer was lost and the effect cannot be read back', async () => {
    const fake = account();
    fake.inject('terminateInstance', { kind: 'lost' });
    fake.inject('readInstances', throttled, throttled);
    const actions = await run(fake);
    expect(shape(actions)[1]).toEqual(['replace-instances', 'failed', 'OUTCOME_UNKNOWN']);
    expect(actions[1]?.reason).toContain('may or may not have taken effect');
  });

  it('replaces a route to a deleted NAT gateway', async () => {
    const fake = account(withDeadNatRoute());
    expect(shape(await run(fake))[0]).toEqual(['replace-route', 'done', undefined]);
    expect(defaultRoute(fake)).toMatchObject({ target: { kind: 'nat-gateway', id: NAT }, state: 'active' });
  });

  it('does not replace a dead route that the re-read just before the write shows alive again', async () => {
    const fake = account(withDeadNatRoute('active', 'failed'));
    const plan = await planFor(fake);
    // Someone brought the route back to life: pointed it at the working NAT gateway's twin.
    fake.network.natGateways.push(natGateway({ natGatewayId: 'nat-0twin' }));
    const route = defaultRoute(fake) as Route;
    route.target = { kind: 'nat-gateway', id: 'nat-0twin' };
    const actions = await executePlan(plan, options(fake));
    expect(shape(actions)[0]).toEqual(['replace-route', 'skipped', 'ROUTE_CHANGED']);
    expect(writes(fake)).toEqual([]);
  });

  it('does not replace a route whose NAT gateway the re-read shows pending (being created again)', async () => {
    const fake = account(withDeadNatRoute('active', 'failed'));
    const plan = await planFor(fake);
    const dead = fake.network.natGateways.find((n) => n.natGatewayId === 'nat-0dead');
    if (dead) dead.state = 'pending';
    const actions = await executePlan(plan, options(fake));
    expect(shape(actions)[0]).toEqual(['replace-route', 'skipped', 'ROUTE_NOT_DEAD']);
    expect(writes(fake)).toEqual([]);
  });

  it('re-reads and re-plans once when the route to replace vanished (InvalidRoute.NotFound): it creates it', async () => {
    const fake = account(withDeadNatRoute());
    const plan = await planFor(fake);
    // The dead route is deleted between the re-read and the write.
    const realReplace = fake.replaceRoute.bind(fake);
    fake.replaceRoute = async (...args) => {
      deleteSeedDefaultRoute(fake);
      return realReplace(...args);
    };
    const actions = await executePlan(plan, options(fake));
    expect(shape(actions)[0]).toEqual(['create-route', 'done', undefined]);
    expect(actions[0]?.undo).toContain('aws ec2 delete-route');
    expect(writes(fake)).toEqual([
      'replaceRoute:noop',
      'createRoute:applied',
      'terminateInstance:applied',
      'terminateInstance:applied',
    ]);
  });

  it('does not terminate an instance that joined since the check, nor any when membership cannot be read again', async () => {
    const fake = account();
    const plan = await planFor(fake);
    const first = fake.instances[0] as FakeInstance;
    first.joined = true;
    const actions = await executePlan(plan, options(fake));
    expect(shape(actions)).toEqual([
      ['create-route', 'done', undefined],
      ['replace-instances', 'skipped', 'INSTANCES_JOINED'],
      ['replace-instances', 'done', undefined],
    ]);

    const other = account();
    const unknown = await executePlan(
      await planFor(other),
      options(other, { stillUnjoined: async () => undefined }),
    );
    expect(unknown.slice(1).map((a) => a.reasonCode)).toEqual(['MEMBERSHIP_UNKNOWN', 'MEMBERSHIP_UNKNOWN']);
    expect(writes(other)).toEqual(['createRoute:applied']);
  });

  it('does not terminate an instance twice: one already terminating is skipped', async () => {
    const fake = account();
    const plan = await planFor(fake);
    (fake.instances[0] as FakeInstance).state = 'shutting-down';
    expect(shape(await executePlan(plan, options(fake)))[1]).toEqual([
      'replace-instances',
      'skipped',
      'ALREADY_GONE',
    ]);
  });

  describe('scale-cycle', () => {
    it('scales to 0, waits for ACTIVE, and comes back to the size it began with', async () => {
      const fake = account();
      const actions = await run(fake, {}, 'scale-cycle');
      expect(shape(actions)).toEqual([
        ['create-route', 'done', undefined],
        ['scale-cycle', 'done', undefined],
      ]);
      expect(writes(fake)).toEqual([
        'createRoute:applied',
        'setDesiredSize:applied',
        'setDesiredSize:applied',
      ]);
      expect(fake.writes.filter((w) => w.op === 'setDesiredSize').map((w) => w.args[0])).toEqual([0, 2]);
      expect(fake.desiredSize).toBe(2);
    });

    it('always tries to scale back, with retries, and when it cannot, fails critically keeping the undo command', async () => {
      const fake = account();
      const denied = { kind: 'error', name: 'AccessDeniedException' } as const;
      fake.inject('setDesiredSize', throttled, ...Array(5).fill(denied));
      // The scale-down goes through; every scale-back is refused.
      const realSet = fake.setDesiredSize.bind(fake);
      let calls = 0;
      fake.setDesiredSize = async (...args) => {
        calls += 1;
        if (calls === 1) {
          fake.clearFaults();
          await realSet(...args);
          fake.inject('setDesiredSize', ...Array(5).fill(denied));
          return;
        }
        return realSet(...args);
      };
      const actions = await run(fake, {}, 'scale-cycle');
      expect(shape(actions)[1]).toEqual(['scale-cycle', 'failed', 'SCALE_BACK_FAILED']);
      expect(actions[1]?.undo).toBe(
        'aws eks update-nodegroup-config --cluster-name eks-workshop --nodegroup-name new_nodegroup_2 --scaling-config desiredSize=2 --region us-west-2',
      );
      expect(calls).toBe(6);
    });

    it('scales back even when the answer to the scale-down was lost and could not be read', async () => {
      const fake = account();
      fake.inject('setDesiredSize', { kind: 'lost' });
      fake.inject('readNodegroupScaling', throttled, throttled);
      await run(fake, {}, 'scale-cycle');
      expect(fake.desiredSize).toBe(2);
    });

    it('does not scale to 0 when an instance launched since the check is still booting', async () => {
      const fake = account();
      const plan = await planFor(fake, 'scale-cycle');
      fake.instances.push(
        unjoinedInstance({
          instanceId: 'i-0newcomer',
          launchedAt: NOW,
          state: 'pending',
          lifecycleState: 'Pending',
        }),
      );
      const actions = await executePlan(plan, options(fake));
      expect(shape(actions)[1]).toEqual(['scale-cycle', 'skipped', 'INSTANCES_PENDING']);
      expect(actions[1]).toMatchObject({ instanceIds: ['i-0newcomer'] });
      expect(writes(fake)).toEqual(['createRoute:applied']);
    });

    it('does not start without the time for both steps', async () => {
      const fake = account();
      const actions = await run(fake, { deadline: new Date(Date.parse(NOW) + 240_000) }, 'scale-cycle');
      expect(shape(actions)[1]).toEqual(['scale-cycle', 'skipped', 'NOT_ENOUGH_TIME']);
      expect(writes(fake)).toEqual(['createRoute:applied']);
    });
  });
});
