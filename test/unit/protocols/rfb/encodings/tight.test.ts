import { describe, expect, it } from 'vitest';
import { Encoding } from '../../../../../protocols/rfb/constants.js';
import { TightDecoder } from '../../../../../protocols/rfb/encodings/tight.js';
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
