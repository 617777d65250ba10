import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readFbs } from '../protocols/fbs/index.js';
import { PROJECT_ROOT } from '../src/paths.js';

/** Real captures beside the repository (`../shared/fixtures`, never copied in) and the project's own recordings. */
export const SHARED_FIXTURES = join(PROJECT_ROOT, '..', 'shared', 'fixtures');
export const RECORDINGS = join(PROJECT_ROOT, 'fixtures', 'recordings');

/** The files of a folder with an extension; none when the folder is missing (a checkout without shared/). */
export function filesIn(dir: string, ext: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((n) => n.endsWith(ext)).sort().map((n) => join(dir, n));
}

/** The RFB bytes of an FBS recording (a server's stream from ProtocolVersion on), at most `max` bytes. */
export function fbsStream(path: string, max = 32 * 1024): Buffer {
  const { blocks } = readFbs(readFileSync(path));
  const out: Buffer[] = [];
  let n = 0;
  for (const b of blocks) {
    out.push(Buffer.from(b.data));
    n += b.data.length;
    if (n >= max) break;
  }
  return Buffer.concat(out).subarray(0, max);
}

export function hexFile(path: string): Buffer {
  return Buffer.from(readFileSync(path, 'utf8').replace(/[^0-9a-fA-F]/g, ''), 'hex');
}

/**
 * The two byte streams of the first TCP connection in a libpcap file (Ethernet, IPv4): what the
 * server sent (the side whose payload starts with "RFB ") and what the client sent. Retransmitted
 * segments are dropped by sequence number. Just enough to turn the ATEN captures into fuzz seeds:
 * not a general pcap reader (no IPv6, no reassembly of reordered segments).
 */
export function tcpStreams(path: string): { server: Buffer; client: Buffer } {
  const f = readFileSync(path);
  const magic = f.readUInt32LE(0);
  const le = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
  const u32 = (o: number) => (le ? f.readUInt32LE(o) : f.readUInt32BE(o));
  const byDir = new Map<string, { parts: Buffer[]; next: number | undefined }>();
  let off = 24;
  while (off + 16 <= f.length) {
    const len = u32(off + 8);
    const pkt = f.subarray(off + 16, off + 16 + len);
    off += 16 + len;
    let p = 14;
    let etherType = pkt.length >= 14 ? pkt.readUInt16BE(12) : 0;
    if (etherType === 0x8100 && pkt.length >= 18) {
      etherType = pkt.readUInt16BE(16);
      p = 18;
    }
    if (etherType !== 0x0800 || pkt.length < p + 20 || pkt[p + 9] !== 6) continue;
    const ihl = (pkt[p]! & 0x0f) * 4;
    const ipLen = pkt.readUInt16BE(p + 2);
    const tcp = p + ihl;
    if (pkt.length < tcp + 20) continue;
    const dir = `${pkt.subarray(p + 12, p + 16).join('.')}:${pkt.readUInt16BE(tcp)}>${pkt.subarray(p + 16, p + 20).join('.')}:${pkt.readUInt16BE(tcp + 2)}`;
    const seq = pkt.readUInt32BE(tcp + 4);
    const payload = pkt.subarray(tcp + (pkt[tcp + 12]! >> 4) * 4, p + ipLen);
    if (payload.length === 0) continue;
    const s = byDir.get(dir) ?? { parts: [], next: undefined };
    byDir.set(dir, s);
    if (s.next !== undefined && ((seq - s.next) | 0) < 0) continue; // a retransmission
    s.parts.push(payload);
    s.next = (seq + payload.length) >>> 0;
  }
  const streams = [...byDir.values()].map((s) => Buffer.concat(s.parts));
  const server = streams.find((b) => b.subarray(0, 4).toString('latin1') === 'RFB ') ?? Buffer.alloc(0);
  const client = streams.find((b) => b !== server) ?? Buffer.alloc(0);
  return { server, client };
}
