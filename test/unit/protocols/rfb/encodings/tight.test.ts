import { describe, expect, it } from 'vitest';
import { Encoding } from '../../../../../protocols/rfb/constants.js';
import { drawTwoColoursInPairs, TightDecoder, TightEncoder } from '../../../../../protocols/rfb/encodings/tight.js';
import { ByteQueue } from '../../../../../protocols/byte-queue.js';
import { Framebuffer } from '../../../../../protocols/rfb/framebuffer.js';
import { decodeEverySplit, expectErrorEverySplit, rect, storedZlib, streamedZlib } from './helpers.js';
import { compact, patRgb, tightBigVector, tightVector } from './vectors.js';

const T = Encoding.Tight;
const make = () => new TightDecoder();

describe('TightDecoder', () => {
  it('fill, copy, palettes, gradient, raw < 12 bytes, four streams, reset — split at every byte', () => {
    const v = tightVector();
    expect(decodeEverySplit(make, v.rects, v.bytes, v.fbW, v.fbH).data.equals(v.want)).toBe(true);
  });

  it('3-byte compact length', () => {
    const v = tightBigVector();
    expect(decodeEverySplit(make, v.rects, v.bytes, v.fbW, v.fbH, { maxOffsets: 40 }).data.equals(v.want)).toBe(true);
  });

  it("node:zlib's persistent stream carried across rectangles, then reset", async () => {
    const a = patRgb(8, 4, 0);
    const b = Buffer.concat([a.subarray(0, 48), a.subarray(0, 48)]);
    const [za, zb] = await streamedZlib([a, b]);
    const [zc] = await streamedZlib([a]);
    const bytes = Buffer.from([0x00, ...compact(za!.length), ...za!, 0x00, ...compact(zb!.length), ...zb!, 0x01, ...compact(zc!.length), ...zc!]);
    const fb = decodeEverySplit(make, [rect(0, 0, 8, 4, T), rect(0, 4, 8, 4, T), rect(0, 8, 8, 4, T)], bytes, 8, 12);
    const rgbAt = (y: number) => {
      const out: number[] = [];
      for (let i = 0; i < 32; i++) out.push(...fb.data.subarray((y * 8 + i) * 4, (y * 8 + i) * 4 + 3));
      return Buffer.from(out);
    };
    expect(rgbAt(0).equals(a)).toBe(true);
    expect(rgbAt(4).equals(b)).toBe(true);
    expect(rgbAt(8).equals(a)).toBe(true);
  });

  it('a new zlib header without the reset bit is corrupt data (RFB_ERR_ZLIB_DATA)', async () => {
    const [za] = await streamedZlib([patRgb(2, 2)]);
    const bytes = Buffer.from([0x00, ...compact(za!.length), ...za!, 0x00, ...compact(za!.length), ...za!]);
    expectErrorEverySplit(make, [rect(0, 0, 2, 2, T), rect(0, 2, 2, 2, T)], bytes, 'RFB_ERR_ZLIB_DATA');
  });

  it('JPEG data that is not a JPEG → RFB_ERR_TIGHT_JPEG (JPEG itself: tight-jpeg.test.ts)', () => {
    expectErrorEverySplit(make, [rect(0, 0, 2, 2, T)], Buffer.from([0x90, 4, 1, 2, 3, 4]), 'RFB_ERR_TIGHT_JPEG');
  });

  it('PNG and undefined compression types → RFB_ERR_TIGHT_COMPRESSION', () => {
    for (const ctl of [0xa0, 0xb0, 0xf3]) expectErrorEverySplit(make, [rect(0, 0, 2, 2, T)], Buffer.from([ctl, 1, 2, 3]), 'RFB_ERR_TIGHT_COMPRESSION');
  });

  it('undefined filter → RFB_ERR_TIGHT_FILTER', () => {
    expectErrorEverySplit(make, [rect(0, 0, 2, 2, T)], Buffer.from([0x40, 3, 1, 2, 3]), 'RFB_ERR_TIGHT_FILTER');
  });

  it('palette of fewer than 2 colours → RFB_ERR_TIGHT_PALETTE_SIZE (more than 256 is not encodable: one byte holds size-1)', () => {
    expectErrorEverySplit(make, [rect(0, 0, 2, 2, T)], Buffer.from([0x40, 1, 0, 1, 2, 3, 0, 0, 0, 0]), 'RFB_ERR_TIGHT_PALETTE_SIZE');
  });

  it('palette index past the palette → RFB_ERR_TIGHT_PALETTE_INDEX', () => {
    expectErrorEverySplit(make, [rect(0, 0, 3, 1, T)], Buffer.from([0x40, 1, 2, 1, 1, 1, 2, 2, 2, 3, 3, 3, 0, 1, 3]), 'RFB_ERR_TIGHT_PALETTE_INDEX');
  });

  it('compressed length over the limit → RFB_ERR_COMPRESSED_LENGTH', () => {
    // 2x2 copy = 12 bytes of data; limit 12 + 2 + 1024. 3-byte compact length 0x3fffff.
    expectErrorEverySplit(make, [rect(0, 0, 2, 2, T)], Buffer.from([0x00, 0xff, 0xff, 0xff]), 'RFB_ERR_COMPRESSED_LENGTH');
    expectErrorEverySplit(make, [rect(0, 0, 2, 2, T)], Buffer.from([0x00, ...compact(1039)]), 'RFB_ERR_COMPRESSED_LENGTH');
  });

  it('truncated zlib → RFB_ERR_ZLIB_TRUNCATED; too much → RFB_ERR_ZLIB_OVERFLOW', () => {
    const short = storedZlib([Buffer.alloc(11)])[0]!;
    expectErrorEverySplit(make, [rect(0, 0, 2, 2, T)], Buffer.from([0x00, ...compact(short.length), ...short]), 'RFB_ERR_ZLIB_TRUNCATED');
    const long = storedZlib([Buffer.alloc(13)])[0]!;
    expectErrorEverySplit(make, [rect(0, 0, 2, 2, T)], Buffer.from([0x00, ...compact(long.length), ...long]), 'RFB_ERR_ZLIB_OVERFLOW');
  });
});

/** A framebuffer of noise, X bytes included, so that a write outside its rectangle or a stray X byte shows. */
function noisy(w: number, h: number, seed: number): Framebuffer {
  const fb = new Framebuffer(w, h);
  for (let i = 0; i < fb.data.length; i++) fb.data[i] = (Math.imul(i + seed, 2654435761) >>> 24) & 0xff;
  return fb;
}

/** What drawing two-colour palette data must give: `want` with the rectangle painted a pixel at a time. */
function paintReference(want: Buffer, fbW: number, r: { x: number; y: number; width: number; height: number }, c: [number, number], data: Uint8Array): void {
  const rowBytes = (r.width + 7) >> 3;
  for (let y = 0; y < r.height; y++)
    for (let x = 0; x < r.width; x++) {
      const bit = (data[y * rowBytes + (x >> 3)]! >> (7 - (x & 7))) & 1;
      want.writeUInt32LE(c[bit]!, ((r.y + y) * fbW + r.x + x) * 4);
    }
}

describe('two-colour palette data drawn two pixels a store (drawTwoColoursInPairs)', () => {
  // Colours whose pixel pairs are +0, subnormal and normal float64s (black, near-black, white...).
  const palettes: [number, number][] = [
    [0x000000, 0xffffff],
    [0x000001, 0x000000],
    [0x0fffff, 0x100000],
    [0xaaaaaa, 0x00aa00],
  ];
  for (const [i, [c0, c1]] of palettes.entries()) {
    for (const width of [1, 2, 7, 8, 9, 16, 23]) {
      it(`colours ${c0.toString(16)}/${c1.toString(16)}, ${width} wide: only the rectangle changes, pixel for pixel as one at a time`, () => {
        const fb = noisy(40, 6, i * 31 + width);
        const r = { x: 6, y: 1, width, height: 4, encoding: Encoding.Tight };
        const rowBytes = (width + 7) >> 3;
        // Every byte value shows up across the rows, 0x00 and 0xff (the one-colour bytes) included.
        const data = Uint8Array.from({ length: rowBytes * r.height }, (_, k) => [0x00, 0xff, 0x5a, 0x81, 0x3c, 0xe7][(k + width) % 6]! ^ (k * 17));
        data[0] = 0x00;
        data[data.length - 1] = 0xff;
        const want = Buffer.from(fb.data);
        paintReference(want, fb.width, r, [c0, c1], data);
        const words = fb.words()!;
        drawTwoColoursInPairs(words, new Float64Array(words.buffer, words.byteOffset, words.length >> 1), fb.width, r, c0, c1, data, rowBytes);
        expect(fb.data.equals(want)).toBe(true);
      });
    }
  }

  // Through the decoder: even x in an even-width framebuffer takes the pairs; odd x or odd width the word a pixel.
  for (const [fbW, x] of [
    [40, 4],
    [40, 5],
    [41, 4],
  ] as const) {
    it(`TightDecoder, two colours at x ${x} of a ${fbW}-wide framebuffer: the rectangle as encoded, the rest untouched`, () => {
      const src = new Framebuffer(fbW, 20);
      src.fillRect(0, 0, fbW, 20, 0, 0, 0);
      for (let y = 0; y < 20; y++) for (let c = 0; c < fbW; c++) if ((c * 7 + y * 3) % 5 < 2) src.fillRect(c, y, 1, 1, 200, 200, 200);
      const area = { x, y: 2, width: 29, height: 15 };
      const enc = new TightEncoder().encodeRect(src, area);
      expect(enc.length).toBe(1);
      expect(enc[0]![12]! & 0xf0).toBe(0x70); // the two-colour palette (explicit filter, stream 3)
      const fb = noisy(fbW, 20, x);
      const want = Buffer.from(fb.data);
      for (let y = area.y; y < area.y + area.height; y++) src.data.copy(want, (y * fbW + x) * 4, (y * fbW + x) * 4, (y * fbW + x + area.width) * 4);
      const q = new ByteQueue();
      q.push(enc[0]!.subarray(12));
      expect(new TightDecoder().decodeRect(q, { ...area, encoding: Encoding.Tight }, fb)).toBe(true);
      expect(fb.data.equals(want)).toBe(true);
    });
  }
});
