import { describe, expect, it } from 'vitest';
import { ByteQueue } from '../../../../../protocols/byte-queue.js';
import { Encoding } from '../../../../../protocols/rfb/constants.js';
import { Inflater } from '../../../../../protocols/rfb/encodings/inflater.js';
import { ZrleEncoder } from '../../../../../protocols/rfb/encodings/zrle-encoder.js';
import { ZrleDecoder } from '../../../../../protocols/rfb/encodings/zrle.js';
import type { RectHeader } from '../../../../../protocols/rfb/encodings/types.js';
import { Framebuffer } from '../../../../../protocols/rfb/framebuffer.js';
import { rng } from './helpers.js';
import { decodeWithNoVnc, rgbOnly } from './novnc-harness.js';
import { pictures, sizes } from './pictures.js';

function parse(rects: Buffer[]): { headers: RectHeader[]; data: Buffer } {
  const headers = rects.map((b) => ({
    x: b.readUInt16BE(0),
    y: b.readUInt16BE(2),
    width: b.readUInt16BE(4),
    height: b.readUInt16BE(6),
    encoding: b.readInt32BE(8),
  }));
  return { headers, data: Buffer.concat(rects.map((b) => b.subarray(12))) };
}

/** Area `a` of `fb` (RGBX, X zeroed) with everything else black. */
function onlyArea(fb: Framebuffer, a: { x: number; y: number; width: number; height: number }): Buffer {
  const out = Buffer.alloc(fb.data.length);
  for (let y = a.y; y < a.y + a.height; y++) fb.data.copy(out, (y * fb.width + a.x) * 4, (y * fb.width + a.x) * 4, (y * fb.width + a.x + a.width) * 4);
  return rgbOnly(out);
}

describe('ZrleEncoder', () => {
  it('is not shareable (one zlib stream per connection) and says ZRLE', () => {
    const enc = new ZrleEncoder();
    expect(enc.shareable).toBe(false);
    expect(enc.encoding).toBe(Encoding.ZRLE);
  });

  let seed = 100;
  for (const [name, paint] of Object.entries(pictures)) {
    for (const [w, h] of sizes.filter(([sw]) => sw < 4000)) {
      it(`${name} ${w}x${h}, two frames on one stream: noVNC's decoder and ours give back the source`, async () => {
        const pictureSeed = seed++;
        const fb = new Framebuffer(w + 3, h + 2);
        const area = { x: 1, y: 2, width: w, height: h };
        const enc = new ZrleEncoder();
        paint(fb, area, rng(pictureSeed));
        const first = enc.encodeRect(fb, area);
        // Second frame: the same picture shifted left a pixel, so its data refers back into the first.
        if (w > 1) fb.copyRect(area.x + 1, area.y, area.x, area.y, w - 1, h);
        const second = enc.encodeRect(fb, area);
        for (const r of [...first, ...second]) expect(r.readUInt16BE(6)).toBeLessThanOrEqual(64);
        const { headers, data } = parse([...first, ...second]);
        const want = onlyArea(fb, area);
        const theirs = await decodeWithNoVnc('zrle', headers, data, fb.width, fb.height);
        expect(rgbOnly(theirs).equals(want), 'noVNC').toBe(true);
        const dec = new ZrleDecoder();
        const ours = new Framebuffer(fb.width, fb.height);
        const q = new ByteQueue();
        q.push(data);
        for (const r of headers) expect(dec.decodeRect(q, r, ours)).toBe(true);
        expect(q.length).toBe(0);
        expect(rgbOnly(ours.data).equals(want), 'ours').toBe(true);
      });
    }
  }

  it('a repeated frame compresses against the stream history (the window really carries over)', async () => {
    const fb = new Framebuffer(100, 60);
    pictures['photo-like noise']!(fb, { x: 0, y: 0, width: 100, height: 60 }, rng(8));
    const enc = new ZrleEncoder();
    const area = { x: 0, y: 0, width: 100, height: 60 };
    const a = enc.encodeRect(fb, area);
    const b = enc.encodeRect(fb, area);
    expect(b[0]!.length).toBeLessThan(a[0]!.length / 5);
    const { headers, data } = parse([...a, ...b]);
    expect(rgbOnly(await decodeWithNoVnc('zrle', headers, data, 100, 60)).equals(rgbOnly(fb.data))).toBe(true);
  });

  it('picks solid, packed palette, palette RLE, plain RLE and raw where each is smallest', () => {
    const firstSubencoding = (name: string): number => {
      const fb = new Framebuffer(64, 64);
      pictures[name]!(fb, { x: 0, y: 0, width: 64, height: 64 }, rng(4));
      const [r] = new ZrleEncoder().encodeRect(fb, { x: 0, y: 0, width: 64, height: 64 });
      return new Inflater().inflate(r!.subarray(16), 64 * 64 * 4, 't')[0]!;
    };
    expect(firstSubencoding('solid')).toBe(1);
    expect(firstSubencoding('two colours (text)')).toBe(2);
    expect(firstSubencoding('sixteen colours')).toBe(16);
    expect(firstSubencoding('thirty colours in runs (palette RLE)')).toBeGreaterThanOrEqual(130);
    expect(firstSubencoding('horizontal bars, 200 colours (plain RLE)')).toBe(128);
    expect(firstSubencoding('photo-like noise')).toBe(0);
  });
});
