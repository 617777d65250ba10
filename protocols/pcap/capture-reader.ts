import { ByteQueue } from '../byte-queue.js';
import { PcapError } from '../errors.js';
import { PCAP_LIMITS } from '../limits.js';

/** One captured packet, whatever the file format. */
export interface CapturedPacket {
  /** LINKTYPE_* of the interface it was captured on (1 Ethernet, 113 Linux cooked, 101 raw IP, …). */
  linkType: number;
  /** Capture time, microseconds since 1970 (fractional for nanosecond captures). */
  timeUs: number;
  /** The bytes captured. A view into the pushed chunk when possible: copy what you keep. */
  data: Buffer;
  /** Length on the wire; more than `data.length` when the snap length cut the packet short. */
  originalLength: number;
}

export type CaptureFormat = 'pcap' | 'pcapng';

/** What the first four bytes of a file say it is (undefined: neither capture format). */
export function captureFormatOf(head: Uint8Array): CaptureFormat | undefined {
  if (head.length < 4) return undefined;
  const be = ((head[0]! << 24) | (head[1]! << 16) | (head[2]! << 8) | head[3]!) >>> 0;
  const le = ((head[3]! << 24) | (head[2]! << 16) | (head[1]! << 8) | head[0]!) >>> 0;
  if (be === PCAPNG_SHB) return 'pcapng';
  if (PCAP_MAGICS.has(be) || PCAP_MAGICS.has(le)) return 'pcap';
  return undefined;
}

// libpcap: "Modern" tcpdump magic with microsecond timestamps, and the nanosecond variant
// (pcap-savefile(5); draft-ietf-opsawg-pcap §4).
const PCAP_MAGIC_US = 0xa1b2c3d4;
const PCAP_MAGIC_NS = 0xa1b23c4d;
const PCAP_MAGICS = new Set([PCAP_MAGIC_US, PCAP_MAGIC_NS]);
const PCAP_HEADER_BYTES = 24;
const PCAP_RECORD_BYTES = 16;
// pcapng (draft-ietf-opsawg-pcapng): block type, total length, body, total length again.
const PCAPNG_SHB = 0x0a0d0d0a;
const PCAPNG_BYTE_ORDER_MAGIC = 0x1a2b3c4d;
const BLOCK_IDB = 1;
const BLOCK_PB = 2; // obsolete Packet Block, still written by old tools
const BLOCK_SPB = 3;
const BLOCK_EPB = 6;
const OPT_END = 0;
const OPT_IF_TSRESOL = 9;
const OPT_IF_TSOFFSET = 14;

interface Interface {
  linkType: number;
  snapLength: number;
  /** Timestamp units per microsecond (1 for the default 10^-6 resolution). */
  unitsPerUs: number;
  offsetUs: number;
}

/**
 * Incremental reader of packet captures as tcpdump, Wireshark and dumpcap write them: libpcap
 * (either byte order, micro- or nanosecond timestamps) and pcapng (sections in either byte order,
 * any number of interfaces with their link types, timestamp resolutions and offsets; Enhanced,
 * Simple and obsolete Packet Blocks; every other block type is skipped by its length). Push the
 * file's bytes in chunks of any size; every packet completed by a chunk is returned.
 *
 * Lengths are bounded before anything is waited for (PCAP_LIMITS). Errors (PcapError):
 * PCAP_ERR_NOT_A_CAPTURE, PCAP_ERR_VERSION, PCAP_ERR_BAD_BLOCK, PCAP_ERR_LIMIT, and from `end()`
 * PCAP_ERR_TRUNCATED when the file stops inside a header or a packet (a capture killed mid-write:
 * every whole packet before it has been returned). After an error the reader stays failed.
 */
export class CaptureReader {
  readonly #q = new ByteQueue();
  #format: CaptureFormat | undefined;
  #error: PcapError | undefined;
  #packets = 0;
  // libpcap
  #little = true;
  #pcapLinkType = 0;
  #nanos = false;
  // pcapng: the current section's byte order and interfaces
  #interfaces: Interface[] = [];

  get format(): CaptureFormat | undefined {
    return this.#format;
  }

  /** Packets returned so far. */
  get packets(): number {
    return this.#packets;
  }

  /** Appends a chunk and returns every packet now complete. Keeps a reference to `chunk`. */
  push(chunk: Uint8Array): CapturedPacket[] {
    if (this.#error) throw this.#error;
    this.#q.push(chunk);
    const out: CapturedPacket[] = [];
    try {
      for (;;) {
        const p = this.#next();
        if (p === undefined) return out;
        if (p !== null) {
          this.#packets++;
          out.push(p);
        }
      }
    } catch (e) {
      if (e instanceof PcapError) this.#error = e;
      throw e;
    }
  }

  /** The file has ended: throws PCAP_ERR_TRUNCATED if it stopped inside a header or a packet. */
  end(): void {
    if (this.#error) throw this.#error;
    if (this.#format === undefined) {
      throw new PcapError('PCAP_ERR_TRUNCATED', `file ends after ${this.#q.length} bytes, before its header`, 'header');
    }
    if (this.#q.length > 0) {
      throw new PcapError(
        'PCAP_ERR_TRUNCATED',
        `file ends inside a record (${this.#q.length} bytes of it present); the ${this.#packets} whole packets before it were read`,
        'record',
      );
    }
  }

  /** A packet, null for a record that holds none (a header, an interface, a statistics block), undefined to wait. */
  #next(): CapturedPacket | null | undefined {
    if (this.#format === undefined) return this.#fileHeader();
    return this.#format === 'pcap' ? this.#pcapRecord() : this.#pcapngBlock();
  }

  #u32(i: number, little: boolean): number {
    const q = this.#q;
    return little ? (q.peekUint8(i) | (q.peekUint8(i + 1) << 8) | (q.peekUint8(i + 2) << 16)) + q.peekUint8(i + 3) * 0x1000000 : q.peekUint32BE(i);
  }

  #fileHeader(): null | undefined {
    const q = this.#q;
    if (!q.has(4)) return undefined;
    const head = q.peek(4);
    const format = captureFormatOf(head);
    if (format === undefined) {
      throw new PcapError(
        'PCAP_ERR_NOT_A_CAPTURE',
        `starts with ${head.toString('hex')}, neither a libpcap magic (a1b2c3d4, a1b23c4d, either order) nor a pcapng section header (0a0d0d0a)`,
        'magic',
      );
    }
    if (format === 'pcapng') {
      this.#format = 'pcapng'; // the section header block is read as a block
      return null;
    }
    if (!q.has(PCAP_HEADER_BYTES)) return undefined;
    const magicBe = q.peekUint32BE(0);
    this.#little = !PCAP_MAGICS.has(magicBe);
    this.#nanos = (this.#little ? this.#u32(0, true) : magicBe) === PCAP_MAGIC_NS;
    const major = this.#little ? q.peekUint8(4) | (q.peekUint8(5) << 8) : q.peekUint16BE(4);
    if (major !== 2) throw new PcapError('PCAP_ERR_VERSION', `libpcap file format version ${major}, not 2`, 'header.version');
    // The link-type field's upper bits carry FCS information (draft-ietf-opsawg-pcap §4): the type is the low 16.
    this.#pcapLinkType = this.#u32(20, this.#little) & 0xffff;
    q.skip(PCAP_HEADER_BYTES);
    this.#format = 'pcap';
    return null;
  }

  #pcapRecord(): CapturedPacket | undefined {
    const q = this.#q;
    if (!q.has(PCAP_RECORD_BYTES)) return undefined;
    const le = this.#little;
    const captured = this.#u32(8, le);
    if (captured > PCAP_LIMITS.maxPacketBytes) {
      throw new PcapError(
        'PCAP_ERR_LIMIT',
        `packet ${this.#packets + 1} claims ${captured} captured bytes, over ${PCAP_LIMITS.maxPacketBytes}`,
        'record.captured-length',
      );
    }
    if (!q.has(PCAP_RECORD_BYTES + captured)) return undefined;
    const sec = this.#u32(0, le);
    const frac = this.#u32(4, le);
    const originalLength = this.#u32(12, le);
    q.skip(PCAP_RECORD_BYTES);
    const data = q.consume(captured);
    return { linkType: this.#pcapLinkType, timeUs: sec * 1e6 + (this.#nanos ? frac / 1000 : frac), data, originalLength: Math.max(originalLength, captured) };
  }

  #pcapngBlock(): CapturedPacket | null | undefined {
    const q = this.#q;
    if (!q.has(12)) return undefined;
    const typeBe = q.peekUint32BE(0);
    if (typeBe === PCAPNG_SHB) {
      // A new section: its byte-order magic decides how everything up to the next one is read.
      const bom = q.peekUint32BE(8);
      if (bom === PCAPNG_BYTE_ORDER_MAGIC) this.#little = false;
      else if (this.#u32(8, true) === PCAPNG_BYTE_ORDER_MAGIC) this.#little = true;
      else
        throw new PcapError(
          'PCAP_ERR_BAD_BLOCK',
          `section header byte-order magic ${q.peek(12).subarray(8).toString('hex')} is not 1a2b3c4d in either order`,
          'section-header.byte-order',
        );
    }
    const le = this.#little;
    const type = this.#u32(0, le);
    const total = this.#u32(4, le);
    if (total < 12 || total % 4 !== 0) {
      throw new PcapError(
        'PCAP_ERR_BAD_BLOCK',
        `block of type 0x${type.toString(16)} has total length ${total} (at least 12, a multiple of 4)`,
        'block.length',
      );
    }
    if (total > PCAP_LIMITS.maxBlockBytes) {
      throw new PcapError('PCAP_ERR_LIMIT', `block of type 0x${type.toString(16)} is ${total} bytes, over ${PCAP_LIMITS.maxBlockBytes}`, 'block.length');
    }
    if (!q.has(total)) return undefined;
    if (this.#u32(total - 4, le) !== total) {
      throw new PcapError(
        'PCAP_ERR_BAD_BLOCK',
        `block of type 0x${type.toString(16)}: trailing length ${this.#u32(total - 4, le)} differs from ${total}`,
        'block.trailing-length',
      );
    }
    const block = Buffer.from(q.consume(total)); // copied: packet data views outlive the chunks' queue
    const body = block.subarray(8, total - 4);
    const rd = (o: number) => (le ? body.readUInt32LE(o) : body.readUInt32BE(o));
    const need = (n: number, what: string) => {
      if (body.length < n) throw new PcapError('PCAP_ERR_BAD_BLOCK', `${what} body of ${body.length} bytes is shorter than its ${n}-byte fields`, 'block.body');
    };
    switch (type) {
      case PCAPNG_SHB: {
        need(8, 'section header');
        const major = le ? body.readUInt16LE(4) : body.readUInt16BE(4);
        if (major !== 1) throw new PcapError('PCAP_ERR_VERSION', `pcapng section version ${major}, not 1`, 'section-header.version');
        this.#interfaces = [];
        return null;
      }
      case BLOCK_IDB: {
        need(8, 'interface description');
        if (this.#interfaces.length >= PCAP_LIMITS.maxInterfaces) {
          throw new PcapError('PCAP_ERR_LIMIT', `more than ${PCAP_LIMITS.maxInterfaces} interfaces in one section`, 'interface');
        }
        this.#interfaces.push({ linkType: le ? body.readUInt16LE(0) : body.readUInt16BE(0), snapLength: rd(4), ...interfaceClock(body.subarray(8), le) });
        return null;
      }
      case BLOCK_EPB:
      case BLOCK_PB: {
        need(20, 'packet');
        const iface = this.#interface(type === BLOCK_EPB ? rd(0) : le ? body.readUInt16LE(0) : body.readUInt16BE(0));
        const captured = rd(12);
        if (captured > PCAP_LIMITS.maxPacketBytes) {
          throw new PcapError('PCAP_ERR_LIMIT', `packet claims ${captured} captured bytes, over ${PCAP_LIMITS.maxPacketBytes}`, 'packet.captured-length');
        }
        need(20 + captured, 'packet');
        const units = rd(4) * 4294967296 + rd(8);
        return {
          linkType: iface.linkType,
          timeUs: units / iface.unitsPerUs + iface.offsetUs,
          data: body.subarray(20, 20 + captured),
          originalLength: Math.max(rd(16), captured),
        };
      }
      case BLOCK_SPB: {
        need(4, 'simple packet');
        const iface = this.#interface(0);
        const originalLength = rd(0);
        // No captured-length field: the data is the packet cut at the interface's snap length (0 = none).
        const captured = Math.min(originalLength, body.length - 4, iface.snapLength || Infinity);
        return { linkType: iface.linkType, timeUs: iface.offsetUs, data: body.subarray(4, 4 + captured), originalLength };
      }
      default:
        return null; // name resolution, statistics, custom, decryption secrets…: not needed here
    }
  }

  #interface(id: number): Interface {
    const iface = this.#interfaces[id];
    if (!iface)
      throw new PcapError('PCAP_ERR_BAD_BLOCK', `packet names interface ${id}; the section describes ${this.#interfaces.length}`, 'packet.interface-id');
    return iface;
  }
}

/** if_tsresol and if_tsoffset from an interface description's options (defaults: microseconds, 0). */
function interfaceClock(options: Buffer, le: boolean): { unitsPerUs: number; offsetUs: number } {
  let unitsPerUs = 1;
  let offsetUs = 0;
  for (let o = 0; o + 4 <= options.length;) {
    const code = le ? options.readUInt16LE(o) : options.readUInt16BE(o);
    const len = le ? options.readUInt16LE(o + 2) : options.readUInt16BE(o + 2);
    if (code === OPT_END || o + 4 + len > options.length) break;
    const v = options.subarray(o + 4, o + 4 + len);
    if (code === OPT_IF_TSRESOL && len >= 1) {
      // MSB clear: 10^-n seconds per unit; set: 2^-n.
      const r = v[0]!;
      const perSecond = r & 0x80 ? 2 ** (r & 0x7f) : 10 ** r;
      unitsPerUs = perSecond / 1e6;
      if (!(unitsPerUs > 0) || !Number.isFinite(unitsPerUs)) {
        throw new PcapError('PCAP_ERR_BAD_BLOCK', `interface timestamp resolution 0x${r.toString(16)} is unusable`, 'interface.if_tsresol');
      }
    } else if (code === OPT_IF_TSOFFSET && len >= 8) {
      offsetUs = Number(le ? v.readBigInt64LE(0) : v.readBigInt64BE(0)) * 1e6;
    }
    o += 4 + len + ((4 - (len % 4)) % 4);
  }
  return { unitsPerUs, offsetUs };
}
