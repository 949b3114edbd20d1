/**
 * Alert inputs as the check really produces them: the seed nodegroup (test/support/seedCheck.ts) run
 * through runCheck under a policy, on an account laid out for one story, and the report and nodegroup
 * the topic was handed. The actions come from the real planner and executor, their `reason` from
 * core/remediate/reasons, so the alert tests compare against the actions' own words and a change of
 * wording shows up in the reasons' tests only.
 */
import { type AlertMessage, type ChatNotification, formatAlert } from '../../functions/alerts/formatAlert.js';
import type {
  Action,
  BootEvidence,
  Finding,
  NodegroupReport,
  ReplaceInstancesAction,
  Report,
  ResourceChange,
  RouteAction,
  ScaleCycleAction,
  WaitingCost,
} from '../../functions/core/model/types.js';
import { NAT, NEW_SUBNET, PRIVATE_SUBNET } from './factories.js';
import type { FakeInstance } from './fakeAccount.js';
import {
  addSeedDefaultRoute,
  checkSeed,
  passJoinWindow,
  putEarlierRemediation,
  recordingTopic,
  replacementsOf,
  SEED_ASG,
  SEED_INSTANCE,
  SEED_NODEGROUP_ARN,
  SEED_TABLE,
  type Seed,
  type SeedCheckOptions,
  type SeedOptions,
  seedAccount,
  shareSeedTable,
  unjoinedInstance,
} from './seedCheck.js';

export interface Published {
  report: Report;
  nodegroup: NodegroupReport;
  alert: AlertMessage;
  chat: ChatNotification;
  email: string;
  seed: Seed;
}

/** Runs the check and returns the last alert it published, formatted. */
export async function published(seed: Seed, options: SeedCheckOptions = {}): Promise<Published> {
  const topic = recordingTopic();
  await checkSeed(seed, { ...options, alerts: topic.publisher });
  const last = topic.sent.at(-1);
  if (!last) throw new Error('the check published no alert');
  return render(last.report, last.nodegroup, seed);
}

export function render(report: Report, nodegroup: NodegroupReport, seed: Seed): Published {
  const alert = formatAlert(report, nodegroup);
  return {
    report,
    nodegroup,
    alert,
    chat: JSON.parse(alert.structure.default) as ChatNotification,
    email: alert.structure.email,
    seed,
  };
}

// --- the stories -------------------------------------------------------------------------------

/** The seed as found: one instance unjoined behind a route table without 0.0.0.0/0. */
export function problem(policy: 'notify' | 'dry-run' = 'notify', options: SeedOptions = {}) {
  return published(seedAccount(options), { policy });
}

/** Remediated: the route written and the instance replaced. */
export function remediated(options: SeedOptions = {}, check: SeedCheckOptions = {}) {
  return published(seedAccount(options), check);
}

/** Remediated, but the replacement of the instance was refused for a missing permission. */
export function remediatedWithDeniedReplace() {
  const seed = seedAccount();
  seed.account.inject('terminateInstance', { kind: 'error', name: 'AccessDenied' });
  return published(seed);
}

/** Two instances unjoined in the seed subnet. */
export function twoUnjoined(): FakeInstance[] {
  return [
    unjoinedInstance(),
    unjoinedInstance({ instanceId: 'i-0b2c3d4e5f6a70819', launchedAt: '2026-11-26T09:10:00.000Z' }),
  ];
}

/** Remediated, then the replacement joined: the follow-up resolves it. */
export async function resolved() {
  const seed = seedAccount();
  const topic = recordingTopic();
  await checkSeed(seed, { alerts: topic.publisher });
  for (const instance of replacementsOf(seed.account)) instance.joined = true;
  passJoinWindow(seed.account);
  return published(seed);
}

/** Remediated, then the replacement did not join either: the follow-up escalates. */
export async function escalatedAfterFix() {
  const seed = seedAccount();
  await checkSeed(seed, { alerts: recordingTopic().publisher });
  passJoinWindow(seed.account);
  return published(seed);
}

/** Two remediations in the loop-guard window already: the third is only planned, and escalated. */
export async function escalatedByLoopGuard() {
  const seed = seedAccount();
  for (const minutesAgo of [50, 25]) await putEarlierRemediation(seed, minutesAgo, { status: 'escalated' });
  return published(seed);
}

export { OTHER_SUBNET } from './seedCheck.js';

/** The unjoined subnet has no table of its own: it falls back to the VPC main table, which is not patched. */
export function mainTableRefused(policy: 'dry-run' | 'remediate' = 'dry-run') {
  const seed = seedAccount();
  const network = seed.account.network;
  const own = network.routeTables.find((t) => t.routeTableId === SEED_TABLE);
  if (own) own.subnetIds = [];
  return published(seed, { policy });
}

/** The unjoined subnet's table also serves a subnet outside the cluster: it is not patched. */
export function sharedTableRefused(policy: 'dry-run' | 'remediate' = 'remediate') {
  const seed = seedAccount();
  shareSeedTable(seed);
  return published(seed, { policy });
}

/** No NAT gateway of the VPC is available: the route cannot be written. */
export function noUsableNat(policy: 'dry-run' | 'remediate' = 'dry-run') {
  const seed = seedAccount();
  const nat = seed.account.network.natGateways.find((n) => n.natGatewayId === NAT);
  if (nat) nat.state = 'pending';
  return published(seed, { policy });
}

/** The instance is unjoined though its route is fine (another cause): it is reported, not recycled. */
export function unjoinedBehindAGoodRoute(policy: 'dry-run' | 'remediate' = 'dry-run') {
  const seed = seedAccount({ instances: twoUnjoined() });
  addSeedDefaultRoute(seed.account);
  return published(seed, { policy });
}

// --- the actions of a published alert ------------------------------------------------------------

export function routeActionOf(actions: Action[], status?: Action['status']): RouteAction {
  const found = actions.find(
    (a): a is RouteAction =>
      (a.type === 'create-route' || a.type === 'replace-route') && (!status || a.status === status),
  );
  if (!found) throw new Error(`no route action${status ? ` ${status}` : ''} in ${JSON.stringify(actions)}`);
  return found;
}

export function replaceActionOf(actions: Action[], status?: Action['status']): ReplaceInstancesAction {
  const found = actions.find(
    (a): a is ReplaceInstancesAction => a.type === 'replace-instances' && (!status || a.status === status),
  );
  if (!found)
    throw new Error(`no replace-instances${status ? ` ${status}` : ''} in ${JSON.stringify(actions)}`);
  return found;
}

export function scaleCycleOf(actions: Action[]): ScaleCycleAction {
  const found = actions.find((a): a is ScaleCycleAction => a.type === 'scale-cycle');
  if (!found) throw new Error(`no scale-cycle in ${JSON.stringify(actions)}`);
  return found;
}

/** The write actions of a report, without its notify action (the alert is not about itself). */
export const writesOf = (nodegroup: NodegroupReport) => nodegroup.actions.filter((a) => a.type !== 'notify');

// --- the evidence of issue 11, built from the model's types ------------------------------------

/**
 * Preflight at launch: the seed's instance launched a minute ago into the subnet without a default
 * route, checked as soon as it launched. It is still inside its join window, so it is pending, and
 * the alert says it will not join.
 */
export function preflightAtLaunch(instances: FakeInstance[] = [launchedAMinuteAgo()]) {
  return published(seedAccount({ instances }), { policy: 'notify', preflight: true });
}

/** An instance of the seed nodegroup in the unjoined subnet, launched a minute before SEED_NOW. */
export function launchedAMinuteAgo(overrides: Partial<FakeInstance> = {}): FakeInstance {
  return unjoinedInstance({ launchedAt: '2026-11-26T09:59:00.000Z', ...overrides });
}

export const KMS_KEY_ARN = 'arn:aws:kms:us-west-2:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
export const ROLE_SESSION = 'arn:aws:sts::123456789012:assumed-role/platform-admin/jane';

export function foundChange(
  overrides: Partial<Extract<ResourceChange, { found: true }>> = {},
): ResourceChange {
  return {
    found: true,
    eventName: 'DeleteRoute',
    eventTime: '2026-11-26T10:02:31Z',
    principalArn: ROLE_SESSION,
    eventId: 'e-1',
    ...overrides,
  };
}

export function notReadyFinding(overrides: Partial<Finding> = {}): Finding {
  return {
    code: 'NODES_NOT_READY',
    severity: 'critical',
    resourceId: SEED_NODEGROUP_ARN,
    message: '1 node of new_nodegroup_2 registered but has not been Ready for more than 300 s.',
    fix: 'aws eks create-addon --cluster-name eks-workshop --addon-name vpc-cni --region us-west-2',
    instanceIds: [SEED_INSTANCE],
    notReadyNodes: [
      {
        nodeName: 'ip-10-42-200-7.us-west-2.compute.internal',
        instanceId: SEED_INSTANCE,
        reason: 'KubeletNotReady',
        message: 'container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady',
      },
    ],
    notReadyCauses: ['VPC_CNI_MISSING'],
    ...overrides,
  };
}

export function kmsKeyFinding(overrides: Partial<Finding> = {}): Finding {
  return {
    code: 'EBS_KMS_KEY_UNUSABLE',
    severity: 'critical',
    resourceId: KMS_KEY_ARN,
    message: `Launches of new_nodegroup_2 fail: the volumes' KMS key ${KMS_KEY_ARN} cannot be used by Auto Scaling.`,
    fix: `aws kms enable-key --key-id ${KMS_KEY_ARN} --region us-west-2`,
    kmsKey: {
      keyId: '1234abcd-12ab-34cd-56ef-1234567890ab',
      keyArn: KMS_KEY_ARN,
      state: 'Disabled',
      missing: ['KEY_DISABLED', 'NO_CREATE_GRANT'],
    },
    launchFailures: {
      statusMessages: ['Client.InternalError: Client error on launch'],
      count: 4,
      firstAt: '2026-11-26T09:40:12Z',
      lastAt: '2026-11-26T09:58:40Z',
    },
    ...overrides,
  };
}

export function addressesFinding(overrides: Partial<Finding> = {}): Finding {
  return {
    code: 'SUBNET_ADDRESSES_EXHAUSTED',
    severity: 'critical',
    resourceId: NEW_SUBNET,
    subnetId: NEW_SUBNET,
    message: `Launches of new_nodegroup_2 fail: subnet ${NEW_SUBNET} has no free IP address.`,
    fix: `aws eks update-nodegroup-config --cluster-name eks-workshop --nodegroup-name new_nodegroup_2 --region us-west-2  # or add a subnet`,
    availableIpAddresses: 0,
    subnetsWithRoom: [{ subnetId: PRIVATE_SUBNET, availableIpAddresses: 4059 }],
    launchFailures: {
      statusMessages: [
        'Insufficient capacity. There are not enough free addresses in subnet to satisfy the requested number of instances. Launching EC2 instance failed.',
      ],
      count: 1,
      lastAt: '2026-11-26T09:58:40Z',
    },
    ...overrides,
  };
}

export function launchFailuresFinding(overrides: Partial<Finding> = {}): Finding {
  return {
    code: 'LAUNCH_FAILURES',
    severity: 'critical',
    resourceId: SEED_ASG,
    message: `Launches of new_nodegroup_2 fail: Auto Scaling could not launch an instance in ${SEED_ASG}.`,
    fix: `aws autoscaling describe-scaling-activities --auto-scaling-group-name ${SEED_ASG} --region us-west-2`,
    launchFailures: {
      statusMessages: [
        'You have requested more vCPU capacity than your current vCPU limit of 32 allows. Launching EC2 instance failed.',
        'We currently do not have sufficient m5.large capacity in the Availability Zone you requested.',
      ],
      count: 7,
      firstAt: '2026-11-26T09:10:00Z',
      lastAt: '2026-11-26T09:55:00Z',
    },
    ...overrides,
  };
}

export function bootEvidence(overrides: Partial<BootEvidence> = {}): BootEvidence {
  return {
    instanceId: SEED_INSTANCE,
    lines: [
      '[   42.118] nodeadm[1702]: {"level":"info","msg":"Waiting for the API server"}',
      '[  162.120] nodeadm[1702]: dial tcp 10.42.0.12:443: i/o timeout',
      '[  162.121] kubelet[1911]: Unable to register node with API server: context deadline exceeded',
    ],
    signatures: ['API_TIMEOUT'],
    verdict: 'corroborates',
    at: '2026-11-26T09:58:00.000Z',
    ...overrides,
  };
}

export function waitingCostOf(overrides: Partial<WaitingCost> = {}): WaitingCost {
  return {
    instances: 3,
    longestRunningSeconds: 42 * 60,
    hourlyUsd: 0.288,
    unpricedTypes: ['x1.large'],
    ...overrides,
  };
}

/** The seed's problem alert, with launches that fail instead: no instance, no route table, no action. */
export function launchesFail(p: Published, findings: Finding[]): Published {
  // No instance: nothing waits, nothing booted.
  const { waitingCost: _cost, bootEvidence: _logs, ...nodegroup } = p.nodegroup;
  return render(
    p.report,
    { ...nodegroup, instances: [], findings, actions: [], routeTables: [], egress: {} },
    p.seed,
  );
}

/** The seed's problem alert with the nodegroup changed as given. */
export function renderedWith(p: Published, changes: Partial<NodegroupReport>): Published {
  return render(p.report, { ...p.nodegroup, ...changes }, p.seed);
}
