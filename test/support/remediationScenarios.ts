/**
 * Generated accounts for the remediation properties: one VPC laid out the ways real accounts are
 * (main and explicit route tables, tables shared with subnets outside the cluster, default routes to
 * every kind of target in every state, prefix lists readable or not, split routes, IPv6-only egress,
 * NAT gateways of every state and connectivity in public, private and unjoined subnets), a nodegroup
 * whose instances joined, are still booting or never joined, and faults on the writes. Each scenario
 * is run through the real check (runCheck) against the in-memory account, and the invariants are
 * judged on what the account looks like before and after, with oracles written from the rules, not
 * from the code under test.
 */
import fc from 'fast-check';
import { alertFacts } from '../../functions/alerts/alertFacts.js';
import { runCheck } from '../../functions/core/check/runCheck.js';
import type { CheckRequest, CheckResult } from '../../functions/core/model/check.js';
import type { AlertPublisher } from '../../functions/core/model/ports.js';
import { silentLog } from '../../functions/core/model/ports.js';
import type {
  NatGateway,
  NetworkSnapshot,
  NodegroupReport,
  Policy,
  Report,
  Route,
  RouteTable,
  RouteTarget,
} from '../../functions/core/model/types.js';
import { MemoryStateStore } from '../../functions/state/MemoryStateStore.js';
import {
  FakeAccount,
  type FakeAccountSpec,
  type FakeInstance,
  type Fault,
  type FaultOp,
} from './fakeAccount.js';
import { fakeClock } from './stateStoreContract.js';

export const VPC = 'vpc-0prop000000000001';
export const NOW = '2026-11-26T10:00:00.000Z';
export const JOIN_WINDOW_SECONDS = 300;
const ASG = 'eks-ng-prop-asg';
const NODEGROUP = 'ng';
const CLUSTER = 'prop';

const SUBNETS = {
  'subnet-pub-a': 'us-west-2a',
  'subnet-pub-b': 'us-west-2b',
  'subnet-node-a': 'us-west-2a',
  'subnet-node-b': 'us-west-2b',
  'subnet-other': 'us-west-2b',
  'subnet-db': 'us-west-2a',
} as const;
type SubnetId = keyof typeof SUBNETS;
const SUBNET_IDS = Object.keys(SUBNETS) as SubnetId[];
const NODE_SUBNETS: SubnetId[] = ['subnet-node-a', 'subnet-node-b'];
const TABLES = ['rtb-main', 'rtb-1', 'rtb-2', 'rtb-3', 'rtb-4'] as const;
const NATS = ['nat-1', 'nat-2', 'nat-3'] as const;

export interface Scenario {
  spec: FakeAccountSpec;
  allowMainRouteTable: boolean;
  allowSharedRouteTable: boolean;
  recycleStrategy: 'replace-unjoined' | 'scale-cycle';
  /** Remediations already in the state table within the loop-guard window. */
  earlierRemediations: number;
  faults: { op: FaultOp; fault: Fault }[];
}

// --- generators -------------------------------------------------------------------------------------

const routeTarget: fc.Arbitrary<RouteTarget> = fc.oneof(
  fc.constantFrom<RouteTarget>(
    { kind: 'internet-gateway', id: 'igw-attached' },
    { kind: 'internet-gateway', id: 'igw-detached' },
    { kind: 'transit-gateway', id: 'tgw-inspection' },
    { kind: 'network-interface', id: 'eni-firewall' },
    { kind: 'instance', id: 'i-0firewall00000001' },
    { kind: 'vpc-peering', id: 'pcx-egress' },
    { kind: 'vpc-endpoint', id: 'vpce-gwlb' },
    { kind: 'nat-gateway', id: 'nat-gone' },
  ),
  fc.constantFrom(...NATS).map((id): RouteTarget => ({ kind: 'nat-gateway', id })),
);

const routeState = fc.constantFrom('active', 'active', 'active', 'blackhole');

const LOCAL: Route = { destination: '10.42.0.0/16', target: { kind: 'local' }, state: 'active' };

/** An active route to `destination` through a target other than local. */
const via = (destination: string, target: Exclude<RouteTarget, { kind: 'local' }>): Route => ({
  destination,
  target,
  state: 'active',
});

/** Any mix of routes: default routes to every target in every state, prefix lists, split routes, IPv6. */
const anyRoutes: fc.Arbitrary<Route[]> = fc
  .record({
    byDefault: fc.option(fc.record({ target: routeTarget, state: routeState }), { nil: undefined }),
    prefixList: fc.option(fc.constantFrom('pl-egress', 'pl-split', 'pl-unreadable', 'pl-partial', 'pl-s3'), {
      nil: undefined,
    }),
    prefixListState: routeState,
    split: fc.option(
      fc.constantFrom<RouteTarget>(
        { kind: 'transit-gateway', id: 'tgw-inspection' },
        { kind: 'nat-gateway', id: 'nat-1' },
      ),
      { nil: undefined },
    ),
    peering: fc.boolean(),
    ipv6: fc.boolean(),
  })
  .map(({ byDefault, prefixList, prefixListState, split, peering, ipv6 }) => {
    const routes: Route[] = [LOCAL];
    if (byDefault) routes.push({ destination: '0.0.0.0/0', ...byDefault });
    if (prefixList) {
      routes.push({
        destination: prefixList,
        target:
          prefixList === 'pl-s3'
            ? { kind: 'vpc-endpoint', id: 'vpce-s3' }
            : { kind: 'transit-gateway', id: 'tgw-inspection' },
        state: prefixListState,
      });
    }
    if (split) {
      routes.push({ destination: '0.0.0.0/1', target: split, state: 'active' });
      routes.push({ destination: '128.0.0.0/1', target: split, state: 'active' });
    }
    if (peering) routes.push(via('10.99.0.0/16', { kind: 'vpc-peering', id: 'pcx-egress' }));
    if (ipv6) routes.push(via('::/0', { kind: 'egress-only-internet-gateway', id: 'eigw-1' }));
    return routes;
  });

/** The seed's case: no way out, maybe routes that are no egress (peering, S3's list, a partial list). */
const unjoinedRoutes: fc.Arbitrary<Route[]> = fc
  .subarray<Route>([
    via('10.99.0.0/16', { kind: 'vpc-peering', id: 'pcx-egress' }),
    via('pl-s3', { kind: 'vpc-endpoint', id: 'vpce-s3' }),
    via('pl-partial', { kind: 'transit-gateway', id: 'tgw-inspection' }),
  ])
  .map((routes) => [LOCAL, ...routes]);

/** A default route that carries nothing: blackholed, or to a NAT gateway that is gone or not available. */
const deadRoutes: fc.Arbitrary<Route[]> = fc
  .record({
    target: fc.oneof(
      {
        weight: 3,
        arbitrary: fc
          .constantFrom(...NATS, 'nat-gone')
          .map((id): RouteTarget => ({ kind: 'nat-gateway', id })),
      },
      { weight: 1, arbitrary: routeTarget },
    ),
    state: fc.constantFrom('active', 'blackhole'),
  })
  .map((route) => [LOCAL, { destination: '0.0.0.0/0', ...route }]);

/** Routes that are egress of some kind: through a firewall, split, a prefix list (readable or not), or IPv6 only. */
const egressRoutes: fc.Arbitrary<Route[]> = fc
  .constantFrom<Route[]>(
    [via('pl-egress', { kind: 'transit-gateway', id: 'tgw-inspection' })],
    [via('pl-split', { kind: 'vpc-endpoint', id: 'vpce-gwlb' })],
    [via('pl-unreadable', { kind: 'transit-gateway', id: 'tgw-inspection' })],
    [
      via('0.0.0.0/1', { kind: 'network-interface', id: 'eni-firewall' }),
      via('128.0.0.0/1', { kind: 'network-interface', id: 'eni-firewall' }),
    ],
    [via('::/0', { kind: 'egress-only-internet-gateway', id: 'eigw-1' })],
    [via('0.0.0.0/0', { kind: 'nat-gateway', id: 'nat-1' })],
    [via('0.0.0.0/0', { kind: 'transit-gateway', id: 'tgw-inspection' })],
  )
  .map((routes) => [LOCAL, ...routes]);

const tableRoutes: fc.Arbitrary<Route[]> = fc.oneof(
  { weight: 5, arbitrary: unjoinedRoutes },
  { weight: 2, arbitrary: deadRoutes },
  { weight: 3, arbitrary: egressRoutes },
  { weight: 2, arbitrary: anyRoutes },
);

/** The public-looking table: usually a live route to the attached internet gateway. */
const publicRoutes: fc.Arbitrary<Route[]> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.constant<Route[]>([
      LOCAL,
      via('0.0.0.0/0', { kind: 'internet-gateway', id: 'igw-attached' }),
    ]),
  },
  { weight: 1, arbitrary: tableRoutes },
);

const natGateway = (natGatewayId: string): fc.Arbitrary<NatGateway | undefined> =>
  fc.option(
    fc.record({
      natGatewayId: fc.constant(natGatewayId),
      vpcId: fc.constantFrom(VPC, VPC, VPC, VPC, 'vpc-0other0000000001'),
      subnetId: fc.constantFrom<string>(
        'subnet-pub-a',
        'subnet-pub-b',
        'subnet-pub-a',
        'subnet-pub-b',
        ...SUBNET_IDS,
      ),
      state: fc.constantFrom(
        'available',
        'available',
        'available',
        'pending',
        'pending',
        'deleting',
        'deleted',
        'failed',
      ),
      connectivityType: fc.constantFrom<'public' | 'private'>('public', 'public', 'public', 'private'),
      publicIps: fc.constant(['203.0.113.7']),
    }),
    { nil: undefined, freq: 4 },
  );

function goodNat(natGatewayId: string, subnetId: string): NatGateway {
  return {
    natGatewayId,
    vpcId: VPC,
    subnetId,
    state: 'available',
    connectivityType: 'public',
    publicIps: ['203.0.113.7'],
  };
}

type InstanceKind = 'joined' | 'joined-unlabelled' | 'pending' | 'unjoined';

const ALL_FAULT_OPS: FaultOp[] = [
  'createRoute',
  'replaceRoute',
  'terminateInstance',
  'setDesiredSize',
  'readRouteTable',
  'readNatGateways',
  'readInstances',
  'readNodegroupScaling',
];

const faultOf = (ops: FaultOp[] = ALL_FAULT_OPS): fc.Arbitrary<{ op: FaultOp; fault: Fault }> =>
  fc.record({
    op: fc.constantFrom(...ops),
    fault: fc.oneof(
      fc.constant<Fault>({ kind: 'lost' }),
      fc
        .constantFrom('UnauthorizedOperation', 'AccessDenied', 'Throttling', 'InternalError')
        .map((name): Fault => ({ kind: 'error', name })),
    ),
  });

export interface ScenarioOptions {
  /** Inject faults into the writes and fresh reads. */
  faults?: boolean;
  /** Lean towards scale-cycle: that strategy, a minimum size of 0, mostly unjoined instances. */
  scaleCycle?: boolean;
}

export function scenarios(options: ScenarioOptions = {}): fc.Arbitrary<Scenario> {
  const kinds: InstanceKind[] = options.scaleCycle
    ? ['unjoined', 'unjoined', 'unjoined', 'unjoined', 'unjoined', 'unjoined', 'pending', 'joined']
    : ['unjoined', 'unjoined', 'unjoined', 'joined', 'joined-unlabelled', 'pending'];
  const faultOps: FaultOp[] | undefined = options.scaleCycle
    ? ['setDesiredSize', 'setDesiredSize', 'setDesiredSize', 'readNodegroupScaling', 'createRoute']
    : undefined;
  return fc
    .record({
      association: fc.record(
        Object.fromEntries(
          SUBNET_IDS.map((s) => [
            s,
            NODE_SUBNETS.includes(s)
              ? fc.constantFrom<(typeof TABLES)[number]>('rtb-2', 'rtb-2', 'rtb-2', ...TABLES)
              : fc.constantFrom(...TABLES),
          ]),
        ) as Record<SubnetId, fc.Arbitrary<(typeof TABLES)[number]>>,
      ),
      routes: fc.record({
        'rtb-main': tableRoutes,
        'rtb-1': publicRoutes,
        // The nodes' own table: most often the seed's case.
        'rtb-2': fc.oneof(
          { weight: 3, arbitrary: unjoinedRoutes },
          { weight: 2, arbitrary: deadRoutes },
          { weight: 1, arbitrary: tableRoutes },
        ),
        'rtb-3': tableRoutes,
        'rtb-4': tableRoutes,
      }),
      managed: fc.record({
        'rtb-main': fc.boolean(),
        'rtb-1': fc.boolean(),
        'rtb-2': fc.boolean(),
        'rtb-3': fc.boolean(),
        'rtb-4': fc.boolean(),
      }),
      nats: fc.tuple(
        fc.oneof(
          { weight: 2, arbitrary: fc.constant(goodNat('nat-1', 'subnet-pub-a')) },
          { weight: 1, arbitrary: natGateway('nat-1') },
        ),
        natGateway('nat-2'),
        natGateway('nat-3'),
      ),
      internetGatewaysKnown: fc.constantFrom(true, true, true, true, false),
      pubAssociation: fc.constantFrom('rtb-1', 'rtb-1', 'rtb-1', 'other'),
      instances: fc.array(
        fc.record({ subnetId: fc.constantFrom(...NODE_SUBNETS), kind: fc.constantFrom(...kinds) }),
        { minLength: 0, maxLength: 4 },
      ),
      membershipUnknown: fc.constantFrom(false, false, false, false, false, false, false, false, false, true),
      minSize: options.scaleCycle ? fc.constant(0) : fc.constantFrom(0, 0, 1),
      extraDesired: fc.constantFrom(0, 0, 1),
      clusterSubnets: fc.subarray(['subnet-pub-a', 'subnet-pub-b', 'subnet-node-a', 'subnet-node-b']),
      allowMainRouteTable: fc.boolean(),
      allowSharedRouteTable: fc.constantFrom(false, false, true),
      recycleStrategy: options.scaleCycle
        ? fc.constant<'scale-cycle'>('scale-cycle')
        : fc.constantFrom<'replace-unjoined' | 'scale-cycle'>('replace-unjoined', 'scale-cycle'),
      earlierRemediations: fc.constantFrom(0, 0, 0, 0, 1, 2),
      faults: options.faults ? fc.array(faultOf(faultOps), { maxLength: 6 }) : fc.constant([]),
    })
    .map((g): Scenario => {
      // Public subnets mostly sit on the public-looking table, as in a real VPC.
      const association = { ...g.association };
      if (g.pubAssociation === 'rtb-1') {
        association['subnet-pub-a'] = 'rtb-1';
        association['subnet-pub-b'] = 'rtb-1';
      }
      const routeTables: RouteTable[] = TABLES.map(
        (id): RouteTable => ({
          routeTableId: id,
          vpcId: VPC,
          main: id === 'rtb-main',
          subnetIds: SUBNET_IDS.filter((s) => id !== 'rtb-main' && association[s] === id) as string[],
          // Each table its own route objects (generated constants are shared between draws).
          routes: structuredClone(g.routes[id]),
          tags: g.managed[id] ? { 'eks-join-remediator/managed': 'true' } : {},
        }),
      );
      const network: NetworkSnapshot = {
        vpcId: VPC,
        subnets: SUBNET_IDS.map((subnetId, n) => ({
          subnetId,
          vpcId: VPC,
          availabilityZone: SUBNETS[subnetId],
          cidrBlock: `10.42.${n * 32}.0/19`,
          mapPublicIpOnLaunch: false,
        })),
        routeTables,
        natGateways: g.nats.filter((n): n is NatGateway => n !== undefined),
        ...(g.internetGatewaysKnown && {
          internetGateways: [
            { internetGatewayId: 'igw-attached', attachedVpcIds: [VPC] },
            { internetGatewayId: 'igw-detached', attachedVpcIds: [] },
          ],
        }),
        prefixLists: [
          { prefixListId: 'pl-egress', ownerId: '123456789012', addressFamily: 'IPv4', cidrs: ['0.0.0.0/0'] },
          {
            prefixListId: 'pl-split',
            ownerId: '123456789012',
            addressFamily: 'IPv4',
            cidrs: ['0.0.0.0/2', '64.0.0.0/2', '128.0.0.0/1'],
          },
          { prefixListId: 'pl-unreadable', ownerId: '123456789012', addressFamily: 'IPv4' },
          {
            prefixListId: 'pl-partial',
            ownerId: '123456789012',
            addressFamily: 'IPv4',
            cidrs: ['8.8.8.0/24'],
          },
          {
            prefixListId: 'pl-s3',
            ownerId: 'AWS',
            name: 'com.amazonaws.us-west-2.s3',
            addressFamily: 'IPv4',
            cidrs: ['52.218.0.0/17'],
          },
        ],
        vpcEndpoints: [
          {
            vpcEndpointId: 'vpce-s3',
            serviceName: 'com.amazonaws.us-west-2.s3',
            type: 'Gateway',
            state: 'available',
            privateDnsEnabled: false,
            subnetIds: [],
            routeTableIds: [],
            securityGroupIds: [],
          },
          {
            vpcEndpointId: 'vpce-gwlb',
            serviceName: 'com.amazonaws.vpce.us-west-2.vpce-svc-firewall',
            type: 'GatewayLoadBalancer',
            state: 'available',
            privateDnsEnabled: false,
            subnetIds: ['subnet-pub-b'],
            routeTableIds: [],
            securityGroupIds: [],
          },
        ],
      };
      const now = Date.parse(NOW);
      const instances: FakeInstance[] = g.instances.map((spec, n) => ({
        instanceId: `i-${String(n + 1).padStart(17, '0')}`,
        subnetId: spec.subnetId,
        availabilityZone: SUBNETS[spec.subnetId],
        launchedAt: new Date(now - (spec.kind === 'pending' ? 30_000 : 3_600_000)).toISOString(),
        state: 'running',
        lifecycleState: 'InService',
        joined: spec.kind === 'joined' || spec.kind === 'joined-unlabelled',
        labelled: spec.kind !== 'joined-unlabelled',
      }));
      return {
        spec: {
          clusterName: CLUSTER,
          clusterSubnetIds: g.clusterSubnets,
          nodegroup: {
            name: NODEGROUP,
            subnetIds: NODE_SUBNETS,
            minSize: Math.min(g.minSize, instances.length),
            maxSize: 10,
            desiredSize: instances.length + (instances.length > 0 ? g.extraDesired : 0),
            asg: ASG,
          },
          otherNodegroups: [{ name: 'other', subnetIds: ['subnet-other'] }],
          network,
          instances,
          membershipUnknown: g.membershipUnknown,
        },
        allowMainRouteTable: g.allowMainRouteTable,
        allowSharedRouteTable: g.allowSharedRouteTable,
        recycleStrategy: g.recycleStrategy,
        earlierRemediations: g.earlierRemediations,
        faults: [...g.faults],
      };
    });
}

// --- running a scenario -------------------------------------------------------------------------------

export interface Run {
  account: FakeAccount;
  /** The account as it was before the run. */
  before: FakeAccount;
  result: CheckResult;
  report: Report;
  nodegroup: NodegroupReport;
  alerts: NodegroupReport[];
  state: MemoryStateStore;
}

/** Runs one check of the scenario's nodegroup under a policy, on a fresh account (or a given one). */
export async function runScenario(
  scenario: Scenario,
  policy: Policy,
  given?: { account: FakeAccount; state: MemoryStateStore },
): Promise<Run> {
  const clock = fakeClock(NOW);
  const account = given?.account ?? new FakeAccount(scenario.spec, clock);
  const state = given?.state ?? new MemoryStateStore({ clock });
  if (!given) {
    for (let n = 0; n < scenario.earlierRemediations; n++) {
      await state.putRemediation({
        cluster: CLUSTER,
        nodegroup: NODEGROUP,
        at: new Date(Date.parse(NOW) - (n + 1) * 600_000).toISOString(),
        status: 'escalated',
        progress: 'written',
        alerted: true,
        actions: [],
        replacedInstanceIds: [],
      });
    }
    for (const { op, fault } of scenario.faults) account.inject(op, fault);
  }
  const before = new FakeAccount(
    { ...scenario.spec, network: account.network, instances: account.instances },
    clock,
  );
  before.desiredSize = account.desiredSize;
  const alerts: NodegroupReport[] = [];
  const publisher: AlertPublisher = {
    async publish(_report, nodegroup) {
      alerts.push(structuredClone(nodegroup));
      return 'message-1';
    },
  };
  const request: CheckRequest = {
    clusterName: CLUSTER,
    nodegroupNames: [NODEGROUP],
    policyOverride: policy,
    defaultPolicy: 'notify',
    joinWindowSeconds: JOIN_WINDOW_SECONDS,
    remediation: {
      allowMainRouteTable: scenario.allowMainRouteTable,
      allowSharedRouteTable: scenario.allowSharedRouteTable,
      recycleStrategy: scenario.recycleStrategy,
      loopGuard: { maxRemediations: 2, windowSeconds: 6 * 3600 },
      alertCooldownSeconds: 3600,
    },
    deadline: new Date(clock.now().getTime() + 14 * 60_000),
  };
  const result = await runCheck(request, {
    account,
    membership: account,
    writer: account,
    state,
    alerts: publisher,
    clock,
    sleep: async (ms) => clock.advance(ms),
    log: silentLog,
  });
  const nodegroup = result.report.nodegroups[0] as NodegroupReport;
  return { account, before, result, report: result.report, nodegroup, alerts, state };
}

// --- oracles: the rules, written from the issue, not from the code under test ---------------------

/** Addresses that stand for the internet: a table has egress when live routes cover all of them. */
const PROBES = [
  '1.1.1.1',
  '8.8.8.8',
  '52.94.0.1',
  '99.1.2.3',
  '128.0.0.1',
  '151.101.1.1',
  '200.1.2.3',
  '223.255.0.1',
];

function ipNumber(ip: string): number {
  return ip.split('.').reduce((n, o) => n * 256 + Number(o), 0);
}

function cidrHolds(cidr: string, ip: string): boolean {
  const [base, bits] = cidr.split('/');
  if (base === undefined || bits === undefined || base.includes(':')) return false;
  const size = 2 ** (32 - Number(bits));
  const start = Math.floor(ipNumber(base) / size) * size;
  const n = ipNumber(ip);
  return n >= start && n < start + size;
}

/** The table a subnet uses: its explicit association, else the VPC's main table. */
export function tableOfSubnet(network: NetworkSnapshot, subnetId: string): RouteTable | undefined {
  return (
    network.routeTables.find((t) => t.subnetIds.includes(subnetId)) ?? network.routeTables.find((t) => t.main)
  );
}

/** The subnets whose traffic a table carries. */
export function subnetsServed(network: NetworkSnapshot, table: RouteTable): string[] {
  return network.subnets
    .map((s) => s.subnetId)
    .filter((s) => tableOfSubnet(network, s)?.routeTableId === table.routeTableId);
}

function natUsable(network: NetworkSnapshot, id: string): boolean {
  return network.natGateways.some((n) => n.natGatewayId === id && n.state === 'available');
}

/** Whether a route carries traffic (a live target). */
function carries(network: NetworkSnapshot, route: Route): boolean {
  if (route.state !== 'active') return false;
  return route.target.kind !== 'nat-gateway' || natUsable(network, route.target.id);
}

/** The CIDR blocks a route covers; undefined when they cannot be known. */
function cidrsOf(network: NetworkSnapshot, route: Route): string[] | undefined {
  if (!route.destination.startsWith('pl-')) return [route.destination];
  const list = network.prefixLists?.find((p) => p.prefixListId === route.destination);
  return list?.cidrs;
}

export type EgressTruth = 'egress' | 'unknown' | 'ipv6-only' | 'none';

/** How a table gets to the internet, judged by probing addresses. */
export function egressTruth(network: NetworkSnapshot, table: RouteTable): EgressTruth {
  if (table.routes.some((r) => r.destination.startsWith('pl-') && cidrsOf(network, r) === undefined))
    return 'unknown';
  const covered = PROBES.every((ip) =>
    table.routes.some(
      (r) =>
        r.target.kind !== 'local' &&
        carries(network, r) &&
        (cidrsOf(network, r) ?? []).some((c) => cidrHolds(c, ip)),
    ),
  );
  if (covered) return 'egress';
  if (table.routes.some((r) => r.destination === '::/0' && r.state === 'active')) return 'ipv6-only';
  return 'none';
}

/** A NAT gateway that really leads out of the VPC, for a route in `patched`. */
export function natLeadsOut(network: NetworkSnapshot, natGatewayId: string, patched: string): boolean {
  const nat = network.natGateways.find((n) => n.natGatewayId === natGatewayId);
  if (!nat || nat.vpcId !== network.vpcId || nat.state !== 'available' || nat.connectivityType !== 'public')
    return false;
  const table = tableOfSubnet(network, nat.subnetId);
  if (!table || table.routeTableId === patched) return false;
  const route = table.routes.find((r) => r.destination === '0.0.0.0/0');
  if (route?.state !== 'active' || route.target.kind !== 'internet-gateway') return false;
  const { id } = route.target;
  return (
    network.internetGateways?.some(
      (g) => g.internetGatewayId === id && g.attachedVpcIds.includes(network.vpcId),
    ) ?? false
  );
}

/** The default route of a table targeted a NAT gateway that will never carry traffic again. */
export function deadNatRoute(network: NetworkSnapshot, table: RouteTable): boolean {
  const route = table.routes.find((r) => r.destination === '0.0.0.0/0');
  if (route?.target.kind !== 'nat-gateway') return false;
  if (route.state === 'blackhole') return true;
  const { id } = route.target;
  const nat = network.natGateways.find((n) => n.natGatewayId === id);
  return !nat || ['deleted', 'deleting', 'failed'].includes(nat.state);
}

/** Subnets of the cluster and all its nodegroups. */
export function clusterSubnets(spec: FakeAccountSpec): Set<string> {
  return new Set([
    ...spec.clusterSubnetIds,
    ...spec.nodegroup.subnetIds,
    ...spec.otherNodegroups.flatMap((n) => n.subnetIds),
  ]);
}

export function routeWrites(run: Run) {
  return run.account.writes.filter((w) => w.op === 'createRoute' || w.op === 'replaceRoute');
}

/** Instances terminated by this run, one by one or by scaling down. */
export function terminated(run: Run): string[] {
  const live = new Set(run.before.live().map((i) => i.instanceId));
  return run.account.instances
    .filter((i) => live.has(i.instanceId) && (i.state === 'shutting-down' || i.state === 'terminated'))
    .map((i) => i.instanceId);
}

/** Instances that were unjoined past the join window at the start, with membership known. */
export function unjoinedAtStart(run: Run): Set<string> {
  if (run.before.spec.membershipUnknown) return new Set();
  const cutoff = Date.parse(NOW) - JOIN_WINDOW_SECONDS * 1000;
  return new Set(
    run.before
      .live()
      .filter((i) => !i.joined && Date.parse(i.launchedAt) <= cutoff)
      .map((i) => i.instanceId),
  );
}

/** The alert severity people see for this nodegroup's last alert. */
export function lastAlertSeverity(run: Run): string | undefined {
  const alert = run.alerts.at(-1);
  return alert && alertFacts(run.report, alert).severity;
}
