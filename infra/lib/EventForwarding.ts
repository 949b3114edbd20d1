import { Duration, Stack } from 'aws-cdk-lib';
import type { Alarm } from 'aws-cdk-lib/aws-cloudwatch';
import { CfnAccessEntry } from 'aws-cdk-lib/aws-eks';
import { EventBus, Rule } from 'aws-cdk-lib/aws-events';
import { EventBus as EventBusTarget } from 'aws-cdk-lib/aws-events-targets';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import cdkNag from 'cdk-nag';
import { Construct } from 'constructs';
import { READER_GROUP } from '../../functions/core/model/settings.js';
import { EVENT_SOURCES } from './EksJoinRemediator.js';
import { addForwardingAlarm } from './forwardedAlarms.js';

const { NagSuppressions } = cdkNag;

export interface EventForwardingProps {
  /** Where the function runs: its default event bus receives this region's events. */
  readonly homeRegion: string;
  /** The function's role (names.ts), the principal of this region's access entries. */
  readonly functionRoleName: string;
  /** The watched clusters of this region: each gets an access entry for the function's role. */
  readonly clusters: readonly string[];
  /** The name of the rules' dead-letter queue (names.ts), which the home dashboard shows. */
  readonly deadLetterQueueName: string;
}

/**
 * What a region other than the home region needs: the same two rules as the home stack, whose target
 * is the home region's default event bus (an EventBridge cross-region target, with a role that may
 * only put events there), and the access entries of this region's clusters for the function's role.
 * Events the rules cannot deliver wait in a dead-letter queue here, 14 days; its alarm's state changes
 * are forwarded too, to reach the home region's alert topic.
 */
export class EventForwarding extends Construct {
  readonly launchRule: Rule;
  readonly nodegroupApiRule: Rule;
  readonly role: Role;
  readonly deadLetterQueue: Queue;
  /** Its state changes go to the home region's alert topic (forwardedAlarms.ts). */
  readonly deadLetterAlarm: Alarm;
  readonly accessEntries: CfnAccessEntry[];

  constructor(scope: Construct, id: string, props: EventForwardingProps) {
    super(scope, id);
    const { homeRegion, functionRoleName, clusters, deadLetterQueueName } = props;
    const stack = Stack.of(this);
    const homeBus = EventBus.fromEventBusArn(
      this,
      'HomeEventBus',
      stack.formatArn({
        service: 'events',
        region: homeRegion,
        resource: 'event-bus',
        resourceName: 'default',
      }),
    );
    this.role = new Role(this, 'ForwardingRole', {
      assumedBy: new ServicePrincipal('events.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
      description: `eks-join-remediator: EventBridge puts this region's events on the default bus of ${homeRegion}`,
    });
    this.deadLetterQueue = new Queue(this, 'ForwardingDeadLetterQueue', {
      queueName: deadLetterQueueName,
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    const target = () =>
      new EventBusTarget(homeBus, { role: this.role, deadLetterQueue: this.deadLetterQueue });
    this.launchRule = new Rule(this, 'InstanceLaunchRule', {
      description: `eks-join-remediator: an EKS managed nodegroup instance launched or failed to launch; to ${homeRegion}`,
      eventPattern: EVENT_SOURCES.launch,
      targets: [target()],
    });
    this.nodegroupApiRule = new Rule(this, 'NodegroupApiRule', {
      description: `eks-join-remediator: a nodegroup API call; to ${homeRegion}`,
      eventPattern: EVENT_SOURCES.nodegroupApi,
      targets: [target()],
    });
    this.deadLetterAlarm = addForwardingAlarm(this, {
      deadLetterQueue: this.deadLetterQueue,
      deadLetterQueueName,
      homeRegion,
      toHome: target,
    }).alarm;
    const principalArn = stack.formatArn({
      service: 'iam',
      region: '',
      resource: 'role',
      resourceName: functionRoleName,
    });
    this.accessEntries = clusters.map(
      (clusterName) =>
        new CfnAccessEntry(this, `AccessEntry-${clusterName}`, {
          clusterName,
          principalArn,
          type: 'STANDARD',
          kubernetesGroups: [READER_GROUP],
        }),
    );
    NagSuppressions.addResourceSuppressions(this.deadLetterQueue, [
      {
        id: 'AwsSolutions-SQS3',
        reason:
          'This queue is the dead-letter queue of the forwarding rules (EventBridge target dead-letter queue), ' +
          'which cdk-nag does not recognise as one; it has no dead-letter queue of its own.',
      },
    ]);
  }
}
