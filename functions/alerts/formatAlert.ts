/**
 * Turns one nodegroup's verdict into an SNS message with one variant per protocol (MessageStructure
 * 'json'): a chat notification for Amazon Q Developer in chat applications (formerly AWS Chatbot), a
 * plain-text report for email, and the JSON report for SQS and Lambda subscribers. Pure: no SDK, no
 * clock; everything it says comes from the report.
 */
import type {
  Action,
  ActionStatus,
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
  severity: Severity;
  /** Plain text, no emoji: `eks-workshop/ng: 1 node never joined — NO_DEFAULT_ROUTE`. */
  headline: string;
  eventType: string;
  notJoined: InstanceVerdict[];
  unknown: InstanceVerdict[];
  joined: number;
  pending: number;
}

const SEVERITY_RANK: Record<Severity, number> = { critical: 0, warning: 1, info: 2 };

function factsOf(report: Report, ng: NodegroupReport): Facts {
  const notJoined = ng.instances.filter((v) => v.joined === false && !v.pending);
  const unknown = ng.instances.filter((v) => v.joined === null && !v.pending);
  const bySeverity = [...ng.findings].sort((a, b) => SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity]);
  // The codes other than the symptom, most severe first: the likely causes.
  const causes = unique(bySeverity.map((f) => f.code).filter((code) => code !== 'NODES_NOT_JOINED'));
  const severity = bySeverity[0]?.severity ?? 'info';

  const what =
    notJoined.length > 0
      ? `${count(notJoined.length, 'node')} never joined`
      : unknown.length > 0
        ? `membership of ${count(unknown.length, 'node')} unknown`
        : count(ng.findings.length, 'finding');
  const why =
    causes.length > 0 ? causes.join(', ') : notJoined.length > 0 ? 'cause not identified' : undefined;
  const outcome = outcomeOf(ng.actions);
  const headline = `${report.cluster}/${ng.name}: ${what}${why ? ` — ${why}` : ''}${outcome ? ` (${outcome})` : ''}`;

  return {
    severity,
    headline,
    // Without stranded instances the findings are a risk for the next launch (e.g. a preflight check).
    eventType:
      notJoined.length > 0 ? 'NodesNotJoined' : unknown.length > 0 ? 'NodeMembershipUnknown' : 'NodeJoinRisk',
    notJoined,
    unknown,
    joined: ng.instances.filter((v) => v.joined === true).length,
    pending: ng.instances.filter((v) => v.pending).length,
  };
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
  'dry-run': 'the fix is planned below, nothing was changed',
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

function actionWords(a: Action, code: Code): string {
  return `${a.type} on ${code(a.resourceId)}${a.target ? ` → ${code(a.target)}` : ''}`;
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

function chatNotification(report: Report, ng: AlertNodegroup, facts: Facts): ChatNotification {
  const threadId = threadIdFor(report.cluster, ng.name);
  return {
    version: '1.0',
    source: 'custom',
    id: `${threadId}/${report.checkedAt}`,
    content: {
      textType: 'client-markdown',
      title: clipText(`${SEVERITY_EMOJI[facts.severity]} ${facts.headline}`, CHAT_LIMITS.title),
      description: chatDescription(report, ng, facts),
      nextSteps: chatNextSteps(ng),
      keywords: unique([facts.severity, ...ng.findings.map((f) => f.code), ng.policy]).slice(
        0,
        CHAT_LIMITS.keywords,
      ),
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
        checkedAt: report.checkedAt,
        findings: unique(ng.findings.map((f) => f.code)).join(',') || 'none',
        nodesNotJoined: String(facts.notJoined.length),
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
    ...chatInstances('Never joined', facts.notJoined),
    ...chatInstances('Membership unknown', facts.unknown),
  ];
  const others = [
    facts.joined > 0 ? `${count(facts.joined, 'node')} joined` : '',
    facts.pending > 0 ? `${count(facts.pending, 'instance')} still inside the join window` : '',
  ].filter(Boolean);
  if (others.length > 0) lines.push(others.join(' · '));
  if (ng.findings.length > 0) {
    lines.push('', `*Diagnosis (${ng.findings.length})*`);
    for (const f of ng.findings) {
      const where = routeTableWords(f, inlineCode) ?? inlineCode(f.resourceId);
      lines.push(
        `${FINDING_EMOJI[f.severity]} *${f.code}* (${where}): ${clipText(f.message, CHAT_LIMITS.findingMessage)}`,
      );
    }
  }
  return joinWithin(lines, CHAT_LIMITS.description, (hidden) => `… ${count(hidden, 'more line')} not shown`);
}

function chatInstances(heading: string, instances: InstanceVerdict[]): string[] {
  if (instances.length === 0) return [];
  const shown = instances.slice(0, CHAT_LIMITS.instances).map((v) => `• ${instanceWords(v, inlineCode)}`);
  const more = instances.length - shown.length;
  return [
    '',
    `*${heading} (${instances.length.toLocaleString('en-US')})*`,
    ...shown,
    ...(more > 0 ? [`• … and ${more.toLocaleString('en-US')} more`] : []),
  ];
}

/** Fix commands first (what a person runs), then what the tool planned or did. */
function chatNextSteps(ng: NodegroupReport): string[] {
  const steps = [
    ...fixesOf(ng.findings).map(({ codes, fix }) => `*${codes.join(', ')}*: ${chatCommand(fix)}`),
    ...groupActions(ng.actions).map((group) => clipText(chatActionStep(group), CHAT_LIMITS.nextStep)),
  ];
  if (steps.length <= CHAT_LIMITS.nextSteps) return steps;
  const shown = steps.slice(0, CHAT_LIMITS.nextSteps - 1);
  return [...shown, `… ${count(steps.length - shown.length, 'more step')} not shown`];
}

/** Actions alike but for their resource (one per stranded instance, say) make one step, not thousands. */
function groupActions(actions: Action[]): Action[][] {
  const groups = new Map<string, Action[]>();
  for (const a of actions) {
    const key = JSON.stringify([a.status, a.type, a.target, a.reason]);
    const group = groups.get(key);
    if (group) group.push(a);
    else groups.set(key, [a]);
  }
  return [...groups.values()];
}

function chatActionStep(group: Action[]): string {
  const [first] = group as [Action, ...Action[]];
  if (group.length === 1) {
    const undo = first.undo ? ` · undo: ${chatCommand(first.undo)}` : '';
    return `${ACTION_EMOJI[first.status]} ${actionWords(first, inlineCode)}: ${first.reason}${undo}`;
  }
  const examples = group.slice(0, 3).map((a) => inlineCode(a.resourceId));
  const resources = `${count(group.length, 'resource')} (${examples.join(', ')}${group.length > 3 ? ', …' : ''})`;
  const target = first.target ? ` → ${inlineCode(first.target)}` : '';
  return `${ACTION_EMOJI[first.status]} ${first.type} on ${resources}${target}: ${first.reason}`;
}

/** Code formatting: a block for several lines, inline for one. */
function chatCommand(command: string): string {
  const clipped = clipCommands(command, CHAT_LIMITS.nextStep - 10, CHAT_LIMITS.nextStepLines);
  return clipped.includes('\n') ? `\n\`\`\`\n${clipped}\n\`\`\`` : inlineCode(clipped);
}

function relatedResources(ng: AlertNodegroup, facts: Facts): string[] {
  return unique(
    [
      ng.arn,
      ...ng.findings.flatMap((f) => [f.routeTableId, f.natGatewayId, f.subnetId]),
      ...facts.notJoined.map((v) => v.subnetId),
      ...facts.notJoined.map((v) => v.instanceId),
      ...facts.unknown.map((v) => v.instanceId),
    ].filter((id): id is string => Boolean(id)),
  );
}

// ---------------------------------------------------------------------------------------------
// Email: plain text for a mail client

function emailText(report: Report, ng: NodegroupReport, facts: Facts): string {
  const window = report.joinWindowSeconds === undefined ? '' : ` (join window ${report.joinWindowSeconds} s)`;
  const out = [
    `${facts.severity.toUpperCase()}: ${facts.headline}`,
    '',
    field('Cluster', `${report.cluster}${report.region ? ` (${report.region})` : ''}`),
    field('Nodegroup', `${ng.name}${ng.status ? ` (status ${ng.status})` : ''}`),
    ...(ng.autoScalingGroups?.length ? [field('Auto Scaling', ng.autoScalingGroups.join(', '))] : []),
    field('Policy', `${ng.policy}: ${POLICY_MEANING[ng.policy]}`),
    field('Checked at', `${report.checkedAt}${window}`),
    ...emailInstances('Nodes that never joined', facts.notJoined),
    ...emailInstances('Nodes whose membership could not be read', facts.unknown),
  ];
  if (facts.joined > 0 || facts.pending > 0) {
    out.push('', `Joined: ${facts.joined}. Still inside the join window: ${facts.pending}.`);
  }

  out.push('', ng.findings.length > 0 ? `FINDINGS (${ng.findings.length})` : 'FINDINGS: none');
  ng.findings.forEach((f, i) => {
    out.push('', `  ${i + 1}. [${f.severity.toUpperCase()}] ${f.code}: ${labelOf(f.code)}`);
    out.push(`     Resource: ${f.resourceId}${f.subnetId ? `   Subnet: ${f.subnetId}` : ''}`);
    const table = routeTableWords(f, plain);
    if (table) out.push(`     Route table: ${table}`);
    out.push(indent(clipText(f.message, EMAIL_LIMITS.message), '     '));
    if (f.fix.trim()) out.push('     Fix:', indent(emailCommand(f.fix), '       '));
  });

  out.push('', ng.actions.length > 0 ? `ACTIONS (${ng.actions.length})` : 'ACTIONS: none');
  for (const a of ng.actions.slice(0, EMAIL_LIMITS.listItems)) {
    out.push(
      '',
      `  - ${a.status.toUpperCase()}: ${actionWords(a, plain)}`,
      `    Reason: ${clipText(a.reason, EMAIL_LIMITS.message)}`,
    );
    if (a.undo) out.push('    Undo:', indent(emailCommand(a.undo), '      '));
  }
  const moreActions = ng.actions.length - EMAIL_LIMITS.listItems;
  if (moreActions > 0) out.push(`  … and ${count(moreActions, 'more action')} (see the JSON report)`);

  out.push(
    '',
    '-- ',
    `Sent by ${TOOL_NAME}, which checks that EKS worker nodes join their cluster, for ${report.cluster}/${ng.name}.`,
    `Chat thread: ${threadIdFor(report.cluster, ng.name)}`,
  );
  return out.join('\n');
}

function emailInstances(heading: string, instances: InstanceVerdict[]): string[] {
  if (instances.length === 0) return [];
  const shown = instances.slice(0, EMAIL_LIMITS.listItems).map((v) => `  - ${instanceWords(v, plain)}`);
  const more = instances.length - shown.length;
  return [
    '',
    `${heading} (${instances.length.toLocaleString('en-US')}):`,
    ...shown,
    ...(more > 0 ? [`  … and ${more.toLocaleString('en-US')} more`] : []),
  ];
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
  const ascii = `[${facts.severity.toUpperCase()}] ${facts.headline}`
    .replaceAll('—', '-')
    .replaceAll('…', '...')
    .replace(/[^\x20-\x7e]/g, '?');
  return ascii.length <= SNS_MAX_SUBJECT_CHARS ? ascii : `${ascii.slice(0, SNS_MAX_SUBJECT_CHARS - 3)}...`;
}

// ---------------------------------------------------------------------------------------------
// JSON report for SQS and Lambda: whole when it fits, else cut in steps that keep it valid JSON

type CutNodegroup = AlertNodegroup & { truncated?: true; omitted?: Record<string, number> };

/**
 * Steps, each only when the previous does not fit: drop the route table detail; then clip free text
 * and keep the longest prefix of the instance, action and instance-id lists that fits. Findings are
 * never dropped: they are few and they are the point of the alert.
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
  return {
    ...rest,
    instances: take('instances', ng.instances),
    findings: ng.findings.map((f) => ({
      ...f,
      message: text(f.message),
      fix: command(f.fix),
      ...(f.instanceIds && { instanceIds: take('findingInstanceIds', f.instanceIds) }),
    })),
    actions: take('actions', ng.actions).map((a) => ({
      ...a,
      reason: text(a.reason),
      ...(a.undo !== undefined && { undo: command(a.undo) }),
    })),
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

function count(n: number, noun: string): string {
  return `${n.toLocaleString('en-US')} ${noun}${n === 1 ? '' : 's'}`;
}

function unique<T>(values: T[]): T[] {
  return [...new Set(values)];
}

function utf8Bytes(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}
