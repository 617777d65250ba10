import { randomFillSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Encoding, RGBX_PIXEL_FORMAT } from '../../../../protocols/rfb/constants.js';
import { createDecoders } from '../../../../protocols/rfb/encodings/index.js';
import { RawEncoder } from '../../../../protocols/rfb/encodings/raw.js';
import { TightEncoder } from '../../../../protocols/rfb/encodings/tight.js';
import { encodeHeldShapes } from '../../../../protocols/rfb/encodings/tight-encoder.js';
import type { RectEncoder } from '../../../../protocols/rfb/encodings/types.js';
import { Framebuffer } from '../../../../protocols/rfb/framebuffer.js';
import { ServerMessageReader } from '../../../../protocols/rfb/server-message-reader.js';
import { Damage } from '../../../../src/session/damage.js';
import { EncodeCache } from '../../../../src/viewer/encode-cache.js';
import { buildUpdate, chooseEncoder } from '../../../../src/viewer/update-builder.js';
import { rng } from '../../protocols/rfb/encodings/helpers.js';
import { decodeWithNoVnc, rgbOnly } from '../../protocols/rfb/encodings/novnc-harness.js';
import { pictures } from '../../protocols/rfb/encodings/pictures.js';

const CAPS = { encodings: new Set([Encoding.Tight, Encoding.CopyRect, Encoding.Raw]) };
const TIGHT = chooseEncoder(CAPS, RGBX_PIXEL_FORMAT, [Encoding.Tight]);

/** A 1024x768-like console: blue background, text-ish bands, a few colourful cells. */
function consoleScreen(w: number, h: number, seed: number): Framebuffer {
  const fb = new Framebuffer(w, h);
  pictures['console (flat areas, text, a gradient bar)']!(fb, { x: 0, y: 0, width: w, height: h }, rng(seed));
  pictures['sixteen colours']!(fb, { x: 37, y: 21, width: 29, height: 40 }, rng(seed + 1));
  return fb;
}

function update(fb: Framebuffer, damage: Damage, cache?: EncodeCache): Buffer {
  const u = buildUpdate({ fb, damage, caps: CAPS, pf: RGBX_PIXEL_FORMAT, encoder: TIGHT, resize: false, cursor: undefined, cache });
  expect(u).toBeDefined();
  return u!;
}

/** Rectangle headers and the data after each, from one FramebufferUpdate of Tight rectangles (our decoder finds the ends). */
function decodeOurs(msg: Buffer, target: Framebuffer): { x: number; y: number; width: number; height: number; encoding: number }[] {
  const reader = new ServerMessageReader({ fb: target, decoders: createDecoders() });
  const rects: { x: number; y: number; width: number; height: number; encoding: number }[] = [];
  let ended = false;
  for (const m of reader.push(msg)) {
    if (m.type === 'rect') rects.push({ x: m.x, y: m.y, width: m.width, height: m.height, encoding: m.encoding });
    if (m.type === 'update-end') ended = true;
  }
  expect(ended).toBe(true);
  return rects;
}

describe('EncodeCache', () => {
  it("gives a second viewer at the same point the first one's bytes, encoded once", () => {
    const fb = consoleScreen(320, 200, 7);
    const cache = new EncodeCache();
    const a = new Damage(fb.width, fb.height);
    const b = new Damage(fb.width, fb.height);
    a.addAll();
    b.addAll();
    const ua = update(fb, a, cache);
    const misses = cache.misses;
    expect(misses).toBeGreaterThan(0);
    const ub = update(fb, b, cache);
    expect(ub.equals(ua)).toBe(true);
    expect(cache.misses).toBe(misses);
    expect(cache.hits).toBe(misses);
  });

  it('encodes again for a viewer at another point, and each viewer gets its own screen right', async () => {
    const fb = consoleScreen(320, 200, 8);
    const cache = new EncodeCache();
    const a = new Damage(fb.width, fb.height);
    const b = new Damage(fb.width, fb.height);
    a.add({ x: 0, y: 0, width: 320, height: 100 }); // a was behind: two changes pending
    b.add({ x: 0, y: 48, width: 320, height: 52 }); // b saw the first one already
    update(fb, a, cache);
    const ub = update(fb, b, cache);
    expect(cache.hits).toBe(0);
    const shown = consoleScreen(320, 200, 8);
    shown.fillRect(0, 48, 320, 52, 0, 0, 0); // b's screen before: wrong where the update goes
    const rects = decodeOurs(ub, shown);
    expect(shown.data.equals(fb.data)).toBe(true);
    // and noVNC decodes the same bytes to the same pixels
    expect(rects).toHaveLength(1);
    const theirs = await decodeWithNoVnc('tight', rects, ub.subarray(4 + 12), fb.width, fb.height);
    const want = new Framebuffer(fb.width, fb.height);
    want.putRgbx(0, 48, 320, 64, fb.data.subarray(48 * 320 * 4, 112 * 320 * 4)); // the damage grid rounds 52 rows up to 4 tiles
    expect(rgbOnly(theirs).equals(want.data)).toBe(true);
  });

  it("makes a never-drawn framebuffer's first picture from its held paints: noVNC decodes it to the screen, and the pixels stay untouched", async () => {
    // A text console: a background, a bar, glyph-like blocks; no Tight strip (68 rows of 320) has
    // more than two colours, so every rectangle is a fill or two-colour one, and all are held.
    const src = new Framebuffer(320, 200);
    src.fillRect(0, 0, 320, 200, 0x10, 0x10, 0x40);
    src.fillRect(0, 184, 320, 16, 0xc0, 0xc0, 0xc0);
    for (let y = 8; y < 120; y += 16) for (let x = 8; x < 300; x += 8) if ((x * 13 + y) % 7 < 3) src.fillRect(x + 1, y + 2, 5, 10, 0xe0, 0xe0, 0x20);
    const fb = new Framebuffer(320, 200);
    const reader = new ServerMessageReader({ fb, decoders: createDecoders(), deferPaints: true });
    const bmc = new TightEncoder().encodeRect(src, { x: 0, y: 0, width: 320, height: 200 });
    reader.push(Buffer.concat([Buffer.of(0, 0, bmc.length >> 8, bmc.length & 0xff), ...bmc]));
    const shapes = fb.heldShapes();
    expect(shapes).toBeDefined();
    const d = new Damage(fb.width, fb.height);
    d.addAll();
    const u = update(fb, d);
    const rects = encodeHeldShapes(fb.width, fb.height, shapes!)!;
    expect(u.equals(Buffer.concat([Buffer.of(0, 0, rects.length >> 8, rects.length & 0xff), ...rects]))).toBe(true);
    expect(fb.heldShapes()).toEqual(shapes); // nothing read the pixels
    // Viewers that join together share one such picture through the session's cache.
    const cache = new EncodeCache();
    const forA = new Damage(fb.width, fb.height);
    const forB = new Damage(fb.width, fb.height);
    forA.addAll();
    forB.addAll();
    const ua = update(fb, forA, cache);
    expect(update(fb, forB, cache).equals(ua)).toBe(true);
    expect({ hits: cache.hits, misses: cache.misses }).toEqual({ hits: 1, misses: 1 });
    expect(ua.equals(u)).toBe(true);
    const theirs = await decodeWithNoVnc(
      'tight',
      rects.map((r) => ({ x: r.readUInt16BE(0), y: r.readUInt16BE(2), width: r.readUInt16BE(4), height: r.readUInt16BE(6), encoding: Encoding.Tight })),
      Buffer.concat(rects.map((r) => r.subarray(12))),
      fb.width,
      fb.height,
    );
    expect(rgbOnly(theirs).equals(rgbOnly(src.data))).toBe(true);
    // Once the pixels have been read, the same request is encoded from them, as before.
    expect(fb.data.equals(src.data)).toBe(true);
    const d2 = new Damage(fb.width, fb.height);
    d2.addAll();
    const shown = new Framebuffer(320, 200);
    decodeOurs(update(fb, d2), shown);
    expect(shown.data.equals(src.data)).toBe(true);
  });

  it('forgets everything when the framebuffer changes', () => {
    const fb = consoleScreen(64, 32, 9);
    const cache = new EncodeCache();
    const a = new Damage(fb.width, fb.height);
    a.addAll();
    const before = update(fb, a, cache);
    fb.fillRect(0, 0, 64, 32, 255, 0, 0);
    cache.invalidate();
    a.addAll();
    const after = update(fb, a, cache);
    expect(after.equals(before)).toBe(false);
    const shown = new Framebuffer(64, 32);
    decodeOurs(after, shown);
    expect(shown.data.equals(fb.data)).toBe(true);
  });

  it('does not keep what an unshareable encoder made', () => {
    let calls = 0;
    const raw = new RawEncoder();
    const unshareable: RectEncoder = { encoding: Encoding.Raw, shareable: false, encodeRect: (fb, r) => (calls++, raw.encodeRect(fb, r)) };
    const fb = consoleScreen(32, 32, 10);
    const cache = new EncodeCache();
    cache.encode(unshareable, fb, { x: 0, y: 0, width: 32, height: 16 });
    cache.encode(unshareable, fb, { x: 0, y: 0, width: 32, height: 16 });
    expect(calls).toBe(2);
    expect(cache.hits).toBe(0);
  });

  it('keeps at most MAX_BYTES', () => {
    const fb = new Framebuffer(2048, 2048);
    randomFillSync(fb.data); // noise: does not compress
    const cache = new EncodeCache();
    const d = new Damage(fb.width, fb.height);
    const twoAreas = (): void => {
      // two areas of ~6 MB of Tight copy-filter data each: one fits the cap, not both
      d.add({ x: 0, y: 0, width: 1024, height: 2048 });
      d.add({ x: 1040, y: 0, width: 1008, height: 2048 });
    };
    twoAreas();
    update(fb, d, cache);
    expect(cache.misses).toBe(2);
    twoAreas();
    update(fb, d, cache);
    expect(cache.hits).toBe(1);
    expect(cache.misses).toBe(3);
  });
});

describe('Framebuffer.fillRect', () => {
  it('fills exactly the rectangle with X = 0, also after a resize replaced the pixels', () => {
    const fb = new Framebuffer(10, 6);
    fb.data.fill(0xee);
    fb.fillRect(2, 1, 3, 4, 1, 2, 3);
    for (let y = 0; y < 6; y++)
      for (let x = 0; x < 10; x++) {
        const inside = x >= 2 && x < 5 && y >= 1 && y < 5;
        expect([...fb.data.subarray((y * 10 + x) * 4, (y * 10 + x) * 4 + 4)]).toEqual(inside ? [1, 2, 3, 0] : [0xee, 0xee, 0xee, 0xee]);
      }
    fb.resize(12, 7);
    fb.fillRect(11, 6, 1, 1, 9, 8, 7);
    expect([...fb.data.subarray((6 * 12 + 11) * 4, (6 * 12 + 12) * 4)]).toEqual([9, 8, 7, 0]);
    expect([...fb.data.subarray((1 * 12 + 2) * 4, (1 * 12 + 3) * 4)]).toEqual([1, 2, 3, 0]); // kept across the resize
  });
});
