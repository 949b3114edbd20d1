/**
 * The outcome of a check, from its report: whether a nodegroup has a problem left (a finding no
 * completed write addressed) and the CLI exit code (3 a call failed, 1 a problem left, 0 none).
 */
import { describe, expect, it } from 'vitest';
import { exitCodeFor, hasOpenProblem } from '../../../functions/core/check/outcome.js';
import { JoinRemediatorError } from '../../../functions/core/model/errors.js';
import type {
  Action,
  ActionStatus,
  Finding,
  FindingCode,
  NodegroupReport,
  Report,
} from '../../../functions/core/model/types.js';

const TABLE = 'rtb-0f1e2d3c4b5a69788';
const OTHER_TABLE = 'rtb-0aaaaaaaaaaaaaaa1';
const A = 'i-0a1b2c3d4e5f60718';
const B = 'i-0b2c3d4e5f6a70819';

function finding(code: FindingCode, extra: Partial<Finding> = {}): Finding {
  return { code, severity: 'critical', resourceId: TABLE, message: code, fix: '', ...extra };
}

const noRoute = finding('NO_DEFAULT_ROUTE', { routeTableId: TABLE });
const notJoined = (instanceIds: string[]) =>
  finding('NODES_NOT_JOINED', { resourceId: 'new_nodegroup_2', instanceIds });

function route(type: 'create-route' | 'replace-route', status: ActionStatus, routeTableId = TABLE): Action {
  return {
    type,
    resourceId: routeTableId,
    routeTableId,
    destination: '0.0.0.0/0',
    subnetIds: [],
    before: 'no 0.0.0.0/0 route',
    status,
    reason: '',
  };
}

function replace(instanceIds: string[], status: ActionStatus = 'done'): Action {
  return {
    type: 'replace-instances',
    resourceId: instanceIds[0] ?? '',
    autoScalingGroupName: 'eks-new_nodegroup_2',
    instanceIds,
    status,
    reason: '',
  };
}

function scaleCycle(status: ActionStatus = 'done'): Action {
  return {
    type: 'scale-cycle',
    resourceId: 'new_nodegroup_2',
    nodegroup: 'new_nodegroup_2',
    desiredSize: 2,
    instanceIds: [A, B],
    routeTableIds: [TABLE],
    status,
    reason: '',
  };
}

function nodegroup(
  findings: Finding[],
  actions: Action[] = [],
  policy: NodegroupReport['policy'] = 'remediate',
) {
  return { name: 'new_nodegroup_2', policy, instances: [], findings, actions } satisfies NodegroupReport;
}

function result(nodegroups: NodegroupReport[], errors: JoinRemediatorError[] = []) {
  const report: Report = {
    cluster: 'eks-workshop',
    region: 'us-west-2',
    policy: 'remediate',
    checkedAt: '2026-11-26T10:00:00Z',
    joinWindowSeconds: 300,
    nodegroups,
  };
  return { report, errors };
}

describe('hasOpenProblem', () => {
  it('has none without findings, or with the policy off whatever was found', () => {
    expect(hasOpenProblem(nodegroup([]))).toBe(false);
    expect(hasOpenProblem(nodegroup([noRoute], [], 'off'))).toBe(false);
    expect(hasOpenProblem(nodegroup([noRoute], [], 'notify'))).toBe(true);
  });

  it('counts a missing or dead default route fixed by a route written to that very table', () => {
    for (const type of ['create-route', 'replace-route'] as const) {
      expect(hasOpenProblem(nodegroup([noRoute], [route(type, 'done')]))).toBe(false);
      const blackhole = finding('BLACKHOLE_DEFAULT_ROUTE', { routeTableId: TABLE });
      expect(hasOpenProblem(nodegroup([blackhole], [route(type, 'done')]))).toBe(false);
    }
  });

  it('counts a route fix among other completed writes', () => {
    expect(hasOpenProblem(nodegroup([noRoute], [replace([A]), route('create-route', 'done')]))).toBe(false);
  });

  it('leaves a route problem open when the write failed, was only planned, or went to another table', () => {
    for (const status of ['failed', 'planned', 'skipped'] as const) {
      expect(hasOpenProblem(nodegroup([noRoute], [route('create-route', status)]))).toBe(true);
    }
    expect(hasOpenProblem(nodegroup([noRoute], [route('create-route', 'done', OTHER_TABLE)]))).toBe(true);
  });

  it('does not count a recycle as a route fix', () => {
    expect(hasOpenProblem(nodegroup([noRoute], [scaleCycle(), replace([A])]))).toBe(true);
  });

  it('counts unjoined instances fixed once each of them was replaced, or the group cycled', () => {
    expect(hasOpenProblem(nodegroup([notJoined([A, B])], [replace([A]), replace([B])]))).toBe(false);
    expect(hasOpenProblem(nodegroup([notJoined([A, B])], [scaleCycle()]))).toBe(false);
  });

  it('leaves unjoined instances open while one of them was not replaced', () => {
    expect(hasOpenProblem(nodegroup([notJoined([A, B])], [replace([A])]))).toBe(true);
    expect(hasOpenProblem(nodegroup([notJoined([A])], [replace([A], 'failed')]))).toBe(true);
    expect(hasOpenProblem(nodegroup([notJoined([A])], [scaleCycle('failed')]))).toBe(true);
    expect(hasOpenProblem(nodegroup([notJoined([A])], [route('create-route', 'done')]))).toBe(true);
  });

  it('never counts other findings as fixed, whatever was done', () => {
    const health = finding('NODEGROUP_HEALTH_ISSUE');
    expect(hasOpenProblem(nodegroup([health], [route('create-route', 'done'), scaleCycle()]))).toBe(true);
  });

  it('has a problem left when any one finding is open, though others were fixed', () => {
    const other = finding('NO_DEFAULT_ROUTE', { routeTableId: OTHER_TABLE, resourceId: OTHER_TABLE });
    expect(hasOpenProblem(nodegroup([noRoute, other], [route('create-route', 'done')]))).toBe(true);
  });
});

describe('exitCodeFor', () => {
  it('is 0 when nothing is left, 1 when a problem is left in any nodegroup', () => {
    expect(exitCodeFor(result([nodegroup([])]))).toBe(0);
    expect(exitCodeFor(result([]))).toBe(0);
    expect(exitCodeFor(result([nodegroup([]), nodegroup([noRoute])]))).toBe(1);
  });

  it('is 3 when a call failed, before any problem', () => {
    expect(exitCodeFor(result([nodegroup([noRoute])], [new JoinRemediatorError('sns down')]))).toBe(3);
  });

  it('is 3 when the Kubernetes API could not be read for one nodegroup, though another is fine', () => {
    for (const code of ['CLUSTER_API_UNREACHABLE', 'NODE_LIST_FORBIDDEN'] as const) {
      expect(exitCodeFor(result([nodegroup([]), nodegroup([finding(code)], [], 'notify')]))).toBe(3);
    }
  });
});
