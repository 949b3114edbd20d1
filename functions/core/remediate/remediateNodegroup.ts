import type { Inspection } from '../check/inspectNodegroup.js';
import { servedSubnetIds } from '../diagnose/effectiveRouteTable.js';
import type { CheckPorts, CheckRequest } from '../model/check.js';
import { deadlineOf, type RunHelpers } from '../model/check.js';
import { DEFAULT_ROUTE } from '../model/describeRoute.js';
import type { RemediationWriter } from '../model/ports.js';
import type { RemediationSettings } from '../model/settings.js';
import type { Action, NodegroupReport, RemediationRecord } from '../model/types.js';
import { executePlan } from './executePlan.js';
import { evaluateFollowUp } from './followUp.js';
import { evaluateLoopGuard } from './loopGuard.js';
import { planRemediation } from './planRemediation.js';
import type { RouteContext } from './planRoute.js';
import { withReason } from './reasons.js';

/**
 * Policy dry-run and remediate: finishes an interrupted remediation first, follows up on the last one,
 * plans, and under remediate carries the plan out once, recorded before the first write for the loop
 * guard, the follow-up and a retry. The caller holds the nodegroup's lock.
 */
export async function remediateNodegroup(
  inspection: Inspection,
  request: CheckRequest,
  settings: RemediationSettings,
  ports: CheckPorts,
  checkedAt: Date,
  helpers: RunHelpers,
): Promise<NodegroupReport> {
  const { report, cluster, nodegroup } = inspection;
  if (report.policy !== 'dry-run' && report.policy !== 'remediate') return report;
  const { state } = ports;
  const since = new Date(checkedAt.getTime() - settings.loopGuard.windowSeconds * 1000);
  const recent = await state.listRemediations(cluster.name, nodegroup.name, since);

  if (report.policy === 'remediate') {
    // A remediation interrupted mid-way, or whose alert was not delivered: finish it, plan nothing new.
    // Without a topic there is no alert to deliver: only an interrupted one is unfinished then.
    const unfinished = recent
      .filter((r) => r.progress === 'writing' || (r.alerted === false && ports.alerts))
      .at(-1);
    if (unfinished) {
      ports.log.info('resuming an unfinished remediation', {
        cluster: unfinished.cluster,
        nodegroup: unfinished.nodegroup,
        at: unfinished.at,
        progress: unfinished.progress,
      });
      // Interrupted mid-way: carry out what is left. Written but not alerted: the alert is all that is left.
      if (unfinished.progress !== 'writing' || !ports.writer) return reportOf(unfinished, inspection);
      const run = { request, ports, writer: ports.writer, checkedAt, settings, helpers };
      return carryOut(unfinished, inspection, run, true);
    }
    await followUp(report, recent, inspection, ports);
  }

  const deadline = deadlineOf(request, checkedAt);
  const plan = planRemediation({
    region: cluster.region,
    cluster: cluster.name,
    nodegroup,
    verdicts: inspection.verdicts,
    instances: inspection.instances,
    findings: report.findings,
    networks: inspection.networks,
    clusterSubnetIds: await helpers.clusterSubnetIds(nodegroup, servedByRouteFindings(inspection)),
    allowMainRouteTable: settings.allowMainRouteTable,
    allowSharedRouteTable: settings.allowSharedRouteTable,
    recycleStrategy: settings.recycleStrategy,
    loopGuard: evaluateLoopGuard(recent, settings.loopGuard),
    secondsLeft: (deadline.getTime() - ports.clock.now().getTime()) / 1000,
    earlierRouteFixes: recent.flatMap((r) =>
      r.actions.flatMap((a) =>
        isRoute(a) && a.status === 'done'
          ? [
              {
                routeTableId: a.routeTableId,
                ...(a.natGatewayId && { natGatewayId: a.natGatewayId }),
                at: r.at,
              },
            ]
          : [],
      ),
    ),
  });
  if (report.policy === 'dry-run' || !plan.some((a) => a.status === 'planned')) {
    report.actions.push(...plan);
    return report;
  }
  if (!ports.writer) {
    report.actions.push(...plan.map((a): Action => (a.status === 'planned' ? skipNoWriter(a) : a)));
    return report;
  }
  const record: RemediationRecord = {
    cluster: cluster.name,
    nodegroup: nodegroup.name,
    // Seconds, as EC2 reports launch times: replacements launched from now on count as newer.
    at: new Date(Math.floor(ports.clock.now().getTime() / 1000) * 1000).toISOString(),
    status: 'open',
    progress: 'writing',
    alerted: false,
    actions: plan,
    before: beforeOf(plan, inspection),
    replacedInstanceIds: [],
  };
  // The intent goes to the state table before the first write: without it, nothing is written.
  await state.putRemediation(record);
  const run = { request, ports, writer: ports.writer, checkedAt, settings, helpers };
  return carryOut(record, inspection, run, false);
}

/** Subnets served by the route tables that routing findings name: the blast radius to judge. */
function servedByRouteFindings(inspection: Inspection): string[] {
  return inspection.networks.flatMap((network) =>
    network.routeTables
      .filter((t) => inspection.report.findings.some((f) => f.routeTableId === t.routeTableId))
      .flatMap((t) => servedSubnetIds(network, t)),
  );
}

/** What carrying out a remediation needs from the run. */
interface CarryOutRun {
  request: CheckRequest;
  ports: CheckPorts;
  writer: RemediationWriter;
  checkedAt: Date;
  settings: RemediationSettings;
  helpers: RunHelpers;
}

async function carryOut(
  record: RemediationRecord,
  inspection: Inspection,
  { request, ports, writer, checkedAt, settings, helpers }: CarryOutRun,
  resuming: boolean,
): Promise<NodegroupReport> {
  const { cluster, nodegroup } = inspection;
  const { state, log, membership } = ports;
  const served = record.actions.flatMap((a) => (isRoute(a) ? a.subnetIds : []));
  const clusterSubnetIds = new Set(await helpers.clusterSubnetIds(nodegroup, served));
  // A resumed run may not have read the network (nothing unjoined any more): its route re-plans need it.
  const networks =
    inspection.networks.length > 0 ||
    !cluster.vpcId ||
    !record.actions.some((a) => isRoute(a) && a.status === 'planned')
      ? inspection.networks
      : [await ports.account.readNetwork(cluster.vpcId)];
  const executed = await executePlan(record.actions, {
    cluster: cluster.name,
    nodegroup: nodegroup.name,
    writer,
    log,
    deadline: deadlineOf(request, checkedAt),
    now: () => ports.clock.now(),
    ...(settings.scaleCyclePollSeconds && { pollMs: settings.scaleCyclePollSeconds * 1000 }),
    ...(ports.sleep && { sleep: ports.sleep }),
    resuming,
    routeContext: (routeTableId) => {
      const network = networks.find((n) => n.routeTables.some((t) => t.routeTableId === routeTableId));
      if (!network) return undefined;
      const context: RouteContext = {
        region: cluster.region,
        network,
        clusterSubnetIds,
        allowMainRouteTable: settings.allowMainRouteTable,
        allowSharedRouteTable: settings.allowSharedRouteTable,
      };
      return context;
    },
    stillUnjoined: async (instanceIds) => {
      const fresh = await membership.listNodes(cluster, nodegroup.name, instanceIds, { fresh: true });
      if (fresh.kind === 'unknown') return undefined;
      const joined = new Set(fresh.nodes.map((n) => n.instanceId));
      return new Set(instanceIds.filter((id) => !joined.has(id)));
    },
    onProgress: async (actions) => {
      record.actions = actions;
      await state.putRemediation(record);
    },
  });
  const done = executed.filter((a) => a.status === 'done');
  const acted = executed.some((a) => a.status === 'done' || a.status === 'failed');
  const cycled = done.some((a) => a.type === 'scale-cycle');
  Object.assign(record, {
    actions: executed,
    progress: 'written',
    status: done.length > 0 ? 'open' : 'failed',
    // Only an alert about what was done or failed must reach people (when there is a topic); a run
    // that changed nothing alerts as a problem.
    alerted: !acted || !ports.alerts,
    replacedInstanceIds: cycled
      ? inspection.verdicts.map((v) => v.instanceId)
      : done.flatMap((a) => (a.type === 'replace-instances' ? a.instanceIds : [])),
  } satisfies Partial<RemediationRecord>);
  await state.putRemediation(record);
  return reportOf(record, inspection);
}

/** The report of a remediation: its actions, and the record behind the alert about them. */
function reportOf(record: RemediationRecord, inspection: Inspection): NodegroupReport {
  const { report } = inspection;
  report.actions.push(...record.actions);
  report.remediation = record;
  if (record.actions.some((a) => a.status === 'done' || a.status === 'failed'))
    report.alertKind = 'remediated';
  return report;
}

/** Closes the last open remediation once its replacements joined, or escalates when they did not. */
async function followUp(
  report: NodegroupReport,
  recent: RemediationRecord[],
  inspection: Inspection,
  { state }: CheckPorts,
): Promise<void> {
  const open = recent.filter((r) => r.status === 'open').at(-1);
  const outcome = evaluateFollowUp(open, inspection.verdicts);
  if (outcome.kind === 'wait') return;
  const status = outcome.kind === 'resolved' ? 'resolved' : 'escalated';
  // Only the run that closes the record alerts: a duplicate event finds it closed.
  if (!(await state.closeRemediation(outcome.record, status))) return;
  report.alertKind = outcome.kind === 'resolved' ? 'resolved' : 'escalation';
  report.remediation = { ...outcome.record, status };
}

/** The state the planned writes change, as it was: each table's default route and the desired size. */
function beforeOf(plan: Action[], inspection: Inspection): RemediationRecord['before'] {
  const routes = plan.flatMap((a) => {
    if (!isRoute(a) || a.status !== 'planned') return [];
    const table = inspection.networks
      .flatMap((n) => n.routeTables)
      .find((t) => t.routeTableId === a.routeTableId);
    const route = table?.routes.find((r) => r.destination === DEFAULT_ROUTE);
    return [{ routeTableId: a.routeTableId, ...(route && { route }) }];
  });
  return { routes, desiredSize: inspection.nodegroup.scaling.desiredSize };
}

function isRoute(a: Action): a is Extract<Action, { type: 'create-route' | 'replace-route' }> {
  return a.type === 'create-route' || a.type === 'replace-route';
}

function skipNoWriter(a: Action): Action {
  return withReason({ ...a, status: 'skipped', reasonCode: 'NO_WRITER', undo: undefined });
}
