import type { NatGateway, NetworkSnapshot, Route } from '../model/types.js';
import { effectiveRouteTable } from './effectiveRouteTable.js';
import { analyseEgress } from './egress.js';

export interface LiveDefaultRoute {
  route: Route;
  /** The NAT gateway the route goes to, when it goes to one. */
  natGateway?: NatGateway;
}

/**
 * The route the subnet's internet traffic takes when it can reach the internet (see `analyseEgress`):
 * the `0.0.0.0/0` route, else the first of the routes that together cover the internet. Targets other
 * than NAT gateways count as live: what lies behind a transit gateway or a firewall cannot be seen.
 */
export function liveDefaultRoute(network: NetworkSnapshot, subnetId: string): LiveDefaultRoute | undefined {
  const table = effectiveRouteTable(network, subnetId)?.table;
  if (!table) return undefined;
  const egress = analyseEgress(table, network);
  if (egress.kind !== 'internet') return undefined;
  const route = egress.routes.find((r) => r.destination === '0.0.0.0/0') ?? egress.routes[0];
  if (!route) return undefined;
  return { route, ...(egress.natGateway && { natGateway: egress.natGateway }) };
}
