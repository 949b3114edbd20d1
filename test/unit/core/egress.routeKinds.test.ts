import { describe, expect, it } from 'vitest';
import {
  analyseEgress,
  deadCause,
  type Egress,
  summariseEgress,
} from '../../../functions/core/diagnose/egress.js';
import type {
  EgressSummary,
  NetworkSnapshot,
  PrefixList,
  Route,
  VpcEndpoint,
} from '../../../functions/core/model/types.js';
import {
  IGW,
  NAT,
  NEW_SUBNET,
  NEW_TABLE,
  natGateway,
  route,
  routeTable,
  seedNetwork,
} from '../../support/factories.js';
import { interfaceEndpoint, s3Gateway } from '../../support/networkFactories.js';

const toNat = (id = NAT) => ({ kind: 'nat-gateway' as const, id });
const toIgw = { kind: 'internet-gateway' as const, id: IGW };
const PEERING = { kind: 'vpc-peering' as const, id: 'pcx-0a1b2c3d4e5f60789' };
const INSPECTION = 'vpce-0gwlb00000000000001';

/** How the new subnet's table, holding `routes` after the local one, lets traffic out. */
function egressOf(routes: Route[], overrides: Partial<NetworkSnapshot> = {}): Egress {
  return analyseEgress(routeTable(NEW_TABLE, [NEW_SUBNET], routes), seedNetwork(overrides));
}

const prefixList = (prefixListId: string, overrides: Partial<PrefixList> = {}): PrefixList => ({
  prefixListId,
  ownerId: '123456789012',
  addressFamily: 'IPv4',
  ...overrides,
});

describe('routes to prefix lists', () => {
  it('reads the entries of the very list the route names', () => {
    const egress = egressOf([route('pl-0internet', toNat())], {
      prefixLists: [
        prefixList('pl-0onprem', { cidrs: ['192.168.0.0/16'] }),
        prefixList('pl-0internet', { cidrs: ['0.0.0.0/0'] }),
      ],
    });
    expect(egress).toMatchObject({ kind: 'internet', natGateway: { natGatewayId: NAT } });
  });

  it('reads a CIDR route next to a prefix-list route as a CIDR block', () => {
    const egress = egressOf([route('pl-0onprem', PEERING), route('0.0.0.0/0', toNat())], {
      prefixLists: [prefixList('pl-0onprem', { cidrs: ['192.168.0.0/16'] })],
    });
    expect(egress).toMatchObject({ kind: 'internet', routes: [route('0.0.0.0/0', toNat())] });
  });

  it('counts a list that mixes private space with the internet as a way out', () => {
    const egress = egressOf([route('pl-0mixed', toNat())], {
      prefixLists: [prefixList('pl-0mixed', { cidrs: ['10.0.0.0/8', '0.0.0.0/0'] })],
    });
    expect(egress.kind).toBe('internet');
  });

  it.each<[string, Partial<NetworkSnapshot>, Route['target']]>([
    ['an AWS-managed list', { prefixLists: [prefixList('pl-0unread', { ownerId: 'AWS' })] }, toIgw],
    ['an IPv6 list', { prefixLists: [prefixList('pl-0unread', { addressFamily: 'IPv6' })] }, toIgw],
    [
      "a gateway endpoint's list",
      { vpcEndpoints: [interfaceEndpoint('ecr.api'), s3Gateway({ vpcEndpointId: 'vpce-0s3' })] },
      { kind: 'vpc-endpoint', id: 'vpce-0s3' },
    ],
  ])('ignores %s whose entries could not be read: it cannot be the way out', (_, network, target) => {
    expect(egressOf([route('pl-0unread', target)], network).kind).toBe('none');
  });

  it.each<[string, VpcEndpoint[] | undefined]>([
    [
      'next to a gateway endpoint',
      [s3Gateway(), interfaceEndpoint('ecr.api', { vpcEndpointId: INSPECTION, type: 'GatewayLoadBalancer' })],
    ],
    ['with no endpoints read', undefined],
  ])('judges an unread list through an inspection endpoint unknown (%s)', (_, vpcEndpoints) => {
    const inspected = route('pl-0unread', { kind: 'vpc-endpoint', id: INSPECTION });
    expect(egressOf([inspected], { vpcEndpoints })).toEqual({
      kind: 'unknown',
      route: inspected,
      prefixListId: 'pl-0unread',
    });
  });

  it('judges a destination that is no CIDR block unknown', () => {
    expect(egressOf([route('not-a-cidr', toNat())]).kind).toBe('unknown');
  });
});

describe('dead routes', () => {
  it('names the dead default route even when another dead route comes first', () => {
    const deadDefault = route('0.0.0.0/0', toIgw, 'blackhole');
    expect(egressOf([route('0.0.0.0/1', toNat('nat-0gone')), deadDefault])).toEqual({
      kind: 'dead',
      route: deadDefault,
      cause: { kind: 'blackhole' },
    });
  });

  it('names a dead internet route, not a dead route to private space', () => {
    const deadHalf = route('0.0.0.0/1', toNat('nat-0gone'));
    const egress = egressOf([
      route('10.0.0.0/8', PEERING, 'blackhole'),
      deadHalf,
      route('128.0.0.0/1', toIgw),
    ]);
    expect(egress).toEqual({
      kind: 'dead',
      route: deadHalf,
      cause: { kind: 'nat-gone', natGatewayId: 'nat-0gone' },
    });
  });

  it('is no way out at all when the dead routes would not cover the internet either', () => {
    expect(egressOf([route('0.0.0.0/1', toNat('nat-0gone'))]).kind).toBe('none');
  });

  it('says a blackhole route is a blackhole', () => {
    expect(deadCause(route('0.0.0.0/0', toIgw, 'blackhole'), seedNetwork())).toEqual({ kind: 'blackhole' });
  });
});

describe('the NAT gateway behind internet egress', () => {
  it('is the one of the default route, even when it is not the first route', () => {
    const second = natGateway({ natGatewayId: 'nat-0second000000000' });
    const egress = egressOf([route('128.0.0.0/1', toIgw), route('0.0.0.0/0', toNat(second.natGatewayId))], {
      natGateways: [natGateway(), second],
    });
    expect(egress).toMatchObject({ kind: 'internet', natGateway: second });
  });
});

describe('IPv6 only', () => {
  it.each([
    ['an egress-only internet gateway', { kind: 'egress-only-internet-gateway' as const, id: 'eigw-0abc' }],
    ['an internet gateway', toIgw],
  ])('counts ::/0 to %s', (_, target) => {
    expect(egressOf([route('::/0', target)]).kind).toBe('ipv6-only');
  });

  it.each<[string, Route]>([
    [
      'a blackhole ::/0',
      route('::/0', { kind: 'egress-only-internet-gateway', id: 'eigw-0abc' }, 'blackhole'),
    ],
    ['::/0 to a transit gateway', route('::/0', { kind: 'transit-gateway', id: 'tgw-0abc' })],
    [
      'a narrower IPv6 route',
      route('2600:1f14::/56', { kind: 'egress-only-internet-gateway', id: 'eigw-0abc' }),
    ],
  ])('does not count %s', (_, ipv6) => {
    expect(egressOf([ipv6]).kind).toBe('none');
  });
});

describe('the summary the report shows', () => {
  const natDefault = route('0.0.0.0/0', toNat());
  const rows: [Egress, EgressSummary][] = [
    [
      { kind: 'internet', routes: [natDefault] },
      { kind: 'internet', routes: [`0.0.0.0/0 → ${NAT} (active)`] },
    ],
    [
      { kind: 'unknown', route: route('pl-0x', toIgw), prefixListId: 'pl-0x' },
      { kind: 'unknown', routes: [`pl-0x → ${IGW} (active)`], prefixListId: 'pl-0x' },
    ],
    [
      { kind: 'dead', route: natDefault, cause: { kind: 'nat-gone', natGatewayId: NAT } },
      { kind: 'dead', routes: [`0.0.0.0/0 → ${NAT} (active)`] },
    ],
    [
      { kind: 'ipv6-only', route: route('::/0', toIgw) },
      { kind: 'ipv6-only', routes: [`::/0 → ${IGW} (active)`] },
    ],
    [{ kind: 'none' }, { kind: 'none', routes: [] }],
  ];
  it.each(rows.map(([egress, summary]) => [egress.kind, egress, summary] as const))(
    'summarises egress of kind %s',
    (_, egress, summary) => {
      expect(summariseEgress(egress)).toEqual(summary);
    },
  );
});
