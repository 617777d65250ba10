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

export { prng } from '../prng.js';
