import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, readCanvasRgb } from '../helpers/browser.js';
import { eqPhp, startTestGateway, TEST_TOKEN, type TestGateway } from '../helpers/gateway.js';
import { expectConverges } from '../helpers/converge.js';
import { startQemu, type QemuVm } from '../helpers/qemu.js';

const PASSWORD = 'shared-e2e';

const canvasEqualsGuest = (page: Page, vm: QemuVm) =>
  expectConverges(
    () => readCanvasRgb(page, '#screen canvas'),
    () => vm.screendump(),
    "the page's canvas vs the guest",
  );

describe('two browser pages on one shared session', () => {
  let vm: QemuVm;
  let gw: TestGateway;
  let browser: Browser;

  beforeAll(async () => {
    [vm, browser] = await Promise.all([startQemu({ mode: 'busybox', vncPassword: PASSWORD }), launchChromium()]);
    await vm.waitForShell();
    gw = await startTestGateway({
      tokens: [{ token: TEST_TOKEN, servers: ['*'] }],
      servers: [{ id: 'srv', name: 'srv-1', console: { type: 'vnc', host: '127.0.0.1', port: vm.vncPort, password: PASSWORD } }],
    });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await gw?.close();
    await vm?.stop();
  });

  it('both see the same screen, the view-only page cannot type, and both show why the session ended', async () => {
    const a = (await eqPhp(gw, { action: 'novnc', token: TEST_TOKEN, id: 'srv' })).body;
    const b = (await eqPhp(gw, { action: 'novnc', token: TEST_TOKEN, id: 'srv', view_only: '1' })).body;
    expect(b.key).toBe(a.key);
    expect(b.joined).toBe(true);
    const pa = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const pb = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await pa.goto(a.scope);
    await pb.goto(b.scope);
    await pa.waitForSelector('body[data-state="connected"]', { timeout: 20_000 });
    await pb.waitForSelector('body[data-state="connected"]', { timeout: 20_000 });
    await canvasEqualsGuest(pa, vm);
    await canvasEqualsGuest(pb, vm);
    // the view-only page says so, and its keys never reach the guest
    await pb.waitForSelector('#viewonly:not([hidden])', { timeout: 10_000 });
    expect(await pa.isHidden('#viewonly')).toBe(true);
    expect(await pb.isDisabled('#paste')).toBe(true);
    const hidden = `vo${Date.now() % 100000}`;
    await pb.click('#screen canvas');
    await pb.keyboard.type(`echo ${hidden} `);
    await pb.keyboard.press('Shift+Period');
    await pb.keyboard.type('/dev/ttyS0');
    await pb.keyboard.press('Enter');
    // the interactive page types; both pages then show the same new screen
    const shown = `rw${Date.now() % 100000}`;
    await pa.click('#screen canvas');
    await pa.keyboard.type(`echo ${shown} `);
    await pa.keyboard.press('Shift+Period');
    await pa.keyboard.type('/dev/ttyS0');
    await pa.keyboard.press('Enter');
    const serial = await vm.waitForSerial(shown, 20_000);
    expect(serial).not.toContain(hidden);
    await canvasEqualsGuest(pa, vm);
    await canvasEqualsGuest(pb, vm);

    // ending the session: both pages show the reason
    const del = await fetch(`${gw.url}/api/v1/sessions/${a.key}`, { method: 'DELETE', headers: { authorization: `Bearer ${TEST_TOKEN}` } });
    expect(del.status).toBe(204);
    for (const p of [pa, pb]) {
      await p.waitForSelector('body[data-state="ended"]', { timeout: 10_000 });
      await expect.poll(() => p.textContent('#message')).toContain('ended by the API');
    }
  });
});
