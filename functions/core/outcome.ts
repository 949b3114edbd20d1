import type { CheckResult } from './runCheck.js';
import type { FindingCode, NodegroupReport } from './types.js';

/** Findings that mean a call to the Kubernetes API failed, not that a node is broken. */
const ACCESS_CODES = new Set<FindingCode>(['CLUSTER_API_UNREACHABLE', 'NODE_LIST_FORBIDDEN']);

/** A nodegroup has a problem left when it has findings that no completed action resolved. */
export function hasOpenProblem(nodegroup: NodegroupReport): boolean {
  return nodegroup.policy !== 'off' && nodegroup.findings.length > 0;
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
