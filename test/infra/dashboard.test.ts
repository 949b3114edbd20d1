import { describe, expect, it } from 'vitest';
import { METRIC } from '../../functions/metrics/metricNames.js';
import { dashboardBody, type Widget } from '../../scripts/renderDashboard.js';
import { synthStack } from './synthStack.js';

// Expected values are written out here, not taken from infra/: the tests say what the dashboard must be.

type Resource = { Type: string; Properties: Record<string, unknown> };

const { template } = synthStack({ clusters: ['eks-workshop'] });
const { widgets } = dashboardBody(template.toJSON());

function resources(type: string): [string, Resource][] {
  return Object.entries(template.findResources(type)) as [string, Resource][];
}

function queueId(which: (q: Resource) => boolean): string {
  const found = resources('AWS::SQS::Queue').filter(([, q]) => which(q));
  expect(found).toHaveLength(1);
  return (found[0] as [string, Resource])[0];
}
const launchQueue = queueId(
  (q) => Boolean(q.Properties.RedrivePolicy) && q.Properties.DelaySeconds !== undefined,
);
const preflightQueue = queueId(
  (q) => Boolean(q.Properties.RedrivePolicy) && q.Properties.DelaySeconds === undefined,
);
const deadLetterQueue = queueId((q) => !q.Properties.RedrivePolicy);
const functionId = (resources('AWS::Lambda::Function')[0] as [string, Resource])[0];

function widget(title: string): Widget {
  const found = widgets.filter((w) => w.properties.title === title);
  expect(found, `one widget titled ${title}`).toHaveLength(1);
  return found[0] as Widget;
}

/** The expressions, and the [namespace, name, dimension, value, options] arrays, a widget plots. */
function plotted(w: Widget): { expressions: string[]; metrics: unknown[][] } {
  const entries = w.properties.metrics ?? [];
  const options = (e: unknown[]) => e.at(-1) as { expression?: string };
  return {
    expressions: entries.map((e) => options(e).expression).filter((e): e is string => e !== undefined),
    metrics: entries.filter((e) => options(e).expression === undefined),
  };
}

/** The SEARCH the dashboard uses for a metric of the function: Powertools adds `service` to every dimension set. */
const search = (schema: string, name: string, statistic: string) =>
  `SEARCH('{EksJoinRemediator,${schema},service} MetricName="${name}" service="eks-join-remediator"', '${statistic}', 300)`;

describe('the dashboard', () => {
  it('exists once, named after the stack and the region (dashboard names are unique per account)', () => {
    const dashboards = resources('AWS::CloudWatch::Dashboard');
    expect(dashboards).toHaveLength(1);
    expect((dashboards[0] as [string, Resource])[1].Properties.DashboardName).toEqual({
      'Fn::Join': ['-', ['EksJoinRemediator', { Ref: 'AWS::Region' }]],
    });
  });

  it('lays its widgets out on the 24-column grid without overlaps', () => {
    for (const w of widgets) expect(w.x + w.width, w.properties.title).toBeLessThanOrEqual(24);
    const cells = new Set<string>();
    for (const w of widgets) {
      for (let x = w.x; x < w.x + w.width; x++) {
        for (let y = w.y; y < w.y + w.height; y++) {
          expect(cells.has(`${x},${y}`), `${w.properties.title} overlaps at ${x},${y}`).toBe(false);
          cells.add(`${x},${y}`);
        }
      }
    }
  });

  it('starts with a text header that says what it is, without links', () => {
    const header = widgets.find((w) => w.x === 0 && w.y === 0) as Widget;
    expect(header.type).toBe('text');
    expect(header.properties.markdown).toMatch(/^# eks-join-remediator\n/);
    expect(header.properties.markdown).not.toMatch(/https?:|\]\(/);
  });

  it('shows the unjoined instances and not-ready nodes over time, in total and per nodegroup', () => {
    expect(plotted(widget('Unjoined instances and not-ready nodes (all nodegroups)')).expressions).toEqual([
      `SUM(${search('Cluster,Nodegroup', 'InstancesUnjoined', 'Maximum')})`,
      `SUM(${search('Cluster,Nodegroup', 'NodesNotReady', 'Maximum')})`,
      `SUM(${search('Cluster,Nodegroup', 'InstancesChecked', 'Sum')})`,
    ]);
    expect(plotted(widget('Unjoined instances and not-ready nodes by nodegroup')).expressions).toEqual([
      search('Cluster,Nodegroup', 'InstancesUnjoined', 'Maximum'),
      search('Cluster,Nodegroup', 'NodesNotReady', 'Maximum'),
    ]);
  });

  it('shows findings by code and remediations by type and status, stacked', () => {
    const findings = widget('Findings by code');
    expect(findings.properties.stacked).toBe(true);
    expect(plotted(findings).expressions).toEqual([search('Cluster,Code', 'Findings', 'Sum')]);
    const actions = widget('Remediations by type and outcome');
    expect(actions.properties.stacked).toBe(true);
    expect(plotted(actions).expressions).toEqual([
      search('Cluster,ActionType,ActionStatus', 'Actions', 'Sum'),
    ]);
  });

  it('shows alerts sent and suppressed, time to join at p50 and p90, and launch failures', () => {
    expect(plotted(widget('Alerts sent and suppressed')).expressions).toEqual([
      `SUM(${search('Cluster,Nodegroup', 'AlertsSent', 'Sum')})`,
      `SUM(${search('Cluster,Nodegroup', 'AlertsSuppressed', 'Sum')})`,
    ]);
    expect(plotted(widget('Time to join, p50 and p90 (seconds)')).expressions).toEqual([
      search('Cluster,Nodegroup', 'TimeToJoin', 'p50'),
      search('Cluster,Nodegroup', 'TimeToJoin', 'p90'),
    ]);
    expect(plotted(widget('Launch failures by nodegroup')).expressions).toEqual([
      search('Cluster,Nodegroup', 'LaunchFailures', 'Sum'),
    ]);
  });

  it('plots every metric the function writes (functions/metrics/metricNames.ts)', () => {
    const all = widgets.flatMap((w) => plotted(w).expressions).join('\n');
    for (const name of Object.values(METRIC)) expect(all, name).toContain(`MetricName="${name}"`);
  });

  it("shows both source queues' oldest message with their alarm thresholds, and the dead-letter depth", () => {
    const age = widget('Queue age: oldest message (seconds)');
    expect(plotted(age).metrics).toEqual([
      [
        'AWS/SQS',
        'ApproximateAgeOfOldestMessage',
        'QueueName',
        `\${${launchQueue}.QueueName}`,
        { label: 'launch queue', stat: 'Maximum' },
      ],
      [
        'AWS/SQS',
        'ApproximateAgeOfOldestMessage',
        'QueueName',
        `\${${preflightQueue}.QueueName}`,
        { label: 'preflight queue', stat: 'Maximum' },
      ],
    ]);
    // The default join window (300 s) + 15 minutes, and 15 minutes: the alarms' thresholds.
    expect(age.properties.annotations?.horizontal?.map((a) => a.value)).toEqual([1200, 900]);
    expect(plotted(widget('Dead-letter queue depth')).metrics).toEqual([
      [
        'AWS/SQS',
        'ApproximateNumberOfMessagesVisible',
        'QueueName',
        `\${${deadLetterQueue}.QueueName}`,
        { label: 'messages', stat: 'Maximum' },
      ],
    ]);
  });

  it("shows the function's errors, throttles and duration, with its timeout", () => {
    const fn = (name: string, stat: string, label: string, extra = {}) => [
      'AWS/Lambda',
      name,
      'FunctionName',
      `\${${functionId}}`,
      { label, stat, ...extra },
    ];
    expect(plotted(widget('Function errors and throttles')).metrics).toEqual([
      fn('Errors', 'Sum', 'errors'),
      fn('Throttles', 'Sum', 'throttles'),
      fn('Invocations', 'Sum', 'invocations', { yAxis: 'right' }),
    ]);
    const duration = widget('Function duration (milliseconds)');
    expect(plotted(duration).metrics).toEqual([
      fn('Duration', 'p50', 'p50'),
      fn('Duration', 'p90', 'p90'),
      fn('Duration', 'Maximum', 'maximum'),
    ]);
    expect(duration.properties.annotations?.horizontal).toEqual([
      { value: 600_000, label: 'timeout', yAxis: 'left' },
    ]);
  });

  it("shows the state of every one of the stack's alarms", () => {
    const alarmIds = resources('AWS::CloudWatch::Alarm').map(([id]) => `\${${id}.Arn}`);
    expect(alarmIds).toHaveLength(7);
    expect([...(widget('Alarms').properties.alarms ?? [])].sort()).toEqual(alarmIds.sort());
  });

  it('adds no alarm on a SEARCH expression (CloudWatch alarms cannot evaluate one)', () => {
    for (const [, alarm] of resources('AWS::CloudWatch::Alarm')) {
      expect(JSON.stringify(alarm.Properties)).not.toMatch(/SEARCH\(/);
    }
  });
});
