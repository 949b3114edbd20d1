/**
 * The seed's unjoined nodegroup on the in-memory account, checked through the real runCheck: one
 * instance of `new_nodegroup_2` in a subnet whose route table has no 0.0.0.0/0, a NAT gateway in the
 * public subnet. Used by the unit tests of follow-up, alert cooldown and alert rendering, so that
 * what they look at is what the planner, executor and follow-up really produce.
 */
import { runCheck } from '../../functions/core/check/runCheck.js';
import type { CheckResult } from '../../functions/core/model/check.js';
import type { AlertPublisher } from '../../functions/core/model/ports.js';
import { silentLog } from '../../functions/core/model/ports.js';
import { DEFAULT_REMEDIATION, type RemediationSettings } from '../../functions/core/model/settings.js';
import type {
  Action,
  NetworkSnapshot,
  Nodegroup,
  NodegroupReport,
  Policy,
  RemediationRecord,
  Report,
  RouteTarget,
} from '../../functions/core/model/types.js';
import { MemoryStateStore } from '../../functions/state/MemoryStateStore.js';
import {
  CLUSTER,
  NAT,
  NEW_SUBNET,
  NEW_TABLE,
  NODEGROUP,
  PRIVATE_SUBNET,
  PUBLIC_SUBNET,
  seedNetwork,
  subnet,
} from './factories.js';
import { FakeAccount, type FakeAccountSpec, type FakeInstance } from './fakeAccount.js';
import { fakeClock } from './stateStoreContract.js';

export const SEED_CLUSTER = CLUSTER;
export const SEED_NODEGROUP = NODEGROUP;
export const SEED_ASG = 'eks-new_nodegroup_2-6ac9a5c4-1b2d-4e3f-8a7b-9c0d1e2f3a4b';
/** The unjoined subnet's route table in the seed's network. */
export const SEED_TABLE = NEW_TABLE;
export const SEED_INSTANCE = 'i-0a1b2c3d4e5f60718';
export const SEED_NOW = '2026-11-26T10:00:00.000Z';
export const JOIN_WINDOW_SECONDS = 300;
export const SEED_NODEGROUP_ARN =
  'arn:aws:eks:us-west-2:123456789012:nodegroup/eks-workshop/new_nodegroup_2/6ac9a5c4-1b2d-4e3f-8a7b-9c0d1e2f3a4b';

/** The in-memory account, with the nodegroup's ARN as EKS gives it. */
class SeedAccount extends FakeAccount {
  override async describeNodegroup(clusterName: string, nodegroupName: string): Promise<Nodegroup> {
    const nodegroup = await super.describeNodegroup(clusterName, nodegroupName);
    return nodegroupName === SEED_NODEGROUP ? { ...nodegroup, arn: SEED_NODEGROUP_ARN } : nodegroup;
  }
}

/** An unjoined instance of the seed nodegroup in the unjoined subnet, launched an hour before SEED_NOW. */
export function unjoinedInstance(overrides: Partial<FakeInstance> = {}): FakeInstance {
  return {
    instanceId: SEED_INSTANCE,
    subnetId: NEW_SUBNET,
    availabilityZone: 'us-west-2a',
    launchedAt: '2026-11-26T09:00:00.000Z',
    state: 'running',
    lifecycleState: 'InService',
    joined: false,
    ...overrides,
  };
}

/** The ids of two unjoined instances (the seed's and a second one), for scale-cycle stories. */
export const twoUnjoinedIds = [SEED_INSTANCE, 'i-0b2c3d4e5f6a70819'];

/** Unjoined instances of the seed nodegroup with these ids, all launched an hour before SEED_NOW. */
export function unjoinedInstances(instanceIds: string[]): FakeInstance[] {
  return instanceIds.map((instanceId) => unjoinedInstance({ instanceId }));
}

export interface SeedOptions {
  instances?: FakeInstance[];
  minSize?: number;
  desiredSize?: number;
  /** The network of the account; default the seed's. */
  network?: NetworkSnapshot;
}

export interface Seed {
  account: FakeAccount;
  state: MemoryStateStore;
}

/**
 * The seed nodegroup as an in-memory account is laid out: its Auto Scaling group holds the given
 * instances (by default the one unjoined instance), desired capacity their number.
 */
export function seedSpec(options: SeedOptions = {}): FakeAccountSpec {
  const instances = options.instances ?? [unjoinedInstance()];
  return {
    clusterName: SEED_CLUSTER,
    clusterSubnetIds: [PUBLIC_SUBNET, PRIVATE_SUBNET, NEW_SUBNET],
    nodegroup: {
      name: SEED_NODEGROUP,
      subnetIds: [NEW_SUBNET],
      minSize: options.minSize ?? 0,
      maxSize: 4,
      desiredSize: options.desiredSize ?? instances.length,
      asg: SEED_ASG,
    },
    otherNodegroups: [],
    network: options.network ?? seedNetwork(),
    instances,
  };
}

export function seedAccount(options: SeedOptions = {}): Seed {
  const clock = fakeClock(SEED_NOW);
  return { account: new SeedAccount(seedSpec(options), clock), state: new MemoryStateStore({ clock }) };
}

/** The remediations of the seed nodegroup, as the state store lists them. */
export function recordsOf({ state }: Seed): Promise<RemediationRecord[]> {
  return state.listRemediations(SEED_CLUSTER, SEED_NODEGROUP, new Date(0));
}

/** A remediation record of the seed nodegroup made `at`: by default written and alerted, failed, with no actions. */
export function remediationRecord(at: string, overrides: Partial<RemediationRecord> = {}): RemediationRecord {
  return {
    cluster: SEED_CLUSTER,
    nodegroup: SEED_NODEGROUP,
    at,
    status: 'failed',
    progress: 'written',
    alerted: true,
    actions: [],
    replacedInstanceIds: [],
    ...overrides,
  };
}

/** Stores a remediation of the seed nodegroup made `minutesAgo` before the seed account's clock. */
export async function putEarlierRemediation(
  { account, state }: Seed,
  minutesAgo: number,
  overrides: Partial<RemediationRecord> = {},
): Promise<void> {
  const at = new Date(account.clock.now().getTime() - minutesAgo * 60_000).toISOString();
  await state.putRemediation(remediationRecord(at, overrides));
}

/** An interrupted remediation made `minutesAgo`: open, its writes under way, `actions` its plan. */
export function putInterruptedRemediation(seed: Seed, minutesAgo: number, actions: Action[]): Promise<void> {
  return putEarlierRemediation(seed, minutesAgo, {
    status: 'open',
    progress: 'writing',
    alerted: false,
    actions,
  });
}

/** A default route (0.0.0.0/0) in the seed's unjoined route table. */
export function addSeedDefaultRoute(
  account: FakeAccount,
  target: RouteTarget = { kind: 'nat-gateway', id: NAT },
  state = 'active',
): void {
  account.table(SEED_TABLE)?.routes.push({ destination: '0.0.0.0/0', target, state });
}

/** Removes the default route of the seed's unjoined route table (as someone deleting it again). */
export function deleteSeedDefaultRoute(account: FakeAccount): void {
  const table = account.table(SEED_TABLE);
  if (table) table.routes = table.routes.filter((r) => r.destination !== '0.0.0.0/0');
}

/** A subnet of the VPC outside the cluster. */
export const OTHER_SUBNET = 'subnet-0ccc00000000000d';

/** Makes the seed's unjoined route table also serve OTHER_SUBNET, a subnet outside the cluster. */
export function shareSeedTable({ account }: Seed): void {
  const network = account.network;
  network.subnets.push(subnet(OTHER_SUBNET, 'us-west-2a', '10.42.224.0/19'));
  network.routeTables.find((t) => t.routeTableId === SEED_TABLE)?.subnetIds.push(OTHER_SUBNET);
}

/** A topic that keeps what it is sent (report and nodegroup, cloned), and fails the first `failures` publishes. */
export function recordingTopic(failures = 0) {
  const sent: { report: Report; nodegroup: NodegroupReport }[] = [];
  let failing = failures;
  const publisher: AlertPublisher = {
    async publish(report, nodegroup) {
      if (failing > 0) {
        failing -= 1;
        throw new Error('sns:Publish failed: InternalError');
      }
      sent.push({ report: structuredClone(report), nodegroup: structuredClone(nodegroup) });
      return `message-${sent.length}`;
    },
  };
  return { sent, publisher, kinds: () => sent.map((s) => s.nodegroup.alertKind ?? 'problem') };
}

export interface SeedCheckOptions {
  policy?: Policy;
  alerts?: AlertPublisher;
  remediation?: Partial<RemediationSettings>;
  /** Seconds left for writes and waits; default 10 minutes. */
  secondsLeft?: number;
  /** No remediation writer: remediate plans and skips. */
  noWriter?: boolean;
  preflight?: boolean;
  preflightPolicy?: 'notify' | 'remediate';
  /** Names the run in remediation locks. */
  runId?: string;
}

/** One check of the seed nodegroup, as the Lambda makes it. */
export async function checkSeed(
  { account, state }: Seed,
  options: SeedCheckOptions = {},
): Promise<{ result: CheckResult; report: Report; nodegroup: NodegroupReport }> {
  const result = await runCheck(
    {
      clusterName: SEED_CLUSTER,
      nodegroupNames: [SEED_NODEGROUP],
      policyOverride: options.policy ?? 'remediate',
      defaultPolicy: 'notify',
      joinWindowSeconds: JOIN_WINDOW_SECONDS,
      remediation: { ...DEFAULT_REMEDIATION, ...options.remediation },
      deadline: new Date(account.clock.now().getTime() + (options.secondsLeft ?? 600) * 1000),
      ...(options.preflight && { preflight: true }),
      ...(options.preflightPolicy && { preflightPolicy: options.preflightPolicy }),
    },
    {
      account,
      membership: account,
      ...(!options.noWriter && { writer: account }),
      state,
      ...(options.alerts && { alerts: options.alerts }),
      clock: account.clock,
      sleep: async (ms) => account.clock.advance(ms),
      log: silentLog,
      ...(options.runId && { runId: options.runId }),
    },
  );
  return { result, report: result.report, nodegroup: result.report.nodegroups[0] as NodegroupReport };
}

/** The instances the Auto Scaling group launched in place of terminated ones. */
export function replacementsOf(account: FakeAccount): FakeInstance[] {
  return account.instances.filter((i) => i.instanceId.startsWith('i-new'));
}

/** Lets the join window of everything launched so far pass: the replacements are running by then. */
export function passJoinWindow(account: FakeAccount): void {
  account.clock.advance((JOIN_WINDOW_SECONDS + 60) * 1000);
  for (const instance of account.instances) {
    if (instance.state === 'pending')
      Object.assign(instance, { state: 'running', lifecycleState: 'InService' });
  }
}

/** `type:status:reasonCode` of each action, for compact assertions. */
export const actionsOf = (nodegroup: NodegroupReport) =>
  nodegroup.actions.map((a) => `${a.type}:${a.status}${a.reasonCode ? `:${a.reasonCode}` : ''}`);
