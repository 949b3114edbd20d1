/**
 * Turns one nodegroup's verdict into an SNS message with one variant per protocol (MessageStructure
 * 'json'): a chat notification for Amazon Q Developer in chat applications (formerly AWS Chatbot), a
 * plain-text report for email, and the JSON report for SQS and Lambda subscribers. Pure: no SDK, no
 * clock; everything it says comes from the report.
 *
 * `alertKind` picks the framing: a problem (as found, with the plan of a dry run), what a remediation
 * did (before and after, undo commands), and the follow-ups in the same chat thread: resolved when the
 * replacements joined, escalation when a person is needed.
 */
import type {
  Action,
  ActionStatus,
  AlertKind,
  Finding,
  FindingCode,
  InstanceVerdict,
  NodegroupReport,
  Policy,
  Report,
  Severity,
} from '../core/types.js';

export const TOOL_NAME = 'eks-join-remediator';

/** SNS Publish accepts at most 256 KiB; the message holds every protocol's variant at once. */
export const SNS_MAX_MESSAGE_BYTES = 262_144;
/** SNS Subject: ASCII, no line breaks or control characters, fewer than 100 characters. */
export const SNS_MAX_SUBJECT_CHARS = 99;

/**
 * Caps on the chat notification. The custom notification guide documents the fields but no sizes, so
 * these follow Slack, where the notification renders: a section text holds at most 3,000 characters
 * and a header 150. Lists are capped so a nodegroup of thousands of instances stays one readable post.
 */
export const CHAT_LIMITS = {
  title: 150,
  summary: 150,
  description: 3000,
  instances: 10,
  findingMessage: 400,
  nextSteps: 10,
  nextStep: 1000,
  nextStepLines: 8,
  keywords: 10,
  relatedResources: 50,
} as const;

/** Caps on the email: enough to act on, and small enough that the JSON report keeps most of the budget. */
export const EMAIL_LIMITS = { listItems: 50, message: 2000, commandChars: 3000, commandLines: 30 } as const;

/** Caps on free text in the JSON report once it has to be cut to fit. */
const JSON_TEXT_LIMITS = { message: 4000, commandChars: 4000, commandLines: 40 } as const;

/** Amazon Q Developer in chat applications custom notification, schema version 1.0. */
export interface ChatNotification {
  version: '1.0';
  source: 'custom';
  id?: string;
  content: {
    textType: 'client-markdown';
    title: string;
    description: string;
    nextSteps: string[];
    keywords?: string[];
  };
  metadata: {
    threadId: string;
    summary: string;
    eventType: string;
    relatedResources: string[];
    additionalContext?: Record<string, string>;
  };
}

/** One message per SNS protocol; `default` also serves HTTPS subscribers, which is how Chatbot subscribes. */
export interface AlertStructure {
  default: string;
  email: string;
  sqs: string;
  lambda: string;
}

export interface AlertMessage {
  subject: string;
  /** The SNS Message for MessageStructure 'json': `structure` serialized. */
  message: string;
  attributes: { cluster: string; nodegroup: string; severity: Severity };
  structure: AlertStructure;
}

/** The nodegroup ARN is not part of NodegroupReport yet; when a caller adds it, it becomes a related resource. */
export type AlertNodegroup = NodegroupReport & { arn?: string };

/** Stable per nodegroup, so every alert about it lands in one chat thread. */
export function threadIdFor(cluster: string, nodegroup: string): string {
  return `${TOOL_NAME}/${cluster}/${nodegroup}`;
}

export function formatAlert(report: Report, nodegroup: AlertNodegroup): AlertMessage {
  const facts = factsOf(report, nodegroup);
  const attributes = { cluster: report.cluster, nodegroup: nodegroup.name, severity: facts.severity };
  const subject = snsSubject(facts);
  const chat = JSON.stringify(chatNotification(report, nodegroup, facts));
  const email = emailText(report, nodegroup, facts);

  // The JSON report appears twice (sqs and lambda), escaped inside the outer JSON; the rest is fixed.
  // Subject and attributes are counted too, so the estimate errs on the safe side.
  const fixedBytes =
    utf8Bytes(JSON.stringify({ default: chat, email, sqs: '', lambda: '' })) +
    utf8Bytes(subject) +
    Object.entries(attributes).reduce((sum, [name, value]) => sum + utf8Bytes(`${name}String${value}`), 0);
  const fits = (json: string) =>
    fixedBytes + 2 * (utf8Bytes(JSON.stringify(json)) - 2) < SNS_MAX_MESSAGE_BYTES;
  const body = fittedReportJson(report, nodegroup, fits);

  const structure: AlertStructure = { default: chat, email, sqs: body, lambda: body };
  return { subject, message: JSON.stringify(structure), attributes, structure };
}

// ---------------------------------------------------------------------------------------------
// What the alert says, shared by every variant

interface Facts {
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
  notJoined: InstanceVerdict[];
  unknown: InstanceVerdict[];
  joined: InstanceVerdict[];
  pending: number;
  /** Escalation: why a person is needed, one sentence each. */
  reasons: string[];
}

const SEVERITY_RANK: Record<Severity, number> = { critical: 0, warning: 1, info: 2 };

function factsOf(report: Report, ng: NodegroupReport): Facts {
  const kind = ng.alertKind ?? 'problem';
  const notJoined = ng.instances.filter((v) => v.joined === false && !v.pending);
  const unknown = ng.instances.filter((v) => v.joined === null && !v.pending);
  const bySeverity = [...ng.findings].sort((a, b) => SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity]);
  // The codes other than the symptom, most severe first: the likely causes.
  const causes = unique(bySeverity.map((f) => f.code).filter((code) => code !== 'NODES_NOT_JOINED'));
  const findingSeverity = bySeverity[0]?.severity ?? 'info';
  const prefix = `${report.cluster}/${ng.name}`;

  const what =
    notJoined.length > 0
      ? `${count(notJoined.length, 'node')} never joined`
      : unknown.length > 0
        ? `membership of ${count(unknown.length, 'node')} unknown`
        : count(ng.findings.length, 'finding');
  const why =
    causes.length > 0 ? causes.join(', ') : notJoined.length > 0 ? 'cause not identified' : undefined;

  const base = {
    kind,
    notJoined,
    unknown,
    joined: ng.instances.filter((v) => v.joined === true),
    pending: ng.instances.filter((v) => v.pending).length,
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
    const { short, long } = escalationReasons(ng, notJoined, causes, `${what}${why ? ` — ${why}` : ''}`);
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
    // Without stranded instances the findings are a risk for the next launch (e.g. a preflight check).
    eventType:
      notJoined.length > 0 ? 'NodesNotJoined' : unknown.length > 0 ? 'NodeMembershipUnknown' : 'NodeJoinRisk',
  };
}

/** `route fixed, 1 node replaced`: what the done actions changed; empty when they changed nothing. */
function doneWords(actions: Action[]): string {
  const done = actions.filter((a) => a.status === 'done');
  const routes = done.filter(isRouteAction).length;
  const replaced = unique(
    done
      .filter((a) => a.type === 'replace-instances')
      .map(instanceOf)
      .filter(isString),
  ).length;
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
  notJoined: InstanceVerdict[],
  causes: FindingCode[],
  problem: string,
): { short: string[]; long: string[] } {
  const short: string[] = [];
  const long: string[] = [];
  const stranded = ng.findings.find((f) => f.code === 'NODES_NOT_JOINED');
  const remediation = ng.remediation;
  if (remediation && (stranded || notJoined.length > 0)) {
    const ids = unique(stranded?.instanceIds ?? notJoined.map((v) => v.instanceId));
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
  const guard = ng.actions.find((a) => a.status === 'skipped' && /loop guard/i.test(a.reason));
  if (guard) {
    const persists =
      causes.length === 0 ? '' : `, ${causes.join(', ')} ${causes.length === 1 ? 'persists' : 'persist'}`;
    short.push(`loop guard reached${persists}`);
    // The guard's own words come first; what follows `; ` is the reason of the action it stopped.
    const words = guard.reason.split('; ')[0] ?? guard.reason;
    long.push(`Loop guard: ${words.replace(/^\s*loop guard\s*:?\s*/i, '')}`);
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

const POLICY_MEANING: Record<Policy, string> = {
  off: 'checks are off for this nodegroup',
  notify: 'alert only, nothing was changed',
  'dry-run': 'the fix is planned below, nothing was changed (dry run)',
  remediate: 'the tool carries out the fix; the actions below say what was done',
};

/** Generic words for each code, so even a finding this file has no special rendering for reads well. */
const FINDING_LABELS: Record<FindingCode, string> = {
  NODES_NOT_JOINED: 'instances ran past the join window without registering a Node',
  NO_DEFAULT_ROUTE: 'the subnet route table has no default route (0.0.0.0/0)',
  BLACKHOLE_DEFAULT_ROUTE: 'the default route is a blackhole or its NAT gateway is not available',
  NO_PUBLIC_IP: 'the default route goes to an internet gateway but the instance has no public IP',
  CLUSTER_API_UNREACHABLE: 'the Kubernetes API could not be reached, so membership was not judged',
  NODE_LIST_FORBIDDEN: 'the Kubernetes API refused to list nodes, so membership was not judged',
  MISSING_VPC_ENDPOINTS: 'a private subnet without egress lacks the VPC endpoints nodes need',
  ENDPOINT_ACCESS_EXCLUDES_NODES: "the public cluster endpoint does not admit the nodes' egress IPs",
  NACL_BLOCKS_EGRESS: 'the network ACL blocks HTTPS egress or its return traffic',
  SECURITY_GROUP_BLOCKS_EGRESS: 'no security group of the instance allows HTTPS egress',
  VPC_DNS_DISABLED: 'VPC DNS support or DNS hostnames are turned off',
  NODE_ROLE_MISSING_POLICY: 'the node IAM role lacks the worker node policies',
  NODE_ROLE_NOT_AUTHORIZED: 'the cluster does not admit the node IAM role',
  NODEGROUP_HEALTH_ISSUE: 'EKS reports a health issue on the nodegroup (e.g. NodeCreationFailure)',
};

function labelOf(code: string): string {
  // Codes added after this file was written still get a line instead of `undefined`.
  return (FINDING_LABELS as Partial<Record<string, string>>)[code] ?? 'see the message';
}

type Code = (text: string) => string;
const inlineCode: Code = (text) => `\`${text}\``;
const plain: Code = (text) => text;

function instanceWords(v: InstanceVerdict, code: Code): string {
  const where = v.subnetId
    ? ` in ${code(v.subnetId)}${v.availabilityZone ? ` (${v.availabilityZone})` : ''}`
    : '';
  const since = v.launchedAt ? `, ${v.state} since ${v.launchedAt}` : `, ${v.state}`;
  return `${code(v.instanceId)}${where}${since}`;
}

/** A node that joined: the instance, the Node it registered as, and whether it is Ready. */
function joinedWords(v: InstanceVerdict, code: Code): string {
  const node = v.nodeName ? ` as ${code(v.nodeName)}` : '';
  const ready = v.ready === true ? ' (Ready)' : v.ready === false ? ' (NotReady)' : '';
  return `${code(v.instanceId)}${node}${ready}${v.launchedAt ? `, launched ${v.launchedAt}` : ''}`;
}

/** Names the route table and whether the subnet uses it by association or by falling back to the main table. */
function routeTableWords(f: Finding, code: Code): string | undefined {
  if (!f.routeTableId) return undefined;
  const subnet = f.subnetId ? code(f.subnetId) : 'the subnet';
  if (f.routeTableSource === 'explicit')
    return `${code(f.routeTableId)}, explicitly associated with ${subnet}`;
  if (f.routeTableSource === 'main') {
    return `${code(f.routeTableId)}, the VPC main table (${subnet} has no association of its own)`;
  }
  return code(f.routeTableId);
}

/** Findings that share one fix (several subnets on one route table) give one step. */
function fixesOf(findings: Finding[]): { codes: FindingCode[]; fix: string }[] {
  const byFix = new Map<string, FindingCode[]>();
  for (const f of findings) {
    if (!f.fix.trim()) continue;
    const codes = byFix.get(f.fix) ?? [];
    if (!codes.includes(f.code)) codes.push(f.code);
    byFix.set(f.fix, codes);
  }
  return [...byFix].map(([fix, codes]) => ({ codes, fix }));
}

// ---------------------------------------------------------------------------------------------
// Actions, as a person reads them

function isRouteAction(a: Action): boolean {
  return a.type === 'create-route' || a.type === 'replace-route';
}

/** The instance a replace-instances action is about; none when it speaks of the whole group. */
function instanceOf(a: Action): string | undefined {
  return a.instanceId ?? (a.resourceId.startsWith('i-') ? a.resourceId : undefined);
}

function isString(value: string | undefined): value is string {
  return value !== undefined;
}

/**
 * Actions alike but for their resource (one per stranded instance, say) make one item, not thousands.
 * Route actions stay one item each: each has its own table, before and after.
 */
function groupActions(actions: Action[]): Action[][] {
  const groups = new Map<string, Action[]>();
  for (const a of actions) {
    const key = JSON.stringify([
      a.status,
      a.type,
      a.target,
      a.reason,
      a.autoScalingGroupName,
      a.desiredSize,
      isRouteAction(a) ? `${a.routeTableId ?? a.resourceId}/${a.destination ?? ''}` : '',
    ]);
    const group = groups.get(key);
    if (group) group.push(a);
    else groups.set(key, [a]);
  }
  return [...groups.values()];
}

function idList(ids: string[], code: Code, max: number): string {
  const shown = ids.slice(0, max).map(code).join(', ');
  const more = ids.length - Math.min(ids.length, max);
  return more > 0 ? `${shown}, … and ${more.toLocaleString('en-US')} more` : shown;
}

/**
 * What an item of actions changes, without its status or reason. With `inlineChange`, a route action
 * that knows its table before and after reads `create-route rtb-…: no 0.0.0.0/0 route → 0.0.0.0/0 → nat-…`
 * when done or planned, and says what the table holds now when skipped or failed.
 */
function actionWords(group: Action[], code: Code, maxIds: number, inlineChange: boolean): string {
  const [a] = group as [Action, ...Action[]];
  if (a.type === 'replace-instances') {
    const ids = unique(group.map(instanceOf).filter(isString));
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
    const table = a.routeTableId ?? a.resourceId;
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

interface HandFix {
  code: FindingCode;
  fix: string;
}

/**
 * The reason of an action, and for a skipped or failed one what a person can run instead: the fix of
 * the finding it answers (the route command for a route table, the replacement commands for stranded
 * instances). A reason that already spells out that command gets it taken out, so the command is
 * shown once, as code.
 */
function reasonAndFix(a: Action, findings: Finding[]): { reason: string; hand?: HandFix } {
  if (a.status !== 'skipped' && a.status !== 'failed') return { reason: a.reason };
  const table = a.routeTableId ?? a.resourceId;
  const instance = instanceOf(a);
  const finding = findings.find((f) => {
    if (!f.fix.trim()) return false;
    if (isRouteAction(a)) return f.code !== 'NODES_NOT_JOINED' && (f.routeTableId ?? f.resourceId) === table;
    if (a.type === 'replace-instances' || a.type === 'scale-cycle') {
      return f.code === 'NODES_NOT_JOINED' && (!instance || (f.instanceIds?.includes(instance) ?? true));
    }
    return f.resourceId === a.resourceId;
  });
  if (!finding) return { reason: a.reason };
  const hand = { code: finding.code, fix: finding.fix };
  const fix = finding.fix.trim();
  if (!a.reason.includes(fix)) return { reason: a.reason, hand };
  const reason = a.reason
    .replace(fix, '')
    .trim()
    .replace(/\s*(a person can run|by hand|run)\s*:?$/i, '')
    .trim();
  return { reason, hand };
}

/** An undo that says there is nothing to run (a terminated instance stays terminated). */
const NOTHING_TO_UNDO = /^\s*nothing to undo\b/i;

/** Done actions with an undo command, last first: the order to undo them in. */
function undoable(actions: Action[]): (Action & { undo: string })[] {
  return actions
    .filter(
      (a): a is Action & { undo: string } =>
        a.status === 'done' && Boolean(a.undo?.trim()) && !NOTHING_TO_UNDO.test(a.undo ?? ''),
    )
    .reverse();
}

/** Done actions whose undo says there is nothing to undo, alike ones together. */
function undoNotes(actions: Action[]): Action[][] {
  return groupActions(actions.filter((a) => a.status === 'done' && NOTHING_TO_UNDO.test(a.undo ?? ''))).map(
    (group) => group.map((a) => ({ ...a, reason: a.undo ?? '' })),
  );
}

const STATUS_ORDER: Record<AlertKind, ActionStatus[]> = {
  // A problem alert leads with what would be done (dry run) and what a person must do instead.
  problem: ['planned', 'skipped', 'failed', 'done'],
  remediated: ['done', 'failed', 'skipped', 'planned'],
  resolved: ['done', 'failed', 'skipped', 'planned'],
  escalation: ['skipped', 'failed', 'done', 'planned'],
};

function statusHeading(status: ActionStatus, total: number, policy: Policy, kind: AlertKind): string {
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

function watchCommand(ng: NodegroupReport): string {
  return `kubectl get nodes -l eks.amazonaws.com/nodegroup=${ng.name} --watch`;
}

/** The boot log of an instance that did not join: where kubelet and nodeadm say why. */
function consoleOutputCommand(report: Report, instanceId: string): string {
  return `aws ec2 get-console-output --instance-id ${instanceId} --latest --output text${report.region ? ` --region ${report.region}` : ''}`;
}

/** Joined instances launched after the remediation: its replacements, as far as the report tells. */
function replacementsJoined(ng: NodegroupReport, joined: InstanceVerdict[]): InstanceVerdict[] {
  const at = ng.remediation ? Date.parse(ng.remediation.at) : Number.NaN;
  if (Number.isNaN(at)) return [];
  return joined.filter((v) => v.launchedAt !== undefined && Date.parse(v.launchedAt) >= at);
}

/** Never-joined instances that no done replace-instances action already names. */
function notReplaced(ng: NodegroupReport, notJoined: InstanceVerdict[]): InstanceVerdict[] {
  const replaced = new Set(
    ng.actions
      .filter((a) => a.status === 'done' && a.type === 'replace-instances')
      .map(instanceOf)
      .filter(isString),
  );
  return notJoined.filter((v) => !replaced.has(v.instanceId));
}

// ---------------------------------------------------------------------------------------------
// Chat: Amazon Q Developer in chat applications custom notification

const SEVERITY_EMOJI: Record<Severity, string> = {
  critical: ':rotating_light:',
  warning: ':warning:',
  info: ':information_source:',
};
const FINDING_EMOJI: Record<Severity, string> = {
  critical: ':red_circle:',
  warning: ':large_orange_circle:',
  info: ':large_blue_circle:',
};
const ACTION_EMOJI: Record<ActionStatus, string> = {
  planned: ':clipboard: *Planned*',
  done: ':white_check_mark: *Done*',
  failed: ':x: *Failed*',
  skipped: ':fast_forward: *Skipped*',
};

/** Items of actions shown per status in the chat description; the rest are counted. */
const CHAT_ACTION_ITEMS = 10;

function chatNotification(report: Report, ng: AlertNodegroup, facts: Facts): ChatNotification {
  const threadId = threadIdFor(report.cluster, ng.name);
  const statuses = unique(ng.actions.map((a) => a.status));
  return {
    version: '1.0',
    source: 'custom',
    // Follow-ups share the thread but are notifications of their own.
    id: `${threadId}/${report.checkedAt}${facts.kind === 'problem' ? '' : `/${facts.kind}`}`,
    content: {
      textType: 'client-markdown',
      title: clipText(`${facts.mark} ${facts.headline}`, CHAT_LIMITS.title),
      description: chatDescription(report, ng, facts),
      nextSteps: chatNextSteps(report, ng, facts),
      keywords: unique([
        facts.severity,
        ...(facts.kind === 'problem' ? [] : [facts.kind]),
        ...ng.findings.map((f) => f.code),
        ng.policy,
      ]).slice(0, CHAT_LIMITS.keywords),
    },
    metadata: {
      threadId,
      summary: clipText(facts.headline, CHAT_LIMITS.summary),
      eventType: facts.eventType,
      relatedResources: relatedResources(ng, facts).slice(0, CHAT_LIMITS.relatedResources),
      additionalContext: {
        cluster: report.cluster,
        ...(report.region && { region: report.region }),
        nodegroup: ng.name,
        policy: ng.policy,
        severity: facts.severity,
        alertKind: facts.kind,
        checkedAt: report.checkedAt,
        findings: unique(ng.findings.map((f) => f.code)).join(',') || 'none',
        nodesNotJoined: String(facts.notJoined.length),
        actions:
          statuses.map((s) => `${s}:${ng.actions.filter((a) => a.status === s).length}`).join(',') || 'none',
        ...(ng.remediation && { remediatedAt: ng.remediation.at }),
      },
    },
  };
}

function chatDescription(report: Report, ng: NodegroupReport, facts: Facts): string {
  const window = report.joinWindowSeconds === undefined ? '' : ` · join window ${report.joinWindowSeconds} s`;
  const lines = [
    `*Cluster* \`${report.cluster}\`${report.region ? ` (${report.region})` : ''} · *Nodegroup* \`${ng.name}\`${ng.status ? ` (${ng.status})` : ''}`,
    `*Policy* \`${ng.policy}\`: ${POLICY_MEANING[ng.policy]}`,
    `*Checked* ${report.checkedAt}${window}`,
  ];
  const actions = chatActionSections(ng, facts);
  const remediation = chatRemediation(ng);
  const undo = chatUndo(
    facts.kind === 'escalation' ? [...(ng.remediation?.actions ?? []), ...ng.actions] : ng.actions,
  );

  switch (facts.kind) {
    case 'problem':
      lines.push(...actions, ...chatInstanceLists(facts, facts.notJoined), ...undo);
      break;
    case 'remediated':
      lines.push(...actions, ...undo, ...chatInstanceLists(facts, notReplaced(ng, facts.notJoined)));
      break;
    case 'resolved':
      lines.push(...remediation, ...chatJoined(ng, facts), ...actions);
      break;
    case 'escalation':
      lines.push('', '*Why a person is needed*', ...facts.reasons.map((r) => `• ${r}`));
      lines.push(...actions, ...remediation, ...chatInstanceLists(facts, facts.notJoined), ...undo);
      break;
  }
  if (ng.findings.length > 0) {
    const when = facts.kind === 'remediated' ? ' before the fix' : '';
    lines.push('', `*Diagnosis${when} (${ng.findings.length})*`);
    for (const f of ng.findings) {
      const where = routeTableWords(f, inlineCode) ?? inlineCode(f.resourceId);
      lines.push(
        `${FINDING_EMOJI[f.severity]} *${f.code}* (${where}): ${clipText(f.message, CHAT_LIMITS.findingMessage)}`,
      );
    }
  }
  return joinWithin(lines, CHAT_LIMITS.description, (hidden) => `… ${count(hidden, 'more line')} not shown`);
}

function chatInstanceLists(facts: Facts, notJoined: InstanceVerdict[]): string[] {
  const lines = [
    ...chatInstances('Never joined', notJoined),
    ...chatInstances('Membership unknown', facts.unknown),
  ];
  const others = [
    facts.joined.length > 0 ? `${count(facts.joined.length, 'node')} joined` : '',
    facts.pending > 0 ? `${count(facts.pending, 'instance')} still inside the join window` : '',
  ].filter(Boolean);
  if (others.length > 0) lines.push(others.join(' · '));
  return lines;
}

function chatInstances(heading: string, instances: InstanceVerdict[], words = instanceWords): string[] {
  if (instances.length === 0) return [];
  const shown = instances.slice(0, CHAT_LIMITS.instances).map((v) => `• ${words(v, inlineCode)}`);
  const more = instances.length - shown.length;
  return [
    '',
    `*${heading} (${instances.length.toLocaleString('en-US')})*`,
    ...shown,
    ...(more > 0 ? [`• … and ${more.toLocaleString('en-US')} more`] : []),
  ];
}

/** One section per status, in the order that suits the kind of alert. */
function chatActionSections(ng: NodegroupReport, facts: Facts): string[] {
  const lines: string[] = [];
  for (const status of STATUS_ORDER[facts.kind]) {
    const actions = ng.actions.filter((a) => a.status === status);
    if (actions.length === 0) continue;
    lines.push('', `*${statusHeading(status, actions.length, ng.policy, facts.kind)}*`);
    const groups = groupActions(actions);
    for (const group of groups.slice(0, CHAT_ACTION_ITEMS)) lines.push(...chatActionItem(group, ng.findings));
    if (groups.length > CHAT_ACTION_ITEMS) {
      lines.push(`• … and ${count(groups.length - CHAT_ACTION_ITEMS, 'more item')} (see the JSON report)`);
    }
  }
  return lines;
}

function chatActionItem(group: Action[], findings: Finding[]): string[] {
  const [a] = group as [Action, ...Action[]];
  const words = actionWords(group, inlineCode, CHAT_LIMITS.instances, true);
  const { reason, hand } = reasonAndFix(a, findings);
  const why = reason ? ` — ${oneLine(clipText(reason, CHAT_LIMITS.findingMessage))}` : '';
  const lines = [`${ACTION_EMOJI[a.status]} ${words}${why}`];
  if (hand) {
    lines.push(
      hand.fix.includes('\n')
        ? `      ↳ by hand: the *${hand.code}* commands in the next steps`
        : `      ↳ by hand: ${inlineCode(clipText(hand.fix, CHAT_LIMITS.nextStep))}`,
    );
  }
  return lines;
}

/** The remediation a follow-up speaks of: when, and what it changed. */
function chatRemediation(ng: NodegroupReport): string[] {
  const record = ng.remediation;
  if (!record) return [];
  const done = record.actions.filter((a) => a.status === 'done');
  const lines = ['', `*Remediation of ${record.at}* (${record.status})`];
  const groups = groupActions(done);
  for (const group of groups.slice(0, CHAT_ACTION_ITEMS)) {
    lines.push(`${ACTION_EMOJI.done} ${actionWords(group, inlineCode, CHAT_LIMITS.instances, true)}`);
  }
  if (groups.length > CHAT_ACTION_ITEMS)
    lines.push(`• … and ${count(groups.length - CHAT_ACTION_ITEMS, 'more item')}`);
  if (done.length === 0) lines.push('nothing was changed');
  if (record.replacedInstanceIds.length > 0 && !done.some((a) => a.type === 'replace-instances')) {
    lines.push(`Replaced: ${idList(record.replacedInstanceIds, inlineCode, CHAT_LIMITS.instances)}`);
  }
  return lines;
}

function chatJoined(ng: NodegroupReport, facts: Facts): string[] {
  const replacements = replacementsJoined(ng, facts.joined);
  const lines =
    replacements.length > 0
      ? chatInstances('Replacements joined', replacements, joinedWords)
      : chatInstances('Joined', facts.joined, joinedWords);
  const others = facts.joined.length - (replacements.length > 0 ? replacements.length : facts.joined.length);
  const rest = [
    others > 0 ? `${count(others, 'other node')} joined` : '',
    facts.notJoined.length > 0 ? `${count(facts.notJoined.length, 'node')} not joined` : '',
    facts.pending > 0 ? `${count(facts.pending, 'instance')} still inside the join window` : '',
  ].filter(Boolean);
  if (rest.length > 0) lines.push(rest.join(' · '));
  return lines;
}

function chatUndo(actions: Action[]): string[] {
  const steps = undoable(actions);
  const notes = undoNotes(actions).map(
    (group) =>
      `• ${actionWords(group, inlineCode, 3, false)}: ${oneLine(clipText(group[0]?.reason ?? '', CHAT_LIMITS.findingMessage))}`,
  );
  if (steps.length === 0 && notes.length === 0) return [];
  const shown = steps.slice(0, CHAT_ACTION_ITEMS).map((a) => {
    const label = actionWords([a], inlineCode, 1, false);
    const command = clipCommands(a.undo, CHAT_LIMITS.findingMessage, CHAT_LIMITS.nextStepLines);
    return command.includes('\n')
      ? `• ${label}:\n\`\`\`\n${command}\n\`\`\``
      : `• ${label}: ${inlineCode(command)}`;
  });
  const more = steps.length - shown.length;
  return [
    '',
    `*To undo${steps.length > 1 ? ' (in this order)' : ''}*`,
    ...shown,
    ...(more > 0 ? [`• … and ${count(more, 'more command')} (see the JSON report)`] : []),
    ...notes.slice(0, CHAT_ACTION_ITEMS),
  ];
}

/**
 * What a person does next. A problem: the fix commands, then what the tool planned or did. After an
 * action: watch the nodes join, take over what failed or was skipped, and how to undo. Resolved: see
 * the nodes. Escalation: the fix commands, the boot log of a stranded replacement, how to undo.
 */
function chatNextSteps(report: Report, ng: NodegroupReport, facts: Facts): string[] {
  const fixes = fixesOf(ng.findings).map(({ codes, fix }) => `*${codes.join(', ')}*: ${chatCommand(fix)}`);
  // The fix commands are steps of their own in a problem or an escalation; after an action, what a
  // person can run instead of a skipped or failed one comes with it.
  const actionSteps = (statuses: ActionStatus[], withFixes: boolean) =>
    groupActions(ng.actions.filter((a) => statuses.includes(a.status))).map((group) =>
      chatActionStep(group, ng.findings, withFixes),
    );
  const undoSteps = (actions: Action[]) =>
    undoable(actions).map(
      (a) => `*Undo* ${clipText(actionWords([a], inlineCode, 1, false), 300)}: ${chatCommand(a.undo, 650)}`,
    );

  let steps: string[];
  switch (facts.kind) {
    case 'problem':
      steps = [...fixes, ...actionSteps(STATUS_ORDER.problem, false), ...undoSteps(ng.actions)];
      break;
    case 'remediated': {
      const replaced = ng.actions.some(
        (a) => a.status === 'done' && (a.type === 'replace-instances' || a.type === 'scale-cycle'),
      );
      steps = [
        `Watch the ${replaced ? 'replacements' : 'nodes'} join: ${inlineCode(watchCommand(ng))}`,
        ...actionSteps(['failed', 'skipped'], true),
        ...undoSteps(ng.actions),
      ];
      break;
    }
    case 'resolved':
      steps = [
        `Nothing left to do. To see the nodes: ${inlineCode(watchCommand(ng).replace(' --watch', ''))}`,
      ];
      break;
    case 'escalation': {
      const bootLog = facts.notJoined
        .slice(0, 1)
        .map(
          (v) =>
            `Read the boot log of ${inlineCode(v.instanceId)} (kubelet and nodeadm say why it did not join): ${inlineCode(consoleOutputCommand(report, v.instanceId))}`,
        );
      // After a fix that did not help, find out why before running more fixes.
      steps = [
        ...(ng.remediation ? [...bootLog, ...fixes] : [...fixes, ...bootLog]),
        ...undoSteps([...(ng.remediation?.actions ?? []), ...ng.actions]),
        ...actionSteps(['skipped', 'failed'], false),
      ];
      break;
    }
  }
  if (steps.length <= CHAT_LIMITS.nextSteps) return steps;
  const shown = steps.slice(0, CHAT_LIMITS.nextSteps - 1);
  return [...shown, `… ${count(steps.length - shown.length, 'more step')} not shown`];
}

/** One step per item of actions; with `withFix`, what a person can run instead of a skipped or failed one. */
function chatActionStep(group: Action[], findings: Finding[], withFix: boolean): string {
  const [a] = group as [Action, ...Action[]];
  const { reason, hand } = reasonAndFix(a, findings);
  const label = clipText(
    `${ACTION_EMOJI[a.status]} ${actionWords(group, inlineCode, 3, true)}${reason ? ` — ${oneLine(reason)}` : ''}`,
    CHAT_LIMITS.nextStep / 2,
  );
  if (!hand || !withFix) return label;
  return `${label} · by hand: ${chatCommand(hand.fix, CHAT_LIMITS.nextStep - label.length - 30)}`;
}

/** Code formatting: a block for several lines, inline for one. */
function chatCommand(command: string, maxChars: number = CHAT_LIMITS.nextStep - 10): string {
  const clipped = clipCommands(command, maxChars, CHAT_LIMITS.nextStepLines);
  return clipped.includes('\n') ? `\n\`\`\`\n${clipped}\n\`\`\`` : inlineCode(clipped);
}

function relatedResources(ng: AlertNodegroup, facts: Facts): string[] {
  const actions = [...ng.actions, ...(ng.remediation?.actions ?? [])];
  return unique(
    [
      ng.arn,
      ...ng.findings.flatMap((f) => [f.routeTableId, f.natGatewayId, f.subnetId]),
      ...facts.notJoined.map((v) => v.subnetId),
      ...facts.notJoined.map((v) => v.instanceId),
      ...facts.unknown.map((v) => v.instanceId),
      ...actions.flatMap((a) =>
        isRouteAction(a)
          ? [a.routeTableId ?? a.resourceId, a.natGatewayId ?? a.target]
          : a.type === 'replace-instances'
            ? [instanceOf(a), a.autoScalingGroupName ?? a.target]
            : [a.autoScalingGroupName],
      ),
      ...(ng.remediation?.replacedInstanceIds ?? []),
      ...(facts.kind === 'resolved' ? facts.joined.map((v) => v.instanceId) : []),
    ].filter((id): id is string => Boolean(id)),
  );
}

// ---------------------------------------------------------------------------------------------
// Email: plain text for a mail client

function emailText(report: Report, ng: NodegroupReport, facts: Facts): string {
  const window = report.joinWindowSeconds === undefined ? '' : ` (join window ${report.joinWindowSeconds} s)`;
  const out = [
    `${facts.tag}: ${facts.headline}`,
    '',
    field('Cluster', `${report.cluster}${report.region ? ` (${report.region})` : ''}`),
    field('Nodegroup', `${ng.name}${ng.status ? ` (status ${ng.status})` : ''}`),
    ...(ng.autoScalingGroups?.length ? [field('Auto Scaling', ng.autoScalingGroups.join(', '))] : []),
    field('Policy', `${ng.policy}: ${POLICY_MEANING[ng.policy]}`),
    ...(facts.kind === 'problem' ? [] : [field('Severity', facts.severity)]),
    ...(ng.remediation ? [field('Remediation', `${ng.remediation.at} (${ng.remediation.status})`)] : []),
    field('Checked at', `${report.checkedAt}${window}`),
  ];
  const actions = emailActionSections(ng, facts);

  switch (facts.kind) {
    case 'problem':
      out.push(
        ...actions,
        ...emailInstanceLists(facts, facts.notJoined),
        ...emailUndo('TO UNDO', ng.actions),
      );
      break;
    case 'remediated':
      out.push(
        ...actions,
        ...emailUndo('TO UNDO', ng.actions),
        '',
        `WATCH THE NODES JOIN`,
        `  ${watchCommand(ng)}`,
        ...emailInstanceLists(facts, notReplaced(ng, facts.notJoined)),
      );
      break;
    case 'resolved':
      out.push(...emailRemediation(ng), ...emailJoined(ng, facts), ...actions);
      break;
    case 'escalation':
      out.push('', 'WHY A PERSON IS NEEDED', ...facts.reasons.map((r) => `  - ${r}`));
      out.push(
        ...actions,
        ...emailRemediation(ng),
        ...emailInstanceLists(facts, facts.notJoined),
        ...emailUndo('TO UNDO THE REMEDIATION', [...(ng.remediation?.actions ?? []), ...ng.actions]),
      );
      if (facts.notJoined[0]) {
        out.push(
          '',
          'INVESTIGATE: the boot log of an instance that did not join',
          `  ${consoleOutputCommand(report, facts.notJoined[0].instanceId)}`,
        );
      }
      break;
  }

  if (facts.kind !== 'resolved' || ng.findings.length > 0) {
    const when = facts.kind === 'remediated' ? ', AS FOUND BEFORE THE FIX' : '';
    out.push('', ng.findings.length > 0 ? `FINDINGS (${ng.findings.length})${when}` : 'FINDINGS: none');
  }
  ng.findings.forEach((f, i) => {
    out.push('', `  ${i + 1}. [${f.severity.toUpperCase()}] ${f.code}: ${labelOf(f.code)}`);
    out.push(`     Resource: ${f.resourceId}${f.subnetId ? `   Subnet: ${f.subnetId}` : ''}`);
    const table = routeTableWords(f, plain);
    if (table) out.push(`     Route table: ${table}`);
    out.push(indent(clipText(f.message, EMAIL_LIMITS.message), '     '));
    if (f.fix.trim()) out.push('     Fix:', indent(emailCommand(f.fix), '       '));
  });
  if (facts.kind === 'problem' && ng.actions.length === 0) out.push('', 'ACTIONS: none');

  out.push(
    '',
    '-- ',
    `Sent by ${TOOL_NAME}, which checks that EKS worker nodes join their cluster, for ${report.cluster}/${ng.name}.`,
    `Chat thread: ${threadIdFor(report.cluster, ng.name)}`,
  );
  return out.join('\n');
}

function emailInstanceLists(facts: Facts, notJoined: InstanceVerdict[]): string[] {
  const out = [
    ...emailInstances('Nodes that never joined', notJoined),
    ...emailInstances('Nodes whose membership could not be read', facts.unknown),
  ];
  if (facts.joined.length > 0 || facts.pending > 0) {
    out.push('', `Joined: ${facts.joined.length}. Still inside the join window: ${facts.pending}.`);
  }
  return out;
}

function emailInstances(heading: string, instances: InstanceVerdict[], words = instanceWords): string[] {
  if (instances.length === 0) return [];
  const shown = instances.slice(0, EMAIL_LIMITS.listItems).map((v) => `  - ${words(v, plain)}`);
  const more = instances.length - shown.length;
  return [
    '',
    `${heading} (${instances.length.toLocaleString('en-US')}):`,
    ...shown,
    ...(more > 0 ? [`  … and ${more.toLocaleString('en-US')} more`] : []),
  ];
}

function emailActionSections(ng: NodegroupReport, facts: Facts): string[] {
  const out: string[] = [];
  for (const status of STATUS_ORDER[facts.kind]) {
    const actions = ng.actions.filter((a) => a.status === status);
    if (actions.length === 0) continue;
    out.push('', statusHeading(status, actions.length, ng.policy, facts.kind).toUpperCase());
    const groups = groupActions(actions);
    for (const group of groups.slice(0, EMAIL_LIMITS.listItems))
      out.push(...emailActionItem(group, ng.findings));
    const more = groups.slice(EMAIL_LIMITS.listItems).reduce((sum, group) => sum + group.length, 0);
    if (more > 0) out.push('', `  … and ${count(more, 'more action')} (see the JSON report)`);
  }
  return out;
}

function emailActionItem(group: Action[], findings: Finding[]): string[] {
  const [a] = group as [Action, ...Action[]];
  const out = ['', `  - ${actionWords(group, plain, EMAIL_LIMITS.listItems, false)}`];
  if (group.length === 1 && isRouteAction(a)) {
    // Skipped and failed actions changed nothing: the table still holds `before`.
    const changed = a.status === 'done' || a.status === 'planned';
    if (a.before) out.push(`    ${changed ? 'Before:' : 'Now:   '} ${a.before}`);
    if (a.after) out.push(`    ${changed ? 'After: ' : 'Wanted:'} ${a.after}`);
  }
  const { reason, hand } = reasonAndFix(a, findings);
  if (reason) out.push(`    Reason: ${oneLine(clipText(reason, EMAIL_LIMITS.message))}`);
  if (hand) out.push('    By hand:', indent(emailCommand(hand.fix), '      '));
  return out;
}

function emailRemediation(ng: NodegroupReport): string[] {
  const record = ng.remediation;
  if (!record) return [];
  const done = record.actions.filter((a) => a.status === 'done');
  const out = ['', `REMEDIATION OF ${record.at} (${record.status})`];
  const groups = groupActions(done);
  for (const group of groups.slice(0, EMAIL_LIMITS.listItems)) {
    out.push(`  - ${actionWords(group, plain, EMAIL_LIMITS.listItems, false)}`);
    const [a] = group as [Action, ...Action[]];
    if (group.length === 1 && isRouteAction(a) && (a.before || a.after)) {
      out.push(`    Before: ${a.before ?? 'unknown'}`, `    After:  ${a.after ?? 'unknown'}`);
    }
  }
  if (groups.length > EMAIL_LIMITS.listItems) {
    out.push(`  … and ${count(groups.length - EMAIL_LIMITS.listItems, 'more item')} (see the JSON report)`);
  }
  if (done.length === 0) out.push('  nothing was changed');
  if (record.replacedInstanceIds.length > 0 && !done.some((a) => a.type === 'replace-instances')) {
    out.push(`  Replaced: ${idList(record.replacedInstanceIds, plain, EMAIL_LIMITS.listItems)}`);
  }
  return out;
}

function emailJoined(ng: NodegroupReport, facts: Facts): string[] {
  const replacements = replacementsJoined(ng, facts.joined);
  const out =
    replacements.length > 0
      ? emailInstances('Replacements that joined', replacements, joinedWords)
      : emailInstances('Nodes that joined', facts.joined, joinedWords);
  const others = facts.joined.length - (replacements.length > 0 ? replacements.length : facts.joined.length);
  const rest = [
    others > 0 ? `Other nodes joined: ${others}.` : '',
    facts.notJoined.length > 0 ? `Not joined: ${facts.notJoined.length}.` : '',
    facts.pending > 0 ? `Still inside the join window: ${facts.pending}.` : '',
  ].filter(Boolean);
  if (rest.length > 0) out.push('', rest.join(' '));
  return out;
}

function emailUndo(heading: string, actions: Action[]): string[] {
  const steps = undoable(actions);
  const notes = undoNotes(actions);
  if (steps.length === 0 && notes.length === 0) return [];
  const out = ['', `${heading}${steps.length > 1 ? ' (run in this order)' : ''}`];
  for (const a of steps.slice(0, EMAIL_LIMITS.listItems)) {
    out.push(`  ${actionWords([a], plain, 1, false)}:`, indent(emailCommand(a.undo), '    '));
  }
  const more = steps.length - EMAIL_LIMITS.listItems;
  if (more > 0) out.push(`  … and ${count(more, 'more command')} (see the JSON report)`);
  for (const group of notes.slice(0, EMAIL_LIMITS.listItems)) {
    out.push(`  ${actionWords(group, plain, 3, false)}: ${oneLine(group[0]?.reason ?? '')}`);
  }
  return out;
}

function emailCommand(command: string): string {
  return clipCommands(command, EMAIL_LIMITS.commandChars, EMAIL_LIMITS.commandLines);
}

function field(label: string, value: string): string {
  return `${`${label}:`.padEnd(14)}${value}`;
}

function indent(text: string, prefix: string): string {
  return text
    .split('\n')
    .map((line) => prefix + line)
    .join('\n');
}

// ---------------------------------------------------------------------------------------------
// SNS subject

function snsSubject(facts: Facts): string {
  const ascii = `[${facts.tag}] ${facts.headline}`
    .replaceAll('—', '-')
    .replaceAll('→', '->')
    .replaceAll('…', '...')
    .replace(/[^\x20-\x7e]/g, '?');
  return ascii.length <= SNS_MAX_SUBJECT_CHARS ? ascii : `${ascii.slice(0, SNS_MAX_SUBJECT_CHARS - 3)}...`;
}

// ---------------------------------------------------------------------------------------------
// JSON report for SQS and Lambda: whole when it fits, else cut in steps that keep it valid JSON

type CutNodegroup = AlertNodegroup & { truncated?: true; omitted?: Record<string, number> };

/**
 * Steps, each only when the previous does not fit: drop the route table detail; then clip free text
 * and keep the longest prefix of the instance, action and instance-id lists (those of the remediation
 * too) that fits. Findings are never dropped: they are few and they are the point of the alert.
 */
function fittedReportJson(report: Report, ng: AlertNodegroup, fits: (json: string) => boolean): string {
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

function cutNodegroup(ng: AlertNodegroup, keep: number, clipTextFields = false): CutNodegroup {
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

// ---------------------------------------------------------------------------------------------
// Text helpers

/** Cuts with a visible "…"; never splits a surrogate pair (an emoji) in two. */
function clipText(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = max - 1;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1;
  return `${text.slice(0, end)}…`;
}

/** Room kept for the "more lines" marker. */
const MARKER_ROOM = 40;

/**
 * Shortens shell text at line boundaries, so each line shown still runs, and says how much is left out
 * in a shell comment. A single line that is too long on its own is cut with "…".
 */
function clipCommands(text: string, maxChars: number, maxLines: number): string {
  const lines = text.split('\n');
  if (lines.length <= maxLines && text.length <= maxChars) return text;
  const budget = maxChars - MARKER_ROOM;
  const kept: string[] = [];
  let size = 0;
  for (const line of lines) {
    if (kept.length === maxLines - 1 || size + line.length > budget) break;
    kept.push(line);
    size += line.length + 1;
  }
  if (kept.length === 0) kept.push(clipText(lines[0] ?? '', budget));
  const hidden = lines.length - kept.length;
  return hidden > 0 ? [...kept, `# … ${count(hidden, 'more line')} not shown`].join('\n') : kept.join('\n');
}

/** Joins whole lines up to `max` characters, so markdown is never cut mid-span; says what was left out. */
function joinWithin(lines: string[], max: number, more: (hidden: number) => string): string {
  const all = lines.join('\n');
  if (all.length <= max) return all;
  const budget = max - MARKER_ROOM;
  const kept: string[] = [];
  let size = 0;
  for (const line of lines) {
    if (size + line.length > budget) break;
    kept.push(line);
    size += line.length + 1;
  }
  return [...kept, more(lines.length - kept.length)].join('\n');
}

/** Free text on one line, for a list item. */
function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ');
}

function count(n: number, noun: string): string {
  return `${n.toLocaleString('en-US')} ${noun}${n === 1 ? '' : 's'}`;
}

function unique<T>(values: T[]): T[] {
  return [...new Set(values)];
}

function utf8Bytes(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}
