import { existsSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, readCanvasRgb } from '../helpers/browser.js';
import { eqPhp, TEST_TOKEN } from '../helpers/gateway.js';
import { meanAbsErrorIn, openBmcConsole, OPENBMC_USERS, PHOTO, startOpenBmcBmc, XTERM_AT, type OpenBmcBmc } from '../helpers/openbmc/openbmc-bmc.js';
import { startLoggedGateway } from '../integration/ipmi/gateway-helpers.js';

// An OpenBMC server in Chromium: the console page (stock noVNC) with the gateway speaking RFB over
// the OpenBMC simulator's /kvm/0 to TigerVNC Xvnc forced to Tight JPEG, and the SOL page over its
// /console0 (which echoes). Nothing secret reaches the browser or the log.

/**
 * The canvas against the X screen. JPEG is lossy: over the photo-like area TigerVNC's JPEG (quality
 * level 8, JPEG 92 without chroma subsampling, then its high-quality refresh once the screen is
 * still) leaves a mean error of about 1 level a channel; a wrong decode (swapped chroma, a shifted
 * block grid, a wrong colour transform or place) is tens of levels off. 6 tells the two apart with
 * room to spare. What Xvnc sends losslessly (the xterm, the root) must be within 1: the browser side
 * stays lossless.
 */
const JPEG_MEAN_TOLERANCE = 6;

let bmc: OpenBmcBmc;
let gw: Awaited<ReturnType<typeof startLoggedGateway>>;
let browser: Browser;
const marker = join(tmpdir(), `bmcgw-obmc-e2e-${process.pid}`);

/** Every byte and text the page got over its WebSockets, to look for secrets afterwards. */
function recordFrames(page: Page): Buffer[] {
  const got: Buffer[] = [];
  page.on('websocket', (ws) => ws.on('framereceived', (f) => got.push(Buffer.from(f.payload))));
  page.on(
    'response',
    (res) =>
      void res
        .body()
        .then((b) => got.push(b))
        .catch(() => {}),
  );
  return got;
}

/** Types `text` as a person does on a US keyboard: Shift held for capitals and symbols. */
async function typeLikeAPerson(page: Page, text: string): Promise<void> {
  const shifted: Record<string, string> = { '!': 'Digit1', _: 'Minus', '>': 'Period', '?': 'Slash' };
  for (const ch of text) {
    if (/[A-Z]/.test(ch)) await page.keyboard.press(`Shift+Key${ch}`);
    else if (shifted[ch]) await page.keyboard.press(`Shift+${shifted[ch]}`);
    else if (ch === '\n') await page.keyboard.press('Enter');
    else await page.keyboard.type(ch);
  }
}

beforeAll(async () => {
  [bmc, browser] = await Promise.all([startOpenBmcBmc(), launchChromium()]);
  gw = await startLoggedGateway({
    tokens: [{ token: TEST_TOKEN, servers: ['*'] }],
    servers: [{ id: 'obmc', name: 'obmc-e2e', console: openBmcConsole(bmc.sim) }],
  });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await gw?.close();
  await bmc?.close();
  rmSync(marker, { force: true });
});

describe('openbmc in Chromium', () => {
  it('the console page shows the X screen decoded from JPEG and typing reaches the xterm', async () => {
    const { body } = await eqPhp(gw, { action: 'novnc', token: TEST_TOKEN, id: 'obmc' });
    expect(body.result, JSON.stringify(body)).toBe('OK');
    const page = await browser.newPage({ viewport: { width: 1100, height: 800 } });
    const frames = recordFrames(page);
    try {
      await page.goto(body.scope);
      await page.waitForSelector('body[data-state="connected"]', { timeout: 20_000 });
      expect(await page.title()).toContain('obmc-e2e');

      let last = '';
      const deadline = Date.now() + 30_000;
      for (;;) {
        const [canvas, screen] = await Promise.all([readCanvasRgb(page, '#screen canvas'), bmc.xvnc.screenshot()]);
        if (canvas.width === screen.width && canvas.height === screen.height) {
          const photo = meanAbsErrorIn(canvas, screen, PHOTO);
          const rest = meanAbsErrorIn(canvas, screen, { x: 500, y: 400, width: 300, height: 200 });
          last = `photo ${photo.toFixed(2)}, xterm area ${rest.toFixed(2)}, JPEG rects ${bmc.sim.jpegRects}`;
          if (photo > 0 && photo < JPEG_MEAN_TOLERANCE && rest < 1 && bmc.sim.jpegRects > 0) break;
        } else last = `canvas ${canvas.width}x${canvas.height}, screen ${screen.width}x${screen.height}`;
        if (Date.now() > deadline) throw new Error(`the canvas never showed the X screen: ${last}`);
        await new Promise((r) => setTimeout(r, 300));
      }

      // Into the xterm (X gives the keyboard to the window under the pointer): capitals and symbols
      // with Shift held, as on a real keyboard.
      const box = (await page.locator('#screen canvas').boundingBox())!;
      const scale = box.width / 800;
      await page.mouse.move(box.x + (XTERM_AT.x + 30) * scale, box.y + (XTERM_AT.y + 30) * scale);
      await page.mouse.click(box.x + (XTERM_AT.x + 30) * scale, box.y + (XTERM_AT.y + 30) * scale);
      await typeLikeAPerson(page, `echo Typed_In_Chromium! > ${marker}\n`);
      await expect.poll(() => existsSync(marker) && readFileSync(marker, 'utf8'), { timeout: 15_000 }).toBe('Typed_In_Chromium!\n');
    } finally {
      await page.close();
    }
    await fetch(`${gw.url}/api/v1/sessions/${body.key}`, { method: 'DELETE', headers: { authorization: `Bearer ${TEST_TOKEN}` } });
    const all = Buffer.concat(frames);
    expect(all.length).toBeGreaterThan(10_000); // the page's traffic was seen (pages, scripts, RFB)
    for (const s of [OPENBMC_USERS.admin.password, ...bmc.sim.tokens]) expect(all.includes(Buffer.from(s)), 'a secret reached the browser').toBe(false);
  }, 120_000);

  it('the SOL page types into console0 and shows the host echo', async () => {
    const { body } = await eqPhp(gw, { action: 'sol', token: TEST_TOKEN, id: 'obmc' });
    expect(body.result, JSON.stringify(body)).toBe('OK');
    const page = await browser.newPage({ viewport: { width: 1000, height: 600 } });
    const frames = recordFrames(page);
    try {
      await page.goto(body.scope);
      await page.waitForSelector('body[data-state="connected"]', { timeout: 20_000 });
      await page.click('#terminal');
      await typeLikeAPerson(page, 'Hello OpenBMC_Console!?');
      const text = () =>
        page.evaluate(() => {
          const t = (
            globalThis as unknown as { sol: { term: { buffer: { active: { getLine(i: number): { translateToString(trim: boolean): string } | undefined } } } } }
          ).sol.term;
          return t.buffer.active.getLine(0)?.translateToString(true) ?? '';
        });
      await expect.poll(text, { timeout: 15_000 }).toBe('Hello OpenBMC_Console!?');
      expect(Buffer.concat(bmc.sim.consoleInput).toString('utf8')).toBe('Hello OpenBMC_Console!?');
    } finally {
      await page.close();
    }
    const all = Buffer.concat(frames);
    for (const s of [OPENBMC_USERS.admin.password, ...bmc.sim.tokens]) expect(all.includes(Buffer.from(s)), 'a secret reached the browser').toBe(false);
    const log = gw.logText();
    for (const s of [OPENBMC_USERS.admin.password, ...bmc.sim.tokens]) expect(log, 'a secret in the log').not.toContain(s);
  }, 60_000);
});
