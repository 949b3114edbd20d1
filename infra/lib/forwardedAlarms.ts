import { Duration, Stack } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import {
  EventField,
  type EventPattern,
  type IRuleTarget,
  Rule,
  RuleTargetInput,
} from 'aws-cdk-lib/aws-events';
import { SnsTopic } from 'aws-cdk-lib/aws-events-targets';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import cdkNag from 'cdk-nag';
import type { Construct } from 'constructs';
import type { ForwardingRegions } from './names.js';

const { NagSuppressions } = cdkNag;

/**
 * A forwarding region's dead-letter queue has its alarm in that region, and CloudWatch alarms act only
 * in their own region. So the alarm's state changes travel like the other events: a rule there sends
 * them to the home region's default bus, and a rule of the home stack publishes them to the alert topic,
 * where e-mail and Slack already listen.
 */

/** The alarm of a forwarding dead-letter queue: the queue's name and `-alarm` (names are per region). */
export function forwardingAlarmName(deadLetterQueueName: string): string {
  return `${deadLetterQueueName}-alarm`;
}

/** CloudWatch's event for a state change of this alarm (in these regions, when given). */
function alarmStateChanges(alarmName: string, regions?: readonly string[]): EventPattern {
  return {
    source: ['aws.cloudwatch'],
    detailType: ['CloudWatch Alarm State Change'],
    ...(regions && { region: [...regions] }),
    detail: { alarmName: [alarmName] },
  };
}

/** In the forwarding region: the alarm on its dead-letter queue, and the rule that sends its state changes home. */
export function addForwardingAlarm(
  scope: Construct,
  props: {
    deadLetterQueue: IQueue;
    deadLetterQueueName: string;
    homeRegion: string;
    toHome: () => IRuleTarget;
  },
): { alarm: Alarm; rule: Rule } {
  const alarmName = forwardingAlarmName(props.deadLetterQueueName);
  const alarm = new Alarm(scope, 'ForwardingDeadLetterAlarm', {
    alarmName,
    alarmDescription: `eks-join-remediator: events of this region could not be put on the default event bus of ${props.homeRegion} and wait in ${props.deadLetterQueueName}. See docs/regions.md.`,
    metric: props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
      period: Duration.minutes(5),
      statistic: 'Maximum',
    }),
    threshold: 0,
    comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
    evaluationPeriods: 1,
    treatMissingData: TreatMissingData.NOT_BREACHING,
  });
  const rule = new Rule(scope, 'ForwardingAlarmRule', {
    description: `eks-join-remediator: the forwarding dead-letter alarm changed state; to ${props.homeRegion}`,
    eventPattern: alarmStateChanges(alarmName),
    targets: [props.toHome()],
  });
  return { alarm, rule };
}

/**
 * In the home stack: the forwarding alarms' state changes, from the listed regions, to the alert topic
 * as one readable line.
 */
export function relayForwardingAlarms(
  scope: Construct,
  props: { topic: ITopic; forwarding: ForwardingRegions | undefined },
): Rule | undefined {
  if (!props.forwarding || props.forwarding.regions.length === 0) return undefined;
  const { regions, deadLetterQueueName } = props.forwarding;
  // Published with a role of its own, so neither the topic's nor the key's policy opens to EventBridge as
  // a whole: only this account's rules may take the role, and the role may only publish to this topic.
  const role = new Role(scope, 'ForwardingAlarmRelayRole', {
    assumedBy: new ServicePrincipal('events.amazonaws.com', {
      conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(scope).account } },
    }),
    description: "eks-join-remediator: EventBridge publishes forwarding regions' alarms to the alert topic",
  });
  const field = (path: string) => EventField.fromPath(path);
  const relay = new Rule(scope, 'ForwardingAlarmRelay', {
    description:
      "eks-join-remediator: a forwarding region's dead-letter alarm changed state: to the alert topic",
    eventPattern: alarmStateChanges(forwardingAlarmName(deadLetterQueueName), regions),
    targets: [
      new SnsTopic(props.topic, {
        role,
        authorizeUsingRole: true,
        message: RuleTargetInput.fromText(
          `eks-join-remediator: alarm ${field('$.detail.alarmName')} in ${field('$.region')} is ${field('$.detail.state.value')}. ` +
            `Events of that region could not be put on this region's default event bus and wait in its dead-letter queue: ` +
            'check the forwarding role and rules there, then redrive the queue (docs/regions.md).',
        ),
      }),
    ],
  });
  // After the rule: binding the target gives the role its policy.
  NagSuppressions.addResourceSuppressions(
    role,
    [
      {
        id: 'AwsSolutions-IAM5',
        reason:
          'kms:GenerateDataKey* on the alert key only: the grant CDK makes for publishing to the encrypted topic.',
        appliesTo: ['Action::kms:GenerateDataKey*'],
      },
    ],
    true,
  );
  return relay;
}
