/**
 * What makes two alerts "the same" for the cooldown: a problem is its kind and each finding's code and
 * resource (not the instances), a failed remediation is which writes failed, on what, and why.
 */
import { describe, expect, it } from 'vitest';
import { alertFingerprint, failureFingerprint } from '../../../functions/core/check/alertFingerprint.js';
import type { Action, Finding, FindingCode, ReasonCode } from '../../../functions/core/model/types.js';

const TABLE = 'rtb-0f1e2d3c4b5a69788';
const NODEGROUP_ARN = 'arn:aws:eks:us-west-2:123456789012:nodegroup/eks-workshop/new_nodegroup_2/6ac9';

function finding(code: FindingCode, resourceId: string, overrides: Partial<Finding> = {}): Finding {
  return {
    code,
    severity: 'critical',
    resourceId,
    message: `${code} on ${resourceId}`,
    fix: 'fix',
    ...overrides,
  };
}

function write(
  type: 'create-route' | 'replace-instances',
  resourceId: string,
  status: Action['status'],
  reasonCode?: ReasonCode,
): Action {
  const common = { resourceId, status, reason: `${type} ${status}`, ...(reasonCode && { reasonCode }) };
  return type === 'create-route'
    ? { ...common, type, routeTableId: resourceId, destination: '0.0.0.0/0', subnetIds: [], before: '' }
    : { ...common, type, autoScalingGroupName: 'asg', instanceIds: [resourceId] };
}

const seedFindings = () => [
  finding('NO_DEFAULT_ROUTE', TABLE),
  finding('NODES_NOT_JOINED', NODEGROUP_ARN, { instanceIds: ['i-1'] }),
];

describe('alertFingerprint', () => {
  it('is 32 hex characters, and the same for the same problem', () => {
    const fingerprint = alertFingerprint('problem', seedFindings());
    expect(fingerprint).toMatch(/^[0-9a-f]{32}$/);
    expect(alertFingerprint('problem', seedFindings())).toBe(fingerprint);
  });

  it('stays the same across releases: the state table keeps it, so a new format would alert everything again', () => {
    expect(alertFingerprint('problem', seedFindings())).toBe('5732293c75d0e3f7772f118b5a8436fa');
  });

  it('ignores the instances, the wording and the order of the findings', () => {
    const [route, nodes] = seedFindings() as [Finding, Finding];
    const reworded = [
      { ...nodes, instanceIds: ['i-1', 'i-2'], message: '2 instances', severity: 'warning' as const },
      { ...route, fix: 'another fix' },
    ];
    expect(alertFingerprint('problem', reworded)).toBe(alertFingerprint('problem', seedFindings()));
  });

  it('tells apart the kind, a finding code, a resource, and one finding more or less', () => {
    const base = alertFingerprint('problem', seedFindings());
    const others = [
      alertFingerprint('escalation', seedFindings()),
      alertFingerprint('problem', [finding('BLACKHOLE_DEFAULT_ROUTE', TABLE), seedFindings()[1] as Finding]),
      alertFingerprint('problem', [finding('NO_DEFAULT_ROUTE', 'rtb-0other'), seedFindings()[1] as Finding]),
      alertFingerprint('problem', [seedFindings()[1] as Finding]),
      alertFingerprint('problem', [...seedFindings(), finding('VPC_DNS_DISABLED', 'vpc-1')]),
      alertFingerprint('problem', []),
    ];
    expect(new Set([base, ...others]).size).toBe(others.length + 1);
  });
});

describe('failureFingerprint', () => {
  const failed = () => [
    write('create-route', TABLE, 'failed', 'ACCESS_DENIED'),
    write('replace-instances', 'i-1', 'failed'),
  ];

  it('stays the same across releases', () => {
    expect(failureFingerprint(failed())).toBe('4e9b29e17ffc4849e2f3769c37cff71d');
  });

  it('is the failed writes only, in any order', () => {
    const withOthers = [
      write('replace-instances', 'i-1', 'failed'),
      write('replace-instances', 'i-2', 'skipped', 'ROUTE_NOT_FIXED'),
      write('create-route', 'rtb-0done', 'done'),
      write('create-route', TABLE, 'failed', 'ACCESS_DENIED'),
    ];
    expect(failureFingerprint(withOthers)).toBe(failureFingerprint(failed()));
    expect(failureFingerprint(failed())).toMatch(/^[0-9a-f]{32}$/);
  });

  it('tells apart why a write failed, what failed, and on what', () => {
    const base = failureFingerprint(failed());
    const others = [
      failureFingerprint([write('create-route', TABLE, 'failed', 'THROTTLED'), failed()[1] as Action]),
      failureFingerprint([write('create-route', TABLE, 'failed'), failed()[1] as Action]),
      failureFingerprint([
        write('create-route', 'rtb-0other', 'failed', 'ACCESS_DENIED'),
        failed()[1] as Action,
      ]),
      failureFingerprint([failed()[0] as Action]),
      failureFingerprint([]),
    ];
    expect(new Set([base, ...others]).size).toBe(others.length + 1);
  });

  it('is not a problem alert of the same nodegroup with no findings', () => {
    expect(failureFingerprint([])).not.toBe(alertFingerprint('problem', []));
    expect(failureFingerprint([])).toBe(alertFingerprint('remediated', []));
  });
});
