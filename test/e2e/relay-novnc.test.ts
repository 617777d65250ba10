import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, readCanvasRgb } from '../helpers/browser.js';
import { expectConverges } from '../helpers/converge.js';
import { eqPhp, startTestGateway, TEST_TOKEN, type TestGateway } from '../helpers/gateway.js';
import { startQemu, type QemuVm } from '../helpers/qemu.js';

/** The gateway's Viewer counters read here (src/viewer/viewer.ts). */
type RelayCounters = { updatesRelayed: number; updatesPrimed: number };

const canvasEqualsGuest = (page: Page, vm: QemuVm, what: string) =>
  expectConverges(
    () => readCanvasRgb(page, '#screen canvas'),
    () => vm.screendump(),
    what,
  );

/**
 * The browser's stock noVNC inflating QEMU's own Tight zlib data, relayed as QEMU sent it
 * (src/viewer/relay.ts): the page joins after QEMU's streams started, so its streams are primed first.
 * Only unshifted keys are typed, so Playwright's keyboard.type presses what a person would.
 */
describe("stock noVNC in Chromium shown QEMU's relayed Tight updates", () => {
  let vm: QemuVm;
  let gw: TestGateway;
  let browser: Browser;

  beforeAll(async () => {
    [vm, browser] = await Promise.all([startQemu({ mode: 'busybox' }), launchChromium()]);
    await vm.waitForShell();
    gw = await startTestGateway({
      tokens: [{ token: TEST_TOKEN, servers: ['*'] }],
      servers: [{ id: 'vm', console: { type: 'vnc', host: '127.0.0.1', port: vm.vncPort, encodings: ['tight', 'copyrect', 'raw'] } }],
    });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await gw?.close();
    await vm?.stop();
  });

  it('keeps the canvas equal to the guest while typed output is relayed', async () => {
    const open = (await eqPhp(gw, { action: 'novnc', token: TEST_TOKEN, id: 'vm' })).body;
    const session = gw.registry.get(open.key)!;
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(open.scope);
    await page.waitForSelector('body[data-state="connected"]', { timeout: 20_000 });
    await canvasEqualsGuest(page, vm, "the page's canvas vs the guest");
    await page.click('#screen canvas');
    for (let round = 0; round < 3; round++) {
      await page.keyboard.type(`ls /bin /sbin; echo relay round ${round}`);
      await page.keyboard.press('Enter');
      await new Promise((r) => setTimeout(r, 1200)); // past the once-a-second priming limit
    }
    await canvasEqualsGuest(page, vm, "the page's canvas vs the guest after typing");
    const [viewer] = [...session.viewers] as unknown as RelayCounters[];
    expect(viewer!.updatesPrimed).toBeGreaterThan(0);
    expect(viewer!.updatesRelayed).toBeGreaterThan(viewer!.updatesPrimed);
    await page.close();
  }, 120_000);
});
