import type { NetworkSnapshot, RouteTable } from '../model/types.js';

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

/**
 * Every subnet whose traffic a table routes: its explicit associations, and for the main table also
 * each subnet of the VPC that no table is explicitly associated with. This is what a write to the
 * table changes.
 */
export function servedSubnetIds(network: NetworkSnapshot, table: RouteTable): string[] {
  if (!table.main) return [...table.subnetIds];
  const associated = new Set(network.routeTables.flatMap((t) => t.subnetIds));
  const unassociated = network.subnets
    .filter((s) => s.vpcId === table.vpcId && !associated.has(s.subnetId))
    .map((s) => s.subnetId);
  return [...new Set([...table.subnetIds, ...unassociated])];
}

/** How a person reads which table a subnet uses: its own, or the VPC main table by default. */
export function describeEffectiveTable(subnetId: string, { table, source }: EffectiveRouteTable): string {
  return source === 'explicit'
    ? `Route table ${table.routeTableId} (explicitly associated with ${subnetId})`
    : `The VPC main route table ${table.routeTableId} (used by ${subnetId}, which has no explicit association)`;
}
