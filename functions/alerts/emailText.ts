/** The email variant: plain text for a mail client, with the commands to run set apart and indented. */
import type {
  Action,
  Finding,
  FindingCode,
  InstanceVerdict,
  NodegroupReport,
  Report,
} from '../core/model/types.js';
import {
  actionSections,
  actionWords,
  isRouteAction,
  reasonAndFix,
  remediationDone,
  undoable,
  undoNotes,
} from './actionWords.js';
import {
  type AlertFacts,
  joinedToList,
  POLICY_MEANING,
  TOOL_NAME,
  threadIdFor,
  type Unlisted,
} from './alertFacts.js';
import { bootEvidenceWords, findingEvidence, launchesFailNote, waitingCostWords } from './evidenceWords.js';
import { EMAIL_LIMITS } from './limits.js';
import { instanceWords, joinedWords, routeTableWords } from './resourceWords.js';
import { consoleOutputCommand, watchCommand } from './showCommands.js';
import { clipCommands, clipText, count, oneLine, plain } from './text.js';
import { WILL_NOT_JOIN_HEADING, willNotJoinNote, willNotJoinWords } from './willNotJoin.js';

export function emailText(report: Report, ng: NodegroupReport, facts: AlertFacts): string {
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
        ...emailInstanceLists(report, ng, facts, facts.unjoined),
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
        ...emailInstanceLists(report, ng, facts, facts.unreplaced),
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
        ...emailInstanceLists(report, ng, facts, facts.unjoined),
        ...emailUndo('TO UNDO THE REMEDIATION', [...(ng.remediation?.actions ?? []), ...ng.actions]),
      );
      if (facts.unjoined[0]) {
        out.push(
          '',
          'INVESTIGATE: the boot log of an instance that did not join',
          `  ${consoleOutputCommand(report, facts.unjoined[0].instanceId)}`,
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
    for (const line of findingEvidence(f, plain, EMAIL_LIMITS.evidenceItems)) {
      out.push(`     ${clipText(line, EMAIL_LIMITS.evidenceLine)}`);
    }
    if (f.fix.trim()) out.push('     Fix:', indent(emailCommand(f.fix), '       '));
  });
  if (facts.kind === 'problem' && ng.actions.length === 0) out.push('', 'ACTIONS: none');
  if (facts.kind !== 'resolved') out.push(...emailBootEvidence(ng));

  out.push(
    '',
    '-- ',
    `Sent by ${TOOL_NAME}, which checks that EKS worker nodes join their cluster, for ${report.cluster}/${ng.name}.`,
    `Chat thread: ${threadIdFor(report.cluster, ng.name)}`,
  );
  return out.join('\n');
}

function emailInstanceLists(
  report: Report,
  ng: NodegroupReport,
  facts: AlertFacts,
  unjoined: InstanceVerdict[],
): string[] {
  const launches = launchesFailNote(ng);
  const out = [
    ...(launches ? ['', launches] : []),
    ...emailList(WILL_NOT_JOIN_HEADING, facts.willNotJoin, willNotJoinWords),
    ...(facts.willNotJoin.length > 0 ? ['', willNotJoinNote(report.joinWindowSeconds)] : []),
    ...emailInstances('Nodes that never joined', unjoined),
    ...emailInstances('Nodes whose membership could not be read', facts.unknown),
  ];
  if (facts.joined.length > 0 || facts.pending > 0) {
    out.push('', `Joined: ${facts.joined.length}. Still inside the join window: ${facts.pending}.`);
  }
  if (ng.waitingCost) out.push('', `Cost of waiting: ${waitingCostWords(ng.waitingCost, ng)}`);
  return out;
}

/** Each instance's boot log: what it shows, then its last lines, indented as a block. */
function emailBootEvidence(ng: NodegroupReport): string[] {
  const evidence = ng.bootEvidence ?? [];
  if (evidence.length === 0) return [];
  const out = ['', `BOOT LOGS OF UNJOINED INSTANCES (${evidence.length})`];
  for (const e of evidence.slice(0, EMAIL_LIMITS.bootLogs)) {
    const { headline, lines } = bootEvidenceWords(e, plain);
    out.push('', `  - ${headline}`);
    const shown = lines
      .slice(-EMAIL_LIMITS.bootLines)
      .map((line) => `      ${clipText(line, EMAIL_LIMITS.bootLine)}`);
    if (lines.length > shown.length)
      out.push(`      … ${count(lines.length - shown.length, 'earlier line')} not shown`);
    out.push(...shown);
  }
  if (evidence.length > EMAIL_LIMITS.bootLogs) {
    out.push(
      `  … and ${count(evidence.length - EMAIL_LIMITS.bootLogs, 'more boot log')} (see the JSON report)`,
    );
  }
  return out;
}

function emailInstances(heading: string, instances: InstanceVerdict[], words = instanceWords): string[] {
  return emailList(heading, instances, words);
}

function emailList<T>(heading: string, items: T[], words: (item: T, code: typeof plain) => string): string[] {
  if (items.length === 0) return [];
  const shown = items.slice(0, EMAIL_LIMITS.listItems).map((item) => `  - ${words(item, plain)}`);
  const more = items.length - shown.length;
  return [
    '',
    `${heading} (${items.length.toLocaleString('en-US')}):`,
    ...shown,
    ...(more > 0 ? [`  … and ${more.toLocaleString('en-US')} more`] : []),
  ];
}

function emailActionSections(ng: NodegroupReport, facts: AlertFacts): string[] {
  const out: string[] = [];
  for (const { heading, groups } of actionSections(ng, facts.kind)) {
    out.push('', heading.toUpperCase());
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
  const done = remediationDone(ng.remediation, plain, EMAIL_LIMITS.listItems);
  if (!done) return [];
  const { record, groups, notes } = done;
  const out = ['', `REMEDIATION OF ${record.at} (${record.status})`];
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
  out.push(...notes.map((note) => `  ${note}`));
  return out;
}

function emailJoined(ng: NodegroupReport, facts: AlertFacts): string[] {
  const { replacements, list, unlisted } = joinedToList(ng, facts);
  const out = emailInstances(
    replacements ? 'Replacements that joined' : 'Nodes that joined',
    list,
    joinedWords,
  );
  if (unlisted.length > 0)
    out.push('', unlisted.map((u) => `${EMAIL_UNLISTED[u.kind]}: ${u.count}.`).join(' '));
  return out;
}

const EMAIL_UNLISTED: Record<Unlisted['kind'], string> = {
  'other-joined': 'Other nodes joined',
  unjoined: 'Not joined',
  pending: 'Still inside the join window',
};

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
  IPV6_ONLY_EGRESS: 'the subnet can leave the VPC over IPv6 only, and nodes need IPv4 to join',
  NODES_NOT_READY: 'nodes registered but are not Ready past the join window',
  EBS_KMS_KEY_UNUSABLE: "launches fail: the KMS key of the nodes' volumes cannot be used",
  SUBNET_ADDRESSES_EXHAUSTED: 'launches fail: the subnet has no free IP address',
  LAUNCH_FAILURES: 'launches fail: Auto Scaling cannot start instances',
};

function labelOf(code: string): string {
  // Codes added after this file was written still get a line instead of `undefined`.
  return (FINDING_LABELS as Partial<Record<string, string>>)[code] ?? 'see the message';
}
