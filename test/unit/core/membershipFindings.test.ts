/**
 * The findings about membership: the symptom (instances past the window without a Node), and a node
 * list that could not be read (refused or unreachable): each names what is affected and gives the
 * commands a person runs, for the case at hand.
 */
import { describe, expect, it } from 'vitest';
import {
  membershipFinding,
  nodesNotJoinedFinding,
} from '../../../functions/core/diagnose/membershipFindings.js';
import { READER_GROUP } from '../../../functions/core/model/settings.js';
import type { InstanceVerdict } from '../../../functions/core/model/types.js';
import { cluster, nodegroup } from '../../support/factories.js';

function verdict(instanceId: string, overrides: Partial<InstanceVerdict> = {}): InstanceVerdict {
  return {
    instanceId,
    subnetId: 'subnet-0aaa',
    availabilityZone: 'us-west-2a',
    launchedAt: '2026-11-26T09:00:00.000Z',
    joined: false,
    pending: false,
    state: 'running',
    ...overrides,
  };
}

describe('nodesNotJoinedFinding', () => {
  it('names each instance with its subnet, zone and launch, and gives one terminate command per instance', () => {
    const ng = nodegroup();
    const finding = nodesNotJoinedFinding(
      ng,
      [verdict('i-0aaa'), verdict('i-0bbb', { subnetId: 'subnet-0bbb' })],
      300,
      'eu-west-1',
    );
    expect(finding).toMatchObject({
      code: 'NODES_NOT_JOINED',
      severity: 'critical',
      resourceId: ng.arn,
      instanceIds: ['i-0aaa', 'i-0bbb'],
    });
    expect(finding.message).toContain('2 instance(s)');
    expect(finding.message).toContain('300 s');
    expect(finding.message).toContain('i-0aaa (subnet-0aaa, us-west-2a, launched 2026-11-26T09:00:00.000Z)');
    expect(finding.message).toContain('i-0bbb (subnet-0bbb');
    const commands = finding.fix.split('\n').filter((l) => l.startsWith('aws '));
    expect(commands).toHaveLength(2);
    expect(commands[0]).toContain('--instance-id i-0aaa');
    expect(commands[1]).toContain('--instance-id i-0bbb');
    for (const c of commands) {
      expect(c).toContain('--no-should-decrement-desired-capacity');
      expect(c).toContain('--region eu-west-1');
    }
    expect(finding.fix).toContain(`eks.amazonaws.com/nodegroup=${ng.name}`);
  });

  it('says what is not known about an instance instead of leaving it out', () => {
    const bare: InstanceVerdict = { instanceId: 'i-0ccc', joined: false, pending: false, state: 'running' };
    const finding = nodesNotJoinedFinding(nodegroup(), [bare], 300, 'us-west-2');
    expect(finding.message).toContain('i-0ccc (unknown subnet, ?, launched ?)');
  });

  it('uses the nodegroup name without an ARN, and gives no watch command without an Auto Scaling group', () => {
    const { arn: _, ...ng } = nodegroup({ autoScalingGroupNames: [] });
    const finding = nodesNotJoinedFinding(ng, [verdict('i-0aaa')], 300, 'us-west-2');
    expect(finding.resourceId).toBe(ng.name);
    expect(finding.fix).not.toContain('kubectl get nodes');
  });
});

describe('membershipFinding', () => {
  const c = cluster();
  const ENDPOINT = 'https://ABCDEF0123456789.gr7.us-west-2.eks.amazonaws.com';

  it('has nothing to say when the node list was read', () => {
    expect(membershipFinding(c, { kind: 'known', nodes: [] })).toBeUndefined();
  });

  it('tells an unauthenticated caller (401) to get an access entry in the reader group', () => {
    const finding = membershipFinding(c, {
      kind: 'unknown',
      reason: 'forbidden',
      status: 401,
      detail: 'Unauthorized',
      endpoint: ENDPOINT,
    });
    expect(finding).toMatchObject({ code: 'NODE_LIST_FORBIDDEN', severity: 'warning', resourceId: c.arn });
    expect(finding?.message).toContain('HTTP 401');
    expect(finding?.message).toContain('Unauthorized');
    expect(finding?.fix).toContain('aws eks create-access-entry');
    expect(finding?.fix).toContain(`--kubernetes-groups ${READER_GROUP}`);
    expect(finding?.fix).toContain('kubectl apply -f infra/k8s/rbac.yaml');
  });

  it('tells an authenticated caller that RBAC refuses (403) to bind the role, not to create an access entry', () => {
    const finding = membershipFinding(c, {
      kind: 'unknown',
      reason: 'forbidden',
      status: 403,
      detail: 'forbidden',
      endpoint: ENDPOINT,
    });
    expect(finding?.code).toBe('NODE_LIST_FORBIDDEN');
    expect(finding?.message).toContain('HTTP 403');
    expect(finding?.fix).toContain('kubectl apply -f infra/k8s/rbac.yaml');
    expect(finding?.fix).toContain(READER_GROUP);
    expect(finding?.fix).not.toContain('create-access-entry');
    expect(finding?.fix.split('\n')).toHaveLength(3);
  });

  it('says the status is unknown when there is none', () => {
    const finding = membershipFinding(c, {
      kind: 'unknown',
      reason: 'forbidden',
      detail: 'denied',
      endpoint: ENDPOINT,
    });
    expect(finding?.message).toContain('HTTP ?');
  });

  it('tells how to reach an API server that could not be reached, naming the endpoint', () => {
    const { arn: _, ...noArn } = c;
    const finding = membershipFinding(noArn, {
      kind: 'unknown',
      reason: 'unreachable',
      endpoint: ENDPOINT,
      detail: 'ETIMEDOUT',
    });
    expect(finding).toMatchObject({
      code: 'CLUSTER_API_UNREACHABLE',
      severity: 'warning',
      resourceId: c.name,
    });
    expect(finding?.message).toContain(ENDPOINT);
    expect(finding?.message).toContain('ETIMEDOUT');
    expect(finding?.fix).toContain(`aws eks describe-cluster --name ${c.name}`);
    expect(finding?.fix).toContain('--region us-west-2');
    expect(finding?.fix.split('\n')).toHaveLength(3);
  });
});
