/**
 * Byte-level mutations in the manner of libFuzzer's: flip a bit, set a byte, write an interesting
 * value (0, -1, 0x7f, 0x80, lengths just past a bound) as 8/16/32 bits in either byte order, insert,
 * erase, repeat or copy a run, splice with another corpus input, truncate, extend. Several are
 * stacked per input. Deterministic for a given random source.
 */
const INTERESTING_8 = [0, 1, 0x7f, 0x80, 0xff, 0x10, 0x20, 0x40, 0x3f];
const INTERESTING_16 = [0, 1, 0x7fff, 0x8000, 0xffff, 0x0100, 0x1000, 0x4000, 0xfd80, 0xfe20];
const INTERESTING_32 = [0, 1, 0x7fffffff, 0x80000000, 0xffffffff, 0x10000, 0x1000000, 0xffffff00];

export type Rng = () => number;

const pick = <T>(r: Rng, a: readonly T[]): T => a[Math.floor(r() * a.length)]!;
const at = (r: Rng, b: Buffer) => Math.floor(r() * Math.max(1, b.length));

export function mutate(input: Buffer, r: Rng, other: () => Buffer, maxBytes: number): Buffer {
  let b: Buffer = Buffer.from(input);
  const n = 1 + Math.floor(r() * r() * 8);
  for (let k = 0; k < n; k++) b = mutateOnce(b, r, other);
  return b.length > maxBytes ? b.subarray(0, maxBytes) : b;
}

function mutateOnce(b: Buffer, r: Rng, other: () => Buffer): Buffer {
  switch (Math.floor(r() * 12)) {
    case 0:
      if (b.length) {
        const i = at(r, b);
        b[i] = b[i]! ^ (1 << Math.floor(r() * 8));
      }
      return b;
    case 1:
      if (b.length) b[at(r, b)] = Math.floor(r() * 256);
      return b;
    case 2:
      if (b.length) b[at(r, b)] = pick(r, INTERESTING_8);
      return b;
    case 3: {
      if (b.length < 2) return b;
      const i = Math.floor(r() * (b.length - 1));
      if (r() < 0.5) b.writeUInt16BE(pick(r, INTERESTING_16), i);
      else b.writeUInt16LE(pick(r, INTERESTING_16), i);
      return b;
    }
    case 4: {
      if (b.length < 4) return b;
      const i = Math.floor(r() * (b.length - 3));
      if (r() < 0.5) b.writeUInt32BE(pick(r, INTERESTING_32), i);
      else b.writeUInt32LE(pick(r, INTERESTING_32), i);
      return b;
    }
    case 5: {
      // small arithmetic on a byte (lengths off by a few)
      if (b.length) {
        const i = at(r, b);
        b[i] = (b[i]! + Math.floor(r() * 35) - 17) & 0xff;
      }
      return b;
    }
    case 6: {
      const i = at(r, b);
      const len = 1 + Math.floor(r() * 16);
      return Buffer.concat([b.subarray(0, i), Buffer.from(Array.from({ length: len }, () => Math.floor(r() * 256))), b.subarray(i)]);
    }
    case 7: {
      const i = at(r, b);
      return Buffer.concat([b.subarray(0, i), b.subarray(i + 1 + Math.floor(r() * 32))]);
    }
    case 8: {
      // repeat a run (a message twice, a rectangle twice)
      const i = at(r, b);
      const run = b.subarray(i, i + 1 + Math.floor(r() * 64));
      return Buffer.concat([b.subarray(0, i), run, run, b.subarray(i + run.length)]);
    }
    case 9: {
      // splice: the head of this one, the tail of another
      const o = other();
      return Buffer.concat([b.subarray(0, at(r, b)), o.subarray(at(r, o))]);
    }
    case 10:
      return b.subarray(0, at(r, b));
    default: {
      // copy a run over another place in the input
      if (b.length < 4) return b;
      const from = at(r, b);
      const to = at(r, b);
      const len = Math.min(1 + Math.floor(r() * 32), b.length - from, b.length - to);
      b.copy(b, to, from, from + len);
      return b;
    }
  }
}
