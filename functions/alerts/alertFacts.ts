/**
 * What the alert says, shared by every variant: its kind and severity, the headline, which instances
 * stand where, and why an escalation needs a person. The thread id ties the alerts of one nodegroup.
 */

import { unjoinedOf } from '../core/diagnose/judgeInstances.js';
import type {
  Action,
  ActionStatus,
  AlertKind,
  FindingCode,
  InstanceVerdict,
  NodegroupReport,
  Policy,
  Report,
  Severity,
} from '../core/model/types.js';
import { instanceIdsOf, isRouteAction } from './actionWords.js';
import { isLaunchFailure } from './evidenceWords.js';
import { count, idList, plain, unique } from './text.js';
import { type DoomedInstance, willNotJoin } from './willNotJoin.js';

/** Signs the email and prefixes the chat thread id. */
export const TOOL_NAME = 'eks-join-remediator';

/** Stable per nodegroup, so every alert about it lands in one chat thread. */
export function threadIdFor(cluster: string, nodegroup: string): string {
  return `${TOOL_NAME}/${cluster}/${nodegroup}`;
}

export interface AlertFacts {
  /** Why the alert is sent: the problem, what was done about it, or how that ended. */
  kind: AlertKind;
  severity: Severity;
  /** Chat title emoji: the severity for a problem, else how the action or follow-up ended. */
  mark: string;
  /** Subject and email tag: the severity for a problem (`CRITICAL`), else the outcome (`FIXED`). */
  tag: string;
  /** Plain text, no emoji: `eks-workshop/ng: 1 node never joined — NO_DEFAULT_ROUTE`. */
  headline: string;
  eventType: string;
  unjoined: InstanceVerdict[];
  /** The unjoined that no done replace-instances action already names: the ones still to list. */
  unreplaced: InstanceVerdict[];
  unknown: InstanceVerdict[];
  joined: InstanceVerdict[];
  pending: number;
  /**
   * A problem: instances still inside their join window in a subnet whose fault keeps them from
   * joining (a check at launch); they are named, not yet judged.
   */
  willNotJoin: DoomedInstance[];
  /** Escalation: why a person is needed, one sentence each. */
  reasons: string[];
}

const SEVERITY_RANK: Record<Severity, number> = { critical: 0, warning: 1, info: 2 };

export function alertFacts(report: Report, ng: NodegroupReport): AlertFacts {
  const kind = ng.alertKind ?? 'problem';
  const unjoined = unjoinedOf(ng.instances);
  const unknown = ng.instances.filter((v) => v.joined === null && !v.pending);
  const bySeverity = [...ng.findings].sort((a, b) => SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity]);
  // The codes other than the symptom, most severe first: the likely causes.
  const causes = unique(bySeverity.map((f) => f.code).filter((code) => code !== 'NODES_NOT_JOINED'));
  const findingSeverity = bySeverity[0]?.severity ?? 'info';
  const prefix = `${report.cluster}/${ng.name}`;
  // Only a problem speaks of the future: after a fix the findings are as found before it.
  const doomed = kind === 'problem' ? willNotJoin(ng) : [];

  const { what, why } = whatAndWhy(ng, { unjoined, doomed, unknown, causes });

  const base = {
    kind,
    unjoined,
    unreplaced: notReplaced(ng, unjoined),
    unknown,
    joined: ng.instances.filter((v) => v.joined === true),
    pending: ng.instances.filter((v) => v.pending).length,
    willNotJoin: doomed,
    reasons: [],
  };

  if (kind === 'resolved') {
    return {
      ...base,
      severity: 'info',
      mark: ':large_green_circle:',
      tag: 'RESOLVED',
      headline: `${prefix}: resolved — ${ng.remediation ? 'replacements joined' : 'nodes joined'}`,
      eventType: 'NodesJoined',
    };
  }

  if (kind === 'escalation') {
    const { short, long } = escalationReasons(ng, unjoined, causes, `${what}${why ? ` — ${why}` : ''}`);
    return {
      ...base,
      severity: 'critical',
      mark: ':rotating_light:',
      tag: 'ESCALATION',
      headline: `${prefix}: needs a person — ${short.join('; ')}`,
      eventType: 'RemediationEscalated',
      reasons: long,
    };
  }

  if (kind === 'remediated') {
    const failed = ng.actions.filter((a) => a.status === 'failed');
    const done = doneWords(ng.actions);
    if (failed.length > 0) {
      const types = unique(failed.map((a) => a.type)).join(', ');
      return {
        ...base,
        severity: 'critical',
        mark: ':x:',
        tag: 'FIX FAILED',
        headline: `${prefix}: fix failed — ${types} failed${done ? ` (${done})` : ''}`,
        eventType: 'RemediationFailed',
      };
    }
    if (done) {
      return {
        ...base,
        severity: findingSeverity,
        mark: ':white_check_mark:',
        tag: 'FIXED',
        headline: `${prefix}: ${done}`,
        eventType: 'RemediationApplied',
      };
    }
    // Nothing was changed (every action skipped): the problem stands and is told as one.
  }

  const outcome = outcomeOf(ng.actions);
  return {
    ...base,
    severity: findingSeverity,
    mark: SEVERITY_EMOJI[findingSeverity],
    tag: findingSeverity.toUpperCase(),
    headline: `${prefix}: ${what}${why ? ` — ${why}` : ''}${outcome ? ` (${outcome})` : ''}`,
    eventType: problemEventType(ng, unjoined, doomed, unknown),
  };
}

/**
 * The headline's two halves: what stands worst (nodes that never joined, new ones that will not,
 * membership unknown, launches that fail, nodes not Ready, else the findings), and why.
 */
function whatAndWhy(
  ng: NodegroupReport,
  found: {
    unjoined: InstanceVerdict[];
    doomed: DoomedInstance[];
    unknown: InstanceVerdict[];
    causes: FindingCode[];
  },
): { what: string; why: string | undefined } {
  const { unjoined, doomed, unknown, causes } = found;
  const causeWords = causes.length > 0 ? causes.join(', ') : undefined;
  if (unjoined.length > 0) {
    return {
      what: `${count(unjoined.length, 'node')} never joined`,
      why: causeWords ?? 'cause not identified',
    };
  }
  if (doomed.length > 0) {
    return {
      what: `${count(doomed.length, 'new node')} will not join`,
      why: unique(doomed.flatMap((d) => d.codes)).join(', '),
    };
  }
  if (unknown.length > 0)
    return { what: `membership of ${count(unknown.length, 'node')} unknown`, why: causeWords };
  // No instance exists at all: the launches themselves fail.
  if (ng.findings.some(isLaunchFailure)) return { what: 'launches fail', why: causeWords };
  const notReady = ng.findings.filter((f) => f.code === 'NODES_NOT_READY');
  if (notReady.length > 0) {
    // The symptom is the headline; the causes the account shows are the why.
    const nodes = notReady.reduce((sum, f) => sum + (f.notReadyNodes?.length ?? 0), 0);
    const why = [
      ...notReady.flatMap((f) => f.notReadyCauses ?? []),
      ...causes.filter((c) => c !== 'NODES_NOT_READY'),
    ];
    return {
      what: nodes > 0 ? `${count(nodes, 'node')} not Ready` : 'nodes not Ready',
      why: unique(why).join(', ') || 'cause not identified',
    };
  }
  return { what: count(ng.findings.length, 'finding'), why: causeWords };
}

/** The chat event type of a problem, by what stands worst: nodes, membership, launches, readiness, or risk. */
function problemEventType(
  ng: NodegroupReport,
  unjoined: InstanceVerdict[],
  doomed: DoomedInstance[],
  unknown: InstanceVerdict[],
): string {
  if (unjoined.length > 0) return 'NodesNotJoined';
  if (doomed.length > 0) return 'NodesWillNotJoin';
  if (unknown.length > 0) return 'NodeMembershipUnknown';
  if (ng.findings.some(isLaunchFailure)) return 'LaunchesFailing';
  if (ng.findings.some((f) => f.code === 'NODES_NOT_READY')) return 'NodesNotReady';
  // Findings and no instance in their way: a risk for the next launch (a nodegroup API call's preflight).
  return 'NodeJoinRisk';
}

/** `route fixed, 1 node replaced`: what the done actions changed; empty when they changed nothing. */
function doneWords(actions: Action[]): string {
  const done = actions.filter((a) => a.status === 'done');
  const routes = done.filter(isRouteAction).length;
  const replaced = unique(instanceIdsOf(done.filter((a) => a.type === 'replace-instances'))).length;
  return [
    routes === 1 ? 'route fixed' : routes > 1 ? `${routes} routes fixed` : '',
    replaced > 0 ? `${count(replaced, 'node')} replaced` : '',
    done.some((a) => a.type === 'scale-cycle') ? 'nodegroup cycled' : '',
  ]
    .filter(Boolean)
    .join(', ');
}

/**
 * Why an escalation needs a person, short for the title and whole for the body: replacements that did
 * not join after a remediation, the loop guard refusing another one, or else the problem itself.
 */
function escalationReasons(
  ng: NodegroupReport,
  unjoined: InstanceVerdict[],
  causes: FindingCode[],
  problem: string,
): { short: string[]; long: string[] } {
  const short: string[] = [];
  const long: string[] = [];
  const unjoinedFinding = ng.findings.find((f) => f.code === 'NODES_NOT_JOINED');
  const remediation = ng.remediation;
  if (remediation && (unjoinedFinding || unjoined.length > 0)) {
    const ids = unique(unjoinedFinding?.instanceIds ?? unjoined.map((v) => v.instanceId));
    // As the follow-up counts them: launched after the remediation, and not one it replaced.
    const since = Date.parse(remediation.at);
    const launched = new Map(ng.instances.map((v) => [v.instanceId, v.launchedAt]));
    const isReplacement = (id: string) => {
      if (remediation.replacedInstanceIds.includes(id)) return false;
      const at = launched.get(id);
      return at === undefined || Number.isNaN(since) || Date.parse(at) >= since;
    };
    const replacements = ids.filter(isReplacement);
    const stillOld = ids.filter((id) => !isReplacement(id));
    const which = (list: string[], max: number) => idList(list, plain, max);
    if (replacements.length > 0) {
      short.push(`the fix did not help: replacements ${which(replacements, 3)} have not joined`);
    } else if (stillOld.length > 0) {
      short.push(`the fix did not help: ${which(stillOld, 3)} still not joined`);
    } else {
      short.push('the fix did not help: the replacements have not joined');
    }
    const changed = doneWords(remediation.actions) || 'nothing changed';
    long.push(
      `The fix did not help: after the remediation of ${remediation.at} (${changed}), ` +
        [
          replacements.length > 0 ? `replacements ${which(replacements, 10)} have not joined` : '',
          stillOld.length === 1 ? `${which(stillOld, 10)} was not replaced and has not joined` : '',
          stillOld.length > 1 ? `${which(stillOld, 10)} were not replaced and have not joined` : '',
          ids.length === 0 ? 'the replacements have not joined' : '',
        ]
          .filter(Boolean)
          .join('; ') +
        '.',
    );
  }
  const guard = ng.actions.find((a) => a.reasonCode === 'LOOP_GUARD')?.loopGuard;
  if (guard) {
    const persists =
      causes.length === 0 ? '' : `, ${causes.join(', ')} ${causes.length === 1 ? 'persists' : 'persist'}`;
    short.push(`loop guard reached${persists}`);
    const hours = +(guard.windowSeconds / 3600).toFixed(2);
    long.push(
      `Loop guard: ${guard.remediations} remediation(s) of this nodegroup in the last ${hours} h (limit ${guard.limit}), so nothing more is changed automatically`,
    );
  }
  if (short.length === 0) {
    short.push(problem);
    long.push(`${problem}.`);
  }
  return { short, long };
}

/** What the remediation came to, worst first; nothing when no action was planned or taken. */
function outcomeOf(actions: Action[]): string | undefined {
  const has = (status: ActionStatus) => actions.some((a) => a.status === status);
  if (has('failed')) return 'fix failed';
  if (has('done')) return 'fixed';
  if (has('planned')) return 'fix planned';
  if (has('skipped')) return 'fix skipped';
  return undefined;
}

/** What each policy means for the reader, after its name. */
export const POLICY_MEANING: Record<Policy, string> = {
  off: 'checks are off for this nodegroup',
  notify: 'alert only, nothing was changed',
  'dry-run': 'the fix is planned below, nothing was changed (dry run)',
  remediate: 'the tool carries out the fix; the actions below say what was done',
};

/** The chat title mark of a problem alert, by its severity. */
const SEVERITY_EMOJI: Record<Severity, string> = {
  critical: ':rotating_light:',
  warning: ':warning:',
  info: ':information_source:',
};

/**
 * The joined instances a follow-up lists: those launched after the remediation (its replacements, as
 * far as the report tells) when there are any, else all of them; `others` counts the ones left out.
 */
export function joinedToList(
  ng: NodegroupReport,
  facts: AlertFacts,
): { replacements: boolean; list: InstanceVerdict[]; unlisted: Unlisted[] } {
  const { joined } = facts;
  const at = ng.remediation ? Date.parse(ng.remediation.at) : Number.NaN;
  const replacements = Number.isNaN(at)
    ? []
    : joined.filter((v) => v.launchedAt !== undefined && Date.parse(v.launchedAt) >= at);
  const list = replacements.length > 0 ? replacements : joined;
  const counts: Unlisted[] = [
    { kind: 'other-joined', count: joined.length - list.length },
    { kind: 'unjoined', count: facts.unjoined.length },
    { kind: 'pending', count: facts.pending },
  ];
  return { replacements: replacements.length > 0, list, unlisted: counts.filter((u) => u.count > 0) };
}

/** Instances a follow-up counts but does not list: other joined nodes, unjoined ones, ones still booting. */
export interface Unlisted {
  kind: 'other-joined' | 'unjoined' | 'pending';
  count: number;
}

/** Never-joined instances that no done replace-instances action already names. */
function notReplaced(ng: NodegroupReport, unjoined: InstanceVerdict[]): InstanceVerdict[] {
  const replaced = new Set(
    instanceIdsOf(ng.actions.filter((a) => a.status === 'done' && a.type === 'replace-instances')),
  );
  return unjoined.filter((v) => !replaced.has(v.instanceId));
}
