import type { Cluster, NetworkSnapshot } from '../model/types.js';
import { ALL_IPV4, type Ipv4Range, parseCidr, subtractRange } from './cidr.js';
import { liveDefaultRoute } from './liveDefaultRoute.js';

export interface ClusterDestination {
  kind: 'internet' | 'vpc';
  /** How a person reads it: `the internet`, `the VPC (10.42.0.0/16)`. */
  label: string;
  /** The addresses it stands for. The internet: everything outside the VPC. */
  ranges: Ipv4Range[];
  /** What a fix opens to reach it. */
  cidrs: string[];
}

/**
 * Where nodes in a subnet send HTTPS to join: the internet (the public endpoint, and ECR, STS and S3
 * without VPC endpoints), and the VPC itself when the cluster has private endpoint access (the API
 * server's network interfaces and the interface endpoints live there). With private access, a subnet
 * without a live default route cannot reach the internet anyway, so the VPC is its only destination.
 * Undefined when the VPC's CIDR blocks are needed but not known: then nothing is judged.
 */
export function clusterDestinations(
  cluster: Cluster,
  network: NetworkSnapshot,
  subnetId: string,
): ClusterDestination[] | undefined {
  const vpcCidrs = network.cidrBlocks;
  const vpcRanges = (vpcCidrs ?? []).map(parseCidr).filter((r): r is Ipv4Range => !!r);
  const destinations: ClusterDestination[] = [];
  if (!cluster.endpointPrivateAccess || liveDefaultRoute(network, subnetId)) {
    destinations.push({
      kind: 'internet',
      label: 'the internet',
      ranges: vpcRanges.reduce(subtractRange, [ALL_IPV4]),
      cidrs: ['0.0.0.0/0'],
    });
  }
  if (cluster.endpointPrivateAccess) {
    if (!vpcCidrs || vpcRanges.length === 0) return undefined;
    destinations.push({
      kind: 'vpc',
      label: `the VPC (${vpcCidrs.join(', ')})`,
      ranges: vpcRanges,
      cidrs: vpcCidrs,
    });
  }
  return destinations;
}
