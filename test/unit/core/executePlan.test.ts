import { AutoScalingClient, TerminateInstanceInAutoScalingGroupCommand } from '@aws-sdk/client-auto-scaling';
import {
  CreateRouteCommand,
  DescribeRouteTablesCommand,
  EC2Client,
  ReplaceRouteCommand,
} from '@aws-sdk/client-ec2';
import { DescribeNodegroupCommand, EKSClient, UpdateNodegroupConfigCommand } from '@aws-sdk/client-eks';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { AwsRemediationWriter } from '../../../functions/aws/AwsRemediationWriter.js';
import { executePlan } from '../../../functions/core/executePlan.js';
import { silentLog } from '../../../functions/core/ports.js';
import type { Action } from '../../../functions/core/types.js';
import { mockedClients } from '../../support/sdkClients.js';

const ec2 = mockClient(EC2Client);
const autoScaling = mockClient(AutoScalingClient);
const eks = mockClient(EKSClient);

const RTB = 'rtb-0f1e2d3c4b5a69788';
const NAT = 'nat-0123456789abcdef0';
const writer = new AwsRemediationWriter(mockedClients());

const createRoute: Action = {
  type: 'create-route',
  resourceId: RTB,
  routeTableId: RTB,
  destination: '0.0.0.0/0',
  natGatewayId: NAT,
  target: NAT,
  status: 'planned',
  reason: `add 0.0.0.0/0 → ${NAT}`,
  before: 'no 0.0.0.0/0 route',
  after: `0.0.0.0/0 → ${NAT} (active)`,
  undo: `aws ec2 delete-route --route-table-id ${RTB} --destination-cidr-block 0.0.0.0/0`,
};
const replaceRoute: Action = {
  ...createRoute,
  type: 'replace-route',
  before: '0.0.0.0/0 → nat-0dead (blackhole)',
};
const replace = (instanceId: string): Action => ({
  type: 'replace-instances',
  resourceId: instanceId,
  instanceId,
  autoScalingGroupName: 'eks-asg',
  status: 'planned',
  reason: `terminate ${instanceId}`,
});

const named = (name: string, message = name) => Object.assign(new Error(message), { name, $metadata: {} });
const run = (actions: Action[]) =>
  executePlan(actions, {
    cluster: 'eks-workshop',
    nodegroup: 'new_nodegroup_2',
    writer,
    log: silentLog,
    deadline: new Date(Date.now() + 60_000),
    pollMs: 1,
    sleep: async () => {},
  });

beforeEach(() => {
  ec2.reset();
  autoScaling.reset();
  eks.reset();
});

describe('executePlan', () => {
  it('adds the route, then replaces the unjoined instance without lowering desired capacity', async () => {
    ec2.on(CreateRouteCommand).resolves({ Return: true });
    autoScaling
      .on(TerminateInstanceInAutoScalingGroupCommand)
      .resolves({ Activity: { ActivityId: 'a' } as never });
    const actions = await run([createRoute, replace('i-01')]);
    expect(actions.map((a) => a.status)).toEqual(['done', 'done']);
    expect(ec2.commandCalls(CreateRouteCommand)[0]?.args[0].input).toEqual({
      RouteTableId: RTB,
      DestinationCidrBlock: '0.0.0.0/0',
      NatGatewayId: NAT,
    });
    expect(autoScaling.commandCalls(TerminateInstanceInAutoScalingGroupCommand)[0]?.args[0].input).toEqual({
      InstanceId: 'i-01',
      ShouldDecrementDesiredCapacity: false,
    });
  });

  it('counts RouteAlreadyExists for our own route as done, without a second route', async () => {
    ec2.on(CreateRouteCommand).rejects(named('RouteAlreadyExists'));
    ec2.on(DescribeRouteTablesCommand).resolves({
      RouteTables: [
        {
          RouteTableId: RTB,
          Routes: [{ DestinationCidrBlock: '0.0.0.0/0', NatGatewayId: NAT, State: 'active' }],
        },
      ],
    });
    const [action] = await run([createRoute]);
    expect(action).toMatchObject({ status: 'done' });
    expect(action?.reason).toContain('already there');
    expect(ec2.commandCalls(CreateRouteCommand)).toHaveLength(1);
  });

  it("leaves someone else's new default route alone and recycles nothing", async () => {
    ec2.on(CreateRouteCommand).rejects(named('RouteAlreadyExists'));
    ec2.on(DescribeRouteTablesCommand).resolves({
      RouteTables: [
        {
          RouteTableId: RTB,
          Routes: [{ DestinationCidrBlock: '0.0.0.0/0', TransitGatewayId: 'tgw-1', State: 'active' }],
        },
      ],
    });
    const actions = await run([createRoute, replace('i-01')]);
    expect(actions.map((a) => a.status)).toEqual(['skipped', 'skipped']);
    expect(autoScaling.commandCalls(TerminateInstanceInAutoScalingGroupCommand)).toHaveLength(0);
  });

  it('turns access denied into a failed action naming the permission, and recycles nothing', async () => {
    ec2
      .on(CreateRouteCommand)
      .rejects(named('UnauthorizedOperation', 'You are not authorized to perform this operation.'));
    const actions = await run([createRoute, replace('i-01')]);
    expect(actions[0]).toMatchObject({ status: 'failed', undo: undefined });
    expect(actions[0]?.reason).toContain('ec2:CreateRoute');
    expect(actions[0]?.reason).toContain("grant ec2:CreateRoute to the caller's IAM role");
    expect(actions[1]).toMatchObject({
      status: 'skipped',
      reason: 'no route was fixed, so nothing is recycled',
    });
  });

  it('reports throttling that outlasted the retries as a failed action, never a crash', async () => {
    ec2.on(CreateRouteCommand).rejects(named('RequestLimitExceeded', 'Request limit exceeded.'));
    const [action] = await run([createRoute]);
    expect(action?.status).toBe('failed');
    expect(action?.reason).toContain('throttled');
  });

  it('replaces a dead route only while it is still the dead route that was planned for', async () => {
    ec2.on(DescribeRouteTablesCommand).resolves({
      RouteTables: [
        {
          RouteTableId: RTB,
          Routes: [{ DestinationCidrBlock: '0.0.0.0/0', NatGatewayId: 'nat-0dead', State: 'blackhole' }],
        },
      ],
    });
    ec2.on(ReplaceRouteCommand).resolves({});
    expect((await run([replaceRoute]))[0]?.status).toBe('done');

    ec2.reset();
    ec2.on(DescribeRouteTablesCommand).resolves({
      RouteTables: [
        {
          RouteTableId: RTB,
          Routes: [{ DestinationCidrBlock: '0.0.0.0/0', VpcPeeringConnectionId: 'pcx-1', State: 'active' }],
        },
      ],
    });
    const [untouched] = await run([replaceRoute]);
    expect(untouched?.status).toBe('skipped');
    expect(ec2.commandCalls(ReplaceRouteCommand)).toHaveLength(0);
  });

  it('does not terminate an instance twice: one already terminating is skipped', async () => {
    ec2.on(CreateRouteCommand).resolves({ Return: true });
    autoScaling
      .on(TerminateInstanceInAutoScalingGroupCommand)
      .rejects(named('ValidationError', 'The instance i-01 is not part of Auto Scaling group eks-asg.'));
    const actions = await run([createRoute, replace('i-01')]);
    expect(actions[1]).toMatchObject({ status: 'skipped' });
  });

  it('runs scale-cycle: desired 0, waits for ACTIVE, back to the original size', async () => {
    ec2.on(CreateRouteCommand).resolves({ Return: true });
    eks.on(UpdateNodegroupConfigCommand).resolves({});
    eks
      .on(DescribeNodegroupCommand)
      .resolvesOnce({ nodegroup: { status: 'UPDATING' } })
      .resolves({ nodegroup: { status: 'ACTIVE' } });
    const cycle: Action = {
      type: 'scale-cycle',
      resourceId: 'new_nodegroup_2',
      desiredSize: 3,
      status: 'planned',
      reason: 'cycle',
    };
    const actions = await run([createRoute, cycle]);
    expect(actions[1]?.status).toBe('done');
    expect(
      eks.commandCalls(UpdateNodegroupConfigCommand).map((c) => c.args[0].input.scalingConfig?.desiredSize),
    ).toEqual([0, 3]);
  });

  it('says plainly when scale-cycle scaled to 0 and could not come back in time', async () => {
    ec2.on(CreateRouteCommand).resolves({ Return: true });
    eks.on(UpdateNodegroupConfigCommand).resolves({});
    eks.on(DescribeNodegroupCommand).resolves({ nodegroup: { status: 'UPDATING' } });
    const cycle: Action = {
      type: 'scale-cycle',
      resourceId: 'new_nodegroup_2',
      desiredSize: 3,
      status: 'planned',
      reason: 'cycle',
    };
    const [, action] = await executePlan([createRoute, cycle], {
      cluster: 'eks-workshop',
      nodegroup: 'new_nodegroup_2',
      writer,
      log: silentLog,
      deadline: new Date(Date.now() - 1),
      pollMs: 1,
      sleep: async () => {},
    });
    expect(action).toMatchObject({ status: 'failed' });
    expect(action?.reason).toContain('NOT scaled back to 3');
  });
});
