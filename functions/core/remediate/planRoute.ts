import { chooseNatGateway } from '../diagnose/chooseNatGateway.js';
import { servedSubnetIds } from '../diagnose/effectiveRouteTable.js';
import { analyseEgress, isDeadForGood } from '../diagnose/egress.js';
import { routeFix } from '../diagnose/routeCommands.js';
import { DEFAULT_ROUTE, describeRoute, targetId } from '../model/describeRoute.js';
import { MANAGED_TAG } from '../model/settings.js';
import type {
  NatGateway,
  NetworkSnapshot,
  ReasonCode,
  Route,
  RouteAction,
  RouteTable,
} from '../model/types.js';
import { withReason } from './reasons.js';

export interface RouteContext {
  region: string;
  /** The VPC's network; the table is read from here unless given fresh. */
  network: NetworkSnapshot;
  /** Subnets of the cluster and of every nodegroup of it: a table that serves any other is shared. */
  clusterSubnetIds: ReadonlySet<string>;
  allowMainRouteTable: boolean;
  allowSharedRouteTable: boolean;
}

/**
 * What to write to one route table so that `subnetId` gets a way out, decided on the table as it is
 * (from the snapshot when planning, from a fresh read just before the write). Pure. The route is
 * written only when the table has no egress at all (create) or its default route goes to a NAT
 * gateway that is dead for good (replace), never to a main or shared table unless allowed, and only
 * to a NAT gateway that is proven to lead out. Everything else comes back `skipped` with its code.
 */
export function planRoute(context: RouteContext, table: RouteTable, subnetId: string): RouteAction {
  const { network, region } = context;
  const egress = analyseEgress(table, network);
  const current = table.routes.find((r) => r.destination === DEFAULT_ROUTE);
  const base: RouteAction = {
    type: egress.kind === 'dead' ? 'replace-route' : 'create-route',
    resourceId: table.routeTableId,
    routeTableId: table.routeTableId,
    destination: DEFAULT_ROUTE,
    subnetIds: servedSubnetIds(network, table),
    subnetId,
    status: 'planned',
    reason: '',
    before: egressWords(egress.kind === 'internet' ? egress.routes : current ? [current] : []),
    ...(current && { previous: current }),
  };
  const skip = (reasonCode: ReasonCode, extra: Partial<RouteAction> = {}): RouteAction =>
    withReason({ ...base, ...extra, status: 'skipped', reasonCode });

  switch (egress.kind) {
    case 'internet':
      return skip('EGRESS_PRESENT');
    case 'unknown':
      return skip('EGRESS_UNKNOWN', {
        prefixListId: egress.prefixListId,
        before: describeRoute(egress.route),
      });
    case 'ipv6-only':
      return skip('IPV6_ONLY', { before: describeRoute(egress.route) });
    case 'dead': {
      const { route, cause } = egress;
      if (route.target.kind !== 'nat-gateway') return skip('ROUTE_NOT_NAT', { before: describeRoute(route) });
      if (route.destination !== DEFAULT_ROUTE) return skip('SPLIT_ROUTE', { before: describeRoute(route) });
      if (!isDeadForGood(cause)) return skip('ROUTE_NOT_DEAD');
      break;
    }
    case 'none':
      break;
  }

  const zone = network.subnets.find((s) => s.subnetId === subnetId)?.availabilityZone;
  const { choice, rejected } = chooseNatGateway(network, zone, table.routeTableId);
  const manualFix = routeFix(base.type, region, network, table.routeTableId, zone, choice);
  if (table.main && !context.allowMainRouteTable) return skip('MAIN_ROUTE_TABLE', { manualFix });
  const outside = base.subnetIds.filter((s) => !context.clusterSubnetIds.has(s));
  const managed = table.tags?.[MANAGED_TAG] === 'true';
  if (!table.main && outside.length > 0 && !managed && !context.allowSharedRouteTable) {
    return skip('SHARED_ROUTE_TABLE', { outsideSubnetIds: outside, manualFix });
  }
  if (!choice) return skip('NO_USABLE_NAT', { rejectedNatGateways: rejected, manualFix });
  const natGatewayId = choice.natGateway.natGatewayId;
  return withReason({
    ...base,
    target: natGatewayId,
    natGatewayId,
    after: `${DEFAULT_ROUTE} → ${natGatewayId} (active)`,
    ...(!choice.sameZone && { crossZone: true }),
    undo: undoRoute(base, region),
  });
}

/**
 * The network with a table and some NAT gateways as read just now, for a re-plan: the gateways asked
 * about are replaced by what was found (an id not found is gone).
 */
export function withFresh(
  network: NetworkSnapshot,
  table: RouteTable,
  askedNatGatewayIds: string[],
  found: NatGateway[],
): NetworkSnapshot {
  const asked = new Set(askedNatGatewayIds);
  return {
    ...network,
    routeTables: network.routeTables.map((t) => (t.routeTableId === table.routeTableId ? table : t)),
    natGateways: [...network.natGateways.filter((n) => !asked.has(n.natGatewayId)), ...found],
  };
}

/** `0.0.0.0/0 → nat-… (active)`, or what stands in for it. */
function egressWords(routes: Route[]): string {
  if (routes.length === 0) return `no ${DEFAULT_ROUTE} route`;
  return routes.map(describeRoute).join(', ');
}

function undoRoute(action: RouteAction, region: string): string {
  const { routeTableId, previous } = action;
  if (action.type === 'create-route' || !previous) {
    return `aws ec2 delete-route --route-table-id ${routeTableId} --destination-cidr-block ${DEFAULT_ROUTE} --region ${region}`;
  }
  const flag = TARGET_FLAGS[previous.target.kind] ?? '--gateway-id';
  return `aws ec2 replace-route --route-table-id ${routeTableId} --destination-cidr-block ${DEFAULT_ROUTE} ${flag} ${targetId(previous.target)} --region ${region}`;
}

const TARGET_FLAGS: Partial<Record<Route['target']['kind'], string>> = {
  'nat-gateway': '--nat-gateway-id',
  'internet-gateway': '--gateway-id',
  'transit-gateway': '--transit-gateway-id',
  'vpc-peering': '--vpc-peering-connection-id',
  'network-interface': '--network-interface-id',
  instance: '--instance-id',
  'vpc-endpoint': '--vpc-endpoint-id',
  'egress-only-internet-gateway': '--egress-only-internet-gateway-id',
  'local-gateway': '--local-gateway-id',
  'carrier-gateway': '--carrier-gateway-id',
  'core-network': '--core-network-arn',
};
