import { describe, expect, it } from 'vitest';
import {
  diagnoseNodegroupHealth,
  diagnoseNodeIdentity,
  parseRoleArn,
  roleNameFromArn,
  sameRole,
} from '../../../functions/core/diagnose/diagnoseNodeIdentity.js';
import type { Cluster, Finding, NodeIdentity } from '../../../functions/core/model/types.js';
import { cluster, nodegroup } from '../../support/factories.js';

const ROLE = 'arn:aws:iam::123456789012:role/eks-workshop-node-role';
const policy = (name: string, partition = 'aws') => `arn:${partition}:iam::aws:policy/${name}`;
const WORKER = policy('AmazonEKSWorkerNodePolicy');
const ECR_READ = policy('AmazonEC2ContainerRegistryReadOnly');
const ECR_PULL = policy('AmazonEC2ContainerRegistryPullOnly');
const CNI = policy('AmazonEKS_CNI_Policy');

function identity(overrides: Partial<NodeIdentity> = {}): NodeIdentity {
  return {
    nodeRoleArn: ROLE,
    attachedPolicyArns: [WORKER, ECR_READ, CNI],
    inlinePolicyNames: [],
    accessEntries: [{ principalArn: ROLE, type: 'EC2_LINUX' }],
    awsAuthRoleArns: [ROLE],
    cniUsesNodeRole: true,
    ...overrides,
  };
}

function diagnose(id: NodeIdentity | undefined, clusterOverrides: Partial<Cluster> = {}) {
  return diagnoseNodeIdentity({
    cluster: cluster({ authenticationMode: 'API_AND_CONFIG_MAP', ...clusterOverrides }),
    nodegroup: nodegroup({ nodeRoleArn: ROLE }),
    identity: id,
  });
}

const codes = (findings: { code: string }[]) => findings.map((f) => f.code);

/** The only finding, which must be a critical `code` about the node role. */
function onlyRoleFinding(findings: Finding[], code: string): Finding | undefined {
  const [finding, ...rest] = findings;
  expect(rest).toEqual([]);
  expect(finding).toMatchObject({ code, severity: 'critical', resourceId: ROLE });
  return finding;
}

describe('role ARNs', () => {
  it('parses a role with a path and an assumed-role session to the same role', () => {
    expect(parseRoleArn('arn:aws:iam::123456789012:role/team/nodes/eks-node')).toEqual({
      partition: 'aws',
      accountId: '123456789012',
      name: 'eks-node',
      path: '/team/nodes/',
    });
    expect(
      sameRole(
        'arn:aws:iam::123456789012:role/team/eks-node',
        'arn:aws:sts::123456789012:assumed-role/eks-node/i-0abc',
      ),
    ).toBe(true);
    expect(roleNameFromArn('arn:aws-cn:iam::123456789012:role/x/y/NodeRole')).toBe('NodeRole');
  });

  it('matches role names regardless of case but not across accounts, partitions or instance profiles', () => {
    expect(sameRole(ROLE, 'arn:aws:iam::123456789012:role/EKS-Workshop-Node-Role')).toBe(true);
    expect(sameRole(ROLE, 'arn:aws:iam::210987654321:role/eks-workshop-node-role')).toBe(false);
    expect(sameRole(ROLE, 'arn:aws-us-gov:iam::123456789012:role/eks-workshop-node-role')).toBe(false);
    expect(sameRole(ROLE, 'arn:aws:iam::123456789012:instance-profile/eks-workshop-node-role')).toBe(false);
    expect(parseRoleArn('arn:aws:iam::123456789012:user/alice')).toBeUndefined();
  });
});

describe('NODE_ROLE_MISSING_POLICY', () => {
  it('healthy twin: worker, ECR and CNI policies attached: no finding', () => {
    expect(diagnose(identity())).toEqual([]);
  });

  it('flags a role without AmazonEKSWorkerNodePolicy as critical, with the exact attach command', () => {
    const finding = onlyRoleFinding(
      diagnose(identity({ attachedPolicyArns: [ECR_READ, CNI] })),
      'NODE_ROLE_MISSING_POLICY',
    );
    expect(finding?.message).toContain('AmazonEKSWorkerNodePolicy');
    expect(finding?.message).toContain('eks-workshop-node-role');
    expect(finding?.fix).toContain(
      `aws iam attach-role-policy --role-name eks-workshop-node-role --policy-arn ${WORKER} --region us-west-2`,
    );
  });

  it('flags a role with neither ECR read policy; either one is enough', () => {
    const [finding] = diagnose(identity({ attachedPolicyArns: [WORKER, CNI] }));
    expect(finding?.code).toBe('NODE_ROLE_MISSING_POLICY');
    expect(finding?.fix).toContain(`--policy-arn ${ECR_PULL}`);
    expect(diagnose(identity({ attachedPolicyArns: [WORKER, ECR_PULL, CNI] }))).toEqual([]);
  });

  it('flags a missing CNI policy only when the CNI uses the node role', () => {
    const [finding] = diagnose(identity({ attachedPolicyArns: [WORKER, ECR_READ], cniUsesNodeRole: true }));
    expect(finding?.code).toBe('NODE_ROLE_MISSING_POLICY');
    expect(finding?.message).toContain('AmazonEKS_CNI_Policy');
    expect(finding?.fix).toContain(`--policy-arn ${CNI}`);
    expect(diagnose(identity({ attachedPolicyArns: [WORKER, ECR_READ], cniUsesNodeRole: false }))).toEqual(
      [],
    );
    expect(
      diagnose(identity({ attachedPolicyArns: [WORKER, ECR_READ], cniUsesNodeRole: undefined })),
    ).toEqual([]);
  });

  it('lists every missing policy in one finding, one attach command each', () => {
    const [finding, ...rest] = diagnose(identity({ attachedPolicyArns: [] }));
    expect(rest).toEqual([]);
    expect(finding?.fix.match(/attach-role-policy/g)).toHaveLength(3);
    expect(finding?.message).toContain('Attached: none.');
  });

  it('compares policy names across partitions and uses the role partition in the fix', () => {
    const cn = 'arn:aws-cn:iam::123456789012:role/nodes';
    const healthy = identity({
      nodeRoleArn: cn,
      attachedPolicyArns: [
        'AmazonEKSWorkerNodePolicy',
        'AmazonEC2ContainerRegistryReadOnly',
        'AmazonEKS_CNI_Policy',
      ].map((n) => policy(n, 'aws-cn')),
      accessEntries: [{ principalArn: cn, type: 'EC2_LINUX' }],
    });
    expect(diagnose(healthy, { region: 'cn-north-1' })).toEqual([]);
    const [finding] = diagnose(
      { ...healthy, attachedPolicyArns: [policy('AmazonEKS_CNI_Policy', 'aws-cn')] },
      { region: 'cn-north-1' },
    );
    expect(finding?.fix).toContain(
      '--policy-arn arn:aws-cn:iam::aws:policy/AmazonEKSWorkerNodePolicy --region cn-north-1',
    );
    expect(finding?.fix).toContain('arn:aws-cn:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly');
  });

  it('does not count a customer managed policy of the same name as the AWS managed one', () => {
    const [finding] = diagnose(
      identity({
        attachedPolicyArns: ['arn:aws:iam::123456789012:policy/AmazonEKSWorkerNodePolicy', ECR_READ, CNI],
      }),
    );
    expect(finding?.code).toBe('NODE_ROLE_MISSING_POLICY');
    // ... but it might grant the same: a warning, not a critical alarm.
    expect(finding?.severity).toBe('warning');
  });

  it('is only a warning when inline policies might grant the permissions, and names them', () => {
    const [finding] = diagnose(
      identity({ attachedPolicyArns: [ECR_READ, CNI], inlinePolicyNames: ['node-extras'] }),
    );
    expect(finding).toMatchObject({ code: 'NODE_ROLE_MISSING_POLICY', severity: 'warning' });
    expect(finding?.message).toContain('inline policy node-extras');
    expect(finding?.message).toContain('might grant');
  });

  it('accepts AdministratorAccess as granting everything', () => {
    expect(diagnose(identity({ attachedPolicyArns: [policy('AdministratorAccess')] }))).toEqual([]);
  });

  it('judges nothing when the attached policies could not be read', () => {
    expect(diagnose(identity({ attachedPolicyArns: undefined, inlinePolicyNames: undefined }))).toEqual([]);
    expect(diagnose(undefined)).toEqual([]);
  });
});

describe('NODE_ROLE_NOT_AUTHORIZED', () => {
  describe('authentication mode API', () => {
    it('healthy twin: an EC2_LINUX access entry (or EC2_WINDOWS) admits the role', () => {
      expect(diagnose(identity({ awsAuthRoleArns: [] }), { authenticationMode: 'API' })).toEqual([]);
      expect(
        diagnose(identity({ accessEntries: [{ principalArn: ROLE, type: 'EC2_WINDOWS' }] }), {
          authenticationMode: 'API',
        }),
      ).toEqual([]);
    });

    it('flags a role without an access entry even when aws-auth maps it (the ConfigMap does not count)', () => {
      const finding = onlyRoleFinding(
        diagnose(
          identity({
            accessEntries: [{ principalArn: 'arn:aws:iam::123456789012:role/admin', type: 'STANDARD' }],
          }),
          { authenticationMode: 'API' },
        ),
        'NODE_ROLE_NOT_AUTHORIZED',
      );
      expect(finding?.message).toContain('authentication mode API');
      expect(finding?.fix).toBe(
        [
          `aws eks create-access-entry --cluster-name eks-workshop --principal-arn ${ROLE} --type EC2_LINUX --region us-west-2`,
          '# (use --type EC2_WINDOWS for a Windows nodegroup)',
        ].join('\n'),
      );
    });

    it('flags an access entry of the wrong type and says to replace it', () => {
      const [finding] = diagnose(identity({ accessEntries: [{ principalArn: ROLE, type: 'STANDARD' }] }), {
        authenticationMode: 'API',
      });
      expect(finding?.code).toBe('NODE_ROLE_NOT_AUTHORIZED');
      expect(finding?.message).toContain('type STANDARD');
      expect(finding?.fix).toContain('aws eks delete-access-entry --cluster-name eks-workshop');
      expect(finding?.fix).toContain('--type EC2_LINUX');
    });

    it('matches the entry through a role path and an assumed-role ARN', () => {
      const withPath = 'arn:aws:iam::123456789012:role/platform/eks-workshop-node-role';
      expect(
        diagnoseNodeIdentity({
          cluster: cluster({ authenticationMode: 'API' }),
          nodegroup: nodegroup({ nodeRoleArn: withPath }),
          identity: identity({
            nodeRoleArn: withPath,
            accessEntries: [{ principalArn: ROLE, type: 'EC2_LINUX' }],
          }),
        }),
      ).toEqual([]);
      expect(
        diagnose(
          identity({
            accessEntries: [
              {
                principalArn: 'arn:aws:sts::123456789012:assumed-role/eks-workshop-node-role/i-0abc',
                type: 'EC2_LINUX',
              },
            ],
          }),
          { authenticationMode: 'API' },
        ),
      ).toEqual([]);
    });

    it('judges nothing when access entries or the entry type could not be read', () => {
      expect(diagnose(identity({ accessEntries: undefined }), { authenticationMode: 'API' })).toEqual([]);
      expect(
        diagnose(identity({ accessEntries: [{ principalArn: ROLE }] }), { authenticationMode: 'API' }),
      ).toEqual([]);
    });
  });

  describe('authentication mode API_AND_CONFIG_MAP', () => {
    it('healthy twins: an access entry, or no entry but an aws-auth mapping', () => {
      expect(diagnose(identity({ awsAuthRoleArns: [] }))).toEqual([]);
      expect(diagnose(identity({ accessEntries: [] }))).toEqual([]);
    });

    it('flags a role with neither an access entry nor an aws-auth mapping; offers both fixes', () => {
      const [finding] = diagnose(identity({ accessEntries: [], awsAuthRoleArns: [] }));
      expect(finding?.code).toBe('NODE_ROLE_NOT_AUTHORIZED');
      expect(finding?.message).toContain('neither an access entry');
      expect(finding?.fix).toContain('--type EC2_LINUX');
      expect(finding?.fix).toContain('system:node:{{EC2PrivateDNSName}}');
      expect(finding?.fix).toContain('system:bootstrappers');
    });

    it('flags a wrong-type entry even though aws-auth maps the role: EKS ignores the mapping then', () => {
      const [finding] = diagnose(identity({ accessEntries: [{ principalArn: ROLE, type: 'STANDARD' }] }));
      expect(finding?.code).toBe('NODE_ROLE_NOT_AUTHORIZED');
    });

    it('judges nothing when either side could not be read', () => {
      expect(diagnose(identity({ accessEntries: [], awsAuthRoleArns: undefined }))).toEqual([]);
      expect(diagnose(identity({ accessEntries: undefined, awsAuthRoleArns: [] }))).toEqual([]);
    });

    it('names an instance profile ARN mapped in place of the role', () => {
      const [finding] = diagnose(
        identity({
          accessEntries: [],
          awsAuthRoleArns: ['arn:aws:iam::123456789012:instance-profile/eks-workshop-node-role'],
        }),
      );
      expect(finding?.message).toContain('not the instance profile ARN');
    });
  });

  describe('authentication mode CONFIG_MAP', () => {
    it('healthy twin: aws-auth maps the role (a path in either ARN is ignored)', () => {
      expect(diagnose(identity({ accessEntries: undefined }), { authenticationMode: 'CONFIG_MAP' })).toEqual(
        [],
      );
      expect(
        diagnose(
          identity({
            accessEntries: undefined,
            awsAuthRoleArns: ['arn:aws:iam::123456789012:role/nodes/eks-workshop-node-role'],
          }),
          { authenticationMode: 'CONFIG_MAP' },
        ),
      ).toEqual([]);
    });

    it('flags a role aws-auth does not map, even when an access entry exists (entries do not count)', () => {
      const [finding] = diagnose(identity({ awsAuthRoleArns: ['arn:aws:iam::123456789012:role/other'] }), {
        authenticationMode: 'CONFIG_MAP',
      });
      expect(finding?.code).toBe('NODE_ROLE_NOT_AUTHORIZED');
      expect(finding?.message).toContain('CONFIG_MAP');
      expect(finding?.fix).toContain('#   - rolearn: arn:aws:iam::123456789012:role/eks-workshop-node-role');
      expect(finding?.fix).toContain(
        'eksctl create iamidentitymapping --cluster eks-workshop --region us-west-2',
      );
      expect(finding?.fix).not.toContain('aws eks create-access-entry');
    });

    it('puts the role ARN without its path in the aws-auth snippet', () => {
      const withPath = 'arn:aws:iam::123456789012:role/platform/eks-node';
      const [finding] = diagnoseNodeIdentity({
        cluster: cluster({ authenticationMode: 'CONFIG_MAP' }),
        nodegroup: nodegroup({ nodeRoleArn: withPath }),
        identity: identity({ nodeRoleArn: withPath, awsAuthRoleArns: [] }),
      });
      expect(finding?.fix).toContain('rolearn: arn:aws:iam::123456789012:role/eks-node');
    });

    it('judges nothing when aws-auth could not be read', () => {
      expect(
        diagnose(identity({ awsAuthRoleArns: undefined }), { authenticationMode: 'CONFIG_MAP' }),
      ).toEqual([]);
    });
  });

  it('judges nothing when the authentication mode is unknown', () => {
    expect(
      diagnose(identity({ accessEntries: [], awsAuthRoleArns: [] }), { authenticationMode: undefined }),
    ).toEqual([]);
  });

  it('reports both causes at once when both hold', () => {
    expect(
      codes(diagnose(identity({ attachedPolicyArns: [], accessEntries: [], awsAuthRoleArns: [] }))),
    ).toEqual(['NODE_ROLE_MISSING_POLICY', 'NODE_ROLE_NOT_AUTHORIZED']);
  });
});

describe('NODEGROUP_HEALTH_ISSUE', () => {
  const ng = (healthIssues: { code: string; message: string; resourceIds: string[] }[]) =>
    nodegroup({ healthIssues });

  it('healthy twin: no health issues, no finding', () => {
    expect(diagnoseNodegroupHealth({ region: 'us-west-2', nodegroup: ng([]) })).toEqual([]);
  });

  it('surfaces NodeCreationFailure as critical, with the instances and the SSM runbook', () => {
    const group = ng([
      {
        code: 'NodeCreationFailure',
        message: 'Instances failed to join the kubernetes cluster',
        resourceIds: ['i-0a1b2c3d4e5f60718'],
      },
    ]);
    const [finding] = diagnoseNodegroupHealth({ region: 'us-west-2', nodegroup: group });
    expect(finding).toMatchObject({
      code: 'NODEGROUP_HEALTH_ISSUE',
      severity: 'critical',
      resourceId: group.arn,
      instanceIds: ['i-0a1b2c3d4e5f60718'],
    });
    expect(finding?.message).toBe(
      'EKS reports health issue NodeCreationFailure on nodegroup new_nodegroup_2: Instances failed to join the kubernetes cluster. Resources: i-0a1b2c3d4e5f60718.',
    );
    expect(finding?.fix).toContain(
      'aws ssm start-automation-execution --document-name AWSSupport-TroubleshootEKSWorkerNode --parameters ClusterName=eks-workshop,WorkerID=i-0a1b2c3d4e5f60718 --region us-west-2',
    );
    expect(finding?.fix).toContain('#troubleshoot-managed-node-groups');
  });

  it('one finding per issue, critical for launch blockers and warning otherwise', () => {
    const findings = diagnoseNodegroupHealth({
      region: 'us-west-2',
      nodegroup: ng([
        {
          code: 'AsgInstanceLaunchFailures',
          message: 'Could not launch On-Demand Instances.',
          resourceIds: [],
        },
        { code: 'InstanceLimitExceeded', message: 'You have reached your instance limit.', resourceIds: [] },
        {
          code: 'Ec2SubnetInvalidConfiguration',
          message: 'One or more Amazon EC2 Subnets does not automatically assign public IP addresses.',
          resourceIds: ['subnet-0aa0000000000aa01'],
        },
        {
          code: 'PodEvictionFailure',
          message: 'Reached max retries while trying to evict pods.',
          resourceIds: [],
        },
      ]),
    });
    expect(findings.map((f) => f.severity)).toEqual(['critical', 'critical', 'critical', 'warning']);
    expect(findings[0]?.fix).toContain(
      'aws autoscaling describe-scaling-activities --auto-scaling-group-name eks-new_nodegroup_2-a6c9a1b2-3c4d-5e6f-7a8b-9c0d1e2f3a4b',
    );
    expect(findings[1]?.fix).toContain('--quota-code L-1216C47A');
    expect(findings[2]).toMatchObject({ subnetId: 'subnet-0aa0000000000aa01' });
    expect(findings[2]?.fix).toContain(
      'aws ec2 modify-subnet-attribute --subnet-id subnet-0aa0000000000aa01 --map-public-ip-on-launch --region us-west-2',
    );
    expect(findings[3]?.fix).toContain(
      'aws eks describe-nodegroup --cluster-name eks-workshop --nodegroup-name new_nodegroup_2',
    );
  });

  it('keeps the resource id stable (the nodegroup) when the instances change', () => {
    const one = diagnoseNodegroupHealth({
      region: 'us-west-2',
      nodegroup: ng([{ code: 'NodeCreationFailure', message: 'x', resourceIds: ['i-01'] }]),
    });
    const two = diagnoseNodegroupHealth({
      region: 'us-west-2',
      nodegroup: ng([{ code: 'NodeCreationFailure', message: 'x', resourceIds: ['i-02'] }]),
    });
    expect(one[0]?.resourceId).toBe(two[0]?.resourceId);
  });
});
