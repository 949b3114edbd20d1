/**
 * planRoute on tables the seed does not have: split dead routes, IPv6-only egress, internet egress
 * through split routes, a NAT gateway chosen by the zone of the unjoined subnet, the undo of each
 * write, and withFresh, the network a re-plan is made on.
 */
import { describe, expect, it } from 'vitest';
import type { NetworkSnapshot, Route } from '../../../functions/core/model/types.js';
import { planRoute, type RouteContext, withFresh } from '../../../functions/core/remediate/planRoute.js';
import {
  NAT,
  NEW_SUBNET,
  NEW_TABLE,
  natGateway,
  PRIVATE_SUBNET,
  PUBLIC_SUBNET,
  route,
  routeTable,
  seedNetwork,
  withNatInZoneB,
  ZONE_B_PUBLIC_SUBNET,
} from '../../support/factories.js';

const DEAD = 'nat-0dead00000000000d';

function context(network: NetworkSnapshot): RouteContext {
  return {
    region: 'us-west-2',
    network,
    clusterSubnetIds: new Set([PUBLIC_SUBNET, PRIVATE_SUBNET, NEW_SUBNET, ZONE_B_PUBLIC_SUBNET]),
    allowMainRouteTable: false,
    allowSharedRouteTable: false,
  };
}

function planOn(routes: Route[], network = seedNetwork()) {
  const table = routeTable(NEW_TABLE, [NEW_SUBNET], routes);
  network.routeTables = network.routeTables.map((t) => (t.routeTableId === NEW_TABLE ? table : t));
  return planRoute(context(network), table, NEW_SUBNET);
}

const deadNat = { kind: 'nat-gateway', id: DEAD } as const;

describe('planRoute: tables it leaves alone', () => {
  it('refuses a dead split route, naming it: only a dead default route is replaced', () => {
    const network = seedNetwork({
      natGateways: [natGateway(), natGateway({ natGatewayId: DEAD, state: 'deleted' })],
    });
    const action = planOn([route('0.0.0.0/1', deadNat), route('128.0.0.0/1', deadNat)], network);
    expect(action).toMatchObject({ status: 'skipped', reasonCode: 'SPLIT_ROUTE' });
    expect(action.before).toContain(DEAD);
    expect(action.before).toContain('/1');
  });

  it('refuses a dead default route that is not to a NAT gateway, naming it', () => {
    const action = planOn([route('0.0.0.0/0', { kind: 'transit-gateway', id: 'tgw-0aaa' }, 'blackhole')]);
    expect(action).toMatchObject({ status: 'skipped', reasonCode: 'ROUTE_NOT_NAT' });
    expect(action.before).toContain('tgw-0aaa');
  });

  it('refuses a table whose only way out is IPv6, naming the route', () => {
    const action = planOn([route('::/0', { kind: 'egress-only-internet-gateway', id: 'eigw-0aaa' })]);
    expect(action).toMatchObject({ status: 'skipped', reasonCode: 'IPV6_ONLY' });
    expect(action.before).toContain('eigw-0aaa');
  });

  it('names every route of an internet way out made of split routes', () => {
    const igw = { kind: 'internet-gateway', id: 'igw-0fedcba9876543210' } as const;
    const action = planOn([route('0.0.0.0/1', igw), route('128.0.0.0/1', igw)]);
    expect(action).toMatchObject({ status: 'skipped', reasonCode: 'EGRESS_PRESENT' });
    expect(action.before.split(', ')).toHaveLength(2);
  });

  it('says there is no default route when the table has none', () => {
    expect(planOn([]).before).toBe('no 0.0.0.0/0 route');
  });
});

describe('planRoute: the write', () => {
  it('chooses the NAT gateway in the zone of the unjoined subnet', () => {
    const network = withNatInZoneB('nat-0zoneb0000000001');
    network.natGateways.push(natGateway());
    network.subnets = network.subnets.map((s) =>
      s.subnetId === NEW_SUBNET ? { ...s, availabilityZone: 'us-west-2b' } : s,
    );
    const action = planOn([], network);
    expect(action).toMatchObject({ status: 'planned', natGatewayId: 'nat-0zoneb0000000001' });
    expect(action).not.toHaveProperty('crossZone');
  });

  it('undoes a created route by deleting it, and a replaced one by restoring its old target', () => {
    const created = planOn([]);
    expect(created.undo).toContain('delete-route');
    expect(created.undo).toContain(NEW_TABLE);

    const network = seedNetwork({
      natGateways: [natGateway(), natGateway({ natGatewayId: DEAD, state: 'deleted' })],
    });
    const replaced = planOn([route('0.0.0.0/0', deadNat)], network);
    expect(replaced).toMatchObject({ type: 'replace-route', status: 'planned', natGatewayId: NAT });
    expect(replaced.undo).toContain('replace-route');
    expect(replaced.undo).toContain(`--nat-gateway-id ${DEAD}`);
    expect(replaced.undo).not.toContain('delete-route');
  });
});

describe('withFresh', () => {
  it('puts the fresh table in place and replaces only the NAT gateways asked about', () => {
    const network = seedNetwork({ natGateways: [natGateway(), natGateway({ natGatewayId: DEAD })] });
    const table = routeTable(NEW_TABLE, [NEW_SUBNET], [route('0.0.0.0/0', { kind: 'nat-gateway', id: NAT })]);
    const fresh = withFresh(network, table, [DEAD], [natGateway({ natGatewayId: DEAD, state: 'deleted' })]);
    expect(fresh.routeTables.find((t) => t.routeTableId === NEW_TABLE)).toBe(table);
    expect(fresh.routeTables).toHaveLength(network.routeTables.length);
    expect(fresh.natGateways.map((n) => [n.natGatewayId, n.state])).toEqual([
      [NAT, 'available'],
      [DEAD, 'deleted'],
    ]);
    expect(withFresh(network, table, [DEAD], []).natGateways.map((n) => n.natGatewayId)).toEqual([NAT]);
  });
});
