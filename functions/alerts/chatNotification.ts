/**
 * The chat variant: a custom notification for Amazon Q Developer in chat applications (formerly AWS
 * Chatbot), which renders it in Slack or Teams. Every alert about a nodegroup lands in one thread.
 */
import type {
  Action,
  ActionStatus,
  Finding,
  FindingCode,
  InstanceVerdict,
  NodegroupReport,
  Report,
  Severity,
} from '../core/model/types.js';
import {
  actionSections,
  actionWords,
  groupActions,
  isRouteAction,
  reasonAndFix,
  remediationDone,
  STATUS_ORDER,
  undoable,
  undoNotes,
} from './actionWords.js';
import { type AlertFacts, joinedToList, POLICY_MEANING, threadIdFor, type Unlisted } from './alertFacts.js';
import { bootEvidenceWords, findingEvidence, launchesFailNote, waitingCostWords } from './evidenceWords.js';
import { CHAT_ACTION_ITEMS, CHAT_LIMITS } from './limits.js';
import { instanceWords, joinedWords, routeTableWords } from './resourceWords.js';
import { consoleOutputCommand, watchCommand } from './showCommands.js';
import { clipCommands, clipText, count, inlineCode, joinWithin, oneLine, unique } from './text.js';
import { WILL_NOT_JOIN_HEADING, willNotJoinNote, willNotJoinWords } from './willNotJoin.js';

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

export function chatNotification(report: Report, ng: NodegroupReport, facts: AlertFacts): ChatNotification {
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
        nodesNotJoined: String(facts.unjoined.length),
        actions:
          statuses.map((s) => `${s}:${ng.actions.filter((a) => a.status === s).length}`).join(',') || 'none',
        ...(ng.remediation && { remediatedAt: ng.remediation.at }),
      },
    },
  };
}

function chatDescription(report: Report, ng: NodegroupReport, facts: AlertFacts): string {
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
      lines.push(...actions, ...chatInstanceLists(report, ng, facts, facts.unjoined), ...undo);
      break;
    case 'remediated':
      lines.push(...actions, ...undo, ...chatInstanceLists(report, ng, facts, facts.unreplaced));
      break;
    case 'resolved':
      lines.push(...remediation, ...chatJoined(ng, facts), ...actions);
      break;
    case 'escalation':
      lines.push('', '*Why a person is needed*', ...facts.reasons.map((r) => `• ${r}`));
      lines.push(
        ...actions,
        ...remediation,
        ...chatInstanceLists(report, ng, facts, facts.unjoined),
        ...undo,
      );
      break;
  }
  if (ng.findings.length > 0) {
    const when = facts.kind === 'remediated' ? ' before the fix' : '';
    lines.push('', `*Diagnosis${when} (${ng.findings.length})*`);
    for (const f of ng.findings) {
      const where = routeTableWords(f, inlineCode) ?? inlineCode(f.resourceId);
      lines.push(
        `${FINDING_EMOJI[f.severity]} *${f.code}* (${where}): ${clipText(f.message, CHAT_LIMITS.findingMessage)}`,
        ...findingEvidence(f, inlineCode, CHAT_LIMITS.evidenceItems).map(
          (line) => `      ↳ ${clipText(line, CHAT_LIMITS.findingMessage)}`,
        ),
      );
    }
  }
  if (facts.kind !== 'resolved') lines.push(...chatBootEvidence(ng));
  return joinWithin(lines, CHAT_LIMITS.description, (hidden) => `… ${count(hidden, 'more line')} not shown`);
}

function chatInstanceLists(
  report: Report,
  ng: NodegroupReport,
  facts: AlertFacts,
  unjoined: InstanceVerdict[],
): string[] {
  const doomed = facts.willNotJoin;
  const launches = launchesFailNote(ng);
  const lines = [
    ...(launches ? ['', launches] : []),
    ...chatList(WILL_NOT_JOIN_HEADING, doomed, willNotJoinWords),
    ...(doomed.length > 0 ? [willNotJoinNote(report.joinWindowSeconds)] : []),
    ...chatInstances('Never joined', unjoined),
    ...chatInstances('Membership unknown', facts.unknown),
  ];
  const others = [
    facts.joined.length > 0 ? `${count(facts.joined.length, 'node')} joined` : '',
    facts.pending > 0 ? `${count(facts.pending, 'instance')} still inside the join window` : '',
  ].filter(Boolean);
  if (others.length > 0) lines.push(others.join(' · '));
  if (ng.waitingCost) lines.push(`*Cost of waiting* ${waitingCostWords(ng.waitingCost, ng)}`);
  return lines;
}

function chatInstances(heading: string, instances: InstanceVerdict[], words = instanceWords): string[] {
  return chatList(heading, instances, words);
}

function chatList<T>(
  heading: string,
  items: T[],
  words: (item: T, code: typeof inlineCode) => string,
): string[] {
  if (items.length === 0) return [];
  const shown = items.slice(0, CHAT_LIMITS.instances).map((item) => `• ${words(item, inlineCode)}`);
  const more = items.length - shown.length;
  return [
    '',
    `*${heading} (${items.length.toLocaleString('en-US')})*`,
    ...shown,
    ...(more > 0 ? [`• … and ${more.toLocaleString('en-US')} more`] : []),
  ];
}

/**
 * Each boot log: what it shows, then its last lines in a code block. A block is one line of the
 * description, so a cut never leaves a fence open; a fence inside the log is defused.
 */
function chatBootEvidence(ng: NodegroupReport): string[] {
  const evidence = ng.bootEvidence ?? [];
  if (evidence.length === 0) return [];
  const lines = ['', `*Boot logs (${evidence.length})*`];
  for (const e of evidence.slice(0, CHAT_LIMITS.bootLogs)) {
    const { headline, lines: log } = bootEvidenceWords(e, inlineCode);
    lines.push(`• ${headline}`);
    const shown = log
      .slice(-CHAT_LIMITS.bootLines)
      .map((line) => clipText(line.replaceAll('```', "'''"), CHAT_LIMITS.bootLine));
    if (shown.length > 0) lines.push(`\`\`\`\n${shown.join('\n')}\n\`\`\``);
  }
  if (evidence.length > CHAT_LIMITS.bootLogs) {
    lines.push(
      `• … and ${count(evidence.length - CHAT_LIMITS.bootLogs, 'more boot log')} (see the JSON report)`,
    );
  }
  return lines;
}

/** One section per status, in the order that suits the kind of alert. */
function chatActionSections(ng: NodegroupReport, facts: AlertFacts): string[] {
  const lines: string[] = [];
  for (const { heading, groups } of actionSections(ng, facts.kind)) {
    lines.push('', `*${heading}*`);
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
  const done = remediationDone(ng.remediation, inlineCode, CHAT_LIMITS.instances);
  if (!done) return [];
  const { record, groups, notes } = done;
  const lines = ['', `*Remediation of ${record.at}* (${record.status})`];
  for (const group of groups.slice(0, CHAT_ACTION_ITEMS)) {
    lines.push(`${ACTION_EMOJI.done} ${actionWords(group, inlineCode, CHAT_LIMITS.instances, true)}`);
  }
  if (groups.length > CHAT_ACTION_ITEMS)
    lines.push(`• … and ${count(groups.length - CHAT_ACTION_ITEMS, 'more item')}`);
  lines.push(...notes);
  return lines;
}

function chatJoined(ng: NodegroupReport, facts: AlertFacts): string[] {
  const { replacements, list, unlisted } = joinedToList(ng, facts);
  const lines = chatInstances(replacements ? 'Replacements joined' : 'Joined', list, joinedWords);
  if (unlisted.length > 0) lines.push(unlisted.map((u) => CHAT_UNLISTED[u.kind](u.count)).join(' · '));
  return lines;
}

const CHAT_UNLISTED: Record<Unlisted['kind'], (n: number) => string> = {
  'other-joined': (n) => `${count(n, 'other node')} joined`,
  unjoined: (n) => `${count(n, 'node')} not joined`,
  pending: (n) => `${count(n, 'instance')} still inside the join window`,
};

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
 * the nodes. Escalation: the fix commands, the boot log of an unjoined replacement, how to undo.
 */
function chatNextSteps(report: Report, ng: NodegroupReport, facts: AlertFacts): string[] {
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
      const bootLog = facts.unjoined
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

function relatedResources(ng: NodegroupReport, facts: AlertFacts): string[] {
  const actions = [...ng.actions, ...(ng.remediation?.actions ?? [])];
  return unique(
    [
      ng.arn,
      ...ng.findings.flatMap((f) => [f.routeTableId, f.natGatewayId, f.subnetId]),
      ...ng.findings.flatMap((f) => [
        f.kmsKey && (f.kmsKey.keyArn ?? f.kmsKey.keyId),
        ...(f.notReadyNodes ?? []).map((n) => n.instanceId),
      ]),
      ...facts.unjoined.map((v) => v.subnetId),
      ...facts.unjoined.map((v) => v.instanceId),
      ...facts.willNotJoin.map((d) => d.verdict.instanceId),
      ...facts.unknown.map((v) => v.instanceId),
      ...actions.flatMap((a) =>
        isRouteAction(a)
          ? [a.routeTableId, a.natGatewayId ?? a.target]
          : a.type === 'replace-instances'
            ? [...a.instanceIds, a.autoScalingGroupName]
            : a.type === 'scale-cycle'
              ? [a.autoScalingGroupName]
              : [],
      ),
      ...(ng.remediation?.replacedInstanceIds ?? []),
      ...(facts.kind === 'resolved' ? facts.joined.map((v) => v.instanceId) : []),
    ].filter((id): id is string => Boolean(id)),
  );
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
