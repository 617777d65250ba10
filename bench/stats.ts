/** The `q` quantile of `xs` (0.5: the median, the upper one of an even count; 0.99: p99), or null when there are none. */
export function quantile(xs: readonly number[], q: number): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
}
