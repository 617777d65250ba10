import { describe, expect, it } from 'vitest';
import { clientKey, inCidr, parseCidr, specialAddress } from '../../../../src/net/address-ranges.js';

describe('address ranges', () => {
  it('names loopback, private, link-local (metadata) and the other special ranges; public ones pass', () => {
    for (const [a, what] of [
      ['127.0.0.1', 'loopback'],
      ['127.255.0.9', 'loopback'],
      ['::1', 'loopback'],
      ['::ffff:127.0.0.1', 'loopback'],
      ['10.1.2.3', 'private'],
      ['172.31.255.255', 'private'],
      ['192.168.0.1', 'private'],
      ['fd12::1', 'private'],
      ['169.254.169.254', 'link-local'],
      ['fe80::1', 'link-local'],
      ['0.0.0.0', 'unspecified'],
      ['::', 'unspecified'],
      ['100.64.0.1', 'carrier-grade'],
      ['224.0.0.1', 'multicast'],
      ['255.255.255.255', 'reserved'],
      ['64:ff9b::a00:1', 'NAT64'],
    ] as const)
      expect(specialAddress(a), a).toContain(what);
    for (const a of ['8.8.8.8', '172.32.0.1', '2001:4860:4860::8888', '::ffff:8.8.8.8']) expect(specialAddress(a), a).toBeUndefined();
    expect(specialAddress('not-an-ip')).toBe('not an IP address');
  });

  it('parses networks and single addresses', () => {
    const c = parseCidr('10.1.0.0/16')!;
    expect([inCidr(c, '10.1.200.3'), inCidr(c, '10.2.0.1'), inCidr(c, '::1')]).toEqual([true, false, false]);
    expect(inCidr(parseCidr('2001:db8::/32')!, '2001:db8:1::5')).toBe(true);
    expect(inCidr(parseCidr('192.0.2.7')!, '192.0.2.7')).toBe(true);
    for (const bad of ['10.0.0.0/33', 'host/8', '1.2.3.4/', '::/129']) expect(parseCidr(bad), bad).toBeUndefined();
  });

  it('counts IPv6 clients by their /64 and IPv4-mapped ones as IPv4', () => {
    expect(clientKey('2001:db8:1:2:aaaa::1')).toBe(clientKey('2001:db8:1:2:ffff:ffff:ffff:ffff'));
    expect(clientKey('2001:db8:1:2::1')).not.toBe(clientKey('2001:db8:1:3::1'));
    expect(clientKey('::ffff:192.0.2.1')).toBe('192.0.2.1');
    expect(clientKey('192.0.2.1')).toBe('192.0.2.1');
  });
});
