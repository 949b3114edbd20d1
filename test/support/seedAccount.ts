/**
 * Builds the seed scenario (node-join-failure) in a moto server through the real AWS SDK v3
 * clients: a VPC whose new subnet's route table holds only the local route, so the nodegroup
 * `new_nodegroup_2` launches an instance that can never reach the cluster.
 */
import {
  AutoScalingClient,
  CreateAutoScalingGroupCommand,
  DescribeAutoScalingGroupsCommand,
} from '@aws-sdk/client-auto-scaling';
import {
  AllocateAddressCommand,
  AssociateRouteTableCommand,
  AttachInternetGatewayCommand,
  CreateInternetGatewayCommand,
  CreateLaunchTemplateCommand,
  CreateNatGatewayCommand,
  CreateRouteCommand,
  CreateRouteTableCommand,
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DescribeRouteTablesCommand,
  EC2Client,
  ModifySubnetAttributeCommand,
  ModifyVpcAttributeCommand,
  type ResourceType,
  type Tag,
  type TagSpecification,
} from '@aws-sdk/client-ec2';
import {
  CreateClusterCommand,
  CreateNodegroupCommand,
  DescribeNodegroupCommand,
  EKSClient,
} from '@aws-sdk/client-eks';
import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  SetQueueAttributesCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { harnessClientConfig, TEST_ACCOUNT_ID, TEST_REGION } from './motoServer.js';

export interface SeedOptions {
  /** desiredSize of new_nodegroup_2 and its Auto Scaling group (0..2). Default 1. */
  newNodegroupDesired?: number;
  /**
   * false: no Elastic IP and no NAT gateway in the VPC; the default nodegroup's route table then
   * holds only the local route too. Default true.
   */
  withNatGateway?: boolean;
  /** Extra tags on the cluster and on new_nodegroup_2 (e.g. the policy tag). */
  clusterTags?: Record<string, string>;
  newNodegroupTags?: Record<string, string>;
  /** The cluster endpoint's access. Defaults: public on, private off (the seed's cluster). */
  endpointPublicAccess?: boolean;
  endpointPrivateAccess?: boolean;
  /**
   * The public endpoint's allowed CIDR blocks. Default ['0.0.0.0/0']. A function receives the NAT
   * gateway's public IP (the cluster is created after the NAT gateway), to allow or leave it out.
   */
  publicAccessCidrs?: string[] | ((natPublicIp: string | undefined) => string[]);
  /** The region to build it in (moto keeps regions apart). Default TEST_REGION. */
  region?: string;
}

/** 'default' is the healthy nodegroup, 'new' is new_nodegroup_2 in the subnet without egress. */
export type SeedNodegroupKey = 'default' | 'new';

export interface SeedNodegroup {
  /** 'default' or 'new_nodegroup_2' */
  name: string;
  arn: string;
  subnetId: string;
  /** The subnet's explicitly associated route table. */
  routeTableId: string;
  /** Exactly describe-nodegroup's resources.autoScalingGroups[0].name. */
  autoScalingGroupName: string;
  launchTemplateName: string;
  launchTemplateId: string;
  desiredSize: number;
  /** Instances moto launched for the Auto Scaling group, in the nodegroup's subnet. */
  instanceIds: string[];
}

export interface SeedAccount {
  endpoint: string;
  region: string;
  accountId: string;
  availabilityZone: string;
  vpcId: string;
  vpcCidr: string;
  /** The VPC's main route table (moto creates it with the VPC; no subnet relies on it). */
  mainRouteTableId: string;
  internetGatewayId: string;
  publicSubnetId: string;
  publicRouteTableId: string;
  /** undefined when built with withNatGateway: false. */
  natGatewayId: string | undefined;
  natAllocationId: string | undefined;
  /** The NAT gateway's Elastic IP: where nodes of the private subnets come from on the internet. */
  natPublicIp: string | undefined;
  clusterName: string;
  clusterArn: string;
  /** Returned by describe-cluster as resourcesVpcConfig.clusterSecurityGroupId; on the nodes too. */
  clusterSecurityGroupId: string;
  nodegroups: Record<SeedNodegroupKey, SeedNodegroup>;
  topicArn: string;
  queueUrl: string;
  queueArn: string;
  subscriptionArn: string;
}

export const SEED = {
  clusterName: 'eks-workshop',
  vpcCidr: '10.42.0.0/16',
  availabilityZone: 'us-west-2a',
  publicSubnetCidr: '10.42.0.0/19',
  defaultSubnetCidr: '10.42.96.0/19',
  newSubnetCidr: '10.42.192.0/19',
  nodegroupNames: { default: 'default', new: 'new_nodegroup_2' } as Record<SeedNodegroupKey, string>,
  topicName: 'eks-join-alerts',
  queueName: 'eks-join-alerts-test',
  minSize: 0,
  maxSize: 2,
  /** Any id works: moto does not validate AMIs unless MOTO_ENABLE_AMI_VALIDATION is set. */
  imageId: 'ami-0eks0join0seed0001',
  instanceType: 't3.medium',
} as const;

const CLUSTER_ROLE_ARN = `arn:aws:iam::${TEST_ACCOUNT_ID}:role/eks-workshop-cluster-role`;
const NODE_ROLE_ARN = `arn:aws:iam::${TEST_ACCOUNT_ID}:role/eks-workshop-node-role`;

export async function buildSeedAccount(endpoint: string, options: SeedOptions = {}): Promise<SeedAccount> {
  const newDesired = options.newNodegroupDesired ?? 1;
  const withNat = options.withNatGateway ?? true;
  if (!Number.isInteger(newDesired) || newDesired < SEED.minSize || newDesired > SEED.maxSize) {
    throw new Error(`newNodegroupDesired must be an integer in ${SEED.minSize}..${SEED.maxSize}`);
  }

  const region = options.region ?? TEST_REGION;
  const config = { ...harnessClientConfig(endpoint), region };
  const ec2 = new EC2Client(config);
  const eks = new EKSClient(config);
  const autoScaling = new AutoScalingClient(config);
  const sns = new SNSClient(config);
  const sqs = new SQSClient(config);
  const az = region === TEST_REGION ? SEED.availabilityZone : `${region}a`;
  const cluster = SEED.clusterName;

  try {
    // --- network -------------------------------------------------------------------------------
    const vpc = await ec2.send(
      new CreateVpcCommand({ CidrBlock: SEED.vpcCidr, TagSpecifications: tagged('vpc', 'eks-workshop-vpc') }),
    );
    const vpcId = required(vpc.Vpc?.VpcId, 'CreateVpc VpcId');
    await ec2.send(new ModifyVpcAttributeCommand({ VpcId: vpcId, EnableDnsSupport: { Value: true } }));
    await ec2.send(new ModifyVpcAttributeCommand({ VpcId: vpcId, EnableDnsHostnames: { Value: true } }));
    const mainTables = await ec2.send(
      new DescribeRouteTablesCommand({
        Filters: [
          { Name: 'vpc-id', Values: [vpcId] },
          { Name: 'association.main', Values: ['true'] },
        ],
      }),
    );
    const mainRouteTableId = required(mainTables.RouteTables?.[0]?.RouteTableId, 'main route table');

    const igw = await ec2.send(
      new CreateInternetGatewayCommand({ TagSpecifications: tagged('internet-gateway', 'eks-workshop-igw') }),
    );
    const internetGatewayId = required(igw.InternetGateway?.InternetGatewayId, 'InternetGatewayId');
    await ec2.send(new AttachInternetGatewayCommand({ InternetGatewayId: internetGatewayId, VpcId: vpcId }));

    const subnet = async (cidr: string, name: string, extraTags: Tag[] = []) => {
      const created = await ec2.send(
        new CreateSubnetCommand({
          VpcId: vpcId,
          CidrBlock: cidr,
          AvailabilityZone: az,
          TagSpecifications: tagged('subnet', name, extraTags),
        }),
      );
      return required(created.Subnet?.SubnetId, `subnet ${cidr}`);
    };
    const routeTable = async (name: string, subnetId: string) => {
      const created = await ec2.send(
        new CreateRouteTableCommand({ VpcId: vpcId, TagSpecifications: tagged('route-table', name) }),
      );
      const routeTableId = required(created.RouteTable?.RouteTableId, `route table ${name}`);
      await ec2.send(new AssociateRouteTableCommand({ RouteTableId: routeTableId, SubnetId: subnetId }));
      return routeTableId;
    };

    const publicSubnetId = await subnet(SEED.publicSubnetCidr, 'eks-workshop-PublicSubnet1', [
      { Key: 'kubernetes.io/role/elb', Value: '1' },
    ]);
    await ec2.send(
      new ModifySubnetAttributeCommand({ SubnetId: publicSubnetId, MapPublicIpOnLaunch: { Value: true } }),
    );
    const publicRouteTableId = await routeTable('eks-workshop-PublicRouteTable', publicSubnetId);
    await ec2.send(
      new CreateRouteCommand({
        RouteTableId: publicRouteTableId,
        DestinationCidrBlock: '0.0.0.0/0',
        GatewayId: internetGatewayId,
      }),
    );

    let natGatewayId: string | undefined;
    let natAllocationId: string | undefined;
    let natPublicIp: string | undefined;
    if (withNat) {
      const eip = await ec2.send(
        new AllocateAddressCommand({
          Domain: 'vpc',
          TagSpecifications: tagged('elastic-ip', 'eks-workshop-nat-eip'),
        }),
      );
      natAllocationId = required(eip.AllocationId, 'AllocationId');
      natPublicIp = eip.PublicIp;
      const nat = await ec2.send(
        new CreateNatGatewayCommand({
          SubnetId: publicSubnetId,
          AllocationId: natAllocationId,
          ConnectivityType: 'public',
          TagSpecifications: tagged('natgateway', 'eks-workshop-nat'),
        }),
      );
      natGatewayId = required(nat.NatGateway?.NatGatewayId, 'NatGatewayId');
    }

    const defaultSubnetId = await subnet(SEED.defaultSubnetCidr, 'eks-workshop-PrivateSubnet1', [
      { Key: 'kubernetes.io/role/internal-elb', Value: '1' },
    ]);
    const defaultRouteTableId = await routeTable('eks-workshop-PrivateRouteTable1', defaultSubnetId);
    if (natGatewayId) {
      await ec2.send(
        new CreateRouteCommand({
          RouteTableId: defaultRouteTableId,
          DestinationCidrBlock: '0.0.0.0/0',
          NatGatewayId: natGatewayId,
        }),
      );
    }

    // Sam's new subnet: its own route table, and nothing in it but the local route.
    const newSubnetId = await subnet(SEED.newSubnetCidr, 'NewPrivateSubnet');
    const newRouteTableId = await routeTable('NewPrivateRouteTable', newSubnetId);

    // --- EKS -----------------------------------------------------------------------------------
    // The security group real EKS creates for the cluster and puts on managed nodes.
    const clusterSg = await ec2.send(
      new CreateSecurityGroupCommand({
        VpcId: vpcId,
        GroupName: `eks-cluster-sg-${cluster}-123456789`,
        Description:
          'EKS created security group applied to ENI that is attached to EKS Control Plane master nodes, as well as any managed workloads.',
      }),
    );
    const clusterSecurityGroupId = required(clusterSg.GroupId, 'cluster security group id');

    const createCluster = new CreateClusterCommand({
      name: cluster,
      version: '1.30',
      roleArn: CLUSTER_ROLE_ARN,
      resourcesVpcConfig: {
        subnetIds: [publicSubnetId, defaultSubnetId, newSubnetId],
        endpointPublicAccess: options.endpointPublicAccess ?? true,
        endpointPrivateAccess: options.endpointPrivateAccess ?? false,
        publicAccessCidrs:
          typeof options.publicAccessCidrs === 'function'
            ? options.publicAccessCidrs(natPublicIp)
            : (options.publicAccessCidrs ?? ['0.0.0.0/0']),
      },
      tags: { env: 'eks-workshop', ...options.clusterTags },
    });
    // Real EKS derives resourcesVpcConfig.vpcId (and a cluster security group) from the subnets;
    // moto echoes back whatever resourcesVpcConfig it was sent, so add them to the request body.
    addToResourcesVpcConfig(createCluster, { vpcId, clusterSecurityGroupId, securityGroupIds: [] });
    const createdCluster = await eks.send(createCluster);
    const clusterArn = required(createdCluster.cluster?.arn, 'cluster arn');

    const subnets: Record<SeedNodegroupKey, { subnetId: string; routeTableId: string; desired: number }> = {
      default: { subnetId: defaultSubnetId, routeTableId: defaultRouteTableId, desired: 1 },
      new: { subnetId: newSubnetId, routeTableId: newRouteTableId, desired: newDesired },
    };
    const nodegroups = {} as Record<SeedNodegroupKey, SeedNodegroup>;
    for (const key of ['default', 'new'] as const) {
      const { subnetId, routeTableId, desired } = subnets[key];
      nodegroups[key] = await createManagedNodegroup(
        { ec2, eks, autoScaling },
        {
          cluster,
          name: SEED.nodegroupNames[key],
          subnetId,
          routeTableId,
          desired,
          clusterSecurityGroupId,
          tags: key === 'new' ? options.newNodegroupTags : {},
        },
      );
    }

    // --- alerts: SNS topic -> SQS queue the tests read -----------------------------------------
    const topic = await sns.send(new CreateTopicCommand({ Name: SEED.topicName }));
    const topicArn = required(topic.TopicArn, 'TopicArn');
    const queue = await sqs.send(new CreateQueueCommand({ QueueName: SEED.queueName }));
    const queueUrl = required(queue.QueueUrl, 'QueueUrl');
    const attributes = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }),
    );
    const queueArn = required(attributes.Attributes?.QueueArn, 'QueueArn');
    await sqs.send(
      new SetQueueAttributesCommand({
        QueueUrl: queueUrl,
        Attributes: {
          Policy: JSON.stringify({
            Version: '2012-10-17',
            Statement: [
              {
                Sid: 'AllowTopic',
                Effect: 'Allow',
                Principal: { Service: 'sns.amazonaws.com' },
                Action: 'sqs:SendMessage',
                Resource: queueArn,
                Condition: { ArnEquals: { 'aws:SourceArn': topicArn } },
              },
            ],
          }),
        },
      }),
    );
    const subscription = await sns.send(
      new SubscribeCommand({
        TopicArn: topicArn,
        Protocol: 'sqs',
        Endpoint: queueArn,
        Attributes: { RawMessageDelivery: 'false' },
        ReturnSubscriptionArn: true,
      }),
    );
    const subscriptionArn = required(subscription.SubscriptionArn, 'SubscriptionArn');

    return {
      endpoint,
      region,
      accountId: TEST_ACCOUNT_ID,
      availabilityZone: az,
      vpcId,
      vpcCidr: SEED.vpcCidr,
      mainRouteTableId,
      internetGatewayId,
      publicSubnetId,
      publicRouteTableId,
      natGatewayId,
      natAllocationId,
      natPublicIp,
      clusterName: cluster,
      clusterArn,
      clusterSecurityGroupId,
      nodegroups,
      topicArn,
      queueUrl,
      queueArn,
      subscriptionArn,
    };
  } finally {
    for (const client of [ec2, eks, autoScaling, sns, sqs]) client.destroy();
  }
}

/** What a managed nodegroup needs in the seed's VPC. */
export interface ManagedNodegroupSpec {
  cluster: string;
  name: string;
  subnetId: string;
  routeTableId: string;
  desired: number;
  clusterSecurityGroupId: string;
  tags?: Record<string, string> | undefined;
}

/**
 * A managed nodegroup as EKS would have it: the nodegroup, its launch template and its Auto Scaling
 * group (moto models the nodegroup but not the group), with the group's instances launched.
 */
export async function createManagedNodegroup(
  { ec2, eks, autoScaling }: { ec2: EC2Client; eks: EKSClient; autoScaling: AutoScalingClient },
  spec: ManagedNodegroupSpec,
): Promise<SeedNodegroup> {
  const { cluster, name, subnetId, routeTableId, desired, clusterSecurityGroupId } = spec;
  await eks.send(
    new CreateNodegroupCommand({
      clusterName: cluster,
      nodegroupName: name,
      subnets: [subnetId],
      nodeRole: NODE_ROLE_ARN,
      scalingConfig: { minSize: SEED.minSize, maxSize: SEED.maxSize, desiredSize: desired },
      instanceTypes: [SEED.instanceType],
      capacityType: 'ON_DEMAND',
      amiType: 'AL2023_x86_64_STANDARD',
      labels: { 'eks.amazonaws.com/nodegroup': name },
      tags: { 'eks-workshop/nodegroup': name, ...spec.tags },
    }),
  );
  const described = await eks.send(
    new DescribeNodegroupCommand({ clusterName: cluster, nodegroupName: name }),
  );
  const autoScalingGroupName = required(
    described.nodegroup?.resources?.autoScalingGroups?.[0]?.name,
    `nodegroup ${name} resources.autoScalingGroups[0].name`,
  );

  // moto models the nodegroup but not its Auto Scaling group: create the one EKS would have.
  const launchTemplateName = `eks-${cluster}-${name}`;
  const template = await ec2.send(
    new CreateLaunchTemplateCommand({
      LaunchTemplateName: launchTemplateName,
      LaunchTemplateData: {
        ImageId: SEED.imageId,
        InstanceType: SEED.instanceType,
        SecurityGroupIds: [clusterSecurityGroupId],
      },
    }),
  );
  const launchTemplateId = required(template.LaunchTemplate?.LaunchTemplateId, 'LaunchTemplateId');
  const asgTags: Record<string, string> = {
    'eks:cluster-name': cluster,
    'eks:nodegroup-name': name,
    'k8s.io/cluster-autoscaler/enabled': 'true',
    [`k8s.io/cluster-autoscaler/${cluster}`]: 'owned',
    [`kubernetes.io/cluster/${cluster}`]: 'owned',
  };
  await autoScaling.send(
    new CreateAutoScalingGroupCommand({
      AutoScalingGroupName: autoScalingGroupName,
      LaunchTemplate: { LaunchTemplateName: launchTemplateName, Version: '$Latest' },
      MinSize: SEED.minSize,
      MaxSize: SEED.maxSize,
      DesiredCapacity: desired,
      VPCZoneIdentifier: subnetId,
      Tags: Object.entries(asgTags).map(([Key, Value]) => ({
        Key,
        Value,
        PropagateAtLaunch: true,
        ResourceId: autoScalingGroupName,
        ResourceType: 'auto-scaling-group',
      })),
    }),
  );
  const groups = await autoScaling.send(
    new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [autoScalingGroupName] }),
  );
  const instanceIds = (groups.AutoScalingGroups?.[0]?.Instances ?? [])
    .map((instance) => instance.InstanceId)
    .filter((id): id is string => Boolean(id))
    .sort();
  if (instanceIds.length !== desired) {
    throw new Error(
      `ASG ${autoScalingGroupName}: expected ${desired} instance(s), moto launched ${instanceIds.length}`,
    );
  }
  return {
    name,
    arn: required(described.nodegroup?.nodegroupArn, 'nodegroupArn'),
    subnetId,
    routeTableId,
    autoScalingGroupName,
    launchTemplateName,
    launchTemplateId,
    desiredSize: desired,
    instanceIds,
  };
}

/**
 * Merges fields into the serialized resourcesVpcConfig of one CreateCluster request. The SDK drops
 * members its model does not have for the request (vpcId is output-only), so this runs after
 * serialization, before signing.
 */
function addToResourcesVpcConfig(command: CreateClusterCommand, fields: Record<string, unknown>): void {
  command.middlewareStack.add(
    (next) => async (args) => {
      const request = args.request as { body?: unknown; headers?: Record<string, string> };
      // The JSON body is a string or, with the SDK's schema serde, a Uint8Array of UTF-8.
      const text =
        typeof request.body === 'string'
          ? request.body
          : request.body instanceof Uint8Array
            ? new TextDecoder().decode(request.body)
            : undefined;
      if (text === undefined) throw new Error('CreateCluster: unexpected request body type');
      const body = JSON.parse(text) as { resourcesVpcConfig?: Record<string, unknown> };
      body.resourcesVpcConfig = { ...body.resourcesVpcConfig, ...fields };
      const patched = JSON.stringify(body);
      request.body = patched;
      for (const header of Object.keys(request.headers ?? {})) {
        if (header.toLowerCase() === 'content-length' && request.headers) {
          request.headers[header] = String(Buffer.byteLength(patched));
        }
      }
      return next(args);
    },
    { step: 'build', name: 'seedResourcesVpcConfig', priority: 'low' },
  );
}

function tagged(resourceType: ResourceType, name: string, extra: Tag[] = []): TagSpecification[] {
  return [{ ResourceType: resourceType, Tags: [{ Key: 'Name', Value: name }, ...extra] }];
}

function required<T>(value: T | undefined | null, what: string): T {
  if (value === undefined || value === null) throw new Error(`moto returned no ${what}`);
  return value;
}
