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
    const row = page.locator(`#fleet tr[data-session="${body.key}"]`);
    await expect.poll(() => row.count(), { timeout: 10_000 }).toBe(1);
    expect(await page.textContent('#who')).toContain('night-shift');
    expect(await row.getAttribute('data-server')).toBe('dash-1');
    expect(await row.locator('td.location').textContent()).toBe('NL');
    expect(await row.locator('.viewers').textContent()).toBe('1 viewer (1 view-only)');
    // the thumbnail is a real PNG of the console
    const img = row.locator('img.thumb');
    type Img = { complete: boolean; naturalWidth: number };
    await expect
      .poll(() => img.evaluate((el) => ((el as unknown as Img).complete ? (el as unknown as Img).naturalWidth : 0)), { timeout: 10_000 })
      .toBeGreaterThan(0);
    // scaled by a whole factor (box average): 1024 wide / 5 = 204, at most the 240 asked for
    expect(await img.evaluate((el) => (el as unknown as Img).naturalWidth)).toBe(204);

    await row.locator('button.more').click();
    await page.locator('#fleet tr[data-details="dash-1"] button.end-session').click();
    await page.waitForSelector('#confirm[open]');
    expect(await page.textContent('#confirm-text')).toBe('End the console session of dash-1? Its viewers are disconnected.');
    await page.click('#confirm-ok');
    await v.closed();
    expect(v.closeReason).toMatch(/ended by the API \(night-shift\)/);
    await expect.poll(() => row.count(), { timeout: 10_000 }).toBe(0);
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
