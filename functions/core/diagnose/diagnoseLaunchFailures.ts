import type { KmsKeyFacts, LaunchVolume } from '../model/ports.js';
import type {
  Cluster,
  Finding,
  KmsKeyGap,
  LaunchFailure,
  NetworkSnapshot,
  Nodegroup,
  Subnet,
} from '../model/types.js';
import { overlapsAny, parseCidr, parseCidrs } from './cidr.js';

/**
 * Launches that failed (Auto Scaling "EC2 Instance Launch Unsuccessful"), read from Auto Scaling's
 * message and confirmed against the account: EBS_KMS_KEY_UNUSABLE, SUBNET_ADDRESSES_EXHAUSTED, or
 * LAUNCH_FAILURES for everything else and for what the account does not confirm. Alert only: none of
 * these findings is ever a reason to write.
 */

// --- what Auto Scaling's message says ------------------------------------------------------------

export type LaunchFailureClass =
  | { kind: 'kms' }
  | { kind: 'addresses'; subnetId?: string }
  | { kind: 'other' };

/**
 * "Client.InternalError: Client error on launch" is what Auto Scaling says when EBS cannot use the
 * volume's KMS key on its behalf (also inside "Instance became unhealthy while waiting ..."); EC2
 * names the key outright in Client.InvalidKMSKey.* errors.
 */
const KMS_MESSAGE = /Client\.InternalError:\s*Client error on launch|InvalidKMSKey|\bKMS key\b/i;
const ADDRESSES_MESSAGE = /not enough free addresses in subnet|InsufficientFreeAddressesInSubnet/i;
const SUBNET_ID = /\bsubnet-[0-9a-f]+\b/;

/** What a failed launch's status message (and cause) points at. */
export function classifyLaunchFailure(failure: LaunchFailure): LaunchFailureClass {
  const text = `${failure.statusMessage}\n${failure.cause ?? ''}`;
  if (ADDRESSES_MESSAGE.test(text)) {
    const subnetId = failure.statusMessage.match(SUBNET_ID)?.[0] ?? failure.subnetId;
    return { kind: 'addresses', ...(subnetId && { subnetId }) };
  }
  if (KMS_MESSAGE.test(text)) return { kind: 'kms' };
  return { kind: 'other' };
}

/** Distinct messages, how many launches failed and when: never part of a finding's identity. */
export function summariseFailures(failures: LaunchFailure[]): NonNullable<Finding['launchFailures']> {
  const times = failures
    .map((f) => f.time)
    .filter((t): t is string => !!t && !Number.isNaN(Date.parse(t)))
    .sort((a, b) => Date.parse(a) - Date.parse(b));
  const first = times[0];
  const last = times.at(-1);
  return {
    statusMessages: [...new Set(failures.map((f) => f.statusMessage.trim()))],
    count: failures.length,
    ...(first && { firstAt: first }),
    ...(last && { lastAt: last }),
  };
}

// --- the key policy, as far as the Auto Scaling service-linked role is concerned -----------------

/** The role Auto Scaling launches as; EKS managed nodegroups' groups use the default one. */
export function autoScalingRoleArn(partition: string, accountId: string): string {
  return `arn:${partition}:iam::${accountId}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling`;
}

/** What EBS does with the key on the role's behalf (the documented statement's actions, spelled out). */
export const KEY_USE_ACTIONS = [
  'kms:Encrypt',
  'kms:Decrypt',
  'kms:ReEncryptFrom',
  'kms:ReEncryptTo',
  'kms:GenerateDataKey',
  'kms:GenerateDataKeyWithoutPlaintext',
  'kms:DescribeKey',
] as const;
export const CREATE_GRANT = 'kms:CreateGrant';

export interface PolicyContext {
  /** The service-linked role's ARN. */
  roleArn: string;
  accountId: string;
  region: string;
  keyArn?: string;
}

export interface PolicyVerdict {
  /** The actions the role may not perform (denied, or allowed by no statement). */
  missing: string[];
  /** Sids (or positions) of Deny statements that apply to the role. */
  deniedBy: string[];
}

type Tri = 'yes' | 'no' | 'unknown';

interface Statement {
  Sid?: string;
  Effect?: string;
  Principal?: unknown;
  NotPrincipal?: unknown;
  Action?: unknown;
  NotAction?: unknown;
  Resource?: unknown;
  NotResource?: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}

/**
 * Which of `actions` the role may perform on the key under its key policy. Only gaps that are certain
 * count: an Allow whose condition cannot be judged is taken to allow, a Deny whose condition cannot
 * be judged is taken not to apply. The account principal (`arn:aws:iam::ACCOUNT:root`) in an Allow
 * hands the decision to IAM policies, and the service-linked role's own policy (which cannot be
 * changed) gives it nothing on customer managed keys: such a statement does not let the role in. In
 * a Deny the account principal covers every principal of the account, the role included.
 * Undefined when the document is not a policy.
 */
export function evaluateKeyPolicy(
  policy: string,
  actions: readonly string[],
  context: PolicyContext,
): PolicyVerdict | undefined {
  let statements: Statement[];
  try {
    const parsed = JSON.parse(policy) as { Statement?: unknown };
    const raw = parsed?.Statement;
    statements = (Array.isArray(raw) ? raw : raw && typeof raw === 'object' ? [raw] : []) as Statement[];
  } catch {
    return undefined;
  }
  if (statements.length === 0) return undefined;
  const missing: string[] = [];
  const deniedBy = new Set<string>();
  for (const action of actions) {
    let allowed = false;
    let denied = false;
    statements.forEach((statement, index) => {
      const effect = String(statement.Effect ?? '').toLowerCase();
      if (effect !== 'allow' && effect !== 'deny') return;
      const deny = effect === 'deny';
      if (!principalCovers(statement, context, deny)) return;
      if (!actionCovered(statement, action) || !resourceCovered(statement, context.keyArn)) return;
      const condition = evaluateConditions(statement.Condition, conditionContext(action, context));
      if (deny && condition === 'yes') {
        denied = true;
        deniedBy.add(statement.Sid ?? `Statement[${index}]`);
      }
      if (!deny && condition !== 'no') allowed = true;
    });
    if (denied || !allowed) missing.push(action);
  }
  return { missing, deniedBy: [...deniedBy] };
}

/** The statements to add so the role can use the key and create grants for EBS, as AWS documents them. */
export function keyPolicyStatements(roleArn: string, gaps: KmsKeyGap[]): object[] {
  const principal = { AWS: roleArn };
  const statements: object[] = [];
  if (gaps.includes('NO_USE_GRANT')) {
    statements.push({
      Sid: 'Allow service-linked role use of the customer managed key',
      Effect: 'Allow',
      Principal: principal,
      Action: ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:DescribeKey'],
      Resource: '*',
    });
  }
  if (gaps.includes('NO_CREATE_GRANT')) {
    statements.push({
      Sid: 'Allow attachment of persistent resources',
      Effect: 'Allow',
      Principal: principal,
      Action: ['kms:CreateGrant'],
      Resource: '*',
      Condition: { Bool: { 'kms:GrantIsForAWSResource': true } },
    });
  }
  return statements;
}

function list(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  return (Array.isArray(value) ? value : [value]).map(String);
}

/** IAM's wildcards: `*` any run, `?` one character; case-insensitive (actions, ARNs). */
function globMatches(pattern: string, value: string): boolean {
  const regex = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${regex}$`, 'i').test(value);
}

/** The role's ARN as key policies may spell it: with its path, or (older policies) without. */
function namesRole(principal: string, roleArn: string): boolean {
  const short = roleArn.replace(/:role\/.*\/([^/]+)$/, ':role/$1');
  return [roleArn, short].some((arn) => arn.toLowerCase() === principal.toLowerCase());
}

function isAccountPrincipal(principal: string, accountId: string): boolean {
  return principal === accountId || new RegExp(`^arn:[\\w-]+:iam::${accountId}:root$`).test(principal);
}

function principalCovers(statement: Statement, context: PolicyContext, deny: boolean): boolean {
  const covers = (principal: unknown): boolean => {
    if (principal === '*') return true;
    if (!principal || typeof principal !== 'object') return false;
    return list((principal as { AWS?: unknown }).AWS).some(
      (p) => p === '*' || namesRole(p, context.roleArn) || (deny && isAccountPrincipal(p, context.accountId)),
    );
  };
  if (statement.NotPrincipal !== undefined) {
    // Everyone but those named: the role is covered unless it (or its account) is named.
    const named = list((statement.NotPrincipal as { AWS?: unknown })?.AWS);
    return !named.some((p) => namesRole(p, context.roleArn) || isAccountPrincipal(p, context.accountId));
  }
  return covers(statement.Principal);
}

function actionCovered(statement: Statement, action: string): boolean {
  if (statement.NotAction !== undefined)
    return !list(statement.NotAction).some((p) => globMatches(p, action));
  return list(statement.Action).some((p) => globMatches(p, action));
}

function resourceCovered(statement: Statement, keyArn: string | undefined): boolean {
  if (!keyArn) return true;
  if (statement.NotResource !== undefined)
    return !list(statement.NotResource).some((p) => globMatches(p, keyArn));
  if (statement.Resource === undefined) return true;
  return list(statement.Resource).some((p) => globMatches(p, keyArn));
}

/** Condition keys whose value is known for the role's calls (lower case); `null`: known to be absent. */
function conditionContext(action: string, context: PolicyContext): Map<string, string | null> {
  return new Map<string, string | null>([
    ['aws:principalarn', context.roleArn],
    ['aws:principalaccount', context.accountId],
    ['kms:calleraccount', context.accountId],
    ['kms:viaservice', `ec2.${context.region}.amazonaws.com`],
    ['kms:grantisforawsresource', action === CREATE_GRANT ? 'true' : null],
  ]);
}

const POSITIVE = new Set(['stringequals', 'stringequalsignorecase', 'arnequals', 'stringlike', 'arnlike']);
const NEGATIVE = new Set([
  'stringnotequals',
  'stringnotequalsignorecase',
  'arnnotequals',
  'stringnotlike',
  'arnnotlike',
]);

/** Every condition block must hold: 'no' wins, then 'unknown'. */
function evaluateConditions(conditions: Statement['Condition'], known: Map<string, string | null>): Tri {
  if (!conditions || typeof conditions !== 'object') return 'yes';
  let result: Tri = 'yes';
  for (const [rawOperator, block] of Object.entries(conditions)) {
    for (const [rawKey, expected] of Object.entries(block ?? {})) {
      const verdict = evaluateCondition(rawOperator, rawKey.toLowerCase(), list(expected), known);
      if (verdict === 'no') return 'no';
      if (verdict === 'unknown') result = 'unknown';
    }
  }
  return result;
}

function evaluateCondition(
  rawOperator: string,
  key: string,
  expected: string[],
  known: Map<string, string | null>,
): Tri {
  // Set operators need the request's multi-valued keys: never judged.
  if (/^For(Any|All)Value:/i.test(rawOperator)) return 'unknown';
  const ifExists = /IfExists$/i.test(rawOperator);
  const operator = rawOperator.replace(/IfExists$/i, '').toLowerCase();
  if (!known.has(key)) return 'unknown';
  const value = known.get(key) ?? null;
  if (operator === 'null') {
    const wantsAbsent = expected.some((e) => e.toLowerCase() === 'true');
    return (value === null) === wantsAbsent ? 'yes' : 'no';
  }
  if (value === null) {
    if (ifExists || NEGATIVE.has(operator)) return 'yes';
    return POSITIVE.has(operator) || operator === 'bool' ? 'no' : 'unknown';
  }
  const matchesAny = (like: boolean, ignoreCase: boolean) =>
    expected.some((e) =>
      like ? globMatches(e, value) : ignoreCase ? e.toLowerCase() === value.toLowerCase() : e === value,
    );
  switch (operator) {
    case 'stringequals':
    case 'arnequals':
      return matchesAny(false, false) ? 'yes' : 'no';
    case 'stringequalsignorecase':
      return matchesAny(false, true) ? 'yes' : 'no';
    case 'stringlike':
    case 'arnlike':
      return matchesAny(true, false) ? 'yes' : 'no';
    case 'stringnotequals':
    case 'arnnotequals':
      return matchesAny(false, false) ? 'no' : 'yes';
    case 'stringnotequalsignorecase':
      return matchesAny(false, true) ? 'no' : 'yes';
    case 'stringnotlike':
    case 'arnnotlike':
      return matchesAny(true, false) ? 'no' : 'yes';
    case 'bool':
      return expected.some((e) => e.toLowerCase() === value.toLowerCase()) ? 'yes' : 'no';
    default:
      return 'unknown';
  }
}

// --- the key ----------------------------------------------------------------------------------------

/** A key as the check read it: its facts, no such key, or why it could not be read. */
export type KeyRead =
  | { kind: 'read'; facts: KmsKeyFacts }
  | { kind: 'not-found' }
  | { kind: 'unread'; why: string };

/** The AWS managed key for EBS, by alias or alias ARN: Auto Scaling may always use it. */
export function isAwsManagedEbsKey(keyId: string): boolean {
  return /(^|:)alias\/aws\/ebs$/.test(keyId);
}

export interface KeyJudgement {
  missing: KmsKeyGap[];
  /** Actions the policy does not give the role, and the Deny statements that take them away. */
  policy?: PolicyVerdict;
}

/**
 * Why the role cannot use the key; undefined when that cannot be told (an enabled key whose policy
 * could not be read). An empty `missing`: usable.
 */
export function judgeKey(facts: KmsKeyFacts, context: PolicyContext): KeyJudgement | undefined {
  if (facts.keyManager === 'AWS') return { missing: [] };
  const missing: KmsKeyGap[] = [];
  if (facts.keyState === 'Disabled') missing.push('KEY_DISABLED');
  else if (facts.keyState === 'PendingDeletion' || facts.keyState === 'PendingReplicaDeletion')
    missing.push('KEY_PENDING_DELETION');
  else if (facts.keyState && facts.keyState !== 'Enabled') missing.push('KEY_NOT_ENABLED');
  const policy =
    facts.policy === undefined
      ? undefined
      : evaluateKeyPolicy(facts.policy, [...KEY_USE_ACTIONS, CREATE_GRANT], {
          ...context,
          ...(facts.keyArn && { keyArn: facts.keyArn }),
        });
  if (policy?.missing.some((a) => a !== CREATE_GRANT)) missing.push('NO_USE_GRANT');
  if (policy?.missing.includes(CREATE_GRANT)) missing.push('NO_CREATE_GRANT');
  if (missing.length === 0 && (!policy || facts.keyState === undefined)) return undefined;
  return { missing, ...(policy && { policy }) };
}

// --- the diagnosis -----------------------------------------------------------------------------------

export interface LaunchFailureInput {
  cluster: Cluster;
  nodegroup: Nodegroup;
  failures: LaunchFailure[];
  /** The volumes the nodes launch with; undefined when not read (`volumesUnread` says why). */
  volumes?: LaunchVolume[];
  volumesUnread?: string;
  /** The volumes' customer keys, by the id the volume names. */
  keys: Map<string, KeyRead>;
  /** The nodegroup's VPC, for its subnets' free addresses; empty when it could not be read. */
  networks: NetworkSnapshot[];
}

/** One finding per unusable key and per full subnet, and one LAUNCH_FAILURES for the rest. */
export function diagnoseLaunchFailures(input: LaunchFailureInput): Finding[] {
  const { failures } = input;
  if (failures.length === 0) return [];
  const classes = failures.map((failure) => ({ failure, class: classifyLaunchFailure(failure) }));
  const findings: Finding[] = [];
  const unconfirmed: { failures: LaunchFailure[]; why: string; hint: 'kms' | 'addresses' }[] = [];

  const kms = classes.filter((c) => c.class.kind === 'kms').map((c) => c.failure);
  if (kms.length > 0) {
    const confirmed = kmsFindings(input, kms);
    if ('findings' in confirmed) findings.push(...confirmed.findings);
    else unconfirmed.push({ failures: kms, why: confirmed.why, hint: 'kms' });
  }

  const bySubnet = new Map<string, LaunchFailure[]>();
  for (const c of classes) {
    if (c.class.kind !== 'addresses') continue;
    const key = c.class.subnetId ?? '';
    bySubnet.set(key, [...(bySubnet.get(key) ?? []), c.failure]);
  }
  for (const [subnetId, group] of bySubnet) {
    const confirmed = addressFindings(input, subnetId || undefined, group);
    if ('findings' in confirmed) findings.push(...confirmed.findings);
    else unconfirmed.push({ failures: group, why: confirmed.why, hint: 'addresses' });
  }

  const other = classes.filter((c) => c.class.kind === 'other').map((c) => c.failure);
  if (other.length > 0 || unconfirmed.length > 0) {
    findings.push(launchFailuresFinding(input, other, unconfirmed));
  }
  return findings;
}

function arnParts(arn: string | undefined): { partition: string; accountId: string } | undefined {
  const match = arn?.match(/^arn:([\w-]+):[\w-]+:[\w-]*:(\d{12}):/);
  return match ? { partition: match[1] as string, accountId: match[2] as string } : undefined;
}

function quoted(messages: string[]): string {
  return messages.map((m) => `"${m}"`).join('; ');
}

/** "3 launch(es) failed between A and B" / "1 launch failed at A". */
function failedWhen(summary: NonNullable<Finding['launchFailures']>): string {
  const count = summary.count === 1 ? '1 launch failed' : `${summary.count} launches failed`;
  if (!summary.firstAt) return count;
  if (summary.firstAt === summary.lastAt) return `${count} at ${summary.firstAt}`;
  return `${count} between ${summary.firstAt} and ${summary.lastAt}`;
}

function watchActivities(nodegroup: Nodegroup, region: string): string {
  const asg = nodegroup.autoScalingGroupNames[0] ?? '<auto-scaling-group-name>';
  return `aws autoscaling describe-scaling-activities --auto-scaling-group-name ${asg} --max-items 5 --region ${region}`;
}

// --- EBS_KMS_KEY_UNUSABLE ------------------------------------------------------------------------------

function kmsFindings(
  input: LaunchFailureInput,
  failures: LaunchFailure[],
): { findings: Finding[] } | { why: string } {
  const { cluster, nodegroup } = input;
  if (!input.volumes)
    return { why: `the launch template's volumes could not be read (${input.volumesUnread ?? 'unknown'})` };
  const encrypted = input.volumes.filter((v) => v.encrypted);
  if (encrypted.length === 0) return { why: "the launch template's EBS volumes are not encrypted" };
  const owner = arnParts(cluster.arn) ?? arnParts(nodegroup.arn);
  const byKey = new Map<string, LaunchVolume[]>();
  for (const volume of encrypted) {
    const keyId = volume.kmsKeyId ?? '';
    byKey.set(keyId, [...(byKey.get(keyId) ?? []), volume]);
  }
  const findings: Finding[] = [];
  const unknown: string[] = [];
  for (const [keyId, volumes] of byKey) {
    if (!keyId) {
      unknown.push('an encrypted volume whose key (the account default) could not be read');
      continue;
    }
    if (isAwsManagedEbsKey(keyId)) continue;
    const read = input.keys.get(keyId) ?? { kind: 'unread', why: 'not read' };
    if (read.kind === 'unread') {
      unknown.push(`key ${keyId} could not be read (${read.why})`);
      continue;
    }
    const facts: KmsKeyFacts = read.kind === 'read' ? read.facts : { keyId, keyState: 'NotFound' };
    const account = owner ?? arnParts(facts.keyArn);
    if (!account) {
      unknown.push(`the account of key ${keyId} is not known`);
      continue;
    }
    const roleArn = autoScalingRoleArn(account.partition, account.accountId);
    const judged =
      read.kind === 'not-found'
        ? { missing: ['KEY_NOT_ENABLED'] as KmsKeyGap[] }
        : judgeKey(facts, { roleArn, accountId: account.accountId, region: cluster.region });
    if (!judged) {
      unknown.push(`the key policy of ${keyId} could not be read`);
      continue;
    }
    if (judged.missing.length === 0) continue;
    findings.push(kmsFinding(input, failures, facts, volumes, roleArn, judged));
  }
  if (findings.length > 0) return { findings };
  if (unknown.length > 0) return { why: unknown.join('; ') };
  return { why: "the volumes' KMS keys are enabled and their key policies let Auto Scaling use them" };
}

function kmsFinding(
  { cluster, nodegroup }: LaunchFailureInput,
  failures: LaunchFailure[],
  facts: KmsKeyFacts,
  volumes: LaunchVolume[],
  roleArn: string,
  judged: KeyJudgement,
): Finding {
  const region = cluster.region;
  const key = facts.keyArn ?? facts.keyId;
  const summary = summariseFailures(failures);
  const devices = volumes.map((v) => v.deviceName ?? 'root volume').join(', ');
  const reasons: string[] = [];
  const { missing } = judged;
  if (facts.keyState === 'NotFound') reasons.push('does not exist');
  if (missing.includes('KEY_DISABLED')) reasons.push('is disabled');
  if (missing.includes('KEY_PENDING_DELETION')) reasons.push('is pending deletion');
  if (missing.includes('KEY_NOT_ENABLED') && facts.keyState !== 'NotFound')
    reasons.push(`is in state ${facts.keyState}`);
  const policyGaps = missing.filter((g) => g === 'NO_USE_GRANT' || g === 'NO_CREATE_GRANT');
  const deniedBy = judged.policy?.deniedBy ?? [];
  if (policyGaps.length > 0) {
    const what = [
      ...(missing.includes('NO_USE_GRANT') ? ['use it'] : []),
      ...(missing.includes('NO_CREATE_GRANT') ? ['create grants for EBS'] : []),
    ].join(' or ');
    reasons.push(
      `has a key policy that does not let AWSServiceRoleForAutoScaling ${what}${deniedBy.length ? ` (denied by ${deniedBy.join(', ')})` : ''}`,
    );
  }
  const message =
    `Auto Scaling cannot launch instances of nodegroup ${nodegroup.name}: the KMS key ${key} of its encrypted EBS volume(s) (${devices}) ${reasons.join(' and ')}. ` +
    `${failedWhen(summary)}: ${quoted(summary.statusMessages)}.`;
  return {
    code: 'EBS_KMS_KEY_UNUSABLE',
    severity: 'critical',
    // The key: one alert per nodegroup and key per cooldown, however many launches fail.
    resourceId: key,
    message,
    fix: kmsFix(region, nodegroup, facts, roleArn, judged),
    kmsKey: {
      keyId: facts.keyId,
      ...(facts.keyArn && { keyArn: facts.keyArn }),
      ...(facts.keyState && { state: facts.keyState }),
      missing,
    },
    launchFailures: summary,
  };
}

function kmsFix(
  region: string,
  nodegroup: Nodegroup,
  facts: KmsKeyFacts,
  roleArn: string,
  { missing, policy }: KeyJudgement,
): string {
  // The key's own id (DescribeKey's KeyId): every kms command below takes it, with the region.
  const keyId = facts.keyId;
  const lines: string[] = [];
  if (facts.keyState === 'NotFound') {
    lines.push(
      `# The key ${facts.keyId} no longer exists: give the launch template's volumes a usable key in a new template version, then move the nodegroup to it:`,
      `aws eks describe-nodegroup --cluster-name ${nodegroup.clusterName} --nodegroup-name ${nodegroup.name} --query nodegroup.launchTemplate --region ${region}`,
      `aws eks update-nodegroup-version --cluster-name ${nodegroup.clusterName} --nodegroup-name ${nodegroup.name} --launch-template ${
        nodegroup.launchTemplate?.id ? `id=${nodegroup.launchTemplate.id}` : 'name=<launch-template-name>'
      },version=<new-version> --region ${region}`,
    );
  }
  if (missing.includes('KEY_PENDING_DELETION')) {
    lines.push(
      '# The key is scheduled for deletion: cancel it (that leaves it disabled), then enable it:',
      `aws kms cancel-key-deletion --key-id ${keyId} --region ${region}`,
      `aws kms enable-key --key-id ${keyId} --region ${region}`,
    );
  } else if (missing.includes('KEY_DISABLED')) {
    lines.push(
      '# The key is disabled: enable it:',
      `aws kms enable-key --key-id ${keyId} --region ${region}`,
    );
  } else if (missing.includes('KEY_NOT_ENABLED') && facts.keyState !== 'NotFound') {
    lines.push(
      `# The key is ${facts.keyState}, not Enabled: see why before anything else:`,
      `aws kms describe-key --key-id ${keyId} --region ${region}`,
    );
  }
  const statements = keyPolicyStatements(roleArn, missing);
  if (statements.length > 0) {
    lines.push(
      "# Let Auto Scaling's service-linked role use the key and create grants for EBS: add these statements to its key policy (the others stay):",
      "cat > autoscaling-key-statements.json <<'EOF'",
      JSON.stringify(statements, null, 2),
      'EOF',
      `aws kms get-key-policy --key-id ${keyId} --policy-name default --query Policy --output text --region ${region} | jq --slurpfile add autoscaling-key-statements.json '.Statement += $add[0]' > key-policy.json`,
      `aws kms put-key-policy --key-id ${keyId} --policy-name default --policy file://key-policy.json --region ${region}`,
    );
  }
  const denied = policy?.deniedBy ?? [];
  if (denied.length > 0) {
    lines.push(
      `# The key policy's Deny statement(s) ${denied.join(', ')} cover ${roleArn}: an Allow cannot override a Deny; narrow them (Principal, Condition) in key-policy.json before putting it back.`,
    );
  }
  lines.push(
    '# Auto Scaling retries the launches by itself; watch them:',
    watchActivities(nodegroup, region),
  );
  return lines.join('\n');
}

// --- SUBNET_ADDRESSES_EXHAUSTED --------------------------------------------------------------------------

function addressFindings(
  input: LaunchFailureInput,
  subnetId: string | undefined,
  failures: LaunchFailure[],
): { findings: Finding[] } | { why: string } {
  const subnets = input.networks.flatMap((n) => n.subnets);
  if (subnets.length === 0) return { why: "the subnets' free addresses could not be read" };
  // No subnet named: the nodegroup's subnets that are full.
  const candidates = subnetId ? [subnetId] : input.nodegroup.subnetIds;
  const full = candidates
    .map((id) => subnets.find((s) => s.subnetId === id))
    .filter((s): s is Subnet => s?.availableIpAddressCount !== undefined)
    // Fewer free addresses than launches failed there: the launches could not have fitted.
    .filter((s) => (s.availableIpAddressCount as number) < Math.max(1, failures.length));
  if (full.length === 0) {
    const known = candidates
      .map((id) => subnets.find((s) => s.subnetId === id))
      .filter((s): s is Subnet => s?.availableIpAddressCount !== undefined);
    return {
      why:
        known.length > 0
          ? `${known.map((s) => `${s.subnetId} has ${s.availableIpAddressCount} free address(es) now`).join(', ')}`
          : `the free addresses of ${candidates.join(', ') || 'the subnet'} could not be read`,
    };
  }
  return { findings: full.map((subnet) => addressFinding(input, subnet, failures, subnets)) };
}

function addressFinding(
  { cluster, nodegroup, networks }: LaunchFailureInput,
  subnet: Subnet,
  failures: LaunchFailure[],
  subnets: Subnet[],
): Finding {
  const region = cluster.region;
  const summary = summariseFailures(failures);
  const free = subnet.availableIpAddressCount as number;
  const withRoom = nodegroup.subnetIds
    .filter((id) => id !== subnet.subnetId)
    .map((id) => subnets.find((s) => s.subnetId === id))
    .filter((s): s is Subnet => (s?.availableIpAddressCount ?? 0) > 0)
    .map((s) => ({ subnetId: s.subnetId, availableIpAddresses: s.availableIpAddressCount as number }))
    .sort((a, b) => b.availableIpAddresses - a.availableIpAddresses);
  const room =
    withRoom.length > 0
      ? ` Subnets of the nodegroup with room: ${withRoom.map((s) => `${s.subnetId} (${s.availableIpAddresses})`).join(', ')}.`
      : ' No other subnet of the nodegroup has room.';
  const message =
    `Subnet ${subnet.subnetId} (${subnet.availabilityZone}, ${subnet.cidrBlock}) has ${free} free IPv4 address(es), so Auto Scaling cannot launch instances of nodegroup ${nodegroup.name} there. ` +
    `${failedWhen(summary)}: ${quoted(summary.statusMessages)}.${room}`;
  const network = networks.find((n) => n.vpcId === subnet.vpcId);
  return {
    code: 'SUBNET_ADDRESSES_EXHAUSTED',
    severity: 'critical',
    // The subnet: one alert per nodegroup and subnet per cooldown, however many launches fail.
    resourceId: subnet.subnetId,
    subnetId: subnet.subnetId,
    message,
    fix: addressFix(region, nodegroup, subnet, withRoom, network),
    availableIpAddresses: free,
    subnetsWithRoom: withRoom,
    launchFailures: summary,
  };
}

/** Room for a new subnet: the first 100.64.0.0/10 /16 block the VPC does not overlap. */
function freeSecondaryCidr(network: NetworkSnapshot | undefined): string {
  const taken = parseCidrs([
    ...(network?.cidrBlocks ?? []),
    ...(network?.subnets ?? []).map((s) => s.cidrBlock),
  ]);
  for (let second = 64; second < 128; second++) {
    const cidr = `100.${second}.0.0/16`;
    const range = parseCidr(cidr);
    if (range && !overlapsAny(taken, range)) return cidr;
  }
  return '<cidr-block>';
}

function addressFix(
  region: string,
  nodegroup: Nodegroup,
  subnet: Subnet,
  withRoom: { subnetId: string }[],
  network: NetworkSnapshot | undefined,
): string {
  const cluster = nodegroup.clusterName;
  const { minSize, maxSize, desiredSize } = nodegroup.scaling;
  const vpcCidr = freeSecondaryCidr(network);
  const newSubnetCidr = vpcCidr.endsWith('/16') ? vpcCidr.replace(/\/16$/, '/19') : '<cidr-block>';
  const shape = nodegroup.launchTemplate?.id
    ? ` --launch-template id=${nodegroup.launchTemplate.id}${nodegroup.launchTemplate.version ? `,version=${nodegroup.launchTemplate.version}` : ''}`
    : nodegroup.instanceTypes?.length
      ? ` --instance-types ${nodegroup.instanceTypes.join(' ')}`
      : '';
  const createNodegroup = (subnets: string) =>
    `aws eks create-nodegroup --cluster-name ${cluster} --nodegroup-name ${nodegroup.name}-2 --subnets ${subnets} --node-role ${nodegroup.nodeRoleArn ?? '<node-role-arn>'} --scaling-config minSize=${minSize},maxSize=${maxSize},desiredSize=${desiredSize}${shape} --region ${region}`;
  const lines = [
    `# What holds the addresses of ${subnet.subnetId} (the VPC CNI's pod addresses count too); interfaces left "available" can be deleted:`,
    `aws ec2 describe-network-interfaces --filters Name=subnet-id,Values=${subnet.subnetId} --query 'NetworkInterfaces[].[NetworkInterfaceId,Status,InterfaceType,Description]' --output table --region ${region}`,
    `aws ec2 delete-network-interface --network-interface-id <eni-id> --region ${region}`,
    "# A nodegroup's subnets cannot be changed in place: create a nodegroup where there is room (copy labels and taints), then scale this one down:",
  ];
  if (withRoom.length > 0) lines.push(createNodegroup(withRoom.map((s) => s.subnetId).join(' ')));
  lines.push(
    `# Or give the VPC room: a secondary CIDR block and a subnet in it${withRoom.length > 0 ? '' : ', then the nodegroup there'}:`,
    `aws ec2 associate-vpc-cidr-block --vpc-id ${subnet.vpcId} --cidr-block ${vpcCidr} --region ${region}`,
    `aws ec2 create-subnet --vpc-id ${subnet.vpcId} --availability-zone ${subnet.availabilityZone} --cidr-block ${newSubnetCidr} --region ${region}`,
  );
  if (withRoom.length === 0) lines.push(createNodegroup('<new-subnet-id>'));
  lines.push(
    `aws eks update-nodegroup-config --cluster-name ${cluster} --nodegroup-name ${nodegroup.name} --scaling-config minSize=0,maxSize=${maxSize},desiredSize=0 --region ${region}`,
  );
  return lines.join('\n');
}

// --- LAUNCH_FAILURES ----------------------------------------------------------------------------------------

function launchFailuresFinding(
  { cluster, nodegroup }: LaunchFailureInput,
  other: LaunchFailure[],
  unconfirmed: { failures: LaunchFailure[]; why: string; hint: 'kms' | 'addresses' }[],
): Finding {
  const region = cluster.region;
  const all = [...other, ...unconfirmed.flatMap((u) => u.failures)];
  const summary = summariseFailures(all);
  const asg = nodegroup.autoScalingGroupNames[0];
  const causes = [...new Set(all.map((f) => f.cause?.trim()).filter((c): c is string => !!c))];
  const notes = unconfirmed.map((u) =>
    u.hint === 'kms'
      ? `Auto Scaling says this when the KMS key of an encrypted volume cannot be used, but that is not confirmed: ${u.why}.`
      : `The message says the subnet is out of addresses, but that is not confirmed: ${u.why}.`,
  );
  const health = nodegroup.healthIssues.map((i) => `${i.code}: ${i.message.trim().replace(/\.$/, '')}`);
  const message = [
    `${failedWhen(summary)} in nodegroup ${nodegroup.name}${asg ? ` (Auto Scaling group ${asg})` : ''}: ${quoted(summary.statusMessages)}.`,
    ...(causes.length > 0 ? [`Cause: ${causes.join(' ')}`] : []),
    ...notes,
    ...(health.length > 0 ? [`EKS health issues: ${health.join('; ')}.`] : []),
  ].join(' ');
  const lines = [
    "# Auto Scaling's activities say why each launch failed:",
    watchActivities(nodegroup, region),
  ];
  if (unconfirmed.some((u) => u.hint === 'kms')) {
    lines.push(
      "# The volumes' KMS keys: the launch template's block devices, encryption by default and its key, then each key's state and policy:",
      `aws autoscaling describe-auto-scaling-groups --auto-scaling-group-names ${asg ?? '<auto-scaling-group-name>'} --query 'AutoScalingGroups[0].[LaunchTemplate,MixedInstancesPolicy.LaunchTemplate.LaunchTemplateSpecification]' --region ${region}`,
      `aws ec2 get-ebs-encryption-by-default --region ${region}`,
      `aws ec2 get-ebs-default-kms-key-id --region ${region}`,
      `aws kms get-key-policy --key-id <key-id> --policy-name default --region ${region}`,
    );
  }
  if (unconfirmed.some((u) => u.hint === 'addresses')) {
    lines.push(
      `aws ec2 describe-subnets --subnet-ids ${nodegroup.subnetIds.join(' ')} --query 'Subnets[].[SubnetId,AvailableIpAddressCount]' --region ${region}`,
    );
  }
  if (health.length > 0) {
    lines.push(
      `aws eks describe-nodegroup --cluster-name ${nodegroup.clusterName} --nodegroup-name ${nodegroup.name} --query nodegroup.health --region ${region}`,
    );
  }
  return {
    code: 'LAUNCH_FAILURES',
    severity: 'critical',
    // The nodegroup: one alert per nodegroup per cooldown, whatever the messages and counts.
    resourceId: nodegroup.arn ?? nodegroup.name,
    message,
    fix: lines.join('\n'),
    launchFailures: summary,
  };
}
