import { createReadStream } from 'node:fs';
import { PcapError } from '../../../protocols/errors.js';
import { CaptureReader, captureFormatOf, type CaptureFormat } from '../../../protocols/pcap/capture-reader.js';
import { decodeTcpFrame } from '../../../protocols/pcap/tcp-packet.js';
import { TcpReassembler, type ReassembledStream, type StreamChunk, type TcpConnection } from '../../../protocols/pcap/tcp-reassembly.js';

/**
 * The BMC's half of a KVM session, from what a field engineer sends us: a libpcap/pcapng capture
 * (tcpdump, Wireshark), or the raw server → client bytes. In a capture the BMC side is the TCP
 * stream that starts with `RFB ` and spoke first (the client echoes the banner, so both directions
 * start with it); with several connections, the one whose BMC side carried the most bytes.
 */
export interface BmcStream {
  format: CaptureFormat | 'raw';
  data: Buffer;
  /** Where the capture saw each piece arrive, µs after the first packet of the capture (raw: one chunk at 0). */
  chunks: StreamChunk[];
  /** Bytes the capture lost, by offset in `data`. */
  holes: { offset: number; missingBytes: number }[];
  /** `data` starts with the banner (`RFB `); otherwise the capture started mid-session. */
  startsWithBanner: boolean;
  /** The capture has packet times (raw streams do not). */
  timed: boolean;
  /** What was found, for people (connections, skipped packets, retransmissions, …). */
  notes: string[];
}

/** Reads FILE (streamed: only TCP payload is kept) and picks the BMC stream. */
export async function readBmcStream(path: string): Promise<BmcStream> {
  const head = await new Promise<Buffer>((resolve, reject) => {
    const parts: Buffer[] = [];
    createReadStream(path, { start: 0, end: 3 })
      .on('data', (d) => parts.push(d as Buffer))
      .on('end', () => resolve(Buffer.concat(parts)))
      .on('error', reject);
  });
  if (!captureFormatOf(head)) {
    const parts: Buffer[] = [];
    for await (const d of createReadStream(path)) parts.push(d as Buffer);
    return rawStream(Buffer.concat(parts));
  }
  const cap = new CaptureFollower();
  for await (const d of createReadStream(path, { highWaterMark: 1 << 20 })) cap.push(d as Buffer);
  return cap.finish();
}

/** The same for bytes in memory (tests, fuzzing). Throws PcapError for a broken capture. */
export function bmcStreamOf(file: Buffer): BmcStream {
  if (!captureFormatOf(file)) return rawStream(file);
  const cap = new CaptureFollower();
  cap.push(file);
  return cap.finish();
}

function rawStream(data: Buffer): BmcStream {
  return {
    format: 'raw',
    data,
    chunks: data.length ? [{ offset: 0, length: data.length, timeUs: 0 }] : [],
    holes: [],
    startsWithBanner: data.subarray(0, 4).toString('latin1') === 'RFB ',
    timed: false,
    notes: [`raw server → client stream, ${data.length} bytes, no timing`],
  };
}

/** Capture file → TCP connections → the BMC's stream. */
class CaptureFollower {
  readonly #reader = new CaptureReader();
  readonly #tcp = new TcpReassembler();
  readonly #skipped = new Map<string, number>();
  readonly #linkTypes = new Set<number>();
  #firstUs: number | undefined;

  push(chunk: Buffer): void {
    for (const p of this.#reader.push(chunk)) {
      this.#firstUs ??= p.timeUs;
      this.#linkTypes.add(p.linkType);
      const f = decodeTcpFrame(p.linkType, p.data);
      if (f.kind === 'tcp') this.#tcp.add(f.segment, p.timeUs);
      else this.#skipped.set(f.reason, (this.#skipped.get(f.reason) ?? 0) + 1);
    }
  }

  finish(): BmcStream {
    let cut: string | undefined;
    try {
      this.#reader.end();
    } catch (e) {
      // A capture killed mid-write: everything before the cut record is still worth replaying.
      if (!(e instanceof PcapError && e.code === 'PCAP_ERR_TRUNCATED' && this.#reader.format)) throw e;
      cut = e.message;
    }
    const connections = this.#tcp.finish();
    const notes = [
      `${this.#reader.format}, link type ${[...this.#linkTypes].join('/') || 'none'}, ${this.#reader.packets} packets, ${connections.length} TCP connection${connections.length === 1 ? '' : 's'}`,
    ];
    if (cut) notes.push(`the capture file is cut short: ${cut}`);
    if (this.#skipped.size) notes.push(`not TCP or not usable: ${[...this.#skipped].map(([r, n]) => `${n} × ${r}`).join(', ')}`);
    const pick = pickBmcSide(connections);
    if (!pick) {
      return {
        format: this.#reader.format!,
        data: Buffer.alloc(0),
        chunks: [],
        holes: [],
        startsWithBanner: false,
        timed: true,
        notes: [...notes, 'no TCP stream with data in the capture'],
      };
    }
    const { bmc, client, why } = pick;
    const first = this.#firstUs ?? 0;
    notes.push(`BMC stream ${bmc.src} → ${bmc.dst} (${why}): ${describe(bmc)}`);
    notes.push(`client stream ${client.src} → ${client.dst}: ${client.data.length} bytes (not needed to decode)`);
    if (connections.length > 1) notes.push(`${connections.length - 1} other connection(s) ignored`);
    return {
      format: this.#reader.format!,
      data: bmc.data,
      chunks: bmc.chunks.map((c) => ({ ...c, timeUs: c.timeUs - first })),
      holes: bmc.holes,
      startsWithBanner: bmc.data.subarray(0, 4).toString('latin1') === 'RFB ',
      timed: true,
      notes,
    };
  }
}

function startsWithRfb(s: ReassembledStream): boolean {
  return s.data.subarray(0, 4).toString('latin1') === 'RFB ';
}

/**
 * The BMC side: the server speaks first in RFB, and the client echoes its banner, so among the
 * directions that start with `RFB ` it is the one whose first data came first. A capture that
 * started mid-session has no banner: then the direction that carried the most bytes (video flows
 * from the BMC). Across connections, the largest BMC side.
 */
function pickBmcSide(connections: TcpConnection[]): { bmc: ReassembledStream; client: ReassembledStream; why: string } | undefined {
  let best: { bmc: ReassembledStream; client: ReassembledStream; why: string } | undefined;
  for (const { a, b } of connections) {
    if (a.data.length === 0 && b.data.length === 0) continue;
    const ra = startsWithRfb(a);
    const rb = startsWithRfb(b);
    let pick: { bmc: ReassembledStream; client: ReassembledStream; why: string };
    if (ra && rb)
      pick =
        firstData(a) <= firstData(b)
          ? { bmc: a, client: b, why: 'starts with RFB and spoke first' }
          : { bmc: b, client: a, why: 'starts with RFB and spoke first' };
    else if (ra || rb) pick = ra ? { bmc: a, client: b, why: 'starts with RFB' } : { bmc: b, client: a, why: 'starts with RFB' };
    else
      pick =
        a.data.length >= b.data.length
          ? { bmc: a, client: b, why: 'no banner captured; the side with more data' }
          : { bmc: b, client: a, why: 'no banner captured; the side with more data' };
    const banner = (p: typeof pick) => startsWithRfb(p.bmc);
    if (!best || (banner(pick) && !banner(best)) || (banner(pick) === banner(best) && pick.bmc.data.length > best.bmc.data.length)) best = pick;
  }
  return best;
}

function firstData(s: ReassembledStream): number {
  return s.chunks[0]?.timeUs ?? Infinity;
}

function describe(s: ReassembledStream): string {
  const parts = [`${s.data.length} bytes in ${s.segments} segments`];
  parts.push(s.fromStart ? 'from its SYN' : 'capture started mid-stream');
  parts.push(s.toEnd ? 'to its FIN/RST' : 'capture ended mid-stream');
  if (s.duplicateSegments || s.retransmittedBytes)
    parts.push(`${s.duplicateSegments} duplicate/retransmitted segments, ${s.retransmittedBytes} bytes seen twice`);
  if (s.outOfOrderSegments) parts.push(`${s.outOfOrderSegments} out of order, put back in place`);
  if (s.holes.length) parts.push(`${s.holes.length} hole(s), ${s.holes.reduce((a, h) => a + h.missingBytes, 0)} bytes never captured`);
  return parts.join(', ');
}
