import { TerminateInstanceInAutoScalingGroupCommand } from '@aws-sdk/client-auto-scaling';
import { CreateRouteCommand, DescribeRouteTablesCommand, ReplaceRouteCommand } from '@aws-sdk/client-ec2';
import { DescribeNodegroupCommand, UpdateNodegroupConfigCommand } from '@aws-sdk/client-eks';
import { AwsCallError } from '../core/errors.js';
import type { RemediationWriter } from '../core/ports.js';
import type { Route } from '../core/types.js';
import type { AwsClients } from './clients.js';
import { toRoute } from './mapEc2.js';

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
 * The only writes remediation makes, through the AWS SDK: a default route to a NAT gateway, an instance
 * terminated through Auto Scaling (replaced by its group), a nodegroup's desired size. Every SDK error
 * that is not an expected outcome becomes an AwsCallError naming the IAM action.
 */
export class AwsRemediationWriter implements RemediationWriter {
  readonly #clients: Pick<AwsClients, 'ec2' | 'autoScaling' | 'eks'>;

  constructor(clients: Pick<AwsClients, 'ec2' | 'autoScaling' | 'eks'>) {
    this.#clients = clients;
  }

  async createRoute(
    routeTableId: string,
    destination: string,
    natGatewayId: string,
  ): Promise<'created' | 'exists'> {
    try {
      await this.#clients.ec2.send(
        new CreateRouteCommand({
          RouteTableId: routeTableId,
          DestinationCidrBlock: destination,
          NatGatewayId: natGatewayId,
        }),
      );
      return 'created';
    } catch (error) {
      if (errorName(error) === 'RouteAlreadyExists') return 'exists';
      throw new AwsCallError('ec2:CreateRoute', error);
    }
  }

  async replaceRoute(routeTableId: string, destination: string, natGatewayId: string): Promise<void> {
    await call('ec2:ReplaceRoute', () =>
      this.#clients.ec2.send(
        new ReplaceRouteCommand({
          RouteTableId: routeTableId,
          DestinationCidrBlock: destination,
          NatGatewayId: natGatewayId,
        }),
      ),
    );
  }

  async currentRoute(routeTableId: string, destination: string): Promise<Route | undefined> {
    const response = await call('ec2:DescribeRouteTables', () =>
      this.#clients.ec2.send(new DescribeRouteTablesCommand({ RouteTableIds: [routeTableId] })),
    );
    const table = response.RouteTables?.find((t) => t.RouteTableId === routeTableId);
    return (table?.Routes ?? []).map(toRoute).find((r) => r.destination === destination);
  }

  async terminateInstance(instanceId: string): Promise<'terminating' | 'already-gone'> {
    try {
      await this.#clients.autoScaling.send(
        new TerminateInstanceInAutoScalingGroupCommand({
          InstanceId: instanceId,
          ShouldDecrementDesiredCapacity: false,
        }),
      );
      return 'terminating';
    } catch (error) {
      if (isAlreadyGone(error)) return 'already-gone';
      throw new AwsCallError('autoscaling:TerminateInstanceInAutoScalingGroup', error);
    }
  }

  async setDesiredSize(clusterName: string, nodegroupName: string, desiredSize: number): Promise<void> {
    await call('eks:UpdateNodegroupConfig', () =>
      this.#clients.eks.send(
        new UpdateNodegroupConfigCommand({ clusterName, nodegroupName, scalingConfig: { desiredSize } }),
      ),
    );
  }

  async nodegroupStatus(clusterName: string, nodegroupName: string): Promise<string> {
    const response = await call('eks:DescribeNodegroup', () =>
      this.#clients.eks.send(new DescribeNodegroupCommand({ clusterName, nodegroupName })),
    );
    return response.nodegroup?.status ?? 'UNKNOWN';
  }
}

function errorName(error: unknown): string {
  return (error as { name?: string } | undefined)?.name ?? '';
}

function isAlreadyGone(error: unknown): boolean {
  if (errorName(error) !== 'ValidationError') return false;
  const message = (error as { message?: string }).message ?? '';
  return ALREADY_GONE_MESSAGES.some((pattern) => pattern.test(message));
}

async function call<T>(operation: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    throw new AwsCallError(operation, error);
  }
}
