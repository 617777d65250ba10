import { describe, expect, it } from 'vitest';
import { Encoding } from '../../../../../protocols/rfb/constants.js';
import { HextileDecoder } from '../../../../../protocols/rfb/encodings/hextile.js';
import { decodeEverySplit, expectErrorEverySplit, rect } from './helpers.js';
import { hextileVector } from './vectors.js';

const H = Encoding.Hextile;
const BG = 2, FG = 4, ANY = 8;

describe('HextileDecoder', () => {
  it('decodes every subencoding, split at every byte', () => {
    const v = hextileVector();
    const fb = decodeEverySplit(() => new HextileDecoder(), v.rects, v.bytes, 24, 20);
    expect(fb.data.equals(v.want)).toBe(true);
  });

  it('undefined subencoding bits → RFB_ERR_HEXTILE_SUBENCODING', () => {
    expectErrorEverySplit(() => new HextileDecoder(), [rect(0, 0, 4, 4, H)], Buffer.from([0x20]), 'RFB_ERR_HEXTILE_SUBENCODING');
    // also when it is a later tile
    expectErrorEverySplit(() => new HextileDecoder(), [rect(0, 0, 20, 4, H)], Buffer.from([BG, 1, 1, 1, 0, 0x80]), 'RFB_ERR_HEXTILE_SUBENCODING');
  });

  it('subrectangle outside its tile → RFB_ERR_HEXTILE_SUBRECT_BOUNDS', () => {
    // 4x2 tile, subrect at x=3 width 2
    expectErrorEverySplit(() => new HextileDecoder(), [rect(0, 0, 4, 2, H)], Buffer.from([FG | ANY, 1, 1, 1, 0, 1, 0x30, 0x10]), 'RFB_ERR_HEXTILE_SUBRECT_BOUNDS');
    // height: y=1, h=2 in a 2-high tile
    expectErrorEverySplit(() => new HextileDecoder(), [rect(0, 0, 4, 2, H)], Buffer.from([ANY, 1, 0x01, 0x01]), 'RFB_ERR_HEXTILE_SUBRECT_BOUNDS');
  });
});
