import {
  DescribeAccessEntryCommand,
  DescribeAddonCommand,
  type EKSClient,
  paginateListAccessEntries,
  paginateListPodIdentityAssociations,
} from '@aws-sdk/client-eks';
import {
  type IAMClient,
  paginateListAttachedRolePolicies,
  paginateListRolePolicies,
} from '@aws-sdk/client-iam';
import { parseRoleArn, sameRole } from '../core/diagnose/diagnoseNodeIdentity.js';
import { errorName } from '../core/model/errors.js';
import { type IdentityReader, type Log, silentLog } from '../core/model/ports.js';
import type { Cluster, Nodegroup, NodeIdentity, VpcCniAddon } from '../core/model/types.js';
import { AWS_AUTH, parseMapRolesArns } from '../kubernetes/awsAuth.js';
import type { ConfigMapRead } from '../kubernetes/KubernetesNodeReader.js';
import { Memo } from '../Memo.js';
import { awsCall } from './awsCall.js';
import { deniedOrUnsupported, httpStatusOf } from './unreadable.js';

/** The Kubernetes read the identity check needs; KubernetesNodeReader implements it. */
export interface ConfigMapReader {
  readConfigMap(cluster: Cluster, namespace: string, name: string): Promise<ConfigMapRead>;
}

export interface AwsIdentityReaderOptions {
  clients: { eks: EKSClient; iam: IAMClient };
  /** Absent: aws-auth is not read (awsAuthRoleArns stays undefined). */
  configMaps?: ConfigMapReader;
  log?: Log;
}

const VPC_CNI_ADDON = 'vpc-cni';
const VPC_CNI_SERVICE_ACCOUNT = { namespace: 'kube-system', name: 'aws-node' };

/** Errors that mean "this cannot be read here", not "the check failed". */
const NOT_FOUND = new Set([
  'NoSuchEntity',
  'NoSuchEntityException',
  'ResourceNotFoundException',
  'NotFoundException',
]);

/**
 * Reads who a nodegroup's nodes are and whether the cluster admits them: the node role's managed and
 * inline policies (IAM), the cluster's access entries and the vpc-cni add-on (EKS), and the aws-auth
 * ConfigMap (Kubernetes API). One instance serves one invocation: cluster-wide reads (access entries,
 * add-on, aws-auth) and each role's policies are read once however many nodegroups share them.
 *
 * Each part that cannot be read (access denied, API not offered, not found) is left undefined and
 * logged at debug, so its check is skipped; only throttling beyond the SDK's retries, credentials or
 * network failures throw an AwsCallError.
 */
export class AwsIdentityReader implements IdentityReader {
  readonly #eks: EKSClient;
  readonly #iam: IAMClient;
  readonly #configMaps: ConfigMapReader | undefined;
  readonly #log: Log;
  readonly #reads = new Memo<Promise<unknown>>();

  constructor({ clients, configMaps, log }: AwsIdentityReaderOptions) {
    this.#eks = clients.eks;
    this.#iam = clients.iam;
    this.#configMaps = configMaps;
    this.#log = log ?? silentLog;
  }

  async readNodeIdentity(cluster: Cluster, nodegroup: Nodegroup): Promise<NodeIdentity | undefined> {
    const nodeRoleArn = nodegroup.nodeRoleArn;
    if (!nodeRoleArn) return undefined;
    const roleName = parseRoleArn(nodeRoleArn)?.name;
    const keys = { cluster: cluster.name, nodegroup: nodegroup.name, nodeRoleArn };
    const [attachedPolicyArns, inlinePolicyNames, accessEntries, awsAuthRoleArns, cni] = await Promise.all([
      roleName ? this.#once(`attached/${roleName}`, () => this.#attachedPolicies(roleName, keys)) : undefined,
      roleName ? this.#once(`inline/${roleName}`, () => this.#inlinePolicies(roleName, keys)) : undefined,
      this.#accessEntries(cluster, nodeRoleArn, keys),
      this.#once(`aws-auth/${clusterKey(cluster)}`, () => this.#awsAuth(cluster, keys)),
      this.#once(`cni/${clusterKey(cluster)}`, () => this.#vpcCni(cluster, keys)),
    ]);
    const { addon: vpcCniAddon, cniUsesNodeRole } = cni;
    const identity: NodeIdentity = {
      nodeRoleArn,
      ...(attachedPolicyArns && { attachedPolicyArns }),
      ...(inlinePolicyNames && { inlinePolicyNames }),
      ...(accessEntries && { accessEntries }),
      ...(awsAuthRoleArns && { awsAuthRoleArns }),
      ...(cniUsesNodeRole !== undefined && { cniUsesNodeRole }),
      ...(vpcCniAddon && { vpcCniAddon }),
    };
    this.#log.debug('Read node identity', {
      ...keys,
      attachedPolicies: attachedPolicyArns?.length,
      inlinePolicies: inlinePolicyNames?.length,
      accessEntries: accessEntries?.length,
      awsAuthRoles: awsAuthRoleArns?.length,
      cniUsesNodeRole,
      vpcCniAddon: vpcCniAddon && (vpcCniAddon.installed ? vpcCniAddon.status : 'not installed'),
    });
    return identity;
  }

  /** One promise per key for the life of the reader; a failure is not cached. */
  #once<T>(key: string, read: () => Promise<T>): Promise<T> {
    return this.#reads.get(key, read) as Promise<T>;
  }

  #attachedPolicies(roleName: string, keys: Record<string, unknown>): Promise<string[] | undefined> {
    return this.#soft('iam:ListAttachedRolePolicies', keys, async () => {
      const arns: string[] = [];
      const pages = paginateListAttachedRolePolicies({ client: this.#iam }, { RoleName: roleName });
      for await (const page of pages) {
        for (const policy of page.AttachedPolicies ?? []) if (policy.PolicyArn) arns.push(policy.PolicyArn);
      }
      return arns;
    });
  }

  #inlinePolicies(roleName: string, keys: Record<string, unknown>): Promise<string[] | undefined> {
    return this.#soft('iam:ListRolePolicies', keys, async () => {
      const names: string[] = [];
      const pages = paginateListRolePolicies({ client: this.#iam }, { RoleName: roleName });
      for await (const page of pages) names.push(...(page.PolicyNames ?? []));
      return names;
    });
  }

  /**
   * The cluster's access entries (principal ARNs), with the type of the node role's own entry. Not
   * read in CONFIG_MAP mode, where EKS refuses the call and entries do not count.
   */
  async #accessEntries(
    cluster: Cluster,
    nodeRoleArn: string,
    keys: Record<string, unknown>,
  ): Promise<{ principalArn: string; type?: string }[] | undefined> {
    if (cluster.authenticationMode === 'CONFIG_MAP') return undefined;
    const principals = await this.#once(`entries/${clusterKey(cluster)}`, () =>
      this.#soft('eks:ListAccessEntries', keys, async () => {
        const arns: string[] = [];
        const pages = paginateListAccessEntries({ client: this.#eks }, { clusterName: cluster.name });
        for await (const page of pages) arns.push(...(page.accessEntries ?? []));
        return arns;
      }),
    );
    if (!principals) return undefined;
    return Promise.all(
      principals.map(async (principalArn) => {
        if (!sameRole(principalArn, nodeRoleArn)) return { principalArn };
        const type = await this.#once(`entry/${clusterKey(cluster)}/${principalArn}`, () =>
          this.#soft('eks:DescribeAccessEntry', keys, async () => {
            const response = await this.#eks.send(
              new DescribeAccessEntryCommand({ clusterName: cluster.name, principalArn }),
            );
            return response.accessEntry?.type;
          }),
        );
        return { principalArn, ...(type && { type }) };
      }),
    );
  }

  /** Role ARNs of kube-system/aws-auth mapRoles: [] when the ConfigMap is absent or maps none. */
  async #awsAuth(cluster: Cluster, keys: Record<string, unknown>): Promise<string[] | undefined> {
    if (!this.#configMaps || cluster.authenticationMode === 'API') return undefined;
    const read = await this.#configMaps.readConfigMap(cluster, AWS_AUTH.namespace, AWS_AUTH.name);
    if (read.kind === 'unknown') return undefined;
    if (read.kind === 'absent') return [];
    const mapRoles = read.data[AWS_AUTH.mapRolesKey];
    if (mapRoles === undefined) return [];
    const arns = parseMapRolesArns(mapRoles);
    if (!arns) this.#log.debug('aws-auth mapRoles not understood: not judged', keys);
    return arns;
  }

  /**
   * The vpc-cni add-on (one DescribeAddon per cluster): absent (ResourceNotFoundException), or its
   * status, version, health issues and IRSA role; undefined when it cannot be read. And whether
   * aws-node runs with the node role: the add-on has no IRSA role and no Pod Identity association (on
   * the add-on or made separately for kube-system/aws-node). No add-on (self-managed aws-node) or an
   * unreadable part: undefined.
   */
  async #vpcCni(
    cluster: Cluster,
    keys: Record<string, unknown>,
  ): Promise<{ addon?: VpcCniAddon; cniUsesNodeRole?: boolean }> {
    const addon = await this.#soft('eks:DescribeAddon', keys, async () => {
      try {
        const response = await this.#eks.send(
          new DescribeAddonCommand({ clusterName: cluster.name, addonName: VPC_CNI_ADDON }),
        );
        return response.addon ?? null;
      } catch (error) {
        // EKS's own answer that the add-on is not installed: a fact, unlike a bare 404 of an endpoint.
        if (errorName(error) === 'ResourceNotFoundException') return null;
        throw error;
      }
    });
    if (addon === undefined) return {};
    if (addon === null) return { addon: { installed: false } };
    const vpcCniAddon: VpcCniAddon = {
      installed: true,
      status: addon.status ?? 'UNKNOWN',
      ...(addon.addonVersion && { version: addon.addonVersion }),
      issues: (addon.health?.issues ?? []).map((issue) => ({
        code: issue.code ?? 'Unknown',
        message: issue.message ?? '',
      })),
      ...(addon.serviceAccountRoleArn && { serviceAccountRoleArn: addon.serviceAccountRoleArn }),
    };
    if (addon.serviceAccountRoleArn || (addon.podIdentityAssociations ?? []).length > 0) {
      return { addon: vpcCniAddon, cniUsesNodeRole: false };
    }
    const associations = await this.#soft('eks:ListPodIdentityAssociations', keys, async () => {
      let count = 0;
      const pages = paginateListPodIdentityAssociations(
        { client: this.#eks },
        {
          clusterName: cluster.name,
          namespace: VPC_CNI_SERVICE_ACCOUNT.namespace,
          serviceAccount: VPC_CNI_SERVICE_ACCOUNT.name,
        },
      );
      for await (const page of pages) count += (page.associations ?? []).length;
      return count;
    });
    return {
      addon: vpcCniAddon,
      ...(associations !== undefined && { cniUsesNodeRole: associations === 0 }),
    };
  }

  /** Runs one read; "cannot be read here" becomes undefined, anything else an AwsCallError. */
  #soft<T>(operation: string, keys: Record<string, unknown>, read: () => Promise<T>): Promise<T | undefined> {
    return awsCall(operation, read, {
      when: (error) => unreadable(error) !== undefined,
      answer: (error) => {
        this.#log.debug(`${operation} not readable: ${unreadable(error)}; its check is skipped`, {
          ...keys,
          error: (error as { name?: string })?.name,
          message: (error as { message?: string })?.message,
        });
        return undefined;
      },
    });
  }
}

function clusterKey(cluster: Cluster): string {
  return `${cluster.region}/${cluster.name}`;
}

/** Why an error means "not readable here", or undefined when it is a real failure. */
function unreadable(error: unknown): string | undefined {
  const name = errorName(error);
  if (NOT_FOUND.has(name)) return 'not found';
  // EKS: ListAccessEntries on a CONFIG_MAP cluster.
  if (name === 'InvalidRequestException') return 'not supported';
  // An endpoint without the API at all (an older partition, an emulator) answers a bare 404.
  return (
    deniedOrUnsupported(error) ?? (httpStatusOf(error) === 404 ? 'not offered by this endpoint' : undefined)
  );
}
