import { deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { Encoding } from '../../../../../protocols/rfb/constants.js';
import { createDecoders, PaintQueue } from '../../../../../protocols/rfb/encodings/index.js';
import { TightEncoder } from '../../../../../protocols/rfb/encodings/tight.js';
import { Framebuffer, type Rect } from '../../../../../protocols/rfb/framebuffer.js';
import { ServerMessageReader } from '../../../../../protocols/rfb/server-message-reader.js';
import { encodeFramebufferUpdateHeader, encodeRectHeader } from '../../../../../protocols/rfb/server-messages.js';
import { paintMixUpdates, xtermUpdates } from '../../../../helpers/paint-updates.js';

describe('PaintQueue', () => {
  it('runs paints in order and skips only those a later paint covers whole', () => {
    const q = new PaintQueue();
    const ran: string[] = [];
    const add = (name: string, r: Rect): void => q.defer(r, () => ran.push(name));
    add('a', { x: 0, y: 0, width: 10, height: 10 }); // covered by c
    add('b', { x: 5, y: 5, width: 10, height: 10 }); // only partly covered by c: must run
    add('c', { x: 0, y: 0, width: 12, height: 12 });
    add('d', { x: 1, y: 1, width: 2, height: 2 }); // after c: runs (it paints over c)
    add('e', { x: 40, y: 0, width: 1, height: 4 }); // a one-pixel column …
    add('f', { x: 40, y: 2, width: 8, height: 8 }); // … whose lower half f paints over: e runs
    add('g', { x: 60, y: 0, width: 8, height: 16 }); // a text cell …
    add('h', { x: 59, y: 0, width: 8, height: 16 }); // … overlapped all but one column: g runs
    q.flush();
    expect(ran).toEqual(['b', 'c', 'd', 'e', 'f', 'g', 'h']);
    expect({ skipped: q.skipped, painted: q.painted, pending: q.pending }).toEqual({ skipped: 1, painted: 7, pending: 0 });
    q.flush();
    expect(ran).toHaveLength(7);
  });

  it(`holds at most ${PaintQueue.MAX_PENDING} paints: the next one settles the oldest first`, () => {
    const q = new PaintQueue();
    const ran: number[] = [];
    // Paint 0, then MAX_PENDING - 1 small paints of which none covers another: all wait.
    q.defer({ x: 0, y: 0, width: 4, height: 4 }, () => ran.push(0));
    const at = (i: number): Rect => ({ x: 8 + (i % 200) * 3, y: 8 + Math.floor(i / 200) * 3, width: 2, height: 2 });
    for (let i = 1; i < PaintQueue.MAX_PENDING; i++) q.defer(at(i), () => ran.push(i));
    expect(q.pending).toBe(PaintQueue.MAX_PENDING);
    expect(ran).toEqual([]);
    // One more (covering none of them): the oldest, paint 0, is settled and runs.
    q.defer(at(PaintQueue.MAX_PENDING), () => ran.push(PaintQueue.MAX_PENDING));
    expect(ran).toEqual([0]);
    expect(q.pending).toBe(PaintQueue.MAX_PENDING);
    // A paint over all of them: each one it covers is skipped at once, and nothing else runs.
    q.defer({ x: 0, y: 0, width: 1024, height: 768 }, () => ran.push(-1));
    expect(q.pending).toBe(1);
    expect(ran).toEqual([0]);
    q.flush();
    expect(ran).toEqual([0, -1]);
    expect({ skipped: q.skipped, painted: q.painted }).toEqual({ skipped: PaintQueue.MAX_PENDING, painted: 2 });
  });

  it('finds what a paint covers by position: a covering paint in another part of the screen skips nothing', () => {
    const q = new PaintQueue();
    const ran: string[] = [];
    // Corners on grid lines, rectangles across squares, a zero-size one and one at the 16-bit edge.
    q.defer({ x: 63, y: 63, width: 2, height: 2 }, () => ran.push('a')); // corner in square (0,0), reaching (1,1)
    q.defer({ x: 64, y: 0, width: 64, height: 64 }, () => ran.push('b')); // exactly square (1,0)
    q.defer({ x: 500, y: 500, width: 0, height: 0 }, () => ran.push('c'));
    q.defer({ x: 65534, y: 65534, width: 1, height: 1 }, () => ran.push('d'));
    q.defer({ x: 64, y: 64, width: 100, height: 100 }, () => ran.push('e')); // covers none of them (a starts at 63)
    expect(q.skipped).toBe(0);
    q.defer({ x: 63, y: 0, width: 66, height: 66 }, () => ran.push('f')); // covers a and b, not e
    expect(q.skipped).toBe(2);
    q.defer({ x: 400, y: 400, width: 200, height: 200 }, () => ran.push('g')); // covers c (and e's corner is outside)
    q.defer({ x: 65000, y: 65000, width: 535, height: 535 }, () => ran.push('h')); // covers d
    q.flush();
    expect(ran).toEqual(['e', 'f', 'g', 'h']);
    expect({ skipped: q.skipped, painted: q.painted, pending: q.pending }).toEqual({ skipped: 4, painted: 4, pending: 0 });
  });

  it('keeps nothing of the paints it skipped: the same screen painted over and over holds one', () => {
    const q = new PaintQueue();
    let last = -1;
    const n = 20 * PaintQueue.MAX_PENDING;
    for (let i = 0; i < n; i++) q.defer({ x: 0, y: 0, width: 1024, height: 768 }, () => (last = i), 100);
    expect({ pending: q.pending, bytes: q.bytes, skipped: q.skipped }).toEqual({ pending: 1, bytes: 100, skipped: n - 1 });
    q.flush();
    expect({ last, painted: q.painted, bytes: q.bytes }).toEqual({ last: n - 1, painted: 1, bytes: 0 });
  });

  it('before a draw into a rectangle, runs the waiting paints up to the newest that overlaps it, and only those', () => {
    const q = new PaintQueue();
    const ran: string[] = [];
    const add = (name: string, r: Rect): void => q.defer(r, () => ran.push(name));
    add('a', { x: 0, y: 0, width: 10, height: 10 });
    add('b', { x: 5, y: 0, width: 10, height: 10 }); // over a: a must run first
    add('c', { x: 40, y: 0, width: 10, height: 10 });
    add('d', { x: 60, y: 0, width: 4, height: 4 });
    // Touching nothing that waits (edges only touch): nothing runs.
    q.settleOverlapping({ x: 15, y: 0, width: 25, height: 10 });
    q.settleOverlapping({ x: 0, y: 10, width: 100, height: 5 });
    q.settleOverlapping({ x: 12, y: 0, width: 0, height: 0 });
    expect(ran).toEqual([]);
    // Over b: a and b run, in order; c and d touch none of its pixels and wait on.
    q.settleOverlapping({ x: 12, y: 2, width: 2, height: 2 });
    expect(ran).toEqual(['a', 'b']);
    expect(q.pending).toBe(2);
    // … so a later paint over c still skips it.
    add('e', { x: 40, y: 0, width: 10, height: 10 });
    // Over d, the newest but one: c was skipped, d runs; e stays.
    q.settleOverlapping({ x: 63, y: 3, width: 10, height: 10 });
    expect(ran).toEqual(['a', 'b', 'd']);
    q.flush();
    expect(ran).toEqual(['a', 'b', 'd', 'e']);
    expect({ skipped: q.skipped, painted: q.painted }).toEqual({ skipped: 1, painted: 4 });
  });

  it('a paint that throws leaves the others waiting, in order', () => {
    const q = new PaintQueue();
    const ran: string[] = [];
    q.defer({ x: 0, y: 0, width: 1, height: 1 }, () => {
      throw new Error('boom');
    });
    q.defer({ x: 2, y: 0, width: 1, height: 1 }, () => ran.push('b'));
    q.defer({ x: 4, y: 0, width: 1, height: 1 }, () => ran.push('c'));
    expect(() => q.flush()).toThrow('boom');
    expect(q.pending).toBe(2);
    q.flush();
    expect(ran).toEqual(['b', 'c']);
  });
});

/** Decodes `bytes` split at `cuts` with and without deferred paints; the framebuffers must match after every push. */
function compareSplit(width: number, height: number, bytes: Buffer, cuts: number[]): { skipped: number; painted: number } {
  const plainFb = new Framebuffer(width, height);
  const deferFb = new Framebuffer(width, height);
  const plain = new ServerMessageReader({ fb: plainFb, decoders: createDecoders() });
  const deferred = new ServerMessageReader({ fb: deferFb, decoders: createDecoders(), deferPaints: true });
  let at = 0;
  for (const cut of [...cuts, bytes.length]) {
    const chunk = bytes.subarray(at, cut);
    at = cut;
    const a = plain.push(chunk);
    const b = deferred.push(chunk);
    expect(b).toEqual(a);
    expect(deferFb.width).toBe(plainFb.width);
    if (!deferFb.data.equals(plainFb.data)) throw new Error(`framebuffers differ after the push ending at byte ${cut}`);
  }
  return { skipped: deferred.paints!.skipped, painted: deferred.paints!.painted };
}

/** Two-colour Tight (basic compression, stream 0 reset, Palette filter, rfbproto "Tight Encoding"), one bit a pixel, rows padded to a byte. */
function twoColour(x: number, y: number, w: number, h: number, seed: number): Buffer {
  const bits = Buffer.alloc(Math.ceil(w / 8) * h);
  for (let i = 0; i < bits.length; i++) bits[i] = (i * 37 + seed) & 0xff;
  const z = deflateSync(bits);
  const compact = Buffer.of((z.length & 0x7f) | 0x80, ((z.length >> 7) & 0x7f) | 0x80, z.length >> 14);
  return Buffer.concat([encodeRectHeader({ x, y, width: w, height: h }, Encoding.Tight), Buffer.of(0x41, 1, 1, seed, 255, 255, 0, 0, 40), compact, z]);
}

function framebufferUpdate(...rects: Buffer[]): Buffer {
  return Buffer.concat([encodeFramebufferUpdateHeader(rects.length), ...rects]);
}

/**
 * `updates` pushed into a reader that draws every rectangle at once and one that defers paints: their
 * pixels must be the same when read. The deferring reader's counts, and whether its framebuffer had
 * been drawn into before that read (heldShapes gone).
 */
function againstPlain(width: number, height: number, updates: Buffer[]): { painted: number; skipped: number; touched: boolean } {
  const plainFb = new Framebuffer(width, height);
  const plain = new ServerMessageReader({ fb: plainFb, decoders: createDecoders() });
  const fb = new Framebuffer(width, height);
  const reader = new ServerMessageReader({ fb, decoders: createDecoders(), deferPaints: true });
  for (const u of updates) {
    plain.push(u);
    reader.push(u);
  }
  const touched = fb.heldShapes() === undefined;
  const counts = { painted: reader.paints!.painted, skipped: reader.paints!.skipped, touched };
  expect(fb.data.equals(plainFb.data)).toBe(true);
  return counts;
}

describe('ServerMessageReader with deferPaints', () => {
  it('leaves the framebuffer exactly as drawing every rectangle does, on the TigerVNC xterm recording read 64 KiB at a time', () => {
    const bytes = Buffer.concat([xtermUpdates(), xtermUpdates(), xtermUpdates()]);
    const cuts: number[] = [];
    for (let c = 65536; c < bytes.length; c += 65536) cuts.push(c);
    const { skipped, painted } = compareSplit(1024, 768, bytes, cuts);
    // The recording repaints the same column of text again and again: most paints are covered.
    expect(skipped).toBeGreaterThan(painted);
  });

  it('… and split at random byte boundaries', () => {
    const bytes = xtermUpdates();
    let seed = 7;
    const rand = (n: number): number => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff), seed % n);
    for (let round = 0; round < 5; round++) {
      const cuts: number[] = [];
      for (let c = rand(3000) + 1; c < bytes.length; c += rand(6000) + 1) cuts.push(c);
      compareSplit(1024, 768, bytes, cuts);
    }
  });

  it('paints what it put off before CopyRect reads, before Raw and many-colour Tight draw, and before a resize', () => {
    const bytes = paintMixUpdates();
    expect(compareSplit(64, 48, bytes, []).skipped).toBeGreaterThan(0);
    for (let step = 1; step < 40; step += 3) {
      const cuts: number[] = [];
      for (let c = step; c < bytes.length; c += step * 37) cuts.push(c);
      compareSplit(64, 48, bytes, cuts);
    }
  });

  it('a rectangle drawn at once elsewhere leaves what waits waiting: a later paint may still cover it', () => {
    // Drawn at once: Tight with a four-colour palette (stream 1 reset, explicit Palette filter, one
    // index byte a pixel). (A small Raw rectangle is held too, since RAW_HOLD_MAX_BYTES.)
    const many = (x: number, y: number, w: number, h: number): Buffer => {
      const indices = Buffer.alloc(w * h);
      for (let i = 0; i < indices.length; i++) indices[i] = (i * 7) & 3;
      const z = deflateSync(indices);
      const compact = Buffer.of((z.length & 0x7f) | 0x80, ((z.length >> 7) & 0x7f) | 0x80, z.length >> 14);
      const palette = Buffer.of(3, 200, 10, 10, 10, 200, 10, 10, 10, 200, 90, 90, 90);
      return Buffer.concat([encodeRectHeader({ x, y, width: w, height: h }, Encoding.Tight), Buffer.of(0x52, 1), palette, compact, z]);
    };
    const run = (updates: Buffer[]): { painted: number; skipped: number } => {
      const { painted, skipped } = againstPlain(128, 32, updates);
      return { painted, skipped };
    };
    // Drawn beside the waiting paint: it waits on, and the next one over it skips it.
    expect(run([framebufferUpdate(twoColour(0, 0, 64, 16, 1)), framebufferUpdate(many(100, 0, 8, 8)), framebufferUpdate(twoColour(0, 0, 64, 16, 2))])).toEqual({
      painted: 0,
      skipped: 1,
    });
    // Drawn over it: it is painted first (then the new pixels over it), and nothing is left to skip.
    expect(run([framebufferUpdate(twoColour(0, 0, 64, 16, 1)), framebufferUpdate(many(60, 10, 8, 8)), framebufferUpdate(twoColour(0, 0, 64, 16, 2))])).toEqual({
      painted: 1,
      skipped: 0,
    });
    // A waiting paint under an older one that the new rectangle overlaps runs too, in order (a prefix of what waits).
    expect(
      run([
        framebufferUpdate(twoColour(0, 0, 64, 16, 1), twoColour(32, 8, 64, 16, 3)),
        framebufferUpdate(many(90, 20, 8, 8)),
        framebufferUpdate(twoColour(0, 0, 128, 32, 2)),
      ]),
    ).toEqual({
      painted: 2,
      skipped: 0,
    });
  });

  it('holds a small Raw rectangle like a two-colour one, and draws a bigger one at once', () => {
    const raw = (x: number, y: number, w: number, h: number, v: number): Buffer =>
      Buffer.concat([encodeRectHeader({ x, y, width: w, height: h }, Encoding.Raw), Buffer.alloc(w * h * 4, v)]);
    const mono = (x: number, y: number, w: number, h: number): Buffer => twoColour(x, y, w, h, 0);
    const run = (updates: Buffer[]): { painted: number; skipped: number; touched: boolean } => againstPlain(160, 160, updates);
    // 64x64 (16 KiB, RAW_HOLD_MAX_BYTES) over a waiting two-colour paint: held, and it skips what it covers.
    expect(run([framebufferUpdate(mono(0, 0, 64, 16)), framebufferUpdate(raw(0, 0, 64, 64, 0x5a))])).toEqual({ painted: 0, skipped: 1, touched: false });
    // Held, then covered by a later two-colour paint: skipped in turn.
    expect(run([framebufferUpdate(raw(8, 8, 8, 8, 0x11)), framebufferUpdate(mono(0, 0, 64, 16))])).toEqual({ painted: 0, skipped: 1, touched: false });
    // Partly under a later one: it runs first when the pixels are read (run() reads them).
    expect(run([framebufferUpdate(raw(60, 0, 8, 8, 0x22)), framebufferUpdate(mono(0, 0, 64, 16))])).toEqual({ painted: 0, skipped: 0, touched: false });
    // 65x64: more than RAW_HOLD_MAX_BYTES, drawn at once, after the waiting paint it overlaps.
    expect(run([framebufferUpdate(mono(0, 0, 64, 16)), framebufferUpdate(raw(0, 8, 65, 64, 0x33))])).toEqual({ painted: 1, skipped: 0, touched: true });
    // A small one that arrives in parts is drawn row by row as they come, as a plain reader does:
    // between two pushes both framebuffers hold its first rows (the deferred-paints fuzz target's rule).
    const whole = framebufferUpdate(raw(0, 0, 16, 16, 0x44));
    const cut = 4 + 12 + 16 * 4 * 5 + 9; // update header, rectangle header, five rows and a bit
    expect(run([whole.subarray(0, cut)])).toEqual({ painted: 0, skipped: 0, touched: true });
    expect(run([whole.subarray(0, cut), whole.subarray(cut)])).toEqual({ painted: 0, skipped: 0, touched: true });
  });

  it("keeps each waiting paint's copied data intact while its ring memory is used again around it", () => {
    const q = new PaintQueue();
    let seed = 11;
    const rand = (n: number): number => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff), seed % n);
    let ran = 0;
    let largest = 0;
    for (let i = 0; i < 3000; i++) {
      // Sizes from a byte to 40 KiB (the ring starts at 16 KiB and grows), places on a 16x16 grid
      // of 32-pixel cells, some rectangles covering several cells (so older paints are skipped out of turn).
      const len = rand(10) === 0 ? 1 + rand(40 * 1024) : 1 + rand(3000);
      const data = Buffer.alloc(len);
      for (let k = 0; k < len; k += 97) data[k] = rand(256);
      const want = Buffer.from(data);
      const copy = q.copy(data);
      data.fill(0); // the caller's buffer is scratch: the copy must not depend on it
      largest = Math.max(largest, len);
      const span = rand(8) === 0 ? 3 : 1;
      const rect = { x: rand(16) * 32, y: rand(16) * 32, width: 32 * span, height: 32 * span };
      q.defer(
        rect,
        () => {
          ran++;
          expect(copy.equals(want)).toBe(true);
        },
        len,
        undefined,
        copy,
      );
      // Now and then someone reads the screen: everything waiting runs.
      if (rand(200) === 0) q.flush();
    }
    q.flush();
    expect(ran).toBe(q.painted);
    expect(q.painted + q.skipped).toBe(3000);
    expect(q.skipped).toBeGreaterThan(0);
    expect(largest).toBeGreaterThan(16 * 1024);
  });

  it('holds paints across pushes until the framebuffer is read, and skips those covered meanwhile', () => {
    const bytes = xtermUpdates();
    const cut = Math.floor(bytes.length / 2);
    const plainFb = new Framebuffer(1024, 768);
    const plain = new ServerMessageReader({ fb: plainFb, decoders: createDecoders() });
    const fb = new Framebuffer(1024, 768);
    const reader = new ServerMessageReader({ fb, decoders: createDecoders(), deferPaints: true });
    // Pushed update by update, as a BMC at console speed sends them, with nobody reading in between.
    let at = 0;
    while (at < bytes.length) {
      const next = Math.min(bytes.length, at + 700);
      reader.push(bytes.subarray(at, next));
      plain.push(bytes.subarray(at, next));
      at = next;
      if (at >= cut && at - 700 < cut) {
        // Half way: something waits, and nothing has been read yet.
        expect(reader.paints!.pending).toBeGreaterThan(0);
      }
    }
    const { skipped, painted, pending } = reader.paints!;
    expect(pending).toBeGreaterThan(0);
    // Reading the pixels runs what waits first.
    expect(fb.data.equals(plainFb.data)).toBe(true);
    expect(reader.paints!.pending).toBe(0);
    expect(reader.paints!.painted).toBeGreaterThan(painted);
    expect(skipped).toBeGreaterThan(painted);
  });

  it('bounds what waits by the bytes it holds (a two-colour 1024x700 rectangle is 87.5 KiB of bitmap)', () => {
    // Tight, basic compression with stream 0 reset, explicit Palette filter, two colours (rfbproto
    // "Tight Encoding"): one bit a pixel, rows padded to a byte, zlib'd. Each one a row lower than the
    // one before, so none covers another.
    const bits = Buffer.alloc((1024 / 8) * 700);
    for (let i = 0; i < bits.length; i++) bits[i] = (i * 37) & 0xff;
    const z = deflateSync(bits);
    const compact = Buffer.of((z.length & 0x7f) | 0x80, ((z.length >> 7) & 0x7f) | 0x80, z.length >> 14);
    const update = (y: number): Buffer =>
      Buffer.concat([
        encodeFramebufferUpdateHeader(1),
        encodeRectHeader({ x: 0, y, width: 1024, height: 700 }, Encoding.Tight),
        Buffer.of(0x41, 1, 1, 255, 255, 255, 0, 0, 40 + y),
        compact,
        z,
      ]);
    const updates = Array.from({ length: 9 }, (_, y) => update(y));
    const plainFb = new Framebuffer(1024, 768);
    const plain = new ServerMessageReader({ fb: plainFb, decoders: createDecoders() });
    for (const u of updates) plain.push(u);
    const fb = new Framebuffer(1024, 768);
    const reader = new ServerMessageReader({ fb, decoders: createDecoders(), deferPaints: true });
    let most = 0;
    for (const u of updates) {
      reader.push(u);
      most = Math.max(most, reader.paints!.bytes);
    }
    const fit = Math.floor(PaintQueue.MAX_BYTES / bits.length);
    expect(fit).toBeLessThan(updates.length);
    // As many bitmaps as fit under the bound wait; each one more settles (paints) the oldest.
    expect(most).toBe(fit * bits.length);
    expect({ painted: reader.paints!.painted, skipped: reader.paints!.skipped }).toEqual({ painted: updates.length - fit, skipped: 0 });
    expect(fb.data.equals(plainFb.data)).toBe(true);
  });

  it('a new reader on the same framebuffer (a reconnect) runs what the old one held first', () => {
    const src = new Framebuffer(64, 48);
    for (let i = 0; i < src.data.length; i += 4) src.data.set(i & 32 ? [200, 10, 10, 0] : [0, 0, 0, 0], i);
    const fb = new Framebuffer(64, 48);
    const old = new ServerMessageReader({ fb, decoders: createDecoders(), deferPaints: true });
    old.push(Buffer.concat([encodeFramebufferUpdateHeader(1), ...new TightEncoder().encodeRect(src, { x: 0, y: 0, width: 64, height: 48 })]));
    expect(old.paints!.pending).toBe(1);
    const next = new ServerMessageReader({ fb, decoders: createDecoders(), deferPaints: true });
    expect(old.paints!.pending).toBe(0);
    expect(next.paints!.pending).toBe(0);
    expect(fb.data.equals(src.data)).toBe(true);
  });

  it('paints what came before a malformed rectangle before the error, as drawing at once does', () => {
    const src = new Framebuffer(32, 32);
    for (let i = 0; i < src.data.length; i += 4) src.data.set(i & 64 ? [255, 255, 255, 0] : [0, 0, 0, 0], i);
    const good = Buffer.concat([encodeFramebufferUpdateHeader(1), ...new TightEncoder().encodeRect(src, { x: 0, y: 0, width: 32, height: 32 })]);
    // A Tight rectangle whose compression control names no method (0xa0: above JpegCompression).
    const bad = Buffer.concat([encodeFramebufferUpdateHeader(1), encodeRectHeader({ x: 0, y: 0, width: 32, height: 32 }, Encoding.Tight), Buffer.of(0xa0)]);
    const fbs = [new Framebuffer(32, 32), new Framebuffer(32, 32)];
    const errors = fbs.map((fb, i) => {
      const reader = new ServerMessageReader({ fb, decoders: createDecoders(), deferPaints: i === 1 });
      try {
        reader.push(Buffer.concat([good, bad]));
        return undefined;
      } catch (err) {
        return (err as { code?: string }).code;
      }
    });
    expect(errors[1]).toBeDefined();
    expect(errors[1]).toBe(errors[0]);
    expect(fbs[1]!.data.equals(fbs[0]!.data)).toBe(true);
    expect(fbs[1]!.data.equals(src.data)).toBe(true);
  });
});
