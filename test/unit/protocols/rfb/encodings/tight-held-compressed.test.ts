import { deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { Encoding } from '../../../../../protocols/rfb/constants.js';
import { Deflater } from '../../../../../protocols/rfb/encodings/deflater.js';
import { createDecoders } from '../../../../../protocols/rfb/encodings/index.js';
import { encodeHeldShapes } from '../../../../../protocols/rfb/encodings/tight-encoder.js';
import type { TightDecoder } from '../../../../../protocols/rfb/encodings/tight.js';
import { RfbError } from '../../../../../protocols/errors.js';
import { Framebuffer } from '../../../../../protocols/rfb/framebuffer.js';
import { ServerMessageReader } from '../../../../../protocols/rfb/server-message-reader.js';
import { encodeFramebufferUpdateHeader, encodeRectHeader } from '../../../../../protocols/rfb/server-messages.js';

/**
 * Two-colour Tight rectangles whose zlib data starts a stream of its own are held compressed by a
 * reader deferring paints (tight.ts #holdCompressed): inflated only if their paint runs, sent as they
 * came in a first picture, and inflated into the stream only when later data continues it.
 */

const W = 64;
const H = 32;

/** One bit a pixel for a `w`x`h` rectangle, rows padded to a byte, made from `seed`. */
function bitsFor(w: number, h: number, seed: number): Buffer {
  const bits = Buffer.alloc(Math.ceil(w / 8) * h);
  for (let i = 0; i < bits.length; i++) bits[i] = (i * 29 + seed * 7) & 0xff;
  return bits;
}

/**
 * A two-colour Tight rectangle (rfbproto "Tight Encoding": basic compression in `stream`, explicit
 * Palette filter, 2 colours) whose compressed data is `z`; `reset` sets that stream's reset bit.
 */
function twoColourRect(x: number, y: number, w: number, h: number, stream: number, reset: boolean, z: Buffer, seed = 1): Buffer {
  const ctl = 0x40 | (stream << 4) | (reset ? 1 << stream : 0);
  const compact = Buffer.of((z.length & 0x7f) | 0x80, ((z.length >> 7) & 0x7f) | 0x80, z.length >> 14);
  const palette = [seed, 200, 40, 250, seed ^ 0x55, 10];
  return Buffer.concat([encodeRectHeader({ x, y, width: w, height: h }, Encoding.Tight), Buffer.of(ctl, 1, 1, ...palette), compact, z]);
}

function fillRect(x: number, y: number, w: number, h: number, stream: number, reset: boolean): Buffer {
  return Buffer.concat([encodeRectHeader({ x, y, width: w, height: h }, Encoding.Tight), Buffer.of(0x80 | (reset ? 1 << stream : 0), 9, 9, 9)]);
}

function update(...rects: Buffer[]): Buffer {
  return Buffer.concat([encodeFramebufferUpdateHeader(rects.length), ...rects]);
}

/** A reader drawing every rectangle at once and one deferring paints, each on its own framebuffer; `both` pushes an update into the two. */
function readers(): {
  both: (u: Buffer) => void;
  plain: ServerMessageReader;
  plainFb: Framebuffer;
  deferred: ServerMessageReader;
  fb: Framebuffer;
  tight: TightDecoder;
  plainTight: TightDecoder;
} {
  const plainFb = new Framebuffer(W, H);
  const fb = new Framebuffer(W, H);
  const plainDecoders = createDecoders();
  const decoders = createDecoders();
  const plain = new ServerMessageReader({ fb: plainFb, decoders: plainDecoders });
  const deferred = new ServerMessageReader({ fb, decoders, deferPaints: true });
  return {
    both: (u) => {
      plain.push(u);
      deferred.push(u);
    },
    plainFb,
    fb,
    plain,
    deferred,
    plainTight: plainDecoders.get(Encoding.Tight) as TightDecoder,
    tight: decoders.get(Encoding.Tight) as TightDecoder,
  };
}

describe('two-colour Tight rectangles held compressed', () => {
  it('holds the data as it came and inflates it when the paint runs', () => {
    const { both, plainFb, deferred, fb } = readers();
    const z = deflateSync(bitsFor(32, 16, 3));
    const u = update(twoColourRect(8, 4, 32, 16, 2, true, z));
    both(u);
    const shapes = fb.heldShapes()!;
    expect(shapes).toHaveLength(1);
    expect(shapes[0]).toMatchObject({ x: 8, y: 4, width: 32, height: 16 });
    expect('bits' in shapes[0]!).toBe(false);
    expect((shapes[0] as { zlib: Buffer }).zlib.equals(z)).toBe(true);
    expect(fb.data.equals(plainFb.data)).toBe(true);
    expect(deferred.paints!.painted).toBe(1);
  });

  it('a first picture sends the compressed data as it came (no deflate of its own) and decodes to the same pixels', () => {
    const { both, plainFb, fb } = readers();
    const z = deflateSync(bitsFor(32, 16, 5));
    const u = update(twoColourRect(8, 4, 32, 16, 1, true, z));
    both(u);
    const rects = encodeHeldShapes(W, H, fb.heldShapes()!)!;
    // The black background, then the rectangle: its data ends with the server's zlib bytes.
    expect(rects).toHaveLength(2);
    expect(rects[1]!.subarray(rects[1]!.length - z.length).equals(z)).toBe(true);
    // In the gateway's own stream (3), reset: the viewer starts that stream afresh for it.
    expect(rects[1]![12]).toBe(0x40 | (3 << 4) | (1 << 3));
    const viewerFb = new Framebuffer(W, H);
    new ServerMessageReader({ fb: viewerFb, decoders: createDecoders() }).push(update(...rects));
    expect(viewerFb.data.equals(plainFb.data)).toBe(true);
  });

  it('data continuing the stream after a held rectangle inflates as the server meant, the held one covered or not', () => {
    for (const cover of [false, true]) {
      const { both, plainFb, deferred, fb } = readers();
      // One zlib stream over two rectangles with the same bits: the second refers back into the first.
      const d = new Deflater(6);
      const bits = bitsFor(32, 8, 9);
      const first = twoColourRect(0, 0, 32, 8, 1, true, d.deflate(bits));
      const second = twoColourRect(0, 8, 32, 8, 1, false, d.deflate(bits));
      const updates = [update(first), ...(cover ? [update(fillRect(0, 0, 32, 8, 0, false))] : []), update(second)];
      for (const u of updates) both(u);
      expect(fb.data.equals(plainFb.data)).toBe(true);
      expect(deferred.paints!.skipped).toBe(cover ? 1 : 0);
    }
  });

  it("a stream's state for relaying is the server's, with a held rectangle not yet inflated", () => {
    const { both, tight, plainTight } = readers();
    tight.keepHistory();
    plainTight.keepHistory();
    const u = update(twoColourRect(0, 0, 32, 8, 2, true, new Deflater(6).deflate(bitsFor(32, 8, 4))));
    both(u);
    const state = tight.streamState(2);
    expect(Buffer.isBuffer(state)).toBe(true);
    expect(state).toEqual(plainTight.streamState(2));
  });

  it('bad deflate data fails the reader at its next push once the paint has run, and never when a later rectangle covers it first', () => {
    // A well-formed zlib header, then bytes that are not deflate data.
    const bad = Buffer.concat([Buffer.of(0x78, 0x01), Buffer.alloc(20, 0xff)]);
    const { deferred, fb } = readers();
    deferred.push(update(twoColourRect(0, 0, 32, 8, 0, true, bad)));
    // Reading the pixels runs the paint: it draws nothing and throws nothing into the reader of the pixels …
    expect(() => fb.data).not.toThrow();
    // … and the reader fails at its next step, naming the zlib data.
    let err: unknown;
    try {
      deferred.push(Buffer.alloc(0));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RfbError);
    expect((err as RfbError).code).toBe('RFB_ERR_ZLIB_DATA');
    expect(() => deferred.push(update())).toThrow(/corrupt zlib data/);

    const covered = readers();
    covered.deferred.push(update(twoColourRect(0, 0, 32, 8, 0, true, bad), fillRect(0, 0, 32, 8, 0, false)));
    void covered.fb.data;
    expect(covered.deferred.push(update())).toEqual([{ type: 'update-end' }]);
    expect(covered.deferred.paints!.skipped).toBe(1);
  });

  it('a rectangle whose zlib header is bad, or that continues its stream, is inflated at once and fails at once', () => {
    const { deferred } = readers();
    expect(() => deferred.push(update(twoColourRect(0, 0, 32, 8, 0, true, Buffer.concat([Buffer.of(0x79, 0x01), Buffer.alloc(20)]))))).toThrow(
      /bad zlib header/,
    );
    const second = readers();
    const d = new Deflater(6);
    second.deferred.push(update(twoColourRect(0, 0, 32, 8, 1, true, d.deflate(bitsFor(32, 8, 2)))));
    expect(second.fb.heldShapes()!.every((s) => 'zlib' in s)).toBe(true);
    second.deferred.push(update(twoColourRect(0, 8, 32, 8, 1, false, d.deflate(bitsFor(32, 8, 3)))));
    // The continuation was inflated to be held: it has bits, not zlib data.
    expect(second.fb.heldShapes()!.map((s) => ('zlib' in s ? 'zlib' : 'bits' in s ? 'bits' : 'other'))).toEqual(['zlib', 'bits']);
  });

  it('a held paint run while another decoder draws leaves that decoder its inflated data (separate scratch memory)', () => {
    // A many-colour Tight rectangle over a held two-colour one: the many-colour decoder inflates its
    // data into the shared scratch, then its first read of the pixels runs the held paint, which
    // inflates too.
    const { both, plainFb, deferred, fb } = readers();
    const held = twoColourRect(0, 0, 32, 16, 1, true, deflateSync(bitsFor(32, 16, 6)));
    const indices = Buffer.alloc(16 * 16);
    for (let i = 0; i < indices.length; i++) indices[i] = i % 3;
    const z = deflateSync(indices);
    const compact = Buffer.of((z.length & 0x7f) | 0x80, ((z.length >> 7) & 0x7f) | 0x80, z.length >> 14);
    const many = Buffer.concat([
      encodeRectHeader({ x: 8, y: 4, width: 16, height: 16 }, Encoding.Tight),
      Buffer.of(0x40 | 1, 1, 2, 255, 0, 0, 0, 255, 0, 0, 0, 255),
      compact,
      z,
    ]);
    const u = update(held, many);
    both(u);
    expect(deferred.paints!.painted).toBe(1);
    expect(fb.data.equals(plainFb.data)).toBe(true);
  });
});
