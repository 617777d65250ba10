import { chromium, type Browser, type Page } from 'playwright-core';
import type { PageCanvas, PageImage } from '../../bench/page-dom.js';
import { fromRgba, type RgbImage } from './images.js';
import { requirePeer } from './require-peer.js';

/**
 * Debian's Chromium driven by playwright-core (no bundled browser download). The flags keep it from
 * phoning home or updating during tests, and --disable-quic keeps it on TCP so that the only network
 * traffic is the loopback the test asked for.
 */

export const CHROMIUM_PATH = '/usr/bin/chromium';

export const CHROMIUM_ARGS: readonly string[] = [
  '--no-sandbox', // runs as root in CI containers, where the setuid sandbox cannot work
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

export async function launchChromium(options: { extraArgs?: readonly string[]; timeoutMs?: number } = {}): Promise<Browser> {
  const executablePath = requirePeer(CHROMIUM_PATH, 'chromium');
  return chromium.launch({
    executablePath,
    headless: true,
    args: [...CHROMIUM_ARGS, ...(options.extraArgs ?? [])],
    timeout: options.timeoutMs ?? 30_000,
  });
}

export interface RgbaImage {
  width: number;
  height: number;
  /** 4 bytes a pixel, R G B A, rows top to bottom, as getImageData returns them. */
  rgba: Buffer;
}

/**
 * Reads a canvas's pixels with getImageData. Moved across as base64: page.evaluate serialises typed
 * arrays element by element, which is slow for a 1024x768 screen.
 */
export async function readCanvasRgba(page: Page, selector = 'canvas'): Promise<RgbaImage> {
  return readPixels(page, selector, 'canvas');
}

/** An <img>'s picture at its natural size (drawn into a canvas of that size in the page). */
export async function readImageRgb(page: Page, selector: string): Promise<RgbImage> {
  const { width, height, rgba } = await readPixels(page, selector, 'img');
  return fromRgba(width, height, rgba);
}

async function readPixels(page: Page, selector: string, kind: 'canvas' | 'img'): Promise<RgbaImage> {
  const result = await page.evaluate(
    ([sel, k]: [string, 'canvas' | 'img']) => {
      // Runs in the page; its browser types are bench/page-dom.ts's (the project has no DOM lib).
      const page = globalThis as unknown as {
        document: { querySelector(selector: string): unknown; createElement(tag: 'canvas'): PageCanvas };
        HTMLCanvasElement: abstract new () => PageCanvas;
        HTMLImageElement: abstract new () => PageImage;
        btoa(data: string): string;
      };
      const el = page.document.querySelector(sel);
      let canvas: PageCanvas;
      if (k === 'img') {
        if (!(el instanceof page.HTMLImageElement)) return { error: `no <img> matches ${sel}` };
        if (!el.complete || el.naturalWidth === 0) return { error: `${sel} has no picture (yet)` };
        canvas = page.document.createElement('canvas');
        canvas.width = el.naturalWidth;
        canvas.height = el.naturalHeight;
        canvas.getContext('2d')?.drawImage(el, 0, 0);
      } else {
        if (!(el instanceof page.HTMLCanvasElement)) return { error: `no <canvas> matches ${sel}` };
        canvas = el;
      }
      const context = canvas.getContext('2d');
      if (context === null) return { error: `${sel} has no 2d context` };
      const { width, height } = canvas;
      if (width === 0 || height === 0) return { width, height, base64: '' };
      const bytes = context.getImageData(0, 0, width, height).data;
      let binary = '';
      const CHUNK = 0x8000; // String.fromCharCode's argument count is limited
      for (let i = 0; i < bytes.length; i += CHUNK) {
        binary += String.fromCharCode(...bytes.subarray(i, i + CHUNK));
      }
      return { width, height, base64: page.btoa(binary) };
    },
    [selector, kind] as [string, 'canvas' | 'img'],
  );
  if ('error' in result) throw new Error(result.error);
  return { width: result.width, height: result.height, rgba: Buffer.from(result.base64, 'base64') };
}

/** readCanvasRgba converted to the RgbImage every comparison helper takes (alpha dropped). */
export async function readCanvasRgb(page: Page, selector = 'canvas'): Promise<RgbImage> {
  const { width, height, rgba } = await readCanvasRgba(page, selector);
  return fromRgba(width, height, rgba);
}
