import * as esbuild from 'esbuild';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { endMarker, summarizeRecording } from '../../bench/fbs-screen.js';
import { ReplayServer } from '../../bench/replay-server.js';
import { launchChromium, readCanvasRgb } from '../helpers/browser.js';
import { expectConverges, fbImage, wsUrlOf } from '../helpers/converge.js';
import { until } from '../helpers/gateway-calls.js';
import { eqPhp, startTestGateway, TEST_TOKEN, type TestGateway } from '../helpers/gateway.js';
import { XTERM_RECORDING } from '../helpers/paint-updates.js';

/**
 * A viewer that joins after the BMC has drawn its screen gets a first picture made from the paints
 * the gateway holds (Framebuffer.heldShapes), TigerVNC's two-colour rectangles among them as the zlib
 * data TigerVNC sent (tight.ts #holdCompressed, tight-encoder.ts encodeHeldShapes). Stock noVNC in
 * Chromium must draw exactly the recording's final screen from it. noVNC is driven here without the
 * console page, whose preview image would read the framebuffer first (src/session/preview.ts) and so
 * make the first picture from pixels instead.
 */
describe('stock noVNC in Chromium shown a first picture made from held paints', () => {
  let browser: Browser;
  let novnc: string;

  beforeAll(async () => {
    browser = await launchChromium();
    // noVNC's RFB as it is in its package, in one script for the page.
    const out = await esbuild.build({
      stdin: { contents: "import RFB from '@novnc/novnc'; globalThis.RFB = RFB;", resolveDir: process.cwd() },
      bundle: true,
      format: 'esm', // noVNC's browser.js awaits at top level
      write: false,
      logLevel: 'silent',
    });
    novnc = out.outputFiles[0]!.text;
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
  });

  it("draws the xterm recording's final screen, from TigerVNC's own zlib data", async () => {
    const summary = summarizeRecording(XTERM_RECORDING);
    const marker = endMarker(summary);
    let done = false;
    const rs = await ReplayServer.start({ path: XTERM_RECORDING, speed: Infinity, loops: 1, end: marker.bytes, onDone: () => (done = true) });
    let gw: TestGateway | undefined;
    try {
      gw = await startTestGateway({
        tokens: [{ token: TEST_TOKEN, servers: ['*'] }],
        servers: [{ id: 'xterm', console: { type: 'vnc', host: '127.0.0.1', port: rs.port } }],
      });
      const open = (await eqPhp(gw, { action: 'novnc', token: TEST_TOKEN, id: 'xterm' })).body;
      const session = gw.registry.get(open.key as string)!;
      // The whole recording and the end marker read by the gateway before any viewer joins.
      await until(
        `the gateway to read the recording's ${summary.updates + 1} updates`,
        async () => (done && session.updatesIn === summary.updates + 1 ? true : undefined),
        30_000,
        20,
      );
      const shapes = session.fb.heldShapes();
      expect(shapes?.some((s) => 'zlib' in s)).toBe(true);

      const page = await browser.newPage({ viewport: { width: 1100, height: 800 } });
      // The gateway's origin (its WebSocket checks Origin), then a bare page running noVNC.
      await page.goto(`${gw.url}/healthz`);
      await page.setContent('<div id="screen" style="width:1024px;height:768px"></div>');
      await page.addScriptTag({ content: novnc, type: 'module' });
      await page.waitForFunction(() => 'RFB' in globalThis);
      await page.evaluate(
        (url) => {
          const g = globalThis as unknown as { RFB: new (target: unknown, url: string) => unknown; document: { getElementById(id: string): unknown } };
          new g.RFB(g.document.getElementById('screen'), url);
        },
        wsUrlOf(open.scope as string),
      );
      await expectConverges(
        () => readCanvasRgb(page, '#screen canvas'),
        () => fbImage(marker.fb),
        "noVNC's canvas vs the recording's final screen",
      );
      // Made from the held paints: the gateway's framebuffer was never drawn into for it.
      expect(session.fb.heldShapes()).toBeDefined();
      await page.close();
    } finally {
      await gw?.close();
      await rs.close();
    }
  }, 90_000);
});
