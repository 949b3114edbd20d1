import { describe, expect, it } from 'vitest';
import {
  ALL_IPV4,
  cidrContains,
  parseCidr,
  parseIpv4,
  rangesOverlap,
  subtractRange,
} from '../../../functions/core/diagnose/cidr.js';

describe('cidr', () => {
  it('parses addresses and rejects what is not one', () => {
    expect(parseIpv4('10.42.0.1')).toBe(10 * 2 ** 24 + 42 * 2 ** 16 + 1);
    expect(parseIpv4('255.255.255.255')).toBe(2 ** 32 - 1);
    for (const bad of ['10.42.0', '10.42.0.256', '10.42.0.-1', 'a.b.c.d', '', '1.2.3.4.5', '::1']) {
      expect(parseIpv4(bad), bad).toBeUndefined();
    }
  });

  it('parses CIDR blocks, a bare address as a /32, and ignores host bits as EC2 does', () => {
    expect(parseCidr('0.0.0.0/0')).toEqual(ALL_IPV4);
    expect(parseCidr('10.42.0.0/16')).toEqual({
      first: parseIpv4('10.42.0.0'),
      last: parseIpv4('10.42.255.255'),
    });
    expect(parseCidr('203.0.113.25')).toEqual({
      first: parseIpv4('203.0.113.25'),
      last: parseIpv4('203.0.113.25'),
    });
    expect(parseCidr('10.42.7.9/16')).toEqual(parseCidr('10.42.0.0/16'));
    for (const bad of ['10.42.0.0/33', '10.42.0.0/', '10.42.0.0/16/1', '2600:1f14::/56', 'x/8']) {
      expect(parseCidr(bad), bad).toBeUndefined();
    }
  });

  it('tells whether a block holds an address or a smaller block', () => {
    expect(cidrContains('0.0.0.0/0', '52.34.10.20')).toBe(true);
    expect(cidrContains('52.34.10.0/24', '52.34.10.20')).toBe(true);
    expect(cidrContains('52.34.10.20/32', '52.34.10.20')).toBe(true);
    expect(cidrContains('52.34.10.0/24', '52.34.11.1')).toBe(false);
    expect(cidrContains('10.42.0.0/16', '10.42.192.0/19')).toBe(true);
    expect(cidrContains('10.42.192.0/19', '10.42.0.0/16')).toBe(false);
    expect(cidrContains('not-a-cidr', '10.0.0.1')).toBe(false);
  });

  it('subtracts a block from a set of ranges, splitting where needed', () => {
    const vpc = parseCidr('10.42.0.0/16');
    if (!vpc) throw new Error('parse');
    const rest = subtractRange([ALL_IPV4], vpc);
    expect(rest).toEqual([
      { first: 0, last: vpc.first - 1 },
      { first: vpc.last + 1, last: ALL_IPV4.last },
    ]);
    expect(rest.some((r) => rangesOverlap(r, vpc))).toBe(false);
    expect(subtractRange(rest, ALL_IPV4)).toEqual([]);
    expect(subtractRange([vpc], { first: 0, last: 5 })).toEqual([vpc]);
  });
});
