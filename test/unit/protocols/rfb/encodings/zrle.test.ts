import { describe, expect, it } from 'vitest';
import { Encoding } from '../../../../../protocols/rfb/constants.js';
import { ZrleDecoder } from '../../../../../protocols/rfb/encodings/zrle.js';
import { decodeEverySplit, expectErrorEverySplit, rect, storedZlib, streamedZlib, u32 } from './helpers.js';
import { patRgb, zrleVector } from './vectors.js';

const Z = Encoding.ZRLE;
const make = () => new ZrleDecoder();
const framed = (parts: Buffer[]) => Buffer.concat(parts.flatMap((c) => [u32(c.length), c]));
const one = (tile: number[]) => framed(storedZlib([Buffer.from(tile)]));

describe('ZrleDecoder', () => {
  it('every tile type, split at every byte', () => {
    const v = zrleVector();
    expect(decodeEverySplit(make, v.rects, v.bytes, v.fbW, v.fbH).data.equals(v.want)).toBe(true);
  });

  it("node:zlib's persistent stream across rectangles", async () => {
    const raw = patRgb(10, 10, 3);
    const parts = await streamedZlib([Buffer.concat([Buffer.of(0), raw]), Buffer.concat([Buffer.of(0), raw])]);
    const fb = decodeEverySplit(make, [rect(0, 0, 10, 10, Z), rect(10, 0, 10, 10, Z)], framed(parts), 20, 10);
    for (let i = 0; i < 100; i++) {
      const x = i % 10,
        y = Math.floor(i / 10);
      expect([...fb.data.subarray((y * 20 + x) * 4, (y * 20 + x) * 4 + 3)]).toEqual([...raw.subarray(i * 3, i * 3 + 3)]);
      expect([...fb.data.subarray((y * 20 + x + 10) * 4, (y * 20 + x + 10) * 4 + 3)]).toEqual([...raw.subarray(i * 3, i * 3 + 3)]);
    }
  });

  it('undefined subencodings → RFB_ERR_ZRLE_SUBENCODING', () => {
    for (const sub of [17, 100, 127, 129]) expectErrorEverySplit(make, [rect(0, 0, 2, 2, Z)], one([sub, 0, 0, 0]), 'RFB_ERR_ZRLE_SUBENCODING');
  });

  it('run past the end of the tile → RFB_ERR_ZRLE_RUN_LENGTH', () => {
    expectErrorEverySplit(make, [rect(0, 0, 2, 2, Z)], one([128, 1, 2, 3, 4]), 'RFB_ERR_ZRLE_RUN_LENGTH');
    expectErrorEverySplit(make, [rect(0, 0, 2, 2, Z)], one([128, 1, 2, 3, 1, 1, 2, 3, 2]), 'RFB_ERR_ZRLE_RUN_LENGTH');
    expectErrorEverySplit(make, [rect(0, 0, 2, 2, Z)], one([130, 1, 2, 3, 4, 5, 6, 0x81, 4]), 'RFB_ERR_ZRLE_RUN_LENGTH');
    // a long chain of 255s is refused without reading all of it
    expectErrorEverySplit(make, [rect(0, 0, 64, 64, Z)], one([128, 1, 2, 3, ...new Array(40).fill(255)]), 'RFB_ERR_ZRLE_RUN_LENGTH');
  });

  it('palette index past the palette → RFB_ERR_ZRLE_PALETTE_INDEX', () => {
    expectErrorEverySplit(make, [rect(0, 0, 2, 2, Z)], one([130, 1, 2, 3, 4, 5, 6, 2, 0, 0, 0]), 'RFB_ERR_ZRLE_PALETTE_INDEX');
    // packed 3 colours, 2 bits: index 3
    expectErrorEverySplit(make, [rect(0, 0, 2, 1, Z)], one([3, 1, 1, 1, 2, 2, 2, 3, 3, 3, 0b0011_0000]), 'RFB_ERR_ZRLE_PALETTE_INDEX');
  });

  it('inflated data ending inside a tile → RFB_ERR_ZRLE_TRUNCATED; extra data → RFB_ERR_ZRLE_TRAILING_DATA', () => {
    expectErrorEverySplit(make, [rect(0, 0, 2, 2, Z)], one([0, 1, 2, 3, 4, 5, 6]), 'RFB_ERR_ZRLE_TRUNCATED');
    expectErrorEverySplit(make, [rect(0, 0, 64, 64, Z)], one([128, 1, 2, 3, 255]), 'RFB_ERR_ZRLE_TRUNCATED');
    expectErrorEverySplit(make, [rect(0, 0, 2, 2, Z)], one([1, 1, 2, 3, 0]), 'RFB_ERR_ZRLE_TRAILING_DATA');
  });

  it('compressed length over the limit → RFB_ERR_COMPRESSED_LENGTH; corrupt zlib → RFB_ERR_ZLIB_DATA', () => {
    expectErrorEverySplit(make, [rect(0, 0, 2, 2, Z)], u32(0xffffffff), 'RFB_ERR_COMPRESSED_LENGTH');
    expectErrorEverySplit(make, [rect(0, 0, 2, 2, Z)], framed([Buffer.from([0x78, 0x01, 0x06, 0])]), 'RFB_ERR_ZLIB_DATA');
  });
});
