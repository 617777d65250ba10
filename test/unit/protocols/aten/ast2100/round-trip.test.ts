import { describe, expect, it } from 'vitest';
import { Ast2100Decoder } from '../../../../../protocols/aten/ast2100/decoder.js';
import { Framebuffer } from '../../../../../protocols/rfb/framebuffer.js';
import { Ast2100Encoder } from '../../../../helpers/aten/ast2100-encoder.js';

/** A test picture: a smooth colour gradient on the left, two-colour "text" stripes and flat areas on the right. */
function picture(width: number, height: number, seed = 0): Uint8Array {
  const p = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 4;
      if (x < width / 2) {
        p[o] = (x * 255) / width + seed;
        p[o + 1] = (y * 255) / height;
        p[o + 2] = 128 + 60 * Math.sin((x + y + seed) / 9);
      } else if (y < height / 2) {
        const on = ((x >> 1) + (y >> 2) + seed) % 3 === 0;
        p[o] = on ? 220 : 10;
        p[o + 1] = on ? 220 : 10;
        p[o + 2] = on ? 220 : 40;
      } else {
        p[o] = 30;
        p[o + 1] = 90;
        p[o + 2] = 160;
      }
    }
  }
  return p;
}

function meanAbsError(a: Uint8Array, b: Uint8Array): number {
  let s = 0;
  let n = 0;
  for (let i = 0; i < a.length; i += 4) {
    for (let c = 0; c < 3; c++) s += Math.abs(a[i + c]! - b[i + c]!);
    n += 3;
  }
  return s / n;
}

describe('AST2100 encode → decode round trip', () => {
  for (const sub of [422, 444] as const) {
    for (const [w, h] of [
      [64, 48],
      [50, 37],
      [800, 600],
    ] as const) {
      it(`${sub === 422 ? '4:2:0' : '4:4:4'} ${w}x${h}, best quality: within JPEG tolerance, ends exactly`, () => {
        const src = picture(w, h);
        const enc = new Ast2100Encoder();
        const data = enc.encode(src, w, h, { subsampling: sub, selector0: 11, selector1: 11, padWords: 2 });
        const fb = new Framebuffer(w, h);
        const r = new Ast2100Decoder().decodeFrame(data, fb);
        expect(r.endedExactly).toBe(true);
        expect(r.totalBlocks).toBe(Math.ceil(w / (sub === 444 ? 8 : 16)) * Math.ceil(h / (sub === 444 ? 8 : 16)));
        if (sub === 444) expect((r.blocks.vq1 ?? 0) + (r.blocks.vq2 ?? 0) + (r.blocks.vq4 ?? 0)).toBeGreaterThan(0);
        expect(meanAbsError(src, fb.data)).toBeLessThan(sub === 444 ? 2.5 : 6);
      });
    }
  }

  it('lower quality selectors still decode, with more error', () => {
    const src = picture(128, 64);
    const fb = new Framebuffer(128, 64);
    const hi = meanAbsError(src, (new Ast2100Decoder().decodeFrame(new Ast2100Encoder().encode(src, 128, 64, { selector0: 11, selector1: 11 }), fb), fb.data));
    const lo = meanAbsError(src, (new Ast2100Decoder().decodeFrame(new Ast2100Encoder().encode(src, 128, 64, { selector0: 0, selector1: 0 }), fb), fb.data));
    expect(lo).toBeGreaterThan(hi);
    expect(lo).toBeLessThan(25);
  });

  it('VQ blocks reproduce up-to-4-colour areas exactly (up to the YCbCr round trip)', () => {
    const w = 32;
    const h = 16;
    const p = new Uint8Array(w * h * 4);
    const colours = [
      [255, 255, 255],
      [0, 0, 0],
      [200, 30, 30],
      [30, 200, 30],
    ];
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const c = colours[x >> 3 === 0 ? 0 : x >> 3 === 1 ? (x + y) % 2 : (x + y) % 4]!;
        p.set(c, (y * w + x) * 4);
      }
    }
    const enc = new Ast2100Encoder();
    const dec = new Ast2100Decoder();
    const fb = new Framebuffer(w, h);
    const r = dec.decodeFrame(enc.encode(p, w, h, { subsampling: 444 }), fb);
    expect(r.blocks).toEqual({ vq1: 2, vq2: 2, vq4: 4 });
    expect(meanAbsError(p, fb.data)).toBeLessThan(2);
    // Second frame with the same colours: the encoder reuses codebook slots (no colour updates).
    const r2 = dec.decodeFrame(enc.encode(p, w, h, { subsampling: 444 }), fb);
    expect(r2.totalBlocks).toBe(8);
    expect(meanAbsError(p, fb.data)).toBeLessThan(2);
  });

  it('an incremental frame of positioned blocks updates only what changed', () => {
    const w = 160;
    const h = 96;
    const a = picture(w, h, 0);
    const b = Uint8Array.from(a);
    for (let y = 40; y < 56; y++) for (let x = 100; x < 130; x++) b.set([250, 250, 0], (y * w + x) * 4);
    const enc = new Ast2100Encoder();
    const dec = new Ast2100Decoder();
    const fb = new Framebuffer(w, h);
    dec.decodeFrame(enc.encode(a, w, h, { subsampling: 444, selector0: 11 }), fb);
    const before = Buffer.from(fb.data);
    const r = dec.decodeFrame(enc.encode(b, w, h, { subsampling: 444, selector0: 11, previous: a }), fb);
    expect(enc.lastStats.positioned).toBeGreaterThan(0);
    expect(r.totalBlocks).toBeLessThan(30);
    expect(r.endedExactly).toBe(true);
    expect(meanAbsError(b, fb.data)).toBeLessThan(2.5);
    // Outside the changed rows nothing moved.
    for (const c of r.changed) expect(c.y >= 32 && c.y + c.height <= 64).toBe(true);
    expect(Buffer.from(fb.data.subarray(0, 32 * w * 4)).equals(before.subarray(0, 32 * w * 4))).toBe(true);
  });
});
