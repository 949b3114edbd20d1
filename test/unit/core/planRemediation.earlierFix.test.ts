/**
 * After a route fixed at launch (a preflight under PREFLIGHT_POLICY=remediate), the window check
 * recycles an instance still unjoined only when it booted before that fix and the route the fix wrote
 * is still there and leads out: never one launched at or after the fix, never behind a route changed
 * since, and the executor holds to the same rule.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { silentLog } from '../../../functions/core/model/ports.js';
import type {
  Action,
  InstanceVerdict,
  NetworkSnapshot,
  RemediationRecord,
  Route,
} from '../../../functions/core/model/types.js';
import { executePlan } from '../../../functions/core/remediate/executePlan.js';
import { evaluateLoopGuard } from '../../../functions/core/remediate/loopGuard.js';
import { type PlanInput, planRemediation } from '../../../functions/core/remediate/planRemediation.js';
import {
  instance,
  NAT,
  NEW_SUBNET,
  NEW_TABLE,
  natGateway,
  nodegroup,
  PRIVATE_SUBNET,
  PUBLIC_SUBNET,
  route,
  seedNetwork,
  withNewSubnetRoutes,
} from '../../support/factories.js';

const FIX_AT = '2026-11-26T09:55:02.000Z';
const FIX = { routeTableId: NEW_TABLE, natGatewayId: NAT, at: FIX_AT };

function unjoined(launchedAt: string, instanceId = 'i-0a1b2c3d4e5f60718'): InstanceVerdict {
  return { instanceId, subnetId: NEW_SUBNET, joined: false, pending: false, state: 'running', launchedAt };
}

/** The seed network after the fix: the new subnet's table routes through the NAT gateway. */
function fixedNetwork(
  defaultRoute: Route = route('0.0.0.0/0', { kind: 'nat-gateway', id: NAT }),
): NetworkSnapshot {
  return withNewSubnetRoutes(seedNetwork(), [defaultRoute]);
}

function plan(verdicts: InstanceVerdict[], overrides: Partial<PlanInput> = {}): Action[] {
  return planRemediation({
    region: 'us-west-2',
    cluster: 'eks-workshop',
    nodegroup: nodegroup({ autoScalingGroupNames: ['eks-ng-asg'] }),
    verdicts,
    instances: verdicts.map((v) =>
      instance({ instanceId: v.instanceId, autoScalingGroupName: 'eks-ng-asg', launchedAt: v.launchedAt }),
    ),
    // Egress is there now: no routing finding, so no route action in this run.
    findings: [],
    networks: [fixedNetwork()],
    clusterSubnetIds: [PUBLIC_SUBNET, PRIVATE_SUBNET, NEW_SUBNET],
    allowMainRouteTable: false,
    allowSharedRouteTable: false,
    recycleStrategy: 'replace-unjoined',
    loopGuard: { allowed: true },
    secondsLeft: 840,
    earlierRouteFixes: [FIX],
    ...overrides,
  });
}

const recycles = (actions: Action[]) => actions.filter((a) => a.type === 'replace-instances');

describe('planRemediation after a route fixed at launch', () => {
  it('recycles an instance that launched before the fix and is still unjoined, saying when the route was fixed', () => {
    expect(recycles(plan([unjoined('2026-11-26T09:55:00.000Z')]))).toEqual([
      expect.objectContaining({ status: 'planned', routeTableId: NEW_TABLE, routeFixedAt: FIX_AT }),
    ]);
  });

  it.each([
    ['launched in the same second as the fix', '2026-11-26T09:55:02.000Z'],
    ['launched after the fix (it booted with egress: another cause)', '2026-11-26T09:56:00.000Z'],
  ])('never recycles an instance %s', (_, launchedAt) => {
    expect(recycles(plan([unjoined(launchedAt)]))).toEqual([
      expect.objectContaining({ status: 'skipped', reasonCode: 'NO_ROUTE_FIX' }),
    ]);
  });

  it.each([
    [
      'the route now goes to another NAT gateway',
      route('0.0.0.0/0', { kind: 'nat-gateway', id: 'nat-0other00000000000' }),
    ],
    ['the route is a blackhole', route('0.0.0.0/0', { kind: 'nat-gateway', id: NAT }, 'blackhole')],
    [
      'the route now goes to a transit gateway',
      route('0.0.0.0/0', { kind: 'transit-gateway', id: 'tgw-0abc' }),
    ],
  ])('recycles nothing when %s', (_, now) => {
    const actions = plan([unjoined('2026-11-26T09:55:00.000Z')], { networks: [fixedNetwork(now)] });
    expect(actions.filter((a) => a.status === 'planned' && a.type !== 'notify')).toEqual([]);
  });

  it('recycles nothing when someone moved the route to another NAT gateway that leads out too', () => {
    const other = 'nat-0other00000000000';
    const network = fixedNetwork(route('0.0.0.0/0', { kind: 'nat-gateway', id: other }));
    network.natGateways.push(natGateway({ natGatewayId: other, publicIps: ['203.0.113.26'] }));
    const actions = plan([unjoined('2026-11-26T09:55:00.000Z')], { networks: [network] });
    expect(actions.filter((a) => a.status === 'planned')).toEqual([]);
  });

  it('recycles nothing without an earlier fix of that table', () => {
    const other = { ...FIX, routeTableId: 'rtb-0private000000000' };
    expect(recycles(plan([unjoined('2026-11-26T09:55:00.000Z')], { earlierRouteFixes: [other] }))).toEqual([
      expect.objectContaining({ status: 'skipped', reasonCode: 'NO_ROUTE_FIX' }),
    ]);
  });

  it('scale-cycle names the earlier fix it relies on', () => {
    const [cycle] = plan([unjoined('2026-11-26T09:55:00.000Z')], {
      recycleStrategy: 'scale-cycle',
      nodegroup: nodegroup({
        autoScalingGroupNames: ['eks-ng-asg'],
        scaling: { minSize: 0, maxSize: 2, desiredSize: 1 },
      }),
    });
    expect(cycle).toMatchObject({
      type: 'scale-cycle',
      status: 'planned',
      routeTableIds: [NEW_TABLE],
      routesFixedEarlier: [{ routeTableId: NEW_TABLE, at: FIX_AT }],
    });
  });
});

describe('executePlan after a route fixed at launch', () => {
  it('carries out a recycle behind an earlier fix, and refuses one behind neither fix', async () => {
    const behindEarlier = recycles(plan([unjoined('2026-11-26T09:55:00.000Z')]))[0] as Action;
    const behindNone = {
      ...behindEarlier,
      instanceIds: ['i-0b2c3d4e5f6a70819'],
      resourceId: 'i-0b2c3d4e5f6a70819',
    };
    delete (behindNone as { routeFixedAt?: string }).routeFixedAt;
    const terminated: string[] = [];
    const results = await executePlan([behindEarlier, behindNone], {
      cluster: 'eks-workshop',
      nodegroup: 'new_nodegroup_2',
      region: 'us-west-2',
      log: silentLog,
      writer: {
        async terminateInstance(id: string) {
          terminated.push(id);
          return 'terminating' as const;
        },
        async readInstances(ids: string[]) {
          return ids.map((instanceId) => ({ instanceId, state: 'running', lifecycleState: 'InService' }));
        },
      },
      stillUnjoined: async (ids: string[]) => new Set(ids),
    } as never);
    expect(terminated).toEqual(['i-0a1b2c3d4e5f60718']);
    expect(results.map((a) => [a.status, a.reasonCode])).toEqual([
      ['done', undefined],
      ['skipped', 'ROUTE_NOT_FIXED'],
    ]);
  });
});

describe('property: an earlier fix lets the window check recycle exactly the instances that booted before it', () => {
  it('holds for any launch times, fix time and state of the route now', () => {
    const base = Date.parse('2026-11-26T09:50:00.000Z');
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 600 }), { minLength: 1, maxLength: 5 }),
        fc.integer({ min: 0, max: 600 }),
        fc.constantFrom('same NAT', 'other NAT', 'blackhole'),
        (launchOffsets, fixOffset, now) => {
          const at = (s: number) => new Date(base + s * 1000).toISOString();
          const verdicts = launchOffsets.map((s, n) => unjoined(at(s), `i-0${String(n).padStart(16, '0')}`));
          const current =
            now === 'same NAT'
              ? route('0.0.0.0/0', { kind: 'nat-gateway', id: NAT })
              : now === 'blackhole'
                ? route('0.0.0.0/0', { kind: 'nat-gateway', id: NAT }, 'blackhole')
                : route('0.0.0.0/0', { kind: 'nat-gateway', id: 'nat-0other00000000000' });
          const network = fixedNetwork(current);
          network.natGateways.push(natGateway({ natGatewayId: 'nat-0other00000000000' }));
          const actions = plan(verdicts, {
            networks: [network],
            earlierRouteFixes: [{ ...FIX, at: at(fixOffset) }],
          });
          const planned = actions
            .filter((a) => a.type === 'replace-instances' && a.status === 'planned')
            .flatMap((a) => (a.type === 'replace-instances' ? a.instanceIds : []));
          const expected =
            now === 'same NAT'
              ? verdicts
                  .filter((v) => Date.parse(v.launchedAt as string) < base + fixOffset * 1000)
                  .map((v) => v.instanceId)
              : [];
          expect(planned.sort()).toEqual(expected.sort());
          // Nothing else is ever written: the route is there.
          expect(actions.some((a) => a.type !== 'replace-instances' && a.status === 'planned')).toBe(false);
        },
      ),
      { numRuns: Number(process.env.PROPERTY_RUNS ?? 300) },
    );
  });
});

describe('the loop guard counts a fix at launch and the recycle behind it as one remediation', () => {
  const settings = { maxRemediations: 2, windowSeconds: 21_600 };
  const record = (actions: Action[], at = FIX_AT): RemediationRecord => ({
    cluster: 'eks-workshop',
    nodegroup: 'new_nodegroup_2',
    at,
    status: 'open',
    actions,
    replacedInstanceIds: [],
  });
  const routeFix = {
    type: 'create-route',
    resourceId: NEW_TABLE,
    routeTableId: NEW_TABLE,
    destination: '0.0.0.0/0',
    subnetIds: [NEW_SUBNET],
    natGatewayId: NAT,
    before: 'none',
    status: 'done',
    reason: '',
  } as Action;
  const recycle = (extra: Record<string, unknown>) =>
    ({
      type: 'replace-instances',
      resourceId: 'i-0a1b2c3d4e5f60718',
      instanceIds: ['i-0a1b2c3d4e5f60718'],
      autoScalingGroupName: 'eks-ng-asg',
      routeTableId: NEW_TABLE,
      status: 'done',
      reason: '',
      ...extra,
    }) as Action;

  it('allows another remediation after a fix at launch and its recycle', () => {
    const recent = [
      record([routeFix]),
      record([recycle({ routeFixedAt: FIX_AT })], '2026-11-26T10:00:10.000Z'),
    ];
    expect(evaluateLoopGuard(recent, settings)).toEqual({ allowed: true });
  });

  it('counts a recycle behind a fix of its own run, and a scale-cycle not wholly behind earlier fixes', () => {
    const cycle = {
      type: 'scale-cycle',
      resourceId: 'new_nodegroup_2',
      nodegroup: 'new_nodegroup_2',
      desiredSize: 1,
      instanceIds: ['i-0a1b2c3d4e5f60718'],
      routeTableIds: [NEW_TABLE, 'rtb-0other'],
      routesFixedEarlier: [{ routeTableId: NEW_TABLE, at: FIX_AT }],
      status: 'done',
      reason: '',
    } as Action;
    expect(evaluateLoopGuard([record([routeFix]), record([routeFix, recycle({})])], settings)).toMatchObject({
      allowed: false,
      remediations: 2,
    });
    expect(evaluateLoopGuard([record([routeFix]), record([cycle])], settings)).toMatchObject({
      allowed: false,
    });
  });
});
