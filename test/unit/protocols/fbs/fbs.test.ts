import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { FbsError } from '../../../../protocols/errors.js';
import {
  FbsReader,
  encodeFbsBlock,
  encodeFbsBlocks,
  encodeRfb33ServerPreamble,
  readFbs,
  FBS_SIGNATURE,
  type FbsBlock,
} from '../../../../protocols/fbs/index.js';
import { FBS_LIMITS } from '../../../../protocols/limits.js';
import { ClientHandshake, RGBX_PIXEL_FORMAT } from '../../../../protocols/rfb/index.js';
import { bytes, prng, sameForEverySplit, throwsForEverySplit, u32 } from '../rfb/rfb-test-helpers.js';

/** Hand-written file: signature, a 5-byte block at t=0 (3 padding bytes), an empty block, a 4-byte block at t=1234. */
const FILE = bytes('FBS 001.000\n', u32(5), 'hello', [0, 0, 0], u32(0), u32(0), u32(7), u32(4), [1, 2, 3, 4], u32(1234));

function readAll(chunks: Buffer[]): { blocks: { data: number[]; t: number }[]; error: string | undefined } {
  const r = new FbsReader();
  const blocks: FbsBlock[] = [];
  for (const c of chunks) blocks.push(...r.push(c));
  let error: string | undefined;
  try {
    r.end();
  } catch (err) {
    error = (err as FbsError).code;
  }
  return { blocks: blocks.map((b) => ({ data: [...b.data], t: b.timestampMs })), error };
}

describe('FbsReader', () => {
  it('reads hand-written blocks identically whole, split at every offset and byte by byte', () => {
    const got = sameForEverySplit(FILE, readAll);
    expect(got).toEqual({
      blocks: [
        { data: [...Buffer.from('hello')], t: 0 },
        { data: [], t: 7 },
        { data: [1, 2, 3, 4], t: 1234 },
      ],
      error: undefined,
    });
  });

  it('accepts any three digits after "FBS 001." (TightVNC player does) and rejects other signatures', () => {
    expect(readFbs(bytes('FBS 001.002\n')).error).toBeUndefined();
    const err = throwsForEverySplit(bytes('FBS 002.000\n', u32(0), u32(0)), readAllStrict, 'FBS_ERR_BAD_SIGNATURE');
    expect(err.field).toBe('signature');
    expect(readFbs(bytes('RFB 003.003\n')).error?.code).toBe('FBS_ERR_BAD_SIGNATURE');
  });

  it('a truncated file gives every whole block, then FBS_ERR_TRUNCATED, at every cut', () => {
    for (let cut = 0; cut < FILE.length; cut++) {
      const { blocks, error } = readFbs(FILE.subarray(0, cut));
      // Whole blocks end at 12, 12+16=28, 28+8=36, 36+12=48.
      const expected = cut < 28 ? 0 : cut < 36 ? 1 : cut < 48 ? 2 : 3;
      expect(blocks.length, `cut ${cut}`).toBe(expected);
      const boundary = [12, 28, 36].includes(cut);
      if (boundary) expect(error, `cut ${cut}`).toBeUndefined();
      else {
        expect(error, `cut ${cut}`).toBeInstanceOf(FbsError);
        expect(error!.code).toBe('FBS_ERR_TRUNCATED');
        expect(error!.field).toBe(cut < 12 ? 'signature' : 'block');
      }
    }
    expect(readFbs(FILE).error).toBeUndefined();
  });

  it('bounds the block length before waiting for the data, and keeps the blocks before it', () => {
    const bad = bytes('FBS 001.000\n', u32(1), [9, 0, 0, 0], u32(5), u32(FBS_LIMITS.maxBlockBytes + 1));
    const { blocks, error } = readFbs(bad);
    expect(blocks.map((b) => [...b.data])).toEqual([[9]]);
    expect(error?.code).toBe('FBS_ERR_TOO_LARGE');
    expect(error?.field).toBe('block.length');
    throwsForEverySplit(bad, readAllStrict, 'FBS_ERR_TOO_LARGE');
  });

  it('stays failed: a later push rethrows', () => {
    const r = new FbsReader();
    expect(() => r.push(bytes('XXXXXXXXXXXX'))).toThrow(FbsError);
    expect(() => r.push(bytes(0))).toThrow(FbsError);
  });

  it('fuzz: random and mutated input only ever raises FbsError', () => {
    const rnd = prng(0x5eed);
    for (let i = 0; i < 2000; i++) {
      const input = Buffer.from(i % 2 ? FILE : Buffer.concat([FBS_SIGNATURE, Buffer.alloc(40)]));
      const flips = 1 + Math.floor(rnd() * 6);
      for (let f = 0; f < flips; f++) input[Math.floor(rnd() * input.length)] = Math.floor(rnd() * 256);
      const cut = input.subarray(0, Math.floor(rnd() * (input.length + 1)));
      const r = new FbsReader();
      try {
        let off = 0;
        while (off < cut.length) {
          const n = 1 + Math.floor(rnd() * 9);
          r.push(cut.subarray(off, off + n));
          off += n;
        }
        r.end();
      } catch (err) {
        expect(err).toBeInstanceOf(FbsError);
      }
    }
  });
});

function readAllStrict(chunks: Buffer[]): void {
  const r = new FbsReader();
  for (const c of chunks) r.push(c);
  r.end();
}

describe('FBS writer', () => {
  it('writes the byte layout of rfbproxy/vnc-reflector: length, data padded to 4, timestamp', () => {
    expect(FBS_SIGNATURE.toString('latin1')).toBe('FBS 001.000\n');
    expect([...encodeFbsBlock(Buffer.from('hello'), 0x01020304)]).toEqual([...bytes(u32(5), 'hello', [0, 0, 0], [1, 2, 3, 4])]);
    expect([...encodeFbsBlock(Buffer.alloc(0), 9)]).toEqual([...bytes(u32(0), u32(9))]);
    expect(() => encodeFbsBlock(Buffer.alloc(1), -1)).toThrow(/assert/);
  });

  it('round trip: writer output read back, split at random places, gives the same data and times', () => {
    const datas = [Buffer.from('a'), Buffer.alloc(0), Buffer.from([1, 2, 3, 4, 5, 6, 7]), Buffer.alloc(FBS_LIMITS.writeBlockBytes * 2 + 3, 0xab)];
    const file = Buffer.concat([FBS_SIGNATURE, ...datas.flatMap((d, i) => (d.length ? encodeFbsBlocks(d, i * 100) : [encodeFbsBlock(d, i * 100)]))]);
    const r = new FbsReader();
    const blocks: FbsBlock[] = [];
    for (let off = 0; off < file.length; off += 777_777) blocks.push(...r.push(file.subarray(off, off + 777_777)));
    r.end();
    // the long one was split into three blocks of at most writeBlockBytes, same timestamp
    expect(blocks.map((b) => [b.data.length, b.timestampMs])).toEqual([
      [1, 0],
      [0, 100],
      [7, 200],
      [FBS_LIMITS.writeBlockBytes, 300],
      [FBS_LIMITS.writeBlockBytes, 300],
      [3, 300],
    ]);
    expect(Buffer.concat(blocks.map((b) => b.data)).equals(Buffer.concat(datas))).toBe(true);
  });

  it('the preamble is an RFB 3.3 server handshake that our own 3.3 client accepts (security None)', () => {
    const pre = encodeRfb33ServerPreamble({ width: 640, height: 480, pixelFormat: RGBX_PIXEL_FORMAT, name: 'rec' });
    expect(pre.subarray(0, 16)).toEqual(bytes('RFB 003.003\n', u32(1)));
    const hs = new ClientHandshake({ shared: true, maxVersion: '3.3' });
    const res = hs.receive(pre);
    expect(res.serverInit).toMatchObject({ width: 640, height: 480, name: 'rec', version: '3.3' });
  });
});

describe('protocols/fbs purity', () => {
  const dir = join(dirname(fileURLToPath(import.meta.url)), '../../../../protocols/fbs');
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.ts'))) {
    it(`${f} imports no I/O, timer or logging module`, () => {
      const code = readFileSync(join(dir, f), 'utf8')
        .replace(/\/\*[\s\S]*?\*\//g, '')
        .replace(/\/\/.*$/gm, '');
      expect(code).not.toMatch(/from\s+['"](node:)?(net|dgram|tls|http|https|ws|fastify|undici|pino|timers|fs|fs\/promises|child_process)['"]/);
      expect(code).not.toMatch(/\b(setTimeout|setInterval|setImmediate|console\.[a-z]+|process\.)\s*[.(]/);
    });
  }
});

describe('FBS error codes', () => {
  it('every FBS_ERR_* raised in protocols/fbs has a row in docs/errors.md', () => {
    const root = join(dirname(fileURLToPath(import.meta.url)), '../../../..');
    const docs = readFileSync(join(root, 'docs/errors.md'), 'utf8');
    const dir = join(root, 'protocols/fbs');
    const codes = new Set(readdirSync(dir).flatMap((f) => [...readFileSync(join(dir, f), 'utf8').matchAll(/'(FBS_ERR_[A-Z_]+)'/g)].map((m) => m[1]!)));
    expect(codes.size).toBeGreaterThanOrEqual(3);
    for (const c of codes) expect(docs, c).toContain(`| \`${c}\` |`);
  });
});
