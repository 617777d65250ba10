import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemoServer, type DemoServer } from '../../../src/sources/demo/demo-server.js';
import { startCloseUrlServer } from '../../helpers/close-url-server.js';
import { eqPhp, startTestGateway, TEST_TOKEN, type TestGateway } from '../../helpers/gateway.js';

/**
 * `sessions.closeUrlAllow` against real HTTP servers on loopback (the only addresses a test may aim
 * at): refused by default (loopback is internal), by address and after resolving a name; called once
 * when listed; a redirect is never followed.
 */
describe('close URL policy', () => {
  let demo: DemoServer;
  const gws: TestGateway[] = [];
  const closers: (() => Promise<void>)[] = [];

  const gateway = async (sessions: Record<string, unknown> = {}): Promise<TestGateway> => {
    const gw = await startTestGateway({
      tokens: [{ token: TEST_TOKEN, servers: ['*'] }],
      servers: [
        { id: 'demo', console: { type: 'vnc', host: demo.host, port: demo.port, password: demo.password } },
        // An ipmi block at a loopback port nothing answers on: the close URL is refused before the BMC is asked.
        { id: 'no-bmc-sol', ipmi: { host: '127.0.0.1', port: 9, user: 'admin', password: 'unused-password', cipherSuite: 3 } },
      ],
      sessions,
    });
    gws.push(gw);
    return gw;
  };

  beforeAll(async () => {
    demo = await startDemoServer({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    for (const gw of gws) await gw.close();
    for (const c of closers) await c();
    await demo?.close();
  });

  it('by default a loopback close URL is refused at the API, by address and by name, and never called', async () => {
    const panel = await startCloseUrlServer();
    closers.push(panel.close);
    const gw = await gateway();
    const byAddress = await eqPhp(gw, { action: 'novnc', token: TEST_TOKEN, id: 'demo', closeurl: panel.url });
    expect(byAddress.status).toBe(400);
    expect(byAddress.body.error.code).toBe('GW_ERR_CLOSE_URL_REFUSED');
    expect(byAddress.body.error.message).toMatch(/loopback.*sessions\.closeUrlAllow/);
    // A name is checked on what it resolves to: localhost is loopback too.
    const byName = await eqPhp(gw, { action: 'novnc', token: TEST_TOKEN, id: 'demo', closeurl: panel.url.replace('127.0.0.1', 'localhost') });
    expect(byName.body.error.code).toBe('GW_ERR_CLOSE_URL_REFUSED');
    const rest = await fetch(`${gw.url}/api/v1/sessions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TEST_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ serverId: 'demo', closeUrl: panel.url }),
    });
    expect(rest.status).toBe(400);
    expect(((await rest.json()) as { error: { code: string } }).error.code).toBe('GW_ERR_CLOSE_URL_REFUSED');
    // The serial console's close URL goes through the same policy.
    const sol = await eqPhp(gw, { action: 'sol', token: TEST_TOKEN, id: 'no-bmc-sol', closeurl: panel.url });
    expect(sol.body.error.code).toBe('GW_ERR_CLOSE_URL_REFUSED');
    // No session was opened for any of them, and the panel never heard from the gateway.
    expect(gw.registry.list()).toHaveLength(0);
    expect(panel.attempts).toBe(0);
  });

  it('listed (host:port), the close URL is called once when the session ends', async () => {
    const panel = await startCloseUrlServer();
    closers.push(panel.close);
    const port = new URL(panel.url).port;
    const gw = await gateway({ closeUrlAllow: [`127.0.0.1:${port}`] });
    const opened = await eqPhp(gw, { action: 'novnc', token: TEST_TOKEN, id: 'demo', closeurl: panel.url });
    expect(opened.status, JSON.stringify(opened.body)).toBe(200);
    // Another port of the same address is not listed.
    const other = await eqPhp(gw, {
      action: 'novnc',
      token: TEST_TOKEN,
      id: 'demo',
      closeurl: `http://127.0.0.1:${Number(port) === 65535 ? 1 : Number(port) + 1}/x`,
    });
    expect(other.body.error.code).toBe('GW_ERR_CLOSE_URL_REFUSED');
    const del = await fetch(`${gw.url}/api/v1/sessions/${opened.body.key}`, { method: 'DELETE', headers: { authorization: `Bearer ${TEST_TOKEN}` } });
    expect(del.status).toBe(204);
    await expect.poll(() => panel.calls.length, { timeout: 10_000 }).toBe(1);
    expect(panel.calls[0]!.body).toMatchObject({ sessionId: opened.body.key, serverId: 'demo', code: 'api' });
    await new Promise((r) => setTimeout(r, 300));
    expect(panel.attempts).toBe(1);
  });

  it('a redirect from a listed close URL is not followed, even to another listed address', async () => {
    const target = await startCloseUrlServer();
    closers.push(target.close);
    let redirected = 0;
    const redirector: Server = createServer((req, res) => {
      redirected++;
      req.resume();
      res.writeHead(307, { location: target.url }).end();
    });
    await new Promise<void>((r) => redirector.listen(0, '127.0.0.1', r));
    closers.push(() => new Promise((r) => redirector.close(() => r())));
    const gw = await gateway({ closeUrlAllow: ['127.0.0.1'] });
    const redirectorUrl = `http://127.0.0.1:${(redirector.address() as { port: number }).port}/close`;
    const opened = await eqPhp(gw, { action: 'novnc', token: TEST_TOKEN, id: 'demo', closeurl: redirectorUrl });
    expect(opened.status, JSON.stringify(opened.body)).toBe(200);
    await fetch(`${gw.url}/api/v1/sessions/${opened.body.key}`, { method: 'DELETE', headers: { authorization: `Bearer ${TEST_TOKEN}` } });
    await expect.poll(() => redirected, { timeout: 10_000 }).toBe(1);
    await new Promise((r) => setTimeout(r, 500));
    expect(redirected).toBe(1);
    expect(target.attempts).toBe(0);
  });
});
