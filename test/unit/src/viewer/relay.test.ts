import { describe, expect, it } from 'vitest';
import { ByteQueue } from '../../../../protocols/byte-queue.js';
import { Encoding } from '../../../../protocols/rfb/constants.js';
import { encodeTightRect } from '../../../../protocols/rfb/encodings/tight-encoder.js';
import { TightDecoder, TightEncoder } from '../../../../protocols/rfb/encodings/tight.js';
import { Framebuffer } from '../../../../protocols/rfb/framebuffer.js';
import { frameUpdate } from '../../../../protocols/rfb/update-framer.js';
import { afterOwnEncoding, FRESH_VIEWER_STREAMS, primingRects, relayPlan } from '../../../../src/viewer/relay.js';
import { rng, streamedZlib } from '../../protocols/rfb/encodings/helpers.js';
import { FakeDisplay, FakeSock, noVncDecoder, rgbOnly } from '../../protocols/rfb/encodings/novnc-harness.js';

const W = 320;
const H = 200;

/** A text-console-like strip of pixels: a few colours, runs, and rows that repeat earlier ones. */
function textPixels(w: number, h: number, seed: number, palette: number[][]): Buffer {
  const r = rng(seed);
  const out = Buffer.alloc(w * h * 3);
  for (let i = 0; i < w * h;) {
    const c = palette[Math.floor(r() * palette.length)]!;
    const run = 1 + Math.floor(r() * 12);
    for (let k = 0; k < run && i < w * h; k++, i++) out.set(c, i * 3);
  }
  return out;
}

/**
 * What a Tight server with persistent zlib streams sends (as QEMU, TigerVNC and libvncserver do: no
 * reset bits after the first use): copy-filter rectangles whose data keeps referring back into the
 * stream's window, in streams 0 and 1.
 */
async function persistentTightUpdates(n: number): Promise<{ updates: Buffer[]; rects: { x: number; y: number; w: number; h: number; stream: number }[] }> {
  const palette = [
    [0, 0, 0],
    [170, 170, 170],
    [255, 255, 255],
    [0, 170, 0],
  ];
  const rects: { x: number; y: number; w: number; h: number; stream: number }[] = [];
  const data: Buffer[][] = [[], []];
  const base = textPixels(64, 16, 7, palette);
  const r = rng(3);
  for (let i = 0; i < n; i++) {
    const w = 64;
    const h = 16;
    const x = Math.floor(r() * (W / w)) * w;
    const y = Math.floor(r() * (H / h)) * h;
    const stream = i % 2;
    // Every third rectangle repeats the first one's pixels: back-references far into the window.
    const px = i % 3 === 0 ? base : textPixels(w, h, 100 + i, palette);
    rects.push({ x, y, w, h, stream });
    data[stream]!.push(px);
  }
  const z = [await streamedZlib(data[0]!, 6), await streamedZlib(data[1]!, 6)];
  const taken = [0, 0];
  const updates = rects.map((rc) => {
    const body = z[rc.stream]![taken[rc.stream]!++]!;
    const header = Buffer.alloc(4 + 12);
    header[0] = 0;
    header.writeUInt16BE(1, 2);
    header.writeUInt16BE(rc.x, 4);
    header.writeUInt16BE(rc.y, 6);
    header.writeUInt16BE(rc.w, 8);
    header.writeUInt16BE(rc.h, 10);
    header.writeInt32BE(Encoding.Tight, 12);
    const n = body.length;
    const len = n < 0x80 ? [n] : n < 0x4000 ? [(n & 0x7f) | 0x80, n >> 7] : [(n & 0x7f) | 0x80, ((n >> 7) & 0x7f) | 0x80, n >> 14];
    // Compression control: stream id in bits 4-5, no reset bits, copy filter (no filter byte).
    return Buffer.concat([header, Buffer.of(rc.stream << 4, ...len), body]);
  });
  return { updates, rects };
}

/** A stock noVNC 1.7 client's Tight, Raw and CopyRect decoding, fed whole FramebufferUpdates. */
async function noVncClient(): Promise<{ display: FakeDisplay; update(msg: Buffer): void }> {
  const tight = await noVncDecoder('tight');
  const raw = await noVncDecoder('raw');
  const display = new FakeDisplay(W, H);
  return {
    display,
    update(msg: Buffer): void {
      const count = msg.readUInt16BE(2);
      let o = 4;
      for (let i = 0; i < count; i++) {
        const x = msg.readUInt16BE(o);
        const y = msg.readUInt16BE(o + 2);
        const w = msg.readUInt16BE(o + 4);
        const h = msg.readUInt16BE(o + 6);
        const enc = msg.readInt32BE(o + 8);
        o += 12;
        const sock = new FakeSock(msg.subarray(o));
        const dec = enc === Encoding.Tight ? tight : enc === Encoding.Raw ? raw : undefined;
        if (!dec) throw new Error(`encoding ${enc} in the test`);
        if (!dec.decodeRect(x, y, w, h, sock, display, 24)) throw new Error(`noVNC did not complete rect ${i}`);
        o += sock._rQi;
      }
      expect(o).toBe(msg.length);
    },
  };
}

function gatewayDecode(dec: TightDecoder, fb: Framebuffer, msg: Buffer): void {
  const q = new ByteQueue();
  q.push(msg.subarray(16));
  expect(
    dec.decodeRect(
      q,
      { x: msg.readUInt16BE(4), y: msg.readUInt16BE(6), width: msg.readUInt16BE(8), height: msg.readUInt16BE(10), encoding: Encoding.Tight },
      fb,
    ),
  ).toBe(true);
}

describe('relaying a persistent-stream Tight BMC to a viewer that joined late (primingRects)', () => {
  // Joining at update 2: the BMC's streams have produced ~3 KiB, and later data reaches back up to
  // 32 KiB; noVNC's pako checks distances against the priming stream's header (failed before the fix).
  it.each([40, 2])(
    "brings stock noVNC's zlib streams to the BMC's state (viewer joins at update %i): the BMC's own bytes then draw what the gateway decodes",
    async (join) => {
      const { updates } = await persistentTightUpdates(60);
      const shadow = new Framebuffer(W, H);
      const upstream = new TightDecoder();
      upstream.keepHistory();
      // The gateway has decoded the first `join` updates; the viewer joined then and was sent the shadow
      // with our own Tight encoder (fresh streams of its own), as a joining viewer is.
      for (const u of updates.slice(0, join)) gatewayDecode(upstream, shadow, u);
      const client = await noVncClient();
      const own = new TightEncoder().encodeRect(shadow, { x: 0, y: 0, width: W, height: H });
      const first = Buffer.concat([Buffer.of(0, 0, own.length >> 8, own.length & 0xff), ...own]);
      client.update(first);
      expect(rgbOnly(client.display.data).equals(rgbOnly(shadow.data))).toBe(true);

      // Relayed from here on: the first relayed update needs both streams primed.
      // The viewer's streams after our own encoding: only stream 3 used, so 0 and 1 can be primed.
      const streams = afterOwnEncoding(FRESH_VIEWER_STREAMS);
      const f = frameUpdate(updates[join]!, W, H, { bytesPerPixel: 4, tpixelBytes: 3 })!;
      expect(relayPlan(f, streams)?.prime).toBe(0b01);
      const extra = primingRects(0b11, (id) => upstream.streamState(id), shadow)!;
      expect(extra.length).toBe(3); // two windows, one Raw put-back
      const primed = Buffer.concat([Buffer.of(0, 0, 0, 1 + extra.length), ...extra, updates[join]!.subarray(4)]);
      for (const [i, u] of updates.slice(join).entries()) {
        client.update(i === 0 ? primed : u);
        gatewayDecode(upstream, shadow, u);
        expect(rgbOnly(client.display.data).equals(rgbOnly(shadow.data)), `after update ${join + i}`).toBe(true);
      }
    },
  );

  it('without priming the same relay breaks the viewer (the test can fail)', async () => {
    const { updates } = await persistentTightUpdates(12);
    const shadow = new Framebuffer(W, H);
    const upstream = new TightDecoder();
    for (const u of updates.slice(0, 6)) gatewayDecode(upstream, shadow, u);
    const client = await noVncClient();
    expect(() => {
      for (const u of updates.slice(6)) client.update(u);
    }).toThrow();
  });

  it('resets, rather than fills, a stream the BMC has just reset; refuses when a window cannot be known', () => {
    const shadow = new Framebuffer(W, H);
    shadow.data.set([9, 8, 7, 0], 0);
    const rects = primingRects(0b100, () => 'fresh', shadow)!;
    // One 1x1 fill rectangle at (0,0) in the colour already there, with stream 2's reset bit.
    expect(rects).toHaveLength(1);
    expect([...rects[0]!.subarray(0, 12)]).toEqual([0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 7]);
    expect([...rects[0]!.subarray(12)]).toEqual([0x84, 9, 8, 7]);
    expect(primingRects(0b1, () => undefined, shadow)).toBeUndefined();
    // A 4x2 screen cannot hold a 32 KiB window.
    expect(primingRects(0b1, () => Buffer.alloc(32768), new Framebuffer(4, 2))).toBeUndefined();
  });

  it("relayPlan: a stream noVNC has reset after use is never continued or primed (pako's window is gone)", () => {
    const cont = (stream: number) => ({ reset: 0, stream });
    const fresh = (stream: number) => ({ reset: 1 << stream, stream });
    const f = (...tight: { reset: number; stream: number }[]) => ({
      length: 0,
      count: 0,
      relayable: true,
      encodings: new Set<number>(),
      jpeg: false,
      tight,
      touched: 0,
    });
    // A pristine stream is primed, then continued.
    expect(relayPlan(f(cont(1), cont(1)), FRESH_VIEWER_STREAMS)).toEqual({ prime: 0b10, after: { inStep: 0b10, used: 0b10, crippled: 0 } });
    // A rectangle that resets its own stream needs nothing, even on a stream reset after use...
    const usedOnce = { inStep: 0, used: 0b10, crippled: 0 };
    expect(relayPlan(f(fresh(1)), usedOnce)).toEqual({ prime: 0, after: { inStep: 0b10, used: 0b10, crippled: 0b10 } });
    // ...but continuing it afterwards, in the same update or later, is refused: noVNC would fail.
    expect(relayPlan(f(fresh(1), cont(1)), usedOnce)).toBeUndefined();
    expect(relayPlan(f(cont(1)), { inStep: 0b10, used: 0b10, crippled: 0b10 })).toBeUndefined();
    // A used stream out of step cannot be primed (priming resets it).
    expect(relayPlan(f(cont(1)), usedOnce)).toBeUndefined();
    // In step and never reset after use: continued as is.
    expect(relayPlan(f(cont(0)), { inStep: 0b1, used: 0b1, crippled: 0 })).toEqual({ prime: 0, after: { inStep: 0b1, used: 0b1, crippled: 0 } });
    // Our own encoding touches stream 3 only.
    expect(afterOwnEncoding(afterOwnEncoding({ inStep: 0b1001, used: 0b1, crippled: 0 }))).toEqual({ inStep: 0b1, used: 0b1001, crippled: 0b1000 });
  });

  it("noVNC's pako really loses its window after a reset of a used stream (why relayPlan refuses)", async () => {
    const { updates } = await persistentTightUpdates(12);
    const client = await noVncClient();
    const shadow = new Framebuffer(W, H);
    const upstream = new TightDecoder();
    upstream.keepHistory();
    // The viewer uses stream 0 once (as our encoder did before it moved to stream 3), then is primed on it.
    const own = new TightEncoder().encodeRect(shadow, { x: 0, y: 0, width: 64, height: 64 });
    client.update(Buffer.concat([Buffer.of(0, 0, 0, own.length), ...own]));
    // Streams 0 and 1 each get one rectangle (reset + data): they have had output.
    const px = textPixels(8, 8, 5, [
      [1, 2, 3],
      [200, 100, 50],
    ]);
    const inStream = (id: number) => encodeTightRect({ x: 0, y: 0, width: 8, height: 8 }, Buffer.of(id << 4), id, px, 1);
    client.update(Buffer.concat([Buffer.of(0, 0, 0, 2), inStream(0), inStream(1)]));
    for (const u of updates.slice(0, 6)) gatewayDecode(upstream, shadow, u);
    const extra = primingRects(0b11, (id) => upstream.streamState(id), shadow)!;
    expect(() => {
      client.update(Buffer.concat([Buffer.of(0, 0, 0, 1 + extra.length), ...extra, updates[6]!.subarray(4)]));
      for (const u of updates.slice(7)) client.update(u);
    }).toThrow(/zlib inflate failed/);
  });
});
