/**
 * IPv4 addresses and CIDR blocks as inclusive ranges of unsigned 32-bit numbers, and the few set
 * operations the network checks need. Pure; anything unparsable is `undefined`, and callers decide
 * what that means (the checks treat it conservatively: no finding they cannot back up).
 */

export interface Ipv4Range {
  first: number;
  last: number;
}

export const ALL_IPV4: Ipv4Range = { first: 0, last: 2 ** 32 - 1 };

export function parseIpv4(text: string): number | undefined {
  const parts = text.trim().split('.');
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part)) return undefined;
    const octet = Number(part);
    if (octet > 255) return undefined;
    value = value * 256 + octet;
  }
  return value;
}

/** `10.42.0.0/16` → its range; a bare address is a /32. Host bits set (`10.42.1.7/16`) are ignored, as EC2 does. */
export function parseCidr(text: string): Ipv4Range | undefined {
  const [address, bits, extra] = text.trim().split('/');
  if (address === undefined || extra !== undefined) return undefined;
  const ip = parseIpv4(address);
  const prefix = bits === undefined ? 32 : /^\d{1,2}$/.test(bits) ? Number(bits) : Number.NaN;
  if (ip === undefined || !(prefix >= 0 && prefix <= 32)) return undefined;
  const size = 2 ** (32 - prefix);
  const first = Math.floor(ip / size) * size;
  return { first, last: first + size - 1 };
}

/** Whether the CIDR block `outer` holds every address of `inner` (an address or a CIDR block). */
export function cidrContains(outer: string, inner: string): boolean {
  const a = parseCidr(outer);
  const b = parseCidr(inner);
  return !!a && !!b && a.first <= b.first && b.last <= a.last;
}

export function rangesOverlap(a: Ipv4Range, b: Ipv4Range): boolean {
  return a.first <= b.last && b.first <= a.last;
}

export function overlapsAny(ranges: Ipv4Range[], range: Ipv4Range): boolean {
  return ranges.some((r) => rangesOverlap(r, range));
}

/** The addresses of `ranges` that are not in `cut`. */
export function subtractRange(ranges: Ipv4Range[], cut: Ipv4Range): Ipv4Range[] {
  return ranges.flatMap((r) => {
    if (!rangesOverlap(r, cut)) return [r];
    const rest: Ipv4Range[] = [];
    if (r.first < cut.first) rest.push({ first: r.first, last: cut.first - 1 });
    if (cut.last < r.last) rest.push({ first: cut.last + 1, last: r.last });
    return rest;
  });
}

/** The addresses of `ranges` that none of `cuts` holds. */
export function subtractAll(ranges: Ipv4Range[], cuts: Ipv4Range[]): Ipv4Range[] {
  return cuts.reduce(subtractRange, ranges);
}

/** Parses CIDR blocks, leaving out the ones that are not IPv4. */
export function parseCidrs(cidrs: string[]): Ipv4Range[] {
  return cidrs.map(parseCidr).filter((r): r is Ipv4Range => r !== undefined);
}
