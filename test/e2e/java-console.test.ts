import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, readCanvasRgb } from '../helpers/browser.js';
import { expectConverges } from '../helpers/converge.js';
import { eqPhp, TEST_TOKEN } from '../helpers/gateway.js';
import { JNLP_PASSWORD, startJavaScene, type JavaScene } from '../helpers/java/scene.js';
import type { ViewerLink } from '../helpers/java/test-viewer.js';

// A Java console in Chromium, through both runtimes: the page's canvas is the viewer's window pixel
// for pixel, keys typed as a person types them (Shift held for capitals and symbols) reach the
// viewer, two pages share one sandbox, and the viewer's exit is explained on the page.

/** Types `text` as on a US keyboard: Shift is held down for capitals and shifted symbols. */
async function typeAsPerson(page: Page, text: string): Promise<void> {
  const shifted: Record<string, string> = {
    '!': 'Digit1',
    '@': 'Digit2',
    '#': 'Digit3',
    $: 'Digit4',
    '%': 'Digit5',
    '&': 'Digit7',
    '*': 'Digit8',
    '(': 'Digit9',
    ')': 'Digit0',
    _: 'Minus',
    '+': 'Equal',
    ':': 'Semicolon',
    '"': 'Quote',
    '<': 'Comma',
    '>': 'Period',
    '?': 'Slash',
  };
  for (const ch of text) {
    if (/[A-Z]/.test(ch)) await page.keyboard.press(`Shift+Key${ch}`);
    else if (shifted[ch]) await page.keyboard.press(`Shift+${shifted[ch]}`);
    else if (ch === ' ') await page.keyboard.press('Space');
    else await page.keyboard.type(ch);
  }
}

describe.each(['docker', 'process'] as const)('Java console in Chromium (%s runtime)', (runtime) => {
  let scene: JavaScene;
  let browser: Browser;

  beforeAll(async () => {
    [scene, browser] = await Promise.all([startJavaScene({ runtime, size: '720x400' }), launchChromium()]);
  });
  afterAll(async () => {
    await browser?.close();
    await scene?.close();
  });

  it("shows the viewer's window pixel for pixel, takes typed keys with Shift, shares one sandbox between two pages, and explains the viewer's exit", async () => {
    const { body } = await eqPhp(scene.gw, { action: 'novnc', token: TEST_TOKEN, id: 'j1' });
    expect(body.result, JSON.stringify(body)).toBe('OK');
    expect(body.source).toBe('jnlp');
    const link: ViewerLink = await scene.reports.link(0);
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('websocket', (ws) =>
      ws.on('framereceived', (f) => {
        if (typeof f.payload !== 'string') expect(Buffer.from(f.payload).includes(Buffer.from(JNLP_PASSWORD))).toBe(false);
      }),
    );
    await page.goto(body.scope);
    await page.waitForSelector('body[data-state="connected"]', { timeout: 30_000 });
    expect(await page.title()).toContain('java-board');
    await expectConverges(
      () => readCanvasRgb(page, '#screen canvas'),
      () => link.capture(),
      "the page's canvas vs the viewer's window",
    );

    await page.click('#screen canvas');
    const text = 'Hello, World! #42 (Shift) & "Java"?';
    await typeAsPerson(page, text);
    await link
      .waitFor(() => link.typed() === text, `"${text}" in the viewer`, 30_000)
      .catch(() => {
        throw new Error(`the viewer got "${link.typed()}", not "${text}"`);
      });
    // The viewer shows what was typed: the canvas still equals its window.
    await expectConverges(
      () => readCanvasRgb(page, '#screen canvas'),
      async () => {
        const c = await link.capture();
        expect(c.typed).toBe(text);
        return c;
      },
      'the canvas after typing',
    );

    // A second page of the same console: the same session, one sandbox.
    const second = await eqPhp(scene.gw, { action: 'novnc', token: TEST_TOKEN, id: 'j1', view_only: '1' });
    expect(second.body.joined).toBe(true);
    const page2 = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page2.goto(second.body.scope);
    await page2.waitForSelector('body[data-state="connected"]', { timeout: 30_000 });
    await expectConverges(
      () => readCanvasRgb(page2, '#screen canvas'),
      () => link.capture(),
      'the second page vs the window',
    );
    const traces = await scene.sandboxes();
    if (runtime === 'docker') expect(traces.containers).toHaveLength(1);
    else expect(traces.dirs).toHaveLength(1);
    expect(scene.reports.links).toHaveLength(1);

    // The viewer exits: both pages say so.
    link.send('exit 7');
    for (const p of [page, page2]) {
      await p.waitForSelector('body[data-state="ended"]', { timeout: 30_000 });
      await expect.poll(() => p.textContent('#message'), { timeout: 10_000 }).toMatch(/the Java viewer exited with code 7/);
    }
    await page.close();
    await page2.close();
  });
});
