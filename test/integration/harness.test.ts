import { AutoScalingClient, DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import {
  DescribeInstancesCommand,
  DescribeNatGatewaysCommand,
  DescribeRouteTablesCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import { DescribeClusterCommand, DescribeNodegroupCommand, EKSClient } from '@aws-sdk/client-eks';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readAlerts } from '../support/alertQueue.js';
import {
  nonReadActions,
  recordedActions,
  snapshotWritableState,
  startRecording,
  stopRecording,
} from '../support/awsWrites.js';
import { type MotoServer, resetMoto, startMotoServer, toolClientConfig } from '../support/motoServer.js';
import { buildSeedAccount, type SeedAccount } from '../support/seedAccount.js';

const HOOK_TIMEOUT_MS = 60_000;
/** Tests that wait on the queue or rebuild the seed: above vitest's 5 s default. */
const TEST_TIMEOUT_MS = 20_000;

/** The code under test builds its clients from the environment; these do the same, untagged. */
function toolLikeClients(server: MotoServer) {
  const config = toolClientConfig(server.env);
  return {
    ec2: new EC2Client(config),
    eks: new EKSClient(config),
    autoScaling: new AutoScalingClient(config),
    sns: new SNSClient(config),
  };
}

describe('integration harness: moto + the seed account', () => {
  let server: MotoServer;
  let seed: SeedAccount;
  let clients: ReturnType<typeof toolLikeClients>;

  beforeAll(async () => {
    const started = Date.now();
    server = await startMotoServer();
    const seeding = Date.now();
    seed = await buildSeedAccount(server.endpoint);
    console.info(
      `moto startup ${seeding - started} ms, seed build ${Date.now() - seeding} ms (${server.endpoint})`,
    );
    clients = toolLikeClients(server);
  }, HOOK_TIMEOUT_MS);

  afterAll(async () => {
    for (const client of Object.values(clients ?? {})) client.destroy();
    await server?.stop();
  }, HOOK_TIMEOUT_MS);

  it('points the SDK environment at a private loopback moto', () => {
    expect(server.env).toMatchObject({
      AWS_ENDPOINT_URL: server.endpoint,
      AWS_REGION: 'us-west-2',
      AWS_DEFAULT_REGION: 'us-west-2',
      AWS_ACCESS_KEY_ID: 'testing',
    });
    expect(server.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it("gives the new subnet's route table only the local route", async () => {
    const { RouteTables } = await clients.ec2.send(
      new DescribeRouteTablesCommand({
        Filters: [{ Name: 'association.subnet-id', Values: [seed.nodegroups.new.subnetId] }],
      }),
    );
    expect(RouteTables?.map((table) => table.RouteTableId)).toEqual([seed.nodegroups.new.routeTableId]);
    expect(RouteTables?.[0]?.Routes).toEqual([
      {
        DestinationCidrBlock: '10.42.0.0/16',
        GatewayId: 'local',
        Origin: 'CreateRouteTable',
        State: 'active',
      },
    ]);
  });

  it("routes the default nodegroup's subnet to the internet through an available NAT gateway", async () => {
    const { RouteTables } = await clients.ec2.send(
      new DescribeRouteTablesCommand({
        Filters: [{ Name: 'association.subnet-id', Values: [seed.nodegroups.default.subnetId] }],
      }),
    );
    expect(RouteTables?.map((table) => table.RouteTableId)).toEqual([seed.nodegroups.default.routeTableId]);
    expect(RouteTables?.[0]?.Routes).toContainEqual(
      expect.objectContaining({
        DestinationCidrBlock: '0.0.0.0/0',
        NatGatewayId: seed.natGatewayId,
        State: 'active',
      }),
    );

    const { NatGateways } = await clients.ec2.send(
      new DescribeNatGatewaysCommand({ NatGatewayIds: [seed.natGatewayId as string] }),
    );
    expect(NatGateways?.[0]).toMatchObject({
      State: 'available',
      SubnetId: seed.publicSubnetId,
      VpcId: seed.vpcId,
    });
    expect(NatGateways?.[0]?.NatGatewayAddresses?.[0]?.AllocationId).toBe(seed.natAllocationId);

    const publicTables = await clients.ec2.send(
      new DescribeRouteTablesCommand({ RouteTableIds: [seed.publicRouteTableId] }),
    );
    expect(publicTables.RouteTables?.[0]?.Routes).toContainEqual(
      expect.objectContaining({ DestinationCidrBlock: '0.0.0.0/0', GatewayId: seed.internetGatewayId }),
    );
  });

  it('describes the cluster with its VPC, like real EKS', async () => {
    const { cluster } = await clients.eks.send(new DescribeClusterCommand({ name: 'eks-workshop' }));
    expect(cluster?.status).toBe('ACTIVE');
    expect(cluster?.resourcesVpcConfig?.vpcId).toBe(seed.vpcId);
    expect(cluster?.resourcesVpcConfig?.subnetIds).toEqual(
      expect.arrayContaining([seed.nodegroups.default.subnetId, seed.nodegroups.new.subnetId]),
    );
  });

  for (const key of ['default', 'new'] as const) {
    it(`gives nodegroup ${key === 'new' ? 'new_nodegroup_2' : 'default'} an ASG with one running instance in its subnet`, async () => {
      const expected = seed.nodegroups[key];
      const { nodegroup } = await clients.eks.send(
        new DescribeNodegroupCommand({ clusterName: 'eks-workshop', nodegroupName: expected.name }),
      );
      expect(nodegroup).toMatchObject({
        status: 'ACTIVE',
        subnets: [expected.subnetId],
        scalingConfig: { minSize: 0, maxSize: 2, desiredSize: 1 },
      });
      const asgName = nodegroup?.resources?.autoScalingGroups?.[0]?.name;
      expect(asgName).toBe(expected.autoScalingGroupName);

      const { AutoScalingGroups } = await clients.autoScaling.send(
        new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [asgName as string] }),
      );
      const group = AutoScalingGroups?.[0];
      expect(group).toMatchObject({
        DesiredCapacity: 1,
        MinSize: 0,
        MaxSize: 2,
        VPCZoneIdentifier: expected.subnetId,
      });
      expect(group?.Tags).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ Key: 'eks:cluster-name', Value: 'eks-workshop' }),
          expect.objectContaining({ Key: 'eks:nodegroup-name', Value: expected.name }),
          expect.objectContaining({ Key: 'kubernetes.io/cluster/eks-workshop', Value: 'owned' }),
        ]),
      );
      const instanceIds = group?.Instances?.map((instance) => instance.InstanceId);
      expect(instanceIds).toEqual(expected.instanceIds);
      expect(instanceIds).toHaveLength(1);

      const { Reservations } = await clients.ec2.send(
        new DescribeInstancesCommand({ InstanceIds: expected.instanceIds }),
      );
      const instance = Reservations?.[0]?.Instances?.[0];
      expect(instance).toMatchObject({
        State: { Name: 'running' },
        SubnetId: expected.subnetId,
        VpcId: seed.vpcId,
      });
      expect(instance?.Tags).toContainEqual({ Key: 'aws:autoscaling:groupName', Value: asgName });
    });
  }

  it(
    'delivers what is published to the alert topic to the queue',
    async () => {
      await clients.sns.send(
        new PublishCommand({
          TopicArn: seed.topicArn,
          Subject: 'EKS nodes not joining: new_nodegroup_2',
          Message: JSON.stringify({
            default: 'plain text',
            sqs: JSON.stringify({ cluster: 'eks-workshop' }),
          }),
          MessageStructure: 'json',
          MessageAttributes: { severity: { DataType: 'String', StringValue: 'critical' } },
        }),
      );
      const alerts = await readAlerts(server.endpoint, seed.queueUrl, { waitMs: 5_000 });
      expect(alerts).toHaveLength(1);
      expect(alerts[0]).toMatchObject({
        topicArn: seed.topicArn,
        subject: 'EKS nodes not joining: new_nodegroup_2',
        message: JSON.stringify({ cluster: 'eks-workshop' }),
        messageJson: { cluster: 'eks-workshop' },
        messageAttributes: { severity: { type: 'String', value: 'critical' } },
      });
      // Read messages are deleted: nothing is left for the next read.
      expect(await readAlerts(server.endpoint, seed.queueUrl, { waitMs: 300 })).toEqual([]);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'records the calls made by non-harness clients, and snapshots compare equal when nothing was written',
    async () => {
      const before = await snapshotWritableState(server.endpoint, seed);
      await startRecording(server.endpoint);
      await clients.eks.send(
        new DescribeNodegroupCommand({ clusterName: 'eks-workshop', nodegroupName: 'new_nodegroup_2' }),
      );
      await clients.ec2.send(
        new DescribeRouteTablesCommand({ RouteTableIds: [seed.nodegroups.new.routeTableId] }),
      );
      await clients.sns.send(new PublishCommand({ TopicArn: seed.topicArn, Message: 'hello' }));
      await readAlerts(server.endpoint, seed.queueUrl, { waitMs: 2_000 });
      const after = await snapshotWritableState(server.endpoint, seed);
      await stopRecording(server.endpoint);

      const actions = await recordedActions(server.endpoint);
      expect(actions).toEqual(['eks:DescribeNodegroup', 'ec2:DescribeRouteTables', 'sns:Publish']);
      expect(nonReadActions(actions)).toEqual(['sns:Publish']);
      const withHarness = await recordedActions(server.endpoint, { includeHarness: true });
      expect(withHarness).toEqual(expect.arrayContaining(['sqs:ReceiveMessage', 'sqs:DeleteMessageBatch']));
      expect(after).toEqual(before);
      expect(before.nodegroups.map((nodegroup) => nodegroup.scalingConfig.desiredSize)).toEqual([1, 1]);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'resets moto and rebuilds a variant of the scenario without a restart',
    async () => {
      await resetMoto(server.endpoint);
      const variant = await buildSeedAccount(server.endpoint, {
        newNodegroupDesired: 2,
        withNatGateway: false,
      });
      expect(variant.natGatewayId).toBeUndefined();
      expect(variant.nodegroups.new.instanceIds).toHaveLength(2);
      const state = await snapshotWritableState(server.endpoint, variant);
      expect(state.natGateways).toEqual([]);
      expect(
        state.routeTables.find((table) => table.routeTableId === variant.nodegroups.default.routeTableId)
          ?.routes,
      ).toEqual(['10.42.0.0/16 -> local (active)']);
      expect(state.instances).toHaveLength(3);
    },
    TEST_TIMEOUT_MS,
  );
});
