import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AutoScalingClient, DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import {
  AllocateAddressCommand,
  CreateNatGatewayCommand,
  CreateRouteCommand,
  CreateTransitGatewayCommand,
  DeleteNatGatewayCommand,
  DeleteRouteCommand,
  DescribeInstancesCommand,
  DescribeRouteTablesCommand,
  DisassociateRouteTableCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Action, NodegroupReport, Report, RouteAction } from '../../functions/core/model/types.js';
import { readAlerts } from '../support/alertQueue.js';
import { recordedActions, snapshotWritableState, startRecording } from '../support/awsWrites.js';
import { type KubernetesStub, startKubernetesStub } from '../support/kubernetesStub.js';
import { harnessClientConfig, type MotoServer, resetMoto, startMotoServer } from '../support/motoServer.js';
import { runCli } from '../support/runCli.js';
import { buildSeedAccount, type SeedAccount, type SeedOptions } from '../support/seedAccount.js';
import { createStateTable } from '../support/stateTable.js';

/**
 * Remediation on the seed, against moto: each test lays out a fresh account, runs the CLI as a person
 * (or the Lambda's configuration) would, and checks what was written, through moto's request log.
 */
let moto: MotoServer;
let stub: KubernetesStub;
let seed: SeedAccount;
let ec2: EC2Client;
let stateTable: string;

beforeAll(async () => {
  [moto, stub] = await Promise.all([startMotoServer(), startKubernetesStub({ clusterName: 'eks-workshop' })]);
  ec2 = new EC2Client(harnessClientConfig(moto.endpoint));
});

afterAll(async () => {
  await Promise.all([moto?.stop(), stub?.close()]);
});

async function freshAccount(options: SeedOptions = {}): Promise<void> {
  await resetMoto(moto.endpoint);
  seed = await buildSeedAccount(moto.endpoint, options);
  stateTable = await createStateTable(moto.endpoint);
  stub.setMode('ok');
  stub.setNodes(joined(seed.nodegroups.default.instanceIds, 'default'));
  await startRecording(moto.endpoint);
}

beforeEach(() => freshAccount());

function joined(instanceIds: string[], nodegroup: string) {
  return instanceIds.map((instanceId) => ({ instanceId, availabilityZone: 'us-west-2a', nodegroup }));
}

/** `check` with the Lambda's configuration: alerts to the seed topic, state in the table. */
function check(args: string[], env: Record<string, string> = {}) {
  return runCli(['check', '--cluster', 'eks-workshop', '--json', ...args], {
    ...moto.env,
    KUBERNETES_API_URL: stub.url,
    ALERT_TOPIC_ARN: seed.topicArn,
    STATE_TABLE: stateTable,
    JOIN_WINDOW_SECONDS: '0',
    ...env,
  });
}

const remediate = (args: string[] = [], env: Record<string, string> = {}) =>
  check(['--nodegroup', 'new_nodegroup_2', '--policy', 'remediate', ...args], env);

function nodegroupOf(stdout: string, name = 'new_nodegroup_2'): NodegroupReport {
  const report = JSON.parse(stdout) as Report;
  const found = report.nodegroups.find((n) => n.name === name);
  if (!found) throw new Error(`no ${name} in ${stdout}`);
  return found;
}

const statusOf = (actions: Action[]) => actions.map((a) => `${a.type}:${a.status}`);

/** Writes to the account (state-table traffic is the tool's own bookkeeping, not the customer's). */
async function accountWrites(): Promise<string[]> {
  const reads = /^[a-z0-9-]+:(Describe|List|Get)/;
  return (await recordedActions(moto.endpoint)).filter((a) => !reads.test(a) && !a.startsWith('dynamodb:'));
}

async function defaultRoute(routeTableId: string) {
  const { RouteTables } = await ec2.send(new DescribeRouteTablesCommand({ RouteTableIds: [routeTableId] }));
  return RouteTables?.[0]?.Routes?.find((r) => r.DestinationCidrBlock === '0.0.0.0/0');
}

async function groupInstances(name: string): Promise<string[]> {
  const asg = new AutoScalingClient(harnessClientConfig(moto.endpoint));
  const { AutoScalingGroups } = await asg.send(
    new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] }),
  );
  return (AutoScalingGroups?.[0]?.Instances ?? []).map((i) => i.InstanceId ?? '');
}

async function instanceState(instanceId: string): Promise<string | undefined> {
  const { Reservations } = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
  return Reservations?.[0]?.Instances?.[0]?.State?.Name;
}

describe('remediate on the seed account', () => {
  it('fixes the seed from a launch event through the Lambda handler (invoke), with the policy from POLICY', async () => {
    const event = JSON.parse(await readFile('events/asg-launch-successful.json', 'utf8'));
    event.detail.AutoScalingGroupName = seed.nodegroups.new.autoScalingGroupName;
    const file = join(await mkdtemp(join(tmpdir(), 'ejr-')), 'launch.json');
    await writeFile(file, JSON.stringify(event));

    const run = await runCli(['invoke', file], {
      ...moto.env,
      KUBERNETES_API_URL: stub.url,
      ALERT_TOPIC_ARN: seed.topicArn,
      STATE_TABLE: stateTable,
      JOIN_WINDOW_SECONDS: '0',
      POLICY: 'remediate',
    });

    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout).checks).toEqual([
      expect.objectContaining({
        nodegroup: 'new_nodegroup_2',
        findings: ['NO_DEFAULT_ROUTE', 'NODES_NOT_JOINED'],
        alerted: true,
      }),
    ]);
    expect(await accountWrites()).toEqual([
      'ec2:CreateRoute',
      'autoscaling:TerminateInstanceInAutoScalingGroup',
      'sns:Publish',
    ]);
  });

  it('adds the route to the same-zone NAT, replaces the unjoined instance, leaves default alone, and says so', async () => {
    const unjoined = seed.nodegroups.new.instanceIds[0] ?? '';
    const defaultBefore = await groupInstances(seed.nodegroups.default.autoScalingGroupName);

    const run = await remediate();

    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const nodegroup = nodegroupOf(run.stdout);
    expect(statusOf(nodegroup.actions)).toEqual([
      'create-route:done',
      'replace-instances:done',
      'notify:done',
    ]);
    expect(await defaultRoute(seed.nodegroups.new.routeTableId)).toMatchObject({
      NatGatewayId: seed.natGatewayId,
      State: 'active',
    });
    expect(await instanceState(unjoined)).not.toBe('running');
    const replacements = await groupInstances(seed.nodegroups.new.autoScalingGroupName);
    expect(replacements).toHaveLength(1);
    expect(replacements).not.toContain(unjoined);
    expect(await groupInstances(seed.nodegroups.default.autoScalingGroupName)).toEqual(defaultBefore);
    expect(await accountWrites()).toEqual([
      'ec2:CreateRoute',
      'autoscaling:TerminateInstanceInAutoScalingGroup',
      'sns:Publish',
    ]);

    const [alert] = await readAlerts(moto.endpoint, seed.queueUrl, { waitMs: 5000 });
    const alerted = JSON.parse(alert?.message ?? '{}') as Report;
    expect(alerted.nodegroups[0]).toMatchObject({ name: 'new_nodegroup_2', alertKind: 'remediated' });
    const routeAction = alerted.nodegroups[0]?.actions[0];
    expect(routeAction).toMatchObject({
      before: 'no 0.0.0.0/0 route',
      after: `0.0.0.0/0 → ${seed.natGatewayId} (active)`,
    });
    expect(routeAction?.undo).toContain(
      `aws ec2 delete-route --route-table-id ${seed.nodegroups.new.routeTableId}`,
    );
  });

  it('does nothing on a second run while the replacement is inside its window, then says resolved once it joins', async () => {
    await remediate();
    await readAlerts(moto.endpoint, seed.queueUrl, { waitMs: 3000 });
    await startRecording(moto.endpoint);

    const second = await remediate(['--join-window', '300']);
    expect(second.code).toBe(0);
    expect(nodegroupOf(second.stdout).actions).toEqual([]);
    expect(await accountWrites()).toEqual([]);

    // The stub admits the replacement, as the API server would once it can reach it.
    const [replacement] = await groupInstances(seed.nodegroups.new.autoScalingGroupName);
    stub.addNode({
      instanceId: replacement ?? '',
      availabilityZone: 'us-west-2a',
      nodegroup: 'new_nodegroup_2',
    });
    const third = await remediate();
    expect(third.code).toBe(0);
    expect(nodegroupOf(third.stdout)).toMatchObject({ alertKind: 'resolved', findings: [] });
    const fourth = await remediate();
    expect(nodegroupOf(fourth.stdout).alertKind).toBeUndefined();

    const alerts = await readAlerts(moto.endpoint, seed.queueUrl, { waitMs: 3000 });
    expect(alerts.map((a) => (JSON.parse(a.message) as Report).nodegroups[0]?.alertKind)).toEqual([
      'resolved',
    ]);
    expect(await accountWrites()).toEqual(['sns:Publish']);
  });

  it('escalates when the replacement does not join either', async () => {
    await remediate();
    const again = await remediate();
    expect(again.code).toBe(1);
    const nodegroup = nodegroupOf(again.stdout);
    expect(nodegroup.alertKind).toBe('escalation');
    expect(nodegroup.remediation?.status).toBe('escalated');
    expect(statusOf(nodegroup.actions)).toEqual(['replace-instances:skipped', 'notify:done']);
  });

  it('dry-run shows the same plan and writes nothing', async () => {
    const before = await snapshotWritableState(moto.endpoint, {
      vpcId: seed.vpcId,
      clusterName: seed.clusterName,
    });
    const run = await check(['--nodegroup', 'new_nodegroup_2', '--policy', 'dry-run']);
    expect(run.code).toBe(1);
    const nodegroup = nodegroupOf(run.stdout);
    expect(statusOf(nodegroup.actions)).toEqual([
      'create-route:planned',
      'replace-instances:planned',
      'notify:done',
    ]);
    expect(nodegroup.actions[0]).toMatchObject({
      resourceId: seed.nodegroups.new.routeTableId,
      target: seed.natGatewayId,
    });
    expect(await accountWrites()).toEqual(['sns:Publish']);
    expect(
      await snapshotWritableState(moto.endpoint, { vpcId: seed.vpcId, clusterName: seed.clusterName }),
    ).toEqual(before);
  });

  it('replaces a route to a deleted NAT gateway with an available one', async () => {
    const { AllocationId } = await ec2.send(new AllocateAddressCommand({ Domain: 'vpc' }));
    const { NatGateway } = await ec2.send(
      new CreateNatGatewayCommand({ SubnetId: seed.publicSubnetId, AllocationId }),
    );
    await ec2.send(new DeleteNatGatewayCommand({ NatGatewayId: seed.natGatewayId }));
    stub.setNodes([]);
    await startRecording(moto.endpoint);

    const run = await check(['--nodegroup', 'default', '--policy', 'remediate']);

    expect(run.code).toBe(0);
    const nodegroup = nodegroupOf(run.stdout, 'default');
    expect(nodegroup.findings[0]?.code).toBe('BLACKHOLE_DEFAULT_ROUTE');
    expect(nodegroup.actions[0]).toMatchObject({
      type: 'replace-route',
      status: 'done',
      target: NatGateway?.NatGatewayId,
    });
    expect(await defaultRoute(seed.nodegroups.default.routeTableId)).toMatchObject({
      NatGatewayId: NatGateway?.NatGatewayId,
    });
    expect(await accountWrites()).toEqual([
      'ec2:ReplaceRoute',
      'autoscaling:TerminateInstanceInAutoScalingGroup',
      'sns:Publish',
    ]);
  });

  it('refuses the VPC main route table unless told, then patches it when allowed', async () => {
    const { RouteTables } = await ec2.send(
      new DescribeRouteTablesCommand({ RouteTableIds: [seed.nodegroups.new.routeTableId] }),
    );
    const association = RouteTables?.[0]?.Associations?.find(
      (a) => a.SubnetId === seed.nodegroups.new.subnetId,
    );
    await ec2.send(
      new DisassociateRouteTableCommand({ AssociationId: association?.RouteTableAssociationId }),
    );
    await startRecording(moto.endpoint);

    const refused = await remediate();
    expect(refused.code).toBe(1);
    const nodegroup = nodegroupOf(refused.stdout);
    expect(nodegroup.findings[0]).toMatchObject({
      code: 'NO_DEFAULT_ROUTE',
      resourceId: seed.mainRouteTableId,
      routeTableSource: 'main',
    });
    expect(statusOf(nodegroup.actions)).toEqual([
      'create-route:skipped',
      'replace-instances:skipped',
      'notify:done',
    ]);
    expect(nodegroup.actions[0]?.reason).toContain('--allow-main-route-table');
    expect(await accountWrites()).toEqual(['sns:Publish']);

    const allowed = await remediate(['--allow-main-route-table']);
    expect(allowed.code).toBe(0);
    expect(await defaultRoute(seed.mainRouteTableId)).toMatchObject({ NatGatewayId: seed.natGatewayId });
  });

  it('leaves an active default route to a transit gateway alone and churns nothing', async () => {
    const { TransitGateway } = await ec2.send(new CreateTransitGatewayCommand({ Description: 'hub' }));
    await ec2.send(
      new CreateRouteCommand({
        RouteTableId: seed.nodegroups.new.routeTableId,
        DestinationCidrBlock: '0.0.0.0/0',
        TransitGatewayId: TransitGateway?.TransitGatewayId,
      }),
    );
    await startRecording(moto.endpoint);

    const run = await remediate();

    expect(run.code).toBe(1);
    const nodegroup = nodegroupOf(run.stdout);
    expect(nodegroup.findings.map((f) => f.code)).toEqual(['NODES_NOT_JOINED']);
    expect(statusOf(nodegroup.actions)).toEqual(['replace-instances:skipped', 'notify:done']);
    expect(await defaultRoute(seed.nodegroups.new.routeTableId)).toMatchObject({
      TransitGatewayId: TransitGateway?.TransitGatewayId,
    });
    expect(await accountWrites()).toEqual(['sns:Publish']);
  });

  it('writes nothing without any NAT gateway and tells a person what to create', async () => {
    await freshAccount({ withNatGateway: false });
    const run = await remediate();
    expect(run.code).toBe(1);
    const nodegroup = nodegroupOf(run.stdout);
    expect(statusOf(nodegroup.actions)).toEqual([
      'create-route:skipped',
      'replace-instances:skipped',
      'notify:done',
    ]);
    expect(nodegroup.actions[0]).toMatchObject({ reasonCode: 'NO_USABLE_NAT' });
    expect((nodegroup.actions[0] as RouteAction).manualFix).toContain('aws ec2 create-nat-gateway');
    expect(await accountWrites()).toEqual(['sns:Publish']);
  });

  it('lets the nodegroup tag beat the account default', async () => {
    await freshAccount({ newNodegroupTags: { 'eks-join-remediator/policy': 'remediate' } });
    const run = await check([], { POLICY: 'notify' });
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as Report;
    expect(report.nodegroups.map((n) => [n.name, n.policy])).toEqual([
      ['default', 'notify'],
      ['new_nodegroup_2', 'remediate'],
    ]);
    expect(await accountWrites()).toEqual([
      'ec2:CreateRoute',
      'autoscaling:TerminateInstanceInAutoScalingGroup',
      'sns:Publish',
    ]);
  });

  it('stops after two remediations in the window and escalates instead', async () => {
    for (let n = 0; n < 2; n++) {
      const run = await remediate();
      expect(nodegroupOf(run.stdout).actions[0]).toMatchObject({ type: 'create-route', status: 'done' });
      // Someone keeps taking the route away.
      await ec2.send(
        new DeleteRouteCommand({
          RouteTableId: seed.nodegroups.new.routeTableId,
          DestinationCidrBlock: '0.0.0.0/0',
        }),
      );
    }
    await readAlerts(moto.endpoint, seed.queueUrl, { waitMs: 3000, min: 2 });
    await startRecording(moto.endpoint);

    const guarded = await remediate();

    const nodegroup = nodegroupOf(guarded.stdout);
    expect(guarded.code, guarded.stdout).toBe(1);
    expect(nodegroup.alertKind).toBe('escalation');
    expect(nodegroup.actions[0]?.reason).toMatch(/^loop guard: 2 remediation\(s\)/);
    expect(await accountWrites()).toEqual(['sns:Publish']);
  });

  it('acts once when two runs race: one route, one termination, one alert about it', async () => {
    // A window the unjoined instance is past but the replacement is not, so neither run judges the
    // replacement: the race is about the one problem.
    await new Promise((resolve) => setTimeout(resolve, 4_500));
    const window = { JOIN_WINDOW_SECONDS: '4' };
    const runs = await Promise.all([remediate([], window), remediate([], window)]);
    expect(runs.map((r) => r.stderr)).toEqual(['', '']);
    const writes = await accountWrites();
    expect(writes.filter((w) => w === 'ec2:CreateRoute').length).toBeLessThanOrEqual(2);
    expect(writes.filter((w) => w === 'autoscaling:TerminateInstanceInAutoScalingGroup')).toHaveLength(1);
    const alerts = await readAlerts(moto.endpoint, seed.queueUrl, { waitMs: 3000 });
    expect(alerts.map((a) => (JSON.parse(a.message) as Report).nodegroups[0]?.alertKind)).toEqual([
      'remediated',
    ]);
    const { RouteTables } = await ec2.send(
      new DescribeRouteTablesCommand({ RouteTableIds: [seed.nodegroups.new.routeTableId] }),
    );
    expect(RouteTables?.[0]?.Routes?.filter((r) => r.DestinationCidrBlock === '0.0.0.0/0')).toHaveLength(1);
  });
});
