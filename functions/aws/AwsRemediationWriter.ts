import {
  paginateDescribeAutoScalingGroups,
  paginateDescribeAutoScalingInstances,
  TerminateInstanceInAutoScalingGroupCommand,
} from '@aws-sdk/client-auto-scaling';
import {
  CreateRouteCommand,
  DescribeRouteTablesCommand,
  paginateDescribeInstances,
  paginateDescribeNatGateways,
  ReplaceRouteCommand,
} from '@aws-sdk/client-ec2';
import { DescribeNodegroupCommand, UpdateNodegroupConfigCommand } from '@aws-sdk/client-eks';
import { errorName } from '../core/model/errors.js';
import type { InstanceState, RemediationWriter } from '../core/model/ports.js';
import type { NatGateway, RouteTable } from '../core/model/types.js';
import { awsCall } from './awsCall.js';
import type { AwsClients } from './clients.js';
import { toNatGateway, toRouteTable } from './mapEc2.js';
import { collectInSlices } from './pages.js';

/** EC2 filter values per call: keeps request size well under the API limit. */
const FILTER_VALUES_PER_CALL = 200;
/** Auto Scaling accepts at most 50 group names per DescribeAutoScalingGroups call. */
const AUTO_SCALING_GROUP_NAMES_PER_CALL = 50;
/** Lifecycle states of instances already leaving their group. */
const LEAVING_LIFECYCLE = /^(Terminating|Terminated|Detaching|Detached)/;
/** Auto Scaling accepts at most 50 instance ids per DescribeAutoScalingInstances call. */
const AUTO_SCALING_INSTANCE_IDS_PER_CALL = 50;

/**
 * What Auto Scaling says when TerminateInstanceInAutoScalingGroup is asked about an instance it no
 * longer manages: already terminated, already terminating, or detached from its group. Only these
 * count as "already gone"; any other ValidationError (an instance still Pending, a warm pool, a
 * min-size constraint) is a real failure.
 */
const ALREADY_GONE_MESSAGES = [
  // Terminated or terminating instances: "Instance Id not found - No managed instance found for instance ID: i-…"
  /No managed instance found for instance ID/i,
  /^Instance Id not found\b/i,
  // "The instance i-… is not part of Auto Scaling group <name>."
  /\bis not part of Auto Scaling group\b/i,
  /\bis already (being )?terminat(ed|ing)\b/i,
];

/**
 * What EC2 says when ReplaceRoute finds no route for the destination: `InvalidRoute.NotFound`, or (as
 * EC2 also answers, and moto always) InvalidParameterValue with this text.
 */
const NO_ROUTE_MESSAGE = /There is no route defined for\b/i;

/**
 * The only writes remediation makes, through the AWS SDK: a default route to a NAT gateway, an instance
 * terminated through Auto Scaling (replaced by its group), a nodegroup's desired size; and the fresh
 * reads around them. Every SDK error that is not an expected outcome becomes an AwsCallError naming
 * the IAM action.
 */
export class AwsRemediationWriter implements RemediationWriter {
  readonly #clients: Pick<AwsClients, 'ec2' | 'autoScaling' | 'eks'>;

  constructor(clients: Pick<AwsClients, 'ec2' | 'autoScaling' | 'eks'>) {
    this.#clients = clients;
  }

  async createRoute(...route: NatRoute): Promise<'created' | 'exists'> {
    const command = new CreateRouteCommand(natRouteInput(...route));
    const created = () => this.#clients.ec2.send(command).then(() => 'created' as const);
    return awsCall('ec2:CreateRoute', created, {
      when: (error) => errorName(error) === 'RouteAlreadyExists',
      answer: () => 'exists' as const,
    });
  }

  async replaceRoute(...route: NatRoute): Promise<'replaced' | 'not-found'> {
    const command = new ReplaceRouteCommand(natRouteInput(...route));
    const replaced = () => this.#clients.ec2.send(command).then(() => 'replaced' as const);
    // Not found: never created behind the caller, or removed since; it re-plans on what is there now.
    return awsCall('ec2:ReplaceRoute', replaced, {
      when: isRouteNotFound,
      answer: () => 'not-found' as const,
    });
  }

  async terminateInstance(instanceId: string): Promise<'terminating' | 'already-gone'> {
    const command = new TerminateInstanceInAutoScalingGroupCommand({
      InstanceId: instanceId,
      ShouldDecrementDesiredCapacity: false,
    });
    const attempts = countAttempts(command);
    return awsCall(
      'autoscaling:TerminateInstanceInAutoScalingGroup',
      async () => {
        await this.#clients.autoScaling.send(command);
        return 'terminating' as const;
      },
      // "Already terminating" on a retry: the first attempt took effect and only its answer was lost.
      { when: isAlreadyGone, answer: () => (attempts() > 1 ? 'terminating' : 'already-gone') },
    );
  }

  async setDesiredSize(clusterName: string, nodegroupName: string, desiredSize: number): Promise<void> {
    await awsCall('eks:UpdateNodegroupConfig', () =>
      this.#clients.eks.send(
        new UpdateNodegroupConfigCommand({ clusterName, nodegroupName, scalingConfig: { desiredSize } }),
      ),
    );
  }

  async readRouteTable(routeTableId: string): Promise<RouteTable | undefined> {
    return awsCall(
      'ec2:DescribeRouteTables',
      async () => {
        const command = new DescribeRouteTablesCommand({ RouteTableIds: [routeTableId] });
        const response = await this.#clients.ec2.send(command);
        const table = response.RouteTables?.find((t) => t.RouteTableId === routeTableId);
        return table && toRouteTable(table);
      },
      { when: (error) => errorName(error) === 'InvalidRouteTableID.NotFound', answer: () => undefined },
    );
  }

  async readNatGateways(natGatewayIds: string[]): Promise<NatGateway[]> {
    const ids = [...new Set(natGatewayIds)];
    if (ids.length === 0) return [];
    // A filter (not NatGatewayIds) so a gateway that no longer exists is simply absent.
    const gateways = await awsCall('ec2:DescribeNatGateways', () =>
      collectInSlices(
        ids,
        FILTER_VALUES_PER_CALL,
        (slice) =>
          paginateDescribeNatGateways(
            { client: this.#clients.ec2 },
            { Filter: [{ Name: 'nat-gateway-id', Values: slice }] },
          ),
        (page) => page.NatGateways,
      ),
    );
    return gateways.map(toNatGateway);
  }

  async readInstances(instanceIds: string[]): Promise<InstanceState[]> {
    const ids = [...new Set(instanceIds)];
    if (ids.length === 0) return [];
    const [ec2Instances, groupInstances] = await Promise.all([
      // A filter (not InstanceIds) so an instance that no longer exists is simply absent.
      awsCall('ec2:DescribeInstances', () =>
        collectInSlices(
          ids,
          FILTER_VALUES_PER_CALL,
          (slice) =>
            paginateDescribeInstances(
              { client: this.#clients.ec2 },
              { Filters: [{ Name: 'instance-id', Values: slice }] },
            ),
          (page) => page.Reservations?.flatMap((r) => r.Instances ?? []),
        ),
      ),
      awsCall('autoscaling:DescribeAutoScalingInstances', () =>
        collectInSlices(
          ids,
          AUTO_SCALING_INSTANCE_IDS_PER_CALL,
          (slice) =>
            paginateDescribeAutoScalingInstances(
              { client: this.#clients.autoScaling },
              { InstanceIds: slice },
            ),
          (page) => page.AutoScalingInstances,
        ),
      ),
    ]);
    const ec2States = new Map(ec2Instances.map((i) => [i.InstanceId, i.State?.Name ?? 'unknown']));
    const lifecycleStates = new Map(groupInstances.map((i) => [i.InstanceId, i.LifecycleState]));
    return ids.flatMap((instanceId) => {
      const state = ec2States.get(instanceId);
      if (state === undefined) return [];
      const lifecycleState = lifecycleStates.get(instanceId);
      return [{ instanceId, state, ...(lifecycleState && { lifecycleState }) }];
    });
  }

  async readGroupInstanceIds(autoScalingGroupNames: string[]): Promise<string[]> {
    const names = [...new Set(autoScalingGroupNames)];
    if (names.length === 0) return [];
    const groups = await awsCall('autoscaling:DescribeAutoScalingGroups', () =>
      collectInSlices(
        names,
        AUTO_SCALING_GROUP_NAMES_PER_CALL,
        (slice) =>
          paginateDescribeAutoScalingGroups(
            { client: this.#clients.autoScaling },
            { AutoScalingGroupNames: slice },
          ),
        (page) => page.AutoScalingGroups,
      ),
    );
    return groups.flatMap((group) =>
      (group.Instances ?? []).flatMap((i) =>
        i.InstanceId && !LEAVING_LIFECYCLE.test(i.LifecycleState ?? '') ? [i.InstanceId] : [],
      ),
    );
  }

  async readNodegroupScaling(
    clusterName: string,
    nodegroupName: string,
  ): Promise<{ status: string; desiredSize: number; minSize: number }> {
    const response = await awsCall('eks:DescribeNodegroup', () =>
      this.#clients.eks.send(new DescribeNodegroupCommand({ clusterName, nodegroupName })),
    );
    const nodegroup = response.nodegroup;
    return {
      status: nodegroup?.status ?? 'UNKNOWN',
      desiredSize: nodegroup?.scalingConfig?.desiredSize ?? 0,
      minSize: nodegroup?.scalingConfig?.minSize ?? 0,
    };
  }
}

/** Route table, destination CIDR block and NAT gateway: a default route to a NAT gateway. */
type NatRoute = Parameters<RemediationWriter['createRoute']>;

function natRouteInput(...[routeTableId, destination, natGatewayId]: NatRoute) {
  return { RouteTableId: routeTableId, DestinationCidrBlock: destination, NatGatewayId: natGatewayId };
}

/**
 * Counts the attempts the SDK makes for one command (its retries included): a middleware inside the
 * retry loop sees each one.
 */
function countAttempts(command: TerminateInstanceInAutoScalingGroupCommand): () => number {
  let attempts = 0;
  command.middlewareStack.add(
    (next) => async (args) => {
      attempts += 1;
      return next(args);
    },
    { step: 'deserialize', name: 'countAttempts' },
  );
  return () => attempts;
}

function isRouteNotFound(error: unknown): boolean {
  const name = errorName(error);
  if (name === 'InvalidRoute.NotFound') return true;
  return (
    name === 'InvalidParameterValue' && NO_ROUTE_MESSAGE.test((error as { message?: string }).message ?? '')
  );
}

function isAlreadyGone(error: unknown): boolean {
  if (errorName(error) !== 'ValidationError') return false;
  const message = (error as { message?: string }).message ?? '';
  return ALREADY_GONE_MESSAGES.some((pattern) => pattern.test(message));
}
