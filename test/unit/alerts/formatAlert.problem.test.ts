/**
 * The problem alert: what was found, as the seed's check publishes it under notify and dry-run; the
 * SNS message around it (variants, attributes, subject), the chat thread and the JSON report; and
 * the plan of a dry run, with what it refuses and what a person must run instead. The actions come
 * from the real planner (test/support/alertScenarios.ts), so their reasons are compared to their
 * own words, not to sentences restated here.
 */
import { describe, expect, it } from 'vitest';
import { formatAlert, threadIdFor } from '../../../functions/alerts/formatAlert.js';
import type { Finding, FindingCode, RouteAction, Severity } from '../../../functions/core/model/types.js';
import {
  bodyOf,
  chatOf,
  EMAIL_MARKUP,
  expectValidCustomNotification,
  expectWellFormed,
  occurrences,
} from '../../support/alertChecks.js';
import {
  mainTableRefused,
  noUsableNat,
  OTHER_SUBNET,
  type Published,
  problem,
  replaceActionOf,
  routeActionOf,
  sharedTableRefused,
  unjoinedBehindAGoodRoute,
} from '../../support/alertScenarios.js';
import { NAT, NEW_SUBNET } from '../../support/factories.js';
import { expectHeadline, seedRouteInEmail, usePublished } from '../../support/publishedAlerts.js';
import { SEED_ASG, SEED_INSTANCE, SEED_NODEGROUP_ARN, SEED_TABLE } from '../../support/seedCheck.js';

const FIX = `aws ec2 create-route --route-table-id ${SEED_TABLE} --destination-cidr-block 0.0.0.0/0 --nat-gateway-id ${NAT} --region us-west-2`;
const LAUNCHED = '2026-11-26T09:00:00.000Z';

/**
 * The route action a plan refused, in an alert whose title says the fix was skipped and whose JSON
 * report keeps it, first of the actions.
 */
function refusedRouteOf(p: Published): RouteAction {
  expect(p.chat.content.title).toMatch(/ — NO_DEFAULT_ROUTE \(fix skipped\)$/);
  const refused = routeActionOf(p.nodegroup.actions, 'skipped');
  expect(bodyOf(p.alert).nodegroups[0]?.actions[0]).toEqual(refused);
  return refused;
}

describe('a problem under policy notify', () => {
  const p = usePublished(() => problem('notify'));

  it('is the JSON of one variant per protocol, with cluster, nodegroup and severity as attributes', () => {
    const parsed = JSON.parse(p.alert.message) as Record<string, unknown>;
    expect(Object.keys(parsed).sort()).toEqual(['default', 'email', 'lambda', 'sqs']);
    for (const value of Object.values(parsed)) expect(typeof value).toBe('string');
    expect(parsed).toEqual(p.alert.structure);
    expect(p.alert.attributes).toEqual({
      cluster: 'eks-workshop',
      nodegroup: 'new_nodegroup_2',
      severity: 'critical',
    });
    expectWellFormed(p.alert);
  });

  it('says what happened in an ASCII subject and the chat title', () => {
    expect(p.alert.subject).toBe(
      '[CRITICAL] eks-workshop/new_nodegroup_2: 1 node never joined - NO_DEFAULT_ROUTE',
    );
    expect(p.chat.content.title).toBe(
      ':rotating_light: eks-workshop/new_nodegroup_2: 1 node never joined — NO_DEFAULT_ROUTE',
    );
  });

  it('names everything a person needs in the description, and says nothing was changed', () => {
    const { description } = p.chat.content;
    expect(description).toContain('`eks-workshop` (us-west-2)');
    expect(description).toContain('*Nodegroup* `new_nodegroup_2` (ACTIVE)');
    expect(description).toContain('*Policy* `notify`: alert only, nothing was changed');
    expect(description).toContain(
      `• \`${SEED_INSTANCE}\` in \`${NEW_SUBNET}\` (us-west-2a), running since ${LAUNCHED}`,
    );
    expect(description).toContain(
      `:red_circle: *NO_DEFAULT_ROUTE* (\`${SEED_TABLE}\`, explicitly associated with \`${NEW_SUBNET}\`)`,
    );
    expect(description).toContain('*NODES_NOT_JOINED*');
    expect(description).not.toMatch(/\*(Planned|Skipped|Done|Failed|To undo)/);
    expect(p.chat.metadata.additionalContext).toMatchObject({ alertKind: 'problem', actions: 'none' });
  });

  it('gives the fix commands as code in the next steps, a multi-line fix as a code block', () => {
    const { nextSteps } = p.chat.content;
    expect(nextSteps[0]).toBe(`*NO_DEFAULT_ROUTE*: \`${FIX}\``);
    expect(nextSteps[1]).toMatch(/^\*NODES_NOT_JOINED\*: \n```\n# After fixing the cause/);
    expect(nextSteps[1]).toContain(`--instance-id ${SEED_INSTANCE}`);
    expect(nextSteps[1]?.endsWith('\n```')).toBe(true);
  });

  it('threads every alert of one nodegroup together and ties it to the resources', () => {
    const later = chatOf(formatAlert({ ...p.report, checkedAt: '2026-11-26T10:05:00Z' }, p.nodegroup));
    expect(p.chat.metadata.threadId).toBe(threadIdFor('eks-workshop', 'new_nodegroup_2'));
    expect(p.chat.metadata.threadId).toBe('eks-join-remediator/eks-workshop/new_nodegroup_2');
    expect(later.metadata.threadId).toBe(p.chat.metadata.threadId);
    expect(later.id).not.toBe(p.chat.id);
    expect(p.chat.metadata.eventType).toBe('NodesNotJoined');
    expect(p.chat.metadata.summary).toBe(
      'eks-workshop/new_nodegroup_2: 1 node never joined — NO_DEFAULT_ROUTE',
    );
    expect(p.chat.metadata.relatedResources).toEqual([
      SEED_NODEGROUP_ARN,
      SEED_TABLE,
      NAT,
      NEW_SUBNET,
      SEED_INSTANCE,
    ]);
    expect(p.chat.metadata.additionalContext).toMatchObject({
      cluster: 'eks-workshop',
      region: 'us-west-2',
      nodegroup: 'new_nodegroup_2',
      severity: 'critical',
      findings: 'NO_DEFAULT_ROUTE,NODES_NOT_JOINED',
    });
    expect(p.chat.content.keywords).toEqual(['critical', 'NO_DEFAULT_ROUTE', 'NODES_NOT_JOINED', 'notify']);
  });

  it('is a plain-text email a person can act on', () => {
    const { email } = p;
    expect(email.split('\n')[0]).toBe(
      'CRITICAL: eks-workshop/new_nodegroup_2: 1 node never joined — NO_DEFAULT_ROUTE',
    );
    expect(email).toContain('Cluster:      eks-workshop (us-west-2)');
    expect(email).toContain('Nodegroup:    new_nodegroup_2 (status ACTIVE)');
    expect(email).toContain(`Auto Scaling: ${SEED_ASG}`);
    expect(email).toContain('Policy:       notify: alert only, nothing was changed');
    expect(email).toContain('Checked at:   2026-11-26T10:00:00Z (join window 300 s)');
    expect(email).toContain(
      `Nodes that never joined (1):\n  - ${SEED_INSTANCE} in ${NEW_SUBNET} (us-west-2a), running since ${LAUNCHED}`,
    );
    expect(email).toContain(
      '1. [CRITICAL] NO_DEFAULT_ROUTE: the subnet route table has no default route (0.0.0.0/0)',
    );
    expect(email).toContain(`Route table: ${SEED_TABLE}, explicitly associated with ${NEW_SUBNET}`);
    expect(email).toContain(`     Fix:\n       ${FIX}`);
    expect(email).toContain('ACTIONS: none');
    expect(email).not.toMatch(/^(PLANNED|SKIPPED|DONE|FAILED|TO UNDO)/m);
    expect(email).toContain('Sent by eks-join-remediator');
    expect(email).not.toMatch(EMAIL_MARKUP);
  });

  it('keeps the report with exactly this nodegroup for sqs and lambda', () => {
    const other = { ...p.nodegroup, name: 'healthy_nodegroup', findings: [], instances: [] };
    const report = { ...p.report, nodegroups: [other, p.nodegroup] };
    const alert = formatAlert(report, p.nodegroup);
    expect(JSON.parse(alert.structure.sqs)).toEqual({ ...report, nodegroups: [p.nodegroup] });
    expect(alert.structure.lambda).toBe(alert.structure.sqs);
  });
});

describe('severity and framing of what was found', () => {
  const p = usePublished(() => problem('notify'));
  const finding = (severity: Severity, code: FindingCode = 'NODE_LIST_FORBIDDEN'): Finding => ({
    code,
    severity,
    resourceId: 'arn:aws:eks:us-west-2:123456789012:cluster/eks-workshop',
    message: 'm',
    fix: 'kubectl apply -f infra/k8s/rbac.yaml',
  });
  const with_ = (findings: Finding[], instances = p.nodegroup.instances) =>
    formatAlert(p.report, { ...p.nodegroup, findings, instances });

  it('takes the highest severity of the findings', () => {
    const severityOf = (findings: Finding[]) => with_(findings).attributes.severity;
    expect(severityOf([finding('info'), finding('critical', 'NO_DEFAULT_ROUTE'), finding('warning')])).toBe(
      'critical',
    );
    expect(severityOf([finding('info'), finding('warning')])).toBe('warning');
    expect(severityOf([finding('info')])).toBe('info');
    expect(severityOf([])).toBe('info');
  });

  it('picks the emoji, the subject tag and the event type by severity', () => {
    const alert = with_([finding('warning')], []);
    expect(chatOf(alert).content.title).toBe(
      ':warning: eks-workshop/new_nodegroup_2: 1 finding — NODE_LIST_FORBIDDEN',
    );
    expect(alert.subject).toMatch(/^\[WARNING\] /);
    expect(chatOf(alert).metadata.eventType).toBe('NodeJoinRisk');
  });

  it('says when membership could not be read instead of claiming nodes did not join', () => {
    const unknown = p.nodegroup.instances.map((v) => ({ ...v, joined: null }));
    const alert = with_([finding('warning', 'CLUSTER_API_UNREACHABLE')], unknown);
    expect(chatOf(alert).metadata.eventType).toBe('NodeMembershipUnknown');
    expect(chatOf(alert).content.title).toBe(
      ':warning: eks-workshop/new_nodegroup_2: membership of 1 node unknown — CLUSTER_API_UNREACHABLE',
    );
    expect(alert.structure.email).toContain('Nodes whose membership could not be read (1):');
  });

  const codes: Record<FindingCode, true> = {
    NODES_NOT_JOINED: true,
    NO_DEFAULT_ROUTE: true,
    BLACKHOLE_DEFAULT_ROUTE: true,
    NO_PUBLIC_IP: true,
    CLUSTER_API_UNREACHABLE: true,
    NODE_LIST_FORBIDDEN: true,
    MISSING_VPC_ENDPOINTS: true,
    ENDPOINT_ACCESS_EXCLUDES_NODES: true,
    NACL_BLOCKS_EGRESS: true,
    SECURITY_GROUP_BLOCKS_EGRESS: true,
    VPC_DNS_DISABLED: true,
    NODE_ROLE_MISSING_POLICY: true,
    NODE_ROLE_NOT_AUTHORIZED: true,
    NODEGROUP_HEALTH_ISSUE: true,
    IPV6_ONLY_EGRESS: true,
    NODES_NOT_READY: true,
    EBS_KMS_KEY_UNUSABLE: true,
    SUBNET_ADDRESSES_EXHAUSTED: true,
    LAUNCH_FAILURES: true,
  };

  it.each(Object.keys(codes) as FindingCode[])('renders %s in every variant', (code) => {
    const alert = with_([
      {
        code,
        severity: 'warning',
        resourceId: 'resource-1',
        message: `message for ${code}`,
        fix: `fix-for-${code}`,
      },
    ]);
    expect(alert.message).not.toMatch(/undefined|\[object Object\]/);
    expectValidCustomNotification(chatOf(alert));
    expect(chatOf(alert).content.description).toContain(`*${code}* (\`resource-1\`): message for ${code}`);
    expect(chatOf(alert).content.nextSteps).toContain(`*${code}*: \`fix-for-${code}\``);
    expect(alert.structure.email).toMatch(new RegExp(`1\\. \\[WARNING\\] ${code}: \\w`));
    expect(alert.structure.email).toContain(`fix-for-${code}`);
  });
});

describe('a problem under policy dry-run', () => {
  const p = usePublished(() => problem('dry-run'));

  it('puts the plan first and says nothing was changed', () => {
    expectHeadline(p, {
      alertKind: 'problem',
      title:
        ':rotating_light: eks-workshop/new_nodegroup_2: 1 node never joined — NO_DEFAULT_ROUTE (fix planned)',
      subject:
        '[CRITICAL] eks-workshop/new_nodegroup_2: 1 node never joined - NO_DEFAULT_ROUTE (fix planned)',
      severity: 'critical',
      eventType: 'NodesNotJoined',
    });
    expect(p.chat.metadata.additionalContext).toMatchObject({ alertKind: 'problem', actions: 'planned:2' });
    const { description } = p.chat.content;
    expect(description).toContain('*Planned (2): nothing was changed (dry run)*');
    expect(description.indexOf('*Planned')).toBeLessThan(description.indexOf('*Never joined'));
    expect(description.indexOf('*Planned')).toBeLessThan(description.indexOf('*Diagnosis'));
    expect(p.email).toContain(
      'Policy:       dry-run: the fix is planned below, nothing was changed (dry run)',
    );
  });

  it('shows each planned action with its reason and the route before and after', () => {
    const route = routeActionOf(p.nodegroup.actions, 'planned');
    const replace = replaceActionOf(p.nodegroup.actions, 'planned');
    expect(route).toMatchObject({
      routeTableId: SEED_TABLE,
      natGatewayId: NAT,
      before: 'no 0.0.0.0/0 route',
    });
    const { description } = p.chat.content;
    expect(description).toContain(
      `:clipboard: *Planned* create-route \`${SEED_TABLE}\`: \`${route.before}\` → \`${route.after}\` — ${route.reason}`,
    );
    expect(description).toContain(
      `:clipboard: *Planned* replace-instances on 1 instance of \`${SEED_ASG}\`: \`${SEED_INSTANCE}\` — ${replace.reason}`,
    );
    expect(p.email).toContain(
      [
        'PLANNED (2): NOTHING WAS CHANGED (DRY RUN)',
        '',
        seedRouteInEmail(route),
        '',
        `  - replace-instances on 1 instance of ${SEED_ASG}: ${SEED_INSTANCE}`,
        `    Reason: ${replace.reason}`,
      ].join('\n'),
    );
  });

  it('shows no undo command, since nothing was done', () => {
    expect(p.alert.structure.default).not.toContain('delete-route');
    expect(p.email).not.toContain('delete-route');
    expect(p.chat.content.description).not.toContain('To undo');
    expect(p.email).not.toContain('TO UNDO');
  });
});

describe('a plan that refuses a write', () => {
  it('gives the refusal of the main route table in its own words, and the fix by hand once, as code', async () => {
    const p = await mainTableRefused();
    const main = refusedRouteOf(p);
    expect(main).toMatchObject({ reasonCode: 'MAIN_ROUTE_TABLE', subnetIds: [NEW_SUBNET] });
    const mainFix = FIX.replace(SEED_TABLE, main.routeTableId);
    const { description } = p.chat.content;
    expect(description).toContain('*Skipped (2): a person must act*');
    expect(description).toContain(
      `:fast_forward: *Skipped* create-route on \`${main.routeTableId}\` (now \`${main.before}\`) — ${main.reason}\n      ↳ by hand: \`${mainFix}\``,
    );
    expect(occurrences(description, mainFix)).toBe(1);
    expect(description).toContain(
      `(\`${main.routeTableId}\`, the VPC main table (\`${NEW_SUBNET}\` has no association of its own))`,
    );
    expect(p.email).toContain(
      [
        `  - create-route on ${main.routeTableId}`,
        `    Now:    ${main.before}`,
        `    Reason: ${main.reason}`,
        '    By hand:',
        `      ${mainFix}`,
      ].join('\n'),
    );
    expect(p.email).toContain(
      `Route table: ${main.routeTableId}, the VPC main table (${NEW_SUBNET} has no association of its own)`,
    );
  });

  it('names the subnets that make a route table shared, and the fix by hand', async () => {
    const p = await sharedTableRefused();
    const shared = refusedRouteOf(p);
    expect(shared).toMatchObject({ reasonCode: 'SHARED_ROUTE_TABLE', outsideSubnetIds: [OTHER_SUBNET] });
    const { description } = p.chat.content;
    expect(description).toContain(
      `(now \`${shared.before}\`) — ${shared.reason}\n      ↳ by hand: \`${FIX}\``,
    );
    expect(p.email).toContain(`    Reason: ${shared.reason}\n    By hand:\n      ${FIX}`);
  });

  it('says why no NAT gateway will do, and points to the commands of the finding', async () => {
    const p = await noUsableNat();
    const refused = refusedRouteOf(p);
    expect(refused).toMatchObject({
      reasonCode: 'NO_USABLE_NAT',
      rejectedNatGateways: [{ natGatewayId: NAT, why: 'NOT_AVAILABLE' }],
    });
    const { description, nextSteps } = p.chat.content;
    expect(description).toContain(
      `:fast_forward: *Skipped* create-route on \`${SEED_TABLE}\` (now \`${refused.before}\`) — ${refused.reason}\n      ↳ by hand: the *NO_DEFAULT_ROUTE* commands in the next steps`,
    );
    expect(nextSteps.some((s) => s.startsWith('*NO_DEFAULT_ROUTE*: '))).toBe(true);
    expect(p.email).toContain(`    Reason: ${refused.reason}\n    By hand:\n`);
  });

  it('names the group and the instances when recycling is skipped for want of a fix', async () => {
    const p = await unjoinedBehindAGoodRoute();
    const skipped = replaceActionOf(p.nodegroup.actions, 'skipped');
    expect(skipped).toMatchObject({
      reasonCode: 'NO_ROUTE_FIX',
      instanceIds: [SEED_INSTANCE, 'i-0b2c3d4e5f6a70819'],
    });
    expect(p.chat.content.title).toBe(
      ':rotating_light: eks-workshop/new_nodegroup_2: 2 nodes never joined — cause not identified (fix skipped)',
    );
    expect(p.chat.content.description).toContain(
      `:fast_forward: *Skipped* replace-instances on 2 instances of \`${SEED_ASG}\`: \`${SEED_INSTANCE}\`, \`i-0b2c3d4e5f6a70819\` — ${skipped.reason}\n      ↳ by hand: the *NODES_NOT_JOINED* commands in the next steps`,
    );
    expect(p.email).toContain(
      `  - replace-instances on 2 instances of ${SEED_ASG}: ${SEED_INSTANCE}, i-0b2c3d4e5f6a70819\n    Reason: ${skipped.reason}`,
    );
  });

  it('is told the same way under remediate when every write was refused', async () => {
    const dryRun = await sharedTableRefused('dry-run');
    const remediate = await sharedTableRefused('remediate');
    expect(remediate.nodegroup.alertKind).toBe('problem');
    expect(remediate.chat.content.title).toBe(dryRun.chat.content.title);
    expect(remediate.alert.structure.default).not.toContain('delete-route');
    expect(remediate.email).not.toContain('delete-route');
    expect(remediate.alert.subject).toBe(dryRun.alert.subject);
  });
});
