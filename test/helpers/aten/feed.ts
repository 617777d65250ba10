/**
 * Ways to cut one byte vector into chunks, for the "split at every offset, one byte at a time"
 * rule: the whole vector, every split into two pieces, and single bytes.
 */
export function splits(bytes: Uint8Array): { name: string; chunks: Buffer[] }[] {
  const b = Buffer.from(bytes);
  const out: { name: string; chunks: Buffer[] }[] = [{ name: 'whole', chunks: [b] }];
  for (let i = 1; i < b.length; i++) out.push({ name: `split@${i}`, chunks: [b.subarray(0, i), b.subarray(i)] });
  out.push({ name: 'bytewise', chunks: [...b].map((x) => Buffer.from([x])) });
  return out;
}

/** A deterministic PRNG (mulberry32) so fuzz failures reproduce. */
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
