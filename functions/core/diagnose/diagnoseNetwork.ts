import type { Cluster, Finding, Instance, NetworkSnapshot } from '../model/types.js';
import { diagnoseEndpointAccess } from './diagnoseEndpointAccess.js';
import { diagnoseNetworkAcl } from './diagnoseNetworkAcl.js';
import { diagnoseSubnetRouting } from './diagnoseRouting.js';
import { diagnoseSecurityGroups } from './diagnoseSecurityGroups.js';
import { diagnoseVpcDns } from './diagnoseVpcDns.js';

export interface SubnetToDiagnose {
  subnetId: string;
  /** The instances to explain (unjoined, past the join window); empty at preflight. */
  instances: Instance[];
}

export interface NetworkDiagnosisInput {
  region: string;
  cluster: Cluster;
  /** One VPC's network, as read once per invocation. */
  network: NetworkSnapshot;
  /** Subnets of that VPC to judge. */
  subnets: SubnetToDiagnose[];
  /** Interface endpoint services a private cluster needs beyond ec2, ecr.api, ecr.dkr and sts (e.g. logs). */
  additionalEndpointServices?: string[];
}

/**
 * Every network cause of nodes not joining, for the given subnets of one VPC: routing (a private
 * cluster's subnet without a default route is judged by its VPC endpoints instead), the VPC's DNS
 * attributes, the public endpoint's allowed CIDR blocks, network ACLs and security groups. Pure.
 *
 * Works for unjoined instances and at preflight (subnets without instances): checks that need an
 * instance (NO_PUBLIC_IP, security groups, an instance's public IP) are then skipped, and so is any
 * check whose part of the snapshot is absent. Order: routing, DNS, endpoint access, ACLs, groups.
 */
export function diagnoseNetwork({
  region,
  cluster,
  network,
  subnets,
  additionalEndpointServices,
}: NetworkDiagnosisInput): Finding[] {
  const merged = mergeBySubnet(subnets);
  const routing: Finding[] = [];
  const acls: Finding[] = [];
  const groups: Finding[] = [];
  for (const { subnetId, instances } of merged) {
    const instanceIds = instances.map((i) => i.instanceId);
    const route = diagnoseSubnetRouting({
      region,
      cluster,
      network,
      subnetId,
      instances,
      ...(additionalEndpointServices && { additionalEndpointServices }),
    });
    if (route) routing.push(route);
    const acl = diagnoseNetworkAcl({ region, cluster, network, subnetId, instanceIds });
    if (acl) acls.push(acl);
    groups.push(...diagnoseSecurityGroups({ region, cluster, network, subnetId, instances }));
  }
  const dns = diagnoseVpcDns({ region, cluster, network });
  const access = diagnoseEndpointAccess({ region, cluster, network, subnets: merged });
  return [...routing, ...(dns ? [dns] : []), ...(access ? [access] : []), ...acls, ...groups];
}

/** One entry per subnet, its instances together, in the order first given. */
function mergeBySubnet(subnets: SubnetToDiagnose[]): SubnetToDiagnose[] {
  const bySubnet = new Map<string, Instance[]>();
  for (const { subnetId, instances } of subnets) {
    const known = bySubnet.get(subnetId) ?? [];
    for (const instance of instances) {
      if (!known.some((i) => i.instanceId === instance.instanceId)) known.push(instance);
    }
    bySubnet.set(subnetId, known);
  }
  return [...bySubnet].map(([subnetId, instances]) => ({ subnetId, instances }));
}

/** The subnets of some instances, each with its instances: the `subnets` input for unjoined nodes. */
export function subnetsOf(instances: Instance[]): SubnetToDiagnose[] {
  return mergeBySubnet(
    instances.flatMap((i) => (i.subnetId ? [{ subnetId: i.subnetId, instances: [i] }] : [])),
  );
}
