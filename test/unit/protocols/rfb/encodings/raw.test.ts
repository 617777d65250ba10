import { describe, expect, it } from 'vitest';
import { RfbError } from '../../../../../protocols/errors.js';
import { Encoding, RGBX_PIXEL_FORMAT, type PixelFormat } from '../../../../../protocols/rfb/constants.js';
import { RawDecoder, RawEncoder, encodeRawRect } from '../../../../../protocols/rfb/encodings/raw.js';
import { Framebuffer } from '../../../../../protocols/rfb/framebuffer.js';
import { decodeEverySplit, px, rect } from './helpers.js';

const R = Encoding.Raw;

describe('RawDecoder', () => {
  it('decodes consecutive rectangles, split anywhere', () => {
    // 3x2 at (1,1), then 1x1 at (0,0); pixels are R,G,B,X.
    const a = Buffer.from([1, 2, 3, 0, 4, 5, 6, 0, 7, 8, 9, 0, 10, 11, 12, 0, 13, 14, 15, 0, 16, 17, 18, 0]);
    const b = Buffer.from([200, 201, 202, 99]);
    const fb = decodeEverySplit(() => new RawDecoder(), [rect(1, 1, 3, 2, R), rect(0, 0, 1, 1, R)], Buffer.concat([a, b]), 5, 4);
    expect(px(fb, 1, 1)).toEqual([1, 2, 3, 0]);
    expect(px(fb, 3, 1)).toEqual([7, 8, 9, 0]);
    expect(px(fb, 1, 2)).toEqual([10, 11, 12, 0]);
    expect(px(fb, 3, 2)).toEqual([16, 17, 18, 0]);
    // X byte is copied as sent (Raw is a straight copy into the RGBX store).
    expect(px(fb, 0, 0)).toEqual([200, 201, 202, 99]);
    expect(px(fb, 4, 3)).toEqual([0, 0, 0, 0]);
  });

  it('completes an empty rectangle without input', () => {
    decodeEverySplit(() => new RawDecoder(), [rect(0, 0, 0, 5, R), rect(0, 0, 1, 1, R)], Buffer.from([1, 2, 3, 0]), 2, 2);
  });
});

describe('RawEncoder / encodeRawRect', () => {
  const fb = new Framebuffer(4, 3);
  fb.fillRect(0, 0, 4, 3, 0x12, 0x34, 0x56);
  fb.fillRect(1, 1, 2, 1, 0xff, 0x80, 0x00);

  it('RGBX: header + framebuffer bytes, shareable', () => {
    const enc = new RawEncoder();
    expect(enc.shareable).toBe(true);
    const [out] = enc.encodeRect(fb, { x: 1, y: 1, width: 2, height: 2 });
    expect([...out!.subarray(0, 12)]).toEqual([0, 1, 0, 1, 0, 2, 0, 2, 0, 0, 0, 0]);
    expect([...out!.subarray(12)]).toEqual([0xff, 0x80, 0, 0, 0xff, 0x80, 0, 0, 0x12, 0x34, 0x56, 0, 0x12, 0x34, 0x56, 0]);
    expect(encodeRawRect(fb, { x: 1, y: 1, width: 2, height: 2 }, RGBX_PIXEL_FORMAT).equals(out!)).toBe(true);
  });

  const pf = (bpp: number, bigEndian: boolean, max: [number, number, number], shift: [number, number, number]): PixelFormat => ({
    bitsPerPixel: bpp,
    depth: bpp === 32 ? 24 : bpp,
    bigEndian,
    trueColour: true,
    redMax: max[0],
    greenMax: max[1],
    blueMax: max[2],
    redShift: shift[0],
    greenShift: shift[1],
    blueShift: shift[2],
  });
  // (0xff,0x80,0x00): RGB565 → r=31, g=round(128*63/255)=32, b=0 → 0xfc00; (0x12,0x34,0x56) → r=2 g=13 b=round(86*31/255)=10 → 0x11aa
  it('RGB565 little- and big-endian', () => {
    const le = encodeRawRect(fb, { x: 0, y: 1, width: 2, height: 1 }, pf(16, false, [31, 63, 31], [11, 5, 0]));
    expect([...le.subarray(12)]).toEqual([0xaa, 0x11, 0x00, 0xfc]);
    const be = encodeRawRect(fb, { x: 0, y: 1, width: 2, height: 1 }, pf(16, true, [31, 63, 31], [11, 5, 0]));
    expect([...be.subarray(12)]).toEqual([0x11, 0xaa, 0xfc, 0x00]);
  });
  it('BGR233 8 bpp', () => {
    // red 3 bits at 0, green 3 bits at 3, blue 2 bits at 6: (0xff,0x80,0) → 7 | 4<<3 | 0 = 0x27
    const out = encodeRawRect(fb, { x: 1, y: 1, width: 1, height: 1 }, pf(8, false, [7, 7, 3], [0, 3, 6]));
    expect([...out.subarray(12)]).toEqual([0x27]);
  });
  it('32 bpp xRGB big-endian (red at shift 16)', () => {
    const out = encodeRawRect(fb, { x: 1, y: 1, width: 1, height: 1 }, pf(32, true, [255, 255, 255], [16, 8, 0]));
    expect([...out.subarray(12)]).toEqual([0x00, 0xff, 0x80, 0x00]);
  });
  it('RGBX spelled big-endian (shifts 24/16/8) is still a plain copy', () => {
    const out = encodeRawRect(fb, { x: 1, y: 1, width: 1, height: 1 }, pf(32, true, [255, 255, 255], [24, 16, 8]));
    expect([...out.subarray(12)]).toEqual([0xff, 0x80, 0x00, 0x00]);
  });
  it('refuses colour maps and odd formats with RFB_ERR_PIXEL_FORMAT_UNSUPPORTED', () => {
    for (const bad of [
      { ...pf(8, false, [7, 7, 3], [0, 3, 6]), trueColour: false },
      pf(24, false, [255, 255, 255], [0, 8, 16]),
      pf(16, false, [30, 63, 31], [11, 5, 0]),
      pf(16, false, [31, 63, 31], [12, 5, 0]),
    ]) {
      expect(() => encodeRawRect(fb, { x: 0, y: 0, width: 1, height: 1 }, bad)).toThrow(RfbError);
      try {
        encodeRawRect(fb, { x: 0, y: 0, width: 1, height: 1 }, bad);
      } catch (e) {
        expect((e as RfbError).code).toBe('RFB_ERR_PIXEL_FORMAT_UNSUPPORTED');
      }
    }
  });
});
