import {
  DescribeAccessEntryCommand,
  DescribeAddonCommand,
  ListAccessEntriesCommand,
  ListPodIdentityAssociationsCommand,
  ResourceNotFoundException,
} from '@aws-sdk/client-eks';
import {
  ListAttachedRolePoliciesCommand,
  ListRolePoliciesCommand,
  NoSuchEntityException,
} from '@aws-sdk/client-iam';
import { describe, expect, it, vi } from 'vitest';
import { AwsIdentityReader, type ConfigMapReader } from '../../../functions/aws/AwsIdentityReader.js';
import { AwsCallError } from '../../../functions/core/model/errors.js';
import type { Cluster } from '../../../functions/core/model/types.js';
import type { ConfigMapRead } from '../../../functions/kubernetes/KubernetesNodeReader.js';
import { cluster, nodegroup } from '../../support/factories.js';
import { awsAuthMapRoles } from '../../support/kubernetesStub.js';
import { mockedClients } from '../../support/sdkClients.js';
import { mockSdkClients } from '../../support/sdkMocks.js';

const { eks: eksMock, iam: iamMock } = mockSdkClients('eks', 'iam');

const ROLE = 'arn:aws:iam::123456789012:role/nodes/eks-workshop-node-role';
const ADMIN = 'arn:aws:iam::123456789012:role/admin';
const WORKER = 'arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy';
const ECR = 'arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly';
const CNI = 'arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy';
const IRSA = 'arn:aws:iam::123456789012:role/vpc-cni-irsa';

function awsError(name: string, status: number, message = name): Error {
  return Object.assign(new Error(message), { name, $metadata: { httpStatusCode: status } });
}
const accessDenied = (action: string) =>
  awsError(
    'AccessDeniedException',
    403,
    `User: arn:aws:sts::123456789012:assumed-role/eks-join-remediator/fn is not authorized to perform: ${action}`,
  );

function configMaps(read: ConfigMapRead): ConfigMapReader & { calls: number } {
  const reader = {
    calls: 0,
    async readConfigMap() {
      reader.calls += 1;
      return read;
    },
  };
  return reader;
}

function makeReader(options: { configMaps?: ConfigMapReader } = {}) {
  return new AwsIdentityReader({ clients: mockedClients({ maxAttempts: undefined }), ...options });
}

const ng = nodegroup({ nodeRoleArn: ROLE });
const apiAndConfigMap: Cluster = cluster({ authenticationMode: 'API_AND_CONFIG_MAP' });

/** A healthy account: every read answers. */
function mockHealthy() {
  iamMock
    .on(ListAttachedRolePoliciesCommand, { RoleName: 'eks-workshop-node-role', Marker: undefined })
    .resolves({
      AttachedPolicies: [{ PolicyArn: WORKER, PolicyName: 'AmazonEKSWorkerNodePolicy' }],
      IsTruncated: true,
      Marker: 'page-2',
    })
    .on(ListAttachedRolePoliciesCommand, { RoleName: 'eks-workshop-node-role', Marker: 'page-2' })
    .resolves({
      AttachedPolicies: [
        { PolicyArn: ECR, PolicyName: 'AmazonEC2ContainerRegistryReadOnly' },
        { PolicyArn: CNI, PolicyName: 'AmazonEKS_CNI_Policy' },
      ],
      IsTruncated: false,
    })
    .on(ListRolePoliciesCommand)
    .resolves({ PolicyNames: ['node-extras'], IsTruncated: false });
  eksMock
    .on(ListAccessEntriesCommand, { clusterName: 'eks-workshop', nextToken: undefined })
    .resolves({ accessEntries: [ADMIN], nextToken: 'next' })
    .on(ListAccessEntriesCommand, { clusterName: 'eks-workshop', nextToken: 'next' })
    // The entry was made without the role path: it still names the node role.
    .resolves({ accessEntries: ['arn:aws:iam::123456789012:role/eks-workshop-node-role'] })
    .on(DescribeAccessEntryCommand)
    .resolves({
      accessEntry: {
        principalArn: 'arn:aws:iam::123456789012:role/eks-workshop-node-role',
        type: 'EC2_LINUX',
      },
    })
    .on(DescribeAddonCommand, { addonName: 'vpc-cni' })
    .resolves({
      addon: {
        addonName: 'vpc-cni',
        status: 'ACTIVE',
        addonVersion: 'v1.19.2-eksbuild.1',
        health: { issues: [] },
        serviceAccountRoleArn: IRSA,
      },
    })
    .on(ListPodIdentityAssociationsCommand)
    .resolves({ associations: [] });
}

describe('AwsIdentityReader', () => {
  it('reads policies, access entries (paginated), the CNI role and aws-auth', async () => {
    mockHealthy();
    const reader = makeReader({
      configMaps: configMaps({ kind: 'found', data: { mapRoles: awsAuthMapRoles([ROLE]) } }),
    });
    expect(await reader.readNodeIdentity(apiAndConfigMap, ng)).toEqual({
      nodeRoleArn: ROLE,
      attachedPolicyArns: [WORKER, ECR, CNI],
      inlinePolicyNames: ['node-extras'],
      accessEntries: [
        { principalArn: ADMIN },
        { principalArn: 'arn:aws:iam::123456789012:role/eks-workshop-node-role', type: 'EC2_LINUX' },
      ],
      awsAuthRoleArns: [ROLE],
      cniUsesNodeRole: false,
      vpcCniAddon: {
        installed: true,
        status: 'ACTIVE',
        version: 'v1.19.2-eksbuild.1',
        issues: [],
        serviceAccountRoleArn: IRSA,
      },
    });
    // The role name is the last path segment of the ARN.
    expect(iamMock).toHaveReceivedCommandWith(ListRolePoliciesCommand, {
      RoleName: 'eks-workshop-node-role',
    });
    expect(iamMock).toHaveReceivedCommandTimes(ListAttachedRolePoliciesCommand, 2);
    expect(eksMock).toHaveReceivedCommandTimes(ListAccessEntriesCommand, 2);
    // Only the node role's entry is described.
    expect(eksMock).toHaveReceivedCommandTimes(DescribeAccessEntryCommand, 1);
    expect(eksMock).toHaveReceivedCommandWith(DescribeAccessEntryCommand, {
      clusterName: 'eks-workshop',
      principalArn: 'arn:aws:iam::123456789012:role/eks-workshop-node-role',
    });
  });

  it('returns undefined without any call when the nodegroup has no node role', async () => {
    expect(await makeReader().readNodeIdentity(apiAndConfigMap, nodegroup())).toBeUndefined();
    expect(eksMock.calls()).toHaveLength(0);
    expect(iamMock.calls()).toHaveLength(0);
  });

  it('leaves every part it is denied undefined, and never throws for it', async () => {
    iamMock
      .on(ListAttachedRolePoliciesCommand)
      .rejects(accessDenied('iam:ListAttachedRolePolicies'))
      .on(ListRolePoliciesCommand)
      .rejects(awsError('AccessDenied', 403));
    eksMock
      .on(ListAccessEntriesCommand)
      .rejects(accessDenied('eks:ListAccessEntries'))
      .on(DescribeAddonCommand)
      .rejects(accessDenied('eks:DescribeAddon'));
    const reader = makeReader({
      configMaps: configMaps({ kind: 'unknown', status: 403, detail: 'forbidden' }),
    });
    expect(await reader.readNodeIdentity(apiAndConfigMap, ng)).toEqual({ nodeRoleArn: ROLE });
  });

  it('keeps the entry but not its type when DescribeAccessEntry is denied', async () => {
    mockHealthy();
    eksMock.on(DescribeAccessEntryCommand).rejects(accessDenied('eks:DescribeAccessEntry'));
    const identity = await makeReader().readNodeIdentity(apiAndConfigMap, ng);
    expect(identity?.accessEntries).toEqual([
      { principalArn: ADMIN },
      { principalArn: 'arn:aws:iam::123456789012:role/eks-workshop-node-role' },
    ]);
  });

  it('leaves the policies undefined when the role does not exist', async () => {
    mockHealthy();
    iamMock
      .on(ListAttachedRolePoliciesCommand)
      .rejects(new NoSuchEntityException({ message: 'The role with name x cannot be found.', $metadata: {} }))
      .on(ListRolePoliciesCommand)
      .rejects(
        new NoSuchEntityException({ message: 'The role with name x cannot be found.', $metadata: {} }),
      );
    const identity = await makeReader().readNodeIdentity(apiAndConfigMap, ng);
    expect(identity?.attachedPolicyArns).toBeUndefined();
    expect(identity?.inlinePolicyNames).toBeUndefined();
  });

  describe('the vpc-cni add-on', () => {
    it('absent (self-managed aws-node or none): not installed, and the role aws-node runs with unknown', async () => {
      mockHealthy();
      eksMock
        .on(DescribeAddonCommand)
        .rejects(
          new ResourceNotFoundException({ message: 'No addon: vpc-cni found in cluster', $metadata: {} }),
        );
      const identity = await makeReader().readNodeIdentity(apiAndConfigMap, ng);
      expect(identity?.vpcCniAddon).toEqual({ installed: false });
      expect(identity?.cniUsesNodeRole).toBeUndefined();
      expect(eksMock).not.toHaveReceivedCommand(ListPodIdentityAssociationsCommand);
    });

    it('installed: its status, version and health issues, as EKS reports them', async () => {
      mockHealthy();
      eksMock.on(DescribeAddonCommand).resolves({
        addon: {
          addonName: 'vpc-cni',
          status: 'DEGRADED',
          addonVersion: 'v1.18.1-eksbuild.3',
          health: {
            issues: [
              {
                code: 'ConfigurationConflict',
                message:
                  'Conflicts found when trying to apply. Will not continue due to resolve conflicts mode.',
                resourceIds: ['aws-node'],
              },
              {},
            ],
          },
        },
      });
      const identity = await makeReader().readNodeIdentity(apiAndConfigMap, ng);
      expect(identity?.vpcCniAddon).toEqual({
        installed: true,
        status: 'DEGRADED',
        version: 'v1.18.1-eksbuild.3',
        issues: [
          {
            code: 'ConfigurationConflict',
            message: 'Conflicts found when trying to apply. Will not continue due to resolve conflicts mode.',
          },
          { code: 'Unknown', message: '' },
        ],
      });
      // No IRSA role on it: Pod Identity decides which role aws-node runs with.
      expect(identity?.cniUsesNodeRole).toBe(true);
    });

    it('unreadable (access denied, or an endpoint without the API): unknown, never "not installed"', async () => {
      mockHealthy();
      eksMock.on(DescribeAddonCommand).rejects(accessDenied('eks:DescribeAddon'));
      expect((await makeReader().readNodeIdentity(apiAndConfigMap, ng))?.vpcCniAddon).toBeUndefined();
    });

    it('one DescribeAddon per cluster: the add-on and the CNI role come from the same read', async () => {
      mockHealthy();
      const reader = makeReader();
      // CONFIG_MAP: the other cluster's access entries are not read, only its add-on.
      const other = cluster({ name: 'staging', authenticationMode: 'CONFIG_MAP' });
      const identities = await Promise.all([
        reader.readNodeIdentity(apiAndConfigMap, ng),
        reader.readNodeIdentity(apiAndConfigMap, nodegroup({ name: 'default', nodeRoleArn: ROLE })),
        reader.readNodeIdentity(other, ng),
      ]);
      expect(identities.map((i) => i?.vpcCniAddon?.installed)).toEqual([true, true, true]);
      expect(eksMock).toHaveReceivedCommandTimes(DescribeAddonCommand, 2);
      expect(eksMock).toHaveReceivedCommandWith(DescribeAddonCommand, {
        clusterName: 'staging',
        addonName: 'vpc-cni',
      });
    });

    it('without IRSA or Pod Identity: uses the node role', async () => {
      mockHealthy();
      eksMock.on(DescribeAddonCommand).resolves({ addon: { addonName: 'vpc-cni' } });
      expect((await makeReader().readNodeIdentity(apiAndConfigMap, ng))?.cniUsesNodeRole).toBe(true);
      expect(eksMock).toHaveReceivedCommandWith(ListPodIdentityAssociationsCommand, {
        clusterName: 'eks-workshop',
        namespace: 'kube-system',
        serviceAccount: 'aws-node',
      });
    });

    it('with a Pod Identity association on the add-on or made for aws-node: does not', async () => {
      mockHealthy();
      eksMock.on(DescribeAddonCommand).resolves({
        addon: {
          addonName: 'vpc-cni',
          podIdentityAssociations: ['arn:aws:eks:us-west-2:123456789012:podidentityassociation/x'],
        },
      });
      expect((await makeReader().readNodeIdentity(apiAndConfigMap, ng))?.cniUsesNodeRole).toBe(false);

      eksMock.reset();
      mockHealthy();
      eksMock
        .on(DescribeAddonCommand)
        .resolves({ addon: { addonName: 'vpc-cni' } })
        .on(ListPodIdentityAssociationsCommand)
        .resolves({
          associations: [{ namespace: 'kube-system', serviceAccount: 'aws-node', associationId: 'a-1' }],
        });
      expect((await makeReader().readNodeIdentity(apiAndConfigMap, ng))?.cniUsesNodeRole).toBe(false);
    });

    it('unknown when the Pod Identity associations cannot be listed', async () => {
      mockHealthy();
      eksMock
        .on(DescribeAddonCommand)
        .resolves({ addon: { addonName: 'vpc-cni' } })
        .on(ListPodIdentityAssociationsCommand)
        .rejects(accessDenied('eks:ListPodIdentityAssociations'));
      expect((await makeReader().readNodeIdentity(apiAndConfigMap, ng))?.cniUsesNodeRole).toBeUndefined();
    });
  });

  describe('authentication modes', () => {
    it('CONFIG_MAP: does not list access entries (EKS refuses it there), reads aws-auth', async () => {
      mockHealthy();
      const maps = configMaps({ kind: 'found', data: { mapRoles: awsAuthMapRoles([ADMIN]) } });
      const identity = await makeReader({ configMaps: maps }).readNodeIdentity(
        cluster({ authenticationMode: 'CONFIG_MAP' }),
        ng,
      );
      expect(eksMock).not.toHaveReceivedCommand(ListAccessEntriesCommand);
      expect(identity?.accessEntries).toBeUndefined();
      expect(identity?.awsAuthRoleArns).toEqual([ADMIN]);
    });

    it('API: does not read aws-auth (it does not count)', async () => {
      mockHealthy();
      const maps = configMaps({ kind: 'found', data: {} });
      const identity = await makeReader({ configMaps: maps }).readNodeIdentity(
        cluster({ authenticationMode: 'API' }),
        ng,
      );
      expect(maps.calls).toBe(0);
      expect(identity?.awsAuthRoleArns).toBeUndefined();
    });

    it('mode unknown and the cluster on CONFIG_MAP: the InvalidRequestException leaves entries undefined', async () => {
      mockHealthy();
      eksMock
        .on(ListAccessEntriesCommand)
        .rejects(
          awsError(
            'InvalidRequestException',
            400,
            "The cluster's authentication mode must be set to one of [API, API_AND_CONFIG_MAP] to perform this operation.",
          ),
        );
      expect((await makeReader().readNodeIdentity(cluster(), ng))?.accessEntries).toBeUndefined();
    });
  });

  describe('aws-auth', () => {
    it.each([
      ['absent ConfigMap: no mappings', { kind: 'absent' } as ConfigMapRead, []],
      [
        'ConfigMap without mapRoles: no mappings',
        { kind: 'found', data: { mapUsers: '[]' } } as ConfigMapRead,
        [],
      ],
      [
        'unreadable ConfigMap: unknown',
        { kind: 'unknown', detail: 'ECONNREFUSED' } as ConfigMapRead,
        undefined,
      ],
      [
        'mapRoles the parser does not understand: unknown',
        { kind: 'found', data: { mapRoles: 'rolearn: x' } } as ConfigMapRead,
        undefined,
      ],
    ])('%s', async (_what, read, expected) => {
      mockHealthy();
      const identity = await makeReader({ configMaps: configMaps(read) }).readNodeIdentity(
        apiAndConfigMap,
        ng,
      );
      expect(identity?.awsAuthRoleArns).toEqual(expected);
    });

    it('without a ConfigMap reader: unknown', async () => {
      mockHealthy();
      expect((await makeReader().readNodeIdentity(apiAndConfigMap, ng))?.awsAuthRoleArns).toBeUndefined();
    });
  });

  it('treats an endpoint without the API (a bare 404, as moto answers) as not offered', async () => {
    mockHealthy();
    const bare404 = Object.assign(
      new SyntaxError('Unexpected token \'<\', "<!doctype "... is not valid JSON'),
      {
        $metadata: { httpStatusCode: 404 },
      },
    );
    eksMock.on(ListAccessEntriesCommand).rejects(bare404).on(DescribeAddonCommand).rejects(bare404);
    const identity = await makeReader().readNodeIdentity(apiAndConfigMap, ng);
    expect(identity?.accessEntries).toBeUndefined();
    expect(identity?.cniUsesNodeRole).toBeUndefined();
    // A bare 404 is the endpoint's, not EKS saying the add-on is absent.
    expect(identity?.vpcCniAddon).toBeUndefined();
    expect(identity?.attachedPolicyArns).toEqual([WORKER, ECR, CNI]);
  });

  it('throws an AwsCallError for throttling beyond retries', async () => {
    mockHealthy();
    iamMock.on(ListAttachedRolePoliciesCommand).rejects(awsError('Throttling', 400, 'Rate exceeded'));
    const error = await makeReader()
      .readNodeIdentity(apiAndConfigMap, ng)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AwsCallError);
    expect((error as AwsCallError).operation).toBe('iam:ListAttachedRolePolicies');
    expect((error as Error).message).toContain('throttled after retries');
  });

  it('throws for bad credentials rather than reading them as access denied', async () => {
    mockHealthy();
    eksMock
      .on(DescribeAddonCommand)
      .rejects(awsError('UnrecognizedClientException', 403, 'The security token is invalid'));
    await expect(makeReader().readNodeIdentity(apiAndConfigMap, ng)).rejects.toBeInstanceOf(AwsCallError);
  });

  it('reads cluster-wide parts and each role once for several nodegroups', async () => {
    mockHealthy();
    const maps = configMaps({ kind: 'absent' });
    const reader = makeReader({ configMaps: maps });
    await Promise.all([
      reader.readNodeIdentity(apiAndConfigMap, ng),
      reader.readNodeIdentity(apiAndConfigMap, nodegroup({ name: 'default', nodeRoleArn: ROLE })),
    ]);
    expect(maps.calls).toBe(1);
    expect(eksMock).toHaveReceivedCommandTimes(DescribeAddonCommand, 1);
    expect(eksMock).toHaveReceivedCommandTimes(ListAccessEntriesCommand, 2); // two pages, once
    expect(eksMock).toHaveReceivedCommandTimes(DescribeAccessEntryCommand, 1);
    expect(iamMock).toHaveReceivedCommandTimes(ListRolePoliciesCommand, 1);
  });

  it('does not cache a failure: the next read tries again', async () => {
    mockHealthy();
    const throttled = awsError('ThrottlingException', 400, 'Rate exceeded');
    eksMock
      .on(DescribeAddonCommand)
      .rejectsOnce(throttled)
      .resolves({ addon: { addonName: 'vpc-cni' } });
    const reader = makeReader();
    await expect(reader.readNodeIdentity(apiAndConfigMap, ng)).rejects.toBeInstanceOf(AwsCallError);
    await vi.waitFor(async () =>
      expect((await reader.readNodeIdentity(apiAndConfigMap, ng))?.cniUsesNodeRole).toBe(true),
    );
  });
});
