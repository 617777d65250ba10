import zlib from 'node:zlib';
import { describe, expect, it, vi } from 'vitest';
import { RfbError } from '../../../../../protocols/errors.js';
import { Deflater, deflateFresh } from '../../../../../protocols/rfb/encodings/deflater.js';
import { Inflater } from '../../../../../protocols/rfb/encodings/inflater.js';
import { nativeStream } from '../../../../../protocols/rfb/encodings/native-zlib.js';
import { rng, storedZlib, streamedZlib } from './helpers.js';

function noise(n: number, seed: number): Buffer {
  const r = rng(seed);
  return Buffer.from(Array.from({ length: n }, () => Math.floor(r() * 256)));
}

describe('Inflater', () => {
  it('carries the 32 KiB window across many calls (back-references reach into earlier rectangles)', async () => {
    // Each part repeats a block seen up to ~30 KiB earlier, across several calls and a >32 KiB output.
    const base = noise(20000, 1);
    const parts = [
      base.subarray(0, 7000),
      base.subarray(7000, 20000),
      Buffer.concat([noise(40000, 2), base.subarray(0, 100)]),
      noise(3000, 3),
      Buffer.concat([noise(500, 4), noise(40000, 2).subarray(20000, 30000)]),
    ];
    const z = await streamedZlib(parts, 9);
    expect(z[4]!.length).toBeLessThan(2000); // really compressed against the window
    const inf = new Inflater();
    parts.forEach((p, i) => expect(inf.inflate(z[i]!, p.length, 'f').equals(p)).toBe(true));
  });

  it('keeps the window right over many small rectangles (its history buffer fills and moves to the front several times)', async () => {
    // 300 parts of 400-1000 bytes (~210 KiB in all): each repeats a run from 20-32 KiB back, so
    // every inflate needs the dictionary right at the moment the history buffer wraps.
    const r = rng(11);
    const all: Buffer[] = [];
    let total = 0;
    const parts: Buffer[] = [];
    for (let i = 0; i < 300; i++) {
      const fresh = noise(200 + Math.floor(r() * 300), 100 + i);
      const whole = Buffer.concat(all);
      const back = 20_000 + Math.floor(r() * 12_000);
      const echo = total > back ? whole.subarray(total - back, total - back + 200 + Math.floor(r() * 500)) : Buffer.alloc(0);
      const p = Buffer.concat([fresh, echo]);
      parts.push(p);
      all.push(p);
      total += p.length;
    }
    const z = await streamedZlib(parts, 9);
    const echoed = z.slice(100).reduce((a, b) => a + b.length, 0);
    expect(echoed).toBeLessThan(parts.slice(100).reduce((a, b) => a + b.length, 0) * 0.85); // the echoes were compressed as back-references
    const inf = new Inflater();
    parts.forEach((p, i) => expect(inf.inflate(z[i]!, p.length, 'f').equals(p), `part ${i}`).toBe(true));
  });

  it('reset: the next call starts a new stream with its own header', async () => {
    const inf = new Inflater();
    const a = noise(100, 5);
    const [za] = await streamedZlib([a]);
    expect(inf.inflate(za!, 100, 'f').equals(a)).toBe(true);
    inf.reset();
    expect(inf.inflate(za!, 100, 'f').equals(a)).toBe(true);
  });

  it('the 2-byte zlib header may arrive split over calls', () => {
    const [z] = storedZlib([Buffer.from('hello')]);
    const inf = new Inflater();
    expect(inf.inflate(z!.subarray(0, 1), 5, 'f').length).toBe(0);
    expect(inf.inflate(z!.subarray(1), 5, 'f').toString()).toBe('hello');
  });

  it('accepts a finished stream (final block + Adler-32 trailer)', () => {
    const a = noise(1000, 6);
    expect(new Inflater().inflate(zlib.deflateSync(a), 1000, 'f').equals(a)).toBe(true);
  });

  it('bounds output: a zlib bomb stops at maxOutput with RFB_ERR_ZLIB_OVERFLOW', () => {
    const bomb = zlib.deflateSync(Buffer.alloc(16 << 20), { level: 9 });
    expect(bomb.length).toBeLessThan(40_000);
    let err: unknown;
    try {
      new Inflater().inflate(bomb, 1 << 20, 'zrle.data');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RfbError);
    expect((err as RfbError).code).toBe('RFB_ERR_ZLIB_OVERFLOW');
    expect((err as RfbError).field).toBe('zrle.data');
  });

  it('one native zlib stream carries the whole connection: no new stream a rectangle', async () => {
    const parts = Array.from({ length: 200 }, (_, i) => noise(50 + (i % 7) * 30, 200 + i));
    const z = await streamedZlib(parts, 6);
    const opened = vi.spyOn(zlib, 'createInflateRaw');
    const sync = vi.spyOn(zlib, 'inflateRawSync');
    try {
      const inf = new Inflater();
      parts.forEach((p, i) => expect(inf.inflate(z[i]!, p.length, 'f').equals(p), `part ${i}`).toBe(true));
      expect(opened).toHaveBeenCalledTimes(1);
      expect(sync).not.toHaveBeenCalled();
    } finally {
      opened.mockRestore();
      sync.mockRestore();
    }
  });

  it('output of exactly maxOutput is whole; one byte more is RFB_ERR_ZLIB_OVERFLOW', () => {
    const a = noise(4096, 12);
    const z = zlib.deflateSync(a, { finishFlush: zlib.constants.Z_SYNC_FLUSH });
    expect(new Inflater().inflate(z, 4096, 'f').equals(a)).toBe(true);
    expect(() => new Inflater().inflate(z, 4095, 'tight.stream1')).toThrow(expect.objectContaining({ code: 'RFB_ERR_ZLIB_OVERFLOW', field: 'tight.stream1' }));
  });

  it('output past 64 KiB (a ZRLE rectangle, whose size is only bounded) comes back whole', () => {
    const a = Buffer.concat([noise(150_000, 13), Buffer.alloc(60_000, 9)]);
    const z = zlib.deflateSync(a, { finishFlush: zlib.constants.Z_SYNC_FLUSH });
    const out = new Inflater().inflate(z, 400_000, 'zrle.data');
    expect(out.length).toBe(a.length);
    expect(out.equals(a)).toBe(true);
  });

  it('corrupt data is RFB_ERR_ZLIB_DATA naming the field, and the inflater works again after a reset', () => {
    const inf = new Inflater();
    const [ok] = storedZlib([Buffer.from('first')]);
    expect(inf.inflate(ok!, 5, 'f').toString()).toBe('first');
    // 0xff: BTYPE 11, a reserved block type (RFC 1951 §3.2.3).
    expect(() => inf.inflate(Buffer.from([0xff, 0xff, 0xff]), 100, 'zlib.data')).toThrow(
      expect.objectContaining({ code: 'RFB_ERR_ZLIB_DATA', field: 'zlib.data', message: expect.stringMatching(/corrupt zlib data/) }),
    );
    inf.reset();
    expect(inf.inflate(ok!, 5, 'f').toString()).toBe('first');
  });

  it('deflateFresh output is a zlib stream any fresh inflater (ours or node:zlib) reads', () => {
    const a = noise(5000, 7);
    const z = deflateFresh(a, 1);
    expect([...z.subarray(-4)]).toEqual([0, 0, 0xff, 0xff]); // ends in a sync flush, not a trailer
    expect(new Inflater().inflate(z, 5000, 'f').equals(a)).toBe(true);
    expect(zlib.inflateSync(z, { finishFlush: zlib.constants.Z_SYNC_FLUSH }).equals(a)).toBe(true);
  });

  it('deflateFresh sizes the window to the data: the header says so, and inflaters with a full window read it', () => {
    for (const [n, cinfo] of [
      [12, 1],
      [300, 1],
      [512, 1],
      [513, 2],
      [3000, 4],
      [20_000, 7],
      [65_536, 7],
    ] as const) {
      const a = Buffer.concat([noise(Math.ceil(n / 2), n), Buffer.alloc(Math.floor(n / 2), 7)]);
      const z = deflateFresh(a, 6);
      expect(z[0]! >> 4, `CINFO for ${n} bytes`).toBe(cinfo);
      expect(new Inflater().inflate(z, n, 'f').equals(a)).toBe(true);
      expect(zlib.inflateSync(z, { finishFlush: zlib.constants.Z_SYNC_FLUSH, windowBits: 15 }).equals(a)).toBe(true);
    }
  });

  it('deflateFresh gives the bytes of a fresh zlib.deflateSync with the same settings, call after call (its streams are reset, not made anew)', () => {
    const inputs = [
      noise(12, 20),
      Buffer.alloc(700, 3),
      noise(3000, 21),
      noise(16_000, 24), // window 2^14: zlib bounds its output with the conservative formula (deflate.c deflateBound)
      Buffer.concat([noise(9000, 22), Buffer.alloc(30_000, 1)]),
      noise(100_000, 23),
      noise(12, 20),
    ];
    const cases = [1, 6, 9].flatMap((level) =>
      [...inputs, ...inputs].map((a) => {
        let bits = 9;
        while (bits < 15 && 1 << bits < a.length) bits++;
        const expected = zlib.deflateSync(a, {
          level,
          windowBits: bits,
          memLevel: Math.min(8, Math.max(1, bits - 6)),
          finishFlush: zlib.constants.Z_SYNC_FLUSH,
        });
        return { level, a, expected };
      }),
    );
    const made = vi.spyOn(zlib, 'createDeflate');
    const oneShot = vi.spyOn(zlib, 'deflateSync');
    try {
      for (const { level, a, expected } of cases) expect(Buffer.from(deflateFresh(a, level)).equals(expected), `level ${level}, ${a.length} bytes`).toBe(true);
      expect(oneShot).not.toHaveBeenCalled();
      // At most one native stream per (level, window size) however many rectangles: 3 levels, 6 sizes here.
      expect(made.mock.calls.length).toBeLessThanOrEqual(18);
    } finally {
      made.mockRestore();
      oneShot.mockRestore();
    }
  });

  it('refuses to run on a zlib object whose internals are not what it expects, naming the file to read', () => {
    expect(() => nativeStream({} as never)).toThrow(
      /node:zlib's internal stream API is not what the gateway expects \(Node v[\d.]+\); see protocols\/rfb\/encodings\/native-zlib.ts/,
    );
  });

  it("Deflater's rectangles form one continuing zlib stream for node:zlib's own streaming inflater and for ours", async () => {
    const base = noise(30000, 8);
    const parts = [base, base.subarray(100, 20000), noise(50000, 9), base.subarray(0, 10), Buffer.alloc(0), base.subarray(5000, 9000)];
    const def = new Deflater(6);
    const z = parts.map((p) => def.deflate(p));
    expect(z[1]!.length).toBeLessThan(1000); // compressed against the first part
    const inf = zlib.createInflate();
    const got: Buffer[] = [];
    inf.on('data', (c: Buffer) => got.push(c));
    for (const c of z) {
      inf.write(c);
      await new Promise<void>((resolve) => inf.flush(zlib.constants.Z_SYNC_FLUSH, () => resolve()));
    }
    await new Promise<void>((resolve) => setImmediate(resolve));
    inf.close();
    expect(Buffer.concat(got).equals(Buffer.concat(parts))).toBe(true);
    const ours = new Inflater();
    parts.forEach((p, i) => expect(ours.inflate(z[i]!, p.length, 'f').equals(p)).toBe(true));
  });

  it('streamState: fresh before the header, then the last 32 KiB of output across the ring, from which a new inflater continues the stream', async () => {
    const base = noise(12000, 21);
    const parts = [
      base,
      noise(30000, 22),
      Buffer.concat([base.subarray(0, 3000), noise(9000, 23)]),
      noise(500, 24),
      Buffer.concat([noise(200, 25), base.subarray(4000, 8000)]),
    ];
    const z = await streamedZlib(parts, 6);
    const inf = new Inflater();
    inf.keepHistory();
    expect(inf.streamState()).toBe('fresh');
    for (let i = 0; i < 4; i++) inf.inflate(z[i]!, parts[i]!.length, 'f');
    const all = Buffer.concat(parts.slice(0, 4));
    const state = inf.streamState();
    expect(Buffer.isBuffer(state) && state.equals(all.subarray(all.length - Inflater.WINDOW_BYTES))).toBe(true);
    // A fresh zlib stream whose output ends with that window, then the original stream's next data.
    const other = new Inflater();
    expect(other.inflate(deflateFresh(state as Buffer, 1), Inflater.WINDOW_BYTES, 'f').length).toBe(Inflater.WINDOW_BYTES);
    expect(other.inflate(z[4]!, parts[4]!.length, 'f').equals(parts[4]!)).toBe(true);
    expect(inf.inflate(z[4]!, parts[4]!.length, 'f').equals(parts[4]!)).toBe(true);
    inf.reset();
    expect(inf.streamState()).toBe('fresh');
    // Kept from mid-stream on: unknown until the stream starts again.
    const late = new Inflater();
    late.inflate(z[0]!, parts[0]!.length, 'f');
    late.keepHistory();
    late.inflate(z[1]!, parts[1]!.length, 'f');
    expect(late.streamState()).toBeUndefined();
    expect(new Inflater().streamState()).toBe('fresh');
  });
});
