/**
 * The seed as the SDK returns it, for handler tests on aws-sdk-client-mock: new_nodegroup_2 in a
 * subnet whose table holds only the local route, and a NAT gateway in a public subnet whose table
 * leads to the VPC's attached internet gateway. Any other Auto Scaling group is not a nodegroup's.
 */
import { DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import {
  type AttachmentStatus,
  DescribeInstancesCommand,
  DescribeInternetGatewaysCommand,
  DescribeNatGatewaysCommand,
  DescribeNetworkAclsCommand,
  DescribeRouteTablesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  DescribeVpcEndpointsCommand,
} from '@aws-sdk/client-ec2';
import { DescribeClusterCommand, DescribeNodegroupCommand } from '@aws-sdk/client-eks';
import { PublishCommand } from '@aws-sdk/client-sns';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { asgGroup, asgInstance } from './autoScalingGroups.js';
import type { SdkMocks } from './sdkMocks.js';

export const SEED_SDK = {
  topicArn: 'arn:aws:sns:us-west-2:123456789012:eks-join-alerts',
  group: 'eks-new_nodegroup_2-a6c9a1b2-3c4d-5e6f-7a8b-9c0d1e2f3a4b',
  subnetId: 'subnet-0e5e4b6c1d2a3f405',
  launchedAt: new Date('2026-11-26T09:00:00Z'),
  instanceIds: ['i-0a1b2c3d4e5f60718', 'i-0b2c3d4e5f6071829'],
} as const;

/** Answers the seed's reads; `launchTimes` overrides an instance's launch time (default SEED_SDK.launchedAt). */
export function answerSeed(
  { eks, autoScaling, ec2, sns, sts }: SdkMocks<'eks' | 'autoScaling' | 'ec2' | 'sns' | 'sts'>,
  launchTimes: Record<string, Date> = {},
): void {
  const { group, subnetId: SUBNET, launchedAt, instanceIds } = SEED_SDK;
  eks.on(DescribeClusterCommand).resolves({
    cluster: {
      name: 'eks-workshop',
      arn: 'arn:aws:eks:us-west-2:123456789012:cluster/eks-workshop',
      endpoint: 'https://ABCDEF.gr7.us-west-2.eks.amazonaws.com',
      certificateAuthority: { data: 'LS0tLS1CRUdJTi==' },
      resourcesVpcConfig: { vpcId: 'vpc-0a1b', endpointPublicAccess: true, publicAccessCidrs: ['0.0.0.0/0'] },
      tags: {},
    },
  });
  eks.on(DescribeNodegroupCommand).resolves({
    nodegroup: {
      nodegroupName: 'new_nodegroup_2',
      clusterName: 'eks-workshop',
      status: 'ACTIVE',
      subnets: [SUBNET],
      resources: { autoScalingGroups: [{ name: group }] },
      scalingConfig: { minSize: 0, maxSize: 2, desiredSize: 2 },
      health: { issues: [] },
      tags: {},
    },
  });
  autoScaling
    .on(DescribeAutoScalingGroupsCommand)
    .callsFake(({ AutoScalingGroupNames }: { AutoScalingGroupNames: string[] }) => ({
      AutoScalingGroups: AutoScalingGroupNames.map((name) =>
        name === group
          ? asgGroup(
              name,
              { 'eks:cluster-name': 'eks-workshop', 'eks:nodegroup-name': 'new_nodegroup_2' },
              instanceIds.map((id) => asgInstance(id)),
              { CreatedTime: launchedAt },
            )
          : asgGroup(name, { team: 'batch' }, [], { DesiredCapacity: 2, CreatedTime: launchedAt }),
      ),
    }));
  ec2.on(DescribeInstancesCommand).resolves({
    Reservations: [
      {
        Instances: instanceIds.map((id) => ({
          InstanceId: id,
          SubnetId: SUBNET,
          VpcId: 'vpc-0a1b',
          Placement: { AvailabilityZone: 'us-west-2a' },
          LaunchTime: launchTimes[id] ?? launchedAt,
          State: { Name: 'running', Code: 16 },
          PrivateIpAddress: '10.42.200.17',
        })),
      },
    ],
  });
  ec2.on(DescribeSubnetsCommand).resolves({
    Subnets: [
      { SubnetId: SUBNET, VpcId: 'vpc-0a1b', AvailabilityZone: 'us-west-2a', CidrBlock: '10.42.192.0/19' },
      {
        SubnetId: 'subnet-0pub',
        VpcId: 'vpc-0a1b',
        AvailabilityZone: 'us-west-2a',
        CidrBlock: '10.42.0.0/19',
      },
    ],
  });
  const local = {
    DestinationCidrBlock: '10.42.0.0/16',
    GatewayId: 'local',
    State: 'active' as const,
    Origin: 'CreateRouteTable' as const,
  };
  ec2.on(DescribeRouteTablesCommand).resolves({
    RouteTables: [
      {
        RouteTableId: 'rtb-0f1e2d3c4b5a69788',
        VpcId: 'vpc-0a1b',
        Associations: [{ SubnetId: SUBNET, Main: false, AssociationState: { State: 'associated' } }],
        Routes: [local],
      },
      {
        RouteTableId: 'rtb-0pub',
        VpcId: 'vpc-0a1b',
        Associations: [{ SubnetId: 'subnet-0pub', Main: false, AssociationState: { State: 'associated' } }],
        Routes: [
          local,
          {
            DestinationCidrBlock: '0.0.0.0/0',
            GatewayId: 'igw-0a1b2c3d',
            State: 'active',
            Origin: 'CreateRoute',
          },
        ],
      },
    ],
  });
  ec2.on(DescribeInternetGatewaysCommand).resolves({
    InternetGateways: [
      {
        InternetGatewayId: 'igw-0a1b2c3d',
        // EC2 answers "available" for an attached internet gateway, a value the SDK type lacks.
        Attachments: [{ VpcId: 'vpc-0a1b', State: 'available' as AttachmentStatus }],
      },
    ],
  });
  ec2.on(DescribeNatGatewaysCommand).resolves({
    NatGateways: [
      {
        NatGatewayId: 'nat-0123456789abcdef0',
        VpcId: 'vpc-0a1b',
        SubnetId: 'subnet-0pub',
        State: 'available',
        ConnectivityType: 'public',
      },
    ],
  });
  // The rest of the network read: nothing to add to the routing diagnosis here.
  ec2.on(DescribeVpcEndpointsCommand).resolves({ VpcEndpoints: [] });
  ec2.on(DescribeNetworkAclsCommand).resolves({ NetworkAcls: [] });
  ec2.on(DescribeSecurityGroupsCommand).resolves({ SecurityGroups: [] });
  sns.on(PublishCommand).resolves({ MessageId: 'sns-msg-1' });
  sts.on(GetCallerIdentityCommand).resolves({
    Account: '123456789012',
    Arn: 'arn:aws:sts::123456789012:assumed-role/eks-join-remediator/cli',
    UserId: 'AROAEXAMPLE:cli',
  });
}
