import {
  AllocateAddressCommand,
  CreateNatGatewayCommand,
  CreateRouteCommand,
  CreateTransitGatewayCommand,
  DeleteNatGatewayCommand,
} from '@aws-sdk/client-ec2';
import { DescribeNodegroupCommand, EKSClient } from '@aws-sdk/client-eks';
import { describe, expect, it } from 'vitest';
import type {
  NodegroupReport,
  ReplaceInstancesAction,
  Report,
  ScaleCycleAction,
} from '../../functions/core/model/types.js';
import { alertKindOf, readAlerts } from '../support/alertQueue.js';
import { recordedRequests } from '../support/awsWrites.js';
import { type AwsRequest, EVERY_TIME, unauthorized } from '../support/faultProxy.js';
import { harnessClientConfig } from '../support/motoServer.js';
import {
  ALERT_ONLY,
  endedWith,
  FIXED,
  FIXED_WRITES,
  findingCodes,
  nodegroupOf,
  runAwsCli,
  SCALE_CYCLE,
  statusOf,
  useRemediationHarness,
} from '../support/remediationHarness.js';
import type { CliRun } from '../support/runCli.js';

/**
 * Issue 8, "remediation that cannot harm a working network", continued: states moto does not model
 * (blackhole routes, pending NAT gateways, launch times) shown to the tool by rewriting its reads in
 * the fault proxy; scale-cycle; and lost or repeated work (denied, lost and failed calls). Each fault
 * applies to the tool's calls only: the harness reads moto directly.
 */
const h = useRemediationHarness();

/** How long a scale-cycle run may take, polling every second (SCALE_CYCLE). */
const SCALE_CYCLE_RUN_MS = 60_000;

const seedNat = () => h.seed.natGatewayId ?? '';
/** new_nodegroup_2's 0.0.0.0/0 route, as moto has it. */
const defaultRoute = async () => (await h.defaultRoutes())[0];

async function publicNatGateway(): Promise<string> {
  const { AllocationId } = await h.ec2.send(new AllocateAddressCommand({ Domain: 'vpc' }));
  const { NatGateway } = await h.ec2.send(
    new CreateNatGatewayCommand({ SubnetId: h.seed.publicSubnetId, AllocationId }),
  );
  return NatGateway?.NatGatewayId ?? '';
}

/** new_nodegroup_2's table gets 0.0.0.0/0 to this target. */
async function defaultRouteTo(target: { NatGatewayId: string } | { TransitGatewayId: string }) {
  await h.ec2.send(
    new CreateRouteCommand({ RouteTableId: h.newTable(), DestinationCidrBlock: '0.0.0.0/0', ...target }),
  );
}

/**
 * new_nodegroup_2's default route goes to a NAT gateway that was then deleted (moto keeps the route
 * `active`: it does not mark routes blackhole); the seed's NAT gateway is the available one.
 */
async function routeToDeletedNat(): Promise<string> {
  const gone = await publicNatGateway();
  await defaultRouteTo({ NatGatewayId: gone });
  await h.ec2.send(new DeleteNatGatewayCommand({ NatGatewayId: gone }));
  return gone;
}

// --- rewrites of moto's answers: states moto never reports by itself --------------------------

/** Between an element and the end of its <item> (EC2 query XML). */
const IN_ITEM = '(?:(?!</item>)[\\s\\S])*?';

/** DescribeNatGateways: this NAT gateway in another state. */
const natStateAs = (natGatewayId: string, state: string) => (body: string) =>
  body.replace(
    new RegExp(`(<natGatewayId>${natGatewayId}</natGatewayId>${IN_ITEM}<state>)[a-z]+(</state>)`),
    `$1${state}$2`,
  );

/** DescribeRouteTables: the routes to this transit gateway as blackholes. */
const routesToAsBlackhole = (transitGatewayId: string) => (body: string) =>
  body.replace(
    new RegExp(
      `(<transitGatewayId>${transitGatewayId}</transitGatewayId>${IN_ITEM}<state>)active(</state>)`,
      'g',
    ),
    '$1blackhole$2',
  );

/** DescribeInstances: this instance launched at another time. */
const launchedAt = (instanceId: string, when: Date) => (body: string) =>
  body.replace(
    new RegExp(
      `(<instanceId>${instanceId}</instanceId>(?:(?!<instanceId>)[\\s\\S])*?<launchTime>)[^<]*(</launchTime>)`,
    ),
    `$1${when.toISOString()}$2`,
  );

/** A request whose EC2 filter 1 is on the VPC: the network read, not the writer's fresh re-read by id. */
const isNetworkRead = (request: AwsRequest) => request.params['Filter.1.Name'] === 'vpc-id';

const desiredSizeOf = (request: AwsRequest) =>
  (request.params.scalingConfig as { desiredSize?: number } | undefined)?.desiredSize;

/**
 * Every desired size the tool asks EKS for, in order: a rule that never matches, only looks. Add it
 * before any fault rule on the same operation (the first matching rule ends the search).
 */
function watchDesiredSizes(): number[] {
  const sizes: number[] = [];
  h.proxy.addRule({
    operation: 'eks:UpdateNodegroupConfig',
    kind: 'delay',
    ms: 0,
    times: EVERY_TIME,
    when: (request) => {
      sizes.push(desiredSizeOf(request) ?? Number.NaN);
      return false;
    },
  });
  return sizes;
}

async function nodegroupDesiredSize(): Promise<number | undefined> {
  const eks = new EKSClient(harnessClientConfig(h.moto.endpoint));
  try {
    const { nodegroup } = await eks.send(
      new DescribeNodegroupCommand({ clusterName: h.seed.clusterName, nodegroupName: 'new_nodegroup_2' }),
    );
    return nodegroup?.scalingConfig?.desiredSize;
  } finally {
    eks.destroy();
  }
}

function replaceAction(nodegroup: NodegroupReport): ReplaceInstancesAction {
  const action = nodegroup.actions.find((a) => a.type === 'replace-instances');
  if (action?.type !== 'replace-instances')
    throw new Error(`no replace-instances in ${JSON.stringify(nodegroup)}`);
  return action;
}

/** What a plan to replace a dead default route reports when the replacement is refused. */
const REPLACE_REFUSED = ['replace-route:skipped', 'replace-instances:skipped', 'notify:done'];

/**
 * A run that found new_nodegroup_2's default route dead (BLACKHOLE_DEFAULT_ROUTE) and ended with
 * `code` and these actions, as `endedWith`; its nodegroup.
 */
function deadRouteRun(run: CliRun, code: number, statuses: string[]): NodegroupReport {
  const nodegroup = endedWith(run, code, statuses);
  expect(findingCodes(nodegroup)).toEqual(['BLACKHOLE_DEFAULT_ROUTE', 'NODES_NOT_JOINED']);
  return nodegroup;
}

function scaleCycleAction(nodegroup: NodegroupReport): ScaleCycleAction {
  const action = nodegroup.actions.find((a) => a.type === 'scale-cycle');
  if (action?.type !== 'scale-cycle') throw new Error(`no scale-cycle in ${JSON.stringify(nodegroup)}`);
  return action;
}

describe('only a default route that is dead for good, to a NAT gateway, is replaced', () => {
  it('a blackhole default route to a transit gateway is never replaced: replace-route skipped ROUTE_NOT_NAT, nothing written', async () => {
    const { TransitGateway } = await h.ec2.send(new CreateTransitGatewayCommand({ Description: 'hub' }));
    const tgw = TransitGateway?.TransitGatewayId ?? '';
    await defaultRouteTo({ TransitGatewayId: tgw });
    h.proxy.addRule({
      operation: 'ec2:DescribeRouteTables',
      kind: 'rewrite',
      transform: routesToAsBlackhole(tgw),
      times: EVERY_TIME,
    });

    const nodegroup = deadRouteRun(await h.remediate(), 1, REPLACE_REFUSED);
    expect(nodegroup.actions[0]).toMatchObject({
      type: 'replace-route',
      reasonCode: 'ROUTE_NOT_NAT',
      before: `0.0.0.0/0 → ${tgw} (blackhole)`,
    });
    expect(await defaultRoute()).toMatchObject({ TransitGatewayId: tgw });
    expect(await h.accountWrites()).toEqual(ALERT_ONLY);
  });

  it('a default route to a NAT gateway that is still pending is never replaced: ROUTE_NOT_DEAD, nothing written', async () => {
    await defaultRouteTo({ NatGatewayId: seedNat() });
    await publicNatGateway();
    h.proxy.addRule({
      operation: 'ec2:DescribeNatGateways',
      kind: 'rewrite',
      transform: natStateAs(seedNat(), 'pending'),
      times: EVERY_TIME,
    });

    const nodegroup = deadRouteRun(await h.remediate(), 1, REPLACE_REFUSED);
    expect(nodegroup.actions[0]).toMatchObject({
      type: 'replace-route',
      status: 'skipped',
      reasonCode: 'ROUTE_NOT_DEAD',
    });
    expect(await defaultRoute()).toMatchObject({ NatGatewayId: seedNat() });
    expect(await h.accountWrites()).toEqual(ALERT_ONLY);
  });

  it('a NAT gateway read as deleted but available again on the re-read just before the write: no ReplaceRoute', async () => {
    await defaultRouteTo({ NatGatewayId: seedNat() });
    const other = await publicNatGateway();
    h.proxy.addRule({
      operation: 'ec2:DescribeNatGateways',
      kind: 'rewrite',
      transform: natStateAs(seedNat(), 'deleted'),
      when: isNetworkRead,
      times: 1,
    });

    // The network read saw it deleted: the finding and the plan (replace with the other NAT gateway);
    // the fresh re-read before the write saw it available: the table changed, it is left alone.
    const nodegroup = deadRouteRun(await h.remediate(), 1, REPLACE_REFUSED);
    expect(nodegroup.findings[0]?.natGatewayId).toBe(other);
    expect(nodegroup.actions[0]).toMatchObject({
      type: 'replace-route',
      reasonCode: 'ROUTE_CHANGED',
      before: `0.0.0.0/0 → ${seedNat()} (active)`,
    });
    expect(nodegroup.actions[1]?.reasonCode).toBe('ROUTE_NOT_FIXED');
    expect(h.faultsOf('ec2:DescribeNatGateways')).toEqual(['rewrite', undefined]);
    expect(h.faultsOf('ec2:ReplaceRoute')).toEqual([]);
    expect(await defaultRoute()).toMatchObject({ NatGatewayId: seedNat() });
    expect(await h.accountWrites()).toEqual(ALERT_ONLY);
  });

  it('twin: a NAT gateway really deleted (moto still shows the route active) is replaced by an available one', async () => {
    const gone = await routeToDeletedNat();
    expect(await defaultRoute()).toMatchObject({ NatGatewayId: gone, State: 'active' });

    const nodegroup = deadRouteRun(await h.remediate(), 0, [
      'replace-route:done',
      'replace-instances:done',
      'notify:done',
    ]);
    expect(nodegroup.actions[0]).toMatchObject({ target: seedNat(), before: `0.0.0.0/0 → ${gone} (active)` });
    expect(nodegroup.actions[0]?.undo).toBe(
      `aws ec2 replace-route --route-table-id ${h.newTable()} --destination-cidr-block 0.0.0.0/0 --nat-gateway-id ${gone} --region us-west-2`,
    );
    expect(await defaultRoute()).toMatchObject({ NatGatewayId: seedNat() });
    expect(await h.accountWrites()).toEqual([
      'ec2:ReplaceRoute',
      'autoscaling:TerminateInstanceInAutoScalingGroup',
      'sns:Publish',
    ]);
  });
});

describe('scale-cycle never takes capacity that works or may still work', () => {
  it('one instance of two joined: no scale-cycle, only the unjoined one is replaced (INSTANCES_JOINED)', async () => {
    await h.freshAccount({ newNodegroupDesired: 2 });
    const [unjoined = '', working = ''] = h.seed.nodegroups.new.instanceIds;
    h.stub.addNode({ instanceId: working, availabilityZone: 'us-west-2a', nodegroup: 'new_nodegroup_2' });

    const run = await h.remediate([], { RECYCLE_STRATEGY: 'scale-cycle' });

    const nodegroup = endedWith(run, 0, FIXED);
    expect(replaceAction(nodegroup)).toMatchObject({
      instanceIds: [unjoined],
      scaleCycleBlockedBy: 'INSTANCES_JOINED',
      blockers: [working],
    });
    expect(await h.instanceState(working)).toBe('running');
    expect(await h.instanceState(unjoined)).not.toBe('running');
    expect(await nodegroupDesiredSize()).toBe(2);
    expect(await h.accountWrites()).toEqual(FIXED_WRITES);
  });

  it('one instance of two still inside its join window: no scale-cycle, only the unjoined one is replaced (INSTANCES_PENDING)', async () => {
    await h.freshAccount({ newNodegroupDesired: 2 });
    const [unjoined = '', young = ''] = h.seed.nodegroups.new.instanceIds;
    h.proxy.addRule({
      operation: 'ec2:DescribeInstances',
      kind: 'rewrite',
      transform: launchedAt(unjoined, new Date(Date.now() - 3600_000)),
      times: EVERY_TIME,
    });

    const run = await h.remediate([], { RECYCLE_STRATEGY: 'scale-cycle', JOIN_WINDOW_SECONDS: '600' });

    const nodegroup = endedWith(run, 0, FIXED);
    // EC2 lists the two instances in no set order.
    expect(nodegroup.instances).toHaveLength(2);
    expect(nodegroup.instances).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ instanceId: unjoined, joined: false, pending: false }),
        expect.objectContaining({ instanceId: young, joined: false, pending: true }),
      ]),
    );
    expect(replaceAction(nodegroup)).toMatchObject({
      instanceIds: [unjoined],
      scaleCycleBlockedBy: 'INSTANCES_PENDING',
      blockers: [young],
    });
    expect(await h.instanceState(young)).toBe('running');
    expect(await nodegroupDesiredSize()).toBe(2);
    expect(await h.accountWrites()).toEqual(FIXED_WRITES);
  });

  it(
    'twin: every instance unjoined, scale-cycle scales to 0 and back, ending where it began',
    async () => {
      const sizes = watchDesiredSizes();

      const run = await h.remediate([], SCALE_CYCLE, { timeoutMs: SCALE_CYCLE_RUN_MS });

      const nodegroup = endedWith(run, 0, ['create-route:done', 'scale-cycle:done', 'notify:done']);
      expect(scaleCycleAction(nodegroup)).toMatchObject({ desiredSize: 1, target: 'desired 0 → 1' });
      expect(sizes).toEqual([0, 1]);
      expect(await nodegroupDesiredSize()).toBe(1);
      expect(await h.accountWrites()).toEqual([
        'ec2:CreateRoute',
        'eks:UpdateNodegroupConfig',
        'eks:UpdateNodegroupConfig',
        'sns:Publish',
      ]);
    },
    SCALE_CYCLE_RUN_MS,
  );

  it(
    'a scale-back that keeps failing: scale-cycle failed SCALE_BACK_FAILED, a critical alert, and its undo command restores the size',
    async () => {
      const sizes = watchDesiredSizes();
      h.proxy.addRule({
        operation: 'eks:UpdateNodegroupConfig',
        kind: 'error',
        status: 409,
        code: 'ResourceInUseException',
        message: 'Nodegroup cannot be updated as it is currently not in Active State',
        when: (request) => desiredSizeOf(request) !== 0,
        times: EVERY_TIME,
      });

      const run = await h.remediate([], SCALE_CYCLE, { timeoutMs: SCALE_CYCLE_RUN_MS });

      expect(run.stderr).toBe('');
      expect(run.code).toBe(1);
      const action = scaleCycleAction(nodegroupOf(run.stdout));
      expect(action).toMatchObject({ status: 'failed', reasonCode: 'SCALE_BACK_FAILED', desiredSize: 1 });
      const undo =
        'aws eks update-nodegroup-config --cluster-name eks-workshop --nodegroup-name new_nodegroup_2 --scaling-config desiredSize=1 --region us-west-2';
      expect(action.undo).toBe(undo);
      // Scaled to 0 once, then the scale-back tried five times (each refused by the proxy).
      expect(sizes).toEqual([0, 1, 1, 1, 1, 1]);
      expect(await nodegroupDesiredSize()).toBe(0);

      const alerts = await readAlerts(h.moto.endpoint, h.seed.queueUrl, { waitMs: 5000 });
      expect(alerts).toHaveLength(1);
      expect(alerts[0]?.messageAttributes.severity).toEqual({ type: 'String', value: 'critical' });
      const alerted = (JSON.parse(alerts[0]?.message ?? '{}') as Report).nodegroups[0];
      expect(alerted?.actions.find((a) => a.type === 'scale-cycle')?.undo).toBe(undo);

      // What the alert tells a person to run, run with the official AWS CLI against the emulator.
      const restored = await runAwsCli(undo, h.moto);
      expect(restored.stderr).toBe('');
      expect(restored.code).toBe(0);
      expect(await nodegroupDesiredSize()).toBe(1);
    },
    SCALE_CYCLE_RUN_MS + 30_000,
  );
});

describe('lost or repeated work is neither lost nor repeated', () => {
  it('a write that is denied counts toward the loop guard: two attempts in three runs, one "fix failed" alert, then one escalation', async () => {
    h.proxy.addRule(unauthorized('ec2:CreateRoute', { times: EVERY_TIME }));

    const firstReport = endedWith(await h.remediate(), 1, [
      'create-route:failed',
      'replace-instances:skipped',
      'notify:done',
    ]);
    expect(firstReport.actions[0]?.reasonCode).toBe('ACCESS_DENIED');
    expect(firstReport.actions[1]?.reasonCode).toBe('ROUTE_NOT_FIXED');
    const fixFailed = await readAlerts(h.moto.endpoint, h.seed.queueUrl, { waitMs: 5000 });
    expect(fixFailed.map(alertKindOf)).toEqual(['remediated']);
    const failedAction = (JSON.parse(fixFailed[0]?.message ?? '{}') as Report).nodegroups[0]?.actions[0];
    expect(failedAction).toMatchObject({
      type: 'create-route',
      status: 'failed',
      reasonCode: 'ACCESS_DENIED',
    });

    const secondReport = endedWith(await h.remediate(), 1, [
      'create-route:failed',
      'replace-instances:skipped',
      'notify:skipped',
    ]);
    expect(secondReport.actions[2]?.reasonCode).toBe('ALERT_COOLDOWN');

    const thirdReport = endedWith(await h.remediate(), 1, [
      'create-route:skipped',
      'replace-instances:skipped',
      'notify:done',
    ]);
    expect(thirdReport.alertKind).toBe('escalation');
    expect(thirdReport.actions.slice(0, 2).map((a) => a.reasonCode)).toEqual(['LOOP_GUARD', 'LOOP_GUARD']);
    expect(thirdReport.actions[0]?.loopGuard).toMatchObject({ remediations: 2, limit: 2 });

    expect(h.faultsOf('ec2:CreateRoute')).toEqual(['error', 'error']);
    const later = await readAlerts(h.moto.endpoint, h.seed.queueUrl, { waitMs: 5000 });
    expect(later.map(alertKindOf)).toEqual(['escalation']);
    expect(await defaultRoute()).toBeUndefined();
    expect(await h.accountWrites()).toEqual(['sns:Publish', 'sns:Publish']);
  }, 90_000);

  it('InvalidRoute.NotFound on ReplaceRoute: the tool re-reads, re-plans once, and the second ReplaceRoute lands', async () => {
    const gone = await routeToDeletedNat();
    h.proxy.addRule({
      operation: 'ec2:ReplaceRoute',
      kind: 'error',
      status: 400,
      code: 'InvalidRoute.NotFound',
      message: `no route with destination-cidr-block 0.0.0.0/0 in route table ${h.newTable()}`,
    });

    const run = await h.remediate();

    const nodegroup = endedWith(run, 0, ['replace-route:done', 'replace-instances:done', 'notify:done']);
    expect(nodegroup.actions[0]).toMatchObject({ target: seedNat(), before: `0.0.0.0/0 → ${gone} (active)` });
    // The refused call never reached moto; the re-plan (the route to the deleted NAT gateway is still
    // there, so it is a replace again) sent the second, which did.
    expect(h.faultsOf('ec2:ReplaceRoute')).toEqual(['error', undefined]);
    expect(h.faultsOf('ec2:CreateRoute')).toEqual([]);
    expect(await defaultRoute()).toMatchObject({ NatGatewayId: seedNat() });
    expect(await h.accountWrites()).toEqual([
      'ec2:ReplaceRoute',
      'autoscaling:TerminateInstanceInAutoScalingGroup',
      'sns:Publish',
    ]);
  });

  it('a CreateRoute whose answer is lost: the SDK retry meets RouteAlreadyExists, the action is done, one route', async () => {
    h.proxy.addRule({ operation: 'ec2:CreateRoute', kind: 'lose-response' });

    const run = await h.remediate();

    const nodegroup = endedWith(run, 0, FIXED);
    expect(nodegroup.actions[0]?.reasonCode).toBe('ALREADY_THERE');
    expect(await h.defaultRoutes()).toEqual([
      expect.objectContaining({ NatGatewayId: seedNat(), State: 'active' }),
    ]);
    const creates = (await recordedRequests(h.moto.endpoint, { includeRetries: true })).filter(
      (r) => r.action === 'ec2:CreateRoute',
    );
    // One SDK call, two attempts: both reached moto (the first one's answer was lost on the way back).
    expect(creates.map((r) => r.attempt)).toEqual([1, 2]);
    expect(new Set(creates.map((r) => r.invocationId)).size).toBe(1);
    expect(h.faultsOf('ec2:CreateRoute')).toEqual(['lose-response', undefined]);
  });

  it('a termination whose answer is lost, retried and told the instance is no longer managed (as Auto Scaling says), is done', async () => {
    const [unjoined = ''] = h.seed.nodegroups.new.instanceIds;
    h.proxy.addRule({ operation: 'autoscaling:TerminateInstanceInAutoScalingGroup', kind: 'lose-response' });
    // moto itself answers a second termination with HTTP 500 (next test); Auto Scaling answers this.
    h.proxy.addRule({
      operation: 'autoscaling:TerminateInstanceInAutoScalingGroup',
      kind: 'error',
      status: 400,
      code: 'ValidationError',
      message: `Instance Id not found - No managed instance found for instance ID: ${unjoined}`,
    });

    const run = await h.remediate();

    const nodegroup = endedWith(run, 0, FIXED);
    expect(replaceAction(nodegroup)).toMatchObject({ instanceIds: [unjoined] });
    expect(replaceAction(nodegroup).reasonCode).toBeUndefined();
    expect(['shutting-down', 'terminated']).toContain(await h.instanceState(unjoined));
    expect(h.faultsOf('autoscaling:TerminateInstanceInAutoScalingGroup')).toEqual(['lose-response', 'error']);
    expect(await h.accountWrites()).toEqual(FIXED_WRITES);
  });

  it("a termination whose answer is lost, on moto's own answers to the retries, is read back: done VERIFIED_AFTER_ERROR", async () => {
    const [unjoined = ''] = h.seed.nodegroups.new.instanceIds;
    h.proxy.addRule({ operation: 'autoscaling:TerminateInstanceInAutoScalingGroup', kind: 'lose-response' });

    const run = await h.remediate();

    const nodegroup = endedWith(run, 0, FIXED);
    expect(replaceAction(nodegroup)).toMatchObject({
      instanceIds: [unjoined],
      reasonCode: 'VERIFIED_AFTER_ERROR',
    });
    expect(['shutting-down', 'terminated']).toContain(await h.instanceState(unjoined));
    // moto fails a termination of an instance it no longer manages with HTTP 500 (an uncaught
    // StopIteration), which the SDK retries: six attempts in all (maxAttempts 6), then the read-back.
    expect(h.faultsOf('autoscaling:TerminateInstanceInAutoScalingGroup')).toEqual([
      'lose-response',
      ...Array<undefined>(5).fill(undefined),
    ]);
  });

  it('a publish that fails: exit 3 with the route written once; the next run resumes the record, publishes the alert with the undo and writes nothing more', async () => {
    h.proxy.addRule({
      operation: 'sns:Publish',
      kind: 'error',
      status: 403,
      code: 'AuthorizationError',
      message: 'User is not authorized to perform: SNS:Publish',
      times: 1,
    });

    const failed = await h.remediate();

    expect(failed.code).toBe(3);
    expect(failed.stderr).toContain('sns:Publish');
    expect(statusOf(nodegroupOf(failed.stdout).actions)).toEqual([
      'create-route:done',
      'replace-instances:done',
      'notify:failed',
    ]);
    expect(await h.accountWrites()).toEqual([
      'ec2:CreateRoute',
      'autoscaling:TerminateInstanceInAutoScalingGroup',
    ]);
    expect(await readAlerts(h.moto.endpoint, h.seed.queueUrl, { waitMs: 1500 })).toEqual([]);

    // Exit 1, not 0: with a join window of 0 the replacement is already judged, and it has not joined yet.
    const nodegroup = endedWith(await h.remediate(), 1, FIXED);
    expect(nodegroup.alertKind).toBe('remediated');
    expect(await h.accountWrites()).toEqual([...FIXED_WRITES]);
    const alerts = await readAlerts(h.moto.endpoint, h.seed.queueUrl, { waitMs: 5000 });
    expect(alerts.map(alertKindOf)).toEqual(['remediated']);
    const routeAction = (JSON.parse(alerts[0]?.message ?? '{}') as Report).nodegroups[0]?.actions[0];
    expect(routeAction?.undo).toBe(
      `aws ec2 delete-route --route-table-id ${h.newTable()} --destination-cidr-block 0.0.0.0/0 --region us-west-2`,
    );
    expect(await h.defaultRoutes()).toHaveLength(1);
  });
});
