import { PcapError } from '../errors.js';
import { PCAP_LIMITS } from '../limits.js';
import type { TcpSegment } from './tcp-packet.js';

/** A piece of a reassembled stream and when it could first be read (capture time, µs). */
export interface StreamChunk {
  offset: number;
  length: number;
  timeUs: number;
}

/** One direction of a TCP connection, in byte order. */
export interface ReassembledStream {
  src: string;
  dst: string;
  /** The bytes captured, in sequence order, without the holes. */
  data: Buffer;
  /** `data` cut where the capture saw it arrive; times never decrease (TCP delivers in order). */
  chunks: StreamChunk[];
  /** Bytes the capture never saw (lost by the capturing host, or cut by the snap length), at `offset` of `data`. */
  holes: { offset: number; missingBytes: number }[];
  /** The capture saw the SYN, so `data` starts at the stream's first byte. Otherwise it started mid-stream. */
  fromStart: boolean;
  /** A FIN or RST was seen. Otherwise the capture ended mid-stream. */
  toEnd: boolean;
  /** Segments carrying data, and how many of them brought nothing new (retransmissions, duplicates). */
  segments: number;
  duplicateSegments: number;
  /** Bytes received more than once. */
  retransmittedBytes: number;
  /** Segments that arrived after a later part of the stream, yet carried bytes not seen before. */
  outOfOrderSegments: number;
  /** Capture time of the first segment of this direction (with or without data), µs. */
  firstTimeUs: number;
}

/** A TCP connection: `a` is the side that sent the first segment the capture saw. */
export interface TcpConnection {
  a: ReassembledStream;
  b: ReassembledStream;
}

interface Held {
  seq: number;
  payload: Buffer;
  timeUs: number;
  index: number;
}

interface Flow {
  src: string;
  dst: string;
  firstTimeUs: number;
  synSeq: number | undefined;
  closed: boolean;
  segments: Held[];
}

/**
 * Puts captured TCP segments back into the byte streams the two ends saw, the way a receiver does:
 * by sequence number, whatever order the capture holds them in. Retransmissions and duplicates
 * are dropped (the first copy of a byte, in sequence order, wins; a later copy that differs is
 * ignored as the receiver would); out-of-order segments are put in place; bytes never captured are
 * holes, reported with where they were; a capture that starts without the SYN starts at the
 * lowest sequence number seen (modulo 2^32, relative to the first segment), one that stops before
 * the FIN simply ends.
 *
 * Whole-capture, not incremental: where a stream starts is known only at the end of the file (a
 * retransmission of earlier bytes may come after later ones), and the tools that use this read a
 * capture file of bounded size (PCAP_LIMITS.maxReassembledBytes of payload, maxTcpFlows
 * connections). Payloads are copied, so the frames can be let go.
 */
export class TcpReassembler {
  readonly #flows = new Map<string, Flow>();
  #bytes = 0;
  #index = 0;

  add(segment: TcpSegment, timeUs: number): void {
    const key = `${segment.src}>${segment.dst}`;
    let flow = this.#flows.get(key);
    if (!flow) {
      if (this.#flows.size >= PCAP_LIMITS.maxTcpFlows) {
        throw new PcapError('PCAP_ERR_LIMIT', `more than ${PCAP_LIMITS.maxTcpFlows} TCP flows; capture only the BMC's traffic`, 'tcp.flows');
      }
      flow = { src: segment.src, dst: segment.dst, firstTimeUs: timeUs, synSeq: undefined, closed: false, segments: [] };
      this.#flows.set(key, flow);
    }
    if (segment.syn && flow.synSeq === undefined) flow.synSeq = segment.seq;
    if (segment.fin || segment.rst) flow.closed = true;
    // A SYN's sequence number is used by the SYN itself: its data (TCP Fast Open) starts one later.
    const seq = segment.syn ? (segment.seq + 1) >>> 0 : segment.seq;
    if (segment.payload.length === 0) return; // bytes cut by the snap length alone become a hole before the next segment
    this.#bytes += segment.payload.length;
    if (this.#bytes > PCAP_LIMITS.maxReassembledBytes) {
      throw new PcapError('PCAP_ERR_LIMIT', `more than ${PCAP_LIMITS.maxReassembledBytes} bytes of TCP payload; capture only the BMC's traffic`, 'tcp.bytes');
    }
    flow.segments.push({ seq, payload: Buffer.from(segment.payload), timeUs, index: this.#index++ });
  }

  /** Every connection, in the order of its first segment in the capture. */
  finish(): TcpConnection[] {
    const done = new Set<string>();
    const out: TcpConnection[] = [];
    const flows = [...this.#flows.values()].sort((x, y) => x.firstTimeUs - y.firstTimeUs);
    for (const f of flows) {
      const key = `${f.src}>${f.dst}`;
      if (done.has(key)) continue;
      const reverseKey = `${f.dst}>${f.src}`;
      done.add(key).add(reverseKey);
      const reverse = this.#flows.get(reverseKey) ?? { src: f.dst, dst: f.src, firstTimeUs: f.firstTimeUs, synSeq: undefined, closed: false, segments: [] };
      out.push({ a: reassemble(f), b: reassemble(reverse) });
    }
    return out;
  }
}

function reassemble(f: Flow): ReassembledStream {
  const s: ReassembledStream = {
    src: f.src,
    dst: f.dst,
    data: Buffer.alloc(0),
    chunks: [],
    holes: [],
    fromStart: f.synSeq !== undefined,
    toEnd: f.closed,
    segments: f.segments.length,
    duplicateSegments: 0,
    retransmittedBytes: 0,
    outOfOrderSegments: 0,
    firstTimeUs: f.firstTimeUs,
  };
  if (f.segments.length === 0) return s;
  // Offsets relative to a base: the byte after the SYN, else the lowest sequence number seen
  // (signed 32-bit differences from the first segment, so a wrap of the sequence space is no jump).
  const ref = f.segments[0]!.seq;
  let base: number;
  if (f.synSeq !== undefined) base = (f.synSeq + 1) >>> 0;
  else {
    let lowest = 0;
    for (const g of f.segments) lowest = Math.min(lowest, (g.seq - ref) | 0);
    base = (ref + lowest) >>> 0;
  }
  const placed = f.segments.map((g) => ({ ...g, start: (g.seq - base) | 0 }));
  // Out of order: in capture order, it starts before the furthest byte already seen and brings new bytes.
  let furthest = 0;
  const seenNew = new Set<number>();
  const ordered = [...placed].sort((x, y) => x.start - y.start || x.index - y.index);
  const parts: Buffer[] = [];
  let next = 0;
  let outLength = 0;
  let lastTime = -Infinity;
  for (const g of ordered) {
    const end = g.start + g.payload.length;
    if (end <= next || g.start < 0) {
      s.duplicateSegments++;
      s.retransmittedBytes += g.payload.length;
      continue;
    }
    if (g.start > next) {
      s.holes.push({ offset: outLength, missingBytes: g.start - next });
      next = g.start;
    }
    s.retransmittedBytes += next - g.start;
    const piece = g.payload.subarray(next - g.start);
    lastTime = Math.max(lastTime, g.timeUs);
    s.chunks.push({ offset: outLength, length: piece.length, timeUs: lastTime });
    parts.push(piece);
    outLength += piece.length;
    next = end;
    seenNew.add(g.index);
  }
  for (const g of placed) {
    if (g.start < furthest && seenNew.has(g.index)) s.outOfOrderSegments++;
    furthest = Math.max(furthest, g.start + g.payload.length);
  }
  s.data = Buffer.concat(parts, outLength);
  return s;
}
