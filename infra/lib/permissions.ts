import { ArnFormat, type Stack } from 'aws-cdk-lib';
import { Effect, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { MANAGED_TAG } from '../../functions/core/model/settings.js';
import { watchedCluster } from '../../functions/core/model/watchedClusters.js';
import { clustersOf, type DeploymentConfig, grantsWrites } from '../config.js';

/**
 * The function's own IAM statements, apart from the grants on the stack's own resources (topic, key,
 * table, queue, log group). Reads are on `*` only where the API has no resource-level permissions
 * (EC2 and Auto Scaling Describe*); EKS reads are scoped to the watched clusters. Each write is scoped
 * by resource ARN and a condition, and there are none at all unless the policy is dry-run or remediate.
 *
 * Regional ARNs are made for each listed region (the `regions` setting; a cluster's only for its own
 * region), else for the stack's own, and the statements on `*` are limited to the same regions by
 * `aws:RequestedRegion`; IAM reads are global and have no region.
 */
export function functionStatements(stack: Stack, config: DeploymentConfig): PolicyStatement[] {
  return [
    ...readStatements(stack, config),
    ...remediationStatements(stack, config),
    ...networkInterfaceStatements(stack, config),
  ];
}

export function readStatements(stack: Stack, config: DeploymentConfig): PolicyStatement[] {
  const inRegions = requestedRegions(stack, config);
  const regions = regionsOf(stack, config);
  const clusterArns = (resource: string, suffix: string) =>
    watchedClusterArns(stack, config, resource, suffix);
  const clusterNames = config.clusters.length > 0 ? watchedClusterNames(config) : ['*'];
  return [
    new PolicyStatement({
      sid: 'ReadNetworkInstancesAndGroups',
      // None of these has resource-level permissions: `*` is the only Resource IAM accepts.
      actions: [
        'autoscaling:DescribeAutoScalingGroups',
        // Whether an instance is terminating, after a termination call whose response was lost.
        'autoscaling:DescribeAutoScalingInstances',
        'ec2:DescribeInstances',
        'ec2:DescribeRouteTables',
        'ec2:DescribeSubnets',
        'ec2:DescribeNatGateways',
        // That a NAT gateway's subnet routes to an internet gateway attached to the VPC.
        'ec2:DescribeInternetGateways',
        // Egress routes and security group rules whose destination is a prefix list.
        'ec2:DescribeManagedPrefixLists',
        'ec2:DescribeVpcEndpoints',
        'ec2:DescribeNetworkAcls',
        'ec2:DescribeSecurityGroups',
        'ec2:DescribeVpcAttribute',
        'ec2:DescribeVpcs',
      ],
      resources: ['*'],
      ...inRegions,
    }),
    new PolicyStatement({
      sid: 'ReadPrefixListEntries',
      // The CIDRs of a prefix list that a route or security group rule names. This action has
      // resource-level permissions (resource type prefix-list), so it is not on `*`: any prefix list in
      // this region, of any owner, because the lists to read are not known at deploy time and may be
      // AWS-managed (owner `aws`, e.g. com.amazonaws.REGION.s3) or shared from another account.
      actions: ['ec2:GetManagedPrefixListEntries'],
      resources: regions.map((region) =>
        stack.formatArn({ service: 'ec2', region, account: '*', resource: 'prefix-list', resourceName: '*' }),
      ),
    }),
    new PolicyStatement({
      sid: 'ReadWatchedClusters',
      actions: [
        'eks:DescribeCluster',
        'eks:ListNodegroups',
        'eks:ListAccessEntries',
        'eks:ListPodIdentityAssociations',
      ],
      resources: clusterArns('cluster', ''),
    }),
    new PolicyStatement({
      sid: 'ReadWatchedNodegroups',
      actions: ['eks:DescribeNodegroup'],
      resources: clusterArns('nodegroup', '/*/*'),
    }),
    new PolicyStatement({
      sid: 'ReadWatchedAccessEntries',
      actions: ['eks:DescribeAccessEntry'],
      resources: clusterArns('access-entry', '/*'),
    }),
    new PolicyStatement({
      sid: 'ReadWatchedAddons',
      // The vpc-cni add-on: whether aws-node runs with the node role.
      actions: ['eks:DescribeAddon'],
      resources: clusterArns('addon', '/*'),
    }),
    new PolicyStatement({
      sid: 'ReadLaunchVolumes',
      // A failed launch: the volumes of the group's launch template and the account's EBS encryption
      // default. None of these has resource-level permissions.
      actions: [
        'ec2:DescribeLaunchTemplateVersions',
        'ec2:GetEbsEncryptionByDefault',
        'ec2:GetEbsDefaultKmsKeyId',
      ],
      resources: ['*'],
      ...inRegions,
    }),
    new PolicyStatement({
      sid: 'ReadLaunchVolumeKeys',
      // Whether a volume's KMS key is enabled and lets the Auto Scaling service-linked role use it. The
      // key may be shared from another account, so any account; reads only, never a use of the key.
      actions: ['kms:DescribeKey', 'kms:GetKeyPolicy'],
      resources: regions.map((region) =>
        stack.formatArn({ service: 'kms', region, account: '*', resource: 'key', resourceName: '*' }),
      ),
    }),
    new PolicyStatement({
      sid: 'ReadBootEvidence',
      // The serial console output of unjoined instances: it needs no agent and no egress, unlike SSM.
      // Only EKS nodes (EKS tags every managed node with its cluster).
      actions: ['ec2:GetConsoleOutput'],
      resources: regions.map((region) => arn(stack, 'ec2', 'instance', '*', region)),
      conditions: { StringLike: { 'aws:ResourceTag/eks:cluster-name': clusterNames } },
    }),
    new PolicyStatement({
      sid: 'ReadWhoChangedIt',
      // CloudTrail management events of a route table, ACL, security group or endpoint: who changed it.
      // LookupEvents has no resource-level permissions.
      actions: ['cloudtrail:LookupEvents'],
      resources: ['*'],
      ...inRegions,
    }),
    new PolicyStatement({
      sid: 'ReadNodeRolePolicies',
      // The diagnosis checks that node roles carry the worker policies; node roles have any name.
      actions: ['iam:ListAttachedRolePolicies', 'iam:ListRolePolicies'],
      resources: [stack.formatArn({ service: 'iam', region: '', resource: 'role', resourceName: '*' })],
    }),
  ];
}

/**
 * The remediation writes; none under policy notify or off, and eks:UpdateNodegroupConfig only
 * with the scale-cycle strategy.
 */
export function remediationStatements(stack: Stack, config: DeploymentConfig): PolicyStatement[] {
  if (!grantsWrites(config)) return [];
  const regions = regionsOf(stack, config);
  const routeTables = regions.map((region) => arn(stack, 'ec2', 'route-table', '*', region));
  const routeCondition =
    config.vpcIds.length > 0
      ? {
          ArnEquals: {
            'ec2:Vpc': regions.flatMap((region) =>
              config.vpcIds.map((id) => arn(stack, 'ec2', 'vpc', id, region)),
            ),
          },
        }
      : { StringEquals: { [`aws:ResourceTag/${MANAGED_TAG}`]: 'true' } };
  return [
    new PolicyStatement({
      sid: 'PatchDefaultRoute',
      actions: ['ec2:CreateRoute', 'ec2:ReplaceRoute'],
      resources: routeTables,
      conditions: routeCondition,
    }),
    new PolicyStatement({
      sid: 'ReplaceUnjoinedInstances',
      actions: ['autoscaling:TerminateInstanceInAutoScalingGroup'],
      // Managed nodegroups' groups are named eks-…; the tag EKS puts on them names the cluster.
      resources: regions.map((region) =>
        stack.formatArn({
          service: 'autoscaling',
          region,
          resource: 'autoScalingGroup',
          resourceName: '*:autoScalingGroupName/eks-*',
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        }),
      ),
      conditions: {
        StringEquals: { 'aws:ResourceTag/eks:cluster-name': watchedClusterNames(config) },
      },
    }),
    ...scaleCycleStatements(stack, config),
  ];
}

/**
 * `scale-cycle` only (RECYCLE_STRATEGY; replace-unjoined never calls it): desired size 0 and back, on the
 * managed nodegroups of the watched clusters, named by ARN (`nodegroup/CLUSTER/…`, this account
 * and region). Remediation always has watched clusters (parseDeploymentConfig refuses dry-run or remediate
 * without them), so the ARNs never widen to every cluster.
 *
 * No `aws:ResourceTag/eks:cluster-name` condition: EKS sets that tag on a managed nodegroup's Auto
 * Scaling group and instances (ReplaceUnjoinedInstances relies on it there), not on the nodegroup
 * resource, whose tags are only the ones people give it. On this action the condition would deny
 * every scale-cycle (ACCESS_DENIED at the first scale-down), and it would add nothing the ARN does not
 * already say: the nodegroup ARN names its cluster.
 */
export function scaleCycleStatements(stack: Stack, config: DeploymentConfig): PolicyStatement[] {
  if (!grantsWrites(config) || config.recycleStrategy !== 'scale-cycle') return [];
  return [
    new PolicyStatement({
      sid: 'ScaleCycleNodegroups',
      actions: ['eks:UpdateNodegroupConfig'],
      resources: watchedClusterArns(stack, config, 'nodegroup', '/*/*'),
    }),
  ];
}

/**
 * Only when the function runs in the configured subnets: what Lambda needs to manage its network
 * interfaces there. Narrower than AWSLambdaVPCAccessExecutionRole (which allows these on `*`): creation
 * only in the configured subnets and security groups, the rest only on interfaces in those subnets.
 */
export function networkInterfaceStatements(stack: Stack, config: DeploymentConfig): PolicyStatement[] {
  if (config.functionSubnetIds.length === 0) return [];
  const subnets = config.functionSubnetIds.map((id) => arn(stack, 'ec2', 'subnet', id));
  return [
    new PolicyStatement({
      sid: 'DescribeFunctionNetworkInterfaces',
      // No resource-level permissions.
      actions: ['ec2:DescribeNetworkInterfaces'],
      resources: ['*'],
    }),
    new PolicyStatement({
      sid: 'CreateFunctionNetworkInterfaces',
      actions: ['ec2:CreateNetworkInterface'],
      resources: [
        ...subnets,
        ...config.functionSecurityGroupIds.map((id) => arn(stack, 'ec2', 'security-group', id)),
        arn(stack, 'ec2', 'network-interface', '*'),
      ],
    }),
    new PolicyStatement({
      sid: 'ManageFunctionNetworkInterfaces',
      effect: Effect.ALLOW,
      actions: [
        'ec2:DeleteNetworkInterface',
        'ec2:AssignPrivateIpAddresses',
        'ec2:UnassignPrivateIpAddresses',
      ],
      resources: [arn(stack, 'ec2', 'network-interface', '*')],
      conditions: { ArnEquals: { 'ec2:Subnet': subnets } },
    }),
  ];
}

/**
 * `arn:…:eks:REGION:ACCOUNT:<resource>/<cluster><suffix>` for each watched cluster, in its own region only;
 * `*` for the cluster in every region when none is watched.
 */
function watchedClusterArns(
  stack: Stack,
  config: DeploymentConfig,
  resource: string,
  suffix: string,
): string[] {
  const regions = regionsOf(stack, config);
  if (config.clusters.length === 0) {
    return regions.map((region) => arn(stack, 'eks', resource, `*${suffix}`, region));
  }
  // Without a region setting, the one region is the stack's own, and every cluster is of it.
  return regions.flatMap((region) =>
    clustersOf(config, config.region === undefined ? undefined : region).map((name) =>
      arn(stack, 'eks', resource, `${name}${suffix}`, region),
    ),
  );
}

/** The watched clusters' names, each once (a name may be watched in several regions). */
function watchedClusterNames(config: DeploymentConfig): string[] {
  return [...new Set(config.clusters.map((entry) => watchedCluster(entry).name))];
}

/** The regions whose resources the function reads and writes: the listed ones, else the stack's own. */
function regionsOf(stack: Stack, config: DeploymentConfig): string[] {
  return config.regions.length > 0 ? [...config.regions] : [stack.region];
}

/** On statements whose Resource is `*`: only calls to the listed regions (the stack's own when none is set). */
function requestedRegions(stack: Stack, config: DeploymentConfig): { conditions: Record<string, unknown> } {
  return { conditions: { StringEquals: { 'aws:RequestedRegion': regionsOf(stack, config) } } };
}

function arn(stack: Stack, service: string, resource: string, resourceName: string, region?: string): string {
  return stack.formatArn({ service, resource, resourceName, ...(region !== undefined && { region }) });
}

/**
 * Alerts to a central topic (centralTopicArn), possibly of another account: publishing, and the topic's
 * KMS key when it has one (the key's own policy must allow it too; docs/organization.md), used only
 * through SNS in the topic's region.
 */
export function centralTopicStatements(topicArn: string): PolicyStatement[] {
  const [, partition, , region, account] = topicArn.split(':');
  return [
    new PolicyStatement({ sid: 'PublishToCentralTopic', actions: ['sns:Publish'], resources: [topicArn] }),
    new PolicyStatement({
      sid: 'EncryptForCentralTopic',
      actions: ['kms:GenerateDataKey*', 'kms:Decrypt'],
      resources: [`arn:${partition}:kms:${region}:${account}:key/*`],
      conditions: { StringEquals: { 'kms:ViaService': `sns.${region}.amazonaws.com` } },
    }),
  ];
}
