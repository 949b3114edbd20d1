import { Metrics } from '@aws-lambda-powertools/metrics';
import type { CheckSummary } from '../join-check/processEvents.js';
import { log, logger } from '../logger.js';
import { checkMetrics, type MetricPoint } from './checkMetrics.js';
import { METRICS_NAMESPACE, METRICS_SERVICE } from './metricNames.js';

/**
 * The one Metrics instance of the process (like the logger): embedded metric format records written
 * to stdout, which Lambda sends to the function's log group, where CloudWatch extracts the metrics.
 * No API call. Powertools adds the `service` dimension to every dimension set.
 */
const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: METRICS_SERVICE, logger });

/**
 * Powertools flushes a record on its own when a metric reaches 100 values, and then drops the
 * record's dimensions: a record keeps fewer, so every value is written with its dimensions.
 */
const MAX_VALUES_PER_RECORD = 99;

/**
 * Writes the metrics of this invocation's checks: one record per set of dimension values (a
 * nodegroup, a finding code, an action type and status), so the values of one nodegroup never carry
 * another's dimensions. Never throws: a failure to write them is logged and the invocation goes on.
 */
export function publishCheckMetrics(checks: CheckSummary[]): void {
  try {
    for (const points of byDimensions(checks.flatMap(checkMetrics)).values()) writeRecords(points);
  } catch (error) {
    log.error('could not write the metrics', {
      error: error instanceof Error ? error.message : String(error),
    });
    try {
      // Nothing half-written is carried into the next invocation's records.
      metrics.clearMetrics();
      metrics.clearDimensions();
    } catch {
      // Nothing more to do: the invocation goes on.
    }
  }
}

function writeRecords(points: MetricPoint[]): void {
  const dimensions = points[0]?.dimensions;
  if (!dimensions) return;
  let values = new Map<string, number>();
  const start = () => {
    metrics.addDimensions(dimensions);
    values = new Map();
  };
  start();
  for (const { name, unit, value } of points) {
    if ((values.get(name) ?? 0) >= MAX_VALUES_PER_RECORD) {
      metrics.publishStoredMetrics();
      start();
    }
    metrics.addMetric(name, unit, value);
    values.set(name, (values.get(name) ?? 0) + 1);
  }
  metrics.publishStoredMetrics();
}

/** The points grouped by their dimension values, in first-seen order. */
function byDimensions(points: MetricPoint[]): Map<string, MetricPoint[]> {
  const groups = new Map<string, MetricPoint[]>();
  for (const point of points) {
    const key = JSON.stringify(Object.entries(point.dimensions).sort(([a], [b]) => a.localeCompare(b)));
    const group = groups.get(key);
    if (group) group.push(point);
    else groups.set(key, [point]);
  }
  return groups;
}
