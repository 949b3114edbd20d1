import { describe, expect, it } from 'vitest';
import {
  type AlertMessage,
  CHAT_LIMITS,
  type ChatNotification,
  formatAlert,
  SNS_MAX_MESSAGE_BYTES,
  threadIdFor,
} from '../../../functions/alerts/formatAlert.js';
import type {
  Action,
  Finding,
  FindingCode,
  InstanceVerdict,
  NodegroupReport,
  Report,
  RouteTable,
  Severity,
} from '../../../functions/core/types.js';

// The seed: a nodegroup whose only instance sits in a subnet whose route table lacks 0.0.0.0/0.
const INSTANCE_ID = 'i-0a1b2c3d4e5f60718';
const SUBNET_ID = 'subnet-0e5e4b6c1d2a3f405';
const ROUTE_TABLE_ID = 'rtb-0f1e2d3c4b5a69788';
const NAT_ID = 'nat-0123456789abcdef0';
const FIX = `aws ec2 create-route --route-table-id ${ROUTE_TABLE_ID} --destination-cidr-block 0.0.0.0/0 --nat-gateway-id ${NAT_ID} --region us-west-2`;
const NODEGROUP_ARN =
  'arn:aws:eks:us-west-2:123456789012:nodegroup/eks-workshop/new_nodegroup_2/6ac9a5c4-1b2d-4e3f-8a7b-9c0d1e2f3a4b';

function verdict(instanceId: string, overrides: Partial<InstanceVerdict> = {}): InstanceVerdict {
  return {
    instanceId,
    subnetId: SUBNET_ID,
    availabilityZone: 'us-west-2a',
    launchedAt: '2026-11-26T09:48:12.000Z',
    joined: false,
    pending: false,
    state: 'running',
    ...overrides,
  };
}

function noDefaultRoute(overrides: Partial<Finding> = {}): Finding {
  return {
    code: 'NO_DEFAULT_ROUTE',
    severity: 'critical',
    resourceId: ROUTE_TABLE_ID,
    subnetId: SUBNET_ID,
    message: `Route table ${ROUTE_TABLE_ID} (explicitly associated with ${SUBNET_ID}) has no 0.0.0.0/0 route, so nodes in ${SUBNET_ID} cannot reach the EKS API, ECR or STS. Routes: 10.42.0.0/16 → local.`,
    fix: FIX,
    routeTableId: ROUTE_TABLE_ID,
    routeTableSource: 'explicit',
    natGatewayId: NAT_ID,
    ...overrides,
  };
}

/** Shaped like membershipFindings.nodesNotJoinedFinding: the message and fix list every instance. */
function nodesNotJoined(instances: InstanceVerdict[]): Finding {
  const ids = instances.map((v) => v.instanceId);
  return {
    code: 'NODES_NOT_JOINED',
    severity: 'critical',
    resourceId: NODEGROUP_ARN,
    instanceIds: ids,
    message: `${ids.length} instance(s) of nodegroup new_nodegroup_2 have run for more than 300 s without registering a Node: ${instances
      .map((v) => `${v.instanceId} (${v.subnetId}, ${v.availabilityZone}, launched ${v.launchedAt})`)
      .join(', ')}.`,
    fix: [
      '# After fixing the cause, replace the unjoined instances (the group launches new ones; joined nodes keep running):',
      ...ids.map(
        (id) =>
          `aws autoscaling terminate-instance-in-auto-scaling-group --instance-id ${id} --no-should-decrement-desired-capacity --region us-west-2`,
      ),
    ].join('\n'),
  };
}

const ROUTE_TABLE: RouteTable = {
  routeTableId: ROUTE_TABLE_ID,
  vpcId: 'vpc-0c1d2e3f4a5b6c7d8',
  main: false,
  subnetIds: [SUBNET_ID],
  routes: [
    { destination: '10.42.0.0/16', target: { kind: 'local' }, state: 'active', origin: 'CreateRouteTable' },
  ],
};

function seedNodegroup(overrides: Partial<NodegroupReport> = {}): NodegroupReport & { arn: string } {
  const instances = overrides.instances ?? [verdict(INSTANCE_ID)];
  return {
    name: 'new_nodegroup_2',
    arn: NODEGROUP_ARN,
    policy: 'notify',
    status: 'ACTIVE',
    autoScalingGroups: ['eks-new_nodegroup_2-6ac9a5c4-1b2d-4e3f-8a7b-9c0d1e2f3a4b'],
    instances,
    findings: [noDefaultRoute(), nodesNotJoined(instances)],
    actions: [],
    routeTables: [ROUTE_TABLE],
    ...overrides,
  };
}

function seedReport(nodegroup: NodegroupReport = seedNodegroup()): Report {
  return {
    cluster: 'eks-workshop',
    region: 'us-west-2',
    policy: 'notify',
    checkedAt: '2026-11-26T10:00:00.000Z',
    joinWindowSeconds: 300,
    nodegroups: [nodegroup],
  };
}

function alertFor(nodegroup: NodegroupReport = seedNodegroup()): AlertMessage {
  return formatAlert(seedReport(nodegroup), nodegroup);
}

function chatOf(alert: AlertMessage): ChatNotification {
  return JSON.parse(alert.structure.default) as ChatNotification;
}

type NodegroupBody = NodegroupReport & { truncated?: boolean; omitted?: Record<string, number> };

function bodyOf(alert: AlertMessage): Report & { nodegroups: NodegroupBody[] } {
  return JSON.parse(alert.structure.sqs) as Report & { nodegroups: NodegroupBody[] };
}

/**
 * The custom notification event schema of Amazon Q Developer in chat applications: required version
 * "1.0", source "custom"; content and metadata hold only the documented keys, with the documented types.
 */
function expectValidCustomNotification(value: unknown): void {
  const n = value as Record<string, unknown>;
  expect(Object.keys(n).sort()).toEqual(['content', 'id', 'metadata', 'source', 'version']);
  expect(n.version).toBe('1.0');
  expect(n.source).toBe('custom');
  expect(typeof n.id).toBe('string');

  const content = n.content as Record<string, unknown>;
  for (const key of Object.keys(content)) {
    expect(['textType', 'title', 'description', 'nextSteps', 'keywords']).toContain(key);
  }
  expect(content.textType).toBe('client-markdown');
  expect(typeof content.title).toBe('string');
  expect(typeof content.description).toBe('string');
  expect((content.description as string).length).toBeGreaterThan(0);
  expect((content.title as string).length).toBeLessThanOrEqual(CHAT_LIMITS.title);
  expect((content.description as string).length).toBeLessThanOrEqual(CHAT_LIMITS.description);
  expectStrings(content.nextSteps, CHAT_LIMITS.nextSteps);
  for (const step of content.nextSteps as string[])
    expect(step.length).toBeLessThanOrEqual(CHAT_LIMITS.nextStep);
  expectStrings(content.keywords, CHAT_LIMITS.keywords);

  const metadata = n.metadata as Record<string, unknown>;
  for (const key of Object.keys(metadata)) {
    expect(['threadId', 'summary', 'eventType', 'relatedResources', 'additionalContext']).toContain(key);
  }
  expect(typeof metadata.threadId).toBe('string');
  expect(typeof metadata.summary).toBe('string');
  expect((metadata.summary as string).length).toBeLessThanOrEqual(CHAT_LIMITS.summary);
  expect(typeof metadata.eventType).toBe('string');
  expectStrings(metadata.relatedResources, CHAT_LIMITS.relatedResources);
  for (const v of Object.values(metadata.additionalContext as object)) expect(typeof v).toBe('string');
}

function expectStrings(value: unknown, maxItems: number): void {
  expect(Array.isArray(value)).toBe(true);
  const list = value as unknown[];
  expect(list.length).toBeLessThanOrEqual(maxItems);
  for (const item of list) expect(typeof item).toBe('string');
}

describe('formatAlert: the SNS message', () => {
  it('is the JSON of one variant per protocol', () => {
    const alert = alertFor();
    const parsed = JSON.parse(alert.message) as Record<string, unknown>;
    expect(Object.keys(parsed).sort()).toEqual(['default', 'email', 'lambda', 'sqs']);
    for (const value of Object.values(parsed)) expect(typeof value).toBe('string');
    expect(parsed).toEqual(alert.structure);
  });

  it('carries cluster, nodegroup and severity as attributes', () => {
    expect(alertFor().attributes).toEqual({
      cluster: 'eks-workshop',
      nodegroup: 'new_nodegroup_2',
      severity: 'critical',
    });
  });

  it('has an ASCII subject under 100 characters without line breaks', () => {
    const { subject } = alertFor();
    expect(subject).toBe('[CRITICAL] eks-workshop/new_nodegroup_2: 1 node never joined - NO_DEFAULT_ROUTE');
    expect(subject.length).toBeLessThan(100);
    expect(subject).toMatch(/^[\x20-\x7e]+$/);
  });

  it('cuts a long subject with "..." and keeps it ASCII', () => {
    const nodegroup = seedNodegroup({ name: `ng-${'x'.repeat(60)}` });
    const { subject } = formatAlert(
      { ...seedReport(nodegroup), cluster: `cluster-${'y'.repeat(90)}` },
      nodegroup,
    );
    expect(subject.length).toBeLessThan(100);
    expect(subject.endsWith('...')).toBe(true);
    expect(subject).toMatch(/^\[CRITICAL\] cluster-y+/);
    expect(subject).toMatch(/^[\x20-\x7e]+$/);
  });
});

describe('formatAlert: the chat notification (default)', () => {
  it('is a valid Amazon Q Developer custom notification', () => {
    expectValidCustomNotification(chatOf(alertFor()));
  });

  it('says what happened in the title and names everything a person needs in the description', () => {
    const { content } = chatOf(alertFor());
    expect(content.title).toBe(
      ':rotating_light: eks-workshop/new_nodegroup_2: 1 node never joined — NO_DEFAULT_ROUTE',
    );
    expect(content.description).toContain('`eks-workshop` (us-west-2)');
    expect(content.description).toContain('*Nodegroup* `new_nodegroup_2` (ACTIVE)');
    expect(content.description).toContain('*Policy* `notify`: alert only, nothing was changed');
    expect(content.description).toContain(
      `• \`${INSTANCE_ID}\` in \`${SUBNET_ID}\` (us-west-2a), running since 2026-11-26T09:48:12.000Z`,
    );
    expect(content.description).toContain(
      `:red_circle: *NO_DEFAULT_ROUTE* (\`${ROUTE_TABLE_ID}\`, explicitly associated with \`${SUBNET_ID}\`)`,
    );
    expect(content.description).toContain('*NODES_NOT_JOINED*');
  });

  it('gives the fix commands as code in the next steps', () => {
    const { nextSteps } = chatOf(alertFor()).content;
    expect(nextSteps[0]).toBe(`*NO_DEFAULT_ROUTE*: \`${FIX}\``);
    // A multi-line fix becomes a code block.
    expect(nextSteps[1]).toMatch(/^\*NODES_NOT_JOINED\*: \n```\n# After fixing the cause/);
    expect(nextSteps[1]).toContain(`--instance-id ${INSTANCE_ID}`);
    expect(nextSteps[1]?.endsWith('\n```')).toBe(true);
  });

  it('threads every alert of one nodegroup together and ties it to the resources', () => {
    const first = chatOf(alertFor());
    const nodegroup = seedNodegroup();
    const later = chatOf(
      formatAlert({ ...seedReport(nodegroup), checkedAt: '2026-11-26T10:05:00.000Z' }, nodegroup),
    );
    expect(first.metadata.threadId).toBe('eks-join-remediator/eks-workshop/new_nodegroup_2');
    expect(later.metadata.threadId).toBe(first.metadata.threadId);
    expect(threadIdFor('eks-workshop', 'new_nodegroup_2')).toBe(first.metadata.threadId);
    expect(later.id).not.toBe(first.id);
    expect(first.metadata.eventType).toBe('NodesNotJoined');
    expect(first.metadata.summary).toBe(
      'eks-workshop/new_nodegroup_2: 1 node never joined — NO_DEFAULT_ROUTE',
    );
    expect(first.metadata.relatedResources).toEqual([
      NODEGROUP_ARN,
      ROUTE_TABLE_ID,
      NAT_ID,
      SUBNET_ID,
      INSTANCE_ID,
    ]);
    expect(first.metadata.additionalContext).toMatchObject({
      cluster: 'eks-workshop',
      region: 'us-west-2',
      nodegroup: 'new_nodegroup_2',
      severity: 'critical',
      findings: 'NO_DEFAULT_ROUTE,NODES_NOT_JOINED',
    });
    expect(first.content.keywords).toEqual(['critical', 'NO_DEFAULT_ROUTE', 'NODES_NOT_JOINED', 'notify']);
  });

  it('says when the subnet falls back to the VPC main table', () => {
    const nodegroup = seedNodegroup({ findings: [noDefaultRoute({ routeTableSource: 'main' })] });
    expect(chatOf(alertFor(nodegroup)).content.description).toContain(
      `(\`${ROUTE_TABLE_ID}\`, the VPC main table (\`${SUBNET_ID}\` has no association of its own))`,
    );
    expect(alertFor(nodegroup).structure.email).toContain(
      `Route table: ${ROUTE_TABLE_ID}, the VPC main table (${SUBNET_ID} has no association of its own)`,
    );
  });

  it('cuts a long title with "…"', () => {
    const nodegroup = seedNodegroup({ name: `ng-${'x'.repeat(60)}` });
    const { title } = chatOf(
      formatAlert({ ...seedReport(nodegroup), cluster: `c-${'y'.repeat(99)}` }, nodegroup),
    ).content;
    expect(title.length).toBe(CHAT_LIMITS.title);
    expect(title.endsWith('…')).toBe(true);
  });
});

describe('formatAlert: the email', () => {
  it('is a plain-text report a person can act on', () => {
    const { email } = alertFor().structure;
    expect(email.split('\n')[0]).toBe(
      'CRITICAL: eks-workshop/new_nodegroup_2: 1 node never joined — NO_DEFAULT_ROUTE',
    );
    expect(email).toContain('Cluster:      eks-workshop (us-west-2)');
    expect(email).toContain('Nodegroup:    new_nodegroup_2 (status ACTIVE)');
    expect(email).toContain('Policy:       notify: alert only, nothing was changed');
    expect(email).toContain('Checked at:   2026-11-26T10:00:00.000Z (join window 300 s)');
    expect(email).toContain('Nodes that never joined (1):');
    expect(email).toContain(
      `  - ${INSTANCE_ID} in ${SUBNET_ID} (us-west-2a), running since 2026-11-26T09:48:12.000Z`,
    );
    expect(email).toContain(
      '1. [CRITICAL] NO_DEFAULT_ROUTE: the subnet route table has no default route (0.0.0.0/0)',
    );
    expect(email).toContain(`Route table: ${ROUTE_TABLE_ID}, explicitly associated with ${SUBNET_ID}`);
    expect(email).toContain(`     Fix:\n       ${FIX}`);
    expect(email).toContain('ACTIONS: none');
    expect(email).toContain('Sent by eks-join-remediator');
  });

  it('has no chat markdown or emoji codes', () => {
    const { email } = alertFor().structure;
    expect(email).not.toMatch(/[`*]|(^|\s):[a-z_]+:(\s|$)/m);
  });
});

describe('formatAlert: the JSON report (sqs, lambda)', () => {
  it('is the report with exactly this nodegroup', () => {
    const alerted = seedNodegroup();
    const other = seedNodegroup({ name: 'healthy_nodegroup', findings: [], instances: [] });
    const report = { ...seedReport(alerted), nodegroups: [other, alerted] };
    const alert = formatAlert(report, alerted);
    expect(JSON.parse(alert.structure.sqs)).toEqual({ ...report, nodegroups: [alerted] });
    expect(alert.structure.lambda).toBe(alert.structure.sqs);
  });

  it('drops the route table detail first when that is enough to fit', () => {
    const routes = Array.from({ length: 100 }, (_, i) => ({
      destination: `10.${i}.0.0/16`,
      target: { kind: 'vpc-peering' as const, id: `pcx-0${String(i).padStart(16, '0')}` },
      state: 'active',
    }));
    const routeTables = Array.from({ length: 20 }, (_, i) => ({
      ...ROUTE_TABLE,
      routeTableId: `rtb-${i}`,
      routes,
    }));
    const alert = alertFor(seedNodegroup({ routeTables }));
    const [nodegroup] = bodyOf(alert).nodegroups;
    expect(nodegroup?.routeTables).toBeUndefined();
    expect(nodegroup?.truncated).toBe(true);
    expect(nodegroup?.omitted).toEqual({ routeTables: 20 });
    expect(nodegroup?.instances).toHaveLength(1);
    expect(nodegroup?.findings[1]?.fix).toBe(seedNodegroup().findings[1]?.fix);
    expect(Buffer.byteLength(alert.message)).toBeLessThan(SNS_MAX_MESSAGE_BYTES);
  });
});

describe('formatAlert: a nodegroup of 5,000 stranded instances', () => {
  const instances = Array.from({ length: 5000 }, (_, i) =>
    verdict(`i-${i.toString(16).padStart(17, '0')}`, {
      availabilityZone: i % 2 ? 'us-west-2b' : 'us-west-2a',
    }),
  );
  const alert = alertFor(seedNodegroup({ instances }));

  it('stays under the SNS limit as valid JSON in every variant', () => {
    expect(Buffer.byteLength(alert.message, 'utf8')).toBeLessThan(SNS_MAX_MESSAGE_BYTES);
    const parsed = JSON.parse(alert.message) as Record<string, string>;
    expect(parsed).toEqual(alert.structure);
    expectValidCustomNotification(chatOf(alert));
  });

  it('keeps as many instances as fit in the JSON report and says how many were left out', () => {
    const [nodegroup] = bodyOf(alert).nodegroups;
    expect(nodegroup?.truncated).toBe(true);
    expect(nodegroup?.routeTables).toBeUndefined();
    const shown = nodegroup?.instances.length ?? 0;
    expect(shown).toBeGreaterThan(100);
    expect(shown).toBeLessThan(5000);
    expect(nodegroup?.omitted).toMatchObject({ routeTables: 1, instances: 5000 - shown });
    expect(nodegroup?.instances[0]).toEqual(instances[0]);
    // Findings are never dropped; their long texts are cut visibly, at line boundaries for commands.
    expect(nodegroup?.findings.map((f) => f.code)).toEqual(['NO_DEFAULT_ROUTE', 'NODES_NOT_JOINED']);
    const stranded = nodegroup?.findings[1];
    expect(stranded?.message.endsWith('…')).toBe(true);
    expect(stranded?.fix).toMatch(/\n# … [\d,]+ more lines not shown$/);
    expect(stranded?.instanceIds).toHaveLength(shown);
  });

  it('lists a few instances in chat and email and counts the rest', () => {
    expect(chatOf(alert).content.title).toContain('5,000 nodes never joined');
    expect(chatOf(alert).content.description).toContain('• … and 4,990 more');
    expect(alert.structure.email).toContain('Nodes that never joined (5,000):');
    expect(alert.structure.email).toContain('  … and 4,950 more');
    expect(alert.structure.email).toMatch(/# … [\d,]+ more lines not shown/);
  });
});

describe('formatAlert: severity', () => {
  const finding = (severity: Severity, code: FindingCode = 'NODE_LIST_FORBIDDEN'): Finding => ({
    code,
    severity,
    resourceId: 'arn:aws:eks:us-west-2:123456789012:cluster/eks-workshop',
    message: 'm',
    fix: 'kubectl apply -f infra/k8s/rbac.yaml',
  });
  const severityOf = (findings: Finding[]) => alertFor(seedNodegroup({ findings })).attributes.severity;

  it('is the highest of the findings', () => {
    expect(severityOf([finding('info'), finding('critical', 'NO_DEFAULT_ROUTE'), finding('warning')])).toBe(
      'critical',
    );
    expect(severityOf([finding('info'), finding('warning')])).toBe('warning');
    expect(severityOf([finding('info')])).toBe('info');
    expect(severityOf([])).toBe('info');
  });

  it('picks the emoji and the subject tag', () => {
    const alert = alertFor(seedNodegroup({ findings: [finding('warning')], instances: [] }));
    expect(chatOf(alert).content.title).toBe(
      ':warning: eks-workshop/new_nodegroup_2: 1 finding — NODE_LIST_FORBIDDEN',
    );
    expect(alert.subject).toMatch(/^\[WARNING\] /);
    expect(chatOf(alert).metadata.eventType).toBe('NodeJoinRisk');
  });

  it('says when membership could not be read instead of claiming nodes did not join', () => {
    const unreadable = seedNodegroup({
      instances: [verdict(INSTANCE_ID, { joined: null })],
      findings: [finding('warning', 'CLUSTER_API_UNREACHABLE')],
    });
    const alert = alertFor(unreadable);
    expect(chatOf(alert).metadata.eventType).toBe('NodeMembershipUnknown');
    expect(chatOf(alert).content.title).toBe(
      ':warning: eks-workshop/new_nodegroup_2: membership of 1 node unknown — CLUSTER_API_UNREACHABLE',
    );
    expect(alert.structure.email).toContain('Nodes whose membership could not be read (1):');
  });
});

describe('formatAlert: actions', () => {
  const createRoute = (status: Action['status'], reason: string, undo?: string): Action => ({
    type: 'create-route',
    resourceId: ROUTE_TABLE_ID,
    target: NAT_ID,
    status,
    reason,
    ...(undo && { undo }),
  });

  it('shows the plan of a dry run', () => {
    const nodegroup = seedNodegroup({
      policy: 'dry-run',
      actions: [createRoute('planned', `add 0.0.0.0/0 → ${NAT_ID}, the available NAT gateway in us-west-2a`)],
    });
    const alert = alertFor(nodegroup);
    const chat = chatOf(alert);
    expect(chat.content.title).toMatch(/ — NO_DEFAULT_ROUTE \(fix planned\)$/);
    expect(chat.content.nextSteps).toContain(
      `:clipboard: *Planned* create-route on \`${ROUTE_TABLE_ID}\` → \`${NAT_ID}\`: add 0.0.0.0/0 → ${NAT_ID}, the available NAT gateway in us-west-2a`,
    );
    expect(alert.structure.email).toContain(
      'Policy:       dry-run: the fix is planned below, nothing was changed',
    );
    expect(alert.structure.email).toContain(`  - PLANNED: create-route on ${ROUTE_TABLE_ID} → ${NAT_ID}`);
  });

  it('reports what remediation did, failed to do or skipped, with undo commands', () => {
    const undo = `aws ec2 delete-route --route-table-id ${ROUTE_TABLE_ID} --destination-cidr-block 0.0.0.0/0 --region us-west-2`;
    const nodegroup = seedNodegroup({
      policy: 'remediate',
      actions: [
        createRoute('done', 'route created', undo),
        {
          type: 'replace-instances',
          resourceId: INSTANCE_ID,
          status: 'failed',
          reason: 'autoscaling:TerminateInstanceInAutoScalingGroup failed: AccessDenied',
        },
        {
          type: 'scale-cycle',
          resourceId: 'new_nodegroup_2',
          status: 'skipped',
          reason: 'loop guard: cycled 4 min ago',
        },
        { type: 'notify', resourceId: 'new_nodegroup_2', status: 'done', reason: 'alert sent' },
      ],
    });
    const alert = alertFor(nodegroup);
    const chat = chatOf(alert);
    expect(chat.content.title).toMatch(/\(fix failed\)$/);
    expect(chat.content.nextSteps).toContain(
      `:white_check_mark: *Done* create-route on \`${ROUTE_TABLE_ID}\` → \`${NAT_ID}\`: route created · undo: \`${undo}\``,
    );
    expect(chat.content.nextSteps.some((s) => s.startsWith(':x: *Failed* replace-instances'))).toBe(true);
    expect(chat.content.nextSteps.some((s) => s.startsWith(':fast_forward: *Skipped* scale-cycle'))).toBe(
      true,
    );
    const { email } = alert.structure;
    expect(email).toContain('ACTIONS (4)');
    expect(email).toContain(
      `  - DONE: create-route on ${ROUTE_TABLE_ID} → ${NAT_ID}\n    Reason: route created\n    Undo:\n      ${undo}`,
    );
    expect(email).toContain('  - FAILED: replace-instances on i-0a1b2c3d4e5f60718');
    expect(email).toContain(
      '    Reason: autoscaling:TerminateInstanceInAutoScalingGroup failed: AccessDenied',
    );
    expect(email).toContain('  - SKIPPED: scale-cycle on new_nodegroup_2');
    expect(bodyOf(alert).nodegroups[0]?.actions).toEqual(nodegroup.actions);
  });

  it('groups actions that differ only in their resource into one chat step', () => {
    const ids = Array.from({ length: 5000 }, (_, i) => `i-${i.toString(16).padStart(17, '0')}`);
    const actions: Action[] = ids.map((id) => ({
      type: 'replace-instances',
      resourceId: id,
      status: 'planned',
      reason: 'never joined; replace after the route is fixed',
    }));
    const alert = alertFor(seedNodegroup({ policy: 'dry-run', actions }));
    expect(chatOf(alert).content.nextSteps.slice(2)).toEqual([
      ':clipboard: *Planned* replace-instances on 5,000 resources (`i-00000000000000000`, `i-00000000000000001`, `i-00000000000000002`, …): never joined; replace after the route is fixed',
    ]);
    expect(alert.structure.email).toContain('  … and 4,950 more actions (see the JSON report)');
    expect(Buffer.byteLength(alert.message)).toBeLessThan(SNS_MAX_MESSAGE_BYTES);
    const [nodegroup] = bodyOf(alert).nodegroups;
    expect(nodegroup?.omitted?.actions).toBe(5000 - (nodegroup?.actions.length ?? 0));
  });

  it('calls a remediation that only succeeded "fixed"', () => {
    const nodegroup = seedNodegroup({ policy: 'remediate', actions: [createRoute('done', 'route created')] });
    expect(chatOf(alertFor(nodegroup)).content.title).toMatch(/\(fixed\)$/);
  });
});

describe('formatAlert: every finding code', () => {
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
  };

  it.each(Object.keys(codes) as FindingCode[])('renders %s in every variant', (code) => {
    const finding: Finding = {
      code,
      severity: 'warning',
      resourceId: 'resource-1',
      message: `message for ${code}`,
      fix: `fix-for-${code}`,
    };
    const alert = alertFor(seedNodegroup({ findings: [finding] }));
    expect(alert.message).not.toMatch(/undefined|\[object Object\]/);
    expectValidCustomNotification(chatOf(alert));
    expect(chatOf(alert).content.description).toContain(`*${code}* (\`resource-1\`): message for ${code}`);
    expect(chatOf(alert).content.nextSteps).toContain(`*${code}*: \`fix-for-${code}\``);
    expect(alert.structure.email).toMatch(new RegExp(`1\\. \\[WARNING\\] ${code}: \\w`));
    expect(alert.structure.email).toContain(`fix-for-${code}`);
  });
});
