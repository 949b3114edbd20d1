import {
  type AutoScalingGroup,
  DescribeAutoScalingGroupsCommand,
  type DescribeAutoScalingGroupsCommandInput,
} from '@aws-sdk/client-auto-scaling';
import {
  DescribeInstancesCommand,
  type DescribeInstancesCommandInput,
  DescribeInternetGatewaysCommand,
  DescribeManagedPrefixListsCommand,
  DescribeNatGatewaysCommand,
  DescribeNetworkAclsCommand,
  DescribeRouteTablesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  DescribeVpcAttributeCommand,
  type DescribeVpcAttributeCommandInput,
  DescribeVpcEndpointsCommand,
  DescribeVpcsCommand,
  EC2ServiceException,
  type Instance as Ec2Instance,
  type Route as Ec2Route,
  GetManagedPrefixListEntriesCommand,
  type GetManagedPrefixListEntriesCommandInput,
} from '@aws-sdk/client-ec2';
import {
  DescribeClusterCommand,
  DescribeNodegroupCommand,
  ListNodegroupsCommand,
  ResourceNotFoundException,
} from '@aws-sdk/client-eks';
import { beforeEach, describe, expect, it } from 'vitest';
import { AwsAccountReader } from '../../../functions/aws/AwsAccountReader.js';
import type { AwsClients } from '../../../functions/aws/clients.js';
import {
  toInstance,
  toInternetGateway,
  toNetworkAcl,
  toPrefixList,
  toRoute,
  toRouteTable,
  toRouteTarget,
  toSecurityGroupRule,
  toVpcEndpoint,
} from '../../../functions/aws/mapEc2.js';
import { AwsCallError, NotFoundError } from '../../../functions/core/model/errors.js';
import type { RouteTarget } from '../../../functions/core/model/types.js';
import { asgGroup, asgInstance } from '../../support/autoScalingGroups.js';
import { ec2NatGateway } from '../../support/ec2Answers.js';
import {
  IGW,
  local as LOCAL_ROUTE,
  NAT,
  NEW_SUBNET,
  PRIVATE_SUBNET,
  PUBLIC_SUBNET,
  route,
  VPC,
} from '../../support/factories.js';
import { entry, https, interfaceEndpoint, s3Gateway, securityGroup } from '../../support/networkFactories.js';
import { mockedClients } from '../../support/sdkClients.js';
import { namedError, serviceError } from '../../support/sdkErrors.js';
import { mockSdkClients } from '../../support/sdkMocks.js';

// SNS too: the reader must never publish, and an unexpected call must not reach the network.
const {
  eks: eksMock,
  ec2: ec2Mock,
  autoScaling: asgMock,
} = mockSdkClients('eks', 'ec2', 'autoScaling', 'sns');

const REGION = 'us-west-2';
const OTHER_VPC = 'vpc-0ffffffffffffff01';
const GROUP = 'eks-new_nodegroup_2-a6c9a1b2-3c4d-5e6f-7a8b-9c0d1e2f3a4b';
const OTHER_GROUP = 'eks-old_nodegroup-11112222-3333-4444-5555-666677778888';

function makeClients(): AwsClients {
  // The function's own retry settings (clients.ts), so the throttling tests see what is left after them.
  return mockedClients({ region: REGION, maxAttempts: 6, retryMode: 'adaptive' });
}

let reader: AwsAccountReader;

beforeEach(() => {
  reader = new AwsAccountReader(makeClients());
});

function ec2Error(name: string, message: string): EC2ServiceException {
  return serviceError(EC2ServiceException, name, message, 403);
}

function notFound(message: string): ResourceNotFoundException {
  return new ResourceNotFoundException({ message, $metadata: { httpStatusCode: 404 } });
}

function ec2Instance(instanceId: string, overrides: Partial<Ec2Instance> = {}): Ec2Instance {
  return {
    InstanceId: instanceId,
    SubnetId: NEW_SUBNET,
    VpcId: VPC,
    Placement: { AvailabilityZone: 'us-west-2a' },
    LaunchTime: new Date('2026-11-26T09:49:36.000Z'),
    State: { Code: 16, Name: 'running' },
    PrivateIpAddress: '10.42.200.17',
    ...overrides,
  };
}

/** DescribeInstances answers with the instances its instance-id filter names, except those listed as gone. */
function ec2AnswersFromFilter(gone: string[] = []): void {
  ec2Mock.on(DescribeInstancesCommand).callsFake((input: DescribeInstancesCommandInput) => {
    const ids = input.Filters?.find((f) => f.Name === 'instance-id')?.Values ?? [];
    const instances = ids.filter((id) => !gone.includes(id)).map((id) => ec2Instance(id));
    return {
      Reservations:
        instances.length > 0 ? [{ ReservationId: 'r-0123456789abcdef0', Instances: instances }] : [],
    };
  });
}

/** DescribeAutoScalingGroups answers with a group for each requested name in `known`. */
function asgAnswersFrom(known: Map<string, AutoScalingGroup>): void {
  asgMock.on(DescribeAutoScalingGroupsCommand).callsFake((input: DescribeAutoScalingGroupsCommandInput) => ({
    AutoScalingGroups: (input.AutoScalingGroupNames ?? []).flatMap((n) => {
      const g = known.get(n);
      return g ? [g] : [];
    }),
  }));
}

/** The AwsCallError readNetwork of the VPC fails with; it must fail. */
async function readNetworkFailure(): Promise<AwsCallError> {
  const thrown = await reader.readNetwork(VPC).catch((e: unknown) => e);
  expect(thrown).toBeInstanceOf(AwsCallError);
  return thrown as AwsCallError;
}

const ids = (n: number, prefix = 'i-0') =>
  Array.from({ length: n }, (_, i) => `${prefix}${String(i).padStart(16, '0')}`);

describe('AwsAccountReader.describeCluster', () => {
  const CLUSTER_RESPONSE = {
    cluster: {
      name: 'eks-workshop',
      arn: 'arn:aws:eks:us-west-2:123456789012:cluster/eks-workshop',
      endpoint: 'https://ABCDEF0123456789.gr7.us-west-2.eks.amazonaws.com',
      certificateAuthority: { data: 'LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg==' },
      resourcesVpcConfig: {
        vpcId: VPC,
        subnetIds: [PUBLIC_SUBNET, PRIVATE_SUBNET],
        endpointPublicAccess: true,
        endpointPrivateAccess: false,
        publicAccessCidrs: ['203.0.113.0/24', '198.51.100.7/32'],
      },
      tags: { 'eks-join-remediator/policy': 'remediate', team: 'platform' },
    },
  };

  it('maps endpoint, certificate authority, VPC, endpoint access, public access CIDRs and tags', async () => {
    eksMock.on(DescribeClusterCommand).resolves(CLUSTER_RESPONSE);

    const cluster = await reader.describeCluster('eks-workshop');

    expect(cluster).toEqual({
      name: 'eks-workshop',
      arn: 'arn:aws:eks:us-west-2:123456789012:cluster/eks-workshop',
      region: REGION,
      endpoint: 'https://ABCDEF0123456789.gr7.us-west-2.eks.amazonaws.com',
      certificateAuthority: 'LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg==',
      vpcId: VPC,
      endpointPublicAccess: true,
      endpointPrivateAccess: false,
      publicAccessCidrs: ['203.0.113.0/24', '198.51.100.7/32'],
      tags: { 'eks-join-remediator/policy': 'remediate', team: 'platform' },
      subnetIds: [PUBLIC_SUBNET, PRIVATE_SUBNET],
    });
    expect(eksMock).toHaveReceivedCommandExactlyOnceWith(DescribeClusterCommand, { name: 'eks-workshop' });
  });

  it('maps a private-only endpoint', async () => {
    eksMock.on(DescribeClusterCommand).resolves({
      cluster: {
        name: 'private-cluster',
        resourcesVpcConfig: {
          vpcId: VPC,
          endpointPublicAccess: false,
          endpointPrivateAccess: true,
          publicAccessCidrs: [],
        },
      },
    });

    const cluster = await reader.describeCluster('private-cluster');

    expect(cluster.endpointPublicAccess).toBe(false);
    expect(cluster.endpointPrivateAccess).toBe(true);
  });

  it('maps the cluster security group and the authentication mode', async () => {
    eksMock.on(DescribeClusterCommand).resolves({
      cluster: {
        name: 'eks-workshop',
        resourcesVpcConfig: { vpcId: VPC, clusterSecurityGroupId: 'sg-0cluster000000001' },
        accessConfig: { authenticationMode: 'API_AND_CONFIG_MAP' },
      },
    });

    await expect(reader.describeCluster('eks-workshop')).resolves.toMatchObject({
      clusterSecurityGroupId: 'sg-0cluster000000001',
      authenticationMode: 'API_AND_CONFIG_MAP',
    });
  });

  it('leaves out an authentication mode it does not know and a missing cluster security group', async () => {
    eksMock.on(DescribeClusterCommand).resolves({
      cluster: {
        name: 'eks-workshop',
        resourcesVpcConfig: { vpcId: VPC },
        accessConfig: { authenticationMode: 'SOMETHING_NEW' as never },
      },
    });

    const cluster = await reader.describeCluster('eks-workshop');

    expect(cluster).not.toHaveProperty('authenticationMode');
    expect(cluster).not.toHaveProperty('clusterSecurityGroupId');
    expect(cluster).not.toHaveProperty('subnetIds');
  });

  it('falls back to public-only access, no CIDRs and no tags when the response leaves them out', async () => {
    eksMock.on(DescribeClusterCommand).resolves({ cluster: { name: 'bare' } });

    const cluster = await reader.describeCluster('bare');

    expect(cluster).toMatchObject({
      name: 'bare',
      region: REGION,
      endpointPublicAccess: true,
      endpointPrivateAccess: false,
      publicAccessCidrs: [],
      tags: {},
    });
    expect(cluster.vpcId).toBeUndefined();
    expect(cluster.endpoint).toBeUndefined();
    expect(cluster.certificateAuthority).toBeUndefined();
  });

  it('keeps the requested name when the response has no cluster', async () => {
    eksMock.on(DescribeClusterCommand).resolves({});

    await expect(reader.describeCluster('eks-workshop')).resolves.toMatchObject({
      name: 'eks-workshop',
      region: REGION,
    });
  });

  it('describes a cluster once however often it is asked, even concurrently', async () => {
    eksMock.on(DescribeClusterCommand).resolves(CLUSTER_RESPONSE);

    const [a, b] = await Promise.all([
      reader.describeCluster('eks-workshop'),
      reader.describeCluster('eks-workshop'),
    ]);
    const c = await reader.describeCluster('eks-workshop');

    expect(a).toEqual(b);
    expect(c).toEqual(a);
    expect(eksMock).toHaveReceivedCommandTimes(DescribeClusterCommand, 1);
  });

  it('describes each cluster name separately', async () => {
    eksMock
      .on(DescribeClusterCommand)
      .callsFake((input: { name?: string }) => ({ cluster: { name: input.name } }));

    await reader.describeCluster('eks-workshop');
    await reader.describeCluster('other');

    expect(eksMock).toHaveReceivedCommandTimes(DescribeClusterCommand, 2);
    expect(eksMock).toHaveReceivedNthCommandWith(DescribeClusterCommand, 2, { name: 'other' });
  });

  it('does not share the cache between readers: one reader serves one invocation', async () => {
    eksMock.on(DescribeClusterCommand).resolves(CLUSTER_RESPONSE);

    await reader.describeCluster('eks-workshop');
    await new AwsAccountReader(makeClients()).describeCluster('eks-workshop');

    expect(eksMock).toHaveReceivedCommandTimes(DescribeClusterCommand, 2);
  });

  it('turns ResourceNotFoundException into a NotFoundError that names the cluster and region and suggests --region', async () => {
    const cause = notFound('No cluster found for name: nope.');
    eksMock.on(DescribeClusterCommand).rejects(cause);

    const error = await reader.describeCluster('nope').catch((e: unknown) => e);

    expect(error).toBeInstanceOf(NotFoundError);
    expect(error).not.toBeInstanceOf(AwsCallError);
    expect((error as NotFoundError).exitCode).toBe(2);
    expect((error as NotFoundError).message).toBe(
      'cluster nope not found in us-west-2: check the cluster name and --region',
    );
    expect((error as NotFoundError).cause).toBe(cause);
  });

  it('does not cache a failure: the next call asks again', async () => {
    eksMock
      .on(DescribeClusterCommand)
      .rejectsOnce(namedError('ThrottlingException', 'Rate exceeded'))
      .resolves(CLUSTER_RESPONSE);

    await expect(reader.describeCluster('eks-workshop')).rejects.toBeInstanceOf(AwsCallError);
    await expect(reader.describeCluster('eks-workshop')).resolves.toMatchObject({ vpcId: VPC });
    expect(eksMock).toHaveReceivedCommandTimes(DescribeClusterCommand, 2);
  });

  it('turns AccessDeniedException into an AwsCallError that says which permission to grant', async () => {
    const denied = namedError(
      'AccessDeniedException',
      'User: arn:aws:sts::123456789012:assumed-role/x is not authorized',
    );
    eksMock.on(DescribeClusterCommand).rejects(denied);

    const error = (await reader.describeCluster('eks-workshop').catch((e: unknown) => e)) as AwsCallError;

    expect(error).toBeInstanceOf(AwsCallError);
    expect(error.exitCode).toBe(3);
    expect(error.operation).toBe('eks:DescribeCluster');
    expect(error.errorName).toBe('AccessDeniedException');
    expect(error.message).toMatch(
      /^eks:DescribeCluster failed: AccessDeniedException: User: .* is not authorized/,
    );
    expect(error.message).toContain("grant eks:DescribeCluster to the caller's IAM role");
  });
});

describe('AwsAccountReader.describeNodegroup', () => {
  it('maps status, subnets, Auto Scaling groups, scaling, tags and health issues', async () => {
    eksMock.on(DescribeNodegroupCommand).resolves({
      nodegroup: {
        nodegroupName: 'new_nodegroup_2',
        nodegroupArn:
          'arn:aws:eks:us-west-2:123456789012:nodegroup/eks-workshop/new_nodegroup_2/a6c9a1b2-3c4d-5e6f-7a8b-9c0d1e2f3a4b',
        clusterName: 'eks-workshop',
        status: 'CREATE_FAILED',
        subnets: [NEW_SUBNET],
        resources: { autoScalingGroups: [{ name: GROUP }, {}] },
        scalingConfig: { minSize: 0, maxSize: 2, desiredSize: 1 },
        tags: { 'eks-join-remediator/policy': 'dry-run' },
        health: {
          issues: [
            {
              code: 'NodeCreationFailure',
              message: 'Instances failed to join the kubernetes cluster',
              resourceIds: ['i-0a1b2c3d4e5f60718'],
            },
            {},
          ],
        },
      },
    });

    const nodegroup = await reader.describeNodegroup('eks-workshop', 'new_nodegroup_2');

    expect(nodegroup).toEqual({
      name: 'new_nodegroup_2',
      clusterName: 'eks-workshop',
      arn: 'arn:aws:eks:us-west-2:123456789012:nodegroup/eks-workshop/new_nodegroup_2/a6c9a1b2-3c4d-5e6f-7a8b-9c0d1e2f3a4b',
      status: 'CREATE_FAILED',
      subnetIds: [NEW_SUBNET],
      autoScalingGroupNames: [GROUP],
      scaling: { minSize: 0, maxSize: 2, desiredSize: 1 },
      tags: { 'eks-join-remediator/policy': 'dry-run' },
      healthIssues: [
        {
          code: 'NodeCreationFailure',
          message: 'Instances failed to join the kubernetes cluster',
          resourceIds: ['i-0a1b2c3d4e5f60718'],
        },
        { code: 'Unknown', message: '', resourceIds: [] },
      ],
    });
    expect(eksMock).toHaveReceivedCommandExactlyOnceWith(DescribeNodegroupCommand, {
      clusterName: 'eks-workshop',
      nodegroupName: 'new_nodegroup_2',
    });
  });

  it('fills in safe defaults for a nodegroup still being created', async () => {
    eksMock.on(DescribeNodegroupCommand).resolves({ nodegroup: { nodegroupName: 'fresh' } });

    const nodegroup = await reader.describeNodegroup('eks-workshop', 'fresh');

    expect(nodegroup).toMatchObject({
      name: 'fresh',
      clusterName: 'eks-workshop',
      status: 'UNKNOWN',
      subnetIds: [],
      autoScalingGroupNames: [],
      scaling: { minSize: 0, maxSize: 0, desiredSize: 0 },
      tags: {},
      healthIssues: [],
    });
  });

  it('turns ResourceNotFoundException into a NotFoundError that says how to list the nodegroups', async () => {
    eksMock.on(DescribeNodegroupCommand).rejects(notFound('No node group found for name: ghost.'));

    const error = await reader.describeNodegroup('eks-workshop', 'ghost').catch((e: unknown) => e);

    expect(error).toBeInstanceOf(NotFoundError);
    expect((error as Error).message).toBe(
      'nodegroup ghost not found in cluster eks-workshop: list them with aws eks list-nodegroups --cluster-name eks-workshop',
    );
  });

  it('turns other failures into an AwsCallError naming eks:DescribeNodegroup', async () => {
    eksMock.on(DescribeNodegroupCommand).rejects(namedError('ThrottlingException', 'Rate exceeded'));

    const error = await reader.describeNodegroup('eks-workshop', 'new_nodegroup_2').catch((e: unknown) => e);

    expect(error).toBeInstanceOf(AwsCallError);
    expect((error as AwsCallError).operation).toBe('eks:DescribeNodegroup');
  });
});

describe('AwsAccountReader.listNodegroups', () => {
  it('follows nextToken through every page', async () => {
    // The SDK paginator reuses one input object, so record each request's token when it is sent.
    const pages: Record<string, { nodegroups: string[]; nextToken?: string }> = {
      first: { nodegroups: ['ng-a', 'ng-b'], nextToken: 'page-2' },
      'page-2': { nodegroups: ['ng-c'], nextToken: 'page-3' },
      'page-3': { nodegroups: ['new_nodegroup_2'] },
    };
    const sent: { clusterName?: string; nextToken?: string }[] = [];
    eksMock.on(ListNodegroupsCommand).callsFake((input: { clusterName?: string; nextToken?: string }) => {
      sent.push({ clusterName: input.clusterName, nextToken: input.nextToken });
      return pages[input.nextToken ?? 'first'];
    });

    const names = await reader.listNodegroups('eks-workshop');

    expect(names).toEqual(['ng-a', 'ng-b', 'ng-c', 'new_nodegroup_2']);
    expect(eksMock).toHaveReceivedCommandTimes(ListNodegroupsCommand, 3);
    expect(sent).toEqual([
      { clusterName: 'eks-workshop', nextToken: undefined },
      { clusterName: 'eks-workshop', nextToken: 'page-2' },
      { clusterName: 'eks-workshop', nextToken: 'page-3' },
    ]);
  });

  it('returns an empty list for a cluster without managed nodegroups', async () => {
    eksMock.on(ListNodegroupsCommand).resolves({});

    await expect(reader.listNodegroups('eks-workshop')).resolves.toEqual([]);
  });

  it('turns a failure on a later page into an AwsCallError naming eks:ListNodegroups', async () => {
    eksMock
      .on(ListNodegroupsCommand)
      .resolvesOnce({ nodegroups: ['ng-a'], nextToken: 'page-2' })
      .rejectsOnce(namedError('ThrottlingException', 'Rate exceeded'));

    const error = (await reader.listNodegroups('eks-workshop').catch((e: unknown) => e)) as AwsCallError;

    expect(error).toBeInstanceOf(AwsCallError);
    expect(error.message).toContain('eks:ListNodegroups failed: ThrottlingException');
    expect(error.message).toContain('try again later');
  });
});

describe('AwsAccountReader.describeGroupTags and describeGroupInstances', () => {
  it('returns the tags of each group that exists; missing groups are absent', async () => {
    asgAnswersFrom(
      new Map([
        [
          GROUP,
          asgGroup(GROUP, { 'eks:cluster-name': 'eks-workshop', 'eks:nodegroup-name': 'new_nodegroup_2' }),
        ],
        [OTHER_GROUP, asgGroup(OTHER_GROUP)],
      ]),
    );

    const tags = await reader.describeGroupTags([GROUP, OTHER_GROUP, 'eks-gone']);

    expect(tags).toEqual(
      new Map([
        [GROUP, { 'eks:cluster-name': 'eks-workshop', 'eks:nodegroup-name': 'new_nodegroup_2' }],
        [OTHER_GROUP, {}],
      ]),
    );
    expect(asgMock).toHaveReceivedCommandExactlyOnceWith(DescribeAutoScalingGroupsCommand, {
      AutoScalingGroupNames: [GROUP, OTHER_GROUP, 'eks-gone'],
    });
  });

  it('asks once for a name given twice', async () => {
    asgAnswersFrom(new Map([[GROUP, asgGroup(GROUP)]]));

    await reader.describeGroupTags([GROUP, GROUP]);

    expect(asgMock).toHaveReceivedCommandExactlyOnceWith(DescribeAutoScalingGroupsCommand, {
      AutoScalingGroupNames: [GROUP],
    });
  });

  it('shares one DescribeAutoScalingGroups call between the tag lookup and the instance lookup', async () => {
    asgAnswersFrom(
      new Map([
        [
          GROUP,
          asgGroup(GROUP, { 'eks:cluster-name': 'eks-workshop' }, [asgInstance('i-0a1b2c3d4e5f60718')]),
        ],
      ]),
    );
    ec2AnswersFromFilter();

    await reader.describeGroupTags([GROUP]);
    const instances = await reader.describeGroupInstances([GROUP]);

    expect(instances.map((i) => i.instanceId)).toEqual(['i-0a1b2c3d4e5f60718']);
    expect(asgMock).toHaveReceivedCommandTimes(DescribeAutoScalingGroupsCommand, 1);
  });

  it('remembers that a group does not exist instead of asking again', async () => {
    asgAnswersFrom(new Map());

    await reader.describeGroupTags(['eks-gone']);
    const instances = await reader.describeGroupInstances(['eks-gone']);

    expect(instances).toEqual([]);
    expect(asgMock).toHaveReceivedCommandTimes(DescribeAutoScalingGroupsCommand, 1);
    expect(ec2Mock).not.toHaveReceivedCommand(DescribeInstancesCommand);
  });

  it('asks only for the groups it has not described yet', async () => {
    asgAnswersFrom(
      new Map([
        [GROUP, asgGroup(GROUP)],
        [OTHER_GROUP, asgGroup(OTHER_GROUP)],
      ]),
    );

    await reader.describeGroupTags([GROUP]);
    const tags = await reader.describeGroupTags([GROUP, OTHER_GROUP]);

    expect([...tags.keys()]).toEqual([GROUP, OTHER_GROUP]);
    expect(asgMock).toHaveReceivedCommandTimes(DescribeAutoScalingGroupsCommand, 2);
    expect(asgMock).toHaveReceivedNthCommandWith(DescribeAutoScalingGroupsCommand, 2, {
      AutoScalingGroupNames: [OTHER_GROUP],
    });
  });

  it('splits 120 group names into calls of at most 50 names', async () => {
    const names = Array.from({ length: 120 }, (_, i) => `eks-ng-${i}`);
    asgAnswersFrom(new Map(names.map((n) => [n, asgGroup(n, { 'eks:nodegroup-name': n })])));

    const tags = await reader.describeGroupTags(names);

    expect(tags.size).toBe(120);
    expect(tags.get('eks-ng-119')).toEqual({ 'eks:nodegroup-name': 'eks-ng-119' });
    expect(asgMock).toHaveReceivedCommandTimes(DescribeAutoScalingGroupsCommand, 3);
    expect(asgMock).toHaveReceivedNthCommandWith(DescribeAutoScalingGroupsCommand, 1, {
      AutoScalingGroupNames: names.slice(0, 50),
    });
    expect(asgMock).toHaveReceivedNthCommandWith(DescribeAutoScalingGroupsCommand, 2, {
      AutoScalingGroupNames: names.slice(50, 100),
    });
    expect(asgMock).toHaveReceivedNthCommandWith(DescribeAutoScalingGroupsCommand, 3, {
      AutoScalingGroupNames: names.slice(100),
    });
  });

  it('follows NextToken through the pages of one batch', async () => {
    const sent: (string | undefined)[] = [];
    asgMock.on(DescribeAutoScalingGroupsCommand).callsFake((input: DescribeAutoScalingGroupsCommandInput) => {
      sent.push(input.NextToken);
      return input.NextToken === 'more'
        ? { AutoScalingGroups: [asgGroup(OTHER_GROUP)] }
        : { AutoScalingGroups: [asgGroup(GROUP)], NextToken: 'more' };
    });

    const tags = await reader.describeGroupTags([GROUP, OTHER_GROUP]);

    expect([...tags.keys()]).toEqual([GROUP, OTHER_GROUP]);
    expect(sent).toEqual([undefined, 'more']);
    expect(asgMock).toHaveReceivedCommandWith(DescribeAutoScalingGroupsCommand, {
      AutoScalingGroupNames: [GROUP, OTHER_GROUP],
    });
  });

  it('combines EC2 details with the group and lifecycle state from Auto Scaling', async () => {
    asgAnswersFrom(
      new Map([
        [GROUP, asgGroup(GROUP, {}, [asgInstance('i-0a1b2c3d4e5f60718', 'Pending:Wait')])],
        [OTHER_GROUP, asgGroup(OTHER_GROUP, {}, [asgInstance('i-0b2c3d4e5f6071829', 'InService')])],
      ]),
    );
    ec2Mock.on(DescribeInstancesCommand).resolves({
      Reservations: [
        {
          Instances: [
            ec2Instance('i-0a1b2c3d4e5f60718', { State: { Code: 0, Name: 'pending' } }),
            ec2Instance('i-0b2c3d4e5f6071829', {
              SubnetId: PUBLIC_SUBNET,
              Placement: { AvailabilityZone: 'us-west-2b' },
              PublicIpAddress: '54.200.1.2',
              PrivateIpAddress: '10.42.1.9',
              LaunchTime: new Date('2026-11-26T08:00:00Z'),
            }),
          ],
        },
      ],
    });

    const instances = await reader.describeGroupInstances([GROUP, OTHER_GROUP]);

    expect(instances).toEqual([
      {
        instanceId: 'i-0a1b2c3d4e5f60718',
        autoScalingGroupName: GROUP,
        lifecycleState: 'Pending:Wait',
        subnetId: NEW_SUBNET,
        vpcId: VPC,
        availabilityZone: 'us-west-2a',
        launchedAt: '2026-11-26T09:49:36.000Z',
        state: 'pending',
        privateIp: '10.42.200.17',
      },
      {
        instanceId: 'i-0b2c3d4e5f6071829',
        autoScalingGroupName: OTHER_GROUP,
        lifecycleState: 'InService',
        subnetId: PUBLIC_SUBNET,
        vpcId: VPC,
        availabilityZone: 'us-west-2b',
        launchedAt: '2026-11-26T08:00:00.000Z',
        state: 'running',
        publicIp: '54.200.1.2',
        privateIp: '10.42.1.9',
      },
    ]);
    expect(ec2Mock).toHaveReceivedCommandExactlyOnceWith(DescribeInstancesCommand, {
      Filters: [{ Name: 'instance-id', Values: ['i-0a1b2c3d4e5f60718', 'i-0b2c3d4e5f6071829'] }],
    });
  });

  it('leaves out an instance that EC2 no longer knows, without failing', async () => {
    asgAnswersFrom(
      new Map([
        [
          GROUP,
          asgGroup(GROUP, {}, [
            asgInstance('i-0aaaaaaaaaaaaaaa1'),
            asgInstance('i-0bbbbbbbbbbbbbbb2', 'Terminating'),
          ]),
        ],
      ]),
    );
    ec2AnswersFromFilter(['i-0bbbbbbbbbbbbbbb2']);

    const instances = await reader.describeGroupInstances([GROUP]);

    expect(instances.map((i) => i.instanceId)).toEqual(['i-0aaaaaaaaaaaaaaa1']);
    expect(ec2Mock).not.toHaveReceivedCommandWith(DescribeInstancesCommand, {
      InstanceIds: expect.anything(),
    });
  });

  it('filters by instance-id in calls of at most 200 ids: 450 instances take 3 calls', async () => {
    const all = ids(450);
    asgAnswersFrom(
      new Map([
        [
          'g1',
          asgGroup(
            'g1',
            {},
            all.slice(0, 150).map((id) => asgInstance(id)),
          ),
        ],
        [
          'g2',
          asgGroup(
            'g2',
            {},
            all.slice(150, 300).map((id) => asgInstance(id)),
          ),
        ],
        [
          'g3',
          asgGroup(
            'g3',
            {},
            all.slice(300).map((id) => asgInstance(id)),
          ),
        ],
      ]),
    );
    ec2AnswersFromFilter();

    const instances = await reader.describeGroupInstances(['g1', 'g2', 'g3']);

    expect(instances).toHaveLength(450);
    expect(new Set(instances.map((i) => i.instanceId))).toEqual(new Set(all));
    expect(instances.find((i) => i.instanceId === all[449])?.autoScalingGroupName).toBe('g3');
    expect(ec2Mock).toHaveReceivedCommandTimes(DescribeInstancesCommand, 3);
    expect(ec2Mock).toHaveReceivedNthCommandWith(DescribeInstancesCommand, 1, {
      Filters: [{ Name: 'instance-id', Values: all.slice(0, 200) }],
    });
    expect(ec2Mock).toHaveReceivedNthCommandWith(DescribeInstancesCommand, 2, {
      Filters: [{ Name: 'instance-id', Values: all.slice(200, 400) }],
    });
    expect(ec2Mock).toHaveReceivedNthCommandWith(DescribeInstancesCommand, 3, {
      Filters: [{ Name: 'instance-id', Values: all.slice(400) }],
    });
  });

  it('follows NextToken through the pages of DescribeInstances', async () => {
    asgAnswersFrom(
      new Map([
        [
          GROUP,
          asgGroup(GROUP, {}, [asgInstance('i-0aaaaaaaaaaaaaaa1'), asgInstance('i-0bbbbbbbbbbbbbbb2')]),
        ],
      ]),
    );
    const sent: (string | undefined)[] = [];
    ec2Mock.on(DescribeInstancesCommand).callsFake((input: DescribeInstancesCommandInput) => {
      sent.push(input.NextToken);
      return input.NextToken === 'next'
        ? { Reservations: [{ Instances: [ec2Instance('i-0bbbbbbbbbbbbbbb2')] }] }
        : { Reservations: [{ Instances: [ec2Instance('i-0aaaaaaaaaaaaaaa1')] }], NextToken: 'next' };
    });

    const instances = await reader.describeGroupInstances([GROUP]);

    expect(instances.map((i) => i.instanceId)).toEqual(['i-0aaaaaaaaaaaaaaa1', 'i-0bbbbbbbbbbbbbbb2']);
    expect(sent).toEqual([undefined, 'next']);
  });

  it('does not call EC2 for groups without instances', async () => {
    asgAnswersFrom(new Map([[GROUP, asgGroup(GROUP)]]));

    await expect(reader.describeGroupInstances([GROUP])).resolves.toEqual([]);
    expect(ec2Mock).not.toHaveReceivedAnyCommand();
  });

  it('does not remember groups after a failed DescribeAutoScalingGroups', async () => {
    asgMock
      .on(DescribeAutoScalingGroupsCommand)
      .rejectsOnce(namedError('Throttling', 'Rate exceeded'))
      .resolves({ AutoScalingGroups: [asgGroup(GROUP, { 'eks:cluster-name': 'eks-workshop' })] });

    const error = (await reader.describeGroupTags([GROUP]).catch((e: unknown) => e)) as AwsCallError;
    const tags = await reader.describeGroupTags([GROUP]);

    expect(error).toBeInstanceOf(AwsCallError);
    expect(error.message).toContain(
      'autoscaling:DescribeAutoScalingGroups failed: Throttling: Rate exceeded',
    );
    expect(error.message).toContain('try again later');
    expect(tags.get(GROUP)).toEqual({ 'eks:cluster-name': 'eks-workshop' });
    expect(asgMock).toHaveReceivedCommandTimes(DescribeAutoScalingGroupsCommand, 2);
  });

  it('turns an EC2 UnauthorizedOperation into an AwsCallError naming ec2:DescribeInstances', async () => {
    asgAnswersFrom(new Map([[GROUP, asgGroup(GROUP, {}, [asgInstance('i-0aaaaaaaaaaaaaaa1')])]]));
    ec2Mock
      .on(DescribeInstancesCommand)
      .rejects(ec2Error('UnauthorizedOperation', 'You are not authorized to perform this operation.'));

    const error = (await reader.describeGroupInstances([GROUP]).catch((e: unknown) => e)) as AwsCallError;

    expect(error).toBeInstanceOf(AwsCallError);
    expect(error.operation).toBe('ec2:DescribeInstances');
    expect(error.message).toContain("grant ec2:DescribeInstances to the caller's IAM role");
  });
});

/**
 * The part of the network read beyond routing: the VPC's CIDR blocks (a secondary one, one being
 * removed), its DNS attributes, an interface and a gateway endpoint, the default and a custom
 * network ACL, and a security group with every kind of rule target.
 */
function mockRestOfNetwork(): void {
  // EC2 answers endpoint states in lower case, although the SDK's enum spells them `Available`.
  const available = 'available' as never;
  ec2Mock.on(DescribeVpcsCommand).resolves({
    Vpcs: [
      {
        VpcId: VPC,
        CidrBlock: '10.42.0.0/16',
        CidrBlockAssociationSet: [
          { CidrBlock: '10.42.0.0/16', CidrBlockState: { State: 'associated' } },
          { CidrBlock: '100.64.0.0/16', CidrBlockState: { State: 'associated' } },
          { CidrBlock: '10.99.0.0/16', CidrBlockState: { State: 'disassociating' } },
        ],
      },
    ],
  });
  ec2Mock
    .on(DescribeVpcAttributeCommand)
    .callsFake((input: DescribeVpcAttributeCommandInput) =>
      input.Attribute === 'enableDnsSupport'
        ? { VpcId: input.VpcId, EnableDnsSupport: { Value: true } }
        : { VpcId: input.VpcId, EnableDnsHostnames: { Value: false } },
    );
  ec2Mock.on(DescribeVpcEndpointsCommand).resolves({
    VpcEndpoints: [
      {
        VpcEndpointId: 'vpce-0ecrapi000000001',
        VpcEndpointType: 'Interface',
        VpcId: VPC,
        ServiceName: 'com.amazonaws.us-west-2.ecr.api',
        State: available,
        SubnetIds: [PRIVATE_SUBNET],
        Groups: [{ GroupId: 'sg-0endpoints0000001', GroupName: 'endpoints' }],
        PrivateDnsEnabled: true,
        NetworkInterfaceIds: ['eni-0ecrapi000000001'],
      },
      {
        VpcEndpointId: 'vpce-0s3gateway0000001',
        VpcEndpointType: 'Gateway',
        VpcId: VPC,
        ServiceName: 'com.amazonaws.us-west-2.s3',
        State: available,
        RouteTableIds: ['rtb-0priv000000000001'],
      },
    ],
  });
  ec2Mock.on(DescribeNetworkAclsCommand).resolves({
    NetworkAcls: [
      {
        NetworkAclId: 'acl-0default000000001',
        VpcId: VPC,
        IsDefault: true,
        Associations: [{ NetworkAclAssociationId: 'aclassoc-1', SubnetId: PUBLIC_SUBNET }],
        Entries: [
          { RuleNumber: 100, Egress: true, Protocol: '-1', RuleAction: 'allow', CidrBlock: '0.0.0.0/0' },
          { RuleNumber: 32767, Egress: true, Protocol: '-1', RuleAction: 'deny', CidrBlock: '0.0.0.0/0' },
        ],
      },
      {
        NetworkAclId: 'acl-0custom0000000001',
        VpcId: VPC,
        IsDefault: false,
        Associations: [{ NetworkAclAssociationId: 'aclassoc-2', SubnetId: NEW_SUBNET }],
        Entries: [
          {
            RuleNumber: 90,
            Egress: true,
            Protocol: '6',
            RuleAction: 'deny',
            CidrBlock: '0.0.0.0/0',
            PortRange: { From: 443, To: 443 },
          },
          { RuleNumber: 100, Egress: false, Protocol: '-1', RuleAction: 'allow', Ipv6CidrBlock: '::/0' },
        ],
      },
    ],
  });
  ec2Mock.on(DescribeSecurityGroupsCommand).resolves({
    SecurityGroups: [
      {
        GroupId: 'sg-0endpoints0000001',
        VpcId: VPC,
        IpPermissions: [
          {
            IpProtocol: 'tcp',
            FromPort: 443,
            ToPort: 443,
            IpRanges: [{ CidrIp: '10.42.0.0/16' }],
            UserIdGroupPairs: [{ GroupId: 'sg-0nodes00000000001', UserId: '123456789012' }],
            Ipv6Ranges: [{ CidrIpv6: '2600:1f14::/56' }],
            PrefixListIds: [{ PrefixListId: 'pl-0abc' }],
          },
        ],
        IpPermissionsEgress: [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }] }],
      },
    ],
  });
  ec2Mock.on(DescribeInternetGatewaysCommand).resolves({
    InternetGateways: [
      {
        InternetGatewayId: IGW,
        // EC2 answers `available` for an attached internet gateway, although the SDK's enum says `attached`.
        Attachments: [{ VpcId: VPC, State: 'available' as never }],
        OwnerId: '123456789012',
      },
    ],
  });
}

/** What mockRestOfNetwork maps to. */
const REST_OF_NETWORK = {
  internetGateways: [{ internetGatewayId: IGW, attachedVpcIds: [VPC] }],
  cidrBlocks: ['10.42.0.0/16', '100.64.0.0/16'],
  enableDnsSupport: true,
  enableDnsHostnames: false,
  vpcEndpoints: [
    interfaceEndpoint('ecr.api', {
      vpcEndpointId: 'vpce-0ecrapi000000001',
      securityGroupIds: ['sg-0endpoints0000001'],
    }),
    s3Gateway({ vpcEndpointId: 'vpce-0s3gateway0000001', routeTableIds: ['rtb-0priv000000000001'] }),
  ],
  networkAcls: [
    {
      networkAclId: 'acl-0default000000001',
      vpcId: VPC,
      isDefault: true,
      subnetIds: [PUBLIC_SUBNET],
      entries: [entry(100, true, 'allow'), entry(32767, true, 'deny')],
    },
    {
      networkAclId: 'acl-0custom0000000001',
      vpcId: VPC,
      isDefault: false,
      subnetIds: [NEW_SUBNET],
      entries: [
        entry(90, true, 'deny', { protocol: '6', portRange: { from: 443, to: 443 } }),
        { ruleNumber: 100, egress: false, protocol: '-1', action: 'allow', ipv6CidrBlock: '::/0' },
      ],
    },
  ],
  securityGroups: [
    securityGroup('sg-0endpoints0000001', {
      ingress: [
        https({
          cidrs: ['10.42.0.0/16'],
          ipv6Cidrs: ['2600:1f14::/56'],
          groupIds: ['sg-0nodes00000000001'],
          prefixListIds: ['pl-0abc'],
        }),
      ],
    }),
  ],
};

describe('AwsAccountReader.readNetwork', () => {
  const local: Ec2Route = {
    DestinationCidrBlock: '10.42.0.0/16',
    GatewayId: 'local',
    State: 'active',
    Origin: 'CreateRouteTable',
  };
  /** `local` as the reader maps it. */

  function mockNetwork(): void {
    ec2Mock.on(DescribeSubnetsCommand).resolves({
      Subnets: [
        {
          SubnetId: PUBLIC_SUBNET,
          VpcId: VPC,
          AvailabilityZone: 'us-west-2a',
          CidrBlock: '10.42.0.0/19',
          MapPublicIpOnLaunch: true,
        },
        { SubnetId: NEW_SUBNET, VpcId: VPC, AvailabilityZone: 'us-west-2a', CidrBlock: '10.42.192.0/19' },
      ],
    });
    ec2Mock.on(DescribeRouteTablesCommand).resolves({
      RouteTables: [
        {
          RouteTableId: 'rtb-0main000000000001',
          VpcId: VPC,
          Associations: [
            {
              Main: true,
              RouteTableAssociationId: 'rtbassoc-main',
              AssociationState: { State: 'associated' },
            },
          ],
          Routes: [
            local,
            { DestinationCidrBlock: '0.0.0.0/0', GatewayId: IGW, State: 'active', Origin: 'CreateRoute' },
          ],
        },
        {
          RouteTableId: 'rtb-0priv000000000001',
          VpcId: VPC,
          Associations: [
            { Main: false, SubnetId: PRIVATE_SUBNET, AssociationState: { State: 'associated' } },
            {
              Main: false,
              SubnetId: 'subnet-0old0000000000001',
              AssociationState: { State: 'disassociated' },
            },
            { Main: false, SubnetId: 'subnet-0nostate00000001' },
          ],
          Routes: [
            local,
            { DestinationCidrBlock: '0.0.0.0/0', NatGatewayId: NAT, State: 'active', Origin: 'CreateRoute' },
            {
              DestinationCidrBlock: '100.64.0.0/10',
              NatGatewayId: 'nat-0deleted000000001',
              State: 'blackhole',
            },
            { DestinationPrefixListId: 'pl-68a54001', GatewayId: 'vpce-0s3gateway0000001', State: 'active' },
          ],
        },
        {
          RouteTableId: 'rtb-0gone000000000001',
          VpcId: VPC,
          Associations: [{ Main: true, AssociationState: { State: 'disassociated' } }],
          Routes: [local],
        },
      ],
    });
    ec2Mock.on(DescribeNatGatewaysCommand).resolves({
      NatGateways: [
        ec2NatGateway({
          NatGatewayAddresses: [
            {
              AllocationId: 'eipalloc-0abc',
              PublicIp: '52.34.10.20',
              PrivateIp: '10.42.0.5',
              IsPrimary: true,
            },
            { PrivateIp: '10.42.0.6', IsPrimary: false },
          ],
        }),
        ec2NatGateway({
          NatGatewayId: 'nat-0private000000001',
          SubnetId: PRIVATE_SUBNET,
          State: 'pending',
          ConnectivityType: 'private',
          NatGatewayAddresses: [{ PrivateIp: '10.42.100.5' }],
        }),
        { NatGatewayId: 'nat-0failed0000000001', VpcId: VPC, SubnetId: PUBLIC_SUBNET, State: 'failed' },
      ],
    });
    ec2Mock.on(DescribeManagedPrefixListsCommand).resolves({
      PrefixLists: [
        {
          PrefixListId: 'pl-68a54001',
          PrefixListName: 'com.amazonaws.us-west-2.s3',
          OwnerId: 'AWS',
          AddressFamily: 'IPv4',
          State: 'create-complete',
        },
      ],
    });
    ec2Mock.on(GetManagedPrefixListEntriesCommand).resolves({
      Entries: [{ Cidr: '52.92.128.0/17' }, { Cidr: '3.5.76.0/22' }],
    });
    mockRestOfNetwork();
  }

  it('maps subnets, route tables, NAT gateways, CIDR blocks, DNS attributes, endpoints, ACLs and security groups of the VPC', async () => {
    mockNetwork();

    const network = await reader.readNetwork(VPC);

    expect(network).toEqual({
      vpcId: VPC,
      ...REST_OF_NETWORK,
      subnets: [
        {
          subnetId: PUBLIC_SUBNET,
          vpcId: VPC,
          availabilityZone: 'us-west-2a',
          cidrBlock: '10.42.0.0/19',
          mapPublicIpOnLaunch: true,
        },
        {
          subnetId: NEW_SUBNET,
          vpcId: VPC,
          availabilityZone: 'us-west-2a',
          cidrBlock: '10.42.192.0/19',
          mapPublicIpOnLaunch: false,
        },
      ],
      routeTables: [
        {
          routeTableId: 'rtb-0main000000000001',
          vpcId: VPC,
          main: true,
          subnetIds: [],
          routes: [LOCAL_ROUTE, route('0.0.0.0/0', { kind: 'internet-gateway', id: IGW })],
        },
        {
          routeTableId: 'rtb-0priv000000000001',
          vpcId: VPC,
          main: false,
          subnetIds: [PRIVATE_SUBNET, 'subnet-0nostate00000001'],
          routes: [
            LOCAL_ROUTE,
            route('0.0.0.0/0', { kind: 'nat-gateway', id: NAT }),
            {
              destination: '100.64.0.0/10',
              target: { kind: 'nat-gateway', id: 'nat-0deleted000000001' },
              state: 'blackhole',
            },
            {
              destination: 'pl-68a54001',
              target: { kind: 'vpc-endpoint', id: 'vpce-0s3gateway0000001' },
              state: 'active',
            },
          ],
        },
        {
          routeTableId: 'rtb-0gone000000000001',
          vpcId: VPC,
          main: false,
          subnetIds: [],
          routes: [LOCAL_ROUTE],
        },
      ],
      prefixLists: [
        {
          prefixListId: 'pl-68a54001',
          name: 'com.amazonaws.us-west-2.s3',
          ownerId: 'AWS',
          addressFamily: 'IPv4',
          cidrs: ['52.92.128.0/17', '3.5.76.0/22'],
        },
      ],
      natGateways: [
        {
          natGatewayId: NAT,
          vpcId: VPC,
          subnetId: PUBLIC_SUBNET,
          state: 'available',
          connectivityType: 'public',
          publicIps: ['52.34.10.20'],
        },
        {
          natGatewayId: 'nat-0private000000001',
          vpcId: VPC,
          subnetId: PRIVATE_SUBNET,
          state: 'pending',
          connectivityType: 'private',
          publicIps: [],
        },
        {
          natGatewayId: 'nat-0failed0000000001',
          vpcId: VPC,
          subnetId: PUBLIC_SUBNET,
          state: 'failed',
          connectivityType: 'public',
          publicIps: [],
        },
      ],
    });
  });

  it('filters every Describe call by the VPC', async () => {
    mockNetwork();

    await reader.readNetwork(VPC);

    const inVpc = [{ Name: 'vpc-id', Values: [VPC] }];
    expect(ec2Mock).toHaveReceivedCommandExactlyOnceWith(DescribeSubnetsCommand, { Filters: inVpc });
    expect(ec2Mock).toHaveReceivedCommandExactlyOnceWith(DescribeRouteTablesCommand, { Filters: inVpc });
    expect(ec2Mock).toHaveReceivedCommandExactlyOnceWith(DescribeNatGatewaysCommand, { Filter: inVpc });
    expect(ec2Mock).toHaveReceivedCommandExactlyOnceWith(DescribeVpcEndpointsCommand, { Filters: inVpc });
    expect(ec2Mock).toHaveReceivedCommandExactlyOnceWith(DescribeNetworkAclsCommand, { Filters: inVpc });
    expect(ec2Mock).toHaveReceivedCommandExactlyOnceWith(DescribeSecurityGroupsCommand, { Filters: inVpc });
    expect(ec2Mock).toHaveReceivedCommandExactlyOnceWith(DescribeInternetGatewaysCommand, {
      Filters: [{ Name: 'attachment.vpc-id', Values: [VPC] }],
    });
    // Prefix lists by the ids the routes name, not by VPC.
    expect(ec2Mock).toHaveReceivedCommandExactlyOnceWith(DescribeManagedPrefixListsCommand, {
      Filters: [{ Name: 'prefix-list-id', Values: ['pl-68a54001'] }],
    });
    expect(ec2Mock).toHaveReceivedCommandExactlyOnceWith(GetManagedPrefixListEntriesCommand, {
      PrefixListId: 'pl-68a54001',
    });
    expect(ec2Mock).toHaveReceivedCommandExactlyOnceWith(DescribeVpcsCommand, { VpcIds: [VPC] });
    expect(ec2Mock).toHaveReceivedCommandTimes(DescribeVpcAttributeCommand, 2);
    expect(ec2Mock).toHaveReceivedCommandWith(DescribeVpcAttributeCommand, {
      VpcId: VPC,
      Attribute: 'enableDnsSupport',
    });
    expect(ec2Mock).toHaveReceivedCommandWith(DescribeVpcAttributeCommand, {
      VpcId: VPC,
      Attribute: 'enableDnsHostnames',
    });
  });

  it('reads a VPC once per reader, even when asked concurrently', async () => {
    mockNetwork();

    const [a, b] = await Promise.all([reader.readNetwork(VPC), reader.readNetwork(VPC)]);
    const c = await reader.readNetwork(VPC);

    expect(b).toBe(a);
    expect(c).toBe(a);
    for (const command of [
      DescribeSubnetsCommand,
      DescribeRouteTablesCommand,
      DescribeNatGatewaysCommand,
      DescribeVpcsCommand,
      DescribeVpcEndpointsCommand,
      DescribeNetworkAclsCommand,
      DescribeSecurityGroupsCommand,
      DescribeInternetGatewaysCommand,
      DescribeManagedPrefixListsCommand,
      GetManagedPrefixListEntriesCommand,
    ]) {
      // One command class per row; the matcher only needs to tell them apart.
      expect(ec2Mock).toHaveReceivedCommandTimes(command as unknown as typeof DescribeVpcsCommand, 1);
    }
    expect(ec2Mock).toHaveReceivedCommandTimes(DescribeVpcAttributeCommand, 2);
  });

  it('reads each VPC separately', async () => {
    mockNetwork();

    const first = await reader.readNetwork(VPC);
    const second = await reader.readNetwork(OTHER_VPC);

    expect(first.vpcId).toBe(VPC);
    expect(second.vpcId).toBe(OTHER_VPC);
    expect(ec2Mock).toHaveReceivedCommandTimes(DescribeRouteTablesCommand, 2);
    expect(ec2Mock).toHaveReceivedLastCommandWith(DescribeRouteTablesCommand, {
      Filters: [{ Name: 'vpc-id', Values: [OTHER_VPC] }],
    });
  });

  it('does not cache a failed read: the next call reads the VPC again', async () => {
    mockNetwork();
    ec2Mock
      .on(DescribeRouteTablesCommand)
      .rejectsOnce(ec2Error('RequestLimitExceeded', 'Request limit exceeded.'))
      .resolves({ RouteTables: [] });

    await expect(reader.readNetwork(VPC)).rejects.toBeInstanceOf(AwsCallError);
    const network = await reader.readNetwork(VPC);

    expect(network.subnets).toHaveLength(2);
    expect(network.routeTables).toEqual([]);
    expect(ec2Mock).toHaveReceivedCommandTimes(DescribeSubnetsCommand, 2);
    expect(ec2Mock).toHaveReceivedCommandTimes(DescribeRouteTablesCommand, 2);
    expect(ec2Mock).toHaveReceivedCommandTimes(DescribeNatGatewaysCommand, 2);
  });

  it('follows NextToken through the pages of route tables', async () => {
    mockNetwork();
    const sent: (string | undefined)[] = [];
    ec2Mock.on(DescribeRouteTablesCommand).callsFake((input: { NextToken?: string }) => {
      sent.push(input.NextToken);
      return input.NextToken === 't'
        ? { RouteTables: [{ RouteTableId: 'rtb-02', VpcId: VPC }] }
        : { RouteTables: [{ RouteTableId: 'rtb-01', VpcId: VPC }], NextToken: 't' };
    });

    const network = await reader.readNetwork(VPC);

    expect(network.routeTables.map((t) => t.routeTableId)).toEqual(['rtb-01', 'rtb-02']);
    expect(sent).toEqual([undefined, 't']);
  });

  it.each([
    {
      command: DescribeRouteTablesCommand,
      operation: 'ec2:DescribeRouteTables',
      error: ec2Error('UnauthorizedOperation', 'You are not authorized to perform this operation.'),
      advice: "grant ec2:DescribeRouteTables to the caller's IAM role",
    },
    {
      command: DescribeSubnetsCommand,
      operation: 'ec2:DescribeSubnets',
      error: namedError('AccessDeniedException', 'denied'),
      advice: "grant ec2:DescribeSubnets to the caller's IAM role",
    },
    {
      command: DescribeNatGatewaysCommand,
      operation: 'ec2:DescribeNatGateways',
      error: namedError('ThrottlingException', 'Rate exceeded'),
      advice: 'throttled after retries: try again later or raise the API rate limit',
    },
    {
      command: DescribeRouteTablesCommand,
      operation: 'ec2:DescribeRouteTables',
      error: ec2Error('RequestLimitExceeded', 'Request limit exceeded.'),
      advice: 'throttled after retries: try again later',
    },
  ])(
    'turns $error.name from $operation into an AwsCallError that names it and says what to do',
    async ({ command, operation, error, advice }) => {
      mockNetwork();
      ec2Mock.on(command).rejects(error);

      const thrown = await readNetworkFailure();

      expect(thrown.exitCode).toBe(3);
      expect(thrown.operation).toBe(operation);
      expect(thrown.errorName).toBe(error.name);
      expect(thrown.message).toContain(`${operation} failed: ${error.name}: ${error.message}`);
      expect(thrown.message).toContain(advice);
      expect(thrown.cause).toBe(error);
    },
  );

  it('passes other errors on with the operation but no advice it cannot back up', async () => {
    mockNetwork();
    ec2Mock.on(DescribeSubnetsCommand).rejects(new Error('socket hang up'));

    const thrown = await readNetworkFailure();

    expect(thrown.message).toBe('ec2:DescribeSubnets failed: Error: socket hang up');
  });
});

describe('mapEc2', () => {
  it.each<[string, Ec2Route, RouteTarget]>([
    ['local', { GatewayId: 'local' }, { kind: 'local' }],
    ['a NAT gateway', { NatGatewayId: NAT }, { kind: 'nat-gateway', id: NAT }],
    ['an internet gateway', { GatewayId: IGW }, { kind: 'internet-gateway', id: IGW }],
    ['a gateway VPC endpoint', { GatewayId: 'vpce-0123' }, { kind: 'vpc-endpoint', id: 'vpce-0123' }],
    [
      'an egress-only internet gateway',
      { EgressOnlyInternetGatewayId: 'eigw-0123' },
      { kind: 'egress-only-internet-gateway', id: 'eigw-0123' },
    ],
    ['a transit gateway', { TransitGatewayId: 'tgw-0123' }, { kind: 'transit-gateway', id: 'tgw-0123' }],
    ['a peering connection', { VpcPeeringConnectionId: 'pcx-0123' }, { kind: 'vpc-peering', id: 'pcx-0123' }],
    [
      'an instance (over its network interface)',
      { InstanceId: 'i-0nat', NetworkInterfaceId: 'eni-0nat' },
      { kind: 'instance', id: 'i-0nat' },
    ],
    [
      'a network interface',
      { NetworkInterfaceId: 'eni-0123' },
      { kind: 'network-interface', id: 'eni-0123' },
    ],
    ['a local gateway', { LocalGatewayId: 'lgw-0123' }, { kind: 'local-gateway', id: 'lgw-0123' }],
    ['a carrier gateway', { CarrierGatewayId: 'cagw-0123' }, { kind: 'carrier-gateway', id: 'cagw-0123' }],
    [
      'a Cloud WAN core network',
      { CoreNetworkArn: 'arn:aws:networkmanager::123456789012:core-network/core-network-0123' },
      { kind: 'core-network', id: 'arn:aws:networkmanager::123456789012:core-network/core-network-0123' },
    ],
    [
      'an egress-only internet gateway named in GatewayId',
      { GatewayId: 'eigw-0456' },
      { kind: 'egress-only-internet-gateway', id: 'eigw-0456' },
    ],
    ['nothing it knows', {}, { kind: 'unknown', id: 'unknown' }],
    ['an unknown gateway', { GatewayId: 'xyz-0123' }, { kind: 'unknown', id: 'xyz-0123' }],
  ])('maps a route to %s', (_name, route, target) => {
    expect(toRouteTarget({ DestinationCidrBlock: '0.0.0.0/0', ...route })).toEqual(target);
  });

  it('keeps a blackhole state and defaults a missing state to active', () => {
    expect(toRoute({ DestinationCidrBlock: '0.0.0.0/0', NatGatewayId: NAT, State: 'blackhole' })).toEqual({
      destination: '0.0.0.0/0',
      target: { kind: 'nat-gateway', id: NAT },
      state: 'blackhole',
    });
    expect(toRoute({ DestinationCidrBlock: '0.0.0.0/0', GatewayId: IGW }).state).toBe('active');
  });

  it('uses the IPv6 destination or prefix list when there is no IPv4 destination', () => {
    expect(
      toRoute({ DestinationIpv6CidrBlock: '::/0', EgressOnlyInternetGatewayId: 'eigw-0123' }).destination,
    ).toBe('::/0');
    expect(toRoute({ DestinationPrefixListId: 'pl-0123', GatewayId: 'vpce-0123' }).destination).toBe(
      'pl-0123',
    );
  });

  it('maps a route to a prefix list over a transit gateway: the list is the destination', () => {
    expect(
      toRoute({ DestinationPrefixListId: 'pl-0corp', TransitGatewayId: 'tgw-0123', State: 'active' }),
    ).toEqual({
      destination: 'pl-0corp',
      target: { kind: 'transit-gateway', id: 'tgw-0123' },
      state: 'active',
    });
  });

  it("maps a route table's tags, and leaves them out when EC2 sends none", () => {
    expect(
      toRouteTable({
        RouteTableId: 'rtb-0123',
        VpcId: VPC,
        Tags: [{ Key: 'Name', Value: 'private-a' }, { Key: 'empty' }, { Value: 'no key' }],
      }).tags,
    ).toEqual({ Name: 'private-a', empty: '' });
    expect(toRouteTable({ RouteTableId: 'rtb-0123', VpcId: VPC, Tags: [] }).tags).toEqual({});
    expect(toRouteTable({ RouteTableId: 'rtb-0123', VpcId: VPC })).not.toHaveProperty('tags');
  });

  it('maps an internet gateway and a prefix list with nothing in them to safe defaults', () => {
    expect(toInternetGateway({})).toEqual({ internetGatewayId: '', attachedVpcIds: [] });
    expect(toPrefixList('pl-0123', undefined, undefined)).toEqual({
      prefixListId: 'pl-0123',
      cidrs: undefined,
    });
    expect(toPrefixList('pl-0123', { AddressFamily: 'IPv5' }, [])).toEqual({
      prefixListId: 'pl-0123',
      cidrs: [],
    });
  });

  it('ignores associations that are being removed when deciding main table and subnets', () => {
    const table = toRouteTable({
      RouteTableId: 'rtb-0123',
      VpcId: VPC,
      Associations: [
        { Main: true, AssociationState: { State: 'disassociating' } },
        { SubnetId: PRIVATE_SUBNET, AssociationState: { State: 'disassociated' } },
        { SubnetId: NEW_SUBNET, AssociationState: { State: 'associated' } },
        { SubnetId: PUBLIC_SUBNET, AssociationState: { State: 'failed' } },
      ],
    });

    expect(table).toEqual({
      routeTableId: 'rtb-0123',
      vpcId: VPC,
      main: false,
      subnetIds: [NEW_SUBNET],
      routes: [],
    });
  });

  it('maps an instance without Auto Scaling details and without a launch time', () => {
    const mapped = toInstance({ InstanceId: 'i-0123' });

    expect(mapped).toEqual({ instanceId: 'i-0123', state: 'unknown' });
    expect(mapped).not.toHaveProperty('autoScalingGroupName');
  });
});

describe('readNetwork with concurrent paginators', () => {
  it('keeps each operation on its own page tokens', async () => {
    const tick = () => new Promise((resolve) => setTimeout(resolve, 0));
    const seen: Record<string, (string | undefined)[]> = {};
    /** Two pages per operation, each answering after a tick so the paginators interleave. */
    function paged<T>(name: string, key: string, first: T, second: T) {
      seen[name] = [];
      return async (input: { NextToken?: string }) => {
        await tick();
        seen[name]?.push(input.NextToken);
        return input.NextToken ? { [key]: [second] } : { [key]: [first], NextToken: `${name}-page-2` };
      };
    }
    mockRestOfNetwork();
    ec2Mock
      .on(DescribeSubnetsCommand)
      .callsFake(
        paged(
          'subnets',
          'Subnets',
          { SubnetId: 'subnet-1', VpcId: 'vpc-1' },
          { SubnetId: 'subnet-2', VpcId: 'vpc-1' },
        ),
      );
    ec2Mock
      .on(DescribeRouteTablesCommand)
      .callsFake(
        paged(
          'routeTables',
          'RouteTables',
          { RouteTableId: 'rtb-1', VpcId: 'vpc-1' },
          { RouteTableId: 'rtb-2', VpcId: 'vpc-1' },
        ),
      );
    ec2Mock.on(DescribeNatGatewaysCommand).resolves({ NatGateways: [] });
    ec2Mock
      .on(DescribeVpcEndpointsCommand)
      .callsFake(
        paged('endpoints', 'VpcEndpoints', { VpcEndpointId: 'vpce-1' }, { VpcEndpointId: 'vpce-2' }),
      );
    ec2Mock
      .on(DescribeNetworkAclsCommand)
      .callsFake(paged('acls', 'NetworkAcls', { NetworkAclId: 'acl-1' }, { NetworkAclId: 'acl-2' }));
    ec2Mock
      .on(DescribeSecurityGroupsCommand)
      .callsFake(paged('groups', 'SecurityGroups', { GroupId: 'sg-1' }, { GroupId: 'sg-2' }));

    const network = await new AwsAccountReader(makeClients()).readNetwork('vpc-1');

    expect(network.subnets.map((s) => s.subnetId)).toEqual(['subnet-1', 'subnet-2']);
    expect(network.routeTables.map((t) => t.routeTableId)).toEqual(['rtb-1', 'rtb-2']);
    expect(network.vpcEndpoints?.map((e) => e.vpcEndpointId)).toEqual(['vpce-1', 'vpce-2']);
    expect(network.networkAcls?.map((a) => a.networkAclId)).toEqual(['acl-1', 'acl-2']);
    expect(network.securityGroups?.map((g) => g.groupId)).toEqual(['sg-1', 'sg-2']);
    expect(seen).toEqual(
      Object.fromEntries(Object.keys(seen).map((name) => [name, [undefined, `${name}-page-2`]])),
    );
    expect(Object.keys(seen)).toHaveLength(5);
  });
});

describe('readNetwork beyond routing', () => {
  function mockRouting(): void {
    ec2Mock.on(DescribeSubnetsCommand).resolves({ Subnets: [{ SubnetId: NEW_SUBNET, VpcId: VPC }] });
    ec2Mock.on(DescribeRouteTablesCommand).resolves({ RouteTables: [] });
    ec2Mock.on(DescribeNatGatewaysCommand).resolves({ NatGateways: [] });
  }

  it.each([
    { command: DescribeVpcsCommand, left: ['cidrBlocks'] },
    { command: DescribeVpcAttributeCommand, left: ['enableDnsSupport', 'enableDnsHostnames'] },
    { command: DescribeVpcEndpointsCommand, left: ['vpcEndpoints'] },
    { command: DescribeNetworkAclsCommand, left: ['networkAcls'] },
    { command: DescribeSecurityGroupsCommand, left: ['securityGroups'] },
    { command: DescribeInternetGatewaysCommand, left: ['internetGateways'] },
  ])(
    'leaves $left out of the snapshot when the caller may not call $command.name, and reads the rest',
    async ({ command, left }) => {
      mockRouting();
      mockRestOfNetwork();
      // One command class per row; the mock only needs to tell them apart.
      ec2Mock
        .on(command as unknown as typeof DescribeVpcsCommand)
        .rejects(ec2Error('UnauthorizedOperation', 'You are not authorized to perform this operation.'));

      const network = await reader.readNetwork(VPC);

      for (const field of left) expect(network).not.toHaveProperty(field);
      const rest = Object.keys(REST_OF_NETWORK).filter((f) => !left.includes(f));
      for (const field of rest) expect(network).toHaveProperty(field);
      expect(network.subnets).toHaveLength(1);
    },
  );

  it('fails the read with the operation named when a supplementary call fails for another reason', async () => {
    mockRouting();
    mockRestOfNetwork();
    ec2Mock
      .on(DescribeNetworkAclsCommand)
      .rejects(ec2Error('RequestLimitExceeded', 'Request limit exceeded.'));

    const thrown = await readNetworkFailure();

    expect(thrown.operation).toBe('ec2:DescribeNetworkAcls');
    expect(thrown.message).toContain('throttled after retries');
  });

  it('takes the primary CIDR block when the VPC lists no associations, and nothing when the VPC is gone', async () => {
    mockRouting();
    mockRestOfNetwork();
    ec2Mock.on(DescribeVpcsCommand).resolvesOnce({ Vpcs: [{ VpcId: VPC, CidrBlock: '10.42.0.0/16' }] });

    expect((await reader.readNetwork(VPC)).cidrBlocks).toEqual(['10.42.0.0/16']);

    ec2Mock.on(DescribeVpcsCommand).resolves({ Vpcs: [] });
    expect(await new AwsAccountReader(makeClients()).readNetwork(VPC)).not.toHaveProperty('cidrBlocks');
  });

  it('maps an endpoint, an ACL entry and a rule with nothing in them to safe defaults', () => {
    expect(toVpcEndpoint({})).toEqual({
      vpcEndpointId: '',
      serviceName: '',
      type: 'unknown',
      state: 'unknown',
      privateDnsEnabled: false,
      subnetIds: [],
      routeTableIds: [],
      securityGroupIds: [],
    });
    expect(toNetworkAcl({ Entries: [{}] }).entries).toEqual([
      { ruleNumber: 0, egress: false, protocol: '-1', action: 'deny' },
    ]);
    expect(toSecurityGroupRule({})).toEqual({
      protocol: '-1',
      cidrs: [],
      ipv6Cidrs: [],
      groupIds: [],
      prefixListIds: [],
    });
  });
});

describe('toInstance security groups', () => {
  it('maps the security groups of the primary network interface', () => {
    expect(
      toInstance({
        InstanceId: 'i-0123',
        SecurityGroups: [
          { GroupId: 'sg-0cluster', GroupName: 'eks-cluster-sg' },
          { GroupId: 'sg-0extra', GroupName: 'extra' },
        ],
      }).securityGroupIds,
    ).toEqual(['sg-0cluster', 'sg-0extra']);
    expect(toInstance({ InstanceId: 'i-0123' })).not.toHaveProperty('securityGroupIds');
  });
});

describe('readNetwork: internet gateways and prefix lists', () => {
  const PL_CORP = 'pl-0c0rp000000000001';
  const PL_S3 = 'pl-68a54001';
  const PL_GONE = 'pl-0g0ne000000000001';

  function mockRouting(routeTables: { RouteTableId: string; Routes: Ec2Route[] }[] = []): void {
    ec2Mock.on(DescribeSubnetsCommand).resolves({ Subnets: [{ SubnetId: NEW_SUBNET, VpcId: VPC }] });
    ec2Mock.on(DescribeRouteTablesCommand).resolves({
      RouteTables: routeTables.map((t) => ({ ...t, VpcId: VPC })),
    });
    ec2Mock.on(DescribeNatGatewaysCommand).resolves({ NatGateways: [] });
    mockRestOfNetwork();
  }

  /** Two tables naming three lists (one twice): a corporate list over a transit gateway, S3, and one that is gone. */
  const TABLES: { RouteTableId: string; Routes: Ec2Route[] }[] = [
    {
      RouteTableId: 'rtb-0a',
      Routes: [
        { DestinationPrefixListId: PL_CORP, TransitGatewayId: 'tgw-0123', State: 'active' },
        { DestinationPrefixListId: PL_S3, GatewayId: 'vpce-0s3gateway0000001', State: 'active' },
      ],
    },
    {
      RouteTableId: 'rtb-0b',
      Routes: [
        { DestinationPrefixListId: PL_CORP, TransitGatewayId: 'tgw-0123', State: 'active' },
        { DestinationPrefixListId: PL_GONE, TransitGatewayId: 'tgw-0123', State: 'blackhole' },
      ],
    },
  ];

  function describesLists(): void {
    ec2Mock.on(DescribeManagedPrefixListsCommand).resolves({
      PrefixLists: [
        { PrefixListId: PL_CORP, PrefixListName: 'corp', OwnerId: '123456789012', AddressFamily: 'IPv4' },
        {
          PrefixListId: PL_S3,
          PrefixListName: 'com.amazonaws.us-west-2.s3',
          OwnerId: 'AWS',
          AddressFamily: 'IPv4',
        },
      ],
    });
  }

  /** Entries per list; a list mapped to an Error answers that error. */
  function entries(byList: Record<string, string[] | Error>): void {
    ec2Mock
      .on(GetManagedPrefixListEntriesCommand)
      .callsFake(async (input: GetManagedPrefixListEntriesCommandInput) => {
        const answer = byList[input.PrefixListId ?? ''];
        if (answer instanceof Error) throw answer;
        return { Entries: (answer ?? []).map((Cidr) => ({ Cidr })) };
      });
  }

  it('maps the internet gateways attached to the VPC, following NextToken', async () => {
    mockRouting();
    ec2Mock
      .on(DescribeInternetGatewaysCommand)
      .resolvesOnce({
        InternetGateways: [
          {
            InternetGatewayId: IGW,
            Attachments: [
              { VpcId: VPC, State: 'available' as never },
              { VpcId: OTHER_VPC, State: 'attached' },
            ],
          },
        ],
        NextToken: 'igw-page-2',
      })
      .resolvesOnce({
        InternetGateways: [
          { InternetGatewayId: 'igw-0detaching000001', Attachments: [{ VpcId: VPC, State: 'detaching' }] },
          { InternetGatewayId: 'igw-0bare00000000001' },
        ],
      });

    const network = await reader.readNetwork(VPC);

    expect(network.internetGateways).toEqual([
      { internetGatewayId: IGW, attachedVpcIds: [VPC, OTHER_VPC] },
      { internetGatewayId: 'igw-0detaching000001', attachedVpcIds: [] },
      { internetGatewayId: 'igw-0bare00000000001', attachedVpcIds: [] },
    ]);
    expect(ec2Mock).toHaveReceivedNthCommandWith(DescribeInternetGatewaysCommand, 2, {
      Filters: [{ Name: 'attachment.vpc-id', Values: [VPC] }],
      NextToken: 'igw-page-2',
    });
  });

  it('an empty list when no internet gateway is attached (read, not unknown)', async () => {
    mockRouting();
    ec2Mock.on(DescribeInternetGatewaysCommand).resolves({ InternetGateways: [] });

    expect((await reader.readNetwork(VPC)).internetGateways).toEqual([]);
  });

  it('fails the read naming ec2:DescribeInternetGateways when it fails for another reason than access', async () => {
    mockRouting();
    ec2Mock
      .on(DescribeInternetGatewaysCommand)
      .rejects(ec2Error('RequestLimitExceeded', 'Request limit exceeded.'));

    const thrown = await readNetworkFailure();

    expect(thrown.operation).toBe('ec2:DescribeInternetGateways');
  });

  it('reads every prefix list the routes name once: name, owner and family, and the entries across pages', async () => {
    mockRouting(TABLES);
    describesLists();
    ec2Mock
      .on(GetManagedPrefixListEntriesCommand)
      .callsFake(async (input: GetManagedPrefixListEntriesCommandInput) => {
        if (input.PrefixListId === PL_CORP) {
          return input.NextToken
            ? { Entries: [{ Cidr: '172.16.0.0/12' }] }
            : { Entries: [{ Cidr: '10.0.0.0/8', Description: 'dc' }], NextToken: 'corp-2' };
        }
        if (input.PrefixListId === PL_S3) return { Entries: [{ Cidr: '52.92.128.0/17' }] };
        throw ec2Error('InvalidPrefixListID.NotFound', `The prefix list ID '${PL_GONE}' does not exist`);
      });

    const network = await reader.readNetwork(VPC);

    expect(network.prefixLists).toEqual([
      {
        prefixListId: PL_CORP,
        name: 'corp',
        ownerId: '123456789012',
        addressFamily: 'IPv4',
        cidrs: ['10.0.0.0/8', '172.16.0.0/12'],
      },
      {
        prefixListId: PL_S3,
        name: 'com.amazonaws.us-west-2.s3',
        ownerId: 'AWS',
        addressFamily: 'IPv4',
        cidrs: ['52.92.128.0/17'],
      },
      { prefixListId: PL_GONE, cidrs: undefined },
    ]);
    // Kept with its id, not dropped: the core reads a route to it as egress of unknown kind.
    expect(network.prefixLists?.[2]).toHaveProperty('cidrs', undefined);
    expect(ec2Mock).toHaveReceivedCommandExactlyOnceWith(DescribeManagedPrefixListsCommand, {
      Filters: [{ Name: 'prefix-list-id', Values: [PL_CORP, PL_S3, PL_GONE] }],
    });
    expect(ec2Mock).toHaveReceivedCommandTimes(GetManagedPrefixListEntriesCommand, 4);
    expect(ec2Mock).toHaveReceivedCommandWith(GetManagedPrefixListEntriesCommand, {
      PrefixListId: PL_CORP,
      NextToken: 'corp-2',
    });
  });

  it.each([
    ['denied', ec2Error('UnauthorizedOperation', 'You are not authorized to perform this operation.')],
    ['gone', ec2Error('InvalidPrefixListID.NotFound', 'The prefix list ID does not exist')],
    ['throttled', ec2Error('RequestLimitExceeded', 'Request limit exceeded.')],
  ])(
    'keeps a list whose entries cannot be read (%s) with cidrs undefined, and reads the others',
    async (_case, error) => {
      mockRouting(TABLES);
      describesLists();
      entries({ [PL_CORP]: error, [PL_S3]: ['52.92.128.0/17'], [PL_GONE]: error });

      const network = await reader.readNetwork(VPC);

      expect(network.prefixLists).toEqual([
        {
          prefixListId: PL_CORP,
          name: 'corp',
          ownerId: '123456789012',
          addressFamily: 'IPv4',
          cidrs: undefined,
        },
        {
          prefixListId: PL_S3,
          name: 'com.amazonaws.us-west-2.s3',
          ownerId: 'AWS',
          addressFamily: 'IPv4',
          cidrs: ['52.92.128.0/17'],
        },
        { prefixListId: PL_GONE, cidrs: undefined },
      ]);
      expect(network.routeTables).toHaveLength(2);
    },
  );

  it('still reads the entries when DescribeManagedPrefixLists is denied (or fails): the lists just have no name', async () => {
    mockRouting(TABLES);
    ec2Mock
      .on(DescribeManagedPrefixListsCommand)
      .rejects(ec2Error('UnauthorizedOperation', 'You are not authorized to perform this operation.'));
    entries({ [PL_CORP]: ['10.0.0.0/8'], [PL_S3]: ['52.92.128.0/17'], [PL_GONE]: [] });

    const network = await reader.readNetwork(VPC);

    expect(network.prefixLists).toEqual([
      { prefixListId: PL_CORP, cidrs: ['10.0.0.0/8'] },
      { prefixListId: PL_S3, cidrs: ['52.92.128.0/17'] },
      { prefixListId: PL_GONE, cidrs: [] },
    ]);
    expect(ec2Mock).toHaveReceivedCommandTimes(GetManagedPrefixListEntriesCommand, 3);
  });

  it('a list DescribeManagedPrefixLists answered without is unreadable, whatever its entries say', async () => {
    mockRouting(TABLES);
    describesLists();
    // moto answers GetManagedPrefixListEntries for an unknown list with no entries instead of an error.
    entries({ [PL_CORP]: ['10.0.0.0/8'], [PL_S3]: ['52.92.128.0/17'], [PL_GONE]: [] });

    const network = await reader.readNetwork(VPC);

    expect(network.prefixLists?.find((l) => l.prefixListId === PL_GONE)).toEqual({
      prefixListId: PL_GONE,
      cidrs: undefined,
    });
  });

  it('every referenced list appears even when nothing about prefix lists can be read', async () => {
    mockRouting(TABLES);
    const denied = ec2Error('UnauthorizedOperation', 'You are not authorized to perform this operation.');
    ec2Mock.on(DescribeManagedPrefixListsCommand).rejects(denied);
    ec2Mock.on(GetManagedPrefixListEntriesCommand).rejects(denied);

    const network = await reader.readNetwork(VPC);

    expect(network.prefixLists).toEqual([
      { prefixListId: PL_CORP, cidrs: undefined },
      { prefixListId: PL_S3, cidrs: undefined },
      { prefixListId: PL_GONE, cidrs: undefined },
    ]);
  });

  it('no route to a prefix list: an empty list and no prefix-list calls', async () => {
    mockRouting([
      {
        RouteTableId: 'rtb-0a',
        Routes: [{ DestinationCidrBlock: '0.0.0.0/0', NatGatewayId: NAT, State: 'active' }],
      },
    ]);

    const network = await reader.readNetwork(VPC);

    expect(network.prefixLists).toEqual([]);
    expect(ec2Mock).toHaveReceivedCommandTimes(DescribeManagedPrefixListsCommand, 0);
    expect(ec2Mock).toHaveReceivedCommandTimes(GetManagedPrefixListEntriesCommand, 0);
  });

  it('no prefix-list calls when the route tables cannot be read', async () => {
    mockRouting(TABLES);
    ec2Mock
      .on(DescribeRouteTablesCommand)
      .rejects(ec2Error('UnauthorizedOperation', 'You are not authorized to perform this operation.'));

    await expect(reader.readNetwork(VPC)).rejects.toMatchObject({ operation: 'ec2:DescribeRouteTables' });
    expect(ec2Mock).toHaveReceivedCommandTimes(DescribeManagedPrefixListsCommand, 0);
    expect(ec2Mock).toHaveReceivedCommandTimes(GetManagedPrefixListEntriesCommand, 0);
  });

  it("maps the route tables' tags in the network read", async () => {
    mockRouting();
    ec2Mock.on(DescribeRouteTablesCommand).resolves({
      RouteTables: [
        {
          RouteTableId: 'rtb-0a',
          VpcId: VPC,
          Tags: [{ Key: 'kubernetes.io/role/internal-elb', Value: '1' }],
        },
        { RouteTableId: 'rtb-0b', VpcId: VPC },
      ],
    });

    const network = await reader.readNetwork(VPC);

    expect(network.routeTables[0]?.tags).toEqual({ 'kubernetes.io/role/internal-elb': '1' });
    expect(network.routeTables[1]).not.toHaveProperty('tags');
  });

  it('one set of calls per VPC per reader, prefix lists and internet gateways included', async () => {
    mockRouting(TABLES);
    describesLists();
    entries({ [PL_CORP]: ['10.0.0.0/8'], [PL_S3]: ['52.92.128.0/17'], [PL_GONE]: [] });

    await Promise.all([reader.readNetwork(VPC), reader.readNetwork(VPC)]);
    await reader.readNetwork(VPC);

    expect(ec2Mock).toHaveReceivedCommandTimes(DescribeInternetGatewaysCommand, 1);
    expect(ec2Mock).toHaveReceivedCommandTimes(DescribeManagedPrefixListsCommand, 1);
    expect(ec2Mock).toHaveReceivedCommandTimes(GetManagedPrefixListEntriesCommand, 3);
    expect(ec2Mock).toHaveReceivedCommandTimes(DescribeRouteTablesCommand, 1);
  });
});
