import { DEFAULT_ROUTE, describeRoute, findDefaultRoute, targetId } from './describeRoute.js';
import type {
  Action,
  Finding,
  Instance,
  InstanceVerdict,
  NetworkSnapshot,
  Nodegroup,
  Route,
  RouteTable,
} from './types.js';

export type RecycleStrategy = 'replace-unjoined' | 'scale-cycle';

/** The loop guard's verdict, decided from the state table before planning. */
export type LoopGuard = { allowed: true } | { allowed: false; reason: string };

export interface PlanInput {
  region: string;
  cluster: string;
  nodegroup: Nodegroup;
  verdicts: InstanceVerdict[];
  instances: Instance[];
  findings: Finding[];
  /** The networks the findings were made from, by VPC. */
  networks: NetworkSnapshot[];
  allowMainRouteTable: boolean;
  recycleStrategy: RecycleStrategy;
  loopGuard: LoopGuard;
}

/** The finding codes remediation may act on. Everything else alerts with the fix for a person. */
const ROUTE_FIXES = { NO_DEFAULT_ROUTE: 'create-route', BLACKHOLE_DEFAULT_ROUTE: 'replace-route' } as const;

/**
 * The plan, as a pure function of the findings and the snapshot: what remediation would write, and
 * what it refuses to write and why. Dry-run shows exactly this; remediate carries it out.
 * Safety rules live here: only default routes are touched, only when missing or dead, never a main
 * route table without permission, nothing is ever deleted, and nodes are recycled only behind a fix.
 */
export function planRemediation(input: PlanInput): Action[] {
  const routeActions = input.findings.flatMap((finding) => planRoute(input, finding) ?? []);
  const fixed = routeActions.filter((a) => a.status === 'planned');
  const actions = [...routeActions, ...planRecycle(input, fixed)];
  if (input.loopGuard.allowed) return actions;
  const { reason } = input.loopGuard;
  return actions.map((a) =>
    a.status === 'planned' ? { ...a, status: 'skipped', reason: `${reason}; ${a.reason}` } : a,
  );
}

function planRoute(input: PlanInput, finding: Finding): Action | undefined {
  const type = ROUTE_FIXES[finding.code as keyof typeof ROUTE_FIXES];
  if (!type || !finding.routeTableId) return undefined;
  const table = findTable(input.networks, finding.routeTableId);
  if (!table) return undefined;
  const current = findDefaultRoute(table.routes);
  const base: Action = {
    type,
    resourceId: table.routeTableId,
    routeTableId: table.routeTableId,
    destination: DEFAULT_ROUTE,
    status: 'planned',
    reason: '',
    before: current ? describeRoute(current) : `no ${DEFAULT_ROUTE} route`,
  };
  const skip = (reason: string): Action => ({
    ...base,
    status: 'skipped',
    reason: `${reason} A person can run: ${finding.fix}`,
  });

  // Re-check against the snapshot: a route that is not ours to change stays as it is.
  if (type === 'create-route' && current)
    return skip(`${table.routeTableId} already has a ${DEFAULT_ROUTE} route.`);
  if (type === 'replace-route' && (!current || !isDead(current, input.networks))) {
    return skip(`the ${DEFAULT_ROUTE} route of ${table.routeTableId} is not dead: it is never replaced.`);
  }
  if (table.main && !input.allowMainRouteTable) {
    return skip(
      `${table.routeTableId} is the VPC main route table, used by every subnet without its own; it is patched only with ALLOW_MAIN_ROUTE_TABLE=true (CLI --allow-main-route-table).`,
    );
  }
  if (!finding.natGatewayId) return skip(`no available NAT gateway in ${table.vpcId}.`);

  const nat = input.networks
    .flatMap((n) => n.natGateways)
    .find((n) => n.natGatewayId === finding.natGatewayId);
  const zoneOf = (subnetId?: string) =>
    input.networks.flatMap((n) => n.subnets).find((s) => s.subnetId === subnetId)?.availabilityZone;
  const crossZone = nat && zoneOf(nat.subnetId) !== zoneOf(finding.subnetId);
  const verb = type === 'create-route' ? 'add' : 'replace';
  return {
    ...base,
    target: finding.natGatewayId,
    natGatewayId: finding.natGatewayId,
    after: `${DEFAULT_ROUTE} → ${finding.natGatewayId} (active)`,
    reason: `${verb} ${DEFAULT_ROUTE} → ${finding.natGatewayId} in ${table.routeTableId} (${finding.code})${
      crossZone ? `; ${finding.natGatewayId} is in another availability zone, so traffic crosses zones` : ''
    }`,
    undo: undoRoute(type, table.routeTableId, current, input.region),
  };
}

/** Replacement instances launch only behind a fix: no fix planned, nothing recycled. */
function planRecycle(input: PlanInput, fixed: Action[]): Action[] {
  const stranded = input.verdicts.filter((v) => v.joined === false && !v.pending);
  if (stranded.length === 0) return [];
  const groupOf = new Map(input.instances.map((i) => [i.instanceId, i.autoScalingGroupName]));
  const asg = input.nodegroup.autoScalingGroupNames[0] ?? input.nodegroup.name;
  if (fixed.length === 0) {
    return [
      {
        type: 'replace-instances',
        resourceId: asg,
        autoScalingGroupName: asg,
        status: 'skipped',
        reason: `no routing fix ${input.findings.some((f) => f.code in ROUTE_FIXES) ? 'can be applied' : 'applies'}: the ${stranded.length} unjoined instance(s) are reported, not recycled`,
      },
    ];
  }
  const fixedTables = new Set(fixed.map((a) => a.routeTableId));
  const behindFix = new Set(
    input.findings
      .filter((f) => f.routeTableId && fixedTables.has(f.routeTableId))
      .flatMap((f) => f.instanceIds ?? []),
  );
  const toReplace = stranded.filter((v) => behindFix.has(v.instanceId));
  if (toReplace.length === 0) return [];

  const { scaling } = input.nodegroup;
  if (input.recycleStrategy === 'scale-cycle') {
    const joined = input.verdicts.some((v) => v.joined === true);
    const blocker = joined
      ? 'some nodes of the nodegroup did join and must keep running'
      : scaling.minSize > 0
        ? `its minimum size is ${scaling.minSize}, so desired size 0 is not allowed`
        : undefined;
    if (!blocker) {
      return [
        {
          type: 'scale-cycle',
          resourceId: input.nodegroup.name,
          target: `desired 0 → ${scaling.desiredSize}`,
          desiredSize: scaling.desiredSize,
          status: 'planned',
          reason: `scale ${input.nodegroup.name} to 0, wait for ACTIVE, then back to ${scaling.desiredSize}, so every node launches with the fixed route`,
          undo: `aws eks update-nodegroup-config --cluster-name ${input.cluster} --nodegroup-name ${input.nodegroup.name} --scaling-config desiredSize=${scaling.desiredSize} --region ${input.region}`,
        },
      ];
    }
    return replaceEach(
      input,
      toReplace,
      groupOf,
      `scale-cycle not used: ${blocker}; replacing only the unjoined instances`,
    );
  }
  return replaceEach(
    input,
    toReplace,
    groupOf,
    'the Auto Scaling group replaces it with an instance that uses the fixed route',
  );
}

function replaceEach(
  input: PlanInput,
  verdicts: InstanceVerdict[],
  groupOf: Map<string, string | undefined>,
  why: string,
): Action[] {
  return verdicts.map((v) => {
    const group = groupOf.get(v.instanceId) ?? input.nodegroup.autoScalingGroupNames[0] ?? '';
    return {
      type: 'replace-instances',
      resourceId: v.instanceId,
      instanceId: v.instanceId,
      autoScalingGroupName: group,
      target: group,
      status: 'planned',
      reason: `terminate ${v.instanceId} without lowering desired capacity: ${why}`,
      undo: 'nothing to undo: desired capacity is unchanged and the group launches a replacement',
    };
  });
}

/** A default route that carries no traffic: blackhole, or a NAT gateway that is not available. */
function isDead(route: Route, networks: NetworkSnapshot[]): boolean {
  if (route.state === 'blackhole') return true;
  if (route.target.kind !== 'nat-gateway') return false;
  const { id } = route.target;
  const nat = networks.flatMap((n) => n.natGateways).find((n) => n.natGatewayId === id);
  return nat?.state !== 'available';
}

function undoRoute(
  type: 'create-route' | 'replace-route',
  routeTableId: string,
  previous: Route | undefined,
  region: string,
): string {
  if (type === 'create-route' || !previous) {
    return `aws ec2 delete-route --route-table-id ${routeTableId} --destination-cidr-block ${DEFAULT_ROUTE} --region ${region}`;
  }
  const flag = TARGET_FLAGS[previous.target.kind] ?? '--gateway-id';
  return `aws ec2 replace-route --route-table-id ${routeTableId} --destination-cidr-block ${DEFAULT_ROUTE} ${flag} ${targetId(previous.target)} --region ${region}`;
}

const TARGET_FLAGS: Partial<Record<Route['target']['kind'], string>> = {
  'nat-gateway': '--nat-gateway-id',
  'internet-gateway': '--gateway-id',
  'transit-gateway': '--transit-gateway-id',
  'vpc-peering': '--vpc-peering-connection-id',
  'network-interface': '--network-interface-id',
  instance: '--instance-id',
  'vpc-endpoint': '--vpc-endpoint-id',
  'egress-only-internet-gateway': '--egress-only-internet-gateway-id',
  'local-gateway': '--local-gateway-id',
  'carrier-gateway': '--carrier-gateway-id',
  'core-network': '--core-network-arn',
};

function findTable(networks: NetworkSnapshot[], routeTableId: string): RouteTable | undefined {
  return networks.flatMap((n) => n.routeTables).find((t) => t.routeTableId === routeTableId);
}
