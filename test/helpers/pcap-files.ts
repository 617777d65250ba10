/**
 * Capture files built for tests, independently of protocols/pcap (so the reader is checked against
 * the formats as documented, not against itself): libpcap per pcap-savefile(5), pcapng per
 * draft-ietf-opsawg-pcapng, and Ethernet/IPv4/IPv6/TCP frames per their RFCs.
 */
export interface TestPacket {
  timeUs: number;
  frame: Buffer;
  /** Length on the wire when the frame was cut (defaults to frame.length). */
  originalLength?: number;
}

/** A libpcap file: microsecond or nanosecond timestamps, little- or big-endian. */
export function pcapFile(packets: TestPacket[], o: { linkType?: number; nanos?: boolean; bigEndian?: boolean } = {}): Buffer {
  const u32 = (v: number) => {
    const b = Buffer.alloc(4);
    if (o.bigEndian) b.writeUInt32BE(v >>> 0);
    else b.writeUInt32LE(v >>> 0);
    return b;
  };
  const u16 = (v: number) => {
    const b = Buffer.alloc(2);
    if (o.bigEndian) b.writeUInt16BE(v);
    else b.writeUInt16LE(v);
    return b;
  };
  const parts: Buffer[] = [u32(o.nanos ? 0xa1b23c4d : 0xa1b2c3d4), u16(2), u16(4), u32(0), u32(0), u32(262144), u32(o.linkType ?? 1)];
  for (const p of packets) {
    const sec = Math.floor(p.timeUs / 1e6);
    const frac = o.nanos ? Math.round((p.timeUs - sec * 1e6) * 1000) : Math.round(p.timeUs - sec * 1e6);
    parts.push(u32(sec), u32(frac), u32(p.frame.length), u32(p.originalLength ?? p.frame.length), p.frame);
  }
  return Buffer.concat(parts);
}

/** The records of a libpcap file (little-endian, microseconds: what tcpdump writes on x86). */
export function pcapRecords(file: Buffer): { linkType: number; packets: TestPacket[] } {
  if (file.readUInt32LE(0) !== 0xa1b2c3d4) throw new Error('test helper reads little-endian microsecond libpcap only');
  const packets: TestPacket[] = [];
  for (let o = 24; o + 16 <= file.length;) {
    const len = file.readUInt32LE(o + 8);
    packets.push({
      timeUs: file.readUInt32LE(o) * 1e6 + file.readUInt32LE(o + 4),
      frame: file.subarray(o + 16, o + 16 + len),
      originalLength: file.readUInt32LE(o + 12),
    });
    o += 16 + len;
  }
  return { linkType: file.readUInt32LE(20), packets };
}

export interface PcapngOptions {
  bigEndian?: boolean;
  linkType?: number;
  /** if_tsresol option byte (default: none, i.e. microseconds). */
  tsresol?: number;
  /** Write Simple Packet Blocks instead of Enhanced ones (no timestamps). */
  simple?: boolean;
  /** Put a Name Resolution block and an Interface Statistics block in, which readers must skip. */
  extraBlocks?: boolean;
}

/** A pcapng file: one section, one interface. */
export function pcapngFile(packets: TestPacket[], o: PcapngOptions = {}): Buffer {
  const be = o.bigEndian === true;
  const u32 = (v: number) => {
    const b = Buffer.alloc(4);
    if (be) b.writeUInt32BE(v >>> 0);
    else b.writeUInt32LE(v >>> 0);
    return b;
  };
  const u16 = (v: number) => {
    const b = Buffer.alloc(2);
    if (be) b.writeUInt16BE(v);
    else b.writeUInt16LE(v);
    return b;
  };
  const pad = (b: Buffer) => Buffer.concat([b, Buffer.alloc((4 - (b.length % 4)) % 4)]);
  const block = (type: number, body: Buffer) => {
    const total = 12 + pad(body).length;
    return Buffer.concat([u32(type), u32(total), pad(body), u32(total)]);
  };
  const option = (code: number, value: Buffer) => Buffer.concat([u16(code), u16(value.length), pad(value)]);
  const endOfOptions = Buffer.concat([u16(0), u16(0)]);
  const parts: Buffer[] = [];
  // Section header: byte-order magic, version 1.0, section length -1 (unknown), a comment option.
  parts.push(block(0x0a0d0d0a, Buffer.concat([u32(0x1a2b3c4d), u16(1), u16(0), Buffer.alloc(8, 0xff), option(1, Buffer.from('test capture')), endOfOptions])));
  const ifOptions = o.tsresol !== undefined ? Buffer.concat([option(9, Buffer.from([o.tsresol])), endOfOptions]) : Buffer.alloc(0);
  parts.push(block(1, Buffer.concat([u16(o.linkType ?? 1), u16(0), u32(0), ifOptions])));
  if (o.extraBlocks) parts.push(block(4, Buffer.concat([u16(1), u16(8), Buffer.from([10, 0, 0, 1]), Buffer.from('bmc\0'), endOfOptions])));
  const r = o.tsresol ?? 6;
  const unitsPerUs = (r & 0x80 ? 2 ** (r & 0x7f) : 10 ** r) / 1e6;
  for (const p of packets) {
    if (o.simple) {
      parts.push(block(3, Buffer.concat([u32(p.originalLength ?? p.frame.length), p.frame])));
      continue;
    }
    const units = BigInt(Math.round(p.timeUs * unitsPerUs));
    parts.push(
      block(
        6,
        Buffer.concat([
          u32(0),
          u32(Number(units >> 32n)),
          u32(Number(units & 0xffffffffn)),
          u32(p.frame.length),
          u32(p.originalLength ?? p.frame.length),
          p.frame,
        ]),
      ),
    );
  }
  if (o.extraBlocks) parts.push(block(5, Buffer.concat([u32(0), u32(0), u32(0), endOfOptions])));
  return Buffer.concat(parts);
}

export interface TcpFrameOptions {
  src: string;
  dst: string;
  sport: number;
  dport: number;
  seq: number;
  ack?: number;
  flags?: { syn?: boolean; fin?: boolean; rst?: boolean };
  payload?: Buffer;
  /** 802.1Q tag in front of the IP header (Ethernet only). */
  vlan?: number;
  /** Pad the Ethernet frame to 60 bytes, as NICs do with short frames. */
  padded?: boolean;
}

/** An Ethernet frame carrying IPv4 (dotted addresses) or IPv6 (addresses with ':') and TCP. */
export function ethernetTcp(o: TcpFrameOptions): Buffer {
  const ip = ipTcp(o);
  const eth = Buffer.alloc(14);
  Buffer.from('020000000002', 'hex').copy(eth, 0);
  Buffer.from('020000000001', 'hex').copy(eth, 6);
  const inner = o.dst.includes(':') ? 0x86dd : 0x0800;
  eth.writeUInt16BE(o.vlan === undefined ? inner : 0x8100, 12);
  const tag = Buffer.alloc(o.vlan === undefined ? 0 : 4);
  if (o.vlan !== undefined) {
    tag.writeUInt16BE(o.vlan & 0x0fff, 0);
    tag.writeUInt16BE(inner, 2);
  }
  const frame = Buffer.concat([eth, tag, ip]);
  return o.padded && frame.length < 60 ? Buffer.concat([frame, Buffer.alloc(60 - frame.length, 0xee)]) : frame;
}

/** The IP packet alone (for raw-IP and cooked link types). */
export function ipTcp(o: TcpFrameOptions): Buffer {
  const payload = o.payload ?? Buffer.alloc(0);
  const tcp = Buffer.alloc(20);
  tcp.writeUInt16BE(o.sport, 0);
  tcp.writeUInt16BE(o.dport, 2);
  tcp.writeUInt32BE(o.seq >>> 0, 4);
  tcp.writeUInt32BE((o.ack ?? 0) >>> 0, 8);
  tcp[12] = 5 << 4;
  tcp[13] = (o.flags?.fin ? 1 : 0) | (o.flags?.syn ? 2 : 0) | (o.flags?.rst ? 4 : 0) | 0x10;
  tcp.writeUInt16BE(65535, 14);
  const seg = Buffer.concat([tcp, payload]);
  if (o.dst.includes(':')) {
    const h = Buffer.alloc(40);
    h[0] = 0x60;
    h.writeUInt16BE(seg.length, 4);
    h[6] = 6;
    h[7] = 64;
    ipv6Bytes(o.src).copy(h, 8);
    ipv6Bytes(o.dst).copy(h, 24);
    return Buffer.concat([h, seg]);
  }
  const h = Buffer.alloc(20);
  h[0] = 0x45;
  h.writeUInt16BE(20 + seg.length, 2);
  h[8] = 64;
  h[9] = 6;
  Buffer.from(o.src.split('.').map(Number)).copy(h, 12);
  Buffer.from(o.dst.split('.').map(Number)).copy(h, 16);
  return Buffer.concat([h, seg]);
}

function ipv6Bytes(a: string): Buffer {
  const [head, tail] = a.split('::') as [string, string | undefined];
  const hs = head ? head.split(':') : [];
  const ts = tail ? tail.split(':') : [];
  const groups = [...hs, ...Array(8 - hs.length - ts.length).fill('0'), ...ts];
  const b = Buffer.alloc(16);
  groups.forEach((g, i) => b.writeUInt16BE(parseInt(g, 16), i * 2));
  return b;
}

export interface TestConversation {
  /** Server → client bytes, client → server bytes, cut into segments of at most `mss`. */
  server: Buffer;
  client?: Buffer;
  mss?: number;
  /** Send the SYN/SYN-ACK and FIN packets too. */
  handshake?: boolean;
  serverIsn?: number;
  clientIsn?: number;
}

/** A TCP conversation as Ethernet frames, one millisecond apart: the client's SYN, the server's data, then the client's. */
export function conversation(c: TestConversation): TestPacket[] {
  const mss = c.mss ?? 1460;
  const s = { src: '10.0.0.2', dst: '10.0.0.1', sport: 5900, dport: 40000 };
  const k = { src: '10.0.0.1', dst: '10.0.0.2', sport: 40000, dport: 5900 };
  let sSeq = c.serverIsn ?? 1000;
  let cSeq = c.clientIsn ?? 5000;
  let t = 1_700_000_000_000_000;
  const out: TestPacket[] = [];
  const add = (frame: Buffer) => out.push({ timeUs: (t += 1000), frame });
  if (c.handshake) {
    add(ethernetTcp({ ...k, seq: cSeq, flags: { syn: true } }));
    add(ethernetTcp({ ...s, seq: sSeq, flags: { syn: true } }));
    sSeq++;
    cSeq++;
  }
  for (let o = 0; o < c.server.length; o += mss) {
    const payload = c.server.subarray(o, o + mss);
    add(ethernetTcp({ ...s, seq: sSeq, payload, padded: true }));
    sSeq = (sSeq + payload.length) >>> 0;
  }
  const client = c.client ?? Buffer.alloc(0);
  for (let o = 0; o < client.length; o += mss) {
    const payload = client.subarray(o, o + mss);
    add(ethernetTcp({ ...k, seq: cSeq, payload, padded: true }));
    cSeq = (cSeq + payload.length) >>> 0;
  }
  if (c.handshake) add(ethernetTcp({ ...s, seq: sSeq, flags: { fin: true } }));
  return out;
}
