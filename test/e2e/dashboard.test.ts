import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemoServer } from '../../src/sources/demo/demo-server.js';
import { launchChromium } from '../helpers/browser.js';
import { eqPhp, startTestGateway, TEST_TOKEN, type TestGateway } from '../helpers/gateway.js';
import { WsRfbClient } from '../helpers/ws-rfb-client.js';

const OPERATOR = 'operator-token-e2e-1';

describe('operators dashboard and metrics (demo RFB server as the BMC)', () => {
  let demo: Awaited<ReturnType<typeof startDemoServer>>;
  let gw: TestGateway;
  let browser: Browser;

  beforeAll(async () => {
    demo = await startDemoServer({ password: 'dash-pw' });
    gw = await startTestGateway({
      tokens: [{ token: TEST_TOKEN, servers: ['*'] }],
      operators: [{ token: OPERATOR, name: 'night-shift' }],
      servers: [{ id: 'dash-1', location: 'NL', console: { type: 'vnc', host: demo.host, port: demo.port, password: 'dash-pw' } }],
    });
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await gw?.close();
    await demo?.close();
  });

  it('signs in with an operator token, shows the live session with a thumbnail, and ends it', async () => {
    const { body } = await eqPhp(gw, { action: 'novnc', token: TEST_TOKEN, id: 'dash-1', view_only: '1' });
    const v = new WsRfbClient(body.scope.replace(/^http/, 'ws').replace('/console/', '/ws/'));
    await v.ready();

    const page = await browser.newPage();
    await page.goto(`${gw.url}/dashboard`);
    // a customer token is refused
    await page.fill('#token', TEST_TOKEN);
    await page.click('#signin button[type=submit]');
    await expect.poll(() => page.textContent('#signin-error')).toContain('not an operator token');
    await page.fill('#token', OPERATOR);
    await page.click('#signin button[type=submit]');
    await page.waitForSelector(`tr[data-session="${body.key}"]`, { timeout: 10_000 });
    expect(await page.textContent('#who')).toContain('night-shift');
    const row = await page.textContent(`tr[data-session="${body.key}"]`);
    expect(row).toContain('dash-1');
    expect(row).toContain('NL');
    expect(row).toContain('view-only');
    // the thumbnail is a real PNG of the console
    const img = page.locator(`tr[data-session="${body.key}"] img`);
    type Img = { complete: boolean; naturalWidth: number };
    await expect.poll(() => img.evaluate((el) => ((el as unknown as Img).complete ? (el as unknown as Img).naturalWidth : 0)), { timeout: 10_000 }).toBeGreaterThan(0);
    // scaled by a whole factor (box average): 1024 wide / 4 = 256, at most the 320 asked for
    expect(await img.evaluate((el) => (el as unknown as Img).naturalWidth)).toBe(256);

    page.once('dialog', (d) => void d.accept());
    await page.click(`tr[data-session="${body.key}"] button`);
    await v.closed();
    expect(v.closeReason).toMatch(/ended by the API \(night-shift\)/);
    await expect.poll(() => page.locator(`tr[data-session="${body.key}"]`).count(), { timeout: 10_000 }).toBe(0);
    await page.close();
  });

  it('serves Prometheus metrics that follow what happened', async () => {
    const text = await (await fetch(`${gw.url}/metrics`)).text();
    expect(text).toMatch(/^bmcgw_sessions 0$/m);
    expect(text).toMatch(/^bmcgw_sessions_ended_total\{reason="api"\} 1$/m);
    expect(text).toMatch(/^bmcgw_console_opens_total\{joined="false"\} 1$/m);
    expect(text).toMatch(/^bmcgw_viewer_updates_total [1-9]/m);
    expect(text).toMatch(/^bmcgw_encode_seconds_count [1-9]/m);
    expect(text).toMatch(/^bmcgw_viewers\{view_only="true"\} 0$/m);
  });

  it('refuses the thumbnail to a token that may not see the session', async () => {
    const { body } = await eqPhp(gw, { action: 'novnc', token: TEST_TOKEN, id: 'dash-1' });
    const ok = await fetch(`${gw.url}/api/v1/sessions/${body.key}/thumbnail.png?width=64`, { headers: { authorization: `Bearer ${OPERATOR}` } });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toBe('image/png');
    const png = Buffer.from(await ok.arrayBuffer());
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    expect(png.readUInt32BE(16)).toBe(64);
    const none = await fetch(`${gw.url}/api/v1/sessions/${body.key}/thumbnail.png`);
    expect(none.status).toBe(401);
    const bad = await fetch(`${gw.url}/api/v1/sessions/${body.key}/thumbnail.png?width=5`, { headers: { authorization: `Bearer ${OPERATOR}` } });
    expect(bad.status).toBe(400);
  });
});
