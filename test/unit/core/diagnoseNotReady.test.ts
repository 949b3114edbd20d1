import { describe, expect, it } from 'vitest';
import { diagnoseNotReady, type NotReadyInput } from '../../../functions/core/diagnose/diagnoseNotReady.js';
import type {
  Finding,
  InstanceVerdict,
  NetworkSnapshot,
  NodeIdentity,
  VpcCniAddon,
} from '../../../functions/core/model/types.js';
import {
  cluster,
  NEW_SUBNET,
  nodegroup,
  PRIVATE_SUBNET,
  seedNetwork,
  subnet,
} from '../../support/factories.js';
import { CNI_ARN, ECR_READ_ARN, NODE_ROLE, WORKER_ARN } from '../../support/nodeIdentity.js';

const CNI_MESSAGE =
  'container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:Network plugin returns error: cni plugin not initialized';
const NG = nodegroup({ nodeRoleArn: NODE_ROLE });
const ACTIVE: VpcCniAddon = { installed: true, status: 'ACTIVE', version: 'v1.19.2-eksbuild.1', issues: [] };
/** aws-node on the node role, which has every policy; the add-on ACTIVE: nothing to blame. */
const HEALTHY: NodeIdentity = {
  nodeRoleArn: NODE_ROLE,
  attachedPolicyArns: [WORKER_ARN, ECR_READ_ARN, CNI_ARN],
  inlinePolicyNames: [],
  cniUsesNodeRole: true,
  vpcCniAddon: ACTIVE,
};

function notReadyNode(n: number, overrides: Partial<InstanceVerdict> = {}): InstanceVerdict {
  return {
    instanceId: `i-0nr00000000000${n}`,
    subnetId: NEW_SUBNET,
    availabilityZone: 'us-west-2a',
    launchedAt: '2026-11-26T09:40:00.000Z',
    joined: true,
    pending: false,
    nodeName: `ip-10-42-200-${n}.us-west-2.compute.internal`,
    ready: false,
    readyReason: 'KubeletNotReady',
    readyMessage: CNI_MESSAGE,
    state: 'running',
    ...overrides,
  };
}

/** The seed network with the not-ready nodes' subnet holding `free` addresses (undefined: not read). */
function network(free: number | undefined, otherFree?: number): NetworkSnapshot {
  const base = seedNetwork();
  return {
    ...base,
    subnets: base.subnets.map((s) =>
      s.subnetId === NEW_SUBNET
        ? { ...s, ...(free !== undefined && { availableIpAddressCount: free }) }
        : { ...s, ...(otherFree !== undefined && { availableIpAddressCount: otherFree }) },
    ),
  };
}

function diagnose(overrides: Partial<NotReadyInput> = {}): Finding[] {
  return diagnoseNotReady({
    cluster: cluster(),
    nodegroup: NG,
    notReady: [notReadyNode(1)],
    identity: HEALTHY,
    networks: [network(120)],
    joinWindowSeconds: 300,
    ...overrides,
  });
}

function only(findings: Finding[]): Finding {
  expect(findings.map((f) => f.code)).toEqual(['NODES_NOT_READY']);
  return findings[0] as Finding;
}

const identity = (overrides: Partial<NodeIdentity>): NodeIdentity => ({ ...HEALTHY, ...overrides });
/** No vpc-cni add-on: then nothing says which role a (self-managed) aws-node uses, as the reader leaves it. */
const NO_ADDON: Partial<NodeIdentity> = { vpcCniAddon: { installed: false }, cniUsesNodeRole: undefined };

describe('diagnoseNotReady: the finding', () => {
  it('nothing when no node is not Ready', () => {
    expect(diagnose({ notReady: [] })).toEqual([]);
  });

  it('names the nodes with their condition; with no cause in the account, says so and gives the reads', () => {
    const finding = only(diagnose());
    expect(finding).toMatchObject({
      severity: 'critical',
      resourceId: NG.arn,
      instanceIds: ['i-0nr000000000001'],
      notReadyNodes: [
        {
          nodeName: 'ip-10-42-200-1.us-west-2.compute.internal',
          instanceId: 'i-0nr000000000001',
          reason: 'KubeletNotReady',
          message: CNI_MESSAGE,
        },
      ],
      notReadyCauses: [],
    });
    expect(finding.message).toBe(
      `1 node(s) of nodegroup new_nodegroup_2 registered but are not Ready 300 s or more after launch: ip-10-42-200-1.us-west-2.compute.internal (i-0nr000000000001): KubeletNotReady: ${CNI_MESSAGE}. No common cause found in the account (vpc-cni add-on, its IAM permission, free subnet addresses).`,
    );
    expect(finding.fix.split('\n')).toEqual([
      '# What the node and aws-node say:',
      'kubectl describe node ip-10-42-200-1.us-west-2.compute.internal',
      'kubectl -n kube-system get pods -l k8s-app=aws-node -o wide',
      'kubectl -n kube-system logs -l k8s-app=aws-node --tail=50',
      '# Not recycled: new instances would meet the same cause. Once it is fixed the nodes turn Ready without replacement:',
      '#   kubectl get nodes -l eks.amazonaws.com/nodegroup=new_nodegroup_2',
    ]);
  });

  it('the nodegroup name stands for the resource when it has no ARN', () => {
    expect(only(diagnose({ nodegroup: { ...NG, arn: undefined } })).resourceId).toBe('new_nodegroup_2');
  });

  it('groups nodes that say the same, and counts past five', () => {
    const nodes = Array.from({ length: 7 }, (_, n) => notReadyNode(n + 1));
    const other = notReadyNode(8, { readyReason: 'KubeletNotReady', readyMessage: 'PLEG is not healthy' });
    const finding = only(diagnose({ notReady: [...nodes, other] }));
    expect(finding.message).toContain(
      'ip-10-42-200-5.us-west-2.compute.internal (i-0nr000000000005) and 2 more',
    );
    expect(finding.message.match(/NetworkPluginNotReady/g)).toHaveLength(1);
    expect(finding.message).toContain('(i-0nr000000000008): KubeletNotReady: PLEG is not healthy');
    expect(finding.instanceIds).toHaveLength(8);
    // The fix describes a few nodes, not all of them.
    expect(finding.fix.match(/kubectl describe node/g)).toHaveLength(3);
  });

  it('a node whose condition gives no reason still is one, and the CNI causes are looked for', () => {
    const node = notReadyNode(1, { readyReason: undefined, readyMessage: undefined });
    const finding = only(diagnose({ notReady: [node], identity: identity(NO_ADDON) }));
    expect(finding.notReadyNodes).toEqual([
      { nodeName: 'ip-10-42-200-1.us-west-2.compute.internal', instanceId: 'i-0nr000000000001' },
    ]);
    expect(finding.message).toContain('Ready is not True, no reason given');
    expect(finding.notReadyCauses).toEqual(['VPC_CNI_MISSING']);
  });

  it('a node not Ready for another reason than the pod network is not blamed on the CNI', () => {
    const stopped = notReadyNode(1, {
      readyReason: 'NodeStatusUnknown',
      readyMessage: 'Kubelet stopped posting node status.',
    });
    const finding = only(
      diagnose({
        notReady: [stopped],
        identity: identity({ ...NO_ADDON, attachedPolicyArns: [WORKER_ARN] }),
        networks: [network(0)],
      }),
    );
    expect(finding.notReadyCauses).toEqual([]);
    expect(finding.message).toContain(
      'NodeStatusUnknown: Kubelet stopped posting node status. The condition does not point at the pod network',
    );
  });
});

describe('VPC_CNI_MISSING', () => {
  it('failing: no vpc-cni add-on; the fix installs it (and says what a self-managed aws-node needs)', () => {
    const finding = only(diagnose({ identity: identity(NO_ADDON) }));
    expect(finding.notReadyCauses).toEqual(['VPC_CNI_MISSING']);
    expect(finding.message).toContain(
      'Cause found: the vpc-cni add-on is not installed on cluster eks-workshop',
    );
    const fix = finding.fix.split('\n');
    expect(fix).toContain('kubectl -n kube-system get daemonset aws-node');
    expect(fix).toContain(
      'aws eks create-addon --cluster-name eks-workshop --addon-name vpc-cni --region us-west-2',
    );
    expect(fix).toContain(
      "aws eks describe-addon --cluster-name eks-workshop --addon-name vpc-cni --query 'addon.[status,health.issues]' --region us-west-2",
    );
    expect(fix).toContain('kubectl -n kube-system logs -l k8s-app=aws-node --tail=50');
    // The node role has the CNI policy: nothing to attach.
    expect(finding.fix).not.toContain('attach-role-policy');
  });

  it('failing, and the node role lacks the CNI policy the new add-on would run with: the attach command too', () => {
    const finding = only(
      diagnose({
        identity: identity({ ...NO_ADDON, attachedPolicyArns: [WORKER_ARN, ECR_READ_ARN] }),
      }),
    );
    expect(finding.notReadyCauses).toEqual(['VPC_CNI_MISSING']);
    expect(finding.fix).toContain(
      'aws iam attach-role-policy --role-name eks-workshop-node-role --policy-arn arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy --region us-west-2',
    );
  });

  it('healthy twin: the add-on is ACTIVE without issues', () => {
    expect(only(diagnose()).notReadyCauses).toEqual([]);
  });

  it('not judged when the add-on could not be read; the fix reads it', () => {
    const finding = only(diagnose({ identity: identity({ vpcCniAddon: undefined }) }));
    expect(finding.notReadyCauses).toEqual([]);
    expect(finding.message).toContain('Not checked: the vpc-cni add-on (eks:DescribeAddon not readable).');
    expect(finding.fix).toContain('aws eks describe-addon --cluster-name eks-workshop --addon-name vpc-cni');
  });

  it('not judged without any identity read', () => {
    const finding = only(diagnose({ identity: undefined }));
    expect(finding.notReadyCauses).toEqual([]);
    expect(finding.message).toContain('Not checked: the vpc-cni add-on and the node role (not read)');
  });
});

describe('VPC_CNI_DEGRADED', () => {
  it('failing: the add-on is DEGRADED with a configuration conflict; the fix takes the fields back', () => {
    const addon: VpcCniAddon = {
      ...ACTIVE,
      status: 'DEGRADED',
      issues: [{ code: 'ConfigurationConflict', message: 'Conflicts found when trying to apply.' }],
    };
    const finding = only(diagnose({ identity: identity({ vpcCniAddon: addon }) }));
    expect(finding.notReadyCauses).toEqual(['VPC_CNI_DEGRADED']);
    expect(finding.message).toContain(
      'the vpc-cni add-on v1.19.2-eksbuild.1 is DEGRADED with health issues ConfigurationConflict: Conflicts found when trying to apply',
    );
    expect(finding.fix).toContain(
      'aws eks update-addon --cluster-name eks-workshop --addon-name vpc-cni --resolve-conflicts OVERWRITE --region us-west-2',
    );
  });

  it('failing: ACTIVE but with an access issue on its own role; the fix names that role', () => {
    const addon: VpcCniAddon = {
      ...ACTIVE,
      serviceAccountRoleArn: 'arn:aws:iam::123456789012:role/vpc-cni-irsa',
      issues: [{ code: 'AccessDenied', message: 'The role cannot be assumed' }],
    };
    const finding = only(diagnose({ identity: identity({ vpcCniAddon: addon, cniUsesNodeRole: false }) }));
    expect(finding.notReadyCauses).toEqual(['VPC_CNI_DEGRADED']);
    expect(finding.fix).toContain(
      'aws iam list-attached-role-policies --role-name vpc-cni-irsa --region us-west-2',
    );
  });

  it('failing: stuck in CREATE_FAILED', () => {
    const finding = only(
      diagnose({ identity: identity({ vpcCniAddon: { ...ACTIVE, status: 'CREATE_FAILED' } }) }),
    );
    expect(finding.notReadyCauses).toEqual(['VPC_CNI_DEGRADED']);
    expect(finding.fix).not.toContain('update-addon');
  });
});

describe('CNI_POLICY_MISSING', () => {
  const lacking = { attachedPolicyArns: [WORKER_ARN, ECR_READ_ARN] };

  it('failing: aws-node runs with the node role, which lacks AmazonEKS_CNI_Policy and has nothing else', () => {
    const finding = only(diagnose({ identity: identity(lacking) }));
    expect(finding.notReadyCauses).toEqual(['CNI_POLICY_MISSING']);
    expect(finding.message).toContain(
      'Cause found: aws-node runs with the node role eks-workshop-node-role, which lacks AmazonEKS_CNI_Policy, so the CNI cannot assign pod addresses.',
    );
    expect(finding.fix.split('\n').slice(0, 3)).toEqual([
      '# Attach AmazonEKS_CNI_Policy to the node role eks-workshop-node-role (or give aws-node its own role: https://docs.aws.amazon.com/eks/latest/userguide/cni-iam-role.html), then restart aws-node:',
      'aws iam attach-role-policy --role-name eks-workshop-node-role --policy-arn arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy --region us-west-2',
      'kubectl -n kube-system rollout restart daemonset aws-node',
    ]);
  });

  it('"may lack" when an inline or customer managed policy might grant it, or the inline ones were not read', () => {
    const inline = only(diagnose({ identity: identity({ ...lacking, inlinePolicyNames: ['cni-extras'] }) }));
    expect(inline.notReadyCauses).toEqual(['CNI_POLICY_MISSING']);
    expect(inline.message).toContain(
      'which may lack AmazonEKS_CNI_Policy (inline policy cni-extras might grant its permissions: check before attaching)',
    );
    const customer = 'arn:aws:iam::123456789012:policy/node-cni';
    const managed = only(
      diagnose({ identity: identity({ attachedPolicyArns: [...lacking.attachedPolicyArns, customer] }) }),
    );
    expect(managed.message).toContain(
      `may lack AmazonEKS_CNI_Policy (customer managed policy ${customer} might`,
    );
    const unread = only(diagnose({ identity: identity({ ...lacking, inlinePolicyNames: undefined }) }));
    expect(unread.message).toContain('may lack AmazonEKS_CNI_Policy (its inline policies were not read)');
  });

  it('in another partition the fix attaches the policy of that partition', () => {
    const role = 'arn:aws-cn:iam::123456789012:role/cn-nodes';
    const finding = only(
      diagnose({
        identity: identity({
          nodeRoleArn: role,
          attachedPolicyArns: ['arn:aws-cn:iam::aws:policy/AmazonEKSWorkerNodePolicy'],
        }),
      }),
    );
    expect(finding.fix).toContain(
      '--role-name cn-nodes --policy-arn arn:aws-cn:iam::aws:policy/AmazonEKS_CNI_Policy',
    );
  });

  it.each<[string, Partial<NodeIdentity>]>([
    ['the node role has the policy', {}],
    ['aws-node has its own role (IRSA or Pod Identity)', { ...lacking, cniUsesNodeRole: false }],
    [
      'the role has AdministratorAccess',
      { attachedPolicyArns: ['arn:aws:iam::aws:policy/AdministratorAccess'] },
    ],
  ])('healthy twin: %s', (_what, overrides) => {
    expect(only(diagnose({ identity: identity(overrides) })).notReadyCauses).toEqual([]);
  });

  it.each<[string, Partial<NodeIdentity>, string | undefined]>([
    [
      "the add-on's Pod Identity associations could not be listed",
      { ...lacking, cniUsesNodeRole: undefined },
      "which role aws-node runs with (the add-on's Pod Identity associations not readable)",
    ],
    [
      "the role's policies could not be read",
      { attachedPolicyArns: undefined },
      'the policies of the node role eks-workshop-node-role (iam:ListAttachedRolePolicies not readable)',
    ],
    // Self-managed aws-node: nothing says which role it uses, and no read failed.
    ['no add-on at all', { ...lacking, ...NO_ADDON }, undefined],
  ])('not judged when %s', (_what, overrides, unchecked) => {
    const finding = only(diagnose({ identity: identity(overrides) }));
    expect(finding.notReadyCauses).not.toContain('CNI_POLICY_MISSING');
    if (unchecked) expect(finding.message).toContain(`Not checked: ${unchecked}.`);
    else expect(finding.message).not.toContain('Not checked');
  });
});

describe('SUBNET_ADDRESSES_EXHAUSTED', () => {
  it("failing: the node's subnet has no free address; names the nodegroup's subnets with room", () => {
    const ng = { ...NG, subnetIds: [NEW_SUBNET, PRIVATE_SUBNET] };
    const finding = only(diagnose({ nodegroup: ng, networks: [network(0, 37)] }));
    expect(finding.notReadyCauses).toEqual(['SUBNET_ADDRESSES_EXHAUSTED']);
    expect(finding.message).toContain(
      `subnet ${NEW_SUBNET} has no free IPv4 address left for pods (the nodegroup's ${PRIVATE_SUBNET} has 37)`,
    );
    expect(finding.fix).toContain(
      `aws ec2 describe-subnets --subnet-ids ${NEW_SUBNET} --query 'Subnets[].[SubnetId,AvailableIpAddressCount]' --region us-west-2`,
    );
    expect(finding.fix).toContain(
      `aws ec2 describe-network-interfaces --filters Name=subnet-id,Values=${NEW_SUBNET} Name=status,Values=available`,
    );
  });

  it('healthy twin: a few addresses left is not exhausted (the threshold is 0, see the module)', () => {
    expect(only(diagnose({ networks: [network(1)] })).notReadyCauses).toEqual([]);
  });

  it('not judged when the free addresses were not read, or the subnet is not in the networks', () => {
    const unread = only(diagnose({ networks: [network(undefined)] }));
    expect(unread.notReadyCauses).toEqual([]);
    expect(unread.message).toContain(`Not checked: the free addresses of ${NEW_SUBNET} (not read).`);
    const elsewhere = notReadyNode(1, { subnetId: 'subnet-0elsewhere' });
    const other = only(
      diagnose({
        notReady: [elsewhere],
        networks: [{ ...network(0), subnets: [subnet(NEW_SUBNET, 'us-west-2a', '10.42.192.0/19')] }],
      }),
    );
    expect(other.notReadyCauses).toEqual([]);
  });
});

describe('several causes at once', () => {
  it('lists each cause and its fix, in order', () => {
    const finding = only(
      diagnose({
        identity: identity({
          attachedPolicyArns: [WORKER_ARN, ECR_READ_ARN],
          vpcCniAddon: { ...ACTIVE, status: 'DEGRADED', issues: [] },
        }),
        networks: [network(0)],
      }),
    );
    expect(finding.notReadyCauses).toEqual([
      'VPC_CNI_DEGRADED',
      'CNI_POLICY_MISSING',
      'SUBNET_ADDRESSES_EXHAUSTED',
    ]);
    expect(finding.message).toMatch(
      /Causes found: the vpc-cni add-on .* is DEGRADED; aws-node runs .*; subnet /,
    );
    const fix = finding.fix;
    expect(fix.indexOf('describe-addon')).toBeLessThan(fix.indexOf('attach-role-policy'));
    expect(fix.indexOf('attach-role-policy')).toBeLessThan(fix.indexOf('describe-subnets'));
    expect(fix.indexOf('describe-subnets')).toBeLessThan(fix.indexOf('kubectl describe node'));
  });

  it('every fix line is a comment or a command with the ids and region it needs', () => {
    const finding = only(
      diagnose({
        identity: identity({ ...NO_ADDON, attachedPolicyArns: [WORKER_ARN] }),
        networks: [network(0)],
      }),
    );
    for (const line of finding.fix.split('\n')) {
      expect(line).toMatch(/^(#\s+\S|aws \S.* --region us-west-2$|kubectl \S)/);
    }
  });
});
