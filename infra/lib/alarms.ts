import { Duration } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, type IMetric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { FilterPattern, type ILogGroup, MetricFilter } from 'aws-cdk-lib/aws-logs';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { METRICS_NAMESPACE } from '../../functions/metrics/metricNames.js';

/**
 * Remediation actions that ended `failed` (any type, any reason code): a metric made from the function's
 * log, in the namespace of its own metrics (functions/metrics/metricNames.ts; docs/operations.md names it).
 */
export const FAILED_REMEDIATIONS_METRIC = 'FailedRemediations';
/** scale-cycle actions that scaled a nodegroup to 0 and could not scale it back. */
export const CAPACITY_LEFT_LOWER_METRIC = 'ScaleBackFailures';

/**
 * The function logs one JSON line per remediation action that has an outcome (functions/core/
 * executePlan.ts, through the Powertools logger of functions/logger.ts): `message` is
 * `remediation action`, and `status` and `reasonCode` are top-level keys beside it.
 */
export const FAILED_REMEDIATION_PATTERN = '{ ($.message = "remediation action") && ($.status = "failed") }';
/**
 * A failed scale-back leaves the nodegroup at desired size 0: `SCALE_BACK_FAILED` (it became ACTIVE at 0,
 * then 5 scale-backs failed) or `NOT_ACTIVE_IN_TIME` (it never became ACTIVE in time, and the
 * scale-back failed too). Both mean capacity is lower than before, until someone runs the undo command.
 */
export const CAPACITY_LEFT_LOWER_PATTERN =
  '{ ($.message = "remediation action") && (($.reasonCode = "SCALE_BACK_FAILED") || ($.reasonCode = "NOT_ACTIVE_IN_TIME")) }';

/**
 * How long past its due time a message may wait before the queue counts as behind. A healthy message
 * is done within one attempt: the batching window and one function run (30 s + 10 min). It is older
 * than this only when it waited for a retry (a failed item reappears after the visibility timeout,
 * about 11.5 minutes) or for free concurrency: the checks are falling behind the launches.
 */
export const QUEUE_AGE_MARGIN = Duration.minutes(15);

/** The launch queue's age threshold: the delay the function puts on a launch it sends back, plus the margin. */
export function launchQueueAgeThreshold(launchDelay: Duration): Duration {
  return launchDelay.plus(QUEUE_AGE_MARGIN);
}

export interface AlarmTargets {
  topic: ITopic;
  function: IFunction;
  logGroup: ILogGroup;
  /** The launch queue, and the delay the function puts on a launch it sends back (the join window, at most 900 s). */
  launchQueue: IQueue;
  launchDelay: Duration;
  preflightQueue: IQueue;
  deadLetterQueue: IQueue;
}

const PERIOD = Duration.minutes(5);

/**
 * The stack's alarms, each publishing to the alert topic, each treating missing data as fine (no data
 * means nothing happened). docs/operations.md says, for each, what it means and what to do.
 */
export function addAlarms(scope: Construct, targets: AlarmTargets): Alarm[] {
  const action = new SnsAction(targets.topic);
  const alarm = (
    id: string,
    description: string,
    metric: IMetric,
    threshold: number,
    comparisonOperator: ComparisonOperator,
  ): Alarm => {
    const made = new Alarm(scope, id, {
      alarmDescription: `eks-join-remediator: ${description} See docs/operations.md.`,
      metric,
      threshold,
      comparisonOperator,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    made.addAlarmAction(action);
    return made;
  };
  const atLeastOne = ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD;
  const above = ComparisonOperator.GREATER_THAN_THRESHOLD;

  const failed = new MetricFilter(scope, 'FailedRemediationsFilter', {
    logGroup: targets.logGroup,
    filterPattern: FilterPattern.literal(FAILED_REMEDIATION_PATTERN),
    metricNamespace: METRICS_NAMESPACE,
    metricName: FAILED_REMEDIATIONS_METRIC,
    metricValue: '1',
  });
  const capacity = new MetricFilter(scope, 'CapacityLeftLowerFilter', {
    logGroup: targets.logGroup,
    filterPattern: FilterPattern.literal(CAPACITY_LEFT_LOWER_PATTERN),
    metricNamespace: METRICS_NAMESPACE,
    metricName: CAPACITY_LEFT_LOWER_METRIC,
    metricValue: '1',
  });
  const queueAge = (queue: IQueue) =>
    queue.metricApproximateAgeOfOldestMessage({ period: PERIOD, statistic: 'Maximum' });

  return [
    alarm(
      'DeadLetterAlarm',
      'events reached the dead-letter queue (a check failed on every receive, or EventBridge could not deliver). Inspect and redrive them.',
      targets.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
        period: PERIOD,
        statistic: 'Maximum',
      }),
      0,
      above,
    ),
    alarm(
      'FunctionErrorAlarm',
      'the join-check function failed (crash, timeout or bad configuration); its log says why.',
      targets.function.metricErrors({ period: PERIOD, statistic: 'Sum' }),
      0,
      above,
    ),
    alarm(
      'FunctionThrottleAlarm',
      'invocations of the join-check function were throttled (its reserved concurrency was used up, e.g. by direct invocations).',
      targets.function.metricThrottles({ period: PERIOD, statistic: 'Sum' }),
      0,
      above,
    ),
    alarm(
      'LaunchQueueAgeAlarm',
      'launch checks are falling behind: a launch waited more than 15 minutes past its re-queue delay (the join window, at most 15 minutes).',
      queueAge(targets.launchQueue),
      launchQueueAgeThreshold(targets.launchDelay).toSeconds(),
      above,
    ),
    alarm(
      'PreflightQueueAgeAlarm',
      'preflight checks are falling behind: a nodegroup API call waited longer than 15 minutes.',
      queueAge(targets.preflightQueue),
      QUEUE_AGE_MARGIN.toSeconds(),
      above,
    ),
    alarm(
      'FailedRemediationAlarm',
      'a remediation action failed (status failed in the function log).',
      failed.metric({ period: PERIOD, statistic: 'Sum' }),
      1,
      atLeastOne,
    ),
    alarm(
      'CapacityLeftLowerAlarm',
      'CRITICAL: scale-cycle scaled a nodegroup to 0 and could not scale it back. Run the undo command from the alert now.',
      capacity.metric({ period: PERIOD, statistic: 'Sum' }),
      1,
      atLeastOne,
    ),
  ];
}
