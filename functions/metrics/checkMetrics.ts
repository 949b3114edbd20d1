import { unjoinedOf } from '../core/diagnose/judgeInstances.js';
import type { CheckSummary } from '../join-check/processEvents.js';
import { DIMENSIONS, METRIC } from './metricNames.js';

type MetricName = (typeof METRIC)[keyof typeof METRIC];

/** One value of one metric, with its own dimensions: what a check tells CloudWatch. */
export interface MetricPoint {
  name: MetricName;
  unit: 'Count' | 'Seconds';
  value: number;
  /** Dimension name to value (the service dimension is added by the publisher). */
  dimensions: Record<string, string>;
}

/**
 * The metrics of one check, from its report alone (pure). Per nodegroup, always (zero included, so a
 * graph or alarm sees the check): instances checked, unjoined, not ready, launch failures, alerts sent
 * and suppressed, by cluster and nodegroup. Only what happened: findings by cluster and code, write
 * actions by cluster, type and status, and the time to join of the instances named by the launch
 * events this check gave the verdict for, once each. A check that failed (its events are retried)
 * gives no time to join, so a retry does not count an instance twice.
 */
export function checkMetrics(check: CheckSummary): MetricPoint[] {
  const report = check.result?.report;
  if (!report) return [];
  const points: MetricPoint[] = [];
  const launched = new Set(check.error ? [] : (check.launchedInstanceIds ?? []));
  for (const nodegroup of report.nodegroups) {
    const byNodegroup = { [DIMENSIONS.cluster]: report.cluster, [DIMENSIONS.nodegroup]: nodegroup.name };
    const count = (name: MetricName, value: number) =>
      points.push({ name, unit: 'Count', value, dimensions: byNodegroup });
    const notify = nodegroup.actions.filter((a) => a.type === 'notify');

    count(METRIC.instancesChecked, nodegroup.instances.length);
    count(METRIC.instancesUnjoined, unjoinedOf(nodegroup.instances).length);
    count(
      METRIC.nodesNotReady,
      new Set(
        nodegroup.findings
          .filter((f) => f.code === 'NODES_NOT_READY')
          .flatMap((f) => f.notReadyNodes?.map((n) => n.instanceId) ?? f.instanceIds ?? []),
      ).size,
    );
    // Each failed launch is in one finding only (by cause: KMS key, a full subnet, other).
    count(
      METRIC.launchFailures,
      nodegroup.findings.reduce((sum, f) => sum + (f.launchFailures?.count ?? 0), 0),
    );
    count(METRIC.alertsSent, notify.filter((a) => a.status === 'done').length);
    count(
      METRIC.alertsSuppressed,
      notify.filter((a) => a.status === 'skipped' && a.reasonCode === 'ALERT_COOLDOWN').length,
    );

    for (const [code, n] of tally(nodegroup.findings.map((f) => f.code))) {
      points.push({
        name: METRIC.findings,
        unit: 'Count',
        value: n,
        dimensions: { [DIMENSIONS.cluster]: report.cluster, [DIMENSIONS.code]: code },
      });
    }
    const writes = nodegroup.actions.filter((a) => a.type !== 'notify');
    for (const [key, n] of tally(writes.map((a) => JSON.stringify([a.type, a.status])))) {
      const [type, status] = JSON.parse(key) as [string, string];
      points.push({
        name: METRIC.actions,
        unit: 'Count',
        value: n,
        dimensions: {
          [DIMENSIONS.cluster]: report.cluster,
          [DIMENSIONS.actionType]: type,
          [DIMENSIONS.actionStatus]: status,
        },
      });
    }

    for (const verdict of nodegroup.instances) {
      if (!launched.has(verdict.instanceId) || verdict.joined !== true) continue;
      const seconds = secondsBetween(verdict.launchedAt, verdict.joinedAt);
      if (seconds === undefined) continue;
      points.push({ name: METRIC.timeToJoin, unit: 'Seconds', value: seconds, dimensions: byNodegroup });
    }
  }
  return points;
}

/** How often each value occurs, in first-seen order. */
function tally(values: string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  return counts;
}

/** Seconds from launch to the Node's creation; undefined when a time is missing, unreadable or out of order. */
function secondsBetween(from: string | undefined, to: string | undefined): number | undefined {
  if (!from || !to) return undefined;
  const seconds = (Date.parse(to) - Date.parse(from)) / 1000;
  return Number.isFinite(seconds) && seconds >= 0 ? seconds : undefined;
}
