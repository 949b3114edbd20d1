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

/** How a person reads which table a subnet uses: its own, or the VPC main table by default. */
export function describeEffectiveTable(subnetId: string, { table, source }: EffectiveRouteTable): string {
  return source === 'explicit'
    ? `Route table ${table.routeTableId} (explicitly associated with ${subnetId})`
    : `The VPC main route table ${table.routeTableId} (used by ${subnetId}, which has no explicit association)`;
}
