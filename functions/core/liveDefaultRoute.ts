import { findDefaultRoute } from './describeRoute.js';
import { effectiveRouteTable } from './effectiveRouteTable.js';
import type { NatGateway, NetworkSnapshot, Route } from './types.js';

export interface LiveDefaultRoute {
  route: Route;
  /** The NAT gateway the route goes to, when it goes to one. */
  natGateway?: NatGateway;
}

/**
 * The subnet's default route when it can carry traffic: present, not a blackhole, and (for a NAT
 * gateway target) to a NAT gateway that exists and is available. Other targets count as live: what
 * lies behind a transit gateway or a firewall cannot be seen from here.
 */
export function liveDefaultRoute(network: NetworkSnapshot, subnetId: string): LiveDefaultRoute | undefined {
  const table = effectiveRouteTable(network, subnetId)?.table;
  const route = table && findDefaultRoute(table.routes);
  if (!route || route.state === 'blackhole') return undefined;
  if (route.target.kind !== 'nat-gateway') return { route };
  const { id } = route.target;
  if (natProblem(network, id)) return undefined;
  return { route, natGateway: network.natGateways.find((n) => n.natGatewayId === id) };
}

/** Why a NAT gateway that a route points at cannot carry traffic, or undefined when it can. */
export function natProblem(network: NetworkSnapshot, natGatewayId: string): string | undefined {
  const nat = network.natGateways.find((n) => n.natGatewayId === natGatewayId);
  if (!nat) return `its NAT gateway ${natGatewayId} does not exist any more`;
  if (nat.state !== 'available') return `its NAT gateway ${natGatewayId} is ${nat.state}`;
  return undefined;
}
