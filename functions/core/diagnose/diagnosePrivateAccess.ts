import { DEFAULT_ROUTE } from '../model/describeRoute.js';
import type { Cluster, Finding, Instance, NetworkSnapshot, VpcEndpoint } from '../model/types.js';
import { chooseNatGateway } from './chooseNatGateway.js';
import { overlapsAny, parseCidr } from './cidr.js';
import { describeEffectiveTable, type EffectiveRouteTable } from './effectiveRouteTable.js';
import { ruleCoversTcpPort } from './securityGroupRules.js';

/** Interface endpoints nodes of a private cluster need to join: EC2, both halves of ECR, STS. */
export const NODE_INTERFACE_SERVICES = ['ec2', 'ecr.api', 'ecr.dkr', 'sts'] as const;
/** ECR keeps image layers in S3: a gateway endpoint on the subnet's route table. */
export const NODE_GATEWAY_SERVICE = 's3';

export interface PrivateAccessInput {
  region: string;
  cluster: Cluster;
  network: NetworkSnapshot;
  subnetId: string;
  /** The subnet's effective route table (the s3 gateway endpoint must be on it). */
  routeTable: EffectiveRouteTable;
  /** The subnet's availability zone: where a NAT gateway would best be, for the alternative fix. */
  zone?: string;
  /** Instances in the subnet, if any: their security groups are what endpoint rules may admit. */
  instances: Instance[];
  /** More interface endpoint services the cluster uses, e.g. `logs`, `eks-auth`. */
  additionalServices?: string[];
}

/** What is wrong with one service nodes need, and the commands that put it right. */
export interface EndpointProblem {
  service: string;
  problem: string;
  fix: string[];
}

export type PrivateAccessVerdict =
  /** The rule does not apply: public-only cluster, or the VPC endpoints are not in the snapshot. */
  | { kind: 'not-applicable'; reason: 'no-private-access' | 'endpoints-unknown' }
  /** Nodes can join without internet egress: nothing to report about the missing default route. */
  | { kind: 'complete' }
  /** MISSING_VPC_ENDPOINTS: reported instead of NO_DEFAULT_ROUTE, so no internet route is ever added for it. */
  | { kind: 'incomplete'; problems: EndpointProblem[]; finding: Finding };

const HTTPS = 443;

/**
 * Whether a subnet's nodes can join a cluster with private endpoint access without any route to the
 * internet: the interface endpoints they need are available, have private DNS, have network
 * interfaces, and admit HTTPS from the subnet; and the s3 gateway endpoint is on the subnet's route
 * table. Conservative: security groups that cannot be evaluated count as admitting, and an interface
 * endpoint reaches every subnet of its VPC whatever its zone.
 */
export function diagnosePrivateAccess(input: PrivateAccessInput): PrivateAccessVerdict {
  const { cluster, network } = input;
  if (!cluster.endpointPrivateAccess) return { kind: 'not-applicable', reason: 'no-private-access' };
  if (!network.vpcEndpoints) return { kind: 'not-applicable', reason: 'endpoints-unknown' };
  const services = [...new Set([...NODE_INTERFACE_SERVICES, ...(input.additionalServices ?? [])])];
  const problems = [
    ...services.flatMap((service) => interfaceProblem(input, service) ?? []),
    ...[gatewayProblem(input)].filter((p): p is EndpointProblem => !!p),
  ];
  if (problems.length === 0) return { kind: 'complete' };
  return { kind: 'incomplete', problems, finding: missingEndpointsFinding(input, problems) };
}

function missingEndpointsFinding(input: PrivateAccessInput, problems: EndpointProblem[]): Finding {
  const { region, cluster, network, subnetId, routeTable, instances, zone } = input;
  const { table, source } = routeTable;
  const nat = chooseNatGateway(network, zone, table.routeTableId).choice;
  const services = problems.map((p) => p.service);
  return {
    code: 'MISSING_VPC_ENDPOINTS',
    severity: 'critical',
    resourceId: network.vpcId,
    subnetId,
    instanceIds: instances.map((i) => i.instanceId),
    routeTableId: table.routeTableId,
    routeTableSource: source,
    message: `${describeEffectiveTable(subnetId, routeTable)} has no ${DEFAULT_ROUTE} route. Cluster ${cluster.name} has private endpoint access, so nodes in ${subnetId} can join without the internet, but only through VPC endpoints, and ${network.vpcId} lacks some they need: ${problems.map((p) => `${p.service} (${p.problem})`).join('; ')}. Missing or unusable: ${services.join(', ')}.`,
    fix: [
      ...problems.flatMap((p) => p.fix),
      ...(nat
        ? [
            `# Or, if nodes in ${subnetId} may reach the internet, route it through a NAT gateway instead:`,
            `aws ec2 create-route --route-table-id ${table.routeTableId} --destination-cidr-block ${DEFAULT_ROUTE} --nat-gateway-id ${nat.natGateway.natGatewayId} --region ${region}`,
          ]
        : []),
    ].join('\n'),
  };
}

/** `com.amazonaws.us-west-2.ecr.api` (and partition variants such as `cn.com.amazonaws.…`). */
export function serviceName(region: string, service: string): string {
  return `com.amazonaws.${region}.${service}`;
}

function isService(endpoint: VpcEndpoint, region: string, service: string): boolean {
  const name = serviceName(region, service);
  return endpoint.serviceName === name || endpoint.serviceName.endsWith(`.${name}`);
}

function interfaceProblem(input: PrivateAccessInput, service: string): EndpointProblem | undefined {
  const { region, network } = input;
  const candidates = (network.vpcEndpoints ?? []).filter(
    (e) => isService(e, region, service) && e.type.toLowerCase() === 'interface',
  );
  if (candidates.length === 0) {
    return { service, problem: 'no interface endpoint', fix: [createInterface(input, service)] };
  }
  // The endpoint closest to working: the fewest issues.
  const judged = candidates
    .map((endpoint) => ({ endpoint, issues: interfaceIssues(input, service, endpoint) }))
    .sort((a, b) => a.issues.length - b.issues.length);
  const best = judged[0];
  if (!best || best.issues.length === 0) return undefined;
  const id = best.endpoint.vpcEndpointId;
  return {
    service,
    problem: `${id} ${best.issues.map((i) => i.problem).join(', ')}`,
    fix: best.issues.flatMap((i) => i.fix),
  };
}

interface Issue {
  problem: string;
  fix: string[];
}

function interfaceIssues(input: PrivateAccessInput, service: string, endpoint: VpcEndpoint): Issue[] {
  const { region, subnetId, network } = input;
  const id = endpoint.vpcEndpointId;
  const issues: Issue[] = [];
  const state = endpoint.state.toLowerCase();
  if (state !== 'available') {
    issues.push({
      problem: `is ${endpoint.state}`,
      fix: state.startsWith('pending')
        ? [
            `# ${id} is ${endpoint.state}: nodes can use it once it is available.`,
            `aws ec2 describe-vpc-endpoints --vpc-endpoint-ids ${id} --query "VpcEndpoints[].State" --region ${region}`,
          ]
        : [`# ${id} is ${endpoint.state}: create a new one.`, createInterface(input, service)],
    });
  }
  if (!endpoint.privateDnsEnabled) {
    issues.push({
      problem: 'has private DNS off (nodes resolve the public name and go to the internet)',
      fix: [`aws ec2 modify-vpc-endpoint --vpc-endpoint-id ${id} --private-dns-enabled --region ${region}`],
    });
  }
  if (endpoint.subnetIds.length === 0) {
    issues.push({
      problem: 'has no network interface in any subnet',
      fix: [
        `aws ec2 modify-vpc-endpoint --vpc-endpoint-id ${id} --add-subnet-ids ${subnetId} --region ${region}`,
      ],
    });
  }
  const subnetCidr = network.subnets.find((s) => s.subnetId === subnetId)?.cidrBlock;
  if (!admitsHttps(input, endpoint, subnetCidr)) {
    const group = endpoint.securityGroupIds[0] as string;
    issues.push({
      problem: `has security groups (${endpoint.securityGroupIds.join(', ')}) that do not allow TCP 443 from ${subnetCidr ?? subnetId}`,
      fix: [
        `aws ec2 authorize-security-group-ingress --group-id ${group} --protocol tcp --port ${HTTPS} --cidr ${subnetCidr} --region ${region}`,
      ],
    });
  }
  return issues;
}

/**
 * Whether the endpoint's security groups let HTTPS in from the node subnet or the nodes' groups.
 * True when that cannot be told: no groups listed, a group not in the snapshot, the subnet's CIDR
 * unknown, or (without instances to name them) a rule that admits other groups.
 */
function admitsHttps(
  input: PrivateAccessInput,
  endpoint: VpcEndpoint,
  subnetCidr: string | undefined,
): boolean {
  const known = input.network.securityGroups;
  if (!known || endpoint.securityGroupIds.length === 0 || !subnetCidr) return true;
  const subnetRange = parseCidr(subnetCidr);
  if (!subnetRange) return true;
  const groups = endpoint.securityGroupIds.map((id) => known.find((g) => g.groupId === id));
  if (groups.some((g) => !g)) return true;
  const nodeGroups = nodeGroupIds(input.instances);
  return groups.some((group) =>
    (group?.ingress ?? []).some(
      (rule) =>
        ruleCoversTcpPort(rule, HTTPS) &&
        (rule.prefixListIds.length > 0 ||
          rule.cidrs.some((cidr) => {
            const range = parseCidr(cidr);
            return !range || overlapsAny([subnetRange], range);
          }) ||
          rule.groupIds.some((id) => !nodeGroups || nodeGroups.has(id))),
    ),
  );
}

/** The groups of the nodes, or undefined when they are not all known (preflight, a sparse snapshot). */
function nodeGroupIds(instances: Instance[]): Set<string> | undefined {
  if (instances.length === 0 || instances.some((i) => !i.securityGroupIds)) return undefined;
  return new Set(instances.flatMap((i) => i.securityGroupIds ?? []));
}

function gatewayProblem(input: PrivateAccessInput): EndpointProblem | undefined {
  const { region, network } = input;
  const routeTable = input.routeTable.table;
  const service = NODE_GATEWAY_SERVICE;
  const tableId = routeTable.routeTableId;
  const candidates = (network.vpcEndpoints ?? []).filter((e) => isService(e, region, service));
  const routedTo = new Set(
    routeTable.routes.flatMap((r) => (r.target.kind === 'vpc-endpoint' ? [r.target.id] : [])),
  );
  const available = candidates.filter((e) => e.state.toLowerCase() === 'available');
  const works = available.some((e) =>
    e.type.toLowerCase() === 'gateway'
      ? e.routeTableIds.includes(tableId) || routedTo.has(e.vpcEndpointId)
      : // An S3 interface endpoint with private DNS serves the nodes as well.
        e.type.toLowerCase() === 'interface' && e.privateDnsEnabled && e.subnetIds.length > 0,
  );
  if (works) return undefined;
  const gateway = candidates.find((e) => e.type.toLowerCase() === 'gateway');
  if (gateway && gateway.state.toLowerCase() === 'available') {
    return {
      service,
      problem: `gateway endpoint ${gateway.vpcEndpointId} is not on route table ${tableId}`,
      fix: [
        `aws ec2 modify-vpc-endpoint --vpc-endpoint-id ${gateway.vpcEndpointId} --add-route-table-ids ${tableId} --region ${region}`,
      ],
    };
  }
  return {
    service,
    problem: gateway
      ? `gateway endpoint ${gateway.vpcEndpointId} is ${gateway.state}`
      : 'no gateway endpoint',
    fix: [
      `aws ec2 create-vpc-endpoint --vpc-id ${network.vpcId} --service-name ${serviceName(region, service)} --vpc-endpoint-type Gateway --route-table-ids ${tableId} --region ${region}`,
    ],
  };
}

function createInterface(
  { region, cluster, network, subnetId }: PrivateAccessInput,
  service: string,
): string {
  const group = cluster.clusterSecurityGroupId ?? '<security-group-allowing-tcp-443-from-the-nodes>';
  return `aws ec2 create-vpc-endpoint --vpc-id ${network.vpcId} --service-name ${serviceName(region, service)} --vpc-endpoint-type Interface --subnet-ids ${subnetId} --security-group-ids ${group} --private-dns-enabled --region ${region}`;
}
