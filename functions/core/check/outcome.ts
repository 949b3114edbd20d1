import type { CheckResult } from '../model/check.js';
import type { Action, Finding, FindingCode, NodegroupReport } from '../model/types.js';

/** Findings that mean a call to the Kubernetes API failed, not that a node is broken. */
const ACCESS_CODES = new Set<FindingCode>(['CLUSTER_API_UNREACHABLE', 'NODE_LIST_FORBIDDEN']);

/** A nodegroup has a problem left when it has findings that no completed action resolved. */
export function hasOpenProblem(nodegroup: NodegroupReport): boolean {
  if (nodegroup.policy === 'off') return false;
  const done = nodegroup.actions.filter((a) => a.status === 'done');
  return nodegroup.findings.some((f) => !isFixed(f, done));
}

/** Fixed means a write that addresses this very finding succeeded in this run. */
function isFixed(finding: Finding, done: Action[]): boolean {
  switch (finding.code) {
    case 'NO_DEFAULT_ROUTE':
    case 'BLACKHOLE_DEFAULT_ROUTE':
      return done.some(
        (a) =>
          (a.type === 'create-route' || a.type === 'replace-route') &&
          a.routeTableId === finding.routeTableId,
      );
    case 'NODES_NOT_JOINED':
      return (
        done.some((a) => a.type === 'scale-cycle') ||
        (finding.instanceIds ?? []).every((id) =>
          done.some((a) => a.type === 'replace-instances' && a.instanceIds.includes(id)),
        )
      );
    default:
      return false;
  }
}

/**
 * The CLI exit code of a finished check (see contracts): 3 when a call failed (an alert not published,
 * the Kubernetes API unreachable or refusing), 1 when a problem remains, else 0.
 */
export function exitCodeFor(result: CheckResult): 0 | 1 | 3 {
  const nodegroups = result.report.nodegroups;
  if (result.errors.length > 0) return 3;
  if (nodegroups.some((n) => n.findings.some((f) => ACCESS_CODES.has(f.code)))) return 3;
  return nodegroups.some(hasOpenProblem) ? 1 : 0;
}
