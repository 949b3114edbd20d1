import { Aws, Duration, Fn, Stack } from 'aws-cdk-lib';
import {
  AlarmStatusWidget,
  Dashboard,
  GraphWidget,
  type IAlarm,
  type IMetric,
  MathExpression,
  Metric,
  SearchExpression,
  SingleValueWidget,
  TextWidget,
} from 'aws-cdk-lib/aws-cloudwatch';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import {
  DIMENSIONS,
  METRIC,
  METRICS_NAMESPACE,
  METRICS_SERVICE,
} from '../../functions/metrics/metricNames.js';
import { launchQueueAgeThreshold, QUEUE_AGE_MARGIN } from './alarms.js';
import type { ForwardingRegions } from './names.js';

/** The dimension Powertools adds to every dimension set of the function's metrics (its default dimension). */
export const SERVICE_DIMENSION = 'service';

type MetricName = (typeof METRIC)[keyof typeof METRIC];

/**
 * The dimensions each metric is written with (besides `service`). A SEARCH schema matches only metrics
 * with exactly these dimensions, so this must follow what the function writes (functions/metrics).
 */
export const METRIC_DIMENSIONS: Record<MetricName, readonly string[]> = {
  [METRIC.instancesChecked]: [DIMENSIONS.cluster, DIMENSIONS.nodegroup],
  [METRIC.instancesUnjoined]: [DIMENSIONS.cluster, DIMENSIONS.nodegroup],
  [METRIC.nodesNotReady]: [DIMENSIONS.cluster, DIMENSIONS.nodegroup],
  [METRIC.launchFailures]: [DIMENSIONS.cluster, DIMENSIONS.nodegroup],
  [METRIC.findings]: [DIMENSIONS.cluster, DIMENSIONS.code],
  [METRIC.actions]: [DIMENSIONS.cluster, DIMENSIONS.actionType, DIMENSIONS.actionStatus],
  [METRIC.alertsSent]: [DIMENSIONS.cluster, DIMENSIONS.nodegroup],
  [METRIC.alertsSuppressed]: [DIMENSIONS.cluster, DIMENSIONS.nodegroup],
  [METRIC.timeToJoin]: [DIMENSIONS.cluster, DIMENSIONS.nodegroup],
};

/** Every graph and number of the dashboard is per 5 minutes, like the alarms. */
const PERIOD = Duration.minutes(5);

/**
 * `SEARCH('{EksJoinRemediator,Cluster,Nodegroup,service} MetricName="InstancesUnjoined" service="eks-join-remediator"', 'Maximum', 300)`:
 * one time series per cluster and nodegroup (or code, action type and status), whichever exist. Clusters
 * and nodegroups are not known at deploy time; a search finds the ones that reported in the last two weeks.
 */
export function searchOf(metricName: MetricName, statistic: string): string {
  const schema = [METRICS_NAMESPACE, ...METRIC_DIMENSIONS[metricName], SERVICE_DIMENSION].join(',');
  return `SEARCH('{${schema}} MetricName="${metricName}" ${SERVICE_DIMENSION}="${METRICS_SERVICE}"', '${statistic}', ${PERIOD.toSeconds()})`;
}

/** One line per series the search finds, labelled with its dimension values (dynamic labels). */
function perSeries(metricName: MetricName, statistic: string, label: string): SearchExpression {
  return new SearchExpression({ expression: searchOf(metricName, statistic), label, period: PERIOD });
}

/** The series the search finds, added up into one line (SUM of a search is a math expression). */
function total(metricName: MetricName, statistic: string, label: string): MathExpression {
  return new MathExpression({
    expression: `SUM(${searchOf(metricName, statistic)})`,
    label,
    period: PERIOD,
  });
}

const CLUSTER = `\${PROP('Dim.${DIMENSIONS.cluster}')}`;
const NODEGROUP = `\${PROP('Dim.${DIMENSIONS.nodegroup}')}`;
const CODE = `\${PROP('Dim.${DIMENSIONS.code}')}`;
const ACTION_TYPE = `\${PROP('Dim.${DIMENSIONS.actionType}')}`;
const ACTION_STATUS = `\${PROP('Dim.${DIMENSIONS.actionStatus}')}`;

export interface DashboardTargets {
  function: IFunction;
  /** The function's timeout, marked on its duration graph. */
  functionTimeout: Duration;
  /** The launch queue, and the delay the function puts on a launch it sends back (for its alarm's threshold). */
  launchQueue: IQueue;
  launchDelay: Duration;
  preflightQueue: IQueue;
  deadLetterQueue: IQueue;
  /** The stack's alarms, shown with their state. */
  alarms: IAlarm[];
  /**
   * The forwarding stacks, whose dead-letter queues (events their rules could not deliver to the home
   * region) are shown beside the home one (a dashboard may show any region's metrics).
   */
  forwarding: ForwardingRegions | undefined;
}

/** What the header says: what the dashboard is, and where the alarms' what-to-do is. No links. */
export const DASHBOARD_HEADER = [
  '# eks-join-remediator',
  'EKS nodes that launched but did not join (or are not Ready), what the checks found, what was fixed, and the health of the checks themselves (queues, dead-letter queue, function).',
  "Node counts are each nodegroup's peak in 5 minutes, as its last check saw it; events are summed per 5 minutes. What each alarm means and what to do: docs/operations.md in the repository.",
].join('\n\n');

/**
 * The stack's CloudWatch dashboard. The function's own metrics (embedded metric format, namespace
 * EksJoinRemediator) are found by SEARCH, since clusters and nodegroups are not known at deploy time;
 * the queues' and the function's are named. Its name is the stack's and the region's: dashboard names
 * are unique per account, across regions.
 */
export function addDashboard(scope: Construct, targets: DashboardTargets): Dashboard {
  const stack = Stack.of(scope);
  const dashboard = new Dashboard(scope, 'Dashboard', {
    dashboardName: Fn.join('-', [stack.stackName.slice(0, 200), Aws.REGION]),
    defaultInterval: Duration.days(1),
  });
  const queueAge = (queue: IQueue, label: string): IMetric =>
    queue.metricApproximateAgeOfOldestMessage({ period: PERIOD, statistic: 'Maximum', label });

  dashboard.addWidgets(
    new TextWidget({ markdown: DASHBOARD_HEADER, width: 12, height: 4 }),
    new SingleValueWidget({
      title: 'Now (last 5 minutes)',
      width: 12,
      height: 4,
      metrics: [
        total(METRIC.instancesUnjoined, 'Maximum', 'unjoined instances'),
        total(METRIC.nodesNotReady, 'Maximum', 'not-ready nodes'),
        targets.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
          period: PERIOD,
          statistic: 'Maximum',
          label: 'dead-letter messages',
        }),
        targets.function.metricErrors({ period: PERIOD, statistic: 'Sum', label: 'function errors' }),
      ],
    }),
  );
  dashboard.addWidgets(
    new GraphWidget({
      title: 'Unjoined instances and not-ready nodes (all nodegroups)',
      width: 12,
      height: 6,
      left: [
        total(METRIC.instancesUnjoined, 'Maximum', 'unjoined instances'),
        total(METRIC.nodesNotReady, 'Maximum', 'not-ready nodes'),
      ],
      right: [total(METRIC.instancesChecked, 'Sum', 'instances checked')],
      leftYAxis: { min: 0, label: 'nodes', showUnits: false },
      rightYAxis: { min: 0, label: 'checked', showUnits: false },
    }),
    new GraphWidget({
      title: 'Unjoined instances and not-ready nodes by nodegroup',
      width: 12,
      height: 6,
      left: [
        perSeries(METRIC.instancesUnjoined, 'Maximum', `unjoined ${CLUSTER}/${NODEGROUP}`),
        perSeries(METRIC.nodesNotReady, 'Maximum', `not ready ${CLUSTER}/${NODEGROUP}`),
      ],
      leftYAxis: { min: 0, label: 'nodes', showUnits: false },
    }),
  );
  dashboard.addWidgets(
    new GraphWidget({
      title: 'Findings by code',
      width: 12,
      height: 6,
      stacked: true,
      left: [perSeries(METRIC.findings, 'Sum', `${CODE} (${CLUSTER})`)],
      leftYAxis: { min: 0, label: 'findings', showUnits: false },
    }),
    new GraphWidget({
      title: 'Remediations by type and outcome',
      width: 12,
      height: 6,
      stacked: true,
      left: [perSeries(METRIC.actions, 'Sum', `${ACTION_TYPE} ${ACTION_STATUS} (${CLUSTER})`)],
      leftYAxis: { min: 0, label: 'actions', showUnits: false },
    }),
  );
  dashboard.addWidgets(
    new GraphWidget({
      title: 'Alerts sent and suppressed',
      width: 8,
      height: 6,
      left: [
        total(METRIC.alertsSent, 'Sum', 'alerts sent'),
        total(METRIC.alertsSuppressed, 'Sum', 'alerts suppressed (cooldown)'),
      ],
      leftYAxis: { min: 0, label: 'alerts', showUnits: false },
    }),
    new GraphWidget({
      title: 'Time to join, p50 and p90 (seconds)',
      width: 8,
      height: 6,
      left: [
        perSeries(METRIC.timeToJoin, 'p50', `p50 ${CLUSTER}/${NODEGROUP}`),
        perSeries(METRIC.timeToJoin, 'p90', `p90 ${CLUSTER}/${NODEGROUP}`),
      ],
      leftYAxis: { min: 0, label: 'seconds', showUnits: false },
    }),
    new GraphWidget({
      title: 'Launch failures by nodegroup',
      width: 8,
      height: 6,
      stacked: true,
      left: [perSeries(METRIC.launchFailures, 'Sum', `${CLUSTER}/${NODEGROUP}`)],
      leftYAxis: { min: 0, label: 'launches', showUnits: false },
    }),
  );
  dashboard.addWidgets(
    new GraphWidget({
      title: 'Queue age: oldest message (seconds)',
      width: 8,
      height: 6,
      left: [
        queueAge(targets.launchQueue, 'launch queue'),
        queueAge(targets.preflightQueue, 'preflight queue'),
      ],
      leftAnnotations: [
        {
          value: launchQueueAgeThreshold(targets.launchDelay).toSeconds(),
          label: 'launch queue alarm',
        },
        { value: QUEUE_AGE_MARGIN.toSeconds(), label: 'preflight queue alarm' },
      ],
      leftYAxis: { min: 0, label: 'seconds', showUnits: false },
    }),
    new GraphWidget({
      title: 'Dead-letter queue depth',
      width: 8,
      height: 6,
      left: [
        targets.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
          period: PERIOD,
          statistic: 'Maximum',
          label: 'messages',
        }),
        ...forwardingDeadLetters(targets.forwarding),
      ],
      leftAnnotations: [{ value: 0, label: 'alarm above 0' }],
      leftYAxis: { min: 0, label: 'messages', showUnits: false },
    }),
    new GraphWidget({
      title: 'Function errors and throttles',
      width: 8,
      height: 6,
      left: [
        targets.function.metricErrors({ period: PERIOD, statistic: 'Sum', label: 'errors' }),
        targets.function.metricThrottles({ period: PERIOD, statistic: 'Sum', label: 'throttles' }),
      ],
      right: [targets.function.metricInvocations({ period: PERIOD, statistic: 'Sum', label: 'invocations' })],
      leftYAxis: { min: 0, label: 'errors, throttles', showUnits: false },
      rightYAxis: { min: 0, label: 'invocations', showUnits: false },
    }),
  );
  dashboard.addWidgets(
    new GraphWidget({
      title: 'Function duration (milliseconds)',
      width: 12,
      height: 6,
      left: [
        targets.function.metricDuration({ period: PERIOD, statistic: 'p50', label: 'p50' }),
        targets.function.metricDuration({ period: PERIOD, statistic: 'p90', label: 'p90' }),
        targets.function.metricDuration({ period: PERIOD, statistic: 'Maximum', label: 'maximum' }),
      ],
      leftAnnotations: [{ value: targets.functionTimeout.toMilliseconds(), label: 'timeout' }],
      leftYAxis: { min: 0, label: 'ms', showUnits: false },
    }),
    new AlarmStatusWidget({ title: 'Alarms', width: 12, height: 6, alarms: targets.alarms }),
  );
  return dashboard;
}

/** Each forwarding region's dead-letter queue depth: the queue is named alike in every region. */
function forwardingDeadLetters(forwarding: ForwardingRegions | undefined): IMetric[] {
  if (!forwarding) return [];
  return forwarding.regions.map(
    (region) =>
      new Metric({
        namespace: 'AWS/SQS',
        metricName: 'ApproximateNumberOfMessagesVisible',
        dimensionsMap: { QueueName: forwarding.deadLetterQueueName },
        region,
        period: PERIOD,
        statistic: 'Maximum',
        label: `not forwarded from ${region}`,
      }),
  );
}
