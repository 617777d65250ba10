import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AtenReplayBmc } from '../../bench/aten-replay-bmc.js';
import { bmcStreamOf } from '../../src/sources/aten/capture-stream.js';
import { launchChromium, readCanvasRgba } from '../helpers/browser.js';
import { eqPhp, startTestGateway, TEST_TOKEN, type TestGateway } from '../helpers/gateway.js';
import { atenReplayFinalPicture, meanAbsError } from '../integration/aten/helpers.js';

const X10 = join(resolve(dirname(fileURLToPath(import.meta.url)), '../../../shared/fixtures/aten'), 'sessions/X10SRi-F_1.89.pcap');

describe('a real ATEN capture (X10SRi-F) played by a replay BMC, viewed in Chromium through an aten console', () => {
  let bmc: AtenReplayBmc;
  let gw: TestGateway;
  let browser: Browser;

  beforeAll(async () => {
    [bmc, browser] = await Promise.all([
      AtenReplayBmc.start({ stream: bmcStreamOf(readFileSync(X10)), speed: 'max', webUser: 'ADMIN', webPassword: 'replay-pw' }),
      launchChromium(),
    ]);
    gw = await startTestGateway({
      tokens: [{ token: TEST_TOKEN, servers: ['x10'] }],
      servers: [{ id: 'x10', name: 'X10SRi-F capture', console: bmc.consoleConfig() }],
    });
  });

  afterAll(async () => {
    await browser?.close();
    await gw?.close();
    await bmc?.close();
  });

  it('the page shows exactly the final picture aten-replay writes (1280x1024 Linux console, cursor on)', async () => {
    const final = await atenReplayFinalPicture(X10);
    const { body } = await eqPhp(gw, { action: 'novnc', token: TEST_TOKEN, id: 'x10' });
    expect(body.result, JSON.stringify(body)).toBe('OK');
    const page = await browser.newPage({ viewport: { width: 1400, height: 1150 } });
    try {
      await page.goto(body.scope);
      await page.waitForSelector('body[data-state="connected"]', { timeout: 20_000 });
      // noVNC draws the framebuffer 1:1 into its canvas's backing store; the gateway sends it lossless.
      let last = '';
      const deadline = Date.now() + 30_000;
      for (;;) {
        const canvas = await readCanvasRgba(page, '#screen canvas');
        const err = canvas.width === final.width && canvas.height === final.height ? meanAbsError(canvas.rgba, final.rgbx) : Infinity;
        if (err === 0 && bmc.updatesSent >= 108) break;
        last = `canvas ${canvas.width}x${canvas.height}, mean error ${err}, updates sent ${bmc.updatesSent}`;
        if (Date.now() > deadline) throw new Error(`the canvas never showed aten-replay's final picture: ${last}`);
        await new Promise((r) => setTimeout(r, 300));
      }
    } finally {
      await page.close();
    }
  });
});
