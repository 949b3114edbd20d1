/** The JSON report for SQS and Lambda: whole when it fits, else cut in steps that keep it valid JSON. */
import type { Action, BootEvidence, Finding, NodegroupReport, Report } from '../core/model/types.js';
import { JSON_TEXT_LIMITS } from './limits.js';
import { clipCommands, clipText } from './text.js';

type CutNodegroup = NodegroupReport & { truncated?: true; omitted?: Record<string, number> };

/**
 * Steps, each only when the previous does not fit: drop the route table detail; then clip free text
 * and keep the longest prefix of the instance, action and instance-id lists (those of the remediation
 * too), and of the evidence lists (not-ready nodes, subnets with room, status messages, boot logs and
 * their lines), that fits. Findings are never dropped: they are few and they are the point of the alert.
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
    ng.bootEvidence?.length ?? 0,
    ...(ng.bootEvidence ?? []).map((e) => e.lines.length),
    ...ng.findings.flatMap((f) => [
      f.instanceIds?.length ?? 0,
      f.notReadyNodes?.length ?? 0,
      f.subnetsWithRoom?.length ?? 0,
      f.launchFailures?.statusMessages.length ?? 0,
    ]),
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
  const line = (value: string) => (clipTextFields ? clipText(value, JSON_TEXT_LIMITS.line) : value);
  const clipFinding = (f: Finding): Finding => ({
    ...f,
    message: text(f.message),
    fix: command(f.fix),
    ...(f.instanceIds && { instanceIds: take('findingInstanceIds', f.instanceIds) }),
    ...(f.notReadyNodes && {
      notReadyNodes: take('notReadyNodes', f.notReadyNodes).map((n) => ({
        ...n,
        ...(n.message !== undefined && { message: line(n.message) }),
      })),
    }),
    ...(f.subnetsWithRoom && { subnetsWithRoom: take('subnetsWithRoom', f.subnetsWithRoom) }),
    ...(f.launchFailures && {
      launchFailures: {
        ...f.launchFailures,
        statusMessages: take('launchFailureMessages', f.launchFailures.statusMessages).map(line),
      },
    }),
    ...(f.lastChange &&
      !f.lastChange.found &&
      f.lastChange.detail !== undefined && {
        lastChange: { ...f.lastChange, detail: line(f.lastChange.detail) },
      }),
  });
  // The last lines of a boot log say the most: a cut keeps those.
  const clipEvidence = (e: BootEvidence): BootEvidence => {
    const lines = e.lines.slice(Math.max(0, e.lines.length - keep)).map(line);
    if (lines.length < e.lines.length)
      omitted.bootEvidenceLines = (omitted.bootEvidenceLines ?? 0) + e.lines.length - lines.length;
    return { ...e, lines, ...(e.unavailable !== undefined && { unavailable: line(e.unavailable) }) };
  };
  const clipAction = (a: Action): Action => ({
    ...a,
    reason: text(a.reason),
    ...(a.undo !== undefined && { undo: command(a.undo) }),
  });
  return {
    ...rest,
    instances: take('instances', ng.instances),
    findings: ng.findings.map(clipFinding),
    ...(ng.bootEvidence && { bootEvidence: take('bootEvidence', ng.bootEvidence).map(clipEvidence) }),
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
