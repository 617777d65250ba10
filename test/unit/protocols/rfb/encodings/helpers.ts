import zlib from 'node:zlib';
import { expect } from 'vitest';
import { ByteQueue } from '../../../../../protocols/byte-queue.js';
import { ProtocolError, RfbError } from '../../../../../protocols/errors.js';
import { Framebuffer } from '../../../../../protocols/rfb/framebuffer.js';
import type { RectDecoder, RectHeader } from '../../../../../protocols/rfb/encodings/types.js';

/** The ways every vector is fed: whole, split in two at every offset, and one byte at a time. */
export function splits(bytes: Buffer, maxOffsets = Infinity): { name: string; chunks: Buffer[] }[] {
  const out = [{ name: 'whole', chunks: [bytes] }];
  const step = Math.max(1, Math.ceil(bytes.length / maxOffsets));
  for (let k = 1; k < bytes.length; k += step) out.push({ name: `split@${k}`, chunks: [bytes.subarray(0, k), bytes.subarray(k)] });
  out.push({ name: 'bytewise', chunks: Array.from(bytes, (_, i) => bytes.subarray(i, i + 1)) });
  return out;
}

/**
 * Drives a fresh decoder the way the connection does: push a chunk, then decode rectangles for as
 * long as they complete. Checks every rectangle completed and every byte was consumed.
 */
export function runDecoder(
  make: () => RectDecoder,
  rects: RectHeader[],
  chunks: Buffer[],
  fbW: number,
  fbH: number,
  init?: (fb: Framebuffer) => void,
): Framebuffer {
  const dec = make();
  const fb = new Framebuffer(fbW, fbH);
  init?.(fb);
  const q = new ByteQueue();
  let i = 0;
  while (i < rects.length && dec.decodeRect(q, rects[i]!, fb)) i++;
  for (const c of chunks) {
    q.push(c);
    while (i < rects.length && dec.decodeRect(q, rects[i]!, fb)) i++;
  }
  expect(i, 'rectangles completed').toBe(rects.length);
  expect(q.length, 'bytes left over').toBe(0);
  return fb;
}

/** Decodes `bytes` fed every way; asserts all results are identical and returns the framebuffer. */
export function decodeEverySplit(
  make: () => RectDecoder,
  rects: RectHeader[],
  bytes: Buffer,
  fbW: number,
  fbH: number,
  opts: { maxOffsets?: number; init?: (fb: Framebuffer) => void } = {},
): Framebuffer {
  let first: Framebuffer | undefined;
  for (const s of splits(bytes, opts.maxOffsets)) {
    const fb = runDecoder(make, rects, s.chunks, fbW, fbH, opts.init);
    if (!first) first = fb;
    else expect(fb.data.equals(first.data), `${s.name} differs from whole`).toBe(true);
  }
  return first!;
}

/** Asserts feeding `bytes` every way throws an RfbError with `code`. */
export function expectErrorEverySplit(
  make: () => RectDecoder,
  rects: RectHeader[],
  bytes: Buffer,
  code: string,
  fbW = 64,
  fbH = 64,
  maxOffsets = Infinity,
): void {
  for (const s of splits(bytes, maxOffsets)) {
    let caught: unknown;
    try {
      runDecoder(make, rects, s.chunks, fbW, fbH);
    } catch (err) {
      caught = err;
    }
    expect(caught, s.name).toBeInstanceOf(RfbError);
    expect((caught as RfbError).code, s.name).toBe(code);
  }
}

/** Runs `fn` on random/mutated inputs; only ProtocolError may escape. */
export function expectOnlyProtocolErrors(fn: () => void): void {
  try {
    fn();
  } catch (err) {
    if (!(err instanceof ProtocolError)) throw err;
  }
}

export function rect(x: number, y: number, width: number, height: number, encoding: number): RectHeader {
  return { x, y, width, height, encoding };
}

/** Pixel at (x, y) of a framebuffer as [r, g, b, x]. */
export function px(fb: Framebuffer, x: number, y: number): number[] {
  const o = (y * fb.width + x) * 4;
  return [...fb.data.subarray(o, o + 4)];
}

/** An expected framebuffer built by painting rectangles of RGB colours. */
export function painted(w: number, h: number, fills: [number, number, number, number, number, number, number][]): Buffer {
  const fb = new Framebuffer(w, h);
  for (const [x, y, fw, fh, r, g, b] of fills) fb.fillRect(x, y, fw, fh, r, g, b);
  return fb.data;
}

/**
 * A zlib stream written by hand with stored (uncompressed) deflate blocks (RFC 1950 header 78 01,
 * RFC 1951 §3.2.4 BTYPE=00), one element per rectangle, each ending on a byte boundary as after
 * Z_SYNC_FLUSH. Independent of node:zlib and of our encoder.
 */
export function storedZlib(parts: Uint8Array[]): Buffer[] {
  return parts.map((p, i) => {
    const blocks: Buffer[] = i === 0 ? [Buffer.of(0x78, 0x01)] : [];
    for (let off = 0; off < p.length || (off === 0 && p.length === 0); off += 65535) {
      const n = Math.min(65535, p.length - off);
      const h = Buffer.alloc(5);
      h[0] = 0; // BFINAL=0, BTYPE=00
      h.writeUInt16LE(n, 1);
      h.writeUInt16LE(~n & 0xffff, 3);
      blocks.push(h, Buffer.from(p.subarray(off, off + n)));
      if (p.length === 0) break;
    }
    return Buffer.concat(blocks);
  });
}

/** A real persistent zlib stream (node:zlib's deflate, not ours), Z_SYNC_FLUSH after each part. */
export async function streamedZlib(parts: Uint8Array[], level = 6): Promise<Buffer[]> {
  const d = zlib.createDeflate({ level });
  // Flowing mode, so a large part never stalls the stream on a full readable buffer.
  const chunks: Buffer[] = [];
  d.on('data', (c: Buffer) => chunks.push(c));
  const out: Buffer[] = [];
  for (const p of parts) {
    d.write(p);
    await new Promise<void>((resolve) => d.flush(zlib.constants.Z_SYNC_FLUSH, () => resolve()));
    await new Promise<void>((resolve) => setImmediate(resolve));
    out.push(Buffer.concat(chunks.splice(0)));
  }
  d.close();
  return out;
}

export function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

export function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
}

export { prng as rng } from '../../../../helpers/prng.js';
