import { DEFAULT_ROUTE } from '../model/describeRoute.js';
import type { NatGateway, NatRejection, NetworkSnapshot } from '../model/types.js';
import { effectiveRouteTable } from './effectiveRouteTable.js';

export interface NatChoice {
  natGateway: NatGateway;
  /** False when the only usable NAT gateways are in other zones: traffic then crosses zones. */
  sameZone: boolean;
}

export interface NatSearch {
  choice?: NatChoice;
  /** Every other NAT gateway of the VPC and why it does not lead out. */
  rejected: { natGatewayId: string; why: NatRejection }[];
}

/**
 * Picks the NAT gateway a subnet's default route should use, among those that really lead out (see
 * `natRejection`), in the subnet's availability zone first (no cross-zone charges, no dependency on
 * another zone), then by id so the choice is stable.
 */
export function chooseNatGateway(
  network: NetworkSnapshot,
  availabilityZone?: string,
  patchedRouteTableId?: string,
): NatSearch {
  const zoneOf = new Map(network.subnets.map((s) => [s.subnetId, s.availabilityZone]));
  const rejected: NatSearch['rejected'] = [];
  const usable: NatGateway[] = [];
  for (const nat of [...network.natGateways].sort((a, b) => a.natGatewayId.localeCompare(b.natGatewayId))) {
    const why = natRejection(network, nat, patchedRouteTableId);
    if (why) rejected.push({ natGatewayId: nat.natGatewayId, why });
    else usable.push(nat);
  }
  const sameZone = usable.find((n) => availabilityZone && zoneOf.get(n.subnetId) === availabilityZone);
  if (sameZone) return { choice: { natGateway: sameZone, sameZone: true }, rejected };
  const other = usable[0];
  return other ? { choice: { natGateway: other, sameZone: false }, rejected } : { rejected };
}

/**
 * Why a NAT gateway would not carry a subnet's traffic to the internet, or undefined when it would:
 * same VPC, available, public connectivity, not in a subnet served by the table being patched (a
 * loop), and its own subnet's effective route table sends `0.0.0.0/0`, active, to an internet gateway
 * attached to the VPC.
 */
export function natRejection(
  network: NetworkSnapshot,
  nat: NatGateway,
  patchedRouteTableId?: string,
): NatRejection | undefined {
  if (nat.vpcId !== network.vpcId) return 'OTHER_VPC';
  if (nat.state !== 'available') return 'NOT_AVAILABLE';
  if (nat.connectivityType !== 'public') return 'PRIVATE_CONNECTIVITY';
  const table = effectiveRouteTable(network, nat.subnetId)?.table;
  if (!table) return 'NO_INTERNET_ROUTE';
  if (table.routeTableId === patchedRouteTableId) return 'IN_PATCHED_TABLE';
  const route = table.routes.find((r) => r.destination === DEFAULT_ROUTE);
  if (route?.target.kind !== 'internet-gateway' || route.state !== 'active') return 'NO_INTERNET_ROUTE';
  if (!network.internetGateways) return 'INTERNET_GATEWAYS_UNKNOWN';
  const { id } = route.target;
  const gateway = network.internetGateways.find((g) => g.internetGatewayId === id);
  return gateway?.attachedVpcIds.includes(network.vpcId) ? undefined : 'INTERNET_GATEWAY_NOT_ATTACHED';
}
