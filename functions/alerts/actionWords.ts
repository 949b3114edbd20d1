/** Actions, as a person reads them: grouped, described, with the fix to run by hand and how to undo them. */
import type {
  Action,
  ActionStatus,
  AlertKind,
  Finding,
  FindingCode,
  NodegroupReport,
  Policy,
  RemediationRecord,
  RouteAction,
} from '../core/model/types.js';
import { type Code, count, idList, unique } from './text.js';

export function isRouteAction(a: Action): a is RouteAction {
  return a.type === 'create-route' || a.type === 'replace-route';
}

/** The instances a replace-instances action is about. */
export function instancesOf(a: Action): string[] {
  return a.type === 'replace-instances' ? a.instanceIds : [];
}

/** The instances these actions name, in order, repeats kept. */
export function instanceIdsOf(actions: Action[]): string[] {
  return actions.flatMap(instancesOf);
}

/**
 * Actions alike but for their resource (one per unjoined instance, say) make one item, not thousands.
 * Route actions stay one item each: each has its own table, before and after.
 */
export function groupActions(actions: Action[]): Action[][] {
  const groups = new Map<string, Action[]>();
  for (const a of actions) {
    const key = JSON.stringify([
      a.status,
      a.type,
      a.target,
      // Alike by their data, not by their sentence (which names each instance).
      a.type === 'replace-instances' ? (a.scaleCycleBlockedBy ?? '') : a.reason,
      a.reasonCode,
      a.type === 'replace-instances' || a.type === 'scale-cycle' ? a.autoScalingGroupName : undefined,
      a.type === 'scale-cycle' ? a.desiredSize : undefined,
      isRouteAction(a) ? `${a.routeTableId}/${a.destination}` : '',
    ]);
    const group = groups.get(key);
    if (group) group.push(a);
    else groups.set(key, [a]);
  }
  return [...groups.values()];
}

/**
 * What an item of actions changes, without its status or reason. With `inlineChange`, a route action
 * that knows its table before and after reads `create-route rtb-…: no 0.0.0.0/0 route → 0.0.0.0/0 → nat-…`
 * when done or planned, and says what the table holds now when skipped or failed.
 */
export function actionWords(group: Action[], code: Code, maxIds: number, inlineChange: boolean): string {
  const [a] = group as [Action, ...Action[]];
  if (a.type === 'replace-instances') {
    const ids = unique(instanceIdsOf(group));
    const asg = a.autoScalingGroupName ?? a.target;
    if (ids.length === 0) return `replace-instances on ${code(asg ?? a.resourceId)}`;
    const of = asg ? ` of ${code(asg)}` : '';
    return `replace-instances on ${count(ids.length, 'instance')}${of}: ${idList(ids, code, maxIds)}`;
  }
  if (group.length > 1) {
    const target = a.target ? ` → ${code(a.target)}` : '';
    return `${a.type} on ${count(group.length, 'resource')} (${idList(
      group.map((x) => x.resourceId),
      code,
      maxIds,
    )})${target}`;
  }
  if (isRouteAction(a)) {
    const table = a.routeTableId;
    const changed = a.status === 'done' || a.status === 'planned';
    if (inlineChange && changed && a.before && a.after) {
      return `${a.type} ${code(table)}: ${code(a.before)} → ${code(a.after)}`;
    }
    const target = a.natGatewayId ?? a.target;
    const now = inlineChange && !changed && a.before ? ` (now ${code(a.before)})` : '';
    return `${a.type} on ${code(table)}${target ? ` → ${code(target)}` : ''}${now}`;
  }
  if (a.type === 'scale-cycle') {
    const asg = a.autoScalingGroupName ? ` (${code(a.autoScalingGroupName)})` : '';
    const size = a.desiredSize === undefined ? '' : `: desired size ${a.desiredSize} → 0 → ${a.desiredSize}`;
    return `scale-cycle on ${code(a.resourceId)}${asg}${size}`;
  }
  return `${a.type} on ${code(a.resourceId)}${a.target ? ` → ${code(a.target)}` : ''}`;
}

export interface HandFix {
  code: FindingCode;
  fix: string;
}

/**
 * The reason of an action, and for a skipped or failed one what a person can run instead: the fix of
 * the finding it answers (the route command for a route table, the replacement commands for unjoined
 * instances).
 */
export function reasonAndFix(a: Action, findings: Finding[]): { reason: string; hand?: HandFix } {
  if (a.status !== 'skipped' && a.status !== 'failed') return { reason: a.reason };
  // The refusal's own commands (the route, the NAT gateway to create) come first.
  if (isRouteAction(a) && a.manualFix) {
    const code = findings.find((f) => f.routeTableId === a.routeTableId)?.code ?? 'NO_DEFAULT_ROUTE';
    return { reason: a.reason, hand: { code, fix: a.manualFix } };
  }
  const table = isRouteAction(a) ? a.routeTableId : a.resourceId;
  const instances = instancesOf(a);
  const finding = findings.find((f) => {
    if (!f.fix.trim()) return false;
    if (isRouteAction(a)) return f.code !== 'NODES_NOT_JOINED' && (f.routeTableId ?? f.resourceId) === table;
    if (a.type === 'replace-instances' || a.type === 'scale-cycle') {
      return (
        f.code === 'NODES_NOT_JOINED' &&
        (instances.length === 0 || instances.some((id) => f.instanceIds?.includes(id) ?? true))
      );
    }
    return f.resourceId === a.resourceId;
  });
  if (!finding) return { reason: a.reason };
  return { reason: a.reason, hand: { code: finding.code, fix: finding.fix } };
}

/**
 * A replacement has nothing to undo (desired capacity never changed; a terminated instance stays
 * terminated): its undo is a note for people, not a command.
 */
const hasUndoCommand = (a: Action) => a.type !== 'replace-instances' && a.type !== 'notify';

/** Done actions with an undo command, last first: the order to undo them in. */
export function undoable(actions: Action[]): (Action & { undo: string })[] {
  return actions
    .filter(
      (a): a is Action & { undo: string } =>
        a.status === 'done' && hasUndoCommand(a) && Boolean(a.undo?.trim()),
    )
    .reverse();
}

/** Done actions with nothing to undo, alike ones together, their note as the reason. */
export function undoNotes(actions: Action[]): Action[][] {
  const notes = actions.filter((a) => a.status === 'done' && !hasUndoCommand(a) && Boolean(a.undo?.trim()));
  return groupActions(notes).map((group) => group.map((a) => ({ ...a, reason: a.undo ?? '' })));
}

/** The order of the action sections, by the kind of alert. */
export const STATUS_ORDER: Record<AlertKind, ActionStatus[]> = {
  // A problem alert leads with what would be done (dry run) and what a person must do instead.
  problem: ['planned', 'skipped', 'failed', 'done'],
  remediated: ['done', 'failed', 'skipped', 'planned'],
  resolved: ['done', 'failed', 'skipped', 'planned'],
  escalation: ['skipped', 'failed', 'done', 'planned'],
};

export function statusHeading(status: ActionStatus, total: number, policy: Policy, kind: AlertKind): string {
  const n = total.toLocaleString('en-US');
  switch (status) {
    case 'planned':
      return policy === 'dry-run' ? `Planned (${n}): nothing was changed (dry run)` : `Planned (${n})`;
    case 'skipped':
      return `Skipped (${n}): a person must act`;
    case 'failed':
      return `Failed (${n})`;
    case 'done':
      return kind === 'remediated' ? `What was done (${n})` : `Done (${n})`;
  }
}

/** The actions of a nodegroup as the alerts show them: one section per status, in the kind's order, each grouped. */
export function actionSections(
  ng: NodegroupReport,
  kind: AlertKind,
): { status: ActionStatus; heading: string; groups: Action[][] }[] {
  return STATUS_ORDER[kind].flatMap((status) => {
    const actions = ng.actions.filter((a) => a.status === status);
    if (actions.length === 0) return [];
    return [
      {
        status,
        heading: statusHeading(status, actions.length, ng.policy, kind),
        groups: groupActions(actions),
      },
    ];
  });
}

/**
 * What an earlier remediation did, as the follow-up alerts tell it: its done actions grouped, and a
 * note when it changed nothing or replaced instances without a replace action of its own (a scale-cycle).
 */
export function remediationDone(
  record: RemediationRecord | undefined,
  code: Code,
  maxIds: number,
): { record: RemediationRecord; groups: Action[][]; notes: string[] } | undefined {
  if (!record) return undefined;
  const done = record.actions.filter((a) => a.status === 'done');
  const replacedApart = done.some((a) => a.type === 'replace-instances') ? [] : record.replacedInstanceIds;
  return {
    record,
    groups: groupActions(done),
    notes: [
      ...(done.length === 0 ? ['nothing was changed'] : []),
      ...(replacedApart.length > 0 ? [`Replaced: ${idList(replacedApart, code, maxIds)}`] : []),
    ],
  };
}
