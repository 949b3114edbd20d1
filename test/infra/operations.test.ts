import { Console } from 'node:console';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import type { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { log, logger } from '../../functions/logger.js';
import type { DeploymentSettings } from '../../infra/config.js';
import { REPOSITORY_ROOT } from '../../infra/lib/paths.js';
import { FULL_SETTINGS, synthStack } from './synthStack.js';

// Expected values are written out here, not taken from infra/: the tests say what the stack must be.

type Resource = { Type: string; Properties: Record<string, unknown> };

const REMEDIATE = { policy: 'remediate', clusters: ['eks-workshop'] } as const satisfies DeploymentSettings;
const remediate = synthStack(REMEDIATE);
const VARIANTS: Record<string, DeploymentSettings> = {
  'the defaults': {},
  'remediate with replace-unjoined': REMEDIATE,
  'remediate with scale-cycle': { ...REMEDIATE, recycleStrategy: 'scale-cycle' },
  'every option, join window 3600 s': { ...FULL_SETTINGS, joinWindowSeconds: 3600 },
};
const templates = Object.entries(VARIANTS).map(([name, settings]) => ({
  name,
  template: synthStack(settings).template,
}));

function resources(template: Template, type: string): [string, Resource][] {
  return Object.entries(template.findResources(type)) as [string, Resource][];
}

function only(template: Template, type: string): [string, Resource] {
  const found = resources(template, type);
  expect(found, `exactly one ${type}`).toHaveLength(1);
  return found[0] as [string, Resource];
}

/** The two queues the function reads: launches (with a delay) and nodegroup API calls (preflight). */
function sourceQueues(template: Template): { launch: [string, Resource]; preflight: [string, Resource] } {
  const withRedrive = resources(template, 'AWS::SQS::Queue').filter(([, q]) => q.Properties.RedrivePolicy);
  const launch = withRedrive.filter(([, q]) => q.Properties.DelaySeconds !== undefined);
  const preflight = withRedrive.filter(([, q]) => q.Properties.DelaySeconds === undefined);
  expect(launch).toHaveLength(1);
  expect(preflight).toHaveLength(1);
  return { launch: launch[0] as [string, Resource], preflight: preflight[0] as [string, Resource] };
}

function deadLetterQueueId(template: Template): string {
  const found = resources(template, 'AWS::SQS::Queue').filter(([, q]) => !q.Properties.RedrivePolicy);
  expect(found).toHaveLength(1);
  return (found[0] as [string, Resource])[0];
}

function alarms(template: Template): Resource[] {
  return resources(template, 'AWS::CloudWatch::Alarm').map(([, alarm]) => alarm);
}

function alarmOn(template: Template, metricName: string, dimensionValue?: unknown): Resource {
  const found = alarms(template).filter(
    (a) =>
      a.Properties.MetricName === metricName &&
      (dimensionValue === undefined ||
        JSON.stringify(a.Properties.Dimensions).includes(JSON.stringify(dimensionValue))),
  );
  expect(found, `one alarm on ${metricName}`).toHaveLength(1);
  return found[0] as Resource;
}

describe('concurrency adds up', () => {
  for (const { name, template } of templates) {
    it(`reserves at least what the event sources may run at once, so none of their batches is throttled (${name})`, () => {
      const [, fn] = only(template, 'AWS::Lambda::Function');
      const mappings = resources(template, 'AWS::Lambda::EventSourceMapping');
      expect(mappings).toHaveLength(2);
      const perSource = mappings.map(
        ([, m]) => (m.Properties.ScalingConfig as { MaximumConcurrency: number }).MaximumConcurrency,
      );
      expect(perSource).toEqual([2, 2]);
      const sum = perSource.reduce((a, b) => a + b, 0);
      expect(fn.Properties.ReservedConcurrentExecutions).toBeGreaterThanOrEqual(sum);
      // One more than the sources: a person's `aws lambda invoke` does not take a source's place.
      expect(fn.Properties.ReservedConcurrentExecutions).toBe(5);
    });
  }
});

describe('a failed batch item is retried within minutes', () => {
  for (const { name, template } of templates) {
    it(`each source queue's visibility timeout covers one run and the batching window, and stays under 15 minutes (${name})`, () => {
      const timeout = only(template, 'AWS::Lambda::Function')[1].Properties.Timeout as number;
      expect(timeout).toBe(600);
      const windows = resources(template, 'AWS::Lambda::EventSourceMapping').map(
        ([, m]) => m.Properties.MaximumBatchingWindowInSeconds as number,
      );
      expect(windows).toEqual([30, 30]);
      for (const [, queue] of Object.values(sourceQueues(template))) {
        const visibility = queue.Properties.VisibilityTimeout as number;
        // Lambda refuses an SQS event source whose queue's visibility timeout is below the function timeout.
        expect(visibility).toBeGreaterThanOrEqual(timeout + 30);
        expect(visibility).toBeLessThanOrEqual(15 * 60);
        expect(visibility).toBe(690);
        // A few retries, then the dead-letter queue (and its alarm) within the hour: 5 × 690 s ≈ 58 min.
        expect(queue.Properties.RedrivePolicy).toMatchObject({ maxReceiveCount: 5 });
      }
    });
  }
});

describe('alarms', () => {
  const topic = { Ref: only(remediate.template, 'AWS::SNS::Topic')[0] };
  const functionName = { Ref: only(remediate.template, 'AWS::Lambda::Function')[0] };
  const queueName = (id: string) => ({ 'Fn::GetAtt': [id, 'QueueName'] });

  it('there are seven, each publishing to the alert topic and treating missing data as not breaching', () => {
    for (const { template } of templates) {
      const all = alarms(template);
      expect(all).toHaveLength(7);
      const alertTopic = { Ref: only(template, 'AWS::SNS::Topic')[0] };
      for (const alarm of all) {
        expect(alarm.Properties).toMatchObject({
          AlarmActions: [alertTopic],
          TreatMissingData: 'notBreaching',
          EvaluationPeriods: 1,
          Period: 300,
        });
        expect(alarm.Properties.AlarmDescription).toMatch(/docs\/operations\.md/);
      }
    }
  });

  it('fire on any function error and on any throttle', () => {
    for (const metric of ['Errors', 'Throttles']) {
      expect(alarmOn(remediate.template, metric).Properties).toMatchObject({
        Namespace: 'AWS/Lambda',
        Dimensions: [{ Name: 'FunctionName', Value: functionName }],
        Statistic: 'Sum',
        ComparisonOperator: 'GreaterThanThreshold',
        Threshold: 0,
        AlarmActions: [topic],
      });
    }
  });

  it('fire on any message in the dead-letter queue', () => {
    const dlq = deadLetterQueueId(remediate.template);
    expect(alarmOn(remediate.template, 'ApproximateNumberOfMessagesVisible').Properties).toMatchObject({
      Namespace: 'AWS/SQS',
      Dimensions: [{ Name: 'QueueName', Value: queueName(dlq) }],
      Statistic: 'Maximum',
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 0,
      AlarmActions: [topic],
    });
  });

  it('fire when the oldest launch is 15 minutes past its delay, and the oldest nodegroup API call 15 minutes old', () => {
    const cases: [DeploymentSettings, number][] = [
      [REMEDIATE, 300 + 900], // default join window 300 s
      [{ joinWindowSeconds: 600 }, 600 + 900],
      // A longer window is the handler's to re-queue: no message is delayed more than 900 s at a time.
      [{ joinWindowSeconds: 3600 }, 900 + 900],
    ];
    for (const [settings, launchThreshold] of cases) {
      const { template } = synthStack(settings);
      const { launch, preflight } = sourceQueues(template);
      for (const [queueId, threshold] of [
        [launch[0], launchThreshold],
        [preflight[0], 900],
      ] as const) {
        expect(
          alarmOn(template, 'ApproximateAgeOfOldestMessage', queueName(queueId)).Properties,
        ).toMatchObject({
          Namespace: 'AWS/SQS',
          Dimensions: [{ Name: 'QueueName', Value: queueName(queueId) }],
          Statistic: 'Maximum',
          ComparisonOperator: 'GreaterThanThreshold',
          Threshold: threshold,
        });
      }
    }
  });

  it('fire on one failed remediation action, and on one scale-back that left a nodegroup at 0, in 5 minutes', () => {
    for (const metric of ['FailedRemediations', 'ScaleBackFailures']) {
      expect(alarmOn(remediate.template, metric).Properties).toMatchObject({
        Namespace: 'EksJoinRemediator',
        Statistic: 'Sum',
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        Threshold: 1,
        AlarmActions: [topic],
      });
      expect(alarmOn(remediate.template, metric).Properties.Dimensions).toBeUndefined();
    }
  });
});

describe("metrics from the function's log", () => {
  const FAILED = '{ ($.message = "remediation action") && ($.status = "failed") }';
  const CAPACITY =
    '{ ($.message = "remediation action") && (($.reasonCode = "SCALE_BACK_FAILED") || ($.reasonCode = "NOT_ACTIVE_IN_TIME")) }';

  it('count failed actions and failed scale-backs in the function’s log group, one per line', () => {
    const [logGroupId] = only(remediate.template, 'AWS::Logs::LogGroup');
    const filters = resources(remediate.template, 'AWS::Logs::MetricFilter').map(([, f]) => f.Properties);
    expect(filters).toHaveLength(2);
    expect(filters).toContainEqual({
      LogGroupName: { Ref: logGroupId },
      FilterPattern: FAILED,
      MetricTransformations: [
        { MetricNamespace: 'EksJoinRemediator', MetricName: 'FailedRemediations', MetricValue: '1' },
      ],
    });
    expect(filters).toContainEqual({
      LogGroupName: { Ref: logGroupId },
      FilterPattern: CAPACITY,
      MetricTransformations: [
        { MetricNamespace: 'EksJoinRemediator', MetricName: 'ScaleBackFailures', MetricValue: '1' },
      ],
    });
  });

  it('read fields the function really writes: one JSON line with message, status and reasonCode at the top', () => {
    // The executor logs each action's outcome with this message and these keys.
    const source = readFileSync(
      path.join(REPOSITORY_ROOT, 'functions/core/remediate/executePlan.ts'),
      'utf8',
    );
    const call = source.match(/log\.info\('remediation action', \{([^}]*)\}\)/)?.[1] ?? '';
    expect(call).toMatch(/\bstatus: result\.status\b/);
    expect(call).toMatch(/\breasonCode: result\.reasonCode\b/);

    // And the logger puts them beside `message` in one JSON object per line, as the JSON patterns expect.
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const held = logger as unknown as { console: Console };
    const { console: before } = held;
    const level = logger.getLevelName();
    held.console = new Console({ stdout: sink, stderr: sink });
    logger.setLogLevel('INFO');
    try {
      log.info('remediation action', {
        cluster: 'eks-workshop',
        nodegroup: 'new_nodegroup_2',
        type: 'scale-cycle',
        status: 'failed',
        reasonCode: 'SCALE_BACK_FAILED',
      });
    } finally {
      held.console = before;
      logger.setLogLevel(level);
    }
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] as string)).toMatchObject({
      message: 'remediation action',
      status: 'failed',
      reasonCode: 'SCALE_BACK_FAILED',
    });
  });
});
