import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import jpeg from 'jpeg-js';
import { describe, expect, it } from 'vitest';
import { RfbError } from '../../../../../protocols/errors.js';
import { Encoding } from '../../../../../protocols/rfb/constants.js';
import { Framebuffer } from '../../../../../protocols/rfb/framebuffer.js';
import { TightDecoder } from '../../../../../protocols/rfb/encodings/tight.js';
import { jpegFrameSize } from '../../../../../protocols/rfb/encodings/tight-jpeg.js';
import { prng } from '../../../../helpers/prng.js';
import { decodeEverySplit, expectErrorEverySplit, expectOnlyProtocolErrors, rect, runDecoder } from './helpers.js';
import { compact } from './vectors.js';

// Tight JpegCompression (rfbproto "Tight Encoding"), as OpenBMC's obmc-ikvm sends it. The vectors in
// fixtures/jpeg/ were made by libjpeg-turbo's cjpeg (fixtures/jpeg/make.sh), each with libjpeg-turbo's
// own decode of it (djpeg -nosmooth). A 37x29 picture: partial MCUs on both edges.

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '../../../../../fixtures/jpeg');
const W = 37;
const H = 29;
const T = Encoding.Tight;
const make = () => new TightDecoder();

/** P6 (RGB) or P5 (grey) with maxval 255, as djpeg writes them; returned as RGB triplets. */
function readPnm(name: string): Buffer {
  const b = readFileSync(join(FIXTURES, name));
  const m = /^P([56])\s+(\d+)\s+(\d+)\s+255\s/.exec(b.toString('latin1', 0, 40));
  if (!m) throw new Error(`${name}: not a binary PNM with maxval 255`);
  const channels = m[1] === '6' ? 3 : 1;
  const pixels = Number(m[2]) * Number(m[3]);
  const data = b.subarray(m[0].length);
  const out = Buffer.alloc(pixels * 3);
  for (let i = 0; i < pixels; i++) for (let c = 0; c < 3; c++) out[i * 3 + c] = data[i * channels + (channels === 3 ? c : 0)]!;
  return out;
}

function tightJpeg(data: Uint8Array, ctl = 0x90): Buffer {
  return Buffer.from([ctl, ...compact(data.length), ...data]);
}

/** RGB triplets of a rectangle of the framebuffer. */
function rgbOf(fb: Framebuffer, x: number, y: number, w: number, h: number): Buffer {
  const out = Buffer.alloc(w * h * 3);
  for (let r = 0; r < h; r++)
    for (let c = 0; c < w; c++) {
      const o = ((y + r) * fb.width + x + c) * 4;
      out.set(fb.data.subarray(o, o + 3), (r * w + c) * 3);
    }
  return out;
}

function diff(a: Buffer, b: Buffer): { max: number; mean: number } {
  let max = 0;
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    if (d > max) max = d;
    sum += d;
  }
  return { max, mean: sum / a.length };
}

const VECTORS = ['yuv420-q75', 'yuv422-q80', 'yuv444-q95', 'gray-q85', 'progressive-q75', 'restart-q75'];

describe('Tight JPEG (JpegCompression)', () => {
  for (const name of VECTORS) {
    it(`${name}: equals libjpeg-turbo's decode within IDCT rounding, split at every byte`, () => {
      const jpg = readFileSync(join(FIXTURES, `${name}.jpg`));
      // At (3,2) in a larger framebuffer, so a wrong stride or offset shows.
      const fb = decodeEverySplit(make, [rect(3, 2, W, H, T)], tightJpeg(jpg), 50, 40);
      // jpeg-js and libjpeg-turbo's integer IDCT round differently: at most a few levels a component.
      // A wrong decode (swapped chroma, a wrong sampling factor, a block out of place, a wrong colour
      // transform) is off by tens over whole areas.
      const d = diff(rgbOf(fb, 3, 2, W, H), readPnm(`${name}.ppm`));
      expect(d.max, `${name} max`).toBeLessThanOrEqual(4);
      expect(d.mean, `${name} mean`).toBeLessThan(1);
      // Nothing outside the rectangle was touched.
      expect(rgbOf(fb, 0, 0, 50, 2).every((v) => v === 0)).toBe(true);
      expect(rgbOf(fb, 0, 0, 3, 40).every((v) => v === 0)).toBe(true);
    });
  }

  it('honours the stream-reset bits of a JPEG control byte, and the next rectangle decodes after it', () => {
    const jpg = readFileSync(join(FIXTURES, 'yuv444-q95.jpg'));
    const bytes = Buffer.concat([tightJpeg(jpg, 0x9f), Buffer.from([0x80, 10, 20, 30])]);
    const fb = decodeEverySplit(make, [rect(0, 0, W, H, T), rect(0, H, 2, 2, T)], bytes, W, H + 2, { maxOffsets: 200 });
    expect(rgbOf(fb, 1, H + 1, 1, 1)).toEqual(Buffer.from([10, 20, 30]));
  });

  it('a full-screen frame the way obmc-ikvm sends it (jpeg-js encoder, 640x480)', () => {
    const src = Buffer.alloc(640 * 480 * 4);
    for (let i = 0; i < 640 * 480; i++) {
      src[i * 4] = (i % 640) * 0.4;
      src[i * 4 + 1] = Math.floor(i / 640) * 0.5;
      src[i * 4 + 2] = ((i % 640) ^ Math.floor(i / 640)) & 0xff;
      src[i * 4 + 3] = 255;
    }
    const jpg = jpeg.encode({ width: 640, height: 480, data: src }, 90).data;
    const fb = runDecoder(make, [rect(0, 0, 640, 480, T)], [tightJpeg(jpg)], 640, 480);
    const rgb = Buffer.alloc(640 * 480 * 3);
    for (let i = 0; i < 640 * 480; i++) rgb.set(src.subarray(i * 4, i * 4 + 3), i * 3);
    // Lossy: the XOR pattern has hard edges everywhere; the mean stays small when decoded right.
    expect(diff(rgbOf(fb, 0, 0, 640, 480), rgb).mean).toBeLessThan(6);
  });

  it('frame size other than the rectangle → RFB_ERR_TIGHT_JPEG', () => {
    const jpg = readFileSync(join(FIXTURES, 'yuv420-q75.jpg'));
    expect(jpegFrameSize(jpg)).toEqual({ width: W, height: H });
    expectErrorEverySplit(make, [rect(0, 0, W + 1, H, T)], tightJpeg(jpg), 'RFB_ERR_TIGHT_JPEG', 64, 64, 50);
    expectErrorEverySplit(make, [rect(0, 0, W, H - 1, T)], tightJpeg(jpg), 'RFB_ERR_TIGHT_JPEG', 64, 64, 50);
  });

  it('not a JPEG, or a JPEG cut short → RFB_ERR_TIGHT_JPEG', () => {
    const jpg = readFileSync(join(FIXTURES, 'yuv420-q75.jpg'));
    expectErrorEverySplit(make, [rect(0, 0, W, H, T)], tightJpeg(Buffer.from('not a jpeg at all')), 'RFB_ERR_TIGHT_JPEG');
    // Cut inside the headers: a segment runs past the end, or no frame header.
    for (const cut of [3, 20, 100, 300]) {
      expectErrorEverySplit(make, [rect(0, 0, W, H, T)], tightJpeg(jpg.subarray(0, cut)), 'RFB_ERR_TIGHT_JPEG', 64, 64, 20);
    }
    // Cut inside the scan, EOI gone: jpeg-js runs out of data.
    expectErrorEverySplit(make, [rect(0, 0, W, H, T)], tightJpeg(jpg.subarray(0, jpg.length - 200)), 'RFB_ERR_TIGHT_JPEG', 64, 64, 20);
  });

  it('a JPEG longer than the rectangle could need → RFB_ERR_COMPRESSED_LENGTH before waiting for it', () => {
    // 2x2 pixels: limit 4*4 + 64 KiB; the 3-byte compact length says 4 MiB - 1.
    expectErrorEverySplit(make, [rect(0, 0, 2, 2, T)], Buffer.from([0x90, 0xff, 0xff, 0xff]), 'RFB_ERR_COMPRESSED_LENGTH');
  });

  it('fuzz: mutated JPEGs decode or fail with a ProtocolError, never anything else, and the decoder stays usable', () => {
    const rand = prng(0x1bc);
    const sources = VECTORS.map((n) => readFileSync(join(FIXTURES, `${n}.jpg`)));
    let failures = 0;
    for (let i = 0; i < 600; i++) {
      const jpg = Buffer.from(sources[i % sources.length]!);
      const flips = 1 + Math.floor(rand() * 6);
      for (let f = 0; f < flips; f++) jpg[Math.floor(rand() * jpg.length)] = Math.floor(rand() * 256);
      const cut = rand() < 0.2 ? Math.floor(rand() * jpg.length) : jpg.length;
      expectOnlyProtocolErrors(() => {
        try {
          runDecoder(make, [rect(0, 0, W, H, T)], [tightJpeg(jpg.subarray(0, cut))], W, H);
        } catch (err) {
          if (err instanceof RfbError) failures++;
          throw err;
        }
      });
    }
    expect(failures).toBeGreaterThan(0); // the corruption was noticed at least sometimes
    // A fresh decoder still decodes a good frame after all that (no shared state broke).
    const good = readFileSync(join(FIXTURES, 'yuv444-q95.jpg'));
    const fb = runDecoder(make, [rect(0, 0, W, H, T)], [tightJpeg(good)], W, H);
    expect(diff(rgbOf(fb, 0, 0, W, H), readPnm('yuv444-q95.ppm')).max).toBeLessThanOrEqual(4);
  });
});
