import { describe, expect, it } from 'vitest';
import type {
  Action,
  Finding,
  InstanceVerdict,
  NodegroupReport,
} from '../../../functions/core/model/types.js';
import type { CheckSummary } from '../../../functions/join-check/processEvents.js';
import { checkMetrics, type MetricPoint } from '../../../functions/metrics/checkMetrics.js';

const CLUSTER = 'eks-workshop';
const NODEGROUP = 'new_nodegroup_2';
const CHECKED_AT = '2026-11-26T10:00:00.000Z';
const LAUNCHED = '2026-11-26T09:50:08.000Z';
const BY_NODEGROUP = { Cluster: CLUSTER, Nodegroup: NODEGROUP };

function verdict(instanceId: string, overrides: Partial<InstanceVerdict> = {}): InstanceVerdict {
  return { instanceId, launchedAt: LAUNCHED, joined: false, pending: false, state: 'running', ...overrides };
}

function joined(instanceId: string, joinedAt: string, ready = true): InstanceVerdict {
  return verdict(instanceId, { joined: true, nodeName: `ip-${instanceId}`, joinedAt, ready });
}

function finding(code: Finding['code'], overrides: Partial<Finding> = {}): Finding {
  return { code, severity: 'critical', resourceId: 'r', message: 'm', fix: 'f', ...overrides };
}

function notify(status: Action['status'], overrides: Partial<Action> = {}): Action {
  return { type: 'notify', resourceId: 'topic', status, reason: 'r', ...overrides } as Action;
}

function check(nodegroup: Partial<NodegroupReport>, summary: Partial<CheckSummary> = {}): CheckSummary {
  return {
    cluster: CLUSTER,
    nodegroup: NODEGROUP,
    eventIds: ['msg-0'],
    findings: [],
    alerted: false,
    result: {
      report: {
        cluster: CLUSTER,
        policy: 'notify',
        checkedAt: CHECKED_AT,
        joinWindowSeconds: 300,
        nodegroups: [
          { name: NODEGROUP, policy: 'notify', instances: [], findings: [], actions: [], ...nodegroup },
        ],
      },
      errors: [],
    },
    ...summary,
  };
}

const valueNamed = (points: MetricPoint[], name: string) => points.find((p) => p.name === name)?.value;

describe('checkMetrics', () => {
  it('counts the checked, unjoined and pending instances of the seed case per cluster and nodegroup', () => {
    const points = checkMetrics(
      check({
        instances: [verdict('i-unjoined'), verdict('i-pending', { pending: true })],
        findings: [finding('NO_DEFAULT_ROUTE'), finding('NODES_NOT_JOINED')],
        actions: [notify('done', { alertKind: 'problem' })],
      }),
    );
    const perNodegroup = points.filter((p) => 'Nodegroup' in p.dimensions);
    expect(perNodegroup).toEqual([
      { name: 'InstancesChecked', unit: 'Count', value: 2, dimensions: BY_NODEGROUP },
      { name: 'InstancesUnjoined', unit: 'Count', value: 1, dimensions: BY_NODEGROUP },
      { name: 'NodesNotReady', unit: 'Count', value: 0, dimensions: BY_NODEGROUP },
      { name: 'LaunchFailures', unit: 'Count', value: 0, dimensions: BY_NODEGROUP },
      { name: 'AlertsSent', unit: 'Count', value: 1, dimensions: BY_NODEGROUP },
      { name: 'AlertsSuppressed', unit: 'Count', value: 0, dimensions: BY_NODEGROUP },
    ]);
    expect(points.filter((p) => p.name === 'Findings')).toEqual([
      {
        name: 'Findings',
        unit: 'Count',
        value: 1,
        dimensions: { Cluster: CLUSTER, Code: 'NO_DEFAULT_ROUTE' },
      },
      {
        name: 'Findings',
        unit: 'Count',
        value: 1,
        dimensions: { Cluster: CLUSTER, Code: 'NODES_NOT_JOINED' },
      },
    ]);
    // The alert is no write action; no instance joined, so no time to join.
    expect(points.filter((p) => p.name === 'Actions' || p.name === 'TimeToJoin')).toEqual([]);
  });

  it('gives the time to join of each instance its launch events name and that joined, once each', () => {
    const points = checkMetrics(
      check(
        {
          instances: [
            joined('i-new', '2026-11-26T09:51:13Z'),
            joined('i-also-new', '2026-11-26T09:51:08Z'),
            // Joined long ago, and named by no launch of this check: not measured again.
            joined('i-old', '2026-11-26T09:51:00Z'),
            verdict('i-unjoined'),
          ],
        },
        { launchedInstanceIds: ['i-new', 'i-also-new', 'i-unjoined'] },
      ),
    );
    expect(points.filter((p) => p.name === 'TimeToJoin')).toEqual([
      { name: 'TimeToJoin', unit: 'Seconds', value: 65, dimensions: BY_NODEGROUP },
      { name: 'TimeToJoin', unit: 'Seconds', value: 60, dimensions: BY_NODEGROUP },
    ]);
  });

  it('gives no time to join for a check that failed (its events are retried) or a node without its creation time', () => {
    const instances = [joined('i-new', '2026-11-26T09:51:13Z'), verdict('i-no-time', { joined: true })];
    const launchedInstanceIds = ['i-new', 'i-no-time'];
    const failed = checkMetrics(check({ instances }, { launchedInstanceIds, error: 'SNS publish failed' }));
    expect(failed.filter((p) => p.name === 'TimeToJoin')).toEqual([]);
    const ok = checkMetrics(check({ instances }, { launchedInstanceIds }));
    expect(ok.filter((p) => p.name === 'TimeToJoin').map((p) => p.value)).toEqual([65]);
  });

  it('counts the nodes not Ready once each, from the NODES_NOT_READY finding', () => {
    const points = checkMetrics(
      check({
        instances: [joined('i-a', LAUNCHED, false), joined('i-b', LAUNCHED, false), joined('i-c', LAUNCHED)],
        findings: [
          finding('NODES_NOT_READY', {
            instanceIds: ['i-a', 'i-b'],
            notReadyNodes: [
              { nodeName: 'ip-a', instanceId: 'i-a', reason: 'KubeletNotReady' },
              { nodeName: 'ip-b', instanceId: 'i-b' },
            ],
          }),
        ],
      }),
    );
    expect(valueNamed(points, 'NodesNotReady')).toBe(2);
    expect(valueNamed(points, 'InstancesUnjoined')).toBe(0);
    expect(points.find((p) => p.name === 'Findings')?.dimensions).toEqual({
      Cluster: CLUSTER,
      Code: 'NODES_NOT_READY',
    });
  });

  it('adds up the failed launches of every launch-failure finding', () => {
    const points = checkMetrics(
      check({
        findings: [
          finding('EBS_KMS_KEY_UNUSABLE', { launchFailures: { statusMessages: ['kms'], count: 3 } }),
          finding('LAUNCH_FAILURES', { launchFailures: { statusMessages: ['other'], count: 2 } }),
        ],
      }),
    );
    expect(valueNamed(points, 'LaunchFailures')).toBe(5);
  });

  it('counts an alert suppressed by the cooldown, and not a notification skipped for another reason', () => {
    const points = checkMetrics(
      check({
        actions: [
          notify('skipped', { reasonCode: 'ALERT_COOLDOWN' }),
          notify('skipped', { reasonCode: 'LOCKED' }),
        ],
      }),
    );
    expect(valueNamed(points, 'AlertsSuppressed')).toBe(1);
    expect(valueNamed(points, 'AlertsSent')).toBe(0);
  });

  it('counts the write actions by type and status, by cluster only', () => {
    const route = { resourceId: 'rtb-1', reason: 'r', routeTableId: 'rtb-1', destination: '0.0.0.0/0' };
    const replace = { resourceId: 'asg', reason: 'r', autoScalingGroupName: 'asg', instanceIds: ['i-1'] };
    const points = checkMetrics(
      check({
        actions: [
          { type: 'create-route', status: 'done', subnetIds: [], before: 'none', ...route },
          { type: 'replace-instances', status: 'done', ...replace },
          { type: 'replace-instances', status: 'done', ...replace },
          { type: 'replace-instances', status: 'failed', ...replace },
          notify('done'),
        ],
      }),
    );
    const actions = (type: string, status: string, value: number) => ({
      name: 'Actions',
      unit: 'Count',
      value,
      dimensions: { Cluster: CLUSTER, ActionType: type, ActionStatus: status },
    });
    expect(points.filter((p) => p.name === 'Actions')).toEqual([
      actions('create-route', 'done', 1),
      actions('replace-instances', 'done', 2),
      actions('replace-instances', 'failed', 1),
    ]);
  });

  it('writes nothing for a check without a report (it failed before one)', () => {
    expect(checkMetrics({ ...check({}), result: undefined, error: 'throttled' } as CheckSummary)).toEqual([]);
  });
});
