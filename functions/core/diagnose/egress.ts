import { DEFAULT_ROUTE, describeRoute } from '../model/describeRoute.js';
import type { EgressSummary, NatGateway, NetworkSnapshot, Route, RouteTable } from '../model/types.js';
import { ALL_IPV4, type Ipv4Range, overlapsAny, parseCidr, parseCidrs, subtractAll } from './cidr.js';

/**
 * Special-purpose IPv4 ranges (RFC 6890): private, shared, loopback, link-local, multicast and
 * reserved space. None of them is the internet, so routes need not cover them to count as egress;
 * an internet-minus-RFC-1918 prefix list to an inspection VPC is egress.
 */
const NOT_INTERNET = [
  '0.0.0.0/8',
  '10.0.0.0/8',
  '100.64.0.0/10',
  '127.0.0.0/8',
  '169.254.0.0/16',
  '172.16.0.0/12',
  '192.168.0.0/16',
  '224.0.0.0/4',
  '240.0.0.0/4',
];
const INTERNET_RANGES: Ipv4Range[] = subtractAll([ALL_IPV4], parseCidrs(NOT_INTERNET));

const IPV6_DEFAULT_ROUTE = '::/0';

type DestinationKind = 'ipv4' | 'ipv6' | 'prefix-list';

/** What a route's destination is: EC2 reports a CIDR block (v4 or v6) or a prefix list id. */
function destinationKind(destination: string): DestinationKind {
  if (destination.startsWith('pl-')) return 'prefix-list';
  return destination.includes(':') ? 'ipv6' : 'ipv4';
}

/** Why a route carries no traffic. */
export type DeadCause =
  | { kind: 'blackhole' }
  | { kind: 'nat-gone'; natGatewayId: string }
  | { kind: 'nat-state'; natGatewayId: string; state: string };

/**
 * How a route table lets traffic out to the internet:
 * - `internet`: active routes (a `0.0.0.0/0`, prefix lists whose entries cover it, or CIDR routes
 *   such as `0.0.0.0/1` + `128.0.0.0/1`) together cover every internet address;
 * - `unknown`: a prefix-list route whose entries could not be read: it may be egress, and is never
 *   written over;
 * - `dead`: routes that would cover the internet exist, but one of them carries nothing (blackhole,
 *   or a NAT gateway that is not available);
 * - `ipv6-only`: no IPv4 way out, but an active `::/0`;
 * - `none`: no way out at all.
 */
export type Egress =
  | { kind: 'internet'; routes: Route[]; natGateway?: NatGateway }
  | { kind: 'unknown'; route: Route; prefixListId: string }
  | { kind: 'dead'; route: Route; cause: DeadCause }
  | { kind: 'ipv6-only'; route: Route }
  | { kind: 'none' };

/** Pure: everything comes from the table and the snapshot (NAT gateways, prefix lists, endpoints). */
export function analyseEgress(table: RouteTable, network: NetworkSnapshot): Egress {
  const candidates: { route: Route; ranges: Ipv4Range[]; dead?: DeadCause }[] = [];
  for (const route of table.routes) {
    if (route.target.kind === 'local') continue;
    const ranges = routeRanges(route, network);
    if (ranges === 'unknown') {
      return { kind: 'unknown', route, prefixListId: route.destination };
    }
    // Routes to private space (peering, on-premises) are no way to the internet, dead or alive.
    if (!ranges.some((r) => overlapsAny(INTERNET_RANGES, r))) continue;
    const dead = deadCause(route, network);
    candidates.push({ route, ranges, ...(dead && { dead }) });
  }
  const live = candidates.filter((c) => !c.dead);
  if (covers(live.flatMap((c) => c.ranges))) {
    const routes = live.map((c) => c.route);
    const nat = natOf(routes, network);
    return { kind: 'internet', routes, ...(nat && { natGateway: nat }) };
  }
  if (covers(candidates.flatMap((c) => c.ranges))) {
    // The default route first: it is the one a person (and remediation) looks at.
    const dead =
      candidates.find((c) => c.dead && c.route.destination === DEFAULT_ROUTE) ??
      candidates.find((c) => c.dead);
    if (dead?.dead) return { kind: 'dead', route: dead.route, cause: dead.dead };
  }
  const ipv6 = table.routes.find(
    (r) =>
      r.destination === IPV6_DEFAULT_ROUTE &&
      r.state !== 'blackhole' &&
      (r.target.kind === 'egress-only-internet-gateway' || r.target.kind === 'internet-gateway'),
  );
  if (ipv6) return { kind: 'ipv6-only', route: ipv6 };
  return { kind: 'none' };
}

/** Why a route carries no traffic now, or undefined when it does. */
export function deadCause(route: Route, network: NetworkSnapshot): DeadCause | undefined {
  if (route.state === 'blackhole') return { kind: 'blackhole' };
  if (route.target.kind !== 'nat-gateway') return undefined;
  const natGatewayId = route.target.id;
  const nat = network.natGateways.find((n) => n.natGatewayId === natGatewayId);
  if (!nat) return { kind: 'nat-gone', natGatewayId };
  return nat.state === 'available' ? undefined : { kind: 'nat-state', natGatewayId, state: nat.state };
}

/**
 * A NAT gateway route that will never carry traffic again: its gateway is gone, failed or being
 * deleted, or EC2 marks the route a blackhole. A `pending` gateway is someone's work in progress.
 */
export function isDeadForGood(cause: DeadCause): boolean {
  if (cause.kind !== 'nat-state') return true;
  return cause.state === 'deleted' || cause.state === 'deleting' || cause.state === 'failed';
}

/**
 * The IPv4 addresses a route sends; `unknown` for a prefix list whose entries are not known, unless
 * it cannot be internet egress anyway (an AWS-managed service list, or a gateway endpoint's).
 */
function routeRanges(route: Route, network: NetworkSnapshot): Ipv4Range[] | 'unknown' {
  const kind = destinationKind(route.destination);
  if (kind === 'ipv6') return [];
  if (kind === 'ipv4') {
    // A destination that is no CIDR block (EC2 sent none) could be anything: judged unknown.
    const range = parseCidr(route.destination);
    return range ? [range] : 'unknown';
  }
  const list = network.prefixLists?.find((p) => p.prefixListId === route.destination);
  if (list?.cidrs) return parseCidrs(list.cidrs);
  if (list?.addressFamily === 'IPv6' || list?.ownerId === 'AWS' || isGatewayEndpoint(route, network))
    return [];
  return 'unknown';
}

function isGatewayEndpoint(route: Route, network: NetworkSnapshot): boolean {
  if (route.target.kind !== 'vpc-endpoint') return false;
  const { id } = route.target;
  return network.vpcEndpoints?.some((e) => e.vpcEndpointId === id && e.type === 'Gateway') ?? false;
}

function covers(ranges: Ipv4Range[]): boolean {
  return subtractAll(INTERNET_RANGES, ranges).length === 0;
}

/** The NAT gateway behind the default route, when that is where internet traffic goes. */
function natOf(routes: Route[], network: NetworkSnapshot): NatGateway | undefined {
  const route = routes.find((r) => r.destination === DEFAULT_ROUTE) ?? routes[0];
  if (route?.target.kind !== 'nat-gateway') return undefined;
  const { id } = route.target;
  return network.natGateways.find((n) => n.natGatewayId === id);
}

/** How a table lets traffic out, as the report shows it. */
export function summariseEgress(egress: Egress): EgressSummary {
  switch (egress.kind) {
    case 'internet':
      return { kind: 'internet', routes: egress.routes.map(describeRoute) };
    case 'unknown':
      return { kind: 'unknown', routes: [describeRoute(egress.route)], prefixListId: egress.prefixListId };
    case 'dead':
    case 'ipv6-only':
      return { kind: egress.kind, routes: [describeRoute(egress.route)] };
    case 'none':
      return { kind: 'none', routes: [] };
  }
}
