/**
 * The gateway's per-update work without sockets or timers, for counting instructions (valgrind
 * --tool=callgrind), which unlike wall-clock or CPU time is stable on a shared, noisy machine:
 *
 *   node dist/bench/encode-work.js [--viewers V] [--loops L] [--chunk BYTES] [--no-defer] [--inflate-only] [--verify] [RECORDING.fbs]
 *   valgrind --tool=callgrind --callgrind-out-file=/tmp/cg.out node dist/bench/encode-work.js --viewers 50
 *
 * It decodes a recording (the xterm one by default) into a shadow framebuffer, as the vnc source
 * does, adds each rectangle to every viewer's damage, as the Session does, and at each update's end
 * builds the FramebufferUpdate of every viewer that "asked" (src/viewer/update-builder.ts, the
 * gateway's own code): viewer v asks every (1 + v % 3)th update, so viewers are at different points,
 * as real ones with different round trips are. With --verify each viewer's stream is decoded again
 * by our RFB decoder and its final screen compared with the shadow framebuffer (not part of the
 * figure; leave it off under valgrind).
 *
 * The recording is pushed block by block (as its server wrote it), or with --chunk in reads of that
 * many bytes (as the gateway reads a BMC that sends faster than it decodes: 65536 at max speed).
 * Paints are deferred as in the vnc source (ServerMessageReaderOptions.deferPaints) unless --no-defer.
 * With --inflate-only (and --viewers 0) Tight rectangles are only inflated (InflateOnlyTight): the
 * part of the decode no proxy that keeps the screen can leave out.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readFbs } from '../protocols/fbs/index.js';
import { ClientHandshake } from '../protocols/rfb/client-handshake.js';
import { Encoding, RGBX_PIXEL_FORMAT } from '../protocols/rfb/constants.js';
import { createDecoders } from '../protocols/rfb/encodings/index.js';
import { Inflater } from '../protocols/rfb/encodings/inflater.js';
import { tightLayout } from '../protocols/rfb/encodings/tight.js';
import type { RectDecoder, RectHeader } from '../protocols/rfb/encodings/types.js';
import type { ByteQueue } from '../protocols/byte-queue.js';
import { Framebuffer } from '../protocols/rfb/framebuffer.js';
import { ServerMessageReader } from '../protocols/rfb/server-message-reader.js';
import { Damage } from '../src/session/damage.js';
import { EncodeCache } from '../src/viewer/encode-cache.js';
import { buildUpdate, chooseEncoder } from '../src/viewer/update-builder.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');

export interface EncodeWorkResult {
  updatesIn: number;
  /** Bytes pushed into the reader after the handshake. */
  bytesIn: number;
  updatesOut: number;
  bytesOut: number;
  /** With verify: viewers whose decoded screen differs from the shadow framebuffer (should be 0). */
  mismatched: number;
}

export function encodeWork(o: {
  path: string;
  viewers: number;
  loops: number;
  verify: boolean;
  share: boolean;
  /** Push the updates in reads of this many bytes (0: block by block). */
  chunk?: number;
  /** Defer paints as the vnc source does (default true). */
  defer?: boolean;
  /** Tight rectangles only inflated, nothing drawn (InflateOnlyTight): what following the zlib streams alone costs. */
  inflateOnly?: boolean;
}): EncodeWorkResult {
  const { blocks, error } = readFbs(readFileSync(o.path));
  if (error) throw error;
  const caps = { encodings: new Set([Encoding.Tight, Encoding.CopyRect, Encoding.Raw, Encoding.DesktopSize, Encoding.Cursor, Encoding.LastRect]) };
  const encoder = chooseEncoder(caps, RGBX_PIXEL_FORMAT, [...caps.encodings]);
  const hs = new ClientHandshake({ shared: true, maxVersion: '3.3' });
  let fb: Framebuffer | undefined;
  let reader: ServerMessageReader | undefined;
  const viewers: { damage: Damage; period: number; check?: { fb: Framebuffer; reader: ServerMessageReader } }[] = [];
  const cache = new EncodeCache();
  const result: EncodeWorkResult = { updatesIn: 0, bytesIn: 0, updatesOut: 0, bytesOut: 0, mismatched: 0 };
  // What is pushed after the handshake block: each block, or (--chunk) the loops' bytes cut into reads.
  const pushes: Buffer[][] = [];
  const after = blocks.slice(1).map((b) => Buffer.from(b.data));
  if (o.chunk) {
    const all = Buffer.concat(Array.from({ length: o.loops }, () => after).flat());
    const reads: Buffer[] = [];
    for (let at = 0; at < all.length; at += o.chunk) reads.push(all.subarray(at, at + o.chunk));
    pushes.push(reads);
  } else for (let loop = 0; loop < o.loops; loop++) pushes.push(after);
  const frame = (v: (typeof viewers)[number]): void => {
    const update = buildUpdate({
      fb: fb!,
      damage: v.damage,
      caps,
      pf: RGBX_PIXEL_FORMAT,
      encoder,
      resize: false,
      cursor: undefined,
      ...(o.share ? { cache } : {}),
    });
    if (!update) return;
    result.updatesOut++;
    result.bytesOut += update.length;
    v.check?.reader.push(update);
  };
  const first = blocks[0];
  if (!first) throw new Error(`${o.path}: the recording has no blocks`);
  const step = hs.receive(first.data);
  if (!step.serverInit) throw new Error(`${o.path}: the first block is not a whole RFB handshake`);
  if (step.rest?.length) pushes.unshift([step.rest]);
  for (const reads of o.loops > 0 ? pushes : []) {
    for (const data of reads) {
      result.bytesIn += data.length;
      if (!reader) {
        fb = new Framebuffer(step.serverInit.width, step.serverInit.height);
        const decoders = createDecoders();
        if (o.inflateOnly) decoders.set(Encoding.Tight, new InflateOnlyTight());
        reader = new ServerMessageReader({ fb, decoders, deferPaints: o.defer ?? true });
        for (let v = 0; v < o.viewers; v++) {
          const damage = new Damage(fb.width, fb.height);
          damage.addAll();
          const check = o.verify
            ? (() => {
                const vfb = new Framebuffer(fb.width, fb.height);
                return { fb: vfb, reader: new ServerMessageReader({ fb: vfb, decoders: createDecoders() }) };
              })()
            : undefined;
          viewers.push({ damage, period: 1 + (v % 3), ...(check ? { check } : {}) });
        }
      }
      for (const m of reader.push(data)) {
        if (m.type === 'rect') {
          cache.invalidate();
          for (const v of viewers) {
            if (m.encoding === Encoding.CopyRect && m.srcX !== undefined && m.srcY !== undefined) v.damage.copy(m.srcX, m.srcY, m);
            else v.damage.add(m);
          }
        } else if (m.type === 'update-end') {
          result.updatesIn++;
          for (const v of viewers) if (result.updatesIn % v.period === 0) frame(v);
        }
      }
    }
  }
  if (!fb) return result;
  for (const v of viewers) frame(v); // everyone asks once more at the end: all show the last screen
  if (o.verify) for (const v of viewers) if (!v.check!.fb.data.equals(fb.data)) result.mismatched++;
  return result;
}

/**
 * Tight as the gateway's decoder follows it (the same layout parsing, stream resets and Inflater, one
 * inflate() a rectangle) with nothing drawn: the floor under the CPU of any proxy that keeps a screen
 * of a Tight stream, since every byte of each zlib stream must be inflated for the next to be
 * (RFC 1951 §3.2: back-references reach 32 KiB into earlier output). In the agreed pixel format
 * (RGBX), whose TPIXEL is 3 bytes.
 */
export class InflateOnlyTight implements RectDecoder {
  readonly #streams = [new Inflater(), new Inflater(), new Inflater(), new Inflater()];

  decodeRect(q: ByteQueue, rect: RectHeader): boolean {
    const l = tightLayout(q, rect.width, rect.height, 3);
    if (!l) return false;
    const b = q.consume(l.total);
    for (let i = 0; i < 4; i++) if ((l.ctl >> i) & 1) this.#streams[i]!.reset();
    if (l.compressed) this.#streams[(l.ctl >> 4) & 3]!.inflate(b.subarray(l.dataOffset, l.dataOffset + l.wireLength), l.dataLength, 'tight');
    return true;
  }
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  const args = process.argv.slice(2);
  const opt = (name: string, def: number): number => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? Number(args[i + 1]) : def;
  };
  const path =
    args.find((a, i) => !a.startsWith('--') && !['--viewers', '--loops', '--chunk'].includes(args[i - 1] ?? '')) ??
    join(ROOT, 'fixtures/recordings/tigervnc-xterm-scroll.fbs');
  const r = encodeWork({
    path,
    viewers: opt('viewers', 1),
    loops: opt('loops', 3),
    verify: args.includes('--verify'),
    share: !args.includes('--no-share'),
    chunk: opt('chunk', 0),
    defer: !args.includes('--no-defer'),
    inflateOnly: args.includes('--inflate-only'),
  });
  process.stdout.write(`${JSON.stringify(r)}\n`);
  if (r.mismatched > 0) process.exitCode = 1;
}
