import { describe, expect, it } from 'vitest';
import { Encoding } from '../../../../../protocols/rfb/constants.js';
import { CopyRectDecoder } from '../../../../../protocols/rfb/encodings/copy-rect.js';
import { decodeEverySplit, expectErrorEverySplit, px, rect, u16 } from './helpers.js';

const C = Encoding.CopyRect;

describe('CopyRectDecoder', () => {
  it('copies an area, overlapping included', () => {
    const init = (fb: import('../../../../../protocols/rfb/framebuffer.js').Framebuffer) => {
      fb.fillRect(0, 0, 2, 2, 10, 20, 30);
      fb.fillRect(2, 0, 1, 2, 40, 50, 60);
    };
    // copy 3x2 from (0,0) to (1,1) (overlapping), then 1x1 from (3,2) to (0,3)
    const bytes = Buffer.concat([u16(0), u16(0), u16(3), u16(2)]);
    const fb = decodeEverySplit(() => new CopyRectDecoder(), [rect(1, 1, 3, 2, C), rect(0, 3, 1, 1, C)], bytes, 5, 4, { init });
    expect(px(fb, 1, 1)).toEqual([10, 20, 30, 0]);
    expect(px(fb, 2, 2)).toEqual([10, 20, 30, 0]);
    expect(px(fb, 3, 2)).toEqual([40, 50, 60, 0]);
    expect(px(fb, 0, 3)).toEqual([40, 50, 60, 0]);
    expect(px(fb, 0, 0)).toEqual([10, 20, 30, 0]);
  });

  it('refuses a source outside the framebuffer (RFB_ERR_RECT_OUT_OF_BOUNDS)', () => {
    expectErrorEverySplit(() => new CopyRectDecoder(), [rect(0, 0, 3, 2, C)], Buffer.concat([u16(3), u16(0)]), 'RFB_ERR_RECT_OUT_OF_BOUNDS', 5, 4);
    expectErrorEverySplit(() => new CopyRectDecoder(), [rect(0, 0, 3, 2, C)], Buffer.concat([u16(0), u16(0xffff)]), 'RFB_ERR_RECT_OUT_OF_BOUNDS', 5, 4);
  });
});
