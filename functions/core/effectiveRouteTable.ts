import type { NetworkSnapshot, RouteTable } from './types.js';

export interface EffectiveRouteTable {
  table: RouteTable;
  /** `explicit`: associated with the subnet; `main`: the VPC main table, used by every unassociated subnet. */
  source: 'explicit' | 'main';
}

/** The route table EC2 uses for a subnet: its explicit association, else the VPC's main table. */
export function effectiveRouteTable(
  network: NetworkSnapshot,
  subnetId: string,
): EffectiveRouteTable | undefined {
  const explicit = network.routeTables.find((t) => t.subnetIds.includes(subnetId));
  if (explicit) return { table: explicit, source: 'explicit' };
  const main = network.routeTables.find((t) => t.main && t.vpcId === network.vpcId);
  return main ? { table: main, source: 'main' } : undefined;
}
