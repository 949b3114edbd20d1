import {
  AutoScalingServiceException,
  DescribeAutoScalingGroupsCommand,
  DescribeAutoScalingInstancesCommand,
  type DescribeAutoScalingInstancesCommandInput,
  type LifecycleState,
  TerminateInstanceInAutoScalingGroupCommand,
} from '@aws-sdk/client-auto-scaling';
import {
  CreateRouteCommand,
  DescribeInstancesCommand,
  type DescribeInstancesCommandInput,
  DescribeNatGatewaysCommand,
  DescribeRouteTablesCommand,
  EC2ServiceException,
  type ServiceInputTypes as Ec2Input,
  type ServiceOutputTypes as Ec2Output,
  type InstanceStateName,
  ReplaceRouteCommand,
} from '@aws-sdk/client-ec2';
import {
  DescribeNodegroupCommand,
  EKSServiceException,
  ResourceInUseException,
  ResourceNotFoundException,
  UpdateNodegroupConfigCommand,
} from '@aws-sdk/client-eks';
import type { AwsCommand } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { AwsRemediationWriter } from '../../../functions/aws/AwsRemediationWriter.js';
import { AwsCallError } from '../../../functions/core/model/errors.js';
import { asgGroup, asgInstance } from '../../support/autoScalingGroups.js';
import { ec2NatGateway } from '../../support/ec2Answers.js';
import { NAT, NEW_SUBNET, NEW_TABLE, natGateway, route, VPC } from '../../support/factories.js';
import { mockedClients } from '../../support/sdkClients.js';
import { serviceError } from '../../support/sdkErrors.js';
import { mockSdkClients } from '../../support/sdkMocks.js';

const { ec2: ec2Mock, autoScaling: asgMock, eks: eksMock } = mockSdkClients('ec2', 'autoScaling', 'eks');

const REGION = 'us-west-2';
const RTB = NEW_TABLE;
const INSTANCE = 'i-0a1b2c3d4e5f60718';
const OTHER_NAT = 'nat-0fedcba9876543210';
const CLUSTER = 'eks-workshop';
const NODEGROUP = 'new_nodegroup_2';

function writer(): AwsRemediationWriter {
  // The SDK's default retries, as before: the throttling tests see what remains after them.
  return new AwsRemediationWriter(mockedClients({ region: REGION, maxAttempts: undefined }));
}

const ec2Error = (name: string, message: string) => serviceError(EC2ServiceException, name, message);
const asgError = (name: string, message: string) => serviceError(AutoScalingServiceException, name, message);
const eksError = (name: string, message: string) => serviceError(EKSServiceException, name, message);

async function failure(promise: Promise<unknown>): Promise<AwsCallError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AwsCallError);
  return error as AwsCallError;
}

/** EC2 refuses `command` with UnauthorizedOperation: `call` fails with an AwsCallError naming `permission` to grant. */
async function expectUnauthorized<I extends Ec2Input, O extends Ec2Output>(
  command: new (input: I) => AwsCommand<I, O>,
  permission: string,
  call: () => Promise<unknown>,
): Promise<void> {
  ec2Mock
    .on(command)
    .rejects(ec2Error('UnauthorizedOperation', 'You are not authorized to perform this operation.'));

  const error = await failure(call());

  expect(error).toMatchObject({ operation: permission, errorName: 'UnauthorizedOperation' });
  expect(error.message).toContain(`(grant ${permission} to the caller's IAM role)`);
}

describe('createRoute', () => {
  it('adds the default route to the NAT gateway', async () => {
    ec2Mock.on(CreateRouteCommand).resolves({ Return: true });

    expect(await writer().createRoute(RTB, '0.0.0.0/0', NAT)).toBe('created');

    expect(ec2Mock).toHaveReceivedCommandExactlyOnceWith(CreateRouteCommand, {
      RouteTableId: RTB,
      DestinationCidrBlock: '0.0.0.0/0',
      NatGatewayId: NAT,
    });
    expect(ec2Mock).toHaveReceivedCommandTimes(CreateRouteCommand, 1);
  });

  it('RouteAlreadyExists is "exists", not a failure', async () => {
    ec2Mock
      .on(CreateRouteCommand)
      .rejects(
        ec2Error(
          'RouteAlreadyExists',
          `The route identified by 0.0.0.0/0 already exists in route table ${RTB}`,
        ),
      );

    expect(await writer().createRoute(RTB, '0.0.0.0/0', NAT)).toBe('exists');
  });

  it.each([
    ['UnauthorizedOperation', 'You are not authorized to perform this operation.'],
    ['AccessDenied', 'User is not authorized to perform ec2:CreateRoute'],
  ])('%s is an AwsCallError that names ec2:CreateRoute to grant', async (name, message) => {
    ec2Mock.on(CreateRouteCommand).rejects(ec2Error(name, message));

    const error = await failure(writer().createRoute(RTB, '0.0.0.0/0', NAT));

    expect(error).toMatchObject({ operation: 'ec2:CreateRoute', errorName: name, exitCode: 3 });
    expect(error.message).toContain(`ec2:CreateRoute failed: ${name}: ${message}`);
    expect(error.message).toContain("(grant ec2:CreateRoute to the caller's IAM role)");
  });

  it('another EC2 error (the NAT gateway is gone) is an AwsCallError', async () => {
    ec2Mock
      .on(CreateRouteCommand)
      .rejects(ec2Error('InvalidNatGatewayID.NotFound', `The natGateway ID '${NAT}' does not exist`));

    const error = await failure(writer().createRoute(RTB, '0.0.0.0/0', NAT));

    expect(error).toMatchObject({ operation: 'ec2:CreateRoute', errorName: 'InvalidNatGatewayID.NotFound' });
  });

  it('throttling after the SDK retries is an AwsCallError that says so', async () => {
    ec2Mock.on(CreateRouteCommand).rejects(ec2Error('RequestLimitExceeded', 'Request limit exceeded.'));

    const error = await failure(writer().createRoute(RTB, '0.0.0.0/0', NAT));

    expect(error).toMatchObject({ operation: 'ec2:CreateRoute', errorName: 'RequestLimitExceeded' });
    expect(error.message).toContain('throttled after retries');
  });
});

describe('replaceRoute', () => {
  it('points the existing route at the NAT gateway', async () => {
    ec2Mock.on(ReplaceRouteCommand).resolves({});

    expect(await writer().replaceRoute(RTB, '0.0.0.0/0', OTHER_NAT)).toBe('replaced');

    expect(ec2Mock).toHaveReceivedCommandExactlyOnceWith(ReplaceRouteCommand, {
      RouteTableId: RTB,
      DestinationCidrBlock: '0.0.0.0/0',
      NatGatewayId: OTHER_NAT,
    });
  });

  it('UnauthorizedOperation names ec2:ReplaceRoute', async () => {
    await expectUnauthorized(ReplaceRouteCommand, 'ec2:ReplaceRoute', () =>
      writer().replaceRoute(RTB, '0.0.0.0/0', OTHER_NAT),
    );
  });

  it.each([
    ['InvalidRoute.NotFound', `The route identified by 0.0.0.0/0 was not found in route table ${RTB}`],
    // What EC2 (and moto) also answer for a table without a route for the destination.
    [
      'InvalidParameterValue',
      "There is no route defined for '0.0.0.0/0' in the route table. Use CreateRoute instead.",
    ],
  ])(
    'a route that is not there any more (%s) is "not-found", never created behind the caller',
    async (name, message) => {
      ec2Mock.on(ReplaceRouteCommand).rejects(ec2Error(name, message));

      expect(await writer().replaceRoute(RTB, '0.0.0.0/0', OTHER_NAT)).toBe('not-found');

      expect(ec2Mock).toHaveReceivedCommandTimes(ReplaceRouteCommand, 1);
      expect(ec2Mock).toHaveReceivedCommandTimes(CreateRouteCommand, 0);
    },
  );

  it.each([
    ['InvalidParameterValue', 'Value (nat-x) for parameter natGatewayId is invalid.'],
    ['InvalidRouteTableID.NotFound', `The routeTable ID '${RTB}' does not exist`],
    ['InvalidNatGatewayID.NotFound', `The natGateway ID '${OTHER_NAT}' does not exist`],
    ['RequestLimitExceeded', 'Request limit exceeded.'],
  ])('any other error (%s) is an AwsCallError naming ec2:ReplaceRoute', async (name, message) => {
    ec2Mock.on(ReplaceRouteCommand).rejects(ec2Error(name, message));

    const error = await failure(writer().replaceRoute(RTB, '0.0.0.0/0', OTHER_NAT));

    expect(error).toMatchObject({ operation: 'ec2:ReplaceRoute', errorName: name });
  });
});

describe('readRouteTable', () => {
  it('reads the one table fresh and maps it like the network read', async () => {
    ec2Mock.on(DescribeRouteTablesCommand).resolves({
      RouteTables: [
        {
          RouteTableId: RTB,
          VpcId: VPC,
          Associations: [
            { SubnetId: NEW_SUBNET, AssociationState: { State: 'associated' } },
            { SubnetId: 'subnet-0old0000000000001', AssociationState: { State: 'disassociated' } },
          ],
          Routes: [
            {
              DestinationCidrBlock: '10.0.0.0/16',
              GatewayId: 'local',
              State: 'active',
              Origin: 'CreateRouteTable',
            },
            {
              DestinationCidrBlock: '0.0.0.0/0',
              NatGatewayId: NAT,
              State: 'blackhole',
              Origin: 'CreateRoute',
            },
            { DestinationIpv6CidrBlock: '::/0', EgressOnlyInternetGatewayId: 'eigw-0123', State: 'active' },
            { DestinationPrefixListId: 'pl-0123', TransitGatewayId: 'tgw-0123', State: 'active' },
          ],
          Tags: [{ Key: 'Name', Value: 'private-a' }],
        },
      ],
    });

    expect(await writer().readRouteTable(RTB)).toEqual({
      routeTableId: RTB,
      vpcId: VPC,
      main: false,
      subnetIds: [NEW_SUBNET],
      routes: [
        {
          destination: '10.0.0.0/16',
          target: { kind: 'local' },
          state: 'active',
          origin: 'CreateRouteTable',
        },
        route('0.0.0.0/0', { kind: 'nat-gateway', id: NAT }, 'blackhole'),
        {
          destination: '::/0',
          target: { kind: 'egress-only-internet-gateway', id: 'eigw-0123' },
          state: 'active',
        },
        { destination: 'pl-0123', target: { kind: 'transit-gateway', id: 'tgw-0123' }, state: 'active' },
      ],
      tags: { Name: 'private-a' },
    });
    expect(ec2Mock).toHaveReceivedCommandExactlyOnceWith(DescribeRouteTablesCommand, {
      RouteTableIds: [RTB],
    });
  });

  it('undefined when the table no longer exists (InvalidRouteTableID.NotFound)', async () => {
    ec2Mock
      .on(DescribeRouteTablesCommand)
      .rejects(ec2Error('InvalidRouteTableID.NotFound', `The routeTable ID '${RTB}' does not exist`));

    expect(await writer().readRouteTable(RTB)).toBeUndefined();
  });

  it('undefined when the answer does not hold the table', async () => {
    ec2Mock.on(DescribeRouteTablesCommand).resolves({ RouteTables: [] });

    expect(await writer().readRouteTable(RTB)).toBeUndefined();
  });

  it('UnauthorizedOperation is an AwsCallError naming ec2:DescribeRouteTables', async () => {
    await expectUnauthorized(DescribeRouteTablesCommand, 'ec2:DescribeRouteTables', () =>
      writer().readRouteTable(RTB),
    );
  });
});

describe('readNatGateways', () => {
  it('reads the gateways by a nat-gateway-id filter, so one that is gone is simply absent', async () => {
    ec2Mock.on(DescribeNatGatewaysCommand).resolves({
      NatGateways: [ec2NatGateway()],
    });

    expect(await writer().readNatGateways([NAT, OTHER_NAT, NAT])).toEqual([
      natGateway({ publicIps: ['52.34.10.20'] }),
    ]);
    expect(ec2Mock).toHaveReceivedCommandExactlyOnceWith(DescribeNatGatewaysCommand, {
      Filter: [{ Name: 'nat-gateway-id', Values: [NAT, OTHER_NAT] }],
    });
    expect(ec2Mock.commandCalls(DescribeNatGatewaysCommand)[0]?.args[0].input.NatGatewayIds).toBeUndefined();
  });

  it('follows NextToken', async () => {
    ec2Mock
      .on(DescribeNatGatewaysCommand)
      .resolvesOnce({ NatGateways: [{ NatGatewayId: NAT, State: 'deleted' }], NextToken: 't' })
      .resolvesOnce({ NatGateways: [{ NatGatewayId: OTHER_NAT, State: 'available' }] });

    const gateways = await writer().readNatGateways([NAT, OTHER_NAT]);

    expect(gateways.map((g) => [g.natGatewayId, g.state])).toEqual([
      [NAT, 'deleted'],
      [OTHER_NAT, 'available'],
    ]);
    expect(ec2Mock).toHaveReceivedNthCommandWith(DescribeNatGatewaysCommand, 2, { NextToken: 't' });
  });

  it('no ids, no call', async () => {
    expect(await writer().readNatGateways([])).toEqual([]);
    expect(ec2Mock).toHaveReceivedCommandTimes(DescribeNatGatewaysCommand, 0);
  });

  it('UnauthorizedOperation is an AwsCallError naming ec2:DescribeNatGateways', async () => {
    await expectUnauthorized(DescribeNatGatewaysCommand, 'ec2:DescribeNatGateways', () =>
      writer().readNatGateways([NAT]),
    );
  });
});

describe('readInstances', () => {
  const ids = (n: number) => Array.from({ length: n }, (_, i) => `i-0${String(i).padStart(16, '0')}`);

  /** EC2 and Auto Scaling answer for the ids they are asked about, except those gone from each. */
  function answer(options: {
    ec2Gone?: string[];
    asgGone?: string[];
    state?: InstanceStateName;
    lifecycle?: LifecycleState;
  }): void {
    ec2Mock.on(DescribeInstancesCommand).callsFake((input: DescribeInstancesCommandInput) => {
      const asked = input.Filters?.find((f) => f.Name === 'instance-id')?.Values ?? [];
      const found = asked.filter((id) => !options.ec2Gone?.includes(id));
      return {
        Reservations: found.map((InstanceId) => ({
          Instances: [{ InstanceId, State: { Name: options.state ?? 'running' } }],
        })),
      };
    });
    asgMock
      .on(DescribeAutoScalingInstancesCommand)
      .callsFake((input: DescribeAutoScalingInstancesCommandInput) => ({
        AutoScalingInstances: (input.InstanceIds ?? [])
          .filter((id) => !options.asgGone?.includes(id))
          .map((InstanceId) => ({
            InstanceId,
            AutoScalingGroupName: 'eks-new_nodegroup_2-a6c9a1b2',
            AvailabilityZone: 'us-west-2a',
            LifecycleState: options.lifecycle ?? 'InService',
            HealthStatus: 'HEALTHY',
            ProtectedFromScaleIn: false,
          })),
      }));
  }

  it('EC2 state and Auto Scaling lifecycle state of each instance that still exists', async () => {
    answer({ ec2Gone: ['i-0gone000000000001'], asgGone: ['i-0detached00000001'], lifecycle: 'Terminating' });

    const states = await writer().readInstances([INSTANCE, 'i-0gone000000000001', 'i-0detached00000001']);

    expect(states).toEqual([
      { instanceId: INSTANCE, state: 'running', lifecycleState: 'Terminating' },
      { instanceId: 'i-0detached00000001', state: 'running' },
    ]);
    expect(states[1]).not.toHaveProperty('lifecycleState');
    expect(ec2Mock).toHaveReceivedCommandExactlyOnceWith(DescribeInstancesCommand, {
      Filters: [{ Name: 'instance-id', Values: [INSTANCE, 'i-0gone000000000001', 'i-0detached00000001'] }],
    });
    expect(ec2Mock.commandCalls(DescribeInstancesCommand)[0]?.args[0].input.InstanceIds).toBeUndefined();
    expect(asgMock).toHaveReceivedCommandExactlyOnceWith(DescribeAutoScalingInstancesCommand, {
      InstanceIds: [INSTANCE, 'i-0gone000000000001', 'i-0detached00000001'],
    });
  });

  it('asks Auto Scaling about at most 50 instances per call and EC2 about at most 200', async () => {
    answer({ state: 'shutting-down' });
    const many = ids(120);

    const states = await writer().readInstances(many);

    expect(states).toHaveLength(120);
    expect(states.every((s) => s.state === 'shutting-down' && s.lifecycleState === 'InService')).toBe(true);
    expect(asgMock).toHaveReceivedCommandTimes(DescribeAutoScalingInstancesCommand, 3);
    expect(
      asgMock
        .commandCalls(DescribeAutoScalingInstancesCommand)
        .map((c) => c.args[0].input.InstanceIds?.length),
    ).toEqual([50, 50, 20]);
    expect(ec2Mock).toHaveReceivedCommandTimes(DescribeInstancesCommand, 1);

    ec2Mock.resetHistory();
    await writer().readInstances(ids(450));
    expect(ec2Mock).toHaveReceivedCommandTimes(DescribeInstancesCommand, 3);
  });

  it('follows NextToken on both', async () => {
    ec2Mock
      .on(DescribeInstancesCommand)
      .resolvesOnce({
        Reservations: [{ Instances: [{ InstanceId: INSTANCE, State: { Name: 'running' } }] }],
        NextToken: 'e',
      })
      .resolvesOnce({
        Reservations: [{ Instances: [{ InstanceId: 'i-0second0000000001', State: { Name: 'pending' } }] }],
      });
    asgMock
      .on(DescribeAutoScalingInstancesCommand)
      .resolvesOnce({
        AutoScalingInstances: [
          {
            InstanceId: INSTANCE,
            AutoScalingGroupName: 'g',
            AvailabilityZone: 'us-west-2a',
            LifecycleState: 'InService',
            HealthStatus: 'HEALTHY',
            ProtectedFromScaleIn: false,
          },
        ],
        NextToken: 'a',
      })
      .resolvesOnce({
        AutoScalingInstances: [
          {
            InstanceId: 'i-0second0000000001',
            AutoScalingGroupName: 'g',
            AvailabilityZone: 'us-west-2a',
            LifecycleState: 'Pending',
            HealthStatus: 'HEALTHY',
            ProtectedFromScaleIn: false,
          },
        ],
      });

    expect(await writer().readInstances([INSTANCE, 'i-0second0000000001'])).toEqual([
      { instanceId: INSTANCE, state: 'running', lifecycleState: 'InService' },
      { instanceId: 'i-0second0000000001', state: 'pending', lifecycleState: 'Pending' },
    ]);
    expect(ec2Mock).toHaveReceivedNthCommandWith(DescribeInstancesCommand, 2, { NextToken: 'e' });
    expect(asgMock).toHaveReceivedNthCommandWith(DescribeAutoScalingInstancesCommand, 2, { NextToken: 'a' });
  });

  it('no ids, no calls', async () => {
    expect(await writer().readInstances([])).toEqual([]);
    expect(ec2Mock).toHaveReceivedCommandTimes(DescribeInstancesCommand, 0);
    expect(asgMock).toHaveReceivedCommandTimes(DescribeAutoScalingInstancesCommand, 0);
  });

  it('UnauthorizedOperation from EC2 is an AwsCallError naming ec2:DescribeInstances', async () => {
    answer({});

    await expectUnauthorized(DescribeInstancesCommand, 'ec2:DescribeInstances', () =>
      writer().readInstances([INSTANCE]),
    );
  });

  it('AccessDenied from Auto Scaling is an AwsCallError naming autoscaling:DescribeAutoScalingInstances', async () => {
    answer({});
    asgMock
      .on(DescribeAutoScalingInstancesCommand)
      .rejects(
        asgError('AccessDenied', 'not authorized to perform: autoscaling:DescribeAutoScalingInstances'),
      );

    const error = await failure(writer().readInstances([INSTANCE]));

    expect(error).toMatchObject({
      operation: 'autoscaling:DescribeAutoScalingInstances',
      errorName: 'AccessDenied',
    });
    expect(error.message).toContain(
      "(grant autoscaling:DescribeAutoScalingInstances to the caller's IAM role)",
    );
  });
});

describe('readGroupInstanceIds', () => {
  it('lists the instances of the groups, leaving out those already on their way out', async () => {
    asgMock.on(DescribeAutoScalingGroupsCommand).resolves({
      AutoScalingGroups: [
        asgGroup('eks-ng-asg', {}, [
          asgInstance(INSTANCE),
          asgInstance('i-0booting', 'Pending'),
          asgInstance('i-0leaving', 'Terminating'),
        ]),
      ],
    });
    expect(await writer().readGroupInstanceIds(['eks-ng-asg'])).toEqual([INSTANCE, 'i-0booting']);
    expect(asgMock).toHaveReceivedCommandExactlyOnceWith(DescribeAutoScalingGroupsCommand, {
      AutoScalingGroupNames: ['eks-ng-asg'],
    });
  });

  it('no groups, no call; AccessDenied names autoscaling:DescribeAutoScalingGroups', async () => {
    expect(await writer().readGroupInstanceIds([])).toEqual([]);
    expect(asgMock).not.toHaveReceivedCommand(DescribeAutoScalingGroupsCommand);
    asgMock.on(DescribeAutoScalingGroupsCommand).rejects(asgError('AccessDenied', 'not authorized'));
    const error = await failure(writer().readGroupInstanceIds(['eks-ng-asg']));
    expect(error).toMatchObject({ operation: 'autoscaling:DescribeAutoScalingGroups' });
  });
});

describe('readNodegroupScaling', () => {
  it("returns the nodegroup's status, desired and minimum size", async () => {
    eksMock.on(DescribeNodegroupCommand).resolves({
      nodegroup: {
        nodegroupName: NODEGROUP,
        status: 'UPDATING',
        scalingConfig: { minSize: 1, maxSize: 4, desiredSize: 3 },
      },
    });

    expect(await writer().readNodegroupScaling(CLUSTER, NODEGROUP)).toEqual({
      status: 'UPDATING',
      desiredSize: 3,
      minSize: 1,
    });
    expect(eksMock).toHaveReceivedCommandExactlyOnceWith(DescribeNodegroupCommand, {
      clusterName: CLUSTER,
      nodegroupName: NODEGROUP,
    });
  });

  it('UNKNOWN and zeros when EKS reports none', async () => {
    eksMock.on(DescribeNodegroupCommand).resolves({ nodegroup: { nodegroupName: NODEGROUP } });

    expect(await writer().readNodegroupScaling(CLUSTER, NODEGROUP)).toEqual({
      status: 'UNKNOWN',
      desiredSize: 0,
      minSize: 0,
    });
  });

  it.each([
    eksError('ThrottlingException', 'Rate exceeded'),
    new ResourceNotFoundException({ message: 'No node group found', $metadata: { httpStatusCode: 404 } }),
  ])('$name is an AwsCallError naming eks:DescribeNodegroup', async (cause) => {
    eksMock.on(DescribeNodegroupCommand).rejects(cause);

    const error = await failure(writer().readNodegroupScaling(CLUSTER, NODEGROUP));

    expect(error).toMatchObject({ operation: 'eks:DescribeNodegroup', errorName: cause.name });
  });
});

describe('terminateInstance', () => {
  it('terminates through Auto Scaling without lowering the desired capacity', async () => {
    asgMock.on(TerminateInstanceInAutoScalingGroupCommand).resolves({
      Activity: {
        ActivityId: 'a-1',
        AutoScalingGroupName: 'eks-new_nodegroup_2-a6c9a1b2',
        Cause: 'user request',
        StartTime: new Date('2026-11-26T10:00:00Z'),
        StatusCode: 'InProgress',
      },
    });

    expect(await writer().terminateInstance(INSTANCE)).toBe('terminating');

    expect(asgMock).toHaveReceivedCommandExactlyOnceWith(TerminateInstanceInAutoScalingGroupCommand, {
      InstanceId: INSTANCE,
      ShouldDecrementDesiredCapacity: false,
    });
  });

  it.each([
    [
      'terminated or terminating',
      `Instance Id not found - No managed instance found for instance ID: ${INSTANCE}`,
    ],
    [
      'no longer in the group',
      `The instance ${INSTANCE} is not part of Auto Scaling group eks-new_nodegroup_2-a6c9.`,
    ],
    ['already terminating', `Instance ${INSTANCE} is already terminating.`],
  ])('an instance Auto Scaling no longer manages (%s) is already gone', async (_case, message) => {
    asgMock.on(TerminateInstanceInAutoScalingGroupCommand).rejects(asgError('ValidationError', message));

    expect(await writer().terminateInstance(INSTANCE)).toBe('already-gone');
  });

  it.each([
    [
      'the min size constraint',
      "Currently, desiredSize equals minSize (1). Terminating instance without replacement will violate group's min size constraint.",
    ],
    ['a Pending instance', `The instance ${INSTANCE} is not in InService or Standby.`],
    ['a warm pool instance', 'This operation cannot be called on instances in a warm pool.'],
  ])('any other ValidationError (%s) is a failure, not "already gone"', async (_case, message) => {
    asgMock.on(TerminateInstanceInAutoScalingGroupCommand).rejects(asgError('ValidationError', message));

    const error = await failure(writer().terminateInstance(INSTANCE));

    expect(error).toMatchObject({
      operation: 'autoscaling:TerminateInstanceInAutoScalingGroup',
      errorName: 'ValidationError',
    });
  });

  it('the "not found" text under another error name is not taken for "already gone"', async () => {
    asgMock
      .on(TerminateInstanceInAutoScalingGroupCommand)
      .rejects(asgError('InternalFailure', `No managed instance found for instance ID: ${INSTANCE}`));

    await failure(writer().terminateInstance(INSTANCE));
  });

  it('AccessDenied names autoscaling:TerminateInstanceInAutoScalingGroup to grant', async () => {
    asgMock
      .on(TerminateInstanceInAutoScalingGroupCommand)
      .rejects(
        asgError(
          'AccessDenied',
          'User: arn:aws:sts::123456789012:assumed-role/eks-join-remediator/fn is not authorized to perform: autoscaling:TerminateInstanceInAutoScalingGroup',
        ),
      );

    const error = await failure(writer().terminateInstance(INSTANCE));

    expect(error).toMatchObject({
      operation: 'autoscaling:TerminateInstanceInAutoScalingGroup',
      errorName: 'AccessDenied',
    });
    expect(error.message).toContain(
      "(grant autoscaling:TerminateInstanceInAutoScalingGroup to the caller's IAM role)",
    );
  });

  it.each([
    ['ScalingActivityInProgress', 'Scaling activities in progress.'],
    ['ResourceContention', 'You already have a pending update to an Auto Scaling resource.'],
    ['Throttling', 'Rate exceeded'],
  ])('%s is an AwsCallError', async (name, message) => {
    asgMock.on(TerminateInstanceInAutoScalingGroupCommand).rejects(asgError(name, message));

    const error = await failure(writer().terminateInstance(INSTANCE));

    expect(error).toMatchObject({
      operation: 'autoscaling:TerminateInstanceInAutoScalingGroup',
      errorName: name,
    });
  });
});

describe('setDesiredSize', () => {
  it('changes the desired size only', async () => {
    eksMock.on(UpdateNodegroupConfigCommand).resolves({ update: { id: 'u-1', status: 'InProgress' } });

    await writer().setDesiredSize(CLUSTER, NODEGROUP, 0);

    expect(eksMock).toHaveReceivedCommandExactlyOnceWith(UpdateNodegroupConfigCommand, {
      clusterName: CLUSTER,
      nodegroupName: NODEGROUP,
      scalingConfig: { desiredSize: 0 },
    });
    const input = eksMock.commandCalls(UpdateNodegroupConfigCommand)[0]?.args[0].input;
    expect(input?.scalingConfig).toStrictEqual({ desiredSize: 0 });
    expect(Object.keys(input ?? {}).sort()).toEqual(['clusterName', 'nodegroupName', 'scalingConfig']);
  });

  it('AccessDeniedException names eks:UpdateNodegroupConfig to grant', async () => {
    eksMock
      .on(UpdateNodegroupConfigCommand)
      .rejects(
        eksError('AccessDeniedException', 'User is not authorized to perform: eks:UpdateNodegroupConfig'),
      );

    const error = await failure(writer().setDesiredSize(CLUSTER, NODEGROUP, 0));

    expect(error).toMatchObject({
      operation: 'eks:UpdateNodegroupConfig',
      errorName: 'AccessDeniedException',
    });
    expect(error.message).toContain("(grant eks:UpdateNodegroupConfig to the caller's IAM role)");
  });

  it('a nodegroup busy with another update is an AwsCallError', async () => {
    eksMock.on(UpdateNodegroupConfigCommand).rejects(
      new ResourceInUseException({
        message: 'Nodegroup cannot be updated as it is currently not in Active State',
        $metadata: { httpStatusCode: 409 },
      }),
    );

    const error = await failure(writer().setDesiredSize(CLUSTER, NODEGROUP, 3));

    expect(error).toMatchObject({
      operation: 'eks:UpdateNodegroupConfig',
      errorName: 'ResourceInUseException',
    });
  });

  it('ThrottlingException is an AwsCallError that says so', async () => {
    eksMock.on(UpdateNodegroupConfigCommand).rejects(eksError('ThrottlingException', 'Rate exceeded'));

    const error = await failure(writer().setDesiredSize(CLUSTER, NODEGROUP, 3));

    expect(error).toMatchObject({ operation: 'eks:UpdateNodegroupConfig', errorName: 'ThrottlingException' });
    expect(error.message).toContain('throttled after retries');
  });
});
