/**
 * The evidence of issue 11 in words, shared by the chat notification, the email and the CLI's text
 * report so that all three say the same thing: who last changed a finding's resource, the nodes that
 * are not Ready and why, launches that fail (KMS key, subnet addresses, Auto Scaling's own message),
 * the boot logs of unjoined instances and what the waiting costs. Each helper returns bare lines; the
 * channel adds its bullets, indents and code fences.
 */

import { UNKNOWN_TYPE } from '../core/diagnose/waitingCost.js';
import type {
  BootEvidence,
  BootSignature,
  Finding,
  FindingCode,
  KmsKeyGap,
  NodegroupReport,
  NotReadyCause,
  ResourceChange,
  WaitingCost,
} from '../core/model/types.js';
import { type Code, count, oneLine } from './text.js';

/** Findings of launches that fail: no instance exists, so nothing joins and nothing is remediated. */
export const LAUNCH_FAILURE_CODES: ReadonlySet<FindingCode> = new Set<FindingCode>([
  'EBS_KMS_KEY_UNUSABLE',
  'SUBNET_ADDRESSES_EXHAUSTED',
  'LAUNCH_FAILURES',
]);

export function isLaunchFailure(f: Finding): boolean {
  return LAUNCH_FAILURE_CODES.has(f.code);
}

/** `2026-11-26 10:02 UTC`: minutes are enough for a person, and the zone is said. */
export function utcMinute(iso: string): string {
  const at = Date.parse(iso);
  if (Number.isNaN(at)) return iso;
  const text = new Date(at).toISOString();
  return `${text.slice(0, 10)} ${text.slice(11, 16)} UTC`;
}

/** Free text set as code: a backtick inside would end a chat code span early. */
function quoted(text: string, code: Code): string {
  return code(oneLine(text).replaceAll('`', "'"));
}

// --- who last changed the resource ---------------------------------------------------------------

const NO_CHANGE_WORDS: Record<Exclude<ResourceChange, { found: true }>['why'], string> = {
  NONE_FOUND: 'no change in 90 days of CloudTrail',
  ACCESS_DENIED: 'cloudtrail:LookupEvents is not allowed',
  UNAVAILABLE: 'the CloudTrail lookup failed',
  NOT_LOOKED_UP: 'not looked up in this check',
};

/** `Last change: DeleteRoute by arn:… at 2026-11-26 10:02 UTC`, or why it is not known. */
export function lastChangeWords(change: ResourceChange, code: Code): string {
  if (change.found) {
    const who = change.principalArn ?? change.userName;
    return `Last change: ${change.eventName} by ${who ? code(who) : 'an unknown caller'} at ${utcMinute(change.eventTime)}`;
  }
  const detail = change.why === 'UNAVAILABLE' && change.detail ? ` (${oneLine(change.detail)})` : '';
  return `Last change: not known — ${NO_CHANGE_WORDS[change.why]}${detail}`;
}

// --- nodes that registered but are not Ready ------------------------------------------------------

export const NOT_READY_CAUSE_WORDS: Record<NotReadyCause, string> = {
  VPC_CNI_MISSING: 'the VPC CNI is missing: no vpc-cni add-on and no aws-node to give pods their network',
  VPC_CNI_DEGRADED: 'the vpc-cni add-on is not healthy (not ACTIVE, or it reports health issues)',
  CNI_POLICY_MISSING:
    'aws-node runs with the node role, which lacks AmazonEKS_CNI_Policy (and has no IRSA or Pod Identity role)',
  SUBNET_ADDRESSES_EXHAUSTED: "a not-ready node's subnet has no free IP address left for pods",
};

// --- launches that fail ---------------------------------------------------------------------------

export const KMS_GAP_WORDS: Record<KmsKeyGap, string> = {
  KEY_DISABLED: 'the key is disabled',
  KEY_PENDING_DELETION: 'the key is pending deletion',
  KEY_NOT_ENABLED: 'the key is not enabled',
  NO_USE_GRANT: 'its policy does not let the Auto Scaling service-linked role use the key',
  NO_CREATE_GRANT:
    'its policy does not let the Auto Scaling service-linked role create grants (kms:CreateGrant)',
};

/**
 * Said once per alert or report when launches fail: there is no instance to judge or replace, and
 * the tool only alerts (it never remediates a failing launch).
 */
export function launchesFailNote(ng: NodegroupReport): string | undefined {
  if (!ng.findings.some(isLaunchFailure)) return undefined;
  return 'Launches fail: Auto Scaling cannot start the instances, so none exists to join. Alert only: this tool does not remediate failing launches; run the fix below.';
}

/** `4 launches failed from … to …`, `1 launch failed at …`. */
function failedLaunchesWords(failures: NonNullable<Finding['launchFailures']>): string {
  const { count: n, firstAt, lastAt } = failures;
  const noun = `${n.toLocaleString('en-US')} ${n === 1 ? 'launch' : 'launches'} failed`;
  if (firstAt && lastAt && utcMinute(firstAt) !== utcMinute(lastAt)) {
    return `${noun} from ${utcMinute(firstAt)} to ${utcMinute(lastAt)}`;
  }
  const at = lastAt ?? firstAt;
  return at ? `${noun} at ${utcMinute(at)}` : noun;
}

/**
 * The lines that say what a finding rests on, beyond its message: the not-ready nodes and their
 * causes, the launches that fail and why, who last changed the resource. `maxItems` caps each list.
 */
export function findingEvidence(f: Finding, code: Code, maxItems: number): string[] {
  const lines: string[] = [];
  const capped = <T>(items: T[], words: (item: T) => string, more: (n: number) => string) => {
    lines.push(...items.slice(0, maxItems).map(words));
    if (items.length > maxItems) lines.push(more(items.length - maxItems));
  };

  if (f.notReadyNodes?.length) {
    capped(
      f.notReadyNodes,
      (n) =>
        `Not Ready: ${code(n.nodeName)} (${code(n.instanceId)})${n.reason ? `: ${n.reason}` : ''}${n.message ? ` — ${quoted(n.message, code)}` : ''}`,
      (n) => `… and ${count(n, 'more node')} not Ready`,
    );
  }
  if (f.code === 'NODES_NOT_READY') {
    if (f.notReadyCauses?.length) {
      for (const cause of f.notReadyCauses)
        lines.push(`Likely cause: ${NOT_READY_CAUSE_WORDS[cause]} (${cause})`);
    } else {
      lines.push("Likely cause: none found in the account; the Ready condition's message is all there is");
    }
  }

  if (f.launchFailures) {
    lines.push(`Failed launches: ${failedLaunchesWords(f.launchFailures)}`);
    capped(
      f.launchFailures.statusMessages,
      (m) => `Auto Scaling says: ${quoted(m, code)}`,
      (n) => `… and ${count(n, 'more status message')}`,
    );
  }
  if (f.kmsKey) {
    const { keyArn, keyId, state, missing } = f.kmsKey;
    lines.push(`KMS key: ${code(keyArn ?? keyId)}${state ? ` (state ${state})` : ''}`);
    if (missing.length > 0)
      lines.push(`What is wrong: ${missing.map((gap) => KMS_GAP_WORDS[gap]).join('; ')}`);
  }
  if (f.availableIpAddresses !== undefined) {
    const where = f.subnetId ? ` in ${code(f.subnetId)}` : '';
    lines.push(`Free IP addresses: ${f.availableIpAddresses.toLocaleString('en-US')}${where}`);
  }
  if (f.subnetsWithRoom) {
    if (f.subnetsWithRoom.length === 0) {
      lines.push('Subnets of the nodegroup with room: none');
    } else {
      const shown = f.subnetsWithRoom
        .slice(0, maxItems)
        .map((s) => `${code(s.subnetId)} (${s.availableIpAddresses.toLocaleString('en-US')} free)`);
      const more = f.subnetsWithRoom.length - shown.length;
      lines.push(
        `Subnets of the nodegroup with room: ${shown.join(', ')}${more > 0 ? `, … and ${more} more` : ''}`,
      );
    }
  }

  if (f.lastChange) lines.push(lastChangeWords(f.lastChange, code));
  return lines;
}

// --- boot logs of unjoined instances --------------------------------------------------------------

export const BOOT_SIGNATURE_WORDS: Record<BootSignature, string> = {
  API_TIMEOUT: 'timed out reaching the cluster API',
  DNS_FAILURE: 'could not resolve a name',
  UNAUTHORIZED: 'the cluster refused the node (Unauthorized)',
  CERTIFICATE_ERROR: 'a TLS certificate error',
  CREDENTIALS_FAILURE: 'could not get AWS credentials',
};

const VERDICT_WORDS: Record<BootEvidence['verdict'], string> = {
  corroborates: 'corroborates the diagnosis',
  contradicts: 'contradicts the diagnosis: the cause may be elsewhere, read the log',
  inconclusive: 'inconclusive: neither confirms nor rules out the diagnosis',
};

/** One instance's boot log: the headline (signatures and verdict, or why there is none) and its last lines. */
export function bootEvidenceWords(e: BootEvidence, code: Code): { headline: string; lines: string[] } {
  const whose = `Boot log of ${code(e.instanceId)}`;
  if (e.unavailable !== undefined) {
    return { headline: `${whose}: not available — ${oneLine(e.unavailable)}`, lines: [] };
  }
  const signs =
    e.signatures.length > 0
      ? e.signatures.map((s) => `${s} (${BOOT_SIGNATURE_WORDS[s]})`).join(', ')
      : 'no known failure signature';
  const at = e.at ? ` at ${utcMinute(e.at)}` : '';
  return { headline: `${whose}${at}: ${signs} — ${VERDICT_WORDS[e.verdict]}`, lines: e.lines };
}

// --- what the waiting costs -----------------------------------------------------------------------

/** `42 min`, `2 h 5 min`, `40 s`. */
export function durationWords(seconds: number): string {
  if (seconds < 60) return `${Math.max(0, Math.round(seconds))} s`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  const rest = minutes % 60;
  return `${Math.floor(minutes / 60)} h${rest > 0 ? ` ${rest} min` : ''}`;
}

/** Which instances the cost is of: waitingCost counts the unjoined and the not-ready ones. */
function waitingNoun(ng: NodegroupReport): string {
  const unjoined = ng.instances.some((v) => v.joined === false && !v.pending);
  const notReady = ng.findings.some((f) => f.code === 'NODES_NOT_READY');
  return unjoined && notReady ? 'unjoined or not-ready' : notReady ? 'not-ready' : 'unjoined';
}

/**
 * `3 unjoined instances have run up to 42 min: about $0.29 per hour on demand (us-east-1 list
 * prices); no price known for x1.large`. The price table holds us-east-1 list prices, hence the note.
 */
export function waitingCostWords(cost: WaitingCost, ng: NodegroupReport): string {
  const have = cost.instances === 1 ? 'has' : 'have';
  const who = `${count(cost.instances, `${waitingNoun(ng)} instance`)} ${have} run up to ${durationWords(cost.longestRunningSeconds)}`;
  // waitingCost lists an instance without a type as UNKNOWN_TYPE: that is no type to name.
  const named = cost.unpricedTypes.filter((t) => t !== UNKNOWN_TYPE);
  const typeless = cost.unpricedTypes.includes(UNKNOWN_TYPE);
  if (cost.hourlyUsd === undefined) {
    const why =
      named.length > 0 ? `no price known for ${named.join(', ')}` : 'their instance types are not known';
    return `${who}: cost unknown — ${why}${named.length > 0 && typeless ? '; the type of some is not known' : ''}`;
  }
  const unpriced = [
    named.length > 0 ? `no price known for ${named.join(', ')}` : '',
    typeless ? 'the type of some is not known (not counted)' : '',
  ].filter(Boolean);
  const usd = cost.hourlyUsd < 0.01 && cost.hourlyUsd > 0 ? '< $0.01' : `$${cost.hourlyUsd.toFixed(2)}`;
  return `${who}: about ${usd} per hour on demand (us-east-1 list prices)${unpriced.map((u) => `; ${u}`).join('')}`;
}
