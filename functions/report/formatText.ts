import {
  bootEvidenceWords,
  findingEvidence,
  launchesFailNote,
  waitingCostWords,
} from '../alerts/evidenceWords.js';
import { plain } from '../alerts/text.js';
import {
  WILL_NOT_JOIN_HEADING,
  willNotJoin,
  willNotJoinNote,
  willNotJoinWords,
} from '../alerts/willNotJoin.js';
import { hasOpenProblem } from '../core/check/outcome.js';
import { unjoinedOf } from '../core/diagnose/judgeInstances.js';
import { describeRoute } from '../core/model/describeRoute.js';
import type {
  EgressSummary,
  Finding,
  InstanceVerdict,
  NodegroupReport,
  Report,
  RouteTable,
} from '../core/model/types.js';

/**
 * The human report of `check`: it reads like the manual investigation it replaces — nodegroup,
 * instances, subnet, route table and its routes, verdict, fix.
 */
export function formatText(report: Report): string {
  const lines = [
    `Cluster ${report.cluster}${report.region ? ` (${report.region})` : ''} — checked ${report.checkedAt}, join window ${report.joinWindowSeconds ?? '?'} s`,
  ];
  for (const nodegroup of report.nodegroups)
    lines.push('', ...formatNodegroup(nodegroup, report.joinWindowSeconds));
  const troubled = report.nodegroups.filter(hasOpenProblem).length;
  lines.push(
    '',
    report.nodegroups.length === 0
      ? 'No managed nodegroups.'
      : `Summary: ${troubled} of ${report.nodegroups.length} nodegroup(s) with problems.`,
  );
  return `${lines.join('\n')}\n`;
}

function formatNodegroup(nodegroup: NodegroupReport, joinWindowSeconds: number | undefined): string[] {
  const lines = [
    `Nodegroup ${nodegroup.name} — ${nodegroup.status ?? 'status unknown'}, policy ${nodegroup.policy}`,
  ];
  if (nodegroup.policy === 'off') return [...lines, '  Not checked (policy off).'];

  const { instances } = nodegroup;
  const joined = instances.filter((i) => i.joined === true).length;
  const pending = instances.filter((i) => i.pending && i.joined !== true).length;
  const unjoined = unjoinedOf(instances).length;
  lines.push(
    `  Instances: ${instances.length} (${joined} joined, ${pending} pending, ${unjoined} not joined)`,
  );
  for (const instance of instances) lines.push(`    ${formatInstance(instance)}`);
  // Words shared with the alerts (functions/alerts), so the report and the alert say the same.
  // After a write the findings are as found before it: they no longer speak for the new instances.
  const doomed = nodegroup.actions.some((a) => a.status === 'done') ? [] : willNotJoin(nodegroup);
  if (doomed.length > 0) {
    lines.push(`  ${WILL_NOT_JOIN_HEADING} (${doomed.length}):`);
    for (const d of doomed) lines.push(`    ${willNotJoinWords(d, plain)}`);
    lines.push(`    ${willNotJoinNote(joinWindowSeconds)}`);
  }
  const launches = launchesFailNote(nodegroup);
  if (launches) lines.push(`  ${launches}`);
  if (nodegroup.waitingCost)
    lines.push(`  Cost of waiting: ${waitingCostWords(nodegroup.waitingCost, nodegroup)}`);

  for (const table of nodegroup.routeTables ?? []) {
    lines.push(...formatRouteTable(table, nodegroup.findings, nodegroup.egress?.[table.routeTableId]));
  }

  if (nodegroup.alertKind === 'resolved') {
    lines.push(
      `  Verdict: resolved — the replacements after the fix of ${nodegroup.remediation?.at ?? '?'} joined`,
    );
  } else if (nodegroup.findings.length === 0) {
    lines.push(`  Verdict: ${pending > 0 ? 'waiting — instances still inside the join window' : 'healthy'}`);
  } else {
    const critical = nodegroup.findings.some((f) => f.severity === 'critical');
    const worst = !hasOpenProblem(nodegroup) ? 'FIXED' : critical ? 'CRITICAL' : 'WARNING';
    lines.push(`  Verdict: ${worst} — ${nodegroup.findings.map((f) => f.code).join(', ')}`);
    for (const finding of nodegroup.findings) lines.push(...formatFinding(finding));
  }
  lines.push(...formatBootEvidence(nodegroup));
  if (nodegroup.actions.length > 0) {
    lines.push('  Actions:');
    for (const a of nodegroup.actions) {
      lines.push(
        `    ${a.type} ${a.resourceId}${a.target ? ` → ${a.target}` : ''}: ${a.status} — ${a.reason}`,
      );
      if (a.type === 'create-route' || a.type === 'replace-route') {
        lines.push(`      Route: ${a.before}  ⇒  ${a.after ?? 'unchanged'}`);
        lines.push(`      Serves: ${a.subnetIds.join(', ') || 'no subnet'}`);
      }
      if (a.reasonCode && (a.status === 'skipped' || a.status === 'failed')) {
        lines.push(`      Code: ${a.reasonCode}`);
      }
      if (a.undo && a.status === 'done') lines.push(`      Undo: ${a.undo}`);
    }
  }
  return lines;
}

function formatInstance(i: InstanceVerdict): string {
  const where = `${i.subnetId ?? '?'}  ${i.availabilityZone ?? '?'}  launched ${i.launchedAt ?? '?'}`;
  let status: string;
  if (i.joined === true)
    status = `joined as ${i.nodeName ?? '?'}${i.ready === false ? ' (NotReady)' : ' (Ready)'}`;
  else if (i.pending) status = 'pending (inside the join window)';
  else if (i.joined === null) status = 'membership unknown';
  else status = 'NOT JOINED';
  return `${i.instanceId}  ${where}  ${status}`;
}

/** How a table's way out reads after its routes. */
const EGRESS_WORDS: Record<EgressSummary['kind'], string> = {
  internet: 'to the internet',
  unknown: 'of unknown kind',
  dead: 'dead',
  'ipv6-only': 'IPv6 only',
  none: 'none',
};

function formatRouteTable(table: RouteTable, findings: Finding[], egress?: EgressSummary): string[] {
  const finding = findings.find((f) => f.routeTableId === table.routeTableId);
  const subnets = [
    ...new Set(findings.filter((f) => f.routeTableId === table.routeTableId).map((f) => f.subnetId)),
  ];
  const how =
    finding?.routeTableSource === 'main' || (!finding && table.main)
      ? 'the VPC main route table'
      : 'explicit association';
  return [
    `  Route table ${table.routeTableId} (${how}${subnets.length > 0 ? `, used by ${subnets.join(', ')}` : ''}):`,
    ...table.routes.map((r) => `    ${describeRoute(r)}`),
    ...(egress ? [`    Egress: ${EGRESS_WORDS[egress.kind]}${egressNote(egress)}`] : []),
  ];
}

function egressNote(egress: EgressSummary): string {
  if (egress.kind === 'unknown') {
    return ` — prefix list ${egress.prefixListId} could not be read, so it may be the way out: nothing is written over it`;
  }
  return egress.routes.length > 0 ? ` (${egress.routes.join(', ')})` : '';
}

/** Every evidence item in full: the report is read in a terminal, not capped like a chat post. */
const ALL = Number.POSITIVE_INFINITY;

function formatFinding(f: Finding): string[] {
  return [
    `    [${f.code}] ${f.resourceId}: ${f.message}`,
    ...findingEvidence(f, plain, ALL).map((line) => `      ${line}`),
    '      Fix:',
    ...f.fix.split('\n').map((line) => `        ${line}`),
  ];
}

/** Each boot log: what it shows, then its last lines, indented as a block. */
function formatBootEvidence(nodegroup: NodegroupReport): string[] {
  const evidence = nodegroup.bootEvidence ?? [];
  if (evidence.length === 0) return [];
  const lines = [`  Boot logs (${evidence.length}):`];
  for (const e of evidence) {
    const { headline, lines: log } = bootEvidenceWords(e, plain);
    lines.push(`    ${headline}`, ...log.map((line) => `        ${line}`));
  }
  return lines;
}
