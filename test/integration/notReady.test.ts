import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import {
  CreateNetworkInterfaceCommand,
  CreateSubnetCommand,
  DescribeSubnetsCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import { EKSClient, ResourceNotFoundException } from '@aws-sdk/client-eks';
import {
  AttachRolePolicyCommand,
  CreateRoleCommand,
  DetachRolePolicyCommand,
  IAMClient,
} from '@aws-sdk/client-iam';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AwsAccountReader } from '../../functions/aws/AwsAccountReader.js';
import { AwsIdentityReader } from '../../functions/aws/AwsIdentityReader.js';
import { AwsRemediationWriter } from '../../functions/aws/AwsRemediationWriter.js';
import { createAwsClients } from '../../functions/aws/clients.js';
import { runCheck } from '../../functions/core/check/runCheck.js';
import { silentLog } from '../../functions/core/model/ports.js';
import { DEFAULT_REMEDIATION } from '../../functions/core/model/settings.js';
import type { Finding, NodegroupReport, Policy } from '../../functions/core/model/types.js';
import { KubernetesNodeReader } from '../../functions/kubernetes/KubernetesNodeReader.js';
import { MemoryStateStore } from '../../functions/state/MemoryStateStore.js';
import { recordedActions, startRecording } from '../support/awsWrites.js';
import {
  type KubernetesStub,
  NOT_READY_CNI_MESSAGE,
  STUB_CREDENTIALS,
  startKubernetesStub,
} from '../support/kubernetesStub.js';
import { harnessClientConfig, type MotoServer, startMotoServer, TEST_REGION } from '../support/motoServer.js';
import { runAwsCli } from '../support/remediationHarness.js';
import { buildSeedAccount, createManagedNodegroup, type SeedAccount } from '../support/seedAccount.js';
import { notReadyNode, stubNode } from '../support/stubNodes.js';

/**
 * Registered but never Ready, on moto 5.2.1 and the Kubernetes stub, through runCheck with the real
 * adapters: the seed's healthy `default` nodegroup, whose node registers but stays NotReady with the
 * kubelet's "cni plugin not initialized". Each cause has a failing scenario and a healthy twin.
 *
 * Real here: EKS DescribeCluster/DescribeNodegroup, Auto Scaling and EC2 (instances, subnets and
 * their AvailableIpAddressCount, which moto lowers for every network interface address), IAM (the
 * node role and the AWS managed policies: MOTO_IAM_LOAD_MANAGED_POLICIES=true), the node list served
 * to an IAM-signed token.
 *
 * Not in moto 5.2.1, so answered on the tool's own EKS client (`addonGaps` below): DescribeAddon and
 * ListPodIdentityAssociations, as EKS answers them.
 */
let moto: MotoServer;
let stub: KubernetesStub;
let seed: SeedAccount;
let iam: IAMClient;

const NODE_ROLE = 'eks-workshop-node-role';
const MANAGED = (name: string) => `arn:aws:iam::aws:policy/${name}`;
const CNI = MANAGED('AmazonEKS_CNI_Policy');

/** The vpc-cni add-on EKS reports: null, not installed; unset, the call passes to moto (a bare 404). */
interface AddonGaps {
  vpcCni?: {
    status: string;
    issues?: { code: string; message: string }[];
    serviceAccountRoleArn?: string;
  } | null;
}
const gaps: AddonGaps = {};
const ACTIVE = { status: 'ACTIVE' };

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
  // The role the seed's nodegroups run as, with the policies a node needs but the CNI's.
  await iam.send(
    new CreateRoleCommand({
      RoleName: NODE_ROLE,
      AssumeRolePolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' },
        ],
      }),
    }),
  );
  for (const name of ['AmazonEKSWorkerNodePolicy', 'AmazonEC2ContainerRegistryReadOnly']) {
    await iam.send(new AttachRolePolicyCommand({ RoleName: NODE_ROLE, PolicyArn: MANAGED(name) }));
  }
});

afterAll(async () => {
  iam?.destroy();
  await Promise.all([moto?.stop(), stub?.close()]);
});

beforeEach(async () => {
  delete gaps.vpcCni;
  await cniPolicy(true);
  stub.setNodes([
    notReadyNode(defaultInstance(), 'default', {}, { availabilityZone: seed.availabilityZone }),
  ]);
});

const defaultInstance = () => seed.nodegroups.default.instanceIds[0] as string;

async function cniPolicy(attached: boolean): Promise<void> {
  const command = attached
    ? new AttachRolePolicyCommand({ RoleName: NODE_ROLE, PolicyArn: CNI })
    : new DetachRolePolicyCommand({ RoleName: NODE_ROLE, PolicyArn: CNI });
  await iam.send(command).catch((error: { name?: string }) => {
    // Detaching what is not attached: already as wanted.
    if (error.name !== 'NoSuchEntityException' && error.name !== 'NoSuchEntity') throw error;
  });
}

/** One check of a seed nodegroup through runCheck, the real adapters, moto and the stub; join window 0. */
async function check(nodegroupName = 'default', policy: Policy = 'notify'): Promise<NodegroupReport> {
  const clients = createAwsClients({
    endpoint: moto.endpoint,
    region: TEST_REGION,
    credentials: STUB_CREDENTIALS,
    maxAttempts: 2,
  });
  addonGaps(clients.eks, gaps);
  const kubernetes = new KubernetesNodeReader({
    credentials: async () => STUB_CREDENTIALS,
    apiUrlOverride: stub.url,
  });
  const { report, errors } = await runCheck(
    {
      clusterName: seed.clusterName,
      nodegroupNames: [nodegroupName],
      policyOverride: policy,
      defaultPolicy: 'notify',
      joinWindowSeconds: 0,
      remediation: { ...DEFAULT_REMEDIATION, allowMainRouteTable: true, allowSharedRouteTable: true },
    },
    {
      account: new AwsAccountReader(clients),
      membership: kubernetes.session(),
      identity: new AwsIdentityReader({ clients, configMaps: kubernetes }),
      writer: new AwsRemediationWriter(clients),
      state: new MemoryStateStore(),
      clock: { now: () => new Date() },
      log: silentLog,
    },
  );
  expect(errors).toEqual([]);
  return report.nodegroups[0] as NodegroupReport;
}

function notReadyFinding(nodegroup: NodegroupReport): Finding {
  const found = nodegroup.findings.filter((f) => f.code === 'NODES_NOT_READY');
  expect(found).toHaveLength(1);
  return found[0] as Finding;
}

/**
 * Answers DescribeAddon (vpc-cni) and ListPodIdentityAssociations as EKS would, from `state`; unset,
 * the call goes to moto, which does not have it.
 */
function addonGaps(client: EKSClient, state: AddonGaps): void {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as Record<string, unknown>;
      const reply = (output: Record<string, unknown>) =>
        ({ output: { ...output, $metadata: { httpStatusCode: 200 } }, response: {} }) as never;
      if (context.commandName === 'DescribeAddonCommand' && state.vpcCni === null) {
        throw new ResourceNotFoundException({
          message: `No addon: ${input.addonName} found in cluster: ${input.clusterName}`,
          $metadata: { httpStatusCode: 404 },
        });
      }
      if (context.commandName === 'DescribeAddonCommand' && state.vpcCni) {
        const { issues = [], ...addon } = state.vpcCni;
        return reply({
          addon: {
            addonName: 'vpc-cni',
            clusterName: input.clusterName,
            addonVersion: 'v1.19.2-eksbuild.1',
            health: { issues: issues.map((i) => ({ ...i, resourceIds: [] })) },
            ...addon,
          },
        });
      }
      if (context.commandName === 'ListPodIdentityAssociationsCommand' && state.vpcCni !== undefined) {
        return reply({ associations: [] });
      }
      return next(args);
    },
    { step: 'initialize', name: 'motoAddonGaps', priority: 'high' },
  );
}

// --- the symptom --------------------------------------------------------------------------------

describe('NODES_NOT_READY', () => {
  it('healthy twin: the node registered and is Ready: no finding', async () => {
    stub.setNodes([stubNode(defaultInstance(), 'default', { availabilityZone: seed.availabilityZone })]);
    gaps.vpcCni = null;
    const nodegroup = await check();
    expect(nodegroup.instances[0]).toMatchObject({ joined: true, ready: true });
    expect(nodegroup.findings).toEqual([]);
  });

  it('failing: registered but NotReady, the add-on ACTIVE and the policy attached: the condition, no cause', async () => {
    gaps.vpcCni = ACTIVE;
    const nodegroup = await check();
    expect(nodegroup.instances[0]).toMatchObject({
      instanceId: defaultInstance(),
      joined: true,
      ready: false,
      readyReason: 'KubeletNotReady',
      readyMessage: NOT_READY_CNI_MESSAGE,
    });
    expect(nodegroup.findings.map((f) => f.code)).toEqual(['NODES_NOT_READY']);
    const finding = notReadyFinding(nodegroup);
    expect(finding).toMatchObject({
      severity: 'critical',
      resourceId: seed.nodegroups.default.arn,
      instanceIds: [defaultInstance()],
      notReadyNodes: [
        {
          nodeName: expect.stringMatching(/^ip-10-42-.*\.us-west-2\.compute\.internal$/),
          instanceId: defaultInstance(),
          reason: 'KubeletNotReady',
          message: NOT_READY_CNI_MESSAGE,
        },
      ],
      notReadyCauses: [],
    });
    expect(finding.message).toContain(`KubeletNotReady: ${NOT_READY_CNI_MESSAGE}`);
    expect(finding.message).toContain('No common cause found in the account');
    expect(finding.fix).toContain('kubectl -n kube-system logs -l k8s-app=aws-node --tail=50');
  });

  it('never writes for it, not even under remediate', async () => {
    gaps.vpcCni = null;
    await startRecording(moto.endpoint);
    const nodegroup = await check('default', 'remediate');
    expect(notReadyFinding(nodegroup).notReadyCauses).toEqual(['VPC_CNI_MISSING']);
    expect(nodegroup.actions.filter((a) => a.type !== 'notify')).toEqual([]);
    expect(
      (await recordedActions(moto.endpoint)).filter((a) => !/^[a-z0-9-]+:(Describe|List|Get|Lookup)/.test(a)),
    ).toEqual([]);
  });
});

// --- the causes -------------------------------------------------------------------------------------

describe('VPC_CNI_MISSING', () => {
  it('failing: EKS says the cluster has no vpc-cni add-on', async () => {
    gaps.vpcCni = null;
    const finding = notReadyFinding(await check());
    expect(finding.notReadyCauses).toEqual(['VPC_CNI_MISSING']);
    expect(finding.message).toContain('the vpc-cni add-on is not installed on cluster eks-workshop');
    expect(finding.fix).toContain(
      'aws eks create-addon --cluster-name eks-workshop --addon-name vpc-cni --region us-west-2',
    );
  });

  it('healthy twin: the add-on is ACTIVE', async () => {
    gaps.vpcCni = ACTIVE;
    expect(notReadyFinding(await check()).notReadyCauses).not.toContain('VPC_CNI_MISSING');
  });

  it('not judged on moto as it is (no DescribeAddon: a bare 404): said to be not checked', async () => {
    const finding = notReadyFinding(await check());
    expect(finding.notReadyCauses).toEqual([]);
    expect(finding.message).toContain('Not checked: the vpc-cni add-on (eks:DescribeAddon not readable)');
  });
});

describe('VPC_CNI_DEGRADED', () => {
  it('failing: the add-on is DEGRADED with a health issue', async () => {
    gaps.vpcCni = {
      status: 'DEGRADED',
      issues: [
        {
          code: 'InsufficientNumberOfReplicas',
          message: "The add-on is unhealthy because it doesn't have the desired number of replicas.",
        },
      ],
    };
    const finding = notReadyFinding(await check());
    expect(finding.notReadyCauses).toEqual(['VPC_CNI_DEGRADED']);
    expect(finding.message).toContain(
      'the vpc-cni add-on v1.19.2-eksbuild.1 is DEGRADED with health issues InsufficientNumberOfReplicas',
    );
  });

  it('healthy twin: ACTIVE without health issues', async () => {
    gaps.vpcCni = { status: 'ACTIVE', issues: [] };
    expect(notReadyFinding(await check()).notReadyCauses).toEqual([]);
  });
});

describe('CNI_POLICY_MISSING', () => {
  it('failing: the add-on runs with the node role, which lacks AmazonEKS_CNI_Policy; the printed fix works', async () => {
    gaps.vpcCni = ACTIVE;
    await cniPolicy(false);
    const nodegroup = await check();
    const finding = notReadyFinding(nodegroup);
    expect(finding.notReadyCauses).toEqual(['CNI_POLICY_MISSING']);
    expect(finding.message).toContain(
      `aws-node runs with the node role ${NODE_ROLE}, which lacks AmazonEKS_CNI_Policy`,
    );
    // The identity check says the same of the role.
    expect(nodegroup.findings.map((f) => f.code)).toEqual(['NODE_ROLE_MISSING_POLICY', 'NODES_NOT_READY']);

    // Run the command the finding gives, as a person would, with the AWS CLI.
    const attach = finding.fix.split('\n').find((line) => line.startsWith('aws iam attach-role-policy'));
    expect(attach).toBe(
      `aws iam attach-role-policy --role-name ${NODE_ROLE} --policy-arn ${CNI} --region us-west-2`,
    );
    const run = await runAwsCli(attach as string, moto);
    expect(run.code, run.stderr).toBe(0);
    expect(notReadyFinding(await check()).notReadyCauses).toEqual([]);
  });

  it('healthy twin: aws-node has its own role (IRSA on the add-on), the node role needs no CNI policy', async () => {
    gaps.vpcCni = { ...ACTIVE, serviceAccountRoleArn: `arn:aws:iam::${seed.accountId}:role/vpc-cni-irsa` };
    await cniPolicy(false);
    const nodegroup = await check();
    expect(nodegroup.findings.map((f) => f.code)).toEqual(['NODES_NOT_READY']);
    expect(notReadyFinding(nodegroup).notReadyCauses).toEqual([]);
  });
});

describe('SUBNET_ADDRESSES_EXHAUSTED', () => {
  it('healthy twin with addresses left, then failing once network interfaces took the last of them', async () => {
    // A /28 subnet (11 usable addresses) with a nodegroup of its own, as a team adds one.
    const ec2 = new EC2Client(harnessClientConfig(moto.endpoint));
    const eks = new EKSClient(harnessClientConfig(moto.endpoint));
    const autoScaling = new AutoScalingClient(harnessClientConfig(moto.endpoint));
    try {
      const created = await ec2.send(
        new CreateSubnetCommand({
          VpcId: seed.vpcId,
          CidrBlock: '10.42.250.0/28',
          AvailabilityZone: seed.availabilityZone,
        }),
      );
      const subnetId = created.Subnet?.SubnetId as string;
      const small = await createManagedNodegroup(
        { ec2, eks, autoScaling },
        {
          cluster: seed.clusterName,
          name: 'small',
          subnetId,
          routeTableId: seed.nodegroups.default.routeTableId,
          desired: 1,
          clusterSecurityGroupId: seed.clusterSecurityGroupId,
        },
      );
      stub.setNodes([
        notReadyNode(
          small.instanceIds[0] as string,
          'small',
          {},
          { availabilityZone: seed.availabilityZone },
        ),
      ]);
      gaps.vpcCni = ACTIVE;

      const free = async () =>
        (await ec2.send(new DescribeSubnetsCommand({ SubnetIds: [subnetId] }))).Subnets?.[0]
          ?.AvailableIpAddressCount ?? -1;
      expect(await free()).toBeGreaterThan(0);
      const twin = notReadyFinding(await check('small'));
      expect(twin.notReadyCauses).toEqual([]);

      // Someone's network interfaces take every address left.
      const left = await free();
      await ec2.send(
        new CreateNetworkInterfaceCommand({ SubnetId: subnetId, SecondaryPrivateIpAddressCount: left - 1 }),
      );
      expect(await free()).toBe(0);
      const finding = notReadyFinding(await check('small'));
      expect(finding.notReadyCauses).toEqual(['SUBNET_ADDRESSES_EXHAUSTED']);
      expect(finding.message).toContain(`subnet ${subnetId} has no free IPv4 address left for pods`);
      // The printed read runs as given.
      const describe = finding.fix.split('\n').find((line) => line.startsWith('aws ec2 describe-subnets'));
      const run = await runAwsCli((describe as string).replace(/--query '([^']*)'/, '--query $1'), moto);
      expect(run.code, run.stderr).toBe(0);
      expect(JSON.parse(run.stdout)).toEqual([[subnetId, 0]]);
    } finally {
      for (const client of [ec2, eks, autoScaling]) client.destroy();
    }
  });
});
