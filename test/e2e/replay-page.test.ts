import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { summarizeRecording } from '../../bench/fbs-screen.js';
import { launchChromium, readCanvasRgb } from '../helpers/browser.js';
import { startTestGateway, TEST_TOKEN, type TestGateway } from '../helpers/gateway.js';
import { compareImages, describeComparison, fromRgbx } from '../helpers/images.js';

const OPERATOR = 'operator-token-0123456789';
const FIXTURE = join(import.meta.dirname, '../../fixtures/recordings/qemu-busybox-typing.fbs');
const ID = 'busybox_20261128T000000Z_0000f1a7';

describe('replay page in Chromium (stock noVNC playing a recording)', () => {
  let gw: TestGateway;
  let browser: Browser;
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bmcgw-replay-'));
    await copyFile(FIXTURE, join(dir, `${ID}.fbs`));
    browser = await launchChromium();
    gw = await startTestGateway({
      tokens: [{ token: TEST_TOKEN, servers: ['*'] }],
      operators: [{ token: OPERATOR, name: 'ops' }],
      servers: [],
      recording: { dir, servers: ['*'] },
    });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await gw?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("signs in with an operator token, plays at max speed to the recording's final screen, and seeks", async () => {
    const final = summarizeRecording(FIXTURE);
    const expected = fromRgbx(final.fb.width, final.fb.height, final.fb.data);
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(`${gw.url}/replay/${ID}`);
    // A customer token is refused; the operator token is accepted.
    await page.fill('#token', TEST_TOKEN);
    await page.click('#signin button[type="submit"]');
    await page.waitForSelector('#signin-error:not(:empty)', { timeout: 10_000 });
    await page.fill('#token', OPERATOR);
    await page.selectOption('#speed', 'max');
    await page.click('#signin button[type="submit"]');
    await page.waitForSelector('body[data-state="connected"]', { timeout: 20_000 });
    // The first replay starts at the page's speed selection (max): the canvas must reach the final frame.
    await expectCanvas(page, expected);

    // Seek: replays from the start up to the position as fast as possible, then at 1x.
    await page.selectOption('#speed', '1');
    await page.waitForSelector('body[data-state="connected"]', { timeout: 20_000 });
    // The seek bar by keyboard, as a person would: End = the last position (fires "change").
    await page.focus('#seek');
    await page.keyboard.press('End');
    await expect.poll(() => page.textContent('#status'), { timeout: 20_000 }).toMatch(/^Playing from /);
    // Within a few seconds, not the 17 s a replay from the start at 1x would take.
    await expectCanvas(page, expected, 5000);
    const position = Number(await page.getAttribute('body', 'data-position'));
    expect(position).toBeGreaterThan(final.durationMs - 1000);
  }, 90_000);
});

async function expectCanvas(page: import('playwright-core').Page, expected: ReturnType<typeof fromRgbx>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    // A seek starts a new replay: the page replaces its noVNC client, and for a moment there is no canvas.
    const canvas = await readCanvasRgb(page, '#screen canvas').catch((err: Error) => err);
    if (canvas instanceof Error) last = canvas.message;
    else {
      const c = compareImages(canvas, expected);
      if (c.sameSize && c.differing === 0) return;
      last = c.sameSize ? describeComparison(c) : `canvas ${canvas.width}x${canvas.height} vs ${expected.width}x${expected.height}`;
    }
    if (Date.now() > deadline) throw new Error(`replay canvas never showed the recording's final screen: ${last}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}
