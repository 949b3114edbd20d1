import { unjoinedOf } from '../diagnose/judgeInstances.js';
import type { InstanceVerdict, RemediationRecord } from '../model/types.js';

export type FollowUp =
  | { kind: 'wait' }
  | { kind: 'resolved'; record: RemediationRecord }
  | { kind: 'escalate'; record: RemediationRecord; reason: string };

/**
 * After a remediation: did the replacements join? Replacements are the instances launched after it.
 * Resolved when they all joined and nothing is left unjoined; escalated when one of them is itself
 * past the join window without a Node; otherwise wait for the next check.
 */
export function evaluateFollowUp(
  record: RemediationRecord | undefined,
  verdicts: InstanceVerdict[],
): FollowUp {
  if (record?.status !== 'open') return { kind: 'wait' };
  if (verdicts.some((v) => v.joined === null)) return { kind: 'wait' };
  // Launch times have second resolution, and the record's time is floored to the second.
  const since = Date.parse(record.at);
  const replaced = new Set(record.replacedInstanceIds);
  const replacements = verdicts.filter(
    (v) => !replaced.has(v.instanceId) && v.launchedAt && Date.parse(v.launchedAt) >= since,
  );
  const failed = unjoinedOf(replacements);
  if (failed.length > 0) {
    return {
      kind: 'escalate',
      record,
      reason: `the fix did not help: replacement(s) ${failed.map((v) => v.instanceId).join(', ')} have not joined either`,
    };
  }
  const unjoined = unjoinedOf(verdicts).length > 0;
  const waiting = replacements.some((v) => v.joined !== true);
  const expectsReplacements = record.replacedInstanceIds.length > 0;
  if (unjoined || waiting || (expectsReplacements && replacements.length === 0)) return { kind: 'wait' };
  return { kind: 'resolved', record };
}
