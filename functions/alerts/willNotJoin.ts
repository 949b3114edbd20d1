/**
 * Instances that launched moments ago into a subnet whose fault keeps nodes from joining: at preflight
 * (a check as soon as an instance launches) they are still inside their join window, so not judged
 * yet, but the alert can already say that they will not join, and why.
 */
import type { Finding, FindingCode, InstanceVerdict, NodegroupReport } from '../core/model/types.js';
import { isLaunchFailure } from './evidenceWords.js';
import { instanceWords } from './resourceWords.js';
import type { Code } from './text.js';

/**
 * Codes that say nothing about a subnet's way to the cluster: the symptom itself, access to the
 * Kubernetes API, nodes that did join, the nodegroup's health, and launches that fail.
 */
const NOT_BLOCKING = new Set<FindingCode>([
  'NODES_NOT_JOINED',
  'CLUSTER_API_UNREACHABLE',
  'NODE_LIST_FORBIDDEN',
  'NODES_NOT_READY',
  'NODEGROUP_HEALTH_ISSUE',
]);

export interface DoomedInstance {
  verdict: InstanceVerdict;
  /** The findings that keep it from joining. */
  codes: FindingCode[];
}

/** Pending instances in a subnet (or named by a finding) whose faults keep nodes from joining. */
export function willNotJoin(ng: NodegroupReport): DoomedInstance[] {
  const blocking = ng.findings.filter((f) => !NOT_BLOCKING.has(f.code) && !isLaunchFailure(f));
  const applies = (f: Finding, v: InstanceVerdict) =>
    (f.subnetId !== undefined && f.subnetId === v.subnetId) || (f.instanceIds ?? []).includes(v.instanceId);
  return ng.instances
    .filter((v) => v.pending && v.joined !== true)
    .map((verdict) => ({
      verdict,
      codes: [...new Set(blocking.filter((f) => applies(f, verdict)).map((f) => f.code))],
    }))
    .filter((d) => d.codes.length > 0);
}

/** The heading of the list, the same in every channel. */
export const WILL_NOT_JOIN_HEADING = 'Just launched, will not be able to join';

/** One instance of the list: where it runs, since when, and the faults in its way. */
export function willNotJoinWords(d: DoomedInstance, code: Code): string {
  return `${instanceWords(d.verdict, code)} — cannot join while ${d.codes.join(', ')} stands`;
}

/** What happens next to them: they are judged again when their window ends. */
export function willNotJoinNote(joinWindowSeconds: number | undefined): string {
  const window = joinWindowSeconds === undefined ? '' : ` (${joinWindowSeconds} s after launch)`;
  return `These instances are still inside their join window: fix the cause below and they can still join; they are judged again at the end of the window${window}.`;
}
