import { describe, expect, it } from 'vitest';
import { Encoding } from '../../../../protocols/rfb/constants.js';
import { RawEncoder } from '../../../../protocols/rfb/encodings/raw.js';
import { TightDecoder, TightEncoder } from '../../../../protocols/rfb/encodings/tight.js';
import { Framebuffer } from '../../../../protocols/rfb/framebuffer.js';
import { encodeFramebufferUpdateHeader, encodeRectHeader } from '../../../../protocols/rfb/server-messages.js';
import { frameUpdate, frameUpdates } from '../../../../protocols/rfb/update-framer.js';
import { ServerMessageReader } from '../../../../protocols/rfb/server-message-reader.js';
import { createDecoders } from '../../../../protocols/rfb/encodings/index.js';
import { streamedZlib } from './encodings/helpers.js';

const RGBX = { bytesPerPixel: 4, tpixelBytes: 3 };

function screen(): Framebuffer {
  const fb = new Framebuffer(64, 48);
  for (let i = 0; i < fb.data.length; i += 4) fb.data.set([(i * 7) & 0xff, i & 0x40 ? 255 : 0, 3, 0], i);
  return fb;
}

function update(parts: Buffer[], count = parts.length): Buffer {
  return Buffer.concat([encodeFramebufferUpdateHeader(count), ...parts]);
}

/** A Tight rectangle in stream `stream` without reset bits (as a persistent-stream server sends), data zlib'd elsewhere. */
function tightNoReset(stream: number, w: number, h: number, compressed: Buffer): Buffer {
  return Buffer.concat([encodeRectHeader({ x: 0, y: 0, width: w, height: h }, Encoding.Tight), Buffer.of(stream << 4, compressed.length), compressed]);
}

describe('frameUpdate', () => {
  it('finds the end of an update of Tight, Raw and CopyRect rectangles exactly where the decoder stops', () => {
    const fb = screen();
    const tight = new TightEncoder().encodeRect(fb, { x: 0, y: 0, width: 64, height: 48 });
    const raw = new RawEncoder().encodeRect(fb, { x: 8, y: 8, width: 5, height: 3 });
    const copy = Buffer.concat([encodeRectHeader({ x: 0, y: 0, width: 8, height: 8 }, Encoding.CopyRect), Buffer.of(0, 16, 0, 16)]);
    const msg = update([...tight, ...raw, copy]);
    const next = Buffer.of(2); // a Bell after it, in the same read
    const f = frameUpdate(Buffer.concat([msg, next]), 64, 48, RGBX)!;
    expect(f.length).toBe(msg.length);
    expect(f.count).toBe(tight.length + 2);
    expect(f.relayable).toBe(true);
    expect([...f.encodings].sort()).toEqual([Encoding.Raw, Encoding.CopyRect, Encoding.Tight].sort());
    // Our encoder puts every zlib rectangle in stream 3 and resets it first.
    expect(f.tight.length).toBe(tight.length);
    for (const op of f.tight) expect(op.stream < 0 || op.reset === 1 << op.stream).toBe(true);
    expect(f.tight.some((op) => op.stream === 3)).toBe(true);
    expect(f.touched).toBe(0b1000);
    // The decoder consumes the same bytes: after them it has a whole update and then the Bell.
    const reader = new ServerMessageReader({ fb: new Framebuffer(64, 48), decoders: createDecoders() });
    const events = reader.push(Buffer.concat([msg, next]));
    expect(events.map((e) => e.type).slice(-2)).toEqual(['update-end', 'bell']);
  });

  it("reports each Tight rectangle's resets and stream in order, and the LastRect form", () => {
    const z = Buffer.alloc(20, 1); // never inflated here
    const msg = update([tightNoReset(2, 4, 4, z), tightNoReset(2, 4, 4, z), encodeRectHeader({ x: 0, y: 0, width: 0, height: 0 }, Encoding.LastRect)], 0xffff);
    const f = frameUpdate(msg, 64, 48, RGBX)!;
    expect(f).toMatchObject({ length: msg.length, count: 0xffff, relayable: true, touched: 0b100, jpeg: false });
    expect(f.tight).toEqual([
      { reset: 0, stream: 2 },
      { reset: 0, stream: 2 },
    ]);
    expect(f.encodings.has(Encoding.LastRect)).toBe(true);
  });

  it('frames pseudo-rectangles by their lengths (Cursor, DesktopName) but marks the update not relayable', () => {
    const cursor = Buffer.concat([encodeRectHeader({ x: 1, y: 1, width: 9, height: 2 }, Encoding.Cursor), Buffer.alloc(9 * 2 * 4 + 2 * 2)]);
    const name = Buffer.concat([encodeRectHeader({ x: 0, y: 0, width: 0, height: 0 }, Encoding.DesktopName), Buffer.of(0, 0, 0, 3), Buffer.from('bmc')]);
    const z = Buffer.alloc(20, 1);
    const msg = update([cursor, name, tightNoReset(1, 4, 4, z)]);
    const f = frameUpdate(msg, 64, 48, RGBX)!;
    expect(f).toMatchObject({ length: msg.length, relayable: false, touched: 0b10 });
  });

  it('is null for what it cannot frame: other messages, split updates, encodings without lengths, bad bounds, malformed Tight', () => {
    const fb = screen();
    const tight = update(new TightEncoder().encodeRect(fb, { x: 0, y: 0, width: 16, height: 16 }));
    expect(frameUpdate(Buffer.of(2), 64, 48, RGBX)).toBeNull();
    for (let cut = 0; cut < tight.length; cut++) expect(frameUpdate(tight.subarray(0, cut), 64, 48, RGBX)).toBeNull();
    expect(frameUpdate(update([encodeRectHeader({ x: 0, y: 0, width: 16, height: 16 }, Encoding.Hextile), Buffer.alloc(1)]), 64, 48, RGBX)).toBeNull();
    expect(frameUpdate(update([encodeRectHeader({ x: 0, y: 0, width: 80, height: 60 }, Encoding.DesktopSize)]), 64, 48, RGBX)?.relayable).toBe(false);
    expect(frameUpdate(update([encodeRectHeader({ x: 60, y: 0, width: 8, height: 8 }, Encoding.Raw), Buffer.alloc(256)]), 64, 48, RGBX)).toBeNull();
    const copyOut = Buffer.concat([encodeRectHeader({ x: 0, y: 0, width: 8, height: 8 }, Encoding.CopyRect), Buffer.of(0, 60, 0, 0)]);
    expect(frameUpdate(update([copyOut]), 64, 48, RGBX)).toBeNull();
    // Tight compression type 0xa is undefined: the decoder throws RFB_ERR_TIGHT_COMPRESSION, the framer declines.
    expect(frameUpdate(update([encodeRectHeader({ x: 0, y: 0, width: 4, height: 4 }, Encoding.Tight), Buffer.of(0xa0, 0)]), 64, 48, RGBX)).toBeNull();
    expect(frameUpdate(tight, 16, 16, RGBX)).not.toBeNull();
    expect(frameUpdate(tight, 15, 16, RGBX)).toBeNull();
  });
});

describe('frameUpdates', () => {
  const z = Buffer.alloc(20, 1);
  const a = update([tightNoReset(1, 4, 4, z)]);
  const b = update([tightNoReset(2, 4, 4, z), tightNoReset(1, 4, 4, z)]);
  const cursor = update([Buffer.concat([encodeRectHeader({ x: 1, y: 1, width: 2, height: 2 }, Encoding.Cursor), Buffer.alloc(2 * 2 * 4 + 2)])]);

  it('describes whole updates back to back together: lengths summed, the first count, stream operations in order', () => {
    const r = frameUpdates(Buffer.concat([a, b]), 64, 48, RGBX);
    expect(r.updates).toBe(2);
    expect(r.rest).toBe('none');
    expect(r.framed).toMatchObject({ length: a.length + b.length, count: 1, relayable: true, touched: 0b110 });
    expect(r.framed!.tight.map((o) => o.stream)).toEqual([1, 2, 1]);
  });

  it("tells an update cut by the read ('incomplete') from what cannot be framed ('unknown')", () => {
    for (let cut = 1; cut < b.length; cut++) {
      const r = frameUpdates(Buffer.concat([a, b.subarray(0, cut)]), 64, 48, RGBX);
      expect({ updates: r.updates, length: r.framed?.length, rest: r.rest }).toEqual({ updates: 1, length: a.length, rest: 'incomplete' });
    }
    expect(frameUpdates(Buffer.concat([a, Buffer.of(2)]), 64, 48, RGBX)).toMatchObject({ updates: 1, rest: 'unknown' });
    const hextile = update([encodeRectHeader({ x: 0, y: 0, width: 16, height: 16 }, Encoding.Hextile), Buffer.alloc(1)]);
    expect(frameUpdates(Buffer.concat([a, hextile]), 64, 48, RGBX)).toMatchObject({ updates: 1, rest: 'unknown' });
    expect(frameUpdates(b.subarray(0, 7), 64, 48, RGBX)).toMatchObject({ framed: undefined, updates: 0, rest: 'incomplete' });
  });

  it('frames on past an update that is not relayable (a Cursor), but stops after a resize', () => {
    const r = frameUpdates(Buffer.concat([cursor, a, b]), 64, 48, RGBX);
    expect(r).toMatchObject({ updates: 3, rest: 'none' });
    expect(r.framed!.relayable).toBe(false);
    const resize = update([encodeRectHeader({ x: 0, y: 0, width: 32, height: 32 }, Encoding.DesktopSize)]);
    expect(frameUpdates(Buffer.concat([resize, a]), 64, 48, RGBX)).toMatchObject({ updates: 1, rest: 'unknown' });
  });
});

describe("the Tight decoder's touched streams", () => {
  /** A Tight rectangle: compression control `ctl`, then what follows it (filter, palette, length, data). */
  const tightRect = (w: number, h: number, ctl: number, rest: Buffer): Buffer =>
    Buffer.concat([encodeRectHeader({ x: 0, y: 0, width: w, height: h }, Encoding.Tight), Buffer.of(ctl), rest]);
  const lengthAndData = (z: Buffer): Buffer => Buffer.concat([z.length < 0x80 ? Buffer.of(z.length) : Buffer.of((z.length & 0x7f) | 0x80, z.length >> 7), z]);

  it('are what the framer counts for each update: reset bits, and the stream of compressed data only', async () => {
    // Persistent zlib streams 0..2 (node:zlib), each rectangle's data continuing its stream, as QEMU
    // and TigerVNC send; copy filter, 3 bytes a pixel.
    const px = (n: number, seed: number): Buffer => Buffer.from(Array.from({ length: n * 3 }, (_, i) => (i * seed) & 0xff));
    const [a0, a1] = await streamedZlib([px(16, 3), px(16, 5)]);
    const [b0, b1] = await streamedZlib([px(16, 7), px(16, 7)]);
    const [c0] = await streamedZlib([px(16, 11)]);
    const updates = [
      [tightRect(4, 4, 0 << 4, lengthAndData(a0!))], // stream 0, no reset: touches 0
      [tightRect(4, 4, 1 << 4, lengthAndData(b0!)), tightRect(4, 4, 1 << 4, lengthAndData(b1!))], // stream 1 twice
      [tightRect(2, 1, (2 << 4) | 0b0100, px(2, 13))], // 6 bytes: sent as is, no zlib; resets stream 2 only
      [tightRect(4, 4, (2 << 4) | 0b0100, lengthAndData(c0!))], // stream 2 restarted by its reset bit
      [tightRect(8, 8, 0x80 | 0b1000, Buffer.of(1, 2, 3)), tightRect(4, 4, 0 << 4, lengthAndData(a1!))], // a fill resetting 3, then stream 0
      [tightRect(8, 8, 0x80, Buffer.of(9, 9, 9))], // a fill: nothing
    ].map((rects) => update(rects));
    const fb = new Framebuffer(64, 48);
    const decoders = createDecoders();
    const tight = decoders.get(Encoding.Tight) as TightDecoder;
    const reader = new ServerMessageReader({ fb, decoders });
    const seen: number[] = [];
    for (const u of updates) {
      const framed = frameUpdate(u, 64, 48, RGBX)!;
      tight.touched = 0;
      reader.push(u);
      expect(tight.touched).toBe(framed.touched);
      seen.push(tight.touched);
    }
    expect(seen).toEqual([0b0001, 0b0010, 0b0100, 0b0100, 0b1001, 0]);
  });
});
