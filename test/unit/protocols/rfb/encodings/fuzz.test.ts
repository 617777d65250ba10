import { describe, expect, it } from 'vitest';
import { ByteQueue } from '../../../../../protocols/byte-queue.js';
import { ProtocolError } from '../../../../../protocols/errors.js';
import { Encoding, type PixelFormat } from '../../../../../protocols/rfb/constants.js';
import { createDecoders, PixelReader } from '../../../../../protocols/rfb/encodings/index.js';
import { TightEncoder } from '../../../../../protocols/rfb/encodings/tight.js';
import { ZrleEncoder } from '../../../../../protocols/rfb/encodings/zrle-encoder.js';
import type { RectDecoder, RectHeader } from '../../../../../protocols/rfb/encodings/types.js';
import { Framebuffer } from '../../../../../protocols/rfb/framebuffer.js';
import { rng } from './helpers.js';
import { hextileVectors, tightVector, zlibVector, zrleVector, type Vector } from './vectors.js';

/**
 * Random and mutated input: decoders may finish, wait for more, or throw a ProtocolError — nothing
 * else (no RangeError/TypeError, no zlib error escaping raw), and every call returns (bounded loops).
 */
function feed(
  encoding: number,
  rects: RectHeader[],
  bytes: Buffer,
  fbW: number,
  fbH: number,
  chunk: number,
  dec: RectDecoder = createDecoders().get(encoding)!,
): void {
  const fb = new Framebuffer(fbW, fbH);
  const q = new ByteQueue();
  let i = 0;
  try {
    for (let off = 0; off < bytes.length; off += chunk) {
      q.push(bytes.subarray(off, off + chunk));
      while (i < rects.length && dec.decodeRect(q, rects[i]!, fb)) i++;
    }
  } catch (err) {
    if (!(err instanceof ProtocolError)) throw err;
  }
}

function mutate(b: Buffer, r: () => number): Buffer {
  const out = Buffer.from(b);
  const n = 1 + Math.floor(r() * 4);
  for (let k = 0; k < n; k++) {
    const at = Math.floor(r() * out.length);
    const how = r();
    if (how < 0.6) out[at] = Math.floor(r() * 256);
    else if (how < 0.8) out[at] = out[at]! ^ (1 << Math.floor(r() * 8));
    else return Buffer.concat([out.subarray(0, at), out.subarray(at + 1 + Math.floor(r() * 8))]);
  }
  return out;
}

/** A random rectangle of up to `side` x `side` and up to `maxBytes` random bytes for encoding `e`. */
function randomRect(r: () => number, e: number, side: number, maxBytes: number): { rect: RectHeader; bytes: Buffer } {
  const w = 1 + Math.floor(r() * side),
    h = 1 + Math.floor(r() * side);
  const bytes = Buffer.from(Array.from({ length: Math.floor(r() * maxBytes) }, () => Math.floor(r() * 256)));
  // Make the compressed encodings' inputs start plausibly so the fuzz reaches past the length check.
  if ((e === Encoding.Zlib || e === Encoding.ZRLE) && bytes.length > 6 && r() < 0.7) {
    bytes.writeUInt32BE(bytes.length - 4, 0);
    bytes[4] = 0x78;
    bytes[5] = 0x01;
  }
  return { rect: { x: 0, y: 0, width: w, height: h, encoding: e }, bytes };
}

function encoderVector(kind: 'tight' | 'zrle'): Vector {
  const fb = new Framebuffer(40, 30);
  const r = rng(77);
  for (let y = 0; y < 30; y++) for (let x = 0; x < 40; x++) fb.fillRect(x, y, 1, 1, r() < 0.5 ? 0 : 255, Math.floor(r() * 4) * 60, x * 6);
  const encoding = kind === 'tight' ? Encoding.Tight : Encoding.ZRLE;
  const enc = kind === 'tight' ? new TightEncoder() : new ZrleEncoder();
  const out = [...enc.encodeRect(fb, { x: 0, y: 0, width: 40, height: 30 }), ...enc.encodeRect(fb, { x: 3, y: 3, width: 20, height: 20 })];
  const rects = out.map((b) => ({ x: b.readUInt16BE(0), y: b.readUInt16BE(2), width: b.readUInt16BE(4), height: b.readUInt16BE(6), encoding }));
  return { name: `${kind} encoder output`, encoding, rects, bytes: Buffer.concat(out.map((b) => b.subarray(12))), fbW: 40, fbH: 30, want: fb.data };
}

describe('decoder fuzz', () => {
  const seeds = [hextileVectors()[0]!, tightVector(), zrleVector(), zlibVector(), encoderVector('tight'), encoderVector('zrle')];
  for (const v of seeds) {
    it(`mutated ${v.name}: only ProtocolError escapes`, () => {
      const r = rng(v.bytes.length);
      for (let n = 0; n < 400; n++) feed(v.encoding, v.rects, mutate(v.bytes, r), v.fbW, v.fbH, 1 + Math.floor(r() * 64));
    });
  }

  for (const e of [Encoding.Raw, Encoding.CopyRect, Encoding.RRE, Encoding.Hextile, Encoding.Zlib, Encoding.Tight, Encoding.ZRLE]) {
    it(`random bytes into encoding ${e}: only ProtocolError escapes`, () => {
      const r = rng(1000 + e);
      for (let n = 0; n < 300; n++) {
        const { rect: rc, bytes } = randomRect(r, e, 80, 600);
        feed(e, [rc, rc], bytes, 80, 80, 1 + Math.floor(r() * 100));
      }
    });
  }

  // The same in pixel formats other than ours: 16 bpp big-endian, an 8-bpp colour map, 32-bpp depth 30.
  const formats: PixelFormat[] = [
    { bitsPerPixel: 16, depth: 16, bigEndian: true, trueColour: true, redMax: 31, greenMax: 63, blueMax: 31, redShift: 11, greenShift: 5, blueShift: 0 },
    { bitsPerPixel: 8, depth: 8, bigEndian: false, trueColour: false, redMax: 0, greenMax: 0, blueMax: 0, redShift: 0, greenShift: 0, blueShift: 0 },
    {
      bitsPerPixel: 32,
      depth: 30,
      bigEndian: false,
      trueColour: true,
      redMax: 1023,
      greenMax: 1023,
      blueMax: 1023,
      redShift: 20,
      greenShift: 10,
      blueShift: 0,
    },
  ];
  for (const pf of formats) {
    it(`random and mutated bytes at ${pf.bitsPerPixel} bpp depth ${pf.depth}${pf.trueColour ? '' : ' colour map'}: only ProtocolError escapes`, () => {
      const r = rng(pf.bitsPerPixel * 7 + pf.depth);
      for (const e of [Encoding.Raw, Encoding.RRE, Encoding.Hextile, Encoding.Zlib, Encoding.Tight, Encoding.ZRLE]) {
        for (let n = 0; n < 150; n++) {
          const { rect: rc, bytes } = randomRect(r, e, 70, 500);
          feed(e, [rc], bytes, 80, 80, 1 + Math.floor(r() * 100), createDecoders(new PixelReader(pf)).get(e));
        }
      }
      for (const v of [tightVector(), zrleVector(), hextileVectors()[0]!]) {
        for (let n = 0; n < 100; n++)
          feed(v.encoding, v.rects, mutate(v.bytes, r), v.fbW, v.fbH, 1 + Math.floor(r() * 64), createDecoders(new PixelReader(pf)).get(v.encoding));
      }
    });
  }

  it('the fuzz harness itself rethrows non-protocol errors (so the tests above can fail)', () => {
    const broken: RectDecoder = {
      decodeRect: () => {
        throw new TypeError('a bug');
      },
    };
    expect(() => feed(Encoding.Raw, [{ x: 0, y: 0, width: 1, height: 1, encoding: 0 }], Buffer.from([0]), 1, 1, 1, broken)).toThrow(TypeError);
  });
});
