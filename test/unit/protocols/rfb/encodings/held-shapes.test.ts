import { describe, expect, it } from 'vitest';
import { createDecoders, PaintQueue } from '../../../../../protocols/rfb/encodings/index.js';
import { encodeHeldShapes, TIGHT_MAX_RECT_PIXELS } from '../../../../../protocols/rfb/encodings/tight-encoder.js';
import { TightEncoder } from '../../../../../protocols/rfb/encodings/tight.js';
import { Framebuffer } from '../../../../../protocols/rfb/framebuffer.js';
import { ServerMessageReader } from '../../../../../protocols/rfb/server-message-reader.js';
import { Encoding } from '../../../../../protocols/rfb/constants.js';
import { encodeFramebufferUpdateHeader, encodeRectHeader } from '../../../../../protocols/rfb/server-messages.js';
import { xtermUpdates } from '../../../../helpers/paint-updates.js';

/**
 * A viewer's first picture made from the paints a framebuffer holds, before anything was drawn into
 * it (Framebuffer.heldShapes, tight-encoder.ts encodeHeldShapes): it must decode to exactly the
 * pixels that drawing those paints gives, and making it must not touch the framebuffer's pixels.
 */

/** The update that `rects` make, decoded into a new framebuffer by a plain reader (as a viewer would). */
function decodeAsViewer(width: number, height: number, rects: Buffer[]): Framebuffer {
  const fb = new Framebuffer(width, height);
  const reader = new ServerMessageReader({ fb, decoders: createDecoders() });
  reader.push(Buffer.concat([encodeFramebufferUpdateHeader(rects.length), ...rects]));
  return fb;
}

/** A text-console-like picture: a background, a status bar, and rows of "glyphs" in two colours. */
function textScreen(width: number, height: number, seed: number): Framebuffer {
  const fb = new Framebuffer(width, height);
  fb.fillRect(0, 0, width, height, 0x10, 0x10, 0x40);
  fb.fillRect(0, height - 16, width, 16, 0xc0, 0xc0, 0xc0);
  let s = seed;
  for (let y = 8; y < height - 40; y += 16) {
    for (let x = 8; x < width - 16; x += 8) {
      s = (s * 1103515245 + 12345) >>> 0;
      if (s % 3 === 0) fb.fillRect(x + 1, y + 2, 5, 10, 0xe0, 0xe0, 0x20);
      if (s % 5 === 0) fb.fillRect(x + 2, y + 6, 3, 2, 0xe0, 0xe0, 0x20);
    }
  }
  return fb;
}

/** The picture of `src` as a Tight update (whole screen), as a BMC would send it. */
function tightUpdate(src: Framebuffer): Buffer {
  const rects = new TightEncoder().encodeRect(src, { x: 0, y: 0, width: src.width, height: src.height });
  return Buffer.concat([encodeFramebufferUpdateHeader(rects.length), ...rects]);
}

describe('a first picture from the held paints', () => {
  it('decodes to the pixels that drawing the held paints gives, and the framebuffer is not touched to make it', () => {
    const src = textScreen(1024, 768, 7);
    const fb = new Framebuffer(1024, 768);
    const reader = new ServerMessageReader({ fb, decoders: createDecoders(), deferPaints: true });
    reader.push(tightUpdate(src));
    const shapes = fb.heldShapes();
    expect(shapes).toBeDefined();
    expect(shapes!.some((s) => 'fill' in s)).toBe(true);
    expect(shapes!.some((s) => 'mono' in s)).toBe(true);
    const rects = encodeHeldShapes(fb.width, fb.height, shapes!)!;
    // Still untouched: asking again gives the shapes again (a read would have settled them).
    expect(fb.heldShapes()).toEqual(shapes);
    expect(reader.paints!.painted).toBe(0);
    const viewer = decodeAsViewer(1024, 768, rects);
    expect(viewer.data.equals(fb.data)).toBe(true); // fb.data runs the held paints
    expect(fb.data.equals(src.data)).toBe(true);
    expect(fb.heldShapes()).toBeUndefined(); // read now: from here on the pixels are the truth
  });

  it("does the same for TigerVNC's own updates (the xterm recording's first update)", () => {
    const bytes = xtermUpdates();
    const fb = new Framebuffer(1024, 768);
    const reader = new ServerMessageReader({ fb, decoders: createDecoders(), deferPaints: true });
    // The first FramebufferUpdate: push byte ranges until the reader has one.
    let shapes: ReturnType<Framebuffer['heldShapes']>;
    for (let at = 0; at < bytes.length; at += 4096) {
      const msgs = reader.push(bytes.subarray(at, at + 4096));
      if (msgs.some((m) => m.type === 'update-end')) {
        shapes = fb.heldShapes();
        break;
      }
    }
    expect(shapes).toBeDefined();
    expect(shapes!.length).toBeGreaterThan(0);
    const viewer = decodeAsViewer(1024, 768, encodeHeldShapes(1024, 768, shapes!)!);
    expect(viewer.data.equals(fb.data)).toBe(true);
  });

  it('includes small Raw rectangles held as they came (their X byte dropped), in order with the rest', () => {
    const src = textScreen(320, 200, 3);
    src.fillRect(0, 184, 320, 16, 0x10, 0x10, 0x40); // no status bar: two colours a strip, so every rectangle is held
    const fb = new Framebuffer(320, 200);
    const reader = new ServerMessageReader({ fb, decoders: createDecoders(), deferPaints: true });
    // A 40x20 block of many colours, its X bytes not 0 (a server may send anything there), over the text.
    const pixels = Buffer.alloc(40 * 20 * 4);
    for (let i = 0; i < 40 * 20; i++) pixels.writeUInt32LE((((i * 2654435761) >>> 0) | 0xff000000) >>> 0, i * 4);
    const raw = Buffer.concat([encodeRectHeader({ x: 100, y: 30, width: 40, height: 20 }, Encoding.Raw), pixels]);
    reader.push(Buffer.concat([tightUpdate(src), encodeFramebufferUpdateHeader(1), raw]));
    const shapes = fb.heldShapes()!;
    expect(shapes.at(-1)).toMatchObject({ x: 100, y: 30, width: 40, height: 20 });
    expect('rgbx' in shapes.at(-1)!).toBe(true);
    const viewer = decodeAsViewer(320, 200, encodeHeldShapes(320, 200, shapes)!);
    src.putRgbx(100, 30, 40, 20, pixels);
    // Compared without the X bytes: the viewer's Tight pixels have X = 0, the framebuffer keeps what came.
    const rgb = (f: Framebuffer): Buffer => Buffer.from(f.data.filter((_, i) => i % 4 !== 3));
    expect(rgb(viewer).equals(rgb(fb))).toBe(true);
    expect(rgb(fb).equals(rgb(src))).toBe(true);
  });

  it('splits a tall two-colour shape into strips within Tight limits, and later shapes win where they overlap', () => {
    const fb = new Framebuffer(300, 200);
    // Two colours over the whole screen: 60,000 pixels, more than one Tight rectangle may hold; then
    // a green block over part of it.
    const pattern = new Framebuffer(300, 200);
    for (let y = 0; y < 200; y++) for (let x = 0; x < 300; x++) if ((x * 7 + y * 3) % 11 < 4) pattern.fillRect(x, y, 1, 1, 255, 255, 255);
    const src = new Framebuffer(300, 200);
    src.putRgbx(0, 0, 300, 200, pattern.data);
    src.fillRect(50, 50, 100, 40, 0, 128, 0);
    const reader = new ServerMessageReader({ fb, decoders: createDecoders(), deferPaints: true });
    const whole = new TightEncoder().encodeRect(pattern, { x: 0, y: 0, width: 300, height: 200 });
    const green = new TightEncoder().encodeRect(src, { x: 50, y: 50, width: 100, height: 40 });
    reader.push(Buffer.concat([encodeFramebufferUpdateHeader(whole.length + green.length), ...whole, ...green]));
    const shapes = fb.heldShapes()!;
    const rects = encodeHeldShapes(300, 200, [{ x: 0, y: 0, width: 300, height: 200, mono: [0, 0xffffff], bits: monoBits(src, 300, 200) }, ...shapes])!;
    // Rectangle header: x, y, width, height (u16 each), encoding (s32); then Tight's compression control (0x80: a fill).
    for (const r of rects) if (r[12] !== 0x80) expect(r.readUInt16BE(4) * r.readUInt16BE(6)).toBeLessThanOrEqual(TIGHT_MAX_RECT_PIXELS);
    expect(rects.filter((r) => r[12] !== 0x80 && r.readUInt16BE(4) === 300).length).toBeGreaterThan(2);
    expect(decodeAsViewer(300, 200, rects).data.equals(src.data)).toBe(true);
    expect(fb.data.equals(src.data)).toBe(true);
  });

  it('is not offered once anything has read or drawn the pixels, or when a held paint has no shape', () => {
    const fb = new Framebuffer(64, 64);
    expect(fb.heldShapes()).toEqual([]); // never drawn: black, nothing held
    expect(decodeAsViewer(64, 64, encodeHeldShapes(64, 64, [])!).data.equals(Buffer.alloc(64 * 64 * 4))).toBe(true);
    fb.resize(32, 32); // nothing drawn: still untouched
    expect(fb.heldShapes()).toEqual([]);
    fb.fillRect(0, 0, 1, 1, 1, 2, 3);
    expect(fb.heldShapes()).toBeUndefined();
    // A reader whose paints include one with no shape (none of ours today: a test queue).
    const other = new Framebuffer(16, 16);
    const q = new PaintQueue();
    other.holdPaints(q);
    q.defer({ x: 0, y: 0, width: 4, height: 4 }, () => other.fillRect(0, 0, 4, 4, 9, 9, 9), 0, { x: 0, y: 0, width: 4, height: 4, fill: 0x090909 });
    expect(other.heldShapes()).toHaveLength(1);
    q.defer({ x: 8, y: 8, width: 2, height: 2 }, () => other.fillRect(8, 8, 2, 2, 1, 1, 1));
    expect(other.heldShapes()).toBeUndefined();
  });
});

/** One bit a pixel (rows padded to bytes, MSB first): set where `fb` is not black. */
function monoBits(fb: Framebuffer, w: number, h: number): Buffer {
  const rowBytes = (w + 7) >> 3;
  const out = Buffer.alloc(rowBytes * h);
  const words = fb.words()!;
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) if ((words[y * w + x]! & 0xffffff) !== 0) out[y * rowBytes + (x >> 3)]! |= 0x80 >> (x & 7);
  return out;
}
