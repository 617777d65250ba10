import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../helpers/browser.js';
import { eqPhp, logCollector, startTestGateway, TEST_TOKEN, type TestGateway } from '../helpers/gateway.js';
import { atenConsole, BMC_PASSWORD, startAtenBmc, until, waitForCanvasToShow, type AtenBmc } from '../integration/aten/helpers.js';

// The simulator sends AST2100 (JPEG-like DCT, 4:2:0, quality selector 7): colour edges blur a little.
const JPEG_TOLERANCE = 8;

describe("aten console over the HTML5 iKVM in Chromium: stock noVNC on the scope URL, the simulator's HTML5 front behind the gateway", () => {
  let bmc: AtenBmc;
  let gw: TestGateway | undefined;
  let browser: Browser;
  const tickets: string[] = [];
  const logs = logCollector();

  beforeAll(async () => {
    [bmc, browser] = await Promise.all([startAtenBmc({ kvm: { width: 1024, height: 768 }, web: { html5: true, jnlpUrlNames: [] } }), launchChromium()]);
    const issue = bmc.kvm.issueHtml5Ticket.bind(bmc.kvm);
    bmc.kvm.issueHtml5Ticket = () => {
      const t = issue();
      tickets.push(t);
      return t;
    };
    gw = await startTestGateway(
      {
        tokens: [{ token: TEST_TOKEN, servers: ['x11'] }],
        servers: [{ id: 'x11', name: 'x11-board', console: atenConsole(bmc, { transport: 'html5' }) }],
      },
      { log: { level: 'debug', stream: logs.stream } },
    );
  });

  afterAll(async () => {
    await browser?.close();
    await gw?.close();
    await bmc?.close();
  });

  it("shows the simulator's picture, typing with Shift held reaches the BMC, and no BMC secret reaches the browser or the log", async () => {
    const { body } = await eqPhp(gw!, { action: 'novnc', token: TEST_TOKEN, id: 'x11' });
    expect(body.result, JSON.stringify(body)).toBe('OK');
    const sid = /SID=([^;]+)/.exec(bmc.web.html5!.upgrades[0]!.cookie ?? '')![1]!;
    const secrets = () => [BMC_PASSWORD, sid, ...tickets, ...bmc.web.html5!.csrfTokens];
    const seenByBrowser: Buffer[] = [];
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    try {
      page.on('websocket', (ws) =>
        ws.on('framereceived', (f) => seenByBrowser.push(typeof f.payload === 'string' ? Buffer.from(f.payload) : Buffer.from(f.payload))),
      );
      page.on('response', (res) => {
        void res.body().then(
          (b) => seenByBrowser.push(b),
          () => {},
        );
      });
      await page.goto(body.scope);
      await page.waitForSelector('body[data-state="connected"]', { timeout: 20_000 });
      expect(await page.title()).toContain('x11-board');

      await waitForCanvasToShow(page, () => bmc.kvm.screen, JPEG_TOLERANCE);

      // As a person types "aB!" on a US keyboard: Shift held down for the capital and the symbol.
      await page.click('#screen canvas');
      const k0 = bmc.kvm.keys.length;
      await page.keyboard.press('KeyA');
      await page.keyboard.down('Shift');
      await page.keyboard.press('KeyB');
      await page.keyboard.press('Digit1');
      await page.keyboard.up('Shift');
      await page.keyboard.press('Enter');
      const typed = [
        [0x04, true],
        [0x04, false], // a
        [0xe1, true],
        [0x05, true],
        [0x05, false],
        [0x1e, true],
        [0x1e, false],
        [0xe1, false], // Shift+B, Shift+1
        [0x28, true],
        [0x28, false], // Enter
      ].map(([usage, down]) => ({ usage, down }));
      await until(() => bmc.kvm.keys.length >= k0 + typed.length, 'the typed keys at the simulator');
      expect(bmc.kvm.keys.slice(k0)).toEqual(typed);
      expect(bmc.kvm.logins.map((l) => `${l.front} ${l.accepted}`)).toEqual(['html5 true']);
    } finally {
      await page.close();
    }
    await gw!.close();
    gw = undefined;
    await until(() => bmc.web.logouts === 1, 'the web logout');
    expect(bmc.web.logoutsWithOpenConsole).toBe(0);

    const browserBytes = Buffer.concat(seenByBrowser);
    expect(browserBytes.length).toBeGreaterThan(100_000); // the pictures went through here
    const log = logs.text();
    expect(log).toContain('"transport":"html5"');
    for (const s of secrets()) {
      expect(browserBytes.includes(Buffer.from(s)), 'a BMC secret reached the browser').toBe(false);
      expect(log.includes(s), 'a BMC secret reached the log').toBe(false);
    }
  });
});
