import type { Cluster, Finding, Instance, NetworkSnapshot } from '../model/types.js';
import { cidrContains, parseCidr, parseIpv4 } from './cidr.js';
import { liveDefaultRoute } from './liveDefaultRoute.js';

export interface EndpointAccessInput {
  region: string;
  cluster: Cluster;
  network: NetworkSnapshot;
  subnets: { subnetId: string; instances: Instance[] }[];
}

interface EgressIp {
  ip: string;
  /** What the nodes leave through: `NAT gateway nat-…` or `instance i-… (its public IP)`. */
  via: string;
  subnetId: string;
  instanceIds: string[];
}

/**
 * ENDPOINT_ACCESS_EXCLUDES_NODES: the cluster endpoint is public only, and its publicAccessCidrs do
 * not hold the addresses the nodes come from: the public IPs of the NAT gateways their subnets route
 * through, or (behind an internet gateway) the instances' own public IPs. One finding for the
 * cluster, naming every excluded address. Not judged when the CIDRs are unknown or unreadable, or
 * for subnets whose egress goes elsewhere (transit gateway, firewall): their addresses are unknown.
 */
export function diagnoseEndpointAccess({
  region,
  cluster,
  network,
  subnets,
}: EndpointAccessInput): Finding | undefined {
  if (!cluster.endpointPublicAccess || cluster.endpointPrivateAccess) return undefined;
  const allowed = cluster.publicAccessCidrs;
  if (allowed.length === 0 || !allowed.every((c) => parseCidr(c))) return undefined;

  const excluded: EgressIp[] = [];
  for (const egress of subnets.flatMap((s) => egressIps(network, s.subnetId, s.instances))) {
    if (parseIpv4(egress.ip) === undefined) continue;
    if (allowed.some((cidr) => cidrContains(cidr, egress.ip))) continue;
    excluded.push(egress);
  }
  if (excluded.length === 0) return undefined;

  const ips = [...new Set(excluded.map((e) => e.ip))];
  const subnetIds = [...new Set(excluded.map((e) => e.subnetId))];
  const instanceIds = [...new Set(excluded.flatMap((e) => e.instanceIds))];
  const from = excluded.map((e) => `${e.ip} (${e.via}, for ${e.subnetId})`);
  const name = cluster.name;
  return {
    code: 'ENDPOINT_ACCESS_EXCLUDES_NODES',
    severity: 'critical',
    resourceId: cluster.arn ?? name,
    ...(subnetIds.length === 1 && { subnetId: subnetIds[0] }),
    ...(instanceIds.length > 0 && { instanceIds }),
    message: `The endpoint of cluster ${name} is public only and accepts ${allowed.join(', ')} (publicAccessCidrs), but nodes reach it from ${[...new Set(from)].join(', ')}, which none of them holds: the API server refuses them.`,
    fix: [
      `# Let the nodes' addresses in (the existing CIDR blocks are kept):`,
      `aws eks update-cluster-config --name ${name} --resources-vpc-config publicAccessCidrs=${[...allowed, ...ips.map((ip) => `${ip}/32`)].join(',')} --region ${region}`,
      '# or let nodes use a private endpoint inside the VPC:',
      `aws eks update-cluster-config --name ${name} --resources-vpc-config endpointPrivateAccess=true --region ${region}`,
    ].join('\n'),
  };
}

function egressIps(network: NetworkSnapshot, subnetId: string, instances: Instance[]): EgressIp[] {
  const live = liveDefaultRoute(network, subnetId);
  if (!live) return [];
  const instanceIds = instances.map((i) => i.instanceId);
  if (live.natGateway) {
    const nat = live.natGateway;
    if (nat.connectivityType !== 'public') return [];
    return nat.publicIps.map((ip) => ({ ip, via: `NAT gateway ${nat.natGatewayId}`, subnetId, instanceIds }));
  }
  if (live.route.target.kind === 'internet-gateway') {
    return instances.flatMap((i) =>
      i.publicIp
        ? [{ ip: i.publicIp, via: `public IP of ${i.instanceId}`, subnetId, instanceIds: [i.instanceId] }]
        : [],
    );
  }
  return [];
}
