import {
  AutoScalingClient,
  AutoScalingServiceException,
  TerminateInstanceInAutoScalingGroupCommand,
} from '@aws-sdk/client-auto-scaling';
import {
  CreateRouteCommand,
  DescribeRouteTablesCommand,
  EC2Client,
  EC2ServiceException,
  ReplaceRouteCommand,
} from '@aws-sdk/client-ec2';
import {
  DescribeNodegroupCommand,
  EKSClient,
  EKSServiceException,
  ResourceInUseException,
  UpdateNodegroupConfigCommand,
} from '@aws-sdk/client-eks';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { AwsRemediationWriter } from '../../../functions/aws/AwsRemediationWriter.js';
import { AwsCallError } from '../../../functions/core/errors.js';
import { mockedClients } from '../../support/sdkClients.js';

const ec2Mock = mockClient(EC2Client);
const asgMock = mockClient(AutoScalingClient);
const eksMock = mockClient(EKSClient);

const REGION = 'us-west-2';
const RTB = 'rtb-0f1e2d3c4b5a69788';
const NAT = 'nat-0123456789abcdef0';
const OTHER_NAT = 'nat-0fedcba9876543210';
const INSTANCE = 'i-0a1b2c3d4e5f60718';
const CLUSTER = 'eks-workshop';
const NODEGROUP = 'new_nodegroup_2';

function writer(): AwsRemediationWriter {
  // The SDK's default retries, as before: the throttling tests see what remains after them.
  return new AwsRemediationWriter(mockedClients({ region: REGION, maxAttempts: undefined }));
}

function ec2Error(name: string, message: string): EC2ServiceException {
  return new EC2ServiceException({ name, message, $fault: 'client', $metadata: { httpStatusCode: 400 } });
}

function asgError(name: string, message: string): AutoScalingServiceException {
  return new AutoScalingServiceException({
    name,
    message,
    $fault: 'client',
    $metadata: { httpStatusCode: 400 },
  });
}

function eksError(name: string, message: string): EKSServiceException {
  return new EKSServiceException({ name, message, $fault: 'client', $metadata: { httpStatusCode: 400 } });
}

async function failure(promise: Promise<unknown>): Promise<AwsCallError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AwsCallError);
  return error as AwsCallError;
}

beforeEach(() => {
  ec2Mock.reset();
  asgMock.reset();
  eksMock.reset();
});

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

    await writer().replaceRoute(RTB, '0.0.0.0/0', OTHER_NAT);

    expect(ec2Mock).toHaveReceivedCommandExactlyOnceWith(ReplaceRouteCommand, {
      RouteTableId: RTB,
      DestinationCidrBlock: '0.0.0.0/0',
      NatGatewayId: OTHER_NAT,
    });
  });

  it('UnauthorizedOperation names ec2:ReplaceRoute', async () => {
    ec2Mock
      .on(ReplaceRouteCommand)
      .rejects(ec2Error('UnauthorizedOperation', 'You are not authorized to perform this operation.'));

    const error = await failure(writer().replaceRoute(RTB, '0.0.0.0/0', OTHER_NAT));

    expect(error).toMatchObject({ operation: 'ec2:ReplaceRoute', errorName: 'UnauthorizedOperation' });
    expect(error.message).toContain("(grant ec2:ReplaceRoute to the caller's IAM role)");
  });

  it('a route that is not there any more is an AwsCallError (never created behind the caller)', async () => {
    ec2Mock
      .on(ReplaceRouteCommand)
      .rejects(
        ec2Error(
          'InvalidParameterValue',
          "There is no route defined for '0.0.0.0/0' in the route table. Use CreateRoute instead.",
        ),
      );

    const error = await failure(writer().replaceRoute(RTB, '0.0.0.0/0', OTHER_NAT));

    expect(error).toMatchObject({ operation: 'ec2:ReplaceRoute', errorName: 'InvalidParameterValue' });
    expect(ec2Mock).toHaveReceivedCommandTimes(CreateRouteCommand, 0);
  });
});

describe('currentRoute', () => {
  it('reads the one table fresh and returns its route for the destination', async () => {
    ec2Mock.on(DescribeRouteTablesCommand).resolves({
      RouteTables: [
        {
          RouteTableId: RTB,
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
          ],
        },
      ],
    });

    const route = await writer().currentRoute(RTB, '0.0.0.0/0');

    expect(route).toEqual({
      destination: '0.0.0.0/0',
      target: { kind: 'nat-gateway', id: NAT },
      state: 'blackhole',
      origin: 'CreateRoute',
    });
    expect(ec2Mock).toHaveReceivedCommandExactlyOnceWith(DescribeRouteTablesCommand, {
      RouteTableIds: [RTB],
    });
  });

  it('undefined when the table has no route for the destination', async () => {
    ec2Mock.on(DescribeRouteTablesCommand).resolves({
      RouteTables: [
        { RouteTableId: RTB, Routes: [{ DestinationCidrBlock: '10.0.0.0/16', GatewayId: 'local' }] },
      ],
    });

    expect(await writer().currentRoute(RTB, '0.0.0.0/0')).toBeUndefined();
  });

  it('a transit gateway default route is returned as such (the caller leaves it alone)', async () => {
    ec2Mock.on(DescribeRouteTablesCommand).resolves({
      RouteTables: [
        {
          RouteTableId: RTB,
          Routes: [
            { DestinationCidrBlock: '0.0.0.0/0', TransitGatewayId: 'tgw-0123456789abcdef0', State: 'active' },
          ],
        },
      ],
    });

    expect(await writer().currentRoute(RTB, '0.0.0.0/0')).toMatchObject({
      target: { kind: 'transit-gateway', id: 'tgw-0123456789abcdef0' },
      state: 'active',
    });
  });

  it('a table that does not exist is an AwsCallError', async () => {
    ec2Mock
      .on(DescribeRouteTablesCommand)
      .rejects(ec2Error('InvalidRouteTableID.NotFound', `The routeTable ID '${RTB}' does not exist`));

    const error = await failure(writer().currentRoute(RTB, '0.0.0.0/0'));

    expect(error).toMatchObject({
      operation: 'ec2:DescribeRouteTables',
      errorName: 'InvalidRouteTableID.NotFound',
    });
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

describe('nodegroupStatus', () => {
  it("returns the nodegroup's status", async () => {
    eksMock
      .on(DescribeNodegroupCommand)
      .resolves({ nodegroup: { nodegroupName: NODEGROUP, status: 'UPDATING' } });

    expect(await writer().nodegroupStatus(CLUSTER, NODEGROUP)).toBe('UPDATING');

    expect(eksMock).toHaveReceivedCommandExactlyOnceWith(DescribeNodegroupCommand, {
      clusterName: CLUSTER,
      nodegroupName: NODEGROUP,
    });
  });

  it('UNKNOWN when EKS reports no status', async () => {
    eksMock.on(DescribeNodegroupCommand).resolves({ nodegroup: { nodegroupName: NODEGROUP } });

    expect(await writer().nodegroupStatus(CLUSTER, NODEGROUP)).toBe('UNKNOWN');
  });

  it('ThrottlingException is an AwsCallError naming eks:DescribeNodegroup', async () => {
    eksMock.on(DescribeNodegroupCommand).rejects(eksError('ThrottlingException', 'Rate exceeded'));

    const error = await failure(writer().nodegroupStatus(CLUSTER, NODEGROUP));

    expect(error).toMatchObject({ operation: 'eks:DescribeNodegroup', errorName: 'ThrottlingException' });
  });
});
