import { expect } from 'vitest';
import { diagnoseNodeIdentity } from '../../functions/core/diagnose/diagnoseNodeIdentity.js';
import type { Cluster, Finding, NodeIdentity } from '../../functions/core/model/types.js';
import { cluster, nodegroup } from './factories.js';

/** A node role of the seed's account, its AWS managed policies, and a healthy identity for it. */
export const NODE_ROLE = 'arn:aws:iam::123456789012:role/eks-workshop-node-role';
export const NODE_ROLE_NAME = 'eks-workshop-node-role';

/** The ARN of an AWS managed policy in a partition. */
export const managedPolicy = (name: string, partition = 'aws') => `arn:${partition}:iam::aws:policy/${name}`;
export const WORKER_ARN = managedPolicy('AmazonEKSWorkerNodePolicy');
export const ECR_READ_ARN = managedPolicy('AmazonEC2ContainerRegistryReadOnly');
export const CNI_ARN = managedPolicy('AmazonEKS_CNI_Policy');

/** Every policy attached, an EC2_LINUX access entry and an aws-auth mapping: nothing to find. */
const HEALTHY: NodeIdentity = {
  nodeRoleArn: NODE_ROLE,
  attachedPolicyArns: [WORKER_ARN, ECR_READ_ARN, CNI_ARN],
  accessEntries: [{ principalArn: NODE_ROLE, type: 'EC2_LINUX' }],
  awsAuthRoleArns: [NODE_ROLE],
  cniUsesNodeRole: true,
};

/** The healthy identity (no inline policies read) with `overrides`. */
export const nodeIdentity = (overrides: Partial<NodeIdentity> = {}): NodeIdentity => ({
  ...HEALTHY,
  ...overrides,
});

/** The identity findings of the seed's nodegroup running as `identity.nodeRoleArn`. */
export function identityFindings(identity: NodeIdentity, clusterOverrides: Partial<Cluster> = {}): Finding[] {
  return diagnoseNodeIdentity({
    cluster: cluster({ authenticationMode: 'API_AND_CONFIG_MAP', ...clusterOverrides }),
    nodegroup: nodegroup({ nodeRoleArn: identity.nodeRoleArn }),
    identity,
  });
}

/** The one finding of `code`, failing the test when there is not exactly one finding. */
export function onlyFinding(findings: Finding[], code: string): Finding {
  expect(findings.map((f) => f.code)).toEqual([code]);
  return findings[0] as Finding;
}

/** A fix's lines, each either a shell comment or a command (never blank, never two run together). */
export function fixLines(fix: string): string[] {
  const lines = fix.split('\n');
  for (const line of lines) expect(line).toMatch(/^(#\s+\S|aws \S|eksctl \S)/);
  return lines;
}
