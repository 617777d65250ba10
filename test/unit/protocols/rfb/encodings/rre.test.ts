import { describe, expect, it } from 'vitest';
import { Encoding } from '../../../../../protocols/rfb/constants.js';
import { RREDecoder } from '../../../../../protocols/rfb/encodings/rre.js';
import { decodeEverySplit, expectErrorEverySplit, painted, rect, u16, u32 } from './helpers.js';

const E = Encoding.RRE;
const pixel = (r: number, g: number, b: number) => Buffer.of(r, g, b, 0);
const sub = (p: Buffer, x: number, y: number, w: number, h: number) => Buffer.concat([p, u16(x), u16(y), u16(w), u16(h)]);

describe('RREDecoder', () => {
  it('background + subrectangles, then a rectangle with none, split anywhere', () => {
    const bytes = Buffer.concat([
      u32(2),
      pixel(1, 2, 3),
      sub(pixel(200, 0, 0), 0, 0, 2, 1),
      sub(pixel(0, 200, 0), 3, 2, 2, 2), // reaches the rectangle's far corner
      u32(0),
      pixel(9, 9, 9),
    ]);
    const fb = decodeEverySplit(() => new RREDecoder(), [rect(1, 1, 5, 4, E), rect(0, 0, 1, 1, E)], bytes, 7, 6);
    const want = painted(7, 6, [
      [1, 1, 5, 4, 1, 2, 3],
      [1, 1, 2, 1, 200, 0, 0],
      [4, 3, 2, 2, 0, 200, 0],
      [0, 0, 1, 1, 9, 9, 9],
    ]);
    expect(fb.data.equals(want)).toBe(true);
  });

  it('subrectangle outside the rectangle → RFB_ERR_RRE_SUBRECT_BOUNDS', () => {
    const bytes = Buffer.concat([u32(1), pixel(1, 2, 3), sub(pixel(1, 1, 1), 4, 0, 2, 1)]);
    expectErrorEverySplit(() => new RREDecoder(), [rect(0, 0, 5, 4, E)], bytes, 'RFB_ERR_RRE_SUBRECT_BOUNDS');
  });

  it('more subrectangles than pixels → RFB_ERR_RRE_SUBRECT_COUNT', () => {
    expectErrorEverySplit(() => new RREDecoder(), [rect(0, 0, 2, 2, E)], Buffer.concat([u32(5), pixel(0, 0, 0)]), 'RFB_ERR_RRE_SUBRECT_COUNT');
    expectErrorEverySplit(() => new RREDecoder(), [rect(0, 0, 2, 2, E)], Buffer.concat([u32(0xffffffff), pixel(0, 0, 0)]), 'RFB_ERR_RRE_SUBRECT_COUNT');
  });
});
