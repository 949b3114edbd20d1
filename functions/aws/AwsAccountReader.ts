import { type AutoScalingGroup, paginateDescribeAutoScalingGroups } from '@aws-sdk/client-auto-scaling';
import {
  DescribeVpcAttributeCommand,
  DescribeVpcsCommand,
  type RouteTable as Ec2RouteTable,
  type ManagedPrefixList,
  paginateDescribeInstances,
  paginateDescribeInternetGateways,
  paginateDescribeManagedPrefixLists,
  paginateDescribeNatGateways,
  paginateDescribeNetworkAcls,
  paginateDescribeRouteTables,
  paginateDescribeSecurityGroups,
  paginateDescribeSubnets,
  paginateDescribeVpcEndpoints,
  paginateGetManagedPrefixListEntries,
  type VpcAttributeName,
} from '@aws-sdk/client-ec2';
import {
  DescribeClusterCommand,
  DescribeNodegroupCommand,
  paginateListNodegroups,
} from '@aws-sdk/client-eks';
import { errorName, isAccessDenied, NotFoundError } from '../core/model/errors.js';
import type { AccountReader } from '../core/model/ports.js';
import type { Cluster, Instance, NetworkSnapshot, Nodegroup, PrefixList } from '../core/model/types.js';
import { Memo } from '../Memo.js';
import { awsCall } from './awsCall.js';
import type { AwsClients } from './clients.js';
import {
  routedPrefixListIds,
  toInstance,
  toInternetGateway,
  toNatGateway,
  toNetworkAcl,
  toPrefixList,
  toRouteTable,
  toSecurityGroup,
  toSubnet,
  toVpcCidrBlocks,
  toVpcEndpoint,
} from './mapEc2.js';
import { chunk, collect } from './pages.js';

/** Auto Scaling accepts at most 50 group names per DescribeAutoScalingGroups call. */
const GROUP_NAMES_PER_CALL = 50;
/** EC2 filter values per call: keeps request size well under the API limit. */
const INSTANCE_IDS_PER_CALL = 200;
const PREFIX_LIST_IDS_PER_CALL = 200;

/**
 * Reads the account through the AWS SDK. One instance serves one invocation: it caches each VPC's
 * network, so several nodegroups in one VPC cost one set of Describe calls.
 */
export class AwsAccountReader implements AccountReader {
  readonly #clients: AwsClients;
  readonly #networks = new Memo<Promise<NetworkSnapshot>>();
  readonly #clusters = new Memo<Promise<Cluster>>();
  /** undefined: looked up and not found. */
  readonly #groups = new Map<string, AutoScalingGroup | undefined>();

  constructor(clients: AwsClients) {
    this.#clients = clients;
  }

  describeCluster(clusterName: string): Promise<Cluster> {
    return this.#clusters.get(clusterName, () => this.#describeCluster(clusterName));
  }

  async #describeCluster(clusterName: string): Promise<Cluster> {
    const region = await this.#clients.eks.config.region();
    const response = await orNotFound(
      'eks:DescribeCluster',
      () => this.#clients.eks.send(new DescribeClusterCommand({ name: clusterName })),
      `cluster ${clusterName} not found in ${region}: check the cluster name and --region`,
    );
    const c = response.cluster;
    const vpc = c?.resourcesVpcConfig;
    return {
      name: c?.name ?? clusterName,
      arn: c?.arn,
      region,
      endpoint: c?.endpoint,
      certificateAuthority: c?.certificateAuthority?.data,
      vpcId: vpc?.vpcId,
      endpointPublicAccess: vpc?.endpointPublicAccess ?? true,
      endpointPrivateAccess: vpc?.endpointPrivateAccess ?? false,
      publicAccessCidrs: vpc?.publicAccessCidrs ?? [],
      tags: c?.tags ?? {},
      ...(vpc?.clusterSecurityGroupId && { clusterSecurityGroupId: vpc.clusterSecurityGroupId }),
      ...(vpc?.subnetIds && { subnetIds: vpc.subnetIds }),
      ...(isAuthenticationMode(c?.accessConfig?.authenticationMode) && {
        authenticationMode: c.accessConfig.authenticationMode,
      }),
    };
  }

  async listNodegroups(clusterName: string): Promise<string[]> {
    return orNotFound(
      'eks:ListNodegroups',
      async () => {
        const names: string[] = [];
        for await (const page of paginateListNodegroups({ client: this.#clients.eks }, { clusterName })) {
          names.push(...(page.nodegroups ?? []));
        }
        return names;
      },
      `cluster ${clusterName} not found: check the cluster name and --region`,
    );
  }

  async describeNodegroup(clusterName: string, nodegroupName: string): Promise<Nodegroup> {
    const response = await orNotFound(
      'eks:DescribeNodegroup',
      () => this.#clients.eks.send(new DescribeNodegroupCommand({ clusterName, nodegroupName })),
      `nodegroup ${nodegroupName} not found in cluster ${clusterName}: list them with aws eks list-nodegroups --cluster-name ${clusterName}`,
    );
    const n = response.nodegroup;
    return {
      name: n?.nodegroupName ?? nodegroupName,
      clusterName,
      arn: n?.nodegroupArn,
      status: n?.status ?? 'UNKNOWN',
      subnetIds: n?.subnets ?? [],
      autoScalingGroupNames: (n?.resources?.autoScalingGroups ?? [])
        .map((g) => g.name)
        .filter((g): g is string => !!g),
      scaling: {
        minSize: n?.scalingConfig?.minSize ?? 0,
        maxSize: n?.scalingConfig?.maxSize ?? 0,
        desiredSize: n?.scalingConfig?.desiredSize ?? 0,
      },
      tags: n?.tags ?? {},
      ...(n?.nodeRole && { nodeRoleArn: n.nodeRole }),
      ...(n?.launchTemplate && {
        launchTemplate: {
          ...(n.launchTemplate.id && { id: n.launchTemplate.id }),
          ...(n.launchTemplate.name && { name: n.launchTemplate.name }),
          ...(n.launchTemplate.version && { version: n.launchTemplate.version }),
        },
      }),
      ...(n?.instanceTypes && { instanceTypes: n.instanceTypes }),
      healthIssues: (n?.health?.issues ?? []).map((i) => ({
        code: i.code ?? 'Unknown',
        message: i.message ?? '',
        resourceIds: i.resourceIds ?? [],
      })),
    };
  }

  async describeGroupTags(autoScalingGroupNames: string[]): Promise<Map<string, Record<string, string>>> {
    const groups = await this.#describeGroups(autoScalingGroupNames);
    return new Map(
      groups.map((g) => [
        g.AutoScalingGroupName ?? '',
        Object.fromEntries((g.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? ''])),
      ]),
    );
  }

  async describeGroupInstances(autoScalingGroupNames: string[]): Promise<Instance[]> {
    const groups = await this.#describeGroups(autoScalingGroupNames);
    const lifecycle = new Map(
      groups.flatMap((g) =>
        (g.Instances ?? []).map((i) => [
          i.InstanceId ?? '',
          { group: g.AutoScalingGroupName ?? '', state: i.LifecycleState },
        ]),
      ),
    );
    if (lifecycle.size === 0) return [];
    return awsCall('ec2:DescribeInstances', async () => {
      const instances: Instance[] = [];
      // A filter (not InstanceIds) so an instance terminated meanwhile is simply absent, not an error.
      for (const ids of chunk([...lifecycle.keys()], INSTANCE_IDS_PER_CALL)) {
        const pages = paginateDescribeInstances(
          { client: this.#clients.ec2 },
          { Filters: [{ Name: 'instance-id', Values: ids }] },
        );
        for await (const page of pages) {
          for (const reservation of page.Reservations ?? []) {
            for (const i of reservation.Instances ?? [])
              instances.push(toInstance(i, lifecycle.get(i.InstanceId ?? '')));
          }
        }
      }
      return instances;
    });
  }

  /** Groups by name, each described once per reader: tag resolution and the check share one call. */
  async #describeGroups(names: string[]): Promise<AutoScalingGroup[]> {
    const missing = [...new Set(names)].filter((n) => !this.#groups.has(n));
    if (missing.length > 0) {
      const found = await awsCall('autoscaling:DescribeAutoScalingGroups', async () => {
        const all: AutoScalingGroup[] = [];
        for (const batch of chunk(missing, GROUP_NAMES_PER_CALL)) {
          const pages = paginateDescribeAutoScalingGroups(
            { client: this.#clients.autoScaling },
            { AutoScalingGroupNames: batch },
          );
          for await (const page of pages) all.push(...(page.AutoScalingGroups ?? []));
        }
        return all;
      });
      for (const name of missing) this.#groups.set(name, undefined);
      for (const group of found) this.#groups.set(group.AutoScalingGroupName ?? '', group);
    }
    return names.map((n) => this.#groups.get(n)).filter((g): g is AutoScalingGroup => g !== undefined);
  }

  readNetwork(vpcId: string): Promise<NetworkSnapshot> {
    return this.#networks.get(vpcId, () => this.#readNetwork(vpcId));
  }

  /**
   * One set of calls per VPC, all at once. Subnets, route tables and NAT gateways are required; the
   * rest (VPC CIDR blocks and DNS attributes, endpoints, network ACLs, security groups, internet
   * gateways) is left out of the snapshot when the caller may not read it, and the checks that need it
   * are skipped. The prefix lists the route tables name are read as soon as the tables are in.
   */
  async #readNetwork(vpcId: string): Promise<NetworkSnapshot> {
    const ec2 = this.#clients.ec2;
    const client = { client: ec2 };
    // A fresh input per paginator: the SDK paginator writes NextToken into the object it is given.
    const inVpc = () => [{ Name: 'vpc-id', Values: [vpcId] }];
    const attribute = async (name: VpcAttributeName) => {
      const response = await ec2.send(new DescribeVpcAttributeCommand({ VpcId: vpcId, Attribute: name }));
      return (name === 'enableDnsSupport' ? response?.EnableDnsSupport : response?.EnableDnsHostnames)?.Value;
    };
    const routeTablesRead = awsCall('ec2:DescribeRouteTables', () =>
      collect(paginateDescribeRouteTables(client, { Filters: inVpc() }), (p) => p.RouteTables),
    );
    const prefixListsRead = routeTablesRead.then((tables) => this.#readPrefixLists(tables));
    const [
      subnets,
      routeTables,
      prefixLists,
      natGateways,
      vpc,
      dnsSupport,
      dnsHostnames,
      endpoints,
      acls,
      groups,
      internetGateways,
    ] = await Promise.all([
      awsCall('ec2:DescribeSubnets', () =>
        collect(paginateDescribeSubnets(client, { Filters: inVpc() }), (p) => p.Subnets),
      ),
      routeTablesRead,
      prefixListsRead,
      awsCall('ec2:DescribeNatGateways', () =>
        collect(paginateDescribeNatGateways(client, { Filter: inVpc() }), (p) => p.NatGateways),
      ),
      optional('ec2:DescribeVpcs', async () => {
        const response = await ec2.send(new DescribeVpcsCommand({ VpcIds: [vpcId] }));
        return response?.Vpcs?.find((v) => v.VpcId === vpcId);
      }),
      optional('ec2:DescribeVpcAttribute', () => attribute('enableDnsSupport')),
      optional('ec2:DescribeVpcAttribute', () => attribute('enableDnsHostnames')),
      optional('ec2:DescribeVpcEndpoints', () =>
        collect(paginateDescribeVpcEndpoints(client, { Filters: inVpc() }), (p) => p.VpcEndpoints),
      ),
      optional('ec2:DescribeNetworkAcls', () =>
        collect(paginateDescribeNetworkAcls(client, { Filters: inVpc() }), (p) => p.NetworkAcls),
      ),
      optional('ec2:DescribeSecurityGroups', () =>
        collect(paginateDescribeSecurityGroups(client, { Filters: inVpc() }), (p) => p.SecurityGroups),
      ),
      optional('ec2:DescribeInternetGateways', () =>
        collect(
          paginateDescribeInternetGateways(client, {
            Filters: [{ Name: 'attachment.vpc-id', Values: [vpcId] }],
          }),
          (p) => p.InternetGateways,
        ),
      ),
    ]);
    return {
      vpcId,
      subnets: subnets.map(toSubnet),
      routeTables: routeTables.map(toRouteTable),
      natGateways: natGateways.map(toNatGateway),
      prefixLists,
      ...(internetGateways && { internetGateways: internetGateways.map(toInternetGateway) }),
      ...(vpc && { cidrBlocks: toVpcCidrBlocks(vpc) }),
      ...(dnsSupport !== undefined && { enableDnsSupport: dnsSupport }),
      ...(dnsHostnames !== undefined && { enableDnsHostnames: dnsHostnames }),
      ...(endpoints && { vpcEndpoints: endpoints.map(toVpcEndpoint) }),
      ...(acls && { networkAcls: acls.map(toNetworkAcl) }),
      ...(groups && { securityGroups: groups.map(toSecurityGroup) }),
    };
  }

  /**
   * Every prefix list the tables route to, each kept even when it cannot be read: name, owner and
   * address family from one DescribeManagedPrefixLists, the CIDR blocks from GetManagedPrefixListEntries
   * per list. Never throws: a list whose entries could not be read (denied, gone, throttled), or that
   * DescribeManagedPrefixLists answered without, has `cidrs` undefined, and the core treats a route to
   * it as egress of unknown kind.
   */
  async #readPrefixLists(tables: Ec2RouteTable[]): Promise<PrefixList[]> {
    const ids = routedPrefixListIds(tables);
    if (ids.length === 0) return [];
    const client = { client: this.#clients.ec2 };
    const [described, entries] = await Promise.all([
      unreadableAsUndefined(async () => {
        const lists: ManagedPrefixList[] = [];
        for (const batch of chunk(ids, PREFIX_LIST_IDS_PER_CALL)) {
          // A filter (not PrefixListIds) so one list that is gone does not fail the read of the others.
          const pages = paginateDescribeManagedPrefixLists(client, {
            Filters: [{ Name: 'prefix-list-id', Values: batch }],
          });
          lists.push(...(await collect(pages, (p) => p.PrefixLists)));
        }
        return new Map(lists.map((l) => [l.PrefixListId ?? '', l]));
      }),
      Promise.all(
        ids.map((id) =>
          unreadableAsUndefined(async () => {
            const pages = paginateGetManagedPrefixListEntries(client, { PrefixListId: id });
            const found = await collect(pages, (p) => p.Entries);
            return found.map((e) => e.Cidr).filter((c): c is string => !!c);
          }),
        ),
      ),
    ]);
    return ids.map((id, i) => {
      const list = described?.get(id);
      // Described without this list: it is gone or not shared with the account, whatever the entries say.
      const cidrs = described && !list ? undefined : entries[i];
      return toPrefixList(id, list, cidrs);
    });
  }
}

/** An AWS call whose ResourceNotFoundException means the named cluster or nodegroup does not exist. */
function orNotFound<T>(operation: string, fn: () => Promise<T>, notFound: string): Promise<T> {
  return awsCall(operation, fn, {
    when: (error) => errorName(error) === 'ResourceNotFoundException',
    answer: (error): never => {
      throw new NotFoundError(notFound, { cause: error });
    },
  });
}

/** A read a caller without the permission gets undefined from: the check that needs it is skipped. */
function optional<T>(operation: string, fn: () => Promise<T>): Promise<T | undefined> {
  return awsCall(operation, fn, { when: isAccessDenied, answer: () => undefined });
}

/** For reads the core copes without: any failure (denied, missing, throttled) is undefined. */
async function unreadableAsUndefined<T>(fn: () => Promise<T>): Promise<T | undefined> {
  try {
    return await fn();
  } catch {
    return undefined;
  }
}

function isAuthenticationMode(mode: string | undefined): mode is NonNullable<Cluster['authenticationMode']> {
  return mode === 'API' || mode === 'API_AND_CONFIG_MAP' || mode === 'CONFIG_MAP';
}
