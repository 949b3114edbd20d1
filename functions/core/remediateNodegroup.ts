import { executePlan } from './executePlan.js';
import { evaluateFollowUp } from './followUp.js';
import type { Inspection } from './inspectNodegroup.js';
import { evaluateLoopGuard } from './loopGuard.js';
import { planRemediation } from './planRemediation.js';
import type { CheckPorts, CheckRequest, RemediationSettings } from './runCheck.js';
import type { Action, NodegroupReport, RemediationRecord } from './types.js';

/** Without a deadline (the CLI), writes and waits stop after this long. */
export const DEFAULT_BUDGET_MS = 14 * 60 * 1000;

/**
 * Policy dry-run and remediate: follows up on the last fix, plans, and under remediate carries the
 * plan out once, recorded for the loop guard and the follow-up. The caller holds the nodegroup's lock.
 */
export async function remediateNodegroup(
  inspection: Inspection,
  request: CheckRequest,
  settings: RemediationSettings,
  ports: CheckPorts,
  checkedAt: Date,
): Promise<NodegroupReport> {
  const { report, cluster, nodegroup } = inspection;
  if (report.policy !== 'dry-run' && report.policy !== 'remediate') return report;
  const { state } = ports;
  const since = new Date(checkedAt.getTime() - settings.loopGuard.windowSeconds * 1000);
  const recent = await state.listRemediations(cluster.name, nodegroup.name, since);

  if (report.policy === 'remediate') await followUp(report, recent, inspection, ports);

  const plan = planRemediation({
    region: cluster.region,
    cluster: cluster.name,
    nodegroup,
    verdicts: inspection.verdicts,
    instances: inspection.instances,
    findings: report.findings,
    networks: inspection.networks,
    allowMainRouteTable: settings.allowMainRouteTable,
    recycleStrategy: settings.recycleStrategy,
    loopGuard: evaluateLoopGuard(recent, settings.loopGuard),
  });
  if (report.policy === 'dry-run' || !plan.some((a) => a.status === 'planned')) {
    report.actions.push(...plan);
    return report;
  }
  report.actions.push(...(await carryOut(plan, inspection, request, ports, checkedAt)));
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

async function carryOut(
  plan: Action[],
  inspection: Inspection,
  request: CheckRequest,
  ports: CheckPorts,
  checkedAt: Date,
): Promise<Action[]> {
  const { cluster, nodegroup, report } = inspection;
  const { state, writer, clock, log } = ports;
  if (!writer) {
    const reason = 'this run cannot write (no remediation writer)';
    return plan.map(
      (a): Action => (a.status === 'planned' ? { ...a, status: 'skipped', reason, undo: undefined } : a),
    );
  }

  const deadline = request.deadline ?? new Date(checkedAt.getTime() + DEFAULT_BUDGET_MS);
  // Seconds, as EC2 reports launch times: replacements launched from now on count as newer.
  const startedAt = new Date(Math.floor(clock.now().getTime() / 1000) * 1000);
  const executed = await executePlan(plan, {
    cluster: cluster.name,
    nodegroup: nodegroup.name,
    writer,
    log,
    deadline,
  });
  const done = executed.filter((a) => a.status === 'done');
  if (done.length > 0) {
    const cycled = done.some((a) => a.type === 'scale-cycle');
    const record: RemediationRecord = {
      cluster: cluster.name,
      nodegroup: nodegroup.name,
      at: startedAt.toISOString(),
      status: 'open',
      actions: done,
      replacedInstanceIds: cycled
        ? inspection.verdicts.map((v) => v.instanceId)
        : done.flatMap((a) => (a.type === 'replace-instances' && a.instanceId ? [a.instanceId] : [])),
    };
    await state.putRemediation(record);
    report.remediation = record;
  }
  if (executed.some((a) => a.status === 'done' || a.status === 'failed')) report.alertKind = 'remediated';
  return executed;
}
