import { effectiveRouteTable } from '../diagnose/effectiveRouteTable.js';
import { analyseEgress } from '../diagnose/egress.js';
import { unjoinedOf } from '../diagnose/judgeInstances.js';
import { DEFAULT_ROUTE } from '../model/describeRoute.js';
import type { RecycleStrategy } from '../model/settings.js';
import type {
  Action,
  Finding,
  Instance,
  InstanceVerdict,
  NetworkSnapshot,
  Nodegroup,
  ReasonCode,
  ReplaceInstancesAction,
  RouteAction,
  ScaleCycleAction,
} from '../model/types.js';
import type { LoopGuard } from './loopGuard.js';
import { planRoute, type RouteContext } from './planRoute.js';
import { withReason } from './reasons.js';

/** scale-cycle needs time to scale to 0, wait for ACTIVE and scale back: less than this left, it is not started. */
export const SCALE_CYCLE_MIN_SECONDS = 300;

export interface PlanInput {
  region: string;
  cluster: string;
  nodegroup: Nodegroup;
  verdicts: InstanceVerdict[];
  instances: Instance[];
  findings: Finding[];
  /** The networks the findings were made from, by VPC. */
  networks: NetworkSnapshot[];
  /** Subnets of the cluster and of every nodegroup of it: a route table that serves others is shared. */
  clusterSubnetIds: string[];
  allowMainRouteTable: boolean;
  allowSharedRouteTable: boolean;
  recycleStrategy: RecycleStrategy;
  loopGuard: LoopGuard;
  /** Seconds left for writes and waits in this run. */
  secondsLeft: number;
  /**
   * Default routes this tool wrote in earlier runs (a preflight fix at launch), by table: instances
   * launched before such a fix booted without egress, and are recycled if still unjoined at the window.
   */
  earlierRouteFixes?: { routeTableId: string; natGatewayId?: string; at: string }[];
}

/** The findings a route write answers. Everything else alerts with the fix for a person. */
const ROUTE_FINDINGS = new Set(['NO_DEFAULT_ROUTE', 'BLACKHOLE_DEFAULT_ROUTE']);

/**
 * The plan, as a pure function of the snapshot: what remediation would write, and what it refuses to
 * write and why (as a reason code). Dry-run shows exactly this; remediate carries it out. The route
 * rules live in planRoute; here: one action per route table, and recycling only of instances that are
 * unjoined past their window and sit behind a route that is planned to be fixed (or that this tool
 * fixed after they launched).
 */
export function planRemediation(input: PlanInput): Action[] {
  const routeActions = planRoutes(input);
  const actions: Action[] = [...routeActions, ...planRecycle(input, routeActions)];
  const guard = input.loopGuard;
  if (guard.allowed) return actions;
  const loopGuard = {
    remediations: guard.remediations,
    limit: guard.limit,
    windowSeconds: guard.windowSeconds,
  };
  return actions.map((a) =>
    a.status === 'planned'
      ? withReason({ ...a, status: 'skipped', reasonCode: 'LOOP_GUARD', loopGuard, undo: undefined })
      : a,
  );
}

/**
 * One action per route table: for each routing finding, and for each table of an unjoined subnet whose
 * egress could not be judged (a prefix list that could not be read), which is refused, never written.
 */
function planRoutes(input: PlanInput): RouteAction[] {
  const clusterSubnetIds = new Set(input.clusterSubnetIds);
  const byTable = new Map<string, RouteAction>();
  const plan = (network: NetworkSnapshot, routeTableId: string, subnetId: string) => {
    const table = network.routeTables.find((t) => t.routeTableId === routeTableId);
    if (!table || byTable.has(routeTableId)) return;
    const context: RouteContext = {
      region: input.region,
      network,
      clusterSubnetIds,
      allowMainRouteTable: input.allowMainRouteTable,
      allowSharedRouteTable: input.allowSharedRouteTable,
    };
    byTable.set(routeTableId, planRoute(context, table, subnetId));
  };
  for (const finding of input.findings) {
    if (!ROUTE_FINDINGS.has(finding.code) || !finding.routeTableId || !finding.subnetId) continue;
    const network = networkOf(input.networks, finding.routeTableId);
    if (network) plan(network, finding.routeTableId, finding.subnetId);
  }
  const subnetOf = new Map(input.instances.map((i) => [i.instanceId, i.subnetId]));
  for (const verdict of unjoinedOf(input.verdicts)) {
    const subnetId = subnetOf.get(verdict.instanceId) ?? verdict.subnetId;
    const network = subnetId && input.networks.find((n) => n.subnets.some((s) => s.subnetId === subnetId));
    if (!network || !subnetId) continue;
    const table = effectiveRouteTable(network, subnetId)?.table;
    if (table && analyseEgress(table, network).kind === 'unknown')
      plan(network, table.routeTableId, subnetId);
  }
  return [...byTable.values()];
}

/**
 * The instance launched before this tool fixed its table's default route in an earlier run, and the
 * route the fix wrote is still there and leads out: the instance booted without egress, and a
 * replacement would boot with it.
 */
function fixedEarlierUnder(
  input: PlanInput,
  verdict: InstanceVerdict,
  network: NetworkSnapshot,
  routeTableId: string,
): string | undefined {
  const launchedAt = verdict.launchedAt ? Date.parse(verdict.launchedAt) : Number.NaN;
  if (Number.isNaN(launchedAt)) return undefined;
  const table = network.routeTables.find((t) => t.routeTableId === routeTableId);
  if (!table) return undefined;
  const egress = analyseEgress(table, network);
  const route = table.routes.find((r) => r.destination === DEFAULT_ROUTE);
  return (input.earlierRouteFixes ?? []).find(
    (fix) =>
      fix.routeTableId === routeTableId &&
      launchedAt < Date.parse(fix.at) &&
      egress.kind === 'internet' &&
      route?.state === 'active' &&
      route.target.kind === 'nat-gateway' &&
      route.target.id === fix.natGatewayId,
  )?.at;
}

/**
 * Replacement instances launch only behind a fix, and only unjoined instances past their window are
 * ever replaced. scale-cycle replaces every instance, so it is used only when every instance of the
 * nodegroup is such an instance, the minimum size allows 0 and the run has time for both steps.
 */
function planRecycle(input: PlanInput, routeActions: RouteAction[]): Action[] {
  const unjoined = unjoinedOf(input.verdicts);
  if (unjoined.length === 0) return [];
  const asg = input.nodegroup.autoScalingGroupNames[0] ?? input.nodegroup.name;
  const instanceById = new Map(input.instances.map((i) => [i.instanceId, i]));
  const fixedTableOf = new Map<string, string>();
  const fixedEarlierAt = new Map<string, string>();
  for (const verdict of unjoined) {
    const subnetId = instanceById.get(verdict.instanceId)?.subnetId ?? verdict.subnetId;
    const network = input.networks.find((n) => n.subnets.some((s) => s.subnetId === subnetId));
    const table = network && subnetId ? effectiveRouteTable(network, subnetId)?.table : undefined;
    const action = routeActions.find((a) => a.routeTableId === table?.routeTableId);
    if (action?.status === 'planned') fixedTableOf.set(verdict.instanceId, action.routeTableId);
    else if (network && table && !action) {
      const at = fixedEarlierUnder(input, verdict, network, table.routeTableId);
      if (at) {
        fixedTableOf.set(verdict.instanceId, table.routeTableId);
        fixedEarlierAt.set(verdict.instanceId, at);
      }
    }
  }
  const behindFix = unjoined.filter((v) => fixedTableOf.has(v.instanceId));
  const notBehindFix = unjoined.filter((v) => !fixedTableOf.has(v.instanceId));
  const summary = (reasonCode: ReasonCode, verdicts: InstanceVerdict[]): ReplaceInstancesAction =>
    withReason({
      type: 'replace-instances',
      resourceId: asg,
      autoScalingGroupName: asg,
      instanceIds: verdicts.map((v) => v.instanceId),
      status: 'skipped',
      reasonCode,
      reason: '',
    });
  if (behindFix.length === 0) return [summary('NO_ROUTE_FIX', unjoined)];
  const refused = notBehindFix.length > 0 ? [summary('ROUTE_NOT_FIXED', notBehindFix)] : [];

  if (input.recycleStrategy === 'scale-cycle') {
    const blocked = scaleCycleBlock(input, notBehindFix);
    if (!blocked) {
      const cycle = scaleCycle(input, asg, behindFix, [...new Set(fixedTableOf.values())]);
      const earlier = new Map(
        [...fixedEarlierAt].map(([id, at]) => [fixedTableOf.get(id) as string, at] as const),
      );
      const routesFixedEarlier = [...earlier].map(([routeTableId, at]) => ({ routeTableId, at }));
      return [routesFixedEarlier.length > 0 ? { ...cycle, routesFixedEarlier } : cycle];
    }
    return [...replaceEach(input, behindFix, fixedTableOf, fixedEarlierAt, blocked), ...refused];
  }
  return [...replaceEach(input, behindFix, fixedTableOf, fixedEarlierAt), ...refused];
}

/** Why scale-cycle cannot be used, with the instances (or size) in the way; undefined when it can. */
function scaleCycleBlock(
  input: PlanInput,
  notBehindFix: InstanceVerdict[],
): { code: ReasonCode; blockers: string[] } | undefined {
  const ids = (match: (v: InstanceVerdict) => boolean) =>
    input.verdicts.filter(match).map((v) => v.instanceId);
  const joined = ids((v) => v.joined === true);
  if (joined.length > 0) return { code: 'INSTANCES_JOINED', blockers: joined };
  const pending = ids((v) => v.pending);
  if (pending.length > 0) return { code: 'INSTANCES_PENDING', blockers: pending };
  const unknown = ids((v) => v.joined === null);
  if (unknown.length > 0) return { code: 'MEMBERSHIP_UNKNOWN', blockers: unknown };
  if (notBehindFix.length > 0) {
    return { code: 'ROUTE_NOT_FIXED', blockers: notBehindFix.map((v) => v.instanceId) };
  }
  const { minSize } = input.nodegroup.scaling;
  if (minSize > 0) return { code: 'MIN_SIZE', blockers: [`minimum size ${minSize}`] };
  if (input.secondsLeft < SCALE_CYCLE_MIN_SECONDS) {
    return { code: 'NOT_ENOUGH_TIME', blockers: [`${Math.floor(input.secondsLeft)} s left`] };
  }
  return undefined;
}

function scaleCycle(
  input: PlanInput,
  asg: string,
  verdicts: InstanceVerdict[],
  routeTableIds: string[],
): ScaleCycleAction {
  const { name, scaling } = input.nodegroup;
  // Never end lower than it began, nor lower than the instances it replaces.
  const desiredSize = Math.max(scaling.desiredSize, verdicts.length);
  return withReason({
    type: 'scale-cycle',
    resourceId: name,
    nodegroup: name,
    autoScalingGroupName: asg,
    target: `desired 0 → ${desiredSize}`,
    desiredSize,
    instanceIds: input.verdicts.map((v) => v.instanceId),
    routeTableIds,
    status: 'planned',
    reason: '',
    undo: `aws eks update-nodegroup-config --cluster-name ${input.cluster} --nodegroup-name ${name} --scaling-config desiredSize=${desiredSize} --region ${input.region}`,
  });
}

function replaceEach(
  input: PlanInput,
  verdicts: InstanceVerdict[],
  fixedTableOf: Map<string, string>,
  fixedEarlierAt: Map<string, string>,
  blocked?: { code: ReasonCode; blockers: string[] },
): ReplaceInstancesAction[] {
  const groupOf = new Map(input.instances.map((i) => [i.instanceId, i.autoScalingGroupName]));
  return verdicts.map((v) => {
    const group = groupOf.get(v.instanceId) ?? input.nodegroup.autoScalingGroupNames[0] ?? '';
    const routeTableId = fixedTableOf.get(v.instanceId);
    const routeFixedAt = fixedEarlierAt.get(v.instanceId);
    return withReason({
      type: 'replace-instances',
      resourceId: v.instanceId,
      instanceIds: [v.instanceId],
      autoScalingGroupName: group,
      target: group,
      ...(routeTableId && { routeTableId }),
      ...(routeFixedAt && { routeFixedAt }),
      ...(blocked && { scaleCycleBlockedBy: blocked.code, blockers: blocked.blockers }),
      status: 'planned',
      reason: '',
      undo: 'nothing to undo: desired capacity is unchanged and the group launches a replacement',
    });
  });
}

function networkOf(networks: NetworkSnapshot[], routeTableId: string): NetworkSnapshot | undefined {
  return networks.find((n) => n.routeTables.some((t) => t.routeTableId === routeTableId));
}
