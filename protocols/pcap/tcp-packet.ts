/**
 * From a captured frame to its TCP segment: the link layers tcpdump and Wireshark write for the
 * interfaces a field engineer captures on, IPv4 and IPv6, then TCP. A frame that is not TCP (ARP,
 * UDP, an IPv4 fragment, a link type we do not know) is not an error: it is returned as skipped
 * with the reason, so a capture of a busy interface still yields its TCP streams.
 *
 * Link types (LINKTYPE_* of tcpdump.org/linktypes): 0 NULL and 108 LOOP (BSD loopback; a 4-byte
 * address family, host order for NULL, network order for LOOP), 1 Ethernet (with 802.1Q/802.1ad
 * VLAN tags), 12/14/101 raw IP (DLT_RAW has had all three numbers), 113 Linux cooked (SLL, `tcpdump
 * -i any`), 276 SLL2, 228 IPv4, 229 IPv6.
 */
export interface TcpSegment {
  /** "address:port", IPv6 addresses in brackets. */
  src: string;
  dst: string;
  seq: number;
  syn: boolean;
  fin: boolean;
  rst: boolean;
  /** The payload captured. A view into the frame. */
  payload: Buffer;
  /** Payload bytes the frame carried on the wire past what was captured (snap length). */
  missing: number;
}

export type DecodedFrame = { kind: 'tcp'; segment: TcpSegment } | { kind: 'skipped'; reason: string };

const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_IPV6 = 0x86dd;
const VLAN_TAGS = new Set([0x8100, 0x88a8, 0x9100]);
const IPPROTO_TCP = 6;
/** IPv6 extension headers skipped on the way to TCP (RFC 8200 §4): hop-by-hop, routing, destination options. */
const IPV6_SKIPPABLE = new Set([0, 43, 60]);
const IPV6_FRAGMENT = 44;
const IPV6_AH = 51;
/** BSD address families for IPv6 (Linux 10, the BSDs 24/28/30). */
const AF_INET6 = new Set([10, 24, 28, 30]);

const skipped = (reason: string): DecodedFrame => ({ kind: 'skipped', reason });

/** Decodes one frame. Never throws: malformed frames are skipped with the reason. */
export function decodeTcpFrame(linkType: number, frame: Buffer): DecodedFrame {
  const ip = ipPayloadOf(linkType, frame);
  if (typeof ip === 'string') return skipped(ip);
  if (ip.length < 1) return skipped('truncated link-layer header');
  const version = ip[0]! >> 4;
  if (version === 4) return ipv4(ip);
  if (version === 6) return ipv6(ip);
  return skipped(`IP version ${version}`);
}

/** The IP packet inside a frame, or why there is none. */
function ipPayloadOf(linkType: number, f: Buffer): Buffer | string {
  switch (linkType) {
    case 0:
    case 108: {
      if (f.length < 4) return 'truncated link-layer header';
      const family = linkType === 108 ? f.readUInt32BE(0) : Math.min(f.readUInt32LE(0), f.readUInt32BE(0));
      return family === 2 || AF_INET6.has(family) ? f.subarray(4) : `address family ${family}`;
    }
    case 1: {
      let o = 12;
      if (f.length < o + 2) return 'truncated link-layer header';
      let type = f.readUInt16BE(o);
      for (let tags = 0; VLAN_TAGS.has(type) && tags < 3; tags++) {
        o += 4;
        if (f.length < o + 2) return 'truncated link-layer header';
        type = f.readUInt16BE(o);
      }
      return etherPayload(type, f.subarray(o + 2));
    }
    case 12:
    case 14:
    case 101:
    case 228:
    case 229:
      return f;
    case 113:
      if (f.length < 16) return 'truncated link-layer header';
      return etherPayload(f.readUInt16BE(14), f.subarray(16));
    case 276:
      if (f.length < 20) return 'truncated link-layer header';
      return etherPayload(f.readUInt16BE(0), f.subarray(20));
    default:
      return `link type ${linkType}`;
  }
}

function etherPayload(type: number, rest: Buffer): Buffer | string {
  return type === ETHERTYPE_IPV4 || type === ETHERTYPE_IPV6 ? rest : `ethertype 0x${type.toString(16).padStart(4, '0')}`;
}

function ipv4(p: Buffer): DecodedFrame {
  if (p.length < 20) return skipped('truncated IPv4 header');
  const ihl = (p[0]! & 15) * 4;
  const total = p.readUInt16BE(2);
  if (ihl < 20 || total < ihl || p.length < ihl) return skipped('malformed IPv4 header');
  if (p[9] !== IPPROTO_TCP) return skipped(`IP protocol ${p[9]}`);
  // More-fragments flag or a fragment offset: TCP over IP fragments is not reassembled (never seen from a BMC).
  if ((p.readUInt16BE(6) & 0x3fff) !== 0) return skipped('IPv4 fragment');
  const addr = (o: number) => `${p[o]}.${p[o + 1]}.${p[o + 2]}.${p[o + 3]}`;
  // The total length also drops Ethernet's padding of short frames.
  return tcp(p.subarray(ihl, Math.min(total, p.length)), total - ihl, addr(12), addr(16));
}

function ipv6(p: Buffer): DecodedFrame {
  if (p.length < 40) return skipped('truncated IPv6 header');
  let next = p[6]!;
  let o = 40;
  const end = 40 + p.readUInt16BE(4);
  for (let hops = 0; next !== IPPROTO_TCP; hops++) {
    if (next === IPV6_FRAGMENT) return skipped('IPv6 fragment');
    if (!(IPV6_SKIPPABLE.has(next) || next === IPV6_AH) || hops > 8) return skipped(`IPv6 next header ${next}`);
    if (p.length < o + 2) return skipped('truncated IPv6 extension header');
    const len = next === IPV6_AH ? (p[o + 1]! + 2) * 4 : (p[o + 1]! + 1) * 8;
    next = p[o]!;
    o += len;
  }
  if (o > end || p.length < o) return skipped('malformed IPv6 extension headers');
  const addr = (a: number) => `[${ipv6Text(p.subarray(a, a + 16))}]`;
  return tcp(p.subarray(o, Math.min(end, p.length)), end - o, addr(8), addr(24));
}

/** `t`: the TCP bytes captured; `wireLength`: the TCP segment's length per the IP header. */
function tcp(t: Buffer, wireLength: number, srcIp: string, dstIp: string): DecodedFrame {
  if (t.length < 20) return skipped('truncated TCP header');
  const offset = (t[12]! >> 4) * 4;
  if (offset < 20 || offset > wireLength || t.length < offset) return skipped('malformed TCP header');
  const flags = t[13]!;
  const payload = t.subarray(offset);
  return {
    kind: 'tcp',
    segment: {
      src: `${srcIp}:${t.readUInt16BE(0)}`,
      dst: `${dstIp}:${t.readUInt16BE(2)}`,
      seq: t.readUInt32BE(4),
      syn: (flags & 0x02) !== 0,
      fin: (flags & 0x01) !== 0,
      rst: (flags & 0x04) !== 0,
      payload,
      missing: Math.max(0, wireLength - offset - payload.length),
    },
  };
}

/** RFC 5952 text: lower case, the longest run of zero groups (two or more) as "::". */
function ipv6Text(a: Buffer): string {
  const g = Array.from({ length: 8 }, (_, i) => a.readUInt16BE(i * 2));
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = g.map((x) => x.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}
