import { compareImages, describeComparison, fromRgbx, type Region, type RgbImage } from './images.js';

/** What a test compares: an RGBX framebuffer (the gateway's shadow, a test viewer's) as an image. */
export function fbImage(fb: { width: number; height: number; data: Uint8Array }): RgbImage {
  return fromRgbx(fb.width, fb.height, fb.data);
}

/** True when `a` (a test viewer's framebuffer, perhaps not there yet) shows exactly `b`: same size, same pixels. */
export function sameScreen(
  a: { width: number; height: number; data: Uint8Array } | undefined,
  b: { width: number; height: number; data: Uint8Array },
): boolean {
  return !!a && a.width === b.width && a.height === b.height && Buffer.compare(a.data, b.data) === 0;
}

/**
 * Polls until `actual()` equals `expected()` pixel for pixel (optionally only inside `region`, and
 * each channel within `tolerance`), or
 * throws after `timeoutMs` with the last difference. Both sides are read fresh each round: a screen
 * that is still changing (a blinking cursor, a reconnect) converges or fails, never races.
 */
export async function expectConverges(
  actual: () => RgbImage | Promise<RgbImage>,
  expected: () => RgbImage | Promise<RgbImage>,
  what: string,
  opts: { timeoutMs?: number; region?: Region; tolerance?: number } = {},
): Promise<void> {
  const deadline = Date.now() + (opts.timeoutMs ?? 20_000);
  let last = '';
  for (;;) {
    const [a, b] = await Promise.all([actual(), expected()]);
    const sameSize = a.width === b.width && a.height === b.height;
    const c = compareImages(a, b, { ...(sameSize && opts.region ? { region: opts.region } : {}), ...(opts.tolerance ? { tolerance: opts.tolerance } : {}) });
    if (c.sameSize && c.differing === 0) return;
    last = c.sameSize ? describeComparison(c) : `${a.width}x${a.height} vs ${b.width}x${b.height}`;
    if (Date.now() > deadline) throw new Error(`${what} never matched: ${last}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** The WebSocket URL behind a console `scope` URL. */
export function wsUrlOf(scope: string): string {
  return scope.replace(/^http/, 'ws').replace('/console/', '/ws/');
}
