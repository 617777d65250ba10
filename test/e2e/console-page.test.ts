import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eqPhp, startTestGateway, TEST_TOKEN, type TestGateway } from '../helpers/gateway.js';
import { launchChromium, readCanvasRgb, readImageRgb } from '../helpers/browser.js';
import { compareImages } from '../helpers/images.js';
import { expectConverges } from '../helpers/converge.js';
import { startQemu, type QemuVm } from '../helpers/qemu.js';
import { PREVIEW_REUSE_MS } from '../../src/session/preview.js';

const PASSWORD = 'e2e-pw';

describe('console page in Chromium, QEMU busybox guest as the BMC', () => {
  let vm: QemuVm;
  let gw: TestGateway;
  let browser: Browser;

  beforeAll(async () => {
    [vm, browser] = await Promise.all([startQemu({ mode: 'busybox', vncPassword: PASSWORD }), launchChromium()]);
    await vm.waitForShell();
    gw = await startTestGateway({
      tokens: [{ token: TEST_TOKEN, pin: '4321', servers: ['25250'] }],
      servers: [{ id: '25250', name: 'web-25250', location: 'NL', console: { type: 'vnc', host: '127.0.0.1', port: vm.vncPort, password: PASSWORD } }],
    });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await gw?.close();
    await vm?.stop();
  });

  it('draws the guest screen with stock noVNC and types into the guest', async () => {
    const { body } = await eqPhp(gw, { action: 'novnc', token: TEST_TOKEN, pin: '4321', id: '25250' });
    expect(body.result, JSON.stringify(body)).toBe('OK');
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const sockets: string[] = [];
    page.on('websocket', (ws) => {
      sockets.push(ws.url());
      ws.on('framereceived', (f) => {
        // the BMC's password never reaches the browser
        if (typeof f.payload !== 'string') expect(Buffer.from(f.payload).includes(Buffer.from(PASSWORD))).toBe(false);
      });
    });
    await page.goto(body.scope);
    await page.waitForSelector('body[data-state="connected"]', { timeout: 20_000 });
    expect(await page.title()).toContain('web-25250');
    expect(sockets).toHaveLength(1);
    expect(sockets[0]).not.toContain(String(vm.vncPort));

    // The canvas equals the guest's own screendump, pixel for pixel (noVNC draws the whole fb at
    // 1:1 in its backing store; scaling is CSS only).
    await expectConverges(
      () => readCanvasRgb(page, '#screen canvas'),
      () => vm.screendump(),
      "the page's canvas vs the guest",
    );

    // Keys typed in the page reach the guest: the shell runs what was typed.
    await page.click('#screen canvas');
    const marker = `e2e-${Date.now() % 100000}`;
    // As a person types it: '>' is Shift+Period on a US keyboard (page.keyboard.type would send the
    // character without the Shift key, which no physical keyboard does).
    await page.keyboard.type(`echo ${marker} `);
    await page.keyboard.press('Shift+Period');
    await page.keyboard.type('/dev/ttyS0');
    await page.keyboard.press('Enter');
    await vm.waitForSerial(marker, 20_000);

    // The toolbar's paste types text too.
    const marker2 = `paste-${Date.now() % 100000}`;
    await page.click('#paste');
    await page.fill('#paste-text', `echo ${marker2} >/dev/ttyS0\n`);
    await page.click('#paste-send');
    await vm.waitForSerial(marker2, 20_000);

    // Ending the session shows why on the page.
    const del = await fetch(`${gw.url}/api/v1/sessions/${body.key}`, { method: 'DELETE', headers: { authorization: `Bearer ${TEST_TOKEN}`, 'x-pin': '4321' } });
    expect(del.status).toBe(204);
    await page.waitForSelector('body[data-state="ended"]', { timeout: 10_000 });
    await expect.poll(() => page.textContent('#message')).toContain('ended by the API');
    await page.close();
  });

  it("shows the gateway's picture of the screen before noVNC runs, then noVNC's canvas in its place", async () => {
    const { body } = await eqPhp(gw, { action: 'novnc', token: TEST_TOKEN, pin: '4321', id: '25250' });
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    // The page's scripts are held back: what shows is the HTML's own picture (src/session/preview.ts).
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    await page.route('**/assets/*.js', async (route) => {
      await held;
      await route.continue();
    });
    // The guest's screen as it was a moment ago: at most the blinking cursor (8x16) differs. A
    // preview up to PREVIEW_REUSE_MS old is reused on a screen that changed (by design: one PNG a
    // second at most), so when the guest's screen moved meanwhile the page is loaded again after that
    // long (the unused key's page may be asked for again; noVNC has not run).
    let differing = Number.POSITIVE_INFINITY;
    for (let attempt = 0; attempt < 3 && differing > 8 * 16; attempt++) {
      if (attempt > 0) await new Promise((r) => setTimeout(r, PREVIEW_REUSE_MS + 50));
      await page.goto(body.scope, { waitUntil: 'domcontentloaded' });
      const box = await page.locator('#preview').boundingBox();
      const screen = await page.locator('#screen').boundingBox();
      expect(box, 'the preview is shown').not.toBeNull();
      expect(box).toEqual(screen); // it covers the screen's area (the picture is fitted inside it)
      const preview = await readImageRgb(page, '#preview');
      const guest = await vm.screendump();
      expect([preview.width, preview.height]).toEqual([guest.width, guest.height]);
      differing = compareImages(preview, guest).differing;
    }
    expect(differing).toBeLessThanOrEqual(8 * 16);
    expect(await page.getAttribute('body', 'data-state')).not.toBe('connected');

    release();
    await page.waitForSelector('body[data-state="connected"]', { timeout: 20_000 });
    // Once noVNC has drawn its first update, the preview is gone and the canvas is the guest's screen.
    await page.waitForSelector('#preview', { state: 'detached', timeout: 10_000 });
    await expectConverges(
      () => readCanvasRgb(page, '#screen canvas'),
      () => vm.screendump(),
      "the page's canvas vs the guest",
    );
    await page.close();
  });

  it('shows a clear message for a URL that was already used', async () => {
    const { body } = await eqPhp(gw, { action: 'novnc', token: TEST_TOKEN, pin: '4321', id: '25250' });
    const p1 = await browser.newPage();
    await p1.goto(body.scope);
    await p1.waitForSelector('body[data-state="connected"]', { timeout: 20_000 });
    const p2 = await browser.newPage();
    await p2.goto(body.scope);
    await p2.waitForSelector('body[data-state="ended"]', { timeout: 10_000 });
    expect(await p2.textContent('#message')).toMatch(/console is closed/);
    expect(await p2.locator('#preview').count(), 'a used key shows no picture').toBe(0);
    await p1.close();
    await p2.close();
  });
});
