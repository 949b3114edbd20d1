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
  NodegroupReport,
  ReplaceInstancesAction,
  Report,
  RouteAction,
  ScaleCycleAction,
} from '../../functions/core/model/types.js';
import { NAT } from './factories.js';
import type { FakeInstance } from './fakeAccount.js';
import {
  addSeedDefaultRoute,
  checkSeed,
  passJoinWindow,
  putEarlierRemediation,
  recordingTopic,
  replacementsOf,
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
