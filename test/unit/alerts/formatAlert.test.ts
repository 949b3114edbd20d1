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
  ActionStatus,
  Finding,
  FindingCode,
  InstanceVerdict,
  NodegroupReport,
  NotifyAction,
  ReasonCode,
  RemediationRecord,
  ReplaceInstancesAction,
  Report,
  RouteAction,
  RouteTable,
  ScaleCycleAction,
  Severity,
} from '../../../functions/core/model/types.js';
import { withReason } from '../../../functions/core/remediate/reasons.js';

// The seed: a nodegroup whose only instance sits in a subnet whose route table lacks 0.0.0.0/0.
const INSTANCE_ID = 'i-0a1b2c3d4e5f60718';
const SUBNET_ID = 'subnet-0e5e4b6c1d2a3f405';
const ROUTE_TABLE_ID = 'rtb-0f1e2d3c4b5a69788';
const NAT_ID = 'nat-0123456789abcdef0';
const FIX = `aws ec2 create-route --route-table-id ${ROUTE_TABLE_ID} --destination-cidr-block 0.0.0.0/0 --nat-gateway-id ${NAT_ID} --region us-west-2`;
const NODEGROUP_ARN =
  'arn:aws:eks:us-west-2:123456789012:nodegroup/eks-workshop/new_nodegroup_2/6ac9a5c4-1b2d-4e3f-8a7b-9c0d1e2f3a4b';

const ASG = 'eks-new_nodegroup_2-6ac9a5c4-1b2d-4e3f-8a7b-9c0d1e2f3a4b';
const REPLACEMENT_ID = 'i-0b2c3d4e5f6a70819';
const REMEDIATED_AT = '2026-11-26T10:00:05.000Z';
const DELETE_ROUTE = `aws ec2 delete-route --route-table-id ${ROUTE_TABLE_ID} --destination-cidr-block 0.0.0.0/0 --region us-west-2`;
const BEFORE = `no 0.0.0.0/0 route in ${ROUTE_TABLE_ID}`;
const AFTER = `0.0.0.0/0 → ${NAT_ID} (active)`;
/** The seed fix as core/reasons words it. */
const ROUTE_INTENT = `add 0.0.0.0/0 → ${NAT_ID} in ${ROUTE_TABLE_ID} (serves ${SUBNET_ID})`;
const REPLACE_INTENT = `terminate ${INSTANCE_ID} without lowering desired capacity: the Auto Scaling group replaces it with an instance that uses the fixed route`;
const PERMISSION = 'autoscaling:TerminateInstanceInAutoScalingGroup';
const ACCESS_DENIED = `User: arn:aws:sts::123456789012:assumed-role/eks-join-remediator/join-check is not authorized to perform: ${PERMISSION} on resource: ${ASG}`;
const WATCH = 'kubectl get nodes -l eks.amazonaws.com/nodegroup=new_nodegroup_2';
const EMAIL_MARKUP = /[`*]|(^|\s):[a-z_]+:(\s|$)/m;
/** The loop guard as the planner records it: 2 remediations in 6 h, the limit. */
const LOOP_GUARD = { remediations: 2, limit: 2, windowSeconds: 6 * 3600 };
const LOOP_GUARD_WORDS =
  '2 remediation(s) of this nodegroup in the last 6 h (limit 2), so nothing more is changed automatically';

// Actions are built as the planner and executor build them: typed data, with `reason` rendered from
// it (core/reasons), unless a test gives its own `reason` to see how the alert shows it.

/** The create-route of the seed fix. */
function routeAction(status: ActionStatus, overrides: Partial<RouteAction> = {}): RouteAction {
  return rendered(
    {
      type: 'create-route',
      resourceId: ROUTE_TABLE_ID,
      routeTableId: ROUTE_TABLE_ID,
      destination: '0.0.0.0/0',
      subnetIds: [SUBNET_ID],
      subnetId: SUBNET_ID,
      natGatewayId: NAT_ID,
      target: NAT_ID,
      status,
      reason: '',
      before: BEFORE,
      after: AFTER,
      // The planner may know the undo command before the write; only a done action shows it.
      undo: DELETE_ROUTE,
      ...overrides,
    },
    overrides,
  );
}

/** A route the planner refused, as planRoute returns it: skipped with its code, no NAT gateway, after or undo. */
function refusedRoute(reasonCode: ReasonCode, overrides: Partial<RouteAction> = {}): RouteAction {
  return routeAction('skipped', {
    reasonCode,
    natGatewayId: undefined,
    target: undefined,
    after: undefined,
    undo: undefined,
    ...overrides,
  });
}

/** The replacement of the seed instance through its Auto Scaling group. */
function replaceAction(
  status: ActionStatus,
  overrides: Partial<ReplaceInstancesAction> = {},
): ReplaceInstancesAction {
  return rendered(
    {
      type: 'replace-instances',
      resourceId: INSTANCE_ID,
      autoScalingGroupName: ASG,
      instanceIds: [INSTANCE_ID],
      routeTableId: ROUTE_TABLE_ID,
      status,
      reason: '',
      ...overrides,
    },
    overrides,
  );
}

/** The nodegroup scaled to 0 and back to its desired size of 2. */
function scaleCycleAction(status: ActionStatus, overrides: Partial<ScaleCycleAction> = {}): ScaleCycleAction {
  return rendered(
    {
      type: 'scale-cycle',
      resourceId: 'new_nodegroup_2',
      nodegroup: 'new_nodegroup_2',
      autoScalingGroupName: ASG,
      desiredSize: 2,
      instanceIds: [INSTANCE_ID],
      routeTableIds: [ROUTE_TABLE_ID],
      status,
      reason: '',
      ...overrides,
    },
    overrides,
  );
}

function notifyAction(status: ActionStatus, overrides: Partial<NotifyAction> = {}): NotifyAction {
  return rendered(
    { type: 'notify', resourceId: 'new_nodegroup_2', status, reason: '', ...overrides },
    overrides,
  );
}

/** What the loop guard makes of a planned action: skipped, with the guard's count as data. */
function stoppedByLoopGuard<A extends Action>(action: A): A {
  return withReason({
    ...action,
    status: 'skipped',
    reasonCode: 'LOOP_GUARD',
    loopGuard: LOOP_GUARD,
    undo: undefined,
  });
}

function rendered<A extends Action>(action: A, overrides: Partial<Action>): A {
  return overrides.reason === undefined ? withReason(action) : action;
}

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
  it('shows the plan of a dry run', () => {
    const nodegroup = seedNodegroup({
      policy: 'dry-run',
      actions: [routeAction('planned')],
    });
    const alert = alertFor(nodegroup);
    const chat = chatOf(alert);
    expect(chat.content.title).toMatch(/ — NO_DEFAULT_ROUTE \(fix planned\)$/);
    expect(chat.content.nextSteps).toContain(
      `:clipboard: *Planned* create-route \`${ROUTE_TABLE_ID}\`: \`${BEFORE}\` → \`${AFTER}\` — ${ROUTE_INTENT}`,
    );
    expect(alert.structure.email).toContain(
      'Policy:       dry-run: the fix is planned below, nothing was changed (dry run)',
    );
    expect(alert.structure.email).toContain(
      `PLANNED (1): NOTHING WAS CHANGED (DRY RUN)\n\n  - create-route on ${ROUTE_TABLE_ID} → ${NAT_ID}\n    Before: ${BEFORE}\n    After:  ${AFTER}\n    Reason: ${ROUTE_INTENT}\n`,
    );
  });

  it('without an alert kind, reports what remediation did, failed to do or skipped, with undo commands', () => {
    const undo = DELETE_ROUTE;
    const nodegroup = seedNodegroup({
      policy: 'remediate',
      actions: [
        routeAction('done'),
        replaceAction('failed', { reasonCode: 'ACCESS_DENIED', error: ACCESS_DENIED }),
        scaleCycleAction('skipped', { reasonCode: 'NOT_ENOUGH_TIME', secondsNeeded: 900, secondsLeft: 120 }),
        notifyAction('done'),
      ],
    });
    const alert = alertFor(nodegroup);
    const chat = chatOf(alert);
    expect(chat.content.title).toMatch(/\(fix failed\)$/);
    expect(chat.content.nextSteps).toContain(
      `:white_check_mark: *Done* create-route \`${ROUTE_TABLE_ID}\`: \`${BEFORE}\` → \`${AFTER}\` — ${ROUTE_INTENT}`,
    );
    expect(chat.content.nextSteps).toContain(
      `*Undo* create-route on \`${ROUTE_TABLE_ID}\` → \`${NAT_ID}\`: \`${undo}\``,
    );
    const failedStep = chat.content.nextSteps.find((s) => s.startsWith(':x: *Failed* replace-instances'));
    expect(failedStep).toContain(`— terminate ${INSTANCE_ID} failed: User: `);
    expect(failedStep).toContain(PERMISSION);
    expect(chat.content.nextSteps).toContain(
      `:fast_forward: *Skipped* scale-cycle on \`new_nodegroup_2\` (\`${ASG}\`): desired size 2 → 0 → 2 — not enough time left in this run to scale down and back up (needs 900 s, 120 s left): nothing is changed`,
    );
    const { email } = alert.structure;
    expect(email).toContain(
      `DONE (2)\n\n  - create-route on ${ROUTE_TABLE_ID} → ${NAT_ID}\n    Before: ${BEFORE}\n    After:  ${AFTER}\n    Reason: ${ROUTE_INTENT}\n`,
    );
    expect(email).toContain('  - notify on new_nodegroup_2\n    Reason: the alert published (message ?)\n');
    expect(email).toContain(`TO UNDO\n  create-route on ${ROUTE_TABLE_ID} → ${NAT_ID}:\n    ${undo}`);
    expect(email).toContain(`FAILED (1)\n\n  - replace-instances on 1 instance of ${ASG}: ${INSTANCE_ID}\n`);
    expect(email).toContain(`    Reason: terminate ${INSTANCE_ID} failed: ${ACCESS_DENIED}\n`);
    expect(email).toContain(
      `SKIPPED (1): A PERSON MUST ACT\n\n  - scale-cycle on new_nodegroup_2 (${ASG}): desired size 2 → 0 → 2\n    Reason: not enough time left in this run`,
    );
    expect(bodyOf(alert).nodegroups[0]?.actions).toEqual(nodegroup.actions);
  });

  it('groups actions that differ only in their resource into one chat step', () => {
    // One reason for all: actions group only when their reasons are the same.
    const ids = Array.from({ length: 5000 }, (_, i) => `i-${i.toString(16).padStart(17, '0')}`);
    const actions: Action[] = ids.map((id) =>
      replaceAction('planned', {
        resourceId: id,
        instanceIds: [id],
        reason: 'never joined; replace after the route is fixed',
      }),
    );
    const alert = alertFor(seedNodegroup({ policy: 'dry-run', actions }));
    expect(chatOf(alert).content.nextSteps.slice(2)).toEqual([
      `:clipboard: *Planned* replace-instances on 5,000 instances of \`${ASG}\`: \`i-00000000000000000\`, \`i-00000000000000001\`, \`i-00000000000000002\`, … and 4,997 more — never joined; replace after the route is fixed`,
    ]);
    expect(alert.structure.email).toContain(
      `PLANNED (5,000): NOTHING WAS CHANGED (DRY RUN)\n\n  - replace-instances on 5,000 instances of ${ASG}: i-00000000000000000, `,
    );
    expect(alert.structure.email).toContain('i-00000000000000031, … and 4,950 more\n');
    expect(Buffer.byteLength(alert.message)).toBeLessThan(SNS_MAX_MESSAGE_BYTES);
    const [nodegroup] = bodyOf(alert).nodegroups;
    expect(nodegroup?.omitted?.actions).toBe(5000 - (nodegroup?.actions.length ?? 0));
  });

  it('calls a remediation that only succeeded "fixed"', () => {
    const nodegroup = seedNodegroup({ policy: 'remediate', actions: [routeAction('done')] });
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
    NODEGROUP_HEALTH_ISSUE: true,
    IPV6_ONLY_EGRESS: true,
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

// ---------------------------------------------------------------------------------------------
// Alert kinds: the problem under each policy, what remediation did, and the follow-ups

function remediation(overrides: Partial<RemediationRecord> = {}): RemediationRecord {
  return {
    cluster: 'eks-workshop',
    nodegroup: 'new_nodegroup_2',
    at: REMEDIATED_AT,
    status: 'open',
    actions: [routeAction('done'), replaceAction('done')],
    replacedInstanceIds: [INSTANCE_ID],
    ...overrides,
  };
}

/** Every variant keeps its guarantees whatever the kind: schema, thread, ASCII subject, plain email. */
function expectWellFormed(alert: AlertMessage): void {
  expectValidCustomNotification(chatOf(alert));
  expect(chatOf(alert).metadata.threadId).toBe(threadIdFor('eks-workshop', 'new_nodegroup_2'));
  expect(alert.subject.length).toBeLessThan(100);
  expect(alert.subject).toMatch(/^[\x20-\x7e]+$/);
  expect(alert.structure.email).not.toMatch(EMAIL_MARKUP);
  expect(alert.message).not.toMatch(/undefined|\[object Object\]/);
  expect(Buffer.byteLength(alert.message)).toBeLessThan(SNS_MAX_MESSAGE_BYTES);
}

function occurrences(text: string, part: string): number {
  return text.split(part).length - 1;
}

describe('formatAlert: a problem under policy notify', () => {
  const alert = alertFor();

  it('says it only alerts and changed nothing, and plans nothing', () => {
    expectWellFormed(alert);
    const { description } = chatOf(alert).content;
    expect(description).toContain('*Policy* `notify`: alert only, nothing was changed');
    expect(description).not.toMatch(/\*(Planned|Skipped|Done|Failed|To undo)/);
    expect(alert.structure.email).not.toMatch(/^(PLANNED|SKIPPED|DONE|FAILED|TO UNDO)/m);
    expect(alert.structure.email).toContain('ACTIONS: none');
    expect(chatOf(alert).metadata.additionalContext).toMatchObject({ alertKind: 'problem', actions: 'none' });
  });
});

describe('formatAlert: a problem under policy dry-run', () => {
  const noNat = noDefaultRoute({
    resourceId: 'rtb-0aaa000000000000b',
    routeTableId: 'rtb-0aaa000000000000b',
    subnetId: 'subnet-0bbb00000000000c',
    natGatewayId: undefined,
    fix: [
      '# No available NAT gateway in vpc-0c1d2e3f4a5b6c7d8: create one in a public subnet, then route to it:',
      'aws ec2 create-nat-gateway --subnet-id subnet-0aa0000000000pub1 --allocation-id eipalloc-… --region us-west-2',
      'aws ec2 create-route --route-table-id rtb-0aaa000000000000b --destination-cidr-block 0.0.0.0/0 --nat-gateway-id nat-… --region us-west-2',
    ].join('\n'),
  });
  const mainTableFix = `aws ec2 create-route --route-table-id rtb-0main000000000000 --destination-cidr-block 0.0.0.0/0 --nat-gateway-id ${NAT_ID} --region us-west-2`;
  const mainTable = noDefaultRoute({
    resourceId: 'rtb-0main000000000000',
    routeTableId: 'rtb-0main000000000000',
    routeTableSource: 'main',
    subnetId: 'subnet-0ddd00000000000e',
    fix: mainTableFix,
  });
  const mainTableWords =
    'rtb-0main000000000000 is the VPC main route table, used by every subnet without its own (subnet-0ddd00000000000e, subnet-0fff00000000000a); it is patched only with ALLOW_MAIN_ROUTE_TABLE=true (CLI --allow-main-route-table)';
  const noNatWords =
    'no NAT gateway of the VPC leads out: nat-0eee00000000000f is not available. Create a public NAT gateway in a subnet whose route table sends 0.0.0.0/0 to an attached internet gateway, then route to it';
  const instances = [verdict(INSTANCE_ID)];
  const nodegroup = seedNodegroup({
    policy: 'dry-run',
    findings: [noDefaultRoute(), mainTable, noNat, nodesNotJoined(instances)],
    actions: [
      routeAction('planned'),
      replaceAction('planned'),
      refusedRoute('MAIN_ROUTE_TABLE', {
        resourceId: 'rtb-0main000000000000',
        routeTableId: 'rtb-0main000000000000',
        subnetIds: ['subnet-0ddd00000000000e', 'subnet-0fff00000000000a'],
        subnetId: 'subnet-0ddd00000000000e',
        before: 'no 0.0.0.0/0 route in rtb-0main000000000000',
      }),
      refusedRoute('NO_USABLE_NAT', {
        resourceId: 'rtb-0aaa000000000000b',
        routeTableId: 'rtb-0aaa000000000000b',
        subnetIds: ['subnet-0bbb00000000000c'],
        subnetId: 'subnet-0bbb00000000000c',
        before: 'no 0.0.0.0/0 route in rtb-0aaa000000000000b',
        rejectedNatGateways: [{ natGatewayId: 'nat-0eee00000000000f', why: 'NOT_AVAILABLE' }],
      }),
    ],
  });
  const alert = alertFor(nodegroup);
  const chat = chatOf(alert);

  it('puts the plan first and says nothing was changed', () => {
    expectWellFormed(alert);
    expect(chat.content.title).toBe(
      ':rotating_light: eks-workshop/new_nodegroup_2: 1 node never joined — NO_DEFAULT_ROUTE (fix planned)',
    );
    expect(alert.subject).toBe(
      '[CRITICAL] eks-workshop/new_nodegroup_2: 1 node never joined - NO_DEFAULT_ROUTE (fix planned)',
    );
    expect(alert.attributes.severity).toBe('critical');
    expect(chat.metadata.eventType).toBe('NodesNotJoined');
    const { description } = chat.content;
    expect(description).toContain('*Planned (2): nothing was changed (dry run)*');
    // The plan comes before the instances and the diagnosis.
    expect(description.indexOf('*Planned')).toBeLessThan(description.indexOf('*Never joined'));
    expect(description.indexOf('*Planned')).toBeLessThan(description.indexOf('*Diagnosis'));
  });

  it('shows each planned action with its reason and the route before and after', () => {
    const { description } = chat.content;
    expect(description).toContain(
      `:clipboard: *Planned* create-route \`${ROUTE_TABLE_ID}\`: \`${BEFORE}\` → \`${AFTER}\` — ${ROUTE_INTENT}`,
    );
    expect(description).toContain(
      `:clipboard: *Planned* replace-instances on 1 instance of \`${ASG}\`: \`${INSTANCE_ID}\` — ${REPLACE_INTENT}`,
    );
    const { email } = alert.structure;
    expect(email).toContain(
      [
        'PLANNED (2): NOTHING WAS CHANGED (DRY RUN)',
        '',
        `  - create-route on ${ROUTE_TABLE_ID} → ${NAT_ID}`,
        `    Before: ${BEFORE}`,
        `    After:  ${AFTER}`,
        `    Reason: ${ROUTE_INTENT}`,
      ].join('\n'),
    );
    expect(email).toContain(`  - replace-instances on 1 instance of ${ASG}: ${INSTANCE_ID}`);
  });

  it('shows each skipped action with its reason and what a person must do', () => {
    const { description } = chat.content;
    expect(description).toContain('*Skipped (2): a person must act*');
    // Main route table refused: the subnets it serves, the setting that allows it, the exact command inline.
    expect(description).toContain(
      `:fast_forward: *Skipped* create-route on \`rtb-0main000000000000\` (now \`no 0.0.0.0/0 route in rtb-0main000000000000\`) — ${mainTableWords}\n      ↳ by hand: \`${mainTableFix}\``,
    );
    // No usable NAT gateway: why each one does not lead out; several commands, found among the next steps.
    expect(description).toContain(
      `:fast_forward: *Skipped* create-route on \`rtb-0aaa000000000000b\` (now \`no 0.0.0.0/0 route in rtb-0aaa000000000000b\`) — ${noNatWords}`,
    );
    expect(description).toContain('      ↳ by hand: the *NO_DEFAULT_ROUTE* commands in the next steps');
    expect(chat.content.nextSteps.some((s) => s.includes('aws ec2 create-nat-gateway'))).toBe(true);

    const { email } = alert.structure;
    expect(email).toContain(
      [
        'SKIPPED (2): A PERSON MUST ACT',
        '',
        '  - create-route on rtb-0main000000000000',
        '    Now:    no 0.0.0.0/0 route in rtb-0main000000000000',
        `    Reason: ${mainTableWords}`,
        '    By hand:',
        `      ${mainTableFix}`,
      ].join('\n'),
    );
    expect(email).toContain(`    Reason: ${noNatWords}\n    By hand:\n      # No available NAT gateway`);
    // The refusals are data too: the JSON report keeps the codes and what they rest on.
    expect(bodyOf(alert).nodegroups[0]?.actions.slice(2)).toMatchObject([
      { reasonCode: 'MAIN_ROUTE_TABLE', subnetIds: ['subnet-0ddd00000000000e', 'subnet-0fff00000000000a'] },
      {
        reasonCode: 'NO_USABLE_NAT',
        rejectedNatGateways: [{ natGatewayId: 'nat-0eee00000000000f', why: 'NOT_AVAILABLE' }],
      },
    ]);
  });

  it('shows no undo command, since nothing was done', () => {
    // The JSON report keeps the planner's undo field; chat and email show undo for done actions only.
    expect(alert.structure.default).not.toContain('delete-route');
    expect(alert.structure.email).not.toContain('delete-route');
    expect(chat.content.description).not.toContain('To undo');
    expect(alert.structure.email).not.toContain('TO UNDO');
  });
});

describe('formatAlert: remediated', () => {
  const done = seedNodegroup({
    policy: 'remediate',
    alertKind: 'remediated',
    actions: [routeAction('done'), replaceAction('done')],
  });
  const alert = alertFor(done);
  const chat = chatOf(alert);

  it('says what was done in the title and subject, at the severity of what was found', () => {
    expectWellFormed(alert);
    expect(chat.content.title).toBe(
      ':white_check_mark: eks-workshop/new_nodegroup_2: route fixed, 1 node replaced',
    );
    expect(alert.subject).toBe('[FIXED] eks-workshop/new_nodegroup_2: route fixed, 1 node replaced');
    expect(alert.structure.email.split('\n')[0]).toBe(
      'FIXED: eks-workshop/new_nodegroup_2: route fixed, 1 node replaced',
    );
    expect(alert.attributes.severity).toBe('critical');
    expect(chat.metadata.eventType).toBe('RemediationApplied');
    expect(chat.metadata.additionalContext).toMatchObject({ alertKind: 'remediated', actions: 'done:2' });
    expect(chat.content.keywords).toContain('remediated');
  });

  it('shows the route table before and after, and the instances replaced', () => {
    const { description } = chat.content;
    expect(description).toContain('*What was done (2)*');
    expect(description).toContain(
      `:white_check_mark: *Done* create-route \`${ROUTE_TABLE_ID}\`: \`${BEFORE}\` → \`${AFTER}\` — ${ROUTE_INTENT}`,
    );
    expect(description).toContain(
      `:white_check_mark: *Done* replace-instances on 1 instance of \`${ASG}\`: \`${INSTANCE_ID}\` — ${REPLACE_INTENT}`,
    );
    // The replaced instance is not listed again as stranded.
    expect(description).not.toContain('*Never joined');
    expect(description).toContain('*Diagnosis before the fix (2)*');

    const { email } = alert.structure;
    expect(email).toContain(
      [
        'WHAT WAS DONE (2)',
        '',
        `  - create-route on ${ROUTE_TABLE_ID} → ${NAT_ID}`,
        `    Before: ${BEFORE}`,
        `    After:  ${AFTER}`,
      ].join('\n'),
    );
    expect(email).toContain(`  - replace-instances on 1 instance of ${ASG}: ${INSTANCE_ID}`);
    expect(email).toContain('FINDINGS (2), AS FOUND BEFORE THE FIX');
  });

  it('gives the undo command of every done action, and the command to watch the nodes join', () => {
    expect(chat.content.description).toContain(
      `*To undo*\n• create-route on \`${ROUTE_TABLE_ID}\` → \`${NAT_ID}\`: \`${DELETE_ROUTE}\``,
    );
    expect(chat.content.nextSteps).toEqual([
      `Watch the replacements join: \`${WATCH} --watch\``,
      `*Undo* create-route on \`${ROUTE_TABLE_ID}\` → \`${NAT_ID}\`: \`${DELETE_ROUTE}\``,
    ]);
    const { email } = alert.structure;
    expect(email).toContain(`TO UNDO\n  create-route on ${ROUTE_TABLE_ID} → ${NAT_ID}:\n    ${DELETE_ROUTE}`);
    expect(email).toContain(`WATCH THE NODES JOIN\n  ${WATCH} --watch`);
    expect(occurrences(email, DELETE_ROUTE)).toBe(1);
  });

  it('lists undo commands last action first, and shows the sizes of a scale-cycle', () => {
    const undoScale =
      'aws eks update-nodegroup-config --cluster-name eks-workshop --nodegroup-name new_nodegroup_2 --scaling-config desiredSize=2 --region us-west-2';
    const nodegroup = seedNodegroup({
      policy: 'remediate',
      alertKind: 'remediated',
      actions: [routeAction('done'), scaleCycleAction('done', { undo: undoScale })],
    });
    const cycled = alertFor(nodegroup);
    expectWellFormed(cycled);
    expect(chatOf(cycled).content.title).toBe(
      ':white_check_mark: eks-workshop/new_nodegroup_2: route fixed, nodegroup cycled',
    );
    expect(chatOf(cycled).content.description).toContain(
      `:white_check_mark: *Done* scale-cycle on \`new_nodegroup_2\` (\`${ASG}\`): desired size 2 → 0 → 2 — scale new_nodegroup_2 to 0, wait for ACTIVE, then back to 2, so every node launches with the fixed route`,
    );
    const { email } = cycled.structure;
    expect(email).toContain('TO UNDO (run in this order)');
    expect(email.indexOf(undoScale)).toBeLessThan(email.indexOf(DELETE_ROUTE));
  });

  describe('with an action that failed for a missing permission', () => {
    const instances = [verdict(INSTANCE_ID)];
    const warning = noDefaultRoute({ severity: 'warning' });
    const nodegroup = seedNodegroup({
      policy: 'remediate',
      alertKind: 'remediated',
      instances,
      findings: [warning, { ...nodesNotJoined(instances), severity: 'warning' }],
      actions: [
        routeAction('done'),
        replaceAction('failed', {
          reasonCode: 'ACCESS_DENIED',
          error: ACCESS_DENIED,
          undo: 'never shown: the action failed',
        }),
      ],
    });
    const failed = alertFor(nodegroup);
    const failedChat = chatOf(failed);

    it('says the fix failed, critical whatever the findings', () => {
      expectWellFormed(failed);
      expect(failedChat.content.title).toBe(
        ':x: eks-workshop/new_nodegroup_2: fix failed — replace-instances failed (route fixed)',
      );
      expect(failed.subject).toBe(
        '[FIX FAILED] eks-workshop/new_nodegroup_2: fix failed - replace-instances failed (route fixed)',
      );
      expect(failed.attributes.severity).toBe('critical');
      expect(failedChat.metadata.eventType).toBe('RemediationFailed');
    });

    it('names the missing permission and what to run by hand', () => {
      const { description, nextSteps } = failedChat.content;
      expect(description).toContain(
        `*Failed (1)*\n:x: *Failed* replace-instances on 1 instance of \`${ASG}\`: \`${INSTANCE_ID}\` — terminate ${INSTANCE_ID} failed: ${ACCESS_DENIED}`,
      );
      expect(description).toContain('↳ by hand: the *NODES_NOT_JOINED* commands in the next steps');
      // The instance was not replaced: still listed as stranded.
      expect(description).toContain(`*Never joined (1)*\n• \`${INSTANCE_ID}\``);
      const step = nextSteps.find((s) => s.startsWith(':x: *Failed*'));
      expect(step).toContain(PERMISSION);
      expect(step).toContain(
        `--instance-id ${INSTANCE_ID} --no-should-decrement-desired-capacity --region us-west-2`,
      );
      const { email } = failed.structure;
      expect(email).toContain(
        `FAILED (1)\n\n  - replace-instances on 1 instance of ${ASG}: ${INSTANCE_ID}\n    Reason: terminate ${INSTANCE_ID} failed: ${ACCESS_DENIED}\n    By hand:\n      # After fixing the cause`,
      );
    });

    it('gives undo commands for the done actions only', () => {
      expect(failed.structure.default).toContain(DELETE_ROUTE);
      expect(failed.structure.email).toContain(DELETE_ROUTE);
      expect(failed.structure.default).not.toContain('never shown');
      expect(failed.structure.email).not.toContain('never shown');
    });
  });

  it('is told as the problem when every action was skipped', () => {
    const nodegroup = seedNodegroup({
      policy: 'remediate',
      alertKind: 'remediated',
      actions: [refusedRoute('NO_USABLE_NAT')],
    });
    const skipped = alertFor(nodegroup);
    expect(chatOf(skipped).content.title).toBe(
      ':rotating_light: eks-workshop/new_nodegroup_2: 1 node never joined — NO_DEFAULT_ROUTE (fix skipped)',
    );
    expect(skipped.structure.default).not.toContain('delete-route');
    expect(skipped.structure.email).not.toContain('delete-route');
  });
});

describe('formatAlert: resolved', () => {
  const nodegroup = seedNodegroup({
    policy: 'remediate',
    alertKind: 'resolved',
    findings: [],
    actions: [],
    instances: [
      verdict(REPLACEMENT_ID, {
        launchedAt: '2026-11-26T10:00:40.000Z',
        joined: true,
        ready: true,
        nodeName: 'ip-10-42-200-18.us-west-2.compute.internal',
      }),
      verdict('i-0c0000000000000aa', {
        launchedAt: '2026-11-20T08:00:00.000Z',
        joined: true,
        ready: true,
        nodeName: 'ip-10-42-200-40.us-west-2.compute.internal',
      }),
    ],
    remediation: remediation({
      status: 'resolved',
      actions: [
        routeAction('done'),
        replaceAction('done'),
        refusedRoute('MAIN_ROUTE_TABLE', {
          resourceId: 'rtb-0main000000000000',
          routeTableId: 'rtb-0main000000000000',
          subnetIds: ['subnet-0ddd00000000000e'],
          subnetId: 'subnet-0ddd00000000000e',
          before: 'no 0.0.0.0/0 route in rtb-0main000000000000',
        }),
      ],
    }),
  });
  const alert = alertFor(nodegroup);
  const chat = chatOf(alert);

  it('says it is resolved, at severity info, in the same thread', () => {
    expectWellFormed(alert);
    expect(chat.content.title).toBe(
      ':large_green_circle: eks-workshop/new_nodegroup_2: resolved — replacements joined',
    );
    expect(alert.subject).toBe('[RESOLVED] eks-workshop/new_nodegroup_2: resolved - replacements joined');
    expect(alert.attributes.severity).toBe('info');
    expect(chat.metadata.eventType).toBe('NodesJoined');
    expect(chat.metadata.threadId).toBe(chatOf(alertFor()).metadata.threadId);
    expect(chat.id).not.toBe(chatOf(alertFor()).id);
    expect(chat.metadata.additionalContext).toMatchObject({
      alertKind: 'resolved',
      remediatedAt: REMEDIATED_AT,
    });
  });

  it('names the remediation, its done actions and the replacements that joined', () => {
    const { description } = chat.content;
    expect(description).toContain(`*Remediation of ${REMEDIATED_AT}* (resolved)`);
    expect(description).toContain(
      `:white_check_mark: *Done* create-route \`${ROUTE_TABLE_ID}\`: \`${BEFORE}\` → \`${AFTER}\``,
    );
    expect(description).toContain(`\`${INSTANCE_ID}\``);
    expect(description).not.toContain('rtb-0main000000000000');
    expect(description).toContain(
      `*Replacements joined (1)*\n• \`${REPLACEMENT_ID}\` as \`ip-10-42-200-18.us-west-2.compute.internal\` (Ready), launched 2026-11-26T10:00:40.000Z\n1 other node joined`,
    );
    const { email } = alert.structure;
    expect(email).toContain(`REMEDIATION OF ${REMEDIATED_AT} (resolved)`);
    expect(email).toContain(`    Before: ${BEFORE}\n    After:  ${AFTER}`);
    expect(email).toContain(
      `Replacements that joined (1):\n  - ${REPLACEMENT_ID} as ip-10-42-200-18.us-west-2.compute.internal (Ready)`,
    );
    expect(email).not.toContain('FINDINGS');
  });

  it('offers no undo once the fix worked', () => {
    expect(alert.structure.default).not.toContain('delete-route');
    expect(alert.structure.email).not.toContain('delete-route');
    expect(chat.content.nextSteps).toEqual([`Nothing left to do. To see the nodes: \`${WATCH}\``]);
  });
});

describe('formatAlert: escalation', () => {
  describe('by the loop guard', () => {
    const nodegroup = seedNodegroup({
      policy: 'remediate',
      alertKind: 'escalation',
      findings: [noDefaultRoute({ severity: 'warning' }), nodesNotJoined([verdict(INSTANCE_ID)])],
      actions: [stoppedByLoopGuard(routeAction('planned'))],
    });
    const alert = alertFor(nodegroup);
    const chat = chatOf(alert);

    it('says a person is needed and why, critical', () => {
      expectWellFormed(alert);
      expect(chat.content.title).toBe(
        ':rotating_light: eks-workshop/new_nodegroup_2: needs a person — loop guard reached, NO_DEFAULT_ROUTE persists',
      );
      // 104 characters: cut to fit SNS.
      expect(alert.subject).toBe(
        '[ESCALATION] eks-workshop/new_nodegroup_2: needs a person - loop guard reached, NO_DEFAULT_ROUTE...',
      );
      expect(alert.attributes.severity).toBe('critical');
      expect(chat.metadata.eventType).toBe('RemediationEscalated');
      expect(chat.metadata.threadId).toBe(threadIdFor('eks-workshop', 'new_nodegroup_2'));
    });

    it('gives the guard its words once, then what a person must run', () => {
      const { description, nextSteps } = chat.content;
      expect(description).toContain(`*Why a person is needed*\n• Loop guard: ${LOOP_GUARD_WORDS}\n`);
      expect(occurrences(description, 'loop guard: loop guard')).toBe(0);
      expect(description).toContain('*Skipped (1): a person must act*');
      expect(nextSteps[0]).toBe(`*NO_DEFAULT_ROUTE*: \`${FIX}\``);
      expect(nextSteps.some((s) => s.includes('aws ec2 get-console-output'))).toBe(true);
      const { email } = alert.structure;
      expect(email).toContain(`WHY A PERSON IS NEEDED\n  - Loop guard: ${LOOP_GUARD_WORDS}\n`);
      // The skipped action keeps the guard's words and what it would have done.
      expect(email).toContain(
        `    Reason: loop guard: ${LOOP_GUARD_WORDS}; planned: add 0.0.0.0/0 → ${NAT_ID} in ${ROUTE_TABLE_ID} (serves ${SUBNET_ID})`,
      );
      expect(alert.structure.default).not.toContain('delete-route');
      expect(alert.structure.email).not.toContain('delete-route');
    });
  });

  describe('because the replacements did not join', () => {
    const stranded = [verdict(REPLACEMENT_ID, { launchedAt: '2026-11-26T10:00:40.000Z' })];
    const nodegroup = seedNodegroup({
      policy: 'remediate',
      alertKind: 'escalation',
      instances: stranded,
      findings: [nodesNotJoined(stranded)],
      actions: [],
      remediation: remediation(),
    });
    const alert = alertFor(nodegroup);
    const chat = chatOf(alert);

    it('says the fix did not help and names the replacements', () => {
      expectWellFormed(alert);
      expect(chat.content.title).toBe(
        `:rotating_light: eks-workshop/new_nodegroup_2: needs a person — the fix did not help: replacements ${REPLACEMENT_ID} have not joined`,
      );
      expect(alert.subject).toMatch(
        /^\[ESCALATION\] eks-workshop\/new_nodegroup_2: needs a person - the fix did not help/,
      );
      expect(alert.attributes.severity).toBe('critical');
      expect(chat.metadata.eventType).toBe('RemediationEscalated');
      expect(chat.content.description).toContain(
        `• The fix did not help: after the remediation of ${REMEDIATED_AT} (route fixed, 1 node replaced), replacements ${REPLACEMENT_ID} have not joined.`,
      );
      expect(alert.structure.email).toContain('WHY A PERSON IS NEEDED\n  - The fix did not help');
    });

    it('shows the remediation, how to undo it, and where to look first', () => {
      const { description, nextSteps } = chat.content;
      expect(description).toContain(`*Remediation of ${REMEDIATED_AT}* (open)`);
      expect(description).toContain(`\`${BEFORE}\` → \`${AFTER}\``);
      expect(description).toContain(`*Never joined (1)*\n• \`${REPLACEMENT_ID}\``);
      expect(description).toContain(`*To undo*\n• create-route on \`${ROUTE_TABLE_ID}\``);
      expect(nextSteps[0]).toContain(
        `\`aws ec2 get-console-output --instance-id ${REPLACEMENT_ID} --latest --output text --region us-west-2\``,
      );
      expect(nextSteps).toContain(
        `*Undo* create-route on \`${ROUTE_TABLE_ID}\` → \`${NAT_ID}\`: \`${DELETE_ROUTE}\``,
      );
      const { email } = alert.structure;
      expect(email).toContain(`REMEDIATION OF ${REMEDIATED_AT} (open)`);
      expect(email).toContain(
        `TO UNDO THE REMEDIATION\n  create-route on ${ROUTE_TABLE_ID} → ${NAT_ID}:\n    ${DELETE_ROUTE}`,
      );
      expect(email).toContain('INVESTIGATE: the boot log of an instance that did not join');
      expect(chat.metadata.relatedResources).toEqual(
        expect.arrayContaining([REPLACEMENT_ID, INSTANCE_ID, ASG]),
      );
    });

    it('says when the old instances were never replaced', () => {
      const old = [verdict(INSTANCE_ID)];
      const notReplaced = alertFor(
        seedNodegroup({
          policy: 'remediate',
          alertKind: 'escalation',
          instances: old,
          findings: [nodesNotJoined(old)],
          remediation: remediation(),
        }),
      );
      expect(chatOf(notReplaced).content.title).toBe(
        `:rotating_light: eks-workshop/new_nodegroup_2: needs a person — the fix did not help: ${INSTANCE_ID} still not joined`,
      );
    });
  });
});

describe('formatAlert: every kind', () => {
  it('keeps the JSON report for sqs and lambda, with the kind and the remediation', () => {
    const nodegroup = seedNodegroup({ alertKind: 'escalation', remediation: remediation() });
    const alert = alertFor(nodegroup);
    expect(JSON.parse(alert.structure.sqs)).toEqual(seedReport(nodegroup));
    expect(bodyOf(alert).nodegroups[0]?.alertKind).toBe('escalation');
  });

  it('cuts a remediation of thousands of instances to fit, as valid JSON', () => {
    const ids = Array.from({ length: 5000 }, (_, i) => `i-${i.toString(16).padStart(17, '0')}`);
    const nodegroup = seedNodegroup({
      alertKind: 'resolved',
      remediation: remediation({
        actions: [
          routeAction('done'),
          ...ids.map((id) => replaceAction('done', { resourceId: id, instanceIds: [id] })),
        ],
        replacedInstanceIds: ids,
      }),
    });
    const alert = alertFor(nodegroup);
    expectWellFormed(alert);
    const [body] = bodyOf(alert).nodegroups;
    expect(body?.truncated).toBe(true);
    expect(body?.remediation?.replacedInstanceIds.length).toBeLessThan(5000);
    expect(body?.omitted?.replacedInstanceIds).toBe(
      5000 - (body?.remediation?.replacedInstanceIds.length ?? 0),
    );
    // Chat names a few and counts the rest (each done replacement has its own reason, so its own item).
    expect(chatOf(alert).content.description).toMatch(/… and [\d,]+ more/);
  });
});

describe('formatAlert: actions as the planner and executor word them', () => {
  const OTHER_SUBNET = 'subnet-0ccc00000000000d';

  it('gives the refusal in the words rendered from its data, and the fix by hand once, as code', () => {
    const mainTable = refusedRoute('MAIN_ROUTE_TABLE', { subnetIds: [SUBNET_ID, OTHER_SUBNET] });
    const ownWords = `${ROUTE_TABLE_ID} is the VPC main route table, used by every subnet without its own (${SUBNET_ID}, ${OTHER_SUBNET}); it is patched only with ALLOW_MAIN_ROUTE_TABLE=true (CLI --allow-main-route-table)`;
    expect(mainTable.reason).toBe(ownWords);
    const alert = alertFor(seedNodegroup({ policy: 'dry-run', actions: [mainTable] }));
    const { description } = chatOf(alert).content;
    expect(description).toContain(
      `:fast_forward: *Skipped* create-route on \`${ROUTE_TABLE_ID}\` (now \`${BEFORE}\`) — ${ownWords}\n      ↳ by hand: \`${FIX}\``,
    );
    expect(occurrences(description, FIX)).toBe(1);
    expect(alert.structure.email).toContain(`    Reason: ${ownWords}\n    By hand:\n      ${FIX}`);
  });

  it('names the subnets that make a route table shared, and how to allow it', () => {
    const shared = refusedRoute('SHARED_ROUTE_TABLE', {
      subnetIds: [SUBNET_ID, OTHER_SUBNET],
      outsideSubnetIds: [OTHER_SUBNET],
    });
    const alert = alertFor(seedNodegroup({ policy: 'remediate', actions: [shared] }));
    const { description } = chatOf(alert).content;
    expect(chatOf(alert).content.title).toMatch(/ — NO_DEFAULT_ROUTE \(fix skipped\)$/);
    expect(description).toContain(
      `— ${ROUTE_TABLE_ID} also serves ${OTHER_SUBNET}, which belongs to no nodegroup of the cluster nor to the cluster`,
    );
    expect(description).toContain('ALLOW_SHARED_ROUTE_TABLE=true (CLI --allow-shared-route-table)');
    expect(description).toContain(`↳ by hand: \`${FIX}\``);
    expect(alert.structure.email).toContain(`    Reason: ${ROUTE_TABLE_ID} also serves ${OTHER_SUBNET}, `);
    expect(bodyOf(alert).nodegroups[0]?.actions[0]).toMatchObject({
      reasonCode: 'SHARED_ROUTE_TABLE',
      outsideSubnetIds: [OTHER_SUBNET],
    });
  });

  it('names the group and the instances when recycling is skipped for want of a fix', () => {
    const stranded = [verdict(INSTANCE_ID), verdict(REPLACEMENT_ID)];
    const nodegroup = seedNodegroup({
      policy: 'dry-run',
      instances: stranded,
      findings: [noDefaultRoute(), nodesNotJoined(stranded)],
      actions: [
        replaceAction('skipped', {
          resourceId: ASG,
          instanceIds: [INSTANCE_ID, REPLACEMENT_ID],
          routeTableId: undefined,
          reasonCode: 'NO_ROUTE_FIX',
        }),
      ],
    });
    const alert = alertFor(nodegroup);
    const reason = 'no route was fixed for them: 2 unjoined instances are reported, not recycled';
    expect(chatOf(alert).content.description).toContain(
      `:fast_forward: *Skipped* replace-instances on 2 instances of \`${ASG}\`: \`${INSTANCE_ID}\`, \`${REPLACEMENT_ID}\` — ${reason}`,
    );
    expect(alert.structure.email).toContain(
      `  - replace-instances on 2 instances of ${ASG}: ${INSTANCE_ID}, ${REPLACEMENT_ID}\n    Reason: ${reason}`,
    );
  });

  it('tells an undo that is no command apart from the commands', () => {
    const nodegroup = seedNodegroup({
      policy: 'remediate',
      alertKind: 'remediated',
      actions: [
        routeAction('done'),
        replaceAction('done', {
          target: ASG,
          undo: 'nothing to undo: desired capacity is unchanged and the group launches a replacement',
        }),
      ],
    });
    const alert = alertFor(nodegroup);
    const { description, nextSteps } = chatOf(alert).content;
    expect(description).toContain(
      `*To undo*\n• create-route on \`${ROUTE_TABLE_ID}\` → \`${NAT_ID}\`: \`${DELETE_ROUTE}\`\n• replace-instances on 1 instance of \`${ASG}\`: \`${INSTANCE_ID}\`: nothing to undo: desired capacity is unchanged`,
    );
    expect(nextSteps.filter((step) => step.startsWith('*Undo*'))).toHaveLength(1);
    expect(alert.structure.email).toContain(
      `TO UNDO\n  create-route on ${ROUTE_TABLE_ID} → ${NAT_ID}:\n    ${DELETE_ROUTE}\n  replace-instances on 1 instance of ${ASG}: ${INSTANCE_ID}: nothing to undo`,
    );
  });

  it('words the loop guard from its data, not from the reason of the action it stopped', () => {
    const stopped = {
      ...stoppedByLoopGuard(routeAction('planned')),
      loopGuard: { remediations: 3, limit: 3, windowSeconds: 90 * 60 },
      reason: 'words that say nothing of the guard',
    };
    const alert = alertFor(
      seedNodegroup({ policy: 'remediate', alertKind: 'escalation', actions: [stopped] }),
    );
    expect(chatOf(alert).content.title).toContain('loop guard reached');
    expect(chatOf(alert).content.description).toContain(
      '*Why a person is needed*\n• Loop guard: 3 remediation(s) of this nodegroup in the last 1.5 h (limit 3), so nothing more is changed automatically\n',
    );
  });

  it('does not claim the loop guard for a reason that merely mentions it', () => {
    const skipped = routeAction('skipped', {
      reasonCode: 'ROUTE_CHANGED',
      reason: 'loop guard: words from somewhere else',
      after: undefined,
      undo: undefined,
    });
    const alert = alertFor(
      seedNodegroup({ policy: 'remediate', alertKind: 'escalation', actions: [skipped] }),
    );
    expect(chatOf(alert).content.title).not.toContain('loop guard reached');
    expect(chatOf(alert).content.description).not.toContain('• Loop guard:');
    expect(alert.structure.email).not.toContain('  - Loop guard:');
  });

  it('does not call an old instance that still did not join a replacement', () => {
    const old = verdict('i-0d0000000000000dd', { launchedAt: '2026-11-26T08:00:00.000Z' });
    const replacement = verdict(REPLACEMENT_ID, { launchedAt: '2026-11-26T10:00:40.000Z' });
    const nodegroup = seedNodegroup({
      policy: 'remediate',
      alertKind: 'escalation',
      instances: [old, replacement],
      findings: [nodesNotJoined([old, replacement])],
      remediation: remediation(),
    });
    const alert = alertFor(nodegroup);
    expect(chatOf(alert).content.title).toBe(
      `:rotating_light: eks-workshop/new_nodegroup_2: needs a person — the fix did not help: replacements ${REPLACEMENT_ID} have not joined`,
    );
    expect(chatOf(alert).content.description).toContain(
      `replacements ${REPLACEMENT_ID} have not joined; i-0d0000000000000dd was not replaced and has not joined.`,
    );
  });
});
