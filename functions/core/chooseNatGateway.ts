import type { NatGateway, NetworkSnapshot } from './types.js';

export interface NatChoice {
  natGateway: NatGateway;
  /** False when the only available NAT gateways are in other zones: traffic then crosses zones. */
  sameZone: boolean;
}

/**
 * Picks the NAT gateway a subnet's default route should use: an available public NAT gateway of the
 * same VPC, in the subnet's availability zone first (no cross-zone charges, no dependency on another
 * zone). Private NAT gateways give no internet egress, so they never qualify.
 */
export function chooseNatGateway(network: NetworkSnapshot, availabilityZone?: string): NatChoice | undefined {
  const zoneOf = new Map(network.subnets.map((s) => [s.subnetId, s.availabilityZone]));
  const candidates = network.natGateways
    .filter((n) => n.vpcId === network.vpcId && n.state === 'available' && n.connectivityType === 'public')
    .sort((a, b) => a.natGatewayId.localeCompare(b.natGatewayId));
  const sameZone = candidates.find((n) => availabilityZone && zoneOf.get(n.subnetId) === availabilityZone);
  if (sameZone) return { natGateway: sameZone, sameZone: true };
  const other = candidates[0];
  return other ? { natGateway: other, sameZone: false } : undefined;
}
