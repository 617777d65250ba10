import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../helpers/browser.js';
import { eqPhp, startTestGateway, TEST_TOKEN, type TestGateway } from '../helpers/gateway.js';
import { atenConsole, BMC_PASSWORD, startAtenBmc, until, waitForCanvasToShow, type AtenBmc } from '../integration/aten/helpers.js';

// The simulator sends AST2100 (JPEG-like DCT, 4:2:0, quality selector 7): colour edges blur a little.
const JPEG_TOLERANCE = 8;

describe('aten console in Chromium: stock noVNC on the scope URL, ATEN BMC simulator behind the gateway', () => {
  let bmc: AtenBmc;
  let gw: TestGateway;
  let browser: Browser;

  beforeAll(async () => {
    [bmc, browser] = await Promise.all([startAtenBmc({ kvm: { width: 1024, height: 768 } }), launchChromium()]);
    gw = await startTestGateway({
      tokens: [{ token: TEST_TOKEN, servers: ['x10'] }],
      servers: [{ id: 'x10', name: 'x10-board', console: atenConsole(bmc) }],
    });
  });

  afterAll(async () => {
    await browser?.close();
    await gw?.close();
    await bmc?.close();
  });

  it("shows the simulator's picture and typing in the page reaches the BMC as HID usages", async () => {
    const { body } = await eqPhp(gw, { action: 'novnc', token: TEST_TOKEN, id: 'x10' });
    expect(body.result, JSON.stringify(body)).toBe('OK');
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    try {
      let extendedKeyEvents = 0;
      page.on('websocket', (ws) => {
        ws.on('framesent', (f) => {
          // QEMU client message 255, submessage 0: noVNC sends physical keys only after our -258 confirmation.
          if (typeof f.payload !== 'string' && f.payload[0] === 255 && f.payload[1] === 0) extendedKeyEvents++;
        });
        ws.on('framereceived', (f) => {
          // Neither the BMC's web password nor the JNLP's one-time KVM user ever reaches the browser.
          if (typeof f.payload === 'string') return;
          const bytes = Buffer.from(f.payload);
          expect(bytes.includes(Buffer.from(BMC_PASSWORD))).toBe(false);
          for (const l of bmc.kvm.logins) expect(bytes.includes(Buffer.from(l.user))).toBe(false);
        });
      });
      await page.goto(body.scope);
      await page.waitForSelector('body[data-state="connected"]', { timeout: 20_000 });
      expect(await page.title()).toContain('x10-board');

      await waitForCanvasToShow(page, () => bmc.kvm.screen, JPEG_TOLERANCE);

      // Keys by physical key: noVNC got the -258 confirmation and sends scancodes, which map to HID usages.
      await page.click('#screen canvas');
      const k0 = bmc.kvm.keys.length;
      await page.keyboard.type('ab');
      await page.keyboard.press('Shift+Digit1');
      await page.keyboard.press('ArrowUp');
      await page.keyboard.press('F5');
      const typed = [
        [0x04, true],
        [0x04, false],
        [0x05, true],
        [0x05, false], // a b
        [0xe1, true],
        [0x1e, true],
        [0x1e, false],
        [0xe1, false], // Shift+1
        [0x52, true],
        [0x52, false], // Up (E0 48)
        [0x3e, true],
        [0x3e, false], // F5
      ].map(([usage, down]) => ({ usage, down }));
      await until(() => bmc.kvm.keys.length >= k0 + typed.length, 'the typed keys at the simulator');
      expect(bmc.kvm.keys.slice(k0)).toEqual(typed);
      // (playwright reports sent frames asynchronously, so wait for its count too)
      await until(() => extendedKeyEvents >= typed.length, `${typed.length} QEMU extended key events from noVNC (saw ${extendedKeyEvents})`, 5000);

      // The toolbar's Ctrl+Alt+Del.
      const k1 = bmc.kvm.keys.length;
      await page.click('#cad');
      const cad = [
        [0xe0, true],
        [0xe2, true],
        [0x4c, true],
        [0x4c, false],
        [0xe2, false],
        [0xe0, false],
      ].map(([usage, down]) => ({ usage, down }));
      await until(() => bmc.kvm.keys.length >= k1 + cad.length, 'Ctrl+Alt+Del at the simulator');
      expect(bmc.kvm.keys.slice(k1)).toEqual(cad);

      // A click lands at the framebuffer position under the mouse (the canvas is scaled to the window).
      const box = (await page.locator('#screen canvas').boundingBox())!;
      const scale = box.width / 1024;
      const p0 = bmc.kvm.pointer.length; // the focusing click above pressed at the canvas's centre
      await page.mouse.click(box.x + 300 * scale, box.y + 200 * scale);
      await until(() => bmc.kvm.pointer.slice(p0).some((p) => p.buttons === 1), 'a button press at the simulator');
      const press = bmc.kvm.pointer.slice(p0).find((p) => p.buttons === 1)!;
      expect(Math.abs(press.x - 300)).toBeLessThanOrEqual(2);
      expect(Math.abs(press.y - 200)).toBeLessThanOrEqual(2);
    } finally {
      await page.close();
    }
  });
});
