import { describe, expect, it } from 'vitest';
import { parseRoleArn, roleNameFromArn } from '../../../functions/core/diagnose/diagnoseNodeIdentity.js';
import {
  CNI_ARN,
  ECR_READ_ARN,
  fixLines,
  identityFindings,
  managedPolicy,
  NODE_ROLE_NAME,
  nodeIdentity,
  onlyFinding,
  WORKER_ARN,
} from '../../support/nodeIdentity.js';

const missingPolicy = (attachedPolicyArns: string[], inlinePolicyNames?: string[]) =>
  onlyFinding(
    identityFindings(nodeIdentity({ attachedPolicyArns, inlinePolicyNames })),
    'NODE_ROLE_MISSING_POLICY',
  );

describe('role ARNs that parse and ARNs that do not', () => {
  it.each([
    [
      'a role ARN with blanks around it',
      '  arn:aws:iam::123456789012:role/nodes \n',
      { partition: 'aws', accountId: '123456789012', name: 'nodes', path: '/' },
    ],
    [
      'a session of a role in another partition',
      'arn:aws-cn:sts::123456789012:assumed-role/nodes/i-0abc',
      { partition: 'aws-cn', accountId: '123456789012', name: 'nodes', path: '/' },
    ],
    [
      'a session ARN with blanks around it',
      ' arn:aws:sts::123456789012:assumed-role/nodes/i-0abc ',
      { partition: 'aws', accountId: '123456789012', name: 'nodes', path: '/' },
    ],
  ])('parses %s', (_, arn, expected) => {
    expect(parseRoleArn(arn)).toEqual(expected);
  });

  it.each([
    ['text before a role ARN', 'role=arn:aws:iam::123456789012:role/nodes'],
    ['a role ARN ending in a slash', 'arn:aws:iam::123456789012:role/nodes/'],
    ['text before a session ARN', 'x-arn:aws:sts::123456789012:assumed-role/nodes/i-0abc'],
    ['a session ARN with an extra segment', 'arn:aws:sts::123456789012:assumed-role/nodes/i-0abc/more'],
  ])('rejects %s', (_, arn) => {
    expect(parseRoleArn(arn)).toBeUndefined();
    expect(roleNameFromArn(arn)).toBeUndefined();
  });
});

describe('which AWS managed policies count', () => {
  it('reads the name of a managed policy that lives under a path', () => {
    const withPath = managedPolicy('node-policies/AmazonEKSWorkerNodePolicy');
    expect(identityFindings(nodeIdentity({ attachedPolicyArns: [withPath, ECR_READ_ARN, CNI_ARN] }))).toEqual(
      [],
    );
  });

  it.each([
    ['text before it', `policy:${WORKER_ARN}`],
    ['a trailing slash', `${WORKER_ARN}/`],
  ])('does not take an ARN with %s for AmazonEKSWorkerNodePolicy', (_, arn) => {
    const finding = missingPolicy([arn, ECR_READ_ARN, CNI_ARN]);
    expect(finding.fix).toContain(`--policy-arn ${WORKER_ARN} `);
    // What it is, it might grant the same: named, and only a warning.
    expect(finding.severity).toBe('warning');
    expect(finding.message).toContain(`customer managed policy ${arn}`);
  });

  it('judges nothing for a node role that is no role ARN, however bare the role', () => {
    const profile = 'arn:aws:iam::123456789012:instance-profile/eks-workshop-node-role';
    expect(
      identityFindings(nodeIdentity({ nodeRoleArn: profile, attachedPolicyArns: [], accessEntries: [] })),
    ).toEqual([]);
  });

  it('accepts PowerUserAccess as granting everything', () => {
    expect(
      identityFindings(nodeIdentity({ attachedPolicyArns: [managedPolicy('PowerUserAccess')] })),
    ).toEqual([]);
  });
});

describe('what the missing-policy finding says', () => {
  it.each([
    ['AmazonEKSWorkerNodePolicy', [ECR_READ_ARN, CNI_ARN], 'kubelet'],
    ['AmazonEC2ContainerRegistryPullOnly', [WORKER_ARN, CNI_ARN], 'ECR'],
    ['AmazonEKS_CNI_Policy', [WORKER_ARN, ECR_READ_ARN], 'pod IPs'],
  ])('names %s alone and says what breaks without it (%#)', (policyName, attached, consequence) => {
    const finding = missingPolicy(attached, undefined);
    // No inline or customer managed policy could stand in for it: critical.
    expect(finding.severity).toBe('critical');
    expect(finding.message).toContain(`managed policy ${policyName}:`);
    expect(finding.message).toContain(`without ${policyName}, `);
    expect(finding.message).toContain(consequence);
    expect(finding.message).not.toContain('might grant');
    const lines = fixLines(finding.fix);
    expect(lines[0]).toMatch(/\bpolicy\b/);
    expect(lines[0]).toContain(NODE_ROLE_NAME);
    expect(lines[0]).toContain('create-node-role.html');
    expect(lines.filter((l) => l.startsWith('aws iam attach-role-policy'))).toEqual([
      `aws iam attach-role-policy --role-name ${NODE_ROLE_NAME} --policy-arn ${managedPolicy(policyName)} --region us-west-2`,
    ]);
    expect(lines.at(-1)).toMatch(/^# .*replace the unjoined instances/);
  });

  it('lists the attached policies by name, ends with them, and joins several missing ones', () => {
    const finding = missingPolicy([CNI_ARN], []);
    expect(finding.message).toContain(
      'managed policies AmazonEKSWorkerNodePolicy, AmazonEC2ContainerRegistryPullOnly:',
    );
    expect(finding.message).toContain('; without AmazonEC2ContainerRegistryPullOnly, ');
    expect(finding.message.endsWith(' Attached: AmazonEKS_CNI_Policy.')).toBe(true);
    const lines = fixLines(finding.fix);
    expect(lines[0]).toMatch(/\bpolicies\b/);
    expect(lines.filter((l) => l.startsWith('aws iam attach-role-policy'))).toHaveLength(2);
  });

  it('names every inline and customer managed policy that might stand in, in the attached list too', () => {
    const customer = 'arn:aws:iam::123456789012:policy/node-extras';
    const finding = missingPolicy([customer, ECR_READ_ARN, CNI_ARN], ['ssm-access']);
    expect(finding.severity).toBe('warning');
    expect(finding.message).toContain(
      `Attached: ${customer}, AmazonEC2ContainerRegistryReadOnly, AmazonEKS_CNI_Policy.`,
    );
    expect(finding.message).toContain(
      `has inline policy ssm-access, customer managed policy ${customer}, which might grant`,
    );
  });
});
