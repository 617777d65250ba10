import { describe, expect, it } from 'vitest';
import { ByteQueue } from '../../../../../protocols/byte-queue.js';
import { Encoding } from '../../../../../protocols/rfb/constants.js';
import { RawEncoder } from '../../../../../protocols/rfb/encodings/raw.js';
import { TightDecoder, TightEncoder } from '../../../../../protocols/rfb/encodings/tight.js';
import { scanTwoColours, TIGHT_MAX_RECT_PIXELS, TIGHT_MAX_RECT_WIDTH } from '../../../../../protocols/rfb/encodings/tight-encoder.js';
import type { RectHeader } from '../../../../../protocols/rfb/encodings/types.js';
import { Framebuffer } from '../../../../../protocols/rfb/framebuffer.js';
import { rng } from './helpers.js';
import { pictures, sizes } from './pictures.js';
import { decodeWithNoVnc, rgbOnly } from './novnc-harness.js';

/** Splits encoder output into rectangle headers and the data after them. */
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

function decodeOurs(headers: RectHeader[], data: Buffer, w: number, h: number, chunk: number): Framebuffer {
  const dec = new TightDecoder();
  const fb = new Framebuffer(w, h);
  const q = new ByteQueue();
  let i = 0;
  for (let off = 0; off < data.length; off += chunk) {
    q.push(data.subarray(off, off + chunk));
    while (i < headers.length && dec.decodeRect(q, headers[i]!, fb)) i++;
  }
  while (i < headers.length && dec.decodeRect(q, headers[i]!, fb)) i++;
  expect(i).toBe(headers.length);
  expect(q.length).toBe(0);
  return fb;
}

describe('TightEncoder', () => {
  it('is shareable and says Tight', () => {
    const enc = new TightEncoder();
    expect(enc.shareable).toBe(true);
    expect(enc.encoding).toBe(Encoding.Tight);
  });

  let seed = 1;
  for (const [name, paint] of Object.entries(pictures)) {
    for (const [w, h] of sizes) {
      it(`${name} ${w}x${h}: noVNC's decoder and ours give back the source`, async () => {
        const rand = rng(seed++);
        // Put the area at an offset inside a larger framebuffer, so strides and offsets matter.
        const fb = new Framebuffer(w + 5, h + 3);
        fb.fillRect(0, 0, fb.width, fb.height, 1, 2, 3);
        const area = { x: 2, y: 1, width: w, height: h };
        paint(fb, area, rand);
        const out = new TightEncoder().encodeRect(fb, area);
        const { headers, data } = parse(out);
        let pixels = 0;
        for (const r of headers) {
          expect(r.encoding).toBe(Encoding.Tight);
          expect(r.width).toBeLessThanOrEqual(TIGHT_MAX_RECT_WIDTH);
          expect(r.width * r.height).toBeLessThanOrEqual(TIGHT_MAX_RECT_PIXELS);
          expect(fb.contains(r.x, r.y, r.width, r.height)).toBe(true);
          pixels += r.width * r.height;
        }
        expect(pixels).toBe(w * h);
        // Decoded onto a framebuffer that starts like the source outside the area.
        const theirs = await decodeWithNoVnc('tight', headers, data, fb.width, fb.height);
        const ours = decodeOurs(headers, data, fb.width, fb.height, 1 + Math.floor(data.length / 7));
        const want = Buffer.from(fb.data);
        const blank = new Framebuffer(fb.width, fb.height);
        for (let y = 0; y < fb.height; y++)
          for (let x = 0; x < fb.width; x++)
            if (x < area.x || y < area.y || x >= area.x + w || y >= area.y + h) want.set(blank.data.subarray(0, 4), (y * fb.width + x) * 4);
        expect(rgbOnly(theirs).equals(want), 'noVNC').toBe(true);
        expect(ours.data.equals(want), 'ours').toBe(true);
      });
    }
  }

  it('uses fill for solid areas, the palette filter for few colours, copy for many', () => {
    const fb = new Framebuffer(64, 64);
    pictures.solid!(fb, { x: 0, y: 0, width: 64, height: 64 }, rng(1));
    expect(new TightEncoder().encodeRect(fb, { x: 0, y: 0, width: 64, height: 64 })[0]![12]).toBe(0x80);
    pictures['two colours (text)']!(fb, { x: 0, y: 0, width: 64, height: 64 }, rng(2));
    const mono = new TightEncoder().encodeRect(fb, { x: 0, y: 0, width: 64, height: 64 })[0]!;
    expect([mono[12]! & 0xf0, mono[13], mono[14]]).toEqual([0x40 | 0x30, 1, 1]); // explicit filter, stream 3, palette, 2 colours
    expect(mono[12]! & 0x0f).toBe(0x08); // resets the stream it uses
    pictures['photo-like noise']!(fb, { x: 0, y: 0, width: 64, height: 64 }, rng(3));
    const copy = new TightEncoder().encodeRect(fb, { x: 0, y: 0, width: 64, height: 64 })[0]!;
    expect(copy[12]).toBe(0x38); // stream 3 (TIGHT_ENCODER_STREAM, every zlib rectangle), implicit copy filter, reset stream 3
  });

  it('every rectangle decodes on its own: a decoder that saw none of the others gets it right', () => {
    const fb = new Framebuffer(300, 200);
    pictures['photo-like noise']!(fb, { x: 0, y: 0, width: 300, height: 200 }, rng(9));
    const out = new TightEncoder().encodeRect(fb, { x: 0, y: 0, width: 300, height: 200 });
    expect(out.length).toBeGreaterThan(2);
    const { headers } = parse(out);
    // decode only the last rectangle with a fresh decoder
    const last = out.length - 1;
    const got = decodeOurs([headers[last]!], out[last]!.subarray(12), 300, 200, 1000);
    const r = headers[last]!;
    for (let y = r.y; y < r.y + r.height; y++) {
      const o = (y * 300 + r.x) * 4;
      expect(got.data.subarray(o, o + r.width * 4).equals(fb.data.subarray(o, o + r.width * 4))).toBe(true);
    }
  });

  it('empty rectangle → no output', () => {
    expect(new TightEncoder().encodeRect(new Framebuffer(4, 4), { x: 0, y: 0, width: 0, height: 4 })).toEqual([]);
  });
});

/** The two-colour palette data the slow way: one bit a pixel, set for `c1`, rows padded to bytes. */
function packReference(fb: Framebuffer, r: { x: number; y: number; width: number; height: number }, c1: number): number[] {
  const out: number[] = [];
  for (let y = r.y; y < r.y + r.height; y++) {
    let acc = 0;
    let n = 0;
    for (let x = r.x; x < r.x + r.width; x++) {
      const o = (y * fb.width + x) * 4;
      const c = fb.data[o]! | (fb.data[o + 1]! << 8) | (fb.data[o + 2]! << 16);
      acc = (acc << 1) | (c === c1 ? 1 : 0);
      if (++n === 8) {
        out.push(acc);
        acc = 0;
        n = 0;
      }
    }
    if (n > 0) out.push(acc << (8 - n));
  }
  return out;
}

describe('scanTwoColours (the encoder one-pass path for one- and two-colour rectangles)', () => {
  const rect = { x: 3, y: 2, width: 21, height: 5 }; // 21: two whole bytes and a 5-pixel tail a row

  function setup(paint: (fb: Framebuffer) => void): { fb: Framebuffer; bits: Uint8Array; pair: Int32Array; words: Uint32Array } {
    const fb = new Framebuffer(30, 9);
    fb.fillRect(0, 0, 30, 9, 9, 9, 9); // outside the rectangle: a third colour it must not see
    fb.fillRect(rect.x, rect.y, rect.width, rect.height, 10, 20, 30);
    paint(fb);
    // Garbage in the scratch buffers, as a previous rectangle leaves them.
    return { fb, bits: new Uint8Array(64).fill(0xa5), pair: Int32Array.of(-7, -7), words: fb.words()! };
  }

  it('one colour: 1, and the colour', () => {
    const { fb, bits, pair, words } = setup(() => {});
    expect(scanTwoColours(words, fb.width, rect, bits, pair)).toBe(1);
    expect(pair[0]).toBe(10 | (20 << 8) | (30 << 16));
  });

  it('two colours: 2, the first pixel colour first, and the bits as Tight packs them (rows padded with zero bits)', () => {
    const { fb, bits, pair, words } = setup((f) => {
      for (const [x, y] of [
        [3, 2],
        [10, 2],
        [23, 2],
        [4, 4],
        [18, 5],
        [23, 6],
        [11, 3],
      ] as const)
        f.fillRect(x, y, 1, 1, 200, 100, 0);
    });
    expect(scanTwoColours(words, fb.width, rect, bits, pair)).toBe(2);
    const c1 = 200 | (100 << 8);
    expect([...pair]).toEqual([c1, 10 | (20 << 8) | (30 << 16)]); // the first pixel is the "other" colour here
    expect([...bits.subarray(0, 3 * rect.height)]).toEqual(packReference(fb, rect, pair[1]!));
  });

  it('second colour only in the last row: the rows before are zero bits whatever the buffer held', () => {
    const { fb, bits, pair, words } = setup((f) => f.fillRect(20, 6, 1, 1, 1, 2, 3));
    expect(scanTwoColours(words, fb.width, rect, bits, pair)).toBe(2);
    expect([...bits.subarray(0, 3 * rect.height)]).toEqual(packReference(fb, rect, pair[1]!));
    expect(bits.subarray(0, 12).every((b) => b === 0)).toBe(true);
  });

  it('a third colour anywhere (in a whole byte or in the row tail, first or last): 0', () => {
    for (const [x, y] of [
      [5, 3],
      [22, 4],
      [23, 6],
      [3, 6],
    ] as const) {
      const { fb, bits, pair, words } = setup((f) => {
        f.fillRect(4, 2, 1, 1, 200, 100, 0);
        f.fillRect(x, y, 1, 1, 0, 0, 255);
      });
      expect(scanTwoColours(words, fb.width, rect, bits, pair), `${x},${y}`).toBe(0);
    }
  });

  it('the X byte is not part of the colour', () => {
    const { fb, bits, pair, words } = setup((f) => {
      f.data[(4 * f.width + 7) * 4 + 3] = 0xff;
      f.data[(6 * f.width + 23) * 4 + 3] = 0x01;
    });
    expect(scanTwoColours(words, fb.width, rect, bits, pair)).toBe(1);
  });

  it('through the encoder: a two-colour rectangle after a noisy one decodes right with noVNC and ours', async () => {
    const fb = new Framebuffer(40, 30);
    pictures['photo-like noise']!(fb, { x: 0, y: 0, width: 40, height: 30 }, rng(11));
    const enc = new TightEncoder();
    enc.encodeRect(fb, { x: 0, y: 0, width: 40, height: 30 }); // leaves the scratch buffer full of RGB
    const area = { x: 1, y: 2, width: 37, height: 20 };
    fb.fillRect(area.x, area.y, area.width, area.height, 0, 0, 170);
    fb.fillRect(30, 21, 3, 1, 255, 255, 85); // the second colour only in the last row
    const { headers, data } = parse(enc.encodeRect(fb, area));
    expect(data[0]! & 0xf0).toBe(0x70); // explicit filter, stream 3: the two-colour palette
    const want = new Framebuffer(40, 30);
    want.putRgbx(area.x, area.y, area.width, area.height, fb.getRgbx(area.x, area.y, area.width, area.height));
    expect(rgbOnly(await decodeWithNoVnc('tight', headers, data, 40, 30)).equals(want.data), 'noVNC').toBe(true);
    expect(decodeOurs(headers, data, 40, 30, 5).data.equals(want.data), 'ours').toBe(true);
  });
});

describe('RawEncoder', () => {
  it("noVNC's raw decoder gives back the source", async () => {
    const fb = new Framebuffer(37, 9);
    pictures['photo-like noise']!(fb, { x: 0, y: 0, width: 37, height: 9 }, rng(5));
    const { headers, data } = parse(new RawEncoder().encodeRect(fb, { x: 0, y: 0, width: 37, height: 9 }));
    expect(rgbOnly(await decodeWithNoVnc('raw', headers, data, 37, 9)).equals(fb.data)).toBe(true);
  });
});
