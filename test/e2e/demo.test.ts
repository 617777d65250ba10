import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { startGateway, type RunningGateway } from '../../src/main.js';
import { launchChromium, readCanvasRgb } from '../helpers/browser.js';
import { compareImages } from '../helpers/images.js';
import { freePort } from '../helpers/ports.js';

describe('the built-in demo (what `npm start` runs without a config)', () => {
  let gw: RunningGateway;
  let browser: Browser;

  beforeAll(async () => {
    const port = await freePort();
    [gw, browser] = await Promise.all([startGateway({ listen: `127.0.0.1:${port}`, log: createLogger('silent') }), launchChromium()]);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await gw?.close();
  });

  it('opens the demo console from /demo, and typed text shows on it', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(`${gw.url}/demo`);
    await page.waitForSelector('body[data-state="connected"]', { timeout: 20_000 });
    expect(await page.textContent('#title')).toBe('Demo console');
    const before = await readCanvasRgb(page, '#screen canvas');
    expect(before.width).toBe(1024);
    await page.click('#screen canvas');
    await page.keyboard.type('hello from the browser');
    // the demo echoes keys at its prompt: the canvas changes where the text goes
    await expect
      .poll(async () => compareImages(await readCanvasRgb(page, '#screen canvas'), before, { region: { x: 0, y: 100, width: 1024, height: 668 } }).differing, { timeout: 10_000 })
      .toBeGreaterThan(100);
    if (process.env.BMCGW_SCREENSHOT) await page.screenshot({ path: process.env.BMCGW_SCREENSHOT });
    await page.close();
  });
});
