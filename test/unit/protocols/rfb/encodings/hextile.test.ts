import { describe, expect, it } from 'vitest';
import { Encoding } from '../../../../../protocols/rfb/constants.js';
import { HextileDecoder } from '../../../../../protocols/rfb/encodings/hextile.js';
import { decodeEverySplit, expectErrorEverySplit, rect } from './helpers.js';
import { hextileVector } from './vectors.js';

const H = Encoding.Hextile;
const RAW = 1,
  BG = 2,
  FG = 4,
  ANY = 8;

describe('HextileDecoder', () => {
  it('decodes every subencoding, split at every byte', () => {
    const v = hextileVector();
    const fb = decodeEverySplit(() => new HextileDecoder(), v.rects, v.bytes, 24, 20);
    expect(fb.data.equals(v.want)).toBe(true);
  });

  it('a blank tile after a raw tile is filled with the last background (TigerVNC and libvncclient do so; noVNC skips it)', () => {
    // §7.7.4: "If this bit isn't set then the background is the same as the last tile"; a raw tile
    // specifies none, so the last one given (here 9,9,9) still holds.
    const bytes = Buffer.from([BG, 9, 9, 9, 0, RAW, ...new Array(16 * 4 * 4).fill(200), 0]);
    const fb = decodeEverySplit(() => new HextileDecoder(), [rect(0, 0, 48, 4, H)], bytes, 48, 4);
    expect([...fb.data.subarray(0, 4)]).toEqual([9, 9, 9, 0]);
    expect([...fb.data.subarray(16 * 4, 16 * 4 + 4)]).toEqual([200, 200, 200, 200]);
    expect([...fb.data.subarray(47 * 4, 48 * 4)]).toEqual([9, 9, 9, 0]);
  });

  it('undefined subencoding bits → RFB_ERR_HEXTILE_SUBENCODING', () => {
    expectErrorEverySplit(() => new HextileDecoder(), [rect(0, 0, 4, 4, H)], Buffer.from([0x20]), 'RFB_ERR_HEXTILE_SUBENCODING');
    // also when it is a later tile
    expectErrorEverySplit(() => new HextileDecoder(), [rect(0, 0, 20, 4, H)], Buffer.from([BG, 1, 1, 1, 0, 0x80]), 'RFB_ERR_HEXTILE_SUBENCODING');
  });

  it('subrectangle outside its tile → RFB_ERR_HEXTILE_SUBRECT_BOUNDS', () => {
    // 4x2 tile, subrect at x=3 width 2
    expectErrorEverySplit(
      () => new HextileDecoder(),
      [rect(0, 0, 4, 2, H)],
      Buffer.from([FG | ANY, 1, 1, 1, 0, 1, 0x30, 0x10]),
      'RFB_ERR_HEXTILE_SUBRECT_BOUNDS',
    );
    // height: y=1, h=2 in a 2-high tile
    expectErrorEverySplit(() => new HextileDecoder(), [rect(0, 0, 4, 2, H)], Buffer.from([ANY, 1, 0x01, 0x01]), 'RFB_ERR_HEXTILE_SUBRECT_BOUNDS');
  });
});
