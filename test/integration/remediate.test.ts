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
  DescribeRouteTablesCommand,
  DisassociateRouteTableCommand,
} from '@aws-sdk/client-ec2';
import { describe, expect, it } from 'vitest';
import type { Report, RouteAction } from '../../functions/core/model/types.js';
import { alertKindOf, readAlerts } from '../support/alertQueue.js';
import { snapshotWritableState, startRecording } from '../support/awsWrites.js';
import { harnessClientConfig } from '../support/motoServer.js';
import {
  ALERT_ONLY,
  endedWith,
  FIXED,
  FIXED_WRITES,
  nodegroupOf,
  useRemediationHarness,
} from '../support/remediationHarness.js';
import { runCli } from '../support/runCli.js';

/**
 * Remediation on the seed, against moto: each test lays out a fresh account, runs the CLI as a person
 * (or the Lambda's configuration) would, and checks what was written, through moto's request log.
 */
const h = useRemediationHarness();

/** new_nodegroup_2's 0.0.0.0/0 route, or that of another table, as moto has it. */
const defaultRoute = async (routeTableId?: string) => (await h.defaultRoutes(routeTableId))[0];

async function groupInstances(name: string): Promise<string[]> {
  const asg = new AutoScalingClient(harnessClientConfig(h.moto.endpoint));
  const { AutoScalingGroups } = await asg.send(
    new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] }),
  );
  return (AutoScalingGroups?.[0]?.Instances ?? []).map((i) => i.InstanceId ?? '');
}

describe('remediate on the seed account', () => {
  it('fixes the seed from a launch event through the Lambda handler (invoke), with the policy from POLICY', async () => {
    const event = JSON.parse(await readFile('events/asg-launch-successful.json', 'utf8'));
    event.detail.AutoScalingGroupName = h.seed.nodegroups.new.autoScalingGroupName;
    const file = join(await mkdtemp(join(tmpdir(), 'ejr-')), 'launch.json');
    await writeFile(file, JSON.stringify(event));

    const run = await runCli(['invoke', file], {
      ...h.moto.env,
      KUBERNETES_API_URL: h.stub.url,
      ALERT_TOPIC_ARN: h.seed.topicArn,
      STATE_TABLE: h.stateTable,
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
    expect(await h.accountWrites()).toEqual(FIXED_WRITES);
  });

  it('adds the route to the same-zone NAT, replaces the unjoined instance, leaves default alone, and says so', async () => {
    const unjoined = h.seed.nodegroups.new.instanceIds[0] ?? '';
    const defaultBefore = await groupInstances(h.seed.nodegroups.default.autoScalingGroupName);

    const run = await h.remediate();

    endedWith(run, 0, FIXED);
    expect(await defaultRoute()).toMatchObject({
      NatGatewayId: h.seed.natGatewayId,
      State: 'active',
    });
    expect(await h.instanceState(unjoined)).not.toBe('running');
    const replacements = await groupInstances(h.seed.nodegroups.new.autoScalingGroupName);
    expect(replacements).toHaveLength(1);
    expect(replacements).not.toContain(unjoined);
    expect(await groupInstances(h.seed.nodegroups.default.autoScalingGroupName)).toEqual(defaultBefore);
    expect(await h.accountWrites()).toEqual(FIXED_WRITES);

    const [alert] = await readAlerts(h.moto.endpoint, h.seed.queueUrl, { waitMs: 5000 });
    const alerted = JSON.parse(alert?.message ?? '{}') as Report;
    expect(alerted.nodegroups[0]).toMatchObject({ name: 'new_nodegroup_2', alertKind: 'remediated' });
    const routeAction = alerted.nodegroups[0]?.actions[0];
    expect(routeAction).toMatchObject({
      before: 'no 0.0.0.0/0 route',
      after: `0.0.0.0/0 → ${h.seed.natGatewayId} (active)`,
    });
    expect(routeAction?.undo).toContain(`aws ec2 delete-route --route-table-id ${h.newTable()}`);
  });

  it('does nothing on a second run while the replacement is inside its window, then says resolved once it joins', async () => {
    await h.remediate();
    await readAlerts(h.moto.endpoint, h.seed.queueUrl, { waitMs: 3000 });
    await startRecording(h.moto.endpoint);

    const second = await h.remediate(['--join-window', '300']);
    expect(second.code).toBe(0);
    expect(nodegroupOf(second.stdout).actions).toEqual([]);
    expect(await h.accountWrites()).toEqual([]);

    // The stub admits the replacement, as the API server would once it can reach it.
    const [replacement] = await groupInstances(h.seed.nodegroups.new.autoScalingGroupName);
    h.stub.addNode({
      instanceId: replacement ?? '',
      availabilityZone: 'us-west-2a',
      nodegroup: 'new_nodegroup_2',
    });
    const third = await h.remediate();
    expect(third.code).toBe(0);
    expect(nodegroupOf(third.stdout)).toMatchObject({ alertKind: 'resolved', findings: [] });
    const fourth = await h.remediate();
    expect(nodegroupOf(fourth.stdout).alertKind).toBeUndefined();

    const alerts = await readAlerts(h.moto.endpoint, h.seed.queueUrl, { waitMs: 3000 });
    expect(alerts.map(alertKindOf)).toEqual(['resolved']);
    expect(await h.accountWrites()).toEqual(ALERT_ONLY);
  });

  it('escalates when the replacement does not join either', async () => {
    await h.remediate();
    const again = await h.remediate();
    const nodegroup = endedWith(again, 1, ['replace-instances:skipped', 'notify:done']);
    expect(nodegroup.alertKind).toBe('escalation');
    expect(nodegroup.remediation?.status).toBe('escalated');
  });

  it('dry-run shows the same plan and writes nothing', async () => {
    const before = await snapshotWritableState(h.moto.endpoint, {
      vpcId: h.seed.vpcId,
      clusterName: h.seed.clusterName,
    });
    const run = await h.check(['--nodegroup', 'new_nodegroup_2', '--policy', 'dry-run']);
    const nodegroup = endedWith(run, 1, ['create-route:planned', 'replace-instances:planned', 'notify:done']);
    expect(nodegroup.actions[0]).toMatchObject({
      resourceId: h.newTable(),
      target: h.seed.natGatewayId,
    });
    expect(await h.accountWrites()).toEqual(ALERT_ONLY);
    expect(
      await snapshotWritableState(h.moto.endpoint, { vpcId: h.seed.vpcId, clusterName: h.seed.clusterName }),
    ).toEqual(before);
  });

  it('replaces a route to a deleted NAT gateway with an available one', async () => {
    const { AllocationId } = await h.ec2.send(new AllocateAddressCommand({ Domain: 'vpc' }));
    const { NatGateway } = await h.ec2.send(
      new CreateNatGatewayCommand({ SubnetId: h.seed.publicSubnetId, AllocationId }),
    );
    await h.ec2.send(new DeleteNatGatewayCommand({ NatGatewayId: h.seed.natGatewayId }));
    h.stub.setNodes([]);
    await startRecording(h.moto.endpoint);

    const run = await h.check(['--nodegroup', 'default', '--policy', 'remediate']);

    expect(run.code).toBe(0);
    const nodegroup = nodegroupOf(run.stdout, 'default');
    expect(nodegroup.findings[0]?.code).toBe('BLACKHOLE_DEFAULT_ROUTE');
    expect(nodegroup.actions[0]).toMatchObject({
      type: 'replace-route',
      status: 'done',
      target: NatGateway?.NatGatewayId,
    });
    expect(await defaultRoute(h.seed.nodegroups.default.routeTableId)).toMatchObject({
      NatGatewayId: NatGateway?.NatGatewayId,
    });
    expect(await h.accountWrites()).toEqual([
      'ec2:ReplaceRoute',
      'autoscaling:TerminateInstanceInAutoScalingGroup',
      'sns:Publish',
    ]);
  });

  it('refuses the VPC main route table unless told, then patches it when allowed', async () => {
    const { RouteTables } = await h.ec2.send(
      new DescribeRouteTablesCommand({ RouteTableIds: [h.newTable()] }),
    );
    const association = RouteTables?.[0]?.Associations?.find(
      (a) => a.SubnetId === h.seed.nodegroups.new.subnetId,
    );
    await h.ec2.send(
      new DisassociateRouteTableCommand({ AssociationId: association?.RouteTableAssociationId }),
    );
    await startRecording(h.moto.endpoint);

    const refused = await h.remediate();
    const nodegroup = endedWith(refused, 1, [
      'create-route:skipped',
      'replace-instances:skipped',
      'notify:done',
    ]);
    expect(nodegroup.findings[0]).toMatchObject({
      code: 'NO_DEFAULT_ROUTE',
      resourceId: h.seed.mainRouteTableId,
      routeTableSource: 'main',
    });
    expect(nodegroup.actions[0]?.reason).toContain('--allow-main-route-table');
    expect(await h.accountWrites()).toEqual(ALERT_ONLY);

    const allowed = await h.remediate(['--allow-main-route-table']);
    expect(allowed.code).toBe(0);
    expect(await defaultRoute(h.seed.mainRouteTableId)).toMatchObject({ NatGatewayId: h.seed.natGatewayId });
  });

  it('leaves an active default route to a transit gateway alone and churns nothing', async () => {
    const { TransitGateway } = await h.ec2.send(new CreateTransitGatewayCommand({ Description: 'hub' }));
    await h.ec2.send(
      new CreateRouteCommand({
        RouteTableId: h.newTable(),
        DestinationCidrBlock: '0.0.0.0/0',
        TransitGatewayId: TransitGateway?.TransitGatewayId,
      }),
    );
    await startRecording(h.moto.endpoint);

    const run = await h.remediate();

    const nodegroup = endedWith(run, 1, ['replace-instances:skipped', 'notify:done']);
    expect(nodegroup.findings.map((f) => f.code)).toEqual(['NODES_NOT_JOINED']);
    expect(await defaultRoute()).toMatchObject({
      TransitGatewayId: TransitGateway?.TransitGatewayId,
    });
    expect(await h.accountWrites()).toEqual(ALERT_ONLY);
  });

  it('writes nothing without any NAT gateway and tells a person what to create', async () => {
    await h.freshAccount({ withNatGateway: false });
    const run = await h.remediate();
    const nodegroup = endedWith(run, 1, ['create-route:skipped', 'replace-instances:skipped', 'notify:done']);
    expect(nodegroup.actions[0]).toMatchObject({ reasonCode: 'NO_USABLE_NAT' });
    expect((nodegroup.actions[0] as RouteAction).manualFix).toContain('aws ec2 create-nat-gateway');
    expect(await h.accountWrites()).toEqual(ALERT_ONLY);
  });

  it('lets the nodegroup tag beat the account default', async () => {
    await h.freshAccount({ newNodegroupTags: { 'eks-join-remediator/policy': 'remediate' } });
    const run = await h.check([], { POLICY: 'notify' });
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as Report;
    expect(report.nodegroups.map((n) => [n.name, n.policy])).toEqual([
      ['default', 'notify'],
      ['new_nodegroup_2', 'remediate'],
    ]);
    expect(await h.accountWrites()).toEqual(FIXED_WRITES);
  });

  it('stops after two remediations in the window and escalates instead', async () => {
    for (let n = 0; n < 2; n++) {
      const run = await h.remediate();
      expect(nodegroupOf(run.stdout).actions[0]).toMatchObject({ type: 'create-route', status: 'done' });
      // Someone keeps taking the route away.
      await h.ec2.send(
        new DeleteRouteCommand({
          RouteTableId: h.newTable(),
          DestinationCidrBlock: '0.0.0.0/0',
        }),
      );
    }
    await readAlerts(h.moto.endpoint, h.seed.queueUrl, { waitMs: 3000, min: 2 });
    await startRecording(h.moto.endpoint);

    const guarded = await h.remediate();

    const nodegroup = nodegroupOf(guarded.stdout);
    expect(guarded.code, guarded.stdout).toBe(1);
    expect(nodegroup.alertKind).toBe('escalation');
    expect(nodegroup.actions[0]?.reason).toMatch(/^loop guard: 2 remediation\(s\)/);
    expect(await h.accountWrites()).toEqual(ALERT_ONLY);
  });

  it('acts once when two runs race: one route, one termination, one alert about it', async () => {
    // A window the unjoined instance is past but the replacement is not, so neither run judges the
    // replacement: the race is about the one problem.
    await new Promise((resolve) => setTimeout(resolve, 4_500));
    const window = { JOIN_WINDOW_SECONDS: '4' };
    const runs = await Promise.all([h.remediate([], window), h.remediate([], window)]);
    expect(runs.map((r) => r.stderr)).toEqual(['', '']);
    const writes = await h.accountWrites();
    expect(writes.filter((w) => w === 'ec2:CreateRoute').length).toBeLessThanOrEqual(2);
    expect(writes.filter((w) => w === 'autoscaling:TerminateInstanceInAutoScalingGroup')).toHaveLength(1);
    const alerts = await readAlerts(h.moto.endpoint, h.seed.queueUrl, { waitMs: 3000 });
    expect(alerts.map(alertKindOf)).toEqual(['remediated']);
    const { RouteTables } = await h.ec2.send(
      new DescribeRouteTablesCommand({ RouteTableIds: [h.newTable()] }),
    );
    expect(RouteTables?.[0]?.Routes?.filter((r) => r.DestinationCidrBlock === '0.0.0.0/0')).toHaveLength(1);
  });
});
