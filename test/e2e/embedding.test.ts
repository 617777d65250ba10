import { createServer, type Server } from 'node:http';
import type { Browser } from 'playwright-core';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../helpers/browser.js';
import { eqPhp, startTestGateway, TEST_TOKEN, type TestGateway } from '../helpers/gateway.js';
import { startQemu, type QemuVm } from '../helpers/qemu.js';

/**
 * `web.frameAncestors` in Chromium: a panel page served from another origin (another loopback host
 * and port) frames the console page. Listed, the console draws inside the frame; not listed, Chromium
 * refuses to render it. The viewer WebSocket refuses a page of an origin that is neither the
 * gateway's nor a listed panel's.
 */
describe('embedding the console in a panel page of another origin', () => {
  let vm: QemuVm;
  let browser: Browser;
  let panel: Server;
  let panelOrigin: string;
  let listed: TestGateway;
  let unlisted: TestGateway;
  let frameSrc = '';

  beforeAll(async () => {
    [vm, browser] = await Promise.all([startQemu({ mode: 'seabios' }), launchChromium()]);
    panel = createServer((_req, res) => {
      res
        .writeHead(200, { 'content-type': 'text/html' })
        .end(`<!doctype html><title>panel</title><h1>Customer panel</h1><iframe id="console" src="${frameSrc}" width="900" height="700"></iframe>`);
    });
    await new Promise<void>((r) => panel.listen(0, '127.0.0.1', r));
    // localhost, not 127.0.0.1: another site as well as another origin.
    panelOrigin = `http://localhost:${(panel.address() as { port: number }).port}`;
    const config = (web?: Record<string, unknown>) => ({
      tokens: [{ token: TEST_TOKEN, servers: ['*'] }],
      servers: [{ id: 'bios', name: 'bios-box', console: { type: 'vnc', host: '127.0.0.1', port: vm.vncPort } }],
      ...(web ? { web } : {}),
    });
    [listed, unlisted] = await Promise.all([startTestGateway(config({ frameAncestors: ["'self'", panelOrigin] })), startTestGateway(config())]);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await Promise.all([listed?.close(), unlisted?.close(), vm?.stop()]);
    await new Promise((r) => panel?.close(r));
  });

  const openInPanel = async (gw: TestGateway) => {
    const { body } = await eqPhp(gw, { action: 'novnc', token: TEST_TOKEN, id: 'bios' });
    expect(body.result, JSON.stringify(body)).toBe('OK');
    frameSrc = body.scope;
    const page = await browser.newPage({ viewport: { width: 1000, height: 800 } });
    const sockets: string[] = [];
    page.on('websocket', (ws) => sockets.push(ws.url()));
    await page.goto(`${panelOrigin}/`);
    return { page, sockets, scope: body.scope as string };
  };

  it('a listed panel origin frames the console: it connects and draws inside the frame', async () => {
    const { page, sockets, scope } = await openInPanel(listed);
    const frame = await expect
      .poll(() => page.frames().find((f) => f.url().startsWith(listed.url)), { timeout: 15_000 })
      .toBeTruthy()
      .then(() => page.frames().find((f) => f.url().startsWith(listed.url))!);
    await frame.waitForSelector('body[data-state="connected"]', { timeout: 20_000 });
    expect(await frame.title()).toContain('bios-box');
    expect(sockets.some((u) => u.startsWith(listed.url.replace('http', 'ws')))).toBe(true);
    const headers = await fetch(scope.replace('/console/', '/console/x-')).then((r) => r.headers);
    expect(headers.get('content-security-policy')).toContain(`frame-ancestors 'self' ${panelOrigin};`);
    await page.close();
  }, 60_000);

  it('an unlisted panel origin gets nothing: Chromium refuses to render the framed page, no WebSocket opens', async () => {
    const { page, sockets } = await openInPanel(unlisted);
    await expect.poll(() => page.frames().some((f) => f.url().startsWith('chrome-error:')), { timeout: 15_000 }).toBe(true);
    await new Promise((r) => setTimeout(r, 1500));
    expect(page.frames().some((f) => f.url().startsWith(unlisted.url))).toBe(false);
    expect(sockets).toEqual([]);
    const res = await fetch(`${unlisted.url}/console/unknown`);
    expect(res.headers.get('x-frame-options')).toBe('SAMEORIGIN');
    expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'self';");
    await page.close();
  }, 60_000);

  it("the viewer WebSocket refuses another origin's page before using the key; the listed panel's and no Origin pass", async () => {
    const upgrade = (gw: TestGateway, key: string, origin: string | undefined) =>
      new Promise<number>((resolve) => {
        const ws = new WebSocket(`${gw.url.replace('http', 'ws')}/ws/${key}`, origin ? { origin } : {});
        ws.on('unexpected-response', (_req, res) => {
          resolve(res.statusCode ?? 0);
          ws.terminate();
        });
        ws.on('open', () => {
          resolve(101);
          ws.close();
        });
        ws.on('error', () => undefined);
      });
    const key = async (gw: TestGateway) => new URL((await eqPhp(gw, { action: 'novnc', token: TEST_TOKEN, id: 'bios' })).body.scope).pathname.split('/').pop()!;
    const k1 = await key(unlisted);
    expect(await upgrade(unlisted, k1, panelOrigin)).toBe(403);
    // Refused before the key was used: the gateway's own page can still use it.
    expect(await upgrade(unlisted, k1, unlisted.url)).toBe(101);
    expect(await upgrade(listed, await key(listed), panelOrigin)).toBe(101);
    expect(await upgrade(listed, await key(listed), 'http://evil.localhost:1')).toBe(403);
    expect(await upgrade(listed, await key(listed), undefined)).toBe(101);
    expect(await (await fetch(`${unlisted.url}/metrics`)).text()).toMatch(/bmcgw_websocket_origin_refused_total 1\b/);
  }, 60_000);
});
