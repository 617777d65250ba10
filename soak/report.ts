/** One sample of the gateway, every 10 s. */
export interface Sample {
  /** Seconds since the start of the run. */
  t: number;
  rssMb: number;
  heapMb: number;
  fds: number;
  timers: number;
  handles: number;
  sessions: number;
  viewers: number;
}

export const SERIES: readonly { key: Exclude<keyof Sample, 't'>; label: string; colour: string }[] = [
  { key: 'rssMb', label: 'RSS (MiB)', colour: '#1f77b4' },
  { key: 'heapMb', label: 'heap used (MiB)', colour: '#ff7f0e' },
  { key: 'fds', label: 'open fds', colour: '#2ca02c' },
  { key: 'timers', label: 'timers', colour: '#d62728' },
  { key: 'handles', label: 'handles', colour: '#9467bd' },
  { key: 'sessions', label: 'sessions', colour: '#8c564b' },
  { key: 'viewers', label: 'viewers', colour: '#e377c2' },
];

/** Least-squares slope of `key` over the samples, per hour, and the means of the first and last third. */
export function trend(
  samples: readonly Sample[],
  key: Exclude<keyof Sample, 't'>,
): { perHour: number; firstThird: number; lastThird: number; min: number; max: number } {
  const n = samples.length;
  if (n < 2) return { perHour: 0, firstThird: samples[0]?.[key] ?? 0, lastThird: samples[0]?.[key] ?? 0, min: 0, max: 0 };
  const mt = samples.reduce((s, x) => s + x.t, 0) / n;
  const mv = samples.reduce((s, x) => s + x[key], 0) / n;
  let num = 0;
  let den = 0;
  for (const x of samples) {
    num += (x.t - mt) * (x[key] - mv);
    den += (x.t - mt) ** 2;
  }
  const third = Math.max(1, Math.floor(n / 3));
  const mean = (a: readonly Sample[]) => a.reduce((s, x) => s + x[key], 0) / a.length;
  const values = samples.map((x) => x[key]);
  return {
    perHour: den === 0 ? 0 : (num / den) * 3600,
    firstThird: mean(samples.slice(0, third)),
    lastThird: mean(samples.slice(-third)),
    min: Math.min(...values),
    max: Math.max(...values),
  };
}

/** A small-multiples line plot (one panel per series, shared time axis), warm-up shaded, as SVG. */
export function plotSvg(samples: readonly Sample[], warmupS: number, title: string): string {
  const W = 900;
  const PH = 110;
  const PAD = { l: 70, r: 20, t: 40, gap: 28 };
  const H = PAD.t + SERIES.length * (PH + PAD.gap) + 20;
  const tMax = Math.max(1, ...samples.map((s) => s.t));
  const x = (t: number) => PAD.l + ((W - PAD.l - PAD.r) * t) / tMax;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="11">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${PAD.l}" y="20" font-size="14">${escape(title)}</text>`,
  ];
  SERIES.forEach((s, i) => {
    const top = PAD.t + i * (PH + PAD.gap);
    const values = samples.map((p) => p[s.key]);
    const max = Math.max(1, ...values) * 1.1;
    const y = (v: number) => top + PH - (PH * v) / max;
    out.push(`<rect x="${PAD.l}" y="${top}" width="${x(Math.min(warmupS, tMax)) - PAD.l}" height="${PH}" fill="#f0f0f0"/>`);
    out.push(`<rect x="${PAD.l}" y="${top}" width="${W - PAD.l - PAD.r}" height="${PH}" fill="none" stroke="#999"/>`);
    out.push(`<text x="${PAD.l}" y="${top - 5}" fill="${s.colour}">${escape(s.label)}</text>`);
    out.push(`<text x="${PAD.l - 5}" y="${top + 10}" text-anchor="end">${fmt(max)}</text><text x="${PAD.l - 5}" y="${top + PH}" text-anchor="end">0</text>`);
    if (samples.length > 0)
      out.push(
        `<polyline fill="none" stroke="${s.colour}" stroke-width="1.5" points="${samples.map((p) => `${x(p.t).toFixed(1)},${y(p[s.key]).toFixed(1)}`).join(' ')}"/>`,
      );
  });
  const axisY = H - 8;
  for (let k = 0; k <= 4; k++) out.push(`<text x="${x((tMax * k) / 4)}" y="${axisY}" text-anchor="middle">${Math.round((tMax * k) / 4 / 60)} min</text>`);
  out.push('</svg>');
  return out.join('\n');
}

function fmt(v: number): string {
  return v >= 100 ? String(Math.round(v)) : v.toFixed(1);
}

function escape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
}

/** Reads the samples this harness needs from the gateway's /metrics (prom-client, prefix bmcgw_). */
export function sampleFromMetrics(text: string, t: number): Sample {
  const get = (re: RegExp) => Number(re.exec(text)?.[1] ?? 0);
  const sumOf = (re: RegExp) => [...text.matchAll(re)].reduce((n, m) => n + Number(m[1]), 0);
  return {
    t,
    rssMb: get(/^bmcgw_process_resident_memory_bytes (\S+)/m) / 1048576,
    heapMb: get(/^bmcgw_nodejs_heap_size_used_bytes (\S+)/m) / 1048576,
    fds: get(/^bmcgw_process_open_fds (\S+)/m),
    // All timers, unref'd included (BMCGW_DIAGNOSTICS=1); Node's own count leaves unref'd ones out.
    timers: get(/^bmcgw_diag_timers (\S+)/m),
    handles: get(/^bmcgw_nodejs_active_handles_total (\S+)/m),
    sessions: get(/^bmcgw_sessions (\S+)/m),
    viewers: sumOf(/^bmcgw_viewers\{[^}]*\} (\S+)/gm),
  };
}
