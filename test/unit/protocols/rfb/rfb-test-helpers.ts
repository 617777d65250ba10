import { expect } from 'vitest';
import { ProtocolError } from '../../../../protocols/errors.js';

/** Concatenates byte arrays and numbers (each number one byte) into a Buffer. */
export function bytes(...parts: (Uint8Array | number[] | string | number)[]): Buffer {
  return Buffer.concat(
    parts.map((p) => (typeof p === 'number' ? Buffer.from([p]) : typeof p === 'string' ? Buffer.from(p, 'latin1') : Buffer.from(p))),
  );
}

export const u16 = (v: number): number[] => [(v >> 8) & 0xff, v & 0xff];
export const u32 = (v: number): number[] => [(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];
export const s32 = (v: number): number[] => u32(v >>> 0);

/**
 * The ways every parser test feeds a vector: whole, split in two at every offset, one byte at a
 * time. Each entry is a list of chunks (copies, so a parser keeping views cannot see later edits).
 */
export function splits(data: Uint8Array): { name: string; chunks: Buffer[] }[] {
  const out: { name: string; chunks: Buffer[] }[] = [{ name: 'whole', chunks: [Buffer.from(data)] }];
  for (let i = 1; i < data.length; i++) {
    out.push({ name: `split at ${i}`, chunks: [Buffer.from(data.subarray(0, i)), Buffer.from(data.subarray(i))] });
  }
  const single: Buffer[] = [];
  for (let i = 0; i < data.length; i++) single.push(Buffer.from(data.subarray(i, i + 1)));
  out.push({ name: 'byte by byte', chunks: single });
  return out;
}

/**
 * Runs `run` (which builds a fresh parser and feeds it the chunks) for every split of `data` and
 * checks each gives the same result as the whole vector; returns that result.
 */
export function sameForEverySplit<T>(data: Uint8Array, run: (chunks: Buffer[]) => T): T {
  const all = splits(data);
  const whole = run(all[0]!.chunks);
  for (const s of all.slice(1)) {
    expect(run(s.chunks), s.name).toEqual(whole);
  }
  return whole;
}

/** Checks that feeding `data` in every split throws a ProtocolError with `code` (and returns the whole-vector error). */
export function throwsForEverySplit(data: Uint8Array, run: (chunks: Buffer[]) => unknown, code: string): ProtocolError {
  let first: ProtocolError | undefined;
  for (const s of splits(data)) {
    let caught: unknown;
    try {
      run(s.chunks);
    } catch (err) {
      caught = err;
    }
    expect(caught, `${s.name}: expected ${code}`).toBeInstanceOf(ProtocolError);
    expect((caught as ProtocolError).code, s.name).toBe(code);
    first ??= caught as ProtocolError;
  }
  return first!;
}

/** A small deterministic PRNG (mulberry32) so fuzz failures reproduce. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Random chunking of `data` (1..maxChunk bytes a chunk). */
export function randomChunks(data: Uint8Array, rnd: () => number, maxChunk = 64): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < data.length; ) {
    const n = 1 + Math.floor(rnd() * maxChunk);
    out.push(Buffer.from(data.subarray(i, i + n)));
    i += n;
  }
  return out;
}

/** Copies `data` with a few random bytes changed, inserted or removed. */
export function mutate(data: Uint8Array, rnd: () => number): Buffer {
  const b = [...data];
  const edits = 1 + Math.floor(rnd() * 4);
  for (let e = 0; e < edits; e++) {
    const at = Math.floor(rnd() * (b.length + 1));
    const kind = rnd();
    if (kind < 0.6 && b.length > 0) b[Math.min(at, b.length - 1)] = Math.floor(rnd() * 256);
    else if (kind < 0.8) b.splice(at, 0, Math.floor(rnd() * 256));
    else b.splice(at, 1);
  }
  return Buffer.from(b);
}

/** Asserts that `fn` either returns or throws a ProtocolError subclass — never anything else. */
export function onlyProtocolErrors(fn: () => unknown, context: string): void {
  try {
    fn();
  } catch (err) {
    if (!(err instanceof ProtocolError)) {
      throw new Error(`${context}: non-protocol error escaped: ${(err as Error)?.stack ?? String(err)}`);
    }
  }
}
