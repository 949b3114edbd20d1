import { Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { EventForwarding, type EventForwardingProps } from './EventForwarding.js';

export type EventForwardingStackProps = StackProps & EventForwardingProps;

/** A region other than the home region: its stack holds only the EventForwarding construct. */
export class EventForwardingStack extends Stack {
  readonly forwarding: EventForwarding;

  constructor(scope: Construct, id: string, props: EventForwardingStackProps) {
    const { homeRegion, functionRoleName, clusters, deadLetterQueueName, ...stackProps } = props;
    super(scope, id, { description: forwardingDescription(homeRegion), ...stackProps });
    this.forwarding = new EventForwarding(this, 'Forwarding', {
      homeRegion,
      functionRoleName,
      clusters,
      deadLetterQueueName,
    });
  }
}

export function forwardingDescription(homeRegion: string): string {
  return `eks-join-remediator: forwards this region's EKS node launches and nodegroup calls to ${homeRegion}`;
}
