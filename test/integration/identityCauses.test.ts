import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EC2Client } from '@aws-sdk/client-ec2';
import {
  CreateNodegroupCommand,
  type DescribeClusterCommandOutput,
  type DescribeNodegroupCommandOutput,
  EKSClient,
  ResourceNotFoundException,
} from '@aws-sdk/client-eks';
import {
  AttachRolePolicyCommand,
  CreateRoleCommand,
  IAMClient,
  PutRolePolicyCommand,
} from '@aws-sdk/client-iam';
import { KMSClient } from '@aws-sdk/client-kms';
import { SNSClient } from '@aws-sdk/client-sns';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AwsAccountReader } from '../../functions/aws/AwsAccountReader.js';
import { AwsIdentityReader } from '../../functions/aws/AwsIdentityReader.js';
import type { AwsClients } from '../../functions/aws/clients.js';
import {
  diagnoseNodegroupHealth,
  diagnoseNodeIdentity,
} from '../../functions/core/diagnose/diagnoseNodeIdentity.js';
import type { Cluster, Finding, Nodegroup, NodeIdentity } from '../../functions/core/model/types.js';
import { KubernetesNodeReader } from '../../functions/kubernetes/KubernetesNodeReader.js';
import {
  awsAuthMapRoles,
  type KubernetesStub,
  STUB_CREDENTIALS,
  startKubernetesStub,
} from '../support/kubernetesStub.js';
import { harnessClientConfig, type MotoServer, startMotoServer, TEST_REGION } from '../support/motoServer.js';
import { buildSeedAccount, type SeedAccount } from '../support/seedAccount.js';

/**
 * The node identity causes on moto 5.2.1 and the Kubernetes stub: each cause has a failing scenario
 * and a healthy twin that must produce no finding.
 *
 * Real here: IAM (roles, AWS managed policies, inline policies; moto loads the AWS managed policies
 * only with MOTO_IAM_LOAD_MANAGED_POLICIES=true), EKS CreateNodegroup/DescribeNodegroup/DescribeCluster,
 * and aws-auth served by the Kubernetes stub to an IAM-signed token.
 *
 * Not in moto 5.2.1, so stood in for on the tool's own EKS client (`eksGaps` below, real-shaped
 * answers in place of moto's 404): ListAccessEntries, DescribeAccessEntry, DescribeAddon,
 * ListPodIdentityAssociations, the cluster's accessConfig (moto drops it) and nodegroup health issues
 * (moto always reports none). Without the stand-in those reads reach moto, fail with a bare 404 and
 * are left unknown, which is tested too: unknown means no finding.
 */
let moto: MotoServer;
let stub: KubernetesStub;
let seed: SeedAccount;
let iam: IAMClient;
let harnessEks: EKSClient;
const gaps: EksGaps = {};

const ACCOUNT = '123456789012';
const MANAGED = (name: string) => `arn:aws:iam::aws:policy/${name}`;
const WORKER = MANAGED('AmazonEKSWorkerNodePolicy');
const ECR_READ = MANAGED('AmazonEC2ContainerRegistryReadOnly');
const ECR_PULL = MANAGED('AmazonEC2ContainerRegistryPullOnly');
const CNI = MANAGED('AmazonEKS_CNI_Policy');

beforeAll(async () => {
  const previous = process.env.MOTO_IAM_LOAD_MANAGED_POLICIES;
  process.env.MOTO_IAM_LOAD_MANAGED_POLICIES = 'true';
  try {
    [moto, stub] = await Promise.all([
      startMotoServer(),
      startKubernetesStub({ clusterName: 'eks-workshop' }),
    ]);
  } finally {
    if (previous === undefined) delete process.env.MOTO_IAM_LOAD_MANAGED_POLICIES;
    else process.env.MOTO_IAM_LOAD_MANAGED_POLICIES = previous;
  }
  seed = await buildSeedAccount(moto.endpoint);
  iam = new IAMClient(harnessClientConfig(moto.endpoint));
  harnessEks = new EKSClient(harnessClientConfig(moto.endpoint));
});

afterAll(async () => {
  iam?.destroy();
  harnessEks?.destroy();
  await Promise.all([moto?.stop(), stub?.close()]);
});

beforeEach(() => {
  for (const key of Object.keys(gaps) as (keyof EksGaps)[]) delete gaps[key];
  stub.setMode('ok');
  stub.setConfigMapAccess('ok');
  stub.setConfigMap('kube-system', 'aws-auth', undefined);
});

// --- the scenario builder: a nodegroup of the seed cluster with its own node role ------------------

let counter = 0;

interface RoleSpec {
  managed?: string[];
  inline?: string[];
  path?: string;
}

/** Creates an IAM role with the given policies and a nodegroup running as it; returns both. */
async function nodegroupWithRole(spec: RoleSpec): Promise<{ nodegroupName: string; roleArn: string }> {
  counter += 1;
  const roleName = `identity-node-role-${counter}`;
  const created = await iam.send(
    new CreateRoleCommand({
      RoleName: roleName,
      Path: spec.path ?? '/',
      AssumeRolePolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' },
        ],
      }),
    }),
  );
  const roleArn = created.Role?.Arn as string;
  for (const policyArn of spec.managed ?? []) {
    await iam.send(new AttachRolePolicyCommand({ RoleName: roleName, PolicyArn: policyArn }));
  }
  for (const name of spec.inline ?? []) {
    await iam.send(
      new PutRolePolicyCommand({
        RoleName: roleName,
        PolicyName: name,
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            { Effect: 'Allow', Action: ['ec2:DescribeInstances', 'ecr:BatchGetImage'], Resource: '*' },
          ],
        }),
      }),
    );
  }
  const nodegroupName = `identity_${counter}`;
  await harnessEks.send(
    new CreateNodegroupCommand({
      clusterName: seed.clusterName,
      nodegroupName,
      subnets: [seed.nodegroups.new.subnetId],
      nodeRole: roleArn,
      scalingConfig: { minSize: 0, maxSize: 2, desiredSize: 1 },
    }),
  );
  return { nodegroupName, roleArn };
}

// --- the tool's side: its readers on moto and the stub ---------------------------------------------

function toolClients(): AwsClients {
  const config = {
    endpoint: moto.endpoint,
    region: TEST_REGION,
    credentials: STUB_CREDENTIALS,
    maxAttempts: 2,
  };
  const eks = new EKSClient(config);
  addEksGaps(eks, gaps);
  return {
    eks,
    ec2: new EC2Client(config),
    autoScaling: new AutoScalingClient(config),
    sns: new SNSClient(config),
    dynamodb: new DynamoDBClient(config),
    iam: new IAMClient(config),
    cloudTrail: new CloudTrailClient(config),
    kms: new KMSClient(config),
  };
}

interface Checked {
  cluster: Cluster;
  nodegroup: Nodegroup;
  identity: NodeIdentity | undefined;
  findings: Finding[];
}

/** What the check sees for one nodegroup: read through the real adapters, diagnosed by the pure rules. */
async function checkIdentity(nodegroupName: string): Promise<Checked> {
  const clients = toolClients();
  const account = new AwsAccountReader(clients);
  const cluster = await account.describeCluster(seed.clusterName);
  const nodegroup = await account.describeNodegroup(seed.clusterName, nodegroupName);
  expect(nodegroup.nodeRoleArn).toMatch(/^arn:aws:iam::/);
  const identityReader = new AwsIdentityReader({
    clients,
    configMaps: new KubernetesNodeReader({
      credentials: async () => STUB_CREDENTIALS,
      apiUrlOverride: stub.url,
    }),
  });
  const identity = await identityReader.readNodeIdentity(cluster, nodegroup);
  const findings = [
    ...diagnoseNodeIdentity({ cluster, nodegroup, identity }),
    ...diagnoseNodegroupHealth({ region: cluster.region, nodegroup }),
  ];
  return { cluster, nodegroup, identity, findings };
}

const codes = (findings: Finding[]) => findings.map((f) => f.code);

// --- the stand-in for the EKS APIs moto lacks -------------------------------------------------------

interface EksGaps {
  authenticationMode?: 'API' | 'API_AND_CONFIG_MAP' | 'CONFIG_MAP';
  /** principal ARN -> access entry type */
  accessEntries?: Record<string, string>;
  /** null: the add-on is not installed (ResourceNotFoundException). */
  vpcCni?: { serviceAccountRoleArn?: string; podIdentityAssociations?: string[] } | null;
  healthIssues?: { code: string; message: string; resourceIds: string[] }[];
}

/**
 * Answers the EKS operations moto 5.2.1 does not implement as EKS would, from `state`, and adds to
 * moto's DescribeCluster/DescribeNodegroup the fields it drops. A field left unset passes the call
 * through to moto unchanged.
 */
function addEksGaps(client: EKSClient, state: EksGaps): void {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as Record<string, unknown>;
      const reply = (output: Record<string, unknown>) => ({
        output: { ...output, $metadata: { httpStatusCode: 200 } },
        response: {},
      });
      switch (context.commandName) {
        case 'ListAccessEntriesCommand':
          if (state.accessEntries) return reply({ accessEntries: Object.keys(state.accessEntries) }) as never;
          break;
        case 'DescribeAccessEntryCommand':
          if (state.accessEntries) {
            const principalArn = input.principalArn as string;
            return reply({
              accessEntry: {
                clusterName: input.clusterName,
                principalArn,
                type: state.accessEntries[principalArn],
                username: 'system:node:{{EC2PrivateDNSName}}',
                kubernetesGroups: [],
              },
            }) as never;
          }
          break;
        case 'DescribeAddonCommand':
          if (state.vpcCni === null) {
            throw new ResourceNotFoundException({
              message: `No addon: ${input.addonName} found in cluster: ${input.clusterName}`,
              $metadata: { httpStatusCode: 404 },
            });
          }
          if (state.vpcCni) {
            return reply({
              addon: {
                addonName: 'vpc-cni',
                clusterName: input.clusterName,
                status: 'ACTIVE',
                ...state.vpcCni,
              },
            }) as never;
          }
          break;
        case 'ListPodIdentityAssociationsCommand':
          if (state.vpcCni !== undefined) return reply({ associations: [] }) as never;
          break;
      }
      const result = await next(args);
      if (context.commandName === 'DescribeClusterCommand' && state.authenticationMode) {
        const cluster = (result.output as DescribeClusterCommandOutput).cluster;
        if (cluster) cluster.accessConfig = { authenticationMode: state.authenticationMode };
      }
      if (context.commandName === 'DescribeNodegroupCommand' && state.healthIssues) {
        const nodegroup = (result.output as DescribeNodegroupCommandOutput).nodegroup;
        if (nodegroup) nodegroup.health = { issues: state.healthIssues as never };
      }
      return result;
    },
    { step: 'initialize', name: 'motoEksGaps', priority: 'high' },
  );
}

// --- the matrix ------------------------------------------------------------------------------------

describe('what moto 5.2.1 offers, as the reader sees it', () => {
  it('reads the node role from DescribeNodegroup and its policies from IAM; the EKS gaps stay unknown', async () => {
    const { nodegroupName, roleArn } = await nodegroupWithRole({
      managed: [WORKER, ECR_READ, CNI],
      path: '/eks/nodes/',
    });
    expect(roleArn).toBe(`arn:aws:iam::${ACCOUNT}:role/eks/nodes/identity-node-role-${counter}`);
    const { identity, cluster, findings } = await checkIdentity(nodegroupName);
    expect(cluster.authenticationMode).toBeUndefined();
    expect(identity).toEqual({
      nodeRoleArn: roleArn,
      attachedPolicyArns: expect.arrayContaining([WORKER, ECR_READ, CNI]),
      inlinePolicyNames: [],
      // aws-auth is absent in the stub: a definite "maps nothing".
      awsAuthRoleArns: [],
    });
    expect(findings).toEqual([]);
  });
});

describe('NODE_ROLE_MISSING_POLICY', () => {
  it('failing: no AmazonEKSWorkerNodePolicy on the role (critical, attach command)', async () => {
    const { nodegroupName, roleArn } = await nodegroupWithRole({ managed: [ECR_READ, CNI] });
    const { findings } = await checkIdentity(nodegroupName);
    expect(codes(findings)).toEqual(['NODE_ROLE_MISSING_POLICY']);
    expect(findings[0]).toMatchObject({ severity: 'critical', resourceId: roleArn });
    expect(findings[0]?.fix).toContain(
      `aws iam attach-role-policy --role-name identity-node-role-${counter} --policy-arn ${WORKER} --region us-west-2`,
    );
  });

  it('healthy twin: worker and ECR pull-only policies, CNI on its own role (IRSA)', async () => {
    gaps.vpcCni = { serviceAccountRoleArn: `arn:aws:iam::${ACCOUNT}:role/vpc-cni-irsa` };
    const { nodegroupName } = await nodegroupWithRole({ managed: [WORKER, ECR_PULL] });
    const { identity, findings } = await checkIdentity(nodegroupName);
    expect(identity?.cniUsesNodeRole).toBe(false);
    expect(findings).toEqual([]);
  });

  it('failing: no ECR read policy', async () => {
    const { nodegroupName } = await nodegroupWithRole({ managed: [WORKER, CNI] });
    const { findings } = await checkIdentity(nodegroupName);
    expect(codes(findings)).toEqual(['NODE_ROLE_MISSING_POLICY']);
    expect(findings[0]?.message).toContain('ECR');
  });

  it('failing: the vpc-cni add-on runs with the node role, which lacks AmazonEKS_CNI_Policy', async () => {
    gaps.vpcCni = {};
    const { nodegroupName } = await nodegroupWithRole({ managed: [WORKER, ECR_READ] });
    const { identity, findings } = await checkIdentity(nodegroupName);
    expect(identity?.cniUsesNodeRole).toBe(true);
    expect(codes(findings)).toEqual(['NODE_ROLE_MISSING_POLICY']);
    expect(findings[0]?.fix).toContain(`--policy-arn ${CNI}`);
  });

  it('healthy twins: no vpc-cni add-on (self-managed aws-node), or moto without the add-on API: not judged', async () => {
    gaps.vpcCni = null;
    const { nodegroupName } = await nodegroupWithRole({ managed: [WORKER, ECR_READ] });
    expect((await checkIdentity(nodegroupName)).findings).toEqual([]);
    delete gaps.vpcCni;
    expect((await checkIdentity(nodegroupName)).findings).toEqual([]);
  });

  it('only a warning when an inline policy might grant the permissions', async () => {
    const { nodegroupName } = await nodegroupWithRole({ managed: [ECR_READ], inline: ['node-permissions'] });
    const { findings } = await checkIdentity(nodegroupName);
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ code: 'NODE_ROLE_MISSING_POLICY', severity: 'warning' });
    expect(findings[0]?.message).toContain('inline policy node-permissions');
  });
});

describe('NODE_ROLE_NOT_AUTHORIZED', () => {
  const fullPolicies = { managed: [WORKER, ECR_READ, CNI] };

  /** Whether the node role may join was not judged: this part of the identity is unread, nothing found. */
  async function expectNotJudged(unread: 'awsAuthRoleArns' | 'accessEntries', nodegroupName: string) {
    const { identity, findings } = await checkIdentity(nodegroupName);
    expect(identity?.[unread]).toBeUndefined();
    expect(findings).toEqual([]);
  }

  describe('CONFIG_MAP: aws-auth served by the Kubernetes stub', () => {
    beforeEach(() => {
      gaps.authenticationMode = 'CONFIG_MAP';
    });

    it('failing: aws-auth maps another role only', async () => {
      const { nodegroupName, roleArn } = await nodegroupWithRole(fullPolicies);
      stub.setConfigMap('kube-system', 'aws-auth', {
        mapRoles: awsAuthMapRoles([`arn:aws:iam::${ACCOUNT}:role/eks-workshop-node-role`]),
      });
      const { findings } = await checkIdentity(nodegroupName);
      expect(codes(findings)).toEqual(['NODE_ROLE_NOT_AUTHORIZED']);
      expect(findings[0]).toMatchObject({ severity: 'critical', resourceId: roleArn });
      expect(findings[0]?.fix).toContain(`#   - rolearn: ${roleArn}`);
      expect(findings[0]?.fix).toContain('eksctl create iamidentitymapping --cluster eks-workshop');
    });

    it('failing: no aws-auth ConfigMap at all', async () => {
      const { nodegroupName } = await nodegroupWithRole(fullPolicies);
      expect(codes((await checkIdentity(nodegroupName)).findings)).toEqual(['NODE_ROLE_NOT_AUTHORIZED']);
    });

    it('healthy twin: aws-auth maps the node role (as EKS writes it)', async () => {
      const { nodegroupName, roleArn } = await nodegroupWithRole(fullPolicies);
      stub.setConfigMap('kube-system', 'aws-auth', {
        mapRoles: awsAuthMapRoles([`arn:aws:iam::${ACCOUNT}:role/eks-workshop-node-role`, roleArn]),
        mapUsers: '[]\n',
      });
      const { identity, findings } = await checkIdentity(nodegroupName);
      expect(identity?.awsAuthRoleArns).toContain(roleArn);
      expect(findings).toEqual([]);
      expect(stub.requests.at(-1)).toMatchObject({
        path: '/api/v1/namespaces/kube-system/configmaps/aws-auth',
      });
      expect(stub.requests.at(-1)?.tokenRejected).toBeUndefined();
    });

    it('not judged when RBAC forbids reading aws-auth', async () => {
      const { nodegroupName } = await nodegroupWithRole(fullPolicies);
      stub.setConfigMapAccess('forbidden');
      await expectNotJudged('awsAuthRoleArns', nodegroupName);
    });
  });

  describe('API: access entries only', () => {
    beforeEach(() => {
      gaps.authenticationMode = 'API';
    });

    it('failing: no access entry for the node role (aws-auth mapping does not count)', async () => {
      const { nodegroupName, roleArn } = await nodegroupWithRole(fullPolicies);
      gaps.accessEntries = { [`arn:aws:iam::${ACCOUNT}:role/admin`]: 'STANDARD' };
      stub.setConfigMap('kube-system', 'aws-auth', { mapRoles: awsAuthMapRoles([roleArn]) });
      const { findings } = await checkIdentity(nodegroupName);
      expect(codes(findings)).toEqual(['NODE_ROLE_NOT_AUTHORIZED']);
      expect(findings[0]?.fix).toBe(
        [
          `aws eks create-access-entry --cluster-name eks-workshop --principal-arn ${roleArn} --type EC2_LINUX --region us-west-2`,
          '# (use --type EC2_WINDOWS for a Windows nodegroup)',
        ].join('\n'),
      );
    });

    it('failing: an access entry of type STANDARD for the node role', async () => {
      const { nodegroupName, roleArn } = await nodegroupWithRole(fullPolicies);
      gaps.accessEntries = { [roleArn]: 'STANDARD' };
      const { findings } = await checkIdentity(nodegroupName);
      expect(codes(findings)).toEqual(['NODE_ROLE_NOT_AUTHORIZED']);
      expect(findings[0]?.fix).toContain('aws eks delete-access-entry');
    });

    it('healthy twin: an EC2_LINUX access entry, made without the role path', async () => {
      const { nodegroupName, roleArn } = await nodegroupWithRole({ ...fullPolicies, path: '/eks/' });
      gaps.accessEntries = { [roleArn.replace('/eks/', '/')]: 'EC2_LINUX' };
      expect((await checkIdentity(nodegroupName)).findings).toEqual([]);
    });

    it('not judged on moto as it is (ListAccessEntries not implemented: a bare 404)', async () => {
      await expectNotJudged('accessEntries', (await nodegroupWithRole(fullPolicies)).nodegroupName);
    });
  });

  describe('API_AND_CONFIG_MAP: either admits the role', () => {
    beforeEach(() => {
      gaps.authenticationMode = 'API_AND_CONFIG_MAP';
      gaps.accessEntries = {};
    });

    it('failing: neither an access entry nor an aws-auth mapping', async () => {
      const { nodegroupName } = await nodegroupWithRole(fullPolicies);
      stub.setConfigMap('kube-system', 'aws-auth', { mapRoles: awsAuthMapRoles([]) });
      const { findings } = await checkIdentity(nodegroupName);
      expect(codes(findings)).toEqual(['NODE_ROLE_NOT_AUTHORIZED']);
      expect(findings[0]?.fix).toContain('--type EC2_LINUX');
      expect(findings[0]?.fix).toContain('system:bootstrappers');
    });

    it('healthy twin: no access entry, but aws-auth maps the role', async () => {
      const { nodegroupName, roleArn } = await nodegroupWithRole(fullPolicies);
      stub.setConfigMap('kube-system', 'aws-auth', { mapRoles: awsAuthMapRoles([roleArn]) });
      expect((await checkIdentity(nodegroupName)).findings).toEqual([]);
    });

    it('healthy twin: an EC2_LINUX access entry and no aws-auth', async () => {
      const { nodegroupName, roleArn } = await nodegroupWithRole(fullPolicies);
      gaps.accessEntries = { [roleArn]: 'EC2_LINUX' };
      expect((await checkIdentity(nodegroupName)).findings).toEqual([]);
    });
  });
});

describe('NODEGROUP_HEALTH_ISSUE', () => {
  it('healthy twin: moto reports no health issues, nothing is surfaced', async () => {
    const { nodegroupName } = await nodegroupWithRole({ managed: [WORKER, ECR_READ, CNI] });
    const { nodegroup, findings } = await checkIdentity(nodegroupName);
    expect(nodegroup.healthIssues).toEqual([]);
    expect(findings).toEqual([]);
  });

  it('failing: NodeCreationFailure and AsgInstanceLaunchFailures on DescribeNodegroup become findings', async () => {
    const { nodegroupName } = await nodegroupWithRole({ managed: [WORKER, ECR_READ, CNI] });
    gaps.healthIssues = [
      {
        code: 'NodeCreationFailure',
        message: 'Instances failed to join the kubernetes cluster',
        resourceIds: [seed.nodegroups.new.instanceIds[0] as string],
      },
      {
        code: 'AsgInstanceLaunchFailures',
        message: 'Could not launch On-Demand Instances. InsufficientInstanceCapacity',
        resourceIds: [seed.nodegroups.new.autoScalingGroupName],
      },
    ];
    const { nodegroup, findings } = await checkIdentity(nodegroupName);
    expect(codes(findings)).toEqual(['NODEGROUP_HEALTH_ISSUE', 'NODEGROUP_HEALTH_ISSUE']);
    expect(findings.map((f) => f.severity)).toEqual(['critical', 'critical']);
    expect(findings[0]).toMatchObject({
      resourceId: nodegroup.arn,
      instanceIds: seed.nodegroups.new.instanceIds.slice(0, 1),
    });
    expect(findings[0]?.message).toContain('NodeCreationFailure');
    expect(findings[0]?.fix).toContain('AWSSupport-TroubleshootEKSWorkerNode');
    expect(findings[1]?.fix).toContain('aws autoscaling describe-scaling-activities');
  });
});
