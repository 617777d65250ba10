import { BlockList, isIP } from 'node:net';

/**
 * Address ranges a request made on a caller's behalf must not reach unless an operator listed them:
 * the gateway sits inside the operator's network, so a URL given by an API caller that resolves to one
 * of these would let that caller reach internal services (SSRF). Sources: RFC 6890 (special-purpose
 * registries), RFC 1918 (private), RFC 3927 and 4291 (link-local; 169.254.169.254 is the cloud metadata
 * service), RFC 6598 (shared/CGNAT), RFC 4193 (unique local), RFC 6052 / 3056 (IPv6 forms that embed
 * an IPv4 address, which a NAT64 or 6to4 relay would turn into an internal one).
 */
const SPECIAL: readonly [string, number, 'ipv4' | 'ipv6', string][] = [
  ['0.0.0.0', 8, 'ipv4', 'an unspecified ("this network") address'],
  ['127.0.0.0', 8, 'ipv4', 'a loopback address'],
  ['10.0.0.0', 8, 'ipv4', 'a private address'],
  ['172.16.0.0', 12, 'ipv4', 'a private address'],
  ['192.168.0.0', 16, 'ipv4', 'a private address'],
  ['169.254.0.0', 16, 'ipv4', 'a link-local address (cloud metadata lives there)'],
  ['100.64.0.0', 10, 'ipv4', 'a shared (carrier-grade NAT) address'],
  ['192.0.0.0', 24, 'ipv4', 'an IETF protocol address'],
  ['198.18.0.0', 15, 'ipv4', 'a benchmarking address'],
  ['224.0.0.0', 4, 'ipv4', 'a multicast address'],
  ['240.0.0.0', 4, 'ipv4', 'a reserved address'],
  ['::', 128, 'ipv6', 'an unspecified address'],
  ['::1', 128, 'ipv6', 'a loopback address'],
  ['fe80::', 10, 'ipv6', 'a link-local address'],
  ['fc00::', 7, 'ipv6', 'a private (unique local) address'],
  ['ff00::', 8, 'ipv6', 'a multicast address'],
  ['64:ff9b::', 96, 'ipv6', 'a NAT64 address (it embeds an IPv4 address)'],
  ['2002::', 16, 'ipv6', 'a 6to4 address (it embeds an IPv4 address)'],
];

const LISTS = SPECIAL.map(([net, prefix, family, what]) => {
  const list = new BlockList();
  list.addSubnet(net, prefix, family);
  return { list, what };
});

/** Why `address` is not a public address (a phrase), or undefined when it is public. IPv4-mapped IPv6 counts as its IPv4. */
export function specialAddress(address: string): string | undefined {
  const family = familyOf(address);
  if (!family) return 'not an IP address';
  for (const { list, what } of LISTS) if (list.check(address, family)) return what;
  return undefined;
}

export function familyOf(address: string): 'ipv4' | 'ipv6' | undefined {
  const v = isIP(address);
  return v === 4 ? 'ipv4' : v === 6 ? 'ipv6' : undefined;
}

/** A network written `10.0.0.0/8`, `2001:db8::/32`, or a single address (a /32 or /128). */
export interface Cidr {
  readonly text: string;
  readonly list: BlockList;
}

export function parseCidr(text: string): Cidr | undefined {
  const m = /^([^/]+)(?:\/(\d{1,3}))?$/.exec(text.trim());
  if (!m) return undefined;
  const family = familyOf(m[1]!);
  if (!family) return undefined;
  const max = family === 'ipv4' ? 32 : 128;
  const prefix = m[2] === undefined ? max : Number(m[2]);
  if (prefix > max) return undefined;
  const list = new BlockList();
  list.addSubnet(m[1]!, prefix, family);
  return { text, list };
}

export function inCidr(c: Cidr, address: string): boolean {
  const family = familyOf(address);
  return family !== undefined && c.list.check(address, family);
}

/**
 * The key a client address is counted under: IPv4 as is, IPv6 by its /64 (one subscriber usually
 * holds a whole /64, so counting single IPv6 addresses would let one client spread its attempts over
 * 2^64 of them). IPv4-mapped IPv6 becomes its IPv4.
 */
export function clientKey(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1]!;
  if (isIP(address) !== 6) return address;
  const groups = expandIpv6(address);
  return groups ? `${groups.slice(0, 4).join(':')}::/64` : address;
}

function expandIpv6(address: string): string[] | undefined {
  const [head, tail] = address.split('::') as [string, string | undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  if (t.some((g) => g.includes('.')) || h.some((g) => g.includes('.'))) return undefined;
  const fill = tail === undefined ? [] : Array<string>(8 - h.length - t.length).fill('0');
  const all = [...h, ...fill, ...t];
  return all.length === 8 ? all.map((g) => (parseInt(g, 16) || 0).toString(16)) : undefined;
}
