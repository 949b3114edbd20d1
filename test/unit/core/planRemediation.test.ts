import { describe, expect, it } from 'vitest';
import type {
  Action,
  InstanceVerdict,
  NetworkSnapshot,
  RemediationRecord,
  RouteAction,
} from '../../../functions/core/model/types.js';
import { evaluateLoopGuard } from '../../../functions/core/remediate/loopGuard.js';
import { type PlanInput, planRemediation } from '../../../functions/core/remediate/planRemediation.js';
import { diagnoseRouting } from '../../support/diagnoseRouting.js';
import {
  IGW,
  instance,
  NAT,
  NEW_SUBNET,
  natGateway,
  nodegroup,
  PRIVATE_SUBNET,
  PUBLIC_SUBNET,
  route,
  routeTable,
  seedNetwork,
  subnet,
  withNatInZoneB,
} from '../../support/factories.js';

const RTB = 'rtb-0f1e2d3c4b5a69788';
const DB_SUBNET = 'subnet-0db0000000000001';
const INSTANCE = 'i-0a1b2c3d4e5f60718';

function unjoined(instanceId = INSTANCE): InstanceVerdict {
  return {
    instanceId,
    subnetId: NEW_SUBNET,
    joined: false,
    pending: false,
    state: 'running',
    launchedAt: '2026-11-26T09:00:00Z',
  };
}

/** A plan for the seed (or a variant of its network), with the diagnosis made as the check makes it. */
function plan(overrides: Partial<PlanInput> & { network?: NetworkSnapshot } = {}): Action[] {
  const network = overrides.network ?? seedNetwork();
  const verdicts = overrides.verdicts ?? [unjoined()];
  const instances = verdicts.map((v) =>
    instance({ instanceId: v.instanceId, autoScalingGroupName: 'eks-ng-asg' }),
  );
  const unjoinedInstances = instances.filter((i) =>
    verdicts.some((v) => v.instanceId === i.instanceId && v.joined === false && !v.pending),
  );
  const findings =
    overrides.findings ?? diagnoseRouting({ region: 'us-west-2', network, instances: unjoinedInstances });
  return planRemediation({
    region: 'us-west-2',
    cluster: 'eks-workshop',
    nodegroup: nodegroup({ autoScalingGroupNames: ['eks-ng-asg'] }),
    verdicts,
    instances,
    findings,
    networks: [network],
    clusterSubnetIds: [PUBLIC_SUBNET, PRIVATE_SUBNET, NEW_SUBNET],
    allowMainRouteTable: false,
    allowSharedRouteTable: false,
    recycleStrategy: 'replace-unjoined',
    loopGuard: { allowed: true },
    secondsLeft: 840,
    ...overrides,
  });
}

function withNewTable(
  routes: Parameters<typeof routeTable>[2],
  extra: Partial<NetworkSnapshot> = {},
  subnetIds = [NEW_SUBNET],
): NetworkSnapshot {
  const network = seedNetwork(extra);
  network.routeTables = network.routeTables.map((t) =>
    t.routeTableId === RTB ? routeTable(RTB, subnetIds, routes) : t,
  );
  return network;
}

const routeActionOf = (actions: Action[]) => actions[0] as RouteAction;
const shape = (actions: Action[]) => actions.map((a) => [a.type, a.status, a.reasonCode]);

describe('planRemediation: routes', () => {
  it('plans the seed fix: the route to the same-zone NAT gateway, naming every subnet it serves, then the unjoined instance', () => {
    const actions = plan();
    expect(actions).toEqual([
      expect.objectContaining({
        type: 'create-route',
        resourceId: RTB,
        routeTableId: RTB,
        target: NAT,
        natGatewayId: NAT,
        subnetIds: [NEW_SUBNET],
        status: 'planned',
        before: 'no 0.0.0.0/0 route',
        after: `0.0.0.0/0 → ${NAT} (active)`,
        undo: `aws ec2 delete-route --route-table-id ${RTB} --destination-cidr-block 0.0.0.0/0 --region us-west-2`,
      }),
      expect.objectContaining({
        type: 'replace-instances',
        resourceId: INSTANCE,
        instanceIds: [INSTANCE],
        autoScalingGroupName: 'eks-ng-asg',
        routeTableId: RTB,
        status: 'planned',
      }),
    ]);
    expect(routeActionOf(actions).crossZone).toBeUndefined();
  });

  it('uses a NAT gateway in another zone when the subnet zone has none that leads out, and says so', () => {
    const network = withNatInZoneB('nat-0b');
    const routeAction = routeActionOf(plan({ network }));
    expect(routeAction).toMatchObject({
      type: 'create-route',
      target: 'nat-0b',
      status: 'planned',
      crossZone: true,
    });
    expect(routeAction.reason).toContain('crosses zones');
  });

  it('chooses only a NAT gateway that leads out, and says why each other one does not', () => {
    const network = seedNetwork({
      subnets: [...seedNetwork().subnets, subnet('subnet-0pubb', 'us-west-2b', '10.42.32.0/19')],
      natGateways: [
        natGateway({ natGatewayId: 'nat-0private', connectivityType: 'private' }),
        natGateway({ natGatewayId: 'nat-0pending', state: 'pending' }),
        // In a subnet on the main table, which has no route to the internet gateway.
        natGateway({ natGatewayId: 'nat-0nointernet', subnetId: 'subnet-0pubb' }),
        // In the unjoined subnet itself: routing to it is a loop.
        natGateway({ natGatewayId: 'nat-0loop', subnetId: NEW_SUBNET }),
        natGateway({ natGatewayId: 'nat-0othervpc', vpcId: 'vpc-0other' }),
      ],
    });
    const actions = plan({ network });
    expect(shape(actions)).toEqual([
      ['create-route', 'skipped', 'NO_USABLE_NAT'],
      ['replace-instances', 'skipped', 'NO_ROUTE_FIX'],
    ]);
    expect(routeActionOf(actions).rejectedNatGateways).toEqual([
      { natGatewayId: 'nat-0loop', why: 'IN_PATCHED_TABLE' },
      { natGatewayId: 'nat-0nointernet', why: 'NO_INTERNET_ROUTE' },
      { natGatewayId: 'nat-0othervpc', why: 'OTHER_VPC' },
      { natGatewayId: 'nat-0pending', why: 'NOT_AVAILABLE' },
      { natGatewayId: 'nat-0private', why: 'PRIVATE_CONNECTIVITY' },
    ]);
    expect(routeActionOf(actions).reason).toContain(
      'nat-0loop is in a subnet this very table serves (a loop)',
    );
    expect(routeActionOf(actions).manualFix).toContain(
      `aws ec2 create-nat-gateway --subnet-id ${PUBLIC_SUBNET} --allocation-id <eipalloc-id> --region us-west-2`,
    );
    expect(routeActionOf(actions).undo).toBeUndefined();
  });

  it('refuses a NAT gateway whose internet gateway is detached, or when the internet gateways are not known', () => {
    const detached = plan({
      network: seedNetwork({ internetGateways: [{ internetGatewayId: IGW, attachedVpcIds: [] }] }),
    });
    expect(routeActionOf(detached).rejectedNatGateways).toEqual([
      { natGatewayId: NAT, why: 'INTERNET_GATEWAY_NOT_ATTACHED' },
    ]);
    const unknown = plan({ network: { ...seedNetwork(), internetGateways: undefined } });
    expect(routeActionOf(unknown).rejectedNatGateways).toEqual([
      { natGatewayId: NAT, why: 'INTERNET_GATEWAYS_UNKNOWN' },
    ]);
  });

  it('replaces a blackholed NAT gateway route, with the undo that restores the old target', () => {
    const network = withNewTable([route('0.0.0.0/0', { kind: 'nat-gateway', id: 'nat-0dead' }, 'blackhole')]);
    expect(routeActionOf(plan({ network }))).toMatchObject({
      type: 'replace-route',
      status: 'planned',
      target: NAT,
      before: '0.0.0.0/0 → nat-0dead (blackhole)',
      previous: {
        destination: '0.0.0.0/0',
        target: { kind: 'nat-gateway', id: 'nat-0dead' },
        state: 'blackhole',
      },
      undo: `aws ec2 replace-route --route-table-id ${RTB} --destination-cidr-block 0.0.0.0/0 --nat-gateway-id nat-0dead --region us-west-2`,
    });
  });

  it.each(['deleted', 'deleting', 'failed'])(
    'replaces an active-looking route whose NAT gateway is %s',
    (state) => {
      const network = withNewTable([route('0.0.0.0/0', { kind: 'nat-gateway', id: 'nat-0dead' })], {
        natGateways: [natGateway(), natGateway({ natGatewayId: 'nat-0dead', state })],
      });
      expect(routeActionOf(plan({ network }))).toMatchObject({
        type: 'replace-route',
        status: 'planned',
        target: NAT,
      });
    },
  );

  it('never replaces a route to a NAT gateway that is still pending: someone is creating it', () => {
    const network = withNewTable([route('0.0.0.0/0', { kind: 'nat-gateway', id: 'nat-0new' })], {
      natGateways: [natGateway(), natGateway({ natGatewayId: 'nat-0new', state: 'pending' })],
    });
    const actions = plan({ network });
    expect(shape(actions)).toEqual([
      ['replace-route', 'skipped', 'ROUTE_NOT_DEAD'],
      ['replace-instances', 'skipped', 'NO_ROUTE_FIX'],
    ]);
  });

  it.each([
    { kind: 'transit-gateway', id: 'tgw-0123' },
    { kind: 'network-interface', id: 'eni-0firewall' },
    { kind: 'instance', id: 'i-0firewall' },
    { kind: 'vpc-peering', id: 'pcx-0123' },
    { kind: 'vpc-endpoint', id: 'vpce-0gwlb' },
  ] as const)('reports a blackholed default route to a $kind for a person, never replacing it', (target) => {
    const network = withNewTable([route('0.0.0.0/0', target, 'blackhole')]);
    const actions = plan({ network });
    expect(shape(actions)).toEqual([
      ['replace-route', 'skipped', 'ROUTE_NOT_NAT'],
      ['replace-instances', 'skipped', 'NO_ROUTE_FIX'],
    ]);
    expect(actions[0]?.reason).toContain('never replaced automatically');
  });

  it('never touches an active default route to a transit gateway, and does not churn the nodes', () => {
    const network = withNewTable([route('0.0.0.0/0', { kind: 'transit-gateway', id: 'tgw-0123' })]);
    expect(plan({ network })).toEqual([
      expect.objectContaining({ type: 'replace-instances', status: 'skipped', reasonCode: 'NO_ROUTE_FIX' }),
    ]);
  });

  it('recognises egress through a prefix list that covers the internet: no finding, no write', () => {
    const network = withNewTable([route('pl-0egress', { kind: 'transit-gateway', id: 'tgw-0inspect' })], {
      prefixLists: [{ prefixListId: 'pl-0egress', cidrs: ['0.0.0.0/0'] }],
    });
    expect(diagnoseRouting({ region: 'us-west-2', network, instances: [instance()] })).toEqual([]);
    expect(plan({ network }).filter((a) => a.type === 'create-route')).toEqual([]);
  });

  it('recognises internet-minus-private-space lists and split routes as egress', () => {
    const everythingButPrivate = [
      '0.0.0.0/5',
      '8.0.0.0/7',
      '11.0.0.0/8',
      '12.0.0.0/6',
      '16.0.0.0/4',
      '32.0.0.0/3',
      '64.0.0.0/2',
      '128.0.0.0/1',
    ];
    const lists = withNewTable([route('pl-0public', { kind: 'network-interface', id: 'eni-0fw' })], {
      prefixLists: [{ prefixListId: 'pl-0public', cidrs: everythingButPrivate }],
    });
    const split = withNewTable([
      route('0.0.0.0/1', { kind: 'transit-gateway', id: 'tgw-0123' }),
      route('128.0.0.0/1', { kind: 'transit-gateway', id: 'tgw-0123' }),
    ]);
    for (const network of [lists, split]) {
      expect(diagnoseRouting({ region: 'us-west-2', network, instances: [instance()] })).toEqual([]);
    }
  });

  it('never writes over a prefix list whose entries could not be read, and says so', () => {
    const network = withNewTable([route('pl-0secret', { kind: 'transit-gateway', id: 'tgw-0inspect' })], {
      prefixLists: [{ prefixListId: 'pl-0secret' }],
    });
    expect(diagnoseRouting({ region: 'us-west-2', network, instances: [instance()] })).toEqual([]);
    const actions = plan({ network, findings: [] });
    expect(shape(actions)).toEqual([
      ['create-route', 'skipped', 'EGRESS_UNKNOWN'],
      ['replace-instances', 'skipped', 'NO_ROUTE_FIX'],
    ]);
    expect(routeActionOf(actions)).toMatchObject({ prefixListId: 'pl-0secret' });
    expect(actions[0]?.reason).toContain('pl-0secret');
  });

  it('still fixes a subnet whose only other routes are no way out (peering, S3 gateway endpoint, a partial list)', () => {
    const network = withNewTable(
      [
        route('10.99.0.0/16', { kind: 'vpc-peering', id: 'pcx-0123' }),
        route('pl-0s3', { kind: 'vpc-endpoint', id: 'vpce-0s3' }),
        route('pl-0partial', { kind: 'transit-gateway', id: 'tgw-0123' }),
      ],
      {
        prefixLists: [
          { prefixListId: 'pl-0s3', ownerId: 'AWS', name: 'com.amazonaws.us-west-2.s3' },
          { prefixListId: 'pl-0partial', cidrs: ['8.8.8.0/24'] },
        ],
      },
    );
    expect(shape(plan({ network }))).toEqual([
      ['create-route', 'planned', undefined],
      ['replace-instances', 'planned', undefined],
    ]);
  });

  it('gives a subnet whose only way out is IPv6 its own finding, and writes no IPv4 route', () => {
    const network = withNewTable([route('::/0', { kind: 'egress-only-internet-gateway', id: 'eigw-0123' })]);
    const findings = diagnoseRouting({ region: 'us-west-2', network, instances: [instance()] });
    expect(findings.map((f) => f.code)).toEqual(['IPV6_ONLY_EGRESS']);
    expect(shape(plan({ network }))).toEqual([['replace-instances', 'skipped', 'NO_ROUTE_FIX']]);
  });

  it('refuses the VPC main route table unless allowed, naming every subnet it serves', () => {
    const network = seedNetwork();
    network.routeTables = network.routeTables.filter((t) => t.routeTableId !== RTB);
    const refused = plan({ network });
    expect(refused[0]).toMatchObject({
      type: 'create-route',
      resourceId: 'rtb-0main000000000000',
      status: 'skipped',
      reasonCode: 'MAIN_ROUTE_TABLE',
      subnetIds: [NEW_SUBNET],
    });
    expect(refused[0]?.reason).toContain('ALLOW_MAIN_ROUTE_TABLE=true');
    expect((refused[0] as RouteAction).manualFix).toContain(
      'aws ec2 create-route --route-table-id rtb-0main000000000000',
    );
    expect(refused[1]).toMatchObject({ type: 'replace-instances', status: 'skipped' });

    const allowed = plan({ network, allowMainRouteTable: true });
    expect(allowed.map((a) => a.status)).toEqual(['planned', 'planned']);
  });

  describe('a route table shared with a subnet outside the cluster', () => {
    const shared = () =>
      withNewTable(
        [],
        { subnets: [...seedNetwork().subnets, subnet(DB_SUBNET, 'us-west-2a', '10.42.224.0/20')] },
        [NEW_SUBNET, DB_SUBNET],
      );

    it('is refused, naming the outside subnet and the setting that allows it', () => {
      const actions = plan({ network: shared() });
      expect(shape(actions)).toEqual([
        ['create-route', 'skipped', 'SHARED_ROUTE_TABLE'],
        ['replace-instances', 'skipped', 'NO_ROUTE_FIX'],
      ]);
      expect(routeActionOf(actions)).toMatchObject({
        subnetIds: [NEW_SUBNET, DB_SUBNET],
        outsideSubnetIds: [DB_SUBNET],
      });
      expect(actions[0]?.reason).toContain(`also serves ${DB_SUBNET}, which belongs to no nodegroup`);
      expect(routeActionOf(actions).manualFix).toContain(`aws ec2 create-route --route-table-id ${RTB}`);
    });

    it('is patched when tagged eks-join-remediator/managed=true, or with ALLOW_SHARED_ROUTE_TABLE', () => {
      const tagged = shared();
      tagged.routeTables = tagged.routeTables.map((t) =>
        t.routeTableId === RTB ? { ...t, tags: { 'eks-join-remediator/managed': 'true' } } : t,
      );
      expect(plan({ network: tagged }).map((a) => a.status)).toEqual(['planned', 'planned']);
      expect(plan({ network: shared(), allowSharedRouteTable: true }).map((a) => a.status)).toEqual([
        'planned',
        'planned',
      ]);
    });

    it('is not shared when the other subnet belongs to another nodegroup of the cluster', () => {
      const actions = plan({
        network: shared(),
        clusterSubnetIds: [PUBLIC_SUBNET, PRIVATE_SUBNET, NEW_SUBNET, DB_SUBNET],
      });
      expect(actions.map((a) => a.status)).toEqual(['planned', 'planned']);
    });
  });
});

describe('planRemediation: recycling', () => {
  it('never recycles nodes that joined, are still booting, or whose membership is unknown', () => {
    const joined: InstanceVerdict = { ...unjoined('i-0joined'), joined: true };
    const pending: InstanceVerdict = { ...unjoined('i-0pending'), pending: true };
    const unknown: InstanceVerdict = { ...unjoined('i-0unknown'), joined: null };
    const actions = plan({ verdicts: [unjoined(), joined, pending, unknown] });
    expect(actions.flatMap((a) => (a.type === 'replace-instances' ? a.instanceIds : []))).toEqual([INSTANCE]);
  });

  it('uses scale-cycle when asked and every instance is unjoined past its window', () => {
    const actions = plan({ recycleStrategy: 'scale-cycle', verdicts: [unjoined(), unjoined('i-0second')] });
    expect(actions[1]).toMatchObject({
      type: 'scale-cycle',
      resourceId: 'new_nodegroup_2',
      nodegroup: 'new_nodegroup_2',
      desiredSize: 2,
      instanceIds: [INSTANCE, 'i-0second'],
      routeTableIds: [RTB],
      status: 'planned',
      undo: 'aws eks update-nodegroup-config --cluster-name eks-workshop --nodegroup-name new_nodegroup_2 --scaling-config desiredSize=2 --region us-west-2',
    });
    expect(actions).toHaveLength(2);
  });

  it.each([
    ['INSTANCES_JOINED', { verdicts: [unjoined(), { ...unjoined('i-0joined'), joined: true }] }],
    ['INSTANCES_PENDING', { verdicts: [unjoined(), { ...unjoined('i-0booting'), pending: true }] }],
    ['MEMBERSHIP_UNKNOWN', { verdicts: [unjoined(), { ...unjoined('i-0unknown'), joined: null }] }],
    [
      'MIN_SIZE',
      {
        nodegroup: nodegroup({
          autoScalingGroupNames: ['eks-ng-asg'],
          scaling: { minSize: 1, maxSize: 2, desiredSize: 1 },
        }),
      },
    ],
    ['NOT_ENOUGH_TIME', { secondsLeft: 120 }],
  ] as [string, Partial<PlanInput>][])(
    'falls back from scale-cycle to replacing only the unjoined (%s), and says why',
    (code, overrides) => {
      const actions = plan({ recycleStrategy: 'scale-cycle', ...overrides });
      const recycled = actions.filter((a) => a.type === 'replace-instances' || a.type === 'scale-cycle');
      expect(recycled).toEqual([
        expect.objectContaining({
          type: 'replace-instances',
          instanceIds: [INSTANCE],
          status: 'planned',
          scaleCycleBlockedBy: code,
        }),
      ]);
      expect(recycled[0]?.reason).toContain('scale-cycle not used');
    },
  );

  it('turns every write into a skip with the loop guard past the limit, keeping the plan as data', () => {
    const records = [1, 2].map(
      (n): RemediationRecord => ({
        cluster: 'eks-workshop',
        nodegroup: 'new_nodegroup_2',
        at: `2026-11-26T0${n}:00:00.000Z`,
        status: 'escalated',
        actions: [],
        replacedInstanceIds: [],
      }),
    );
    const loopGuard = evaluateLoopGuard(records, { maxRemediations: 2, windowSeconds: 21600 });
    const actions = plan({ loopGuard });
    expect(shape(actions)).toEqual([
      ['create-route', 'skipped', 'LOOP_GUARD'],
      ['replace-instances', 'skipped', 'LOOP_GUARD'],
    ]);
    expect(actions[0]).toMatchObject({
      loopGuard: { remediations: 2, limit: 2, windowSeconds: 21600 },
      natGatewayId: NAT,
    });
    expect(actions[0]?.reason).toMatch(/^loop guard: 2 remediation\(s\) of this nodegroup in the last 6 h/);
  });

  it('plans no write for the causes a person must fix (endpoints, ACLs, security groups, DNS, node role)', () => {
    const codes = [
      'MISSING_VPC_ENDPOINTS',
      'ENDPOINT_ACCESS_EXCLUDES_NODES',
      'NACL_BLOCKS_EGRESS',
      'SECURITY_GROUP_BLOCKS_EGRESS',
      'VPC_DNS_DISABLED',
      'NODE_ROLE_MISSING_POLICY',
      'NODE_ROLE_NOT_AUTHORIZED',
      'NODEGROUP_HEALTH_ISSUE',
      'NO_PUBLIC_IP',
      'IPV6_ONLY_EGRESS',
    ] as const;
    const findings = codes.map((code) => ({
      code,
      severity: 'critical' as const,
      resourceId: RTB,
      routeTableId: RTB,
      subnetId: NEW_SUBNET,
      natGatewayId: NAT,
      instanceIds: [INSTANCE],
      message: code,
      fix: 'by hand',
    }));
    const actions = plan({ findings });
    expect(shape(actions)).toEqual([['replace-instances', 'skipped', 'NO_ROUTE_FIX']]);
  });

  it('plans nothing for a healthy nodegroup', () => {
    expect(plan({ verdicts: [], findings: [] })).toEqual([]);
  });
});
