/** The JSON report for SQS and Lambda: whole when it fits, else cut in steps that keep it valid JSON. */
import type { Action, NodegroupReport, Report } from '../core/model/types.js';
import { JSON_TEXT_LIMITS } from './limits.js';
import { clipCommands, clipText } from './text.js';

type CutNodegroup = NodegroupReport & { truncated?: true; omitted?: Record<string, number> };

/**
 * Steps, each only when the previous does not fit: drop the route table detail; then clip free text
 * and keep the longest prefix of the instance, action and instance-id lists (those of the remediation
 * too) that fits. Findings are never dropped: they are few and they are the point of the alert.
 * `fits` tells whether a JSON report leaves the whole SNS message within its limit.
 */
export function fitReportJson(report: Report, ng: NodegroupReport, fits: (json: string) => boolean): string {
  const json = (nodegroup: CutNodegroup) => JSON.stringify({ ...report, nodegroups: [nodegroup] });
  const whole = json(ng);
  if (fits(whole)) return whole;
  if (ng.routeTables?.length) {
    const lean = json(cutNodegroup(ng, Number.POSITIVE_INFINITY));
    if (fits(lean)) return lean;
  }
  const longest = Math.max(
    ng.instances.length,
    ng.actions.length,
    ng.remediation?.actions.length ?? 0,
    ng.remediation?.replacedInstanceIds.length ?? 0,
    ...ng.findings.map((f) => f.instanceIds?.length ?? 0),
  );
  let low = 0;
  let high = longest;
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    if (fits(json(cutNodegroup(ng, mid, true)))) low = mid;
    else high = mid - 1;
  }
  return json(cutNodegroup(ng, low, true));
}

function cutNodegroup(ng: NodegroupReport, keep: number, clipTextFields = false): CutNodegroup {
  const { routeTables, ...rest } = ng;
  const omitted: Record<string, number> = {};
  const take = <T>(name: string, list: T[]): T[] => {
    if (list.length > keep) omitted[name] = (omitted[name] ?? 0) + list.length - keep;
    return list.slice(0, keep);
  };
  if (routeTables?.length) omitted.routeTables = routeTables.length;
  const text = (value: string) => (clipTextFields ? clipText(value, JSON_TEXT_LIMITS.message) : value);
  const command = (value: string) =>
    clipTextFields
      ? clipCommands(value, JSON_TEXT_LIMITS.commandChars, JSON_TEXT_LIMITS.commandLines)
      : value;
  const clipAction = (a: Action): Action => ({
    ...a,
    reason: text(a.reason),
    ...(a.undo !== undefined && { undo: command(a.undo) }),
  });
  return {
    ...rest,
    instances: take('instances', ng.instances),
    findings: ng.findings.map((f) => ({
      ...f,
      message: text(f.message),
      fix: command(f.fix),
      ...(f.instanceIds && { instanceIds: take('findingInstanceIds', f.instanceIds) }),
    })),
    actions: take('actions', ng.actions).map(clipAction),
    ...(ng.remediation && {
      remediation: {
        ...ng.remediation,
        actions: take('remediationActions', ng.remediation.actions).map(clipAction),
        replacedInstanceIds: take('replacedInstanceIds', ng.remediation.replacedInstanceIds),
      },
    }),
    truncated: true,
    omitted,
  };
}
