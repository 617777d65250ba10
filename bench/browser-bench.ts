/**
 * The benchmark's browser row (issue 14 goal 1): what the customer waits for in a real browser, from
 * the hosting panel's API call to the console's picture on the page, in Chromium (Debian's, driven by
 * playwright-core) with a cold cache: a new browser context for every sample.
 *
 * - gateway, pooled console: the console is opened once through eq.php before measuring, so each
 *   sample's `action=novnc` joins the open session (its shadow framebuffer already holds the screen).
 * - gateway, cold console: each sample opens the session (the BMC connection, its handshake and
 *   first update are in the figure) and deletes it afterwards.
 * - baseline: websockify serving Debian's noVNC (/usr/share/novnc, `websockify --web`), pointed at
 *   the same BMC; t0 just before page.goto(vnc_lite.html?host=…&port=…). A pipe has no pool: every
 *   sample is a new BMC connection, so the same samples stand beside both gateway rows.
 *
 * t1 is when a page-side check, run on every animation frame (playwright's `polling: 'raf'`), finds a
 * picture (pixels not all one colour): the gateway page's preview <img> (the screen as the gateway
 * held it, in the page's HTML) or any canvas, whichever comes first; t2 is when a canvas shows one,
 * i.e. noVNC has drawn the live console (noVNC stays unmodified; a blank canvas is uniform). The
 * websockify page has no preview, so its t1 is its t2.
 * The BMC is the demo RFB server (src/sources/demo/, 1024x768 text console, a real RFB server), so
 * its first update is a picture; it is loopback and answers at once, so the cold-console figure is
 * the gateway's own work plus a near-zero BMC.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import type { Row } from './bench.js';
import type { PageCanvas, PageImage } from './page-dom.js';
import { startGateway, startWebsockify, type Measured } from './processes.js';
import { quantile } from './stats.js';

export const CHROMIUM_PATH = '/usr/bin/chromium';
export const NOVNC_DIR = '/usr/share/novnc';
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface BrowserBenchContext {
  work: string;
  token: string;
  /** The BMC: an RFB server's port on 127.0.0.1 (the demo server). */
  bmcPort: number;
  samples: number;
  /** The whole group's time budget: sampling stops (fewer samples, said in the note) when it is spent. */
  budgetMs: number;
  port(): Promise<number>;
}

const GROUP = 'browser first frame (Chromium, cold cache)';
/** One sample may take this long before the run gives up on it (and on the row). */
const SAMPLE_TIMEOUT_MS = 20_000;

/**
 * Runs in the page: true once some canvas shows more than one colour or, when `preview` is true, the
 * gateway's preview <img> (src/session/preview.ts) has a picture of more than one colour (its
 * browser types: page-dom.ts).
 */
function pictureShown(preview: boolean): boolean {
  const doc = (
    globalThis as unknown as {
      document: { querySelectorAll(s: string): ArrayLike<PageCanvas>; getElementById(id: string): PageImage | null; createElement(t: 'canvas'): PageCanvas };
    }
  ).document;
  const varied = (c: PageCanvas): boolean => {
    if (c.width === 0 || c.height === 0) return false;
    const px = c.getContext('2d')?.getImageData(0, 0, c.width, c.height).data;
    if (!px) return false;
    const words = new Uint32Array(px.buffer, px.byteOffset, px.length >> 2);
    const first = words[0];
    for (let i = 1; i < words.length; i++) if (words[i] !== first) return true;
    return false;
  };
  if (preview) {
    const img = doc.getElementById('preview');
    if (img && img.complete && img.naturalWidth > 0) {
      const c = doc.createElement('canvas');
      c.width = img.naturalWidth;
      c.height = img.naturalHeight;
      c.getContext('2d')?.drawImage(img, 0, 0);
      if (varied(c)) return true;
    }
  }
  const canvases = doc.querySelectorAll('canvas');
  for (let c = 0; c < canvases.length; c++) if (varied(canvases[c]!)) return true;
  return false;
}

interface Sample {
  /** t0 (before the API call) to the first picture: the gateway's preview or noVNC's canvas, whichever is first, ms. */
  total: number;
  /** t0 to noVNC's canvas showing the console (the live console), ms. */
  live: number;
  /** The page's navigation start to its DOMContentLoaded end (its HTML and scripts run), ms. */
  dcl: number;
}

/** One sample: a new context (empty cache), `before` (the API call, timed), goto, pixels. */
async function sample(browser: Browser, before: () => Promise<{ url: string; after?: () => Promise<void> }>): Promise<Sample> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  let after: (() => Promise<void>) | undefined;
  try {
    const page = await context.newPage();
    const t0 = performance.now();
    const opened = await before();
    after = opened.after;
    // 'commit': the check starts as soon as the new document exists, not after its load event.
    await page.goto(opened.url, { waitUntil: 'commit', timeout: SAMPLE_TIMEOUT_MS });
    await page.waitForFunction(pictureShown, true, { polling: 'raf', timeout: SAMPLE_TIMEOUT_MS });
    const total = performance.now() - t0;
    await page.waitForFunction(pictureShown, false, { polling: 'raf', timeout: SAMPLE_TIMEOUT_MS });
    const live = performance.now() - t0;
    // Where the time went, from the page's own Navigation Timing (ms since its navigation started).
    const nav = await page.evaluate(() => {
      const perf = (globalThis as unknown as { performance: { getEntriesByType(t: string): { domContentLoadedEventEnd: number }[] } }).performance;
      return perf.getEntriesByType('navigation')[0]?.domContentLoadedEventEnd ?? NaN;
    });
    return { total, live, dcl: nav };
  } finally {
    await context.close();
    await after?.();
  }
}

/** Warm-up (not counted: Chromium's first renderer, the processes' first requests), then samples within the budget. */
async function measure(browser: Browser, n: number, deadline: number, before: Parameters<typeof sample>[1]): Promise<Sample[]> {
  await sample(browser, before);
  const xs: Sample[] = [];
  while (xs.length < n && Date.now() < deadline) xs.push(await sample(browser, before));
  return xs;
}

async function eqNovnc(base: string, token: string, id: string): Promise<{ scope: string; key: string; joined: boolean }> {
  const res = await fetch(`${base}/eq.php`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ action: 'novnc', token, id }).toString(),
  });
  const body = (await res.json()) as { result: string; scope: string; key: string; joined: boolean; error?: { code: string; message: string } };
  if (body.result !== 'OK') throw new Error(`eq.php action=novnc id=${id}: ${res.status} ${body.error?.code} ${body.error?.message}`);
  return body;
}

export async function browserRows(ctx: BrowserBenchContext): Promise<Row[]> {
  const row = (metric: string, values: Row['values'], note?: string): Row => ({
    group: GROUP,
    metric,
    unit: 'ms',
    better: 'lower',
    values,
    ...(note ? { note } : {}),
  });
  if (!existsSync(CHROMIUM_PATH)) return [row('API call to first picture', {}, `no Chromium at ${CHROMIUM_PATH} (Debian package chromium)`)];
  const haveNovnc = existsSync(`${NOVNC_DIR}/vnc_lite.html`);
  const deadline = Date.now() + ctx.budgetMs;
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS, timeout: 30_000 });
  const procs: Measured[] = [];
  const xs: Record<'pooled' | 'cold' | 'websockify', Sample[]> = { pooled: [], cold: [], websockify: [] };
  try {
    const gwPort = await ctx.port();
    procs.push(
      await startGateway({
        port: gwPort,
        dir: ctx.work,
        config: {
          tokens: [{ token: ctx.token, servers: ['*'] }],
          servers: ['pooled', 'cold'].map((id) => ({ id, console: { type: 'vnc', host: '127.0.0.1', port: ctx.bmcPort, connectTimeout: '60s' } })),
          sessions: { maxSessions: 100, maxViewers: 8, idleTimeout: '10m' },
        },
      }),
    );
    const base = `http://127.0.0.1:${gwPort}`;
    // The pool: opened once through the API before measuring; every sample's call then joins it.
    await eqNovnc(base, ctx.token, 'pooled');
    // Each variant gets an equal share of what is left of the budget (of the `parts` still to run).
    const share = (parts: number): number => Date.now() + (deadline - Date.now()) / parts;
    xs.pooled = await measure(browser, ctx.samples, share(haveNovnc ? 3 : 2), async () => {
      const r = await eqNovnc(base, ctx.token, 'pooled');
      if (!r.joined) throw new Error('the pooled console was not open any more (eq.php answered joined: false)');
      return { url: r.scope };
    });
    xs.cold = await measure(browser, ctx.samples, share(haveNovnc ? 2 : 1), async () => {
      const r = await eqNovnc(base, ctx.token, 'cold');
      if (r.joined) throw new Error('the cold console was still open (eq.php answered joined: true)');
      const after = async (): Promise<void> => {
        const res = await fetch(`${base}/api/v1/sessions/${r.key}`, { method: 'DELETE', headers: { authorization: `Bearer ${ctx.token}` } });
        if (!res.ok && res.status !== 404) throw new Error(`DELETE session ${r.key}: ${res.status}`);
      };
      return { url: r.scope, after };
    });
    if (haveNovnc) {
      const wsPort = await ctx.port();
      procs.push(await startWebsockify(wsPort, ctx.bmcPort, { web: NOVNC_DIR }));
      xs.websockify = await measure(browser, ctx.samples, deadline, async () => ({
        url: `http://127.0.0.1:${wsPort}/vnc_lite.html?host=127.0.0.1&port=${wsPort}&path=websockify`,
      }));
    }
  } finally {
    await browser.close();
    for (const p of procs) await p.stop();
  }
  const ws = haveNovnc ? undefined : `no noVNC at ${NOVNC_DIR} (Debian package novnc): no baseline`;
  const counts = `samples: gateway ${xs.pooled.length} pooled / ${xs.cold.length} cold, websockify ${xs.websockify.length}`;
  const q = (k: keyof typeof xs, p: number, f: keyof Sample = 'total'): number | null =>
    quantile(
      xs[k].map((x) => x[f]),
      p,
    );
  return [
    row(
      `pooled console: API call to first picture, median`,
      { gateway: q('pooled', 0.5), websockify: q('websockify', 0.5) },
      `${ws ?? counts}; gateway: its preview in the page's HTML (or noVNC's canvas if first), websockify: noVNC's canvas`,
    ),
    row(`pooled console: API call to first picture, p95`, { gateway: q('pooled', 0.95), websockify: q('websockify', 0.95) }, 'goal: median <= 300'),
    row(
      `pooled console: API call to live noVNC canvas, median`,
      { gateway: q('pooled', 0.5, 'live'), websockify: q('websockify', 0.5, 'live') },
      "noVNC has drawn the console's first update (the preview is gone)",
    ),
    row(`pooled console: API call to live noVNC canvas, p95`, { gateway: q('pooled', 0.95, 'live'), websockify: q('websockify', 0.95, 'live') }),
    row(
      `pooled console: of which page navigation to DOMContentLoaded, median`,
      { gateway: q('pooled', 0.5, 'dcl'), websockify: q('websockify', 0.5, 'dcl') },
      "the page's Navigation Timing: its HTML and scripts loaded and run",
    ),
    row(
      `cold console: API call to first picture, median`,
      { gateway: q('cold', 0.5), websockify: q('websockify', 0.5) },
      'websockify: the same samples (a pipe has no pool; each is a new BMC connection)',
    ),
    row(`cold console: API call to first picture, p95`, { gateway: q('cold', 0.95), websockify: q('websockify', 0.95) }),
    row(`cold console: API call to live noVNC canvas, median`, { gateway: q('cold', 0.5, 'live'), websockify: q('websockify', 0.5, 'live') }),
  ];
}
