import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validate } from '../../src/config/load.js';
import { ConfigReader } from '../../src/config/reader.js';
import { createLogger } from '../../src/log.js';
import { buildGateway, type Gateway } from '../../src/server.js';
import { startDemoServer } from '../../src/sources/demo/demo-server.js';
import { GatewayErrorCodes } from '../../src/errors.js';
import { readFileSync } from 'node:fs';
import { freePort } from '../helpers/ports.js';
import { WsRfbClient } from '../helpers/ws-rfb-client.js';

const TOKEN = 'panel-secret-token-1';
// Not digits: a 4-digit PIN would turn up by chance inside timestamps in the log.
const PIN = 'pin-zq7w';
const OTHER = 'other-token-2222';
const OPERATOR = 'operator-token-3333';
const BMC_PASSWORD = 'bmc-secret-pw';

describe('API (eq.php, REST v1, closeurl route) against the demo RFB server as the BMC', () => {
  let demo: Awaited<ReturnType<typeof startDemoServer>>;
  let gw: Gateway;
  let url: string;
  const logLines: string[] = [];

  beforeAll(async () => {
    demo = await startDemoServer({ password: BMC_PASSWORD });
    const port = await freePort();
    const r = new ConfigReader();
    const cfg = validate(
      r,
      {
        listen: `127.0.0.1:${port}`,
        tokens: [
          { token: TOKEN, pin: PIN, servers: ['25250'], name: 'panel' },
          { token: OTHER, servers: ['other'] },
        ],
        operators: [{ token: OPERATOR, name: 'ops' }],
        servers: [
          { id: '25250', location: 'NL', console: { type: 'vnc', host: demo.host, port: demo.port, password: BMC_PASSWORD } },
          { id: 'other', location: 'US', console: { type: 'vnc', host: demo.host, port: demo.port, password: BMC_PASSWORD } },
          { id: 'noconsole' },
        ],
        // The route's close URL below is on loopback, which only a listed entry allows.
        sessions: { closeUrlAllow: ['127.0.0.1:9'] },
      },
      'test',
    );
    if (!cfg) throw new Error(r.problems.join('\n'));
    const sink = new Writable({
      write(chunk, _enc, cb) {
        logLines.push(...chunk.toString().split('\n').filter(Boolean));
        cb();
      },
    });
    gw = await buildGateway(cfg, createLogger('trace', sink));
    await gw.app.listen({ host: '127.0.0.1', port });
    url = `http://127.0.0.1:${port}`;
  });

  afterAll(async () => {
    await gw?.close();
    await demo?.close();
  });

  const form = (fields: Record<string, string>) =>
    gw.app.inject({
      method: 'POST',
      url: '/eq.php',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams(fields).toString(),
    });

  it('eq.php action=novnc (form body) answers OK with scope, context and key', async () => {
    const res = await form({ action: 'novnc', token: TOKEN, id: '25250', pin: PIN });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ result: 'OK', context: { action: 'novnc', id: '25250', location: 'NL' }, joined: false });
    expect(body.scope).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/console\/[\w-]{43}$/);
    expect(typeof body.key).toBe('string');
    // a second open joins the same session
    const again = (await form({ action: 'novnc', token: TOKEN, id: '25250', pin: PIN })).json();
    expect(again.key).toBe(body.key);
    expect(again.joined).toBe(true);
    expect(again.scope).not.toBe(body.scope);
  });

  it('eq.php takes JSON bodies too', async () => {
    const res = await gw.app.inject({ method: 'POST', url: '/eq.php', payload: { action: 'novnc', token: TOKEN, id: '25250', pin: PIN } });
    expect(res.json().result).toBe('OK');
  });

  it.each([
    [{ action: 'novnc', token: TOKEN, id: '25250' }, 401, 'GW_ERR_BAD_PIN'],
    [{ action: 'novnc', token: TOKEN, id: '25250', pin: '0000' }, 401, 'GW_ERR_BAD_PIN'],
    [{ action: 'novnc', token: 'wrong-token-000', id: '25250' }, 401, 'GW_ERR_BAD_TOKEN'],
    [{ action: 'novnc', id: '25250' }, 401, 'GW_ERR_BAD_TOKEN'],
    [{ action: 'novnc', token: TOKEN, pin: PIN }, 400, 'GW_ERR_BAD_REQUEST'],
    [{ action: 'novnc', token: OTHER, id: '25250' }, 403, 'GW_ERR_FORBIDDEN_SERVER'],
    [{ action: 'novnc', token: OPERATOR, id: 'nope' }, 404, 'GW_ERR_UNKNOWN_SERVER'],
    [{ action: 'novnc', token: OPERATOR, id: 'noconsole' }, 409, 'GW_ERR_NO_CONSOLE'],
    [{ action: 'reboot', token: TOKEN, id: '25250', pin: PIN }, 400, 'GW_ERR_UNKNOWN_ACTION'],
    [{ token: TOKEN, id: '25250', pin: PIN }, 400, 'GW_ERR_BAD_REQUEST'],
    [{ action: 'novnc', token: TOKEN, id: '25250', pin: PIN, view_only: 'maybe' }, 400, 'GW_ERR_BAD_REQUEST'],
  ])('eq.php %j → %i %s', async (fields, status, code) => {
    const res = await form(fields);
    expect(res.statusCode).toBe(status);
    const body = res.json();
    expect(body.result).toBe('ERROR');
    expect(body.error.code).toBe(code);
    expect(body.error.message).toBeTruthy();
    expect(JSON.stringify(body)).not.toMatch(/GatewayError|at .*\.ts/);
  });

  it('eq.php refuses a malformed body with a JSON error', async () => {
    const res = await gw.app.inject({ method: 'POST', url: '/eq.php', headers: { 'content-type': 'application/json' }, payload: '{"action":' });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('GW_ERR_BAD_REQUEST');
  });

  it('REST v1: create, list, get and delete sessions, scoped by token', async () => {
    const auth = { authorization: `Bearer ${TOKEN}`, 'x-pin': PIN };
    const created = await gw.app.inject({ method: 'POST', url: '/api/v1/sessions', headers: auth, payload: { serverId: '25250', viewOnly: true } });
    expect([200, 201]).toContain(created.statusCode);
    const s = created.json();
    expect(s).toMatchObject({ serverId: '25250', location: 'NL', state: 'connected' });
    expect(s.url).toMatch(/\/console\//);

    const list = (await gw.app.inject({ method: 'GET', url: '/api/v1/sessions', headers: auth })).json();
    expect(list.sessions.map((x: { id: string }) => x.id)).toContain(s.id);
    // another token does not see it, and cannot fetch or delete it
    const other = { authorization: `Bearer ${OTHER}` };
    expect((await gw.app.inject({ method: 'GET', url: '/api/v1/sessions', headers: other })).json().sessions).toEqual([]);
    expect((await gw.app.inject({ method: 'GET', url: `/api/v1/sessions/${s.id}`, headers: other })).json().error.code).toBe('GW_ERR_UNKNOWN_SESSION');
    expect((await gw.app.inject({ method: 'DELETE', url: `/api/v1/sessions/${s.id}`, headers: other })).statusCode).toBe(404);
    // the operator sees everything
    expect((await gw.app.inject({ method: 'GET', url: `/api/v1/sessions/${s.id}`, headers: { authorization: `Bearer ${OPERATOR}` } })).statusCode).toBe(200);

    expect((await gw.app.inject({ method: 'GET', url: `/api/v1/sessions/${s.id}`, headers: auth })).json().id).toBe(s.id);
    expect((await gw.app.inject({ method: 'DELETE', url: `/api/v1/sessions/${s.id}`, headers: auth })).statusCode).toBe(204);
    expect((await gw.app.inject({ method: 'GET', url: `/api/v1/sessions/${s.id}`, headers: auth })).statusCode).toBe(404);
  });

  it('REST v1 errors: no token, bad body', async () => {
    const noAuth = await gw.app.inject({ method: 'GET', url: '/api/v1/sessions' });
    expect(noAuth.statusCode).toBe(401);
    expect(noAuth.json()).toEqual({ error: { code: 'GW_ERR_BAD_TOKEN', message: expect.any(String) } });
    const bad = await gw.app.inject({ method: 'POST', url: '/api/v1/sessions', headers: { authorization: `Bearer ${OPERATOR}` }, payload: { serverId: 5 } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('GW_ERR_BAD_REQUEST');
  });

  it("the agents' closeurl route opens a console when the BMC address matches", async () => {
    const closeurl = encodeURIComponent('http://127.0.0.1:9/closed?id=25250');
    const ok = await gw.app.inject({ method: 'GET', url: `/api/v1/server/${demo.host}/skey/${TOKEN}/25250/closeurl/${closeurl}`, headers: { 'x-pin': PIN } });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({ result: 'OK', context: { id: '25250', location: 'NL' } });
    const wrongIp = await gw.app.inject({ method: 'GET', url: `/api/v1/server/10.9.9.9/skey/${TOKEN}/25250/closeurl/${closeurl}`, headers: { 'x-pin': PIN } });
    expect(wrongIp.statusCode).toBe(400);
    const badKey = await gw.app.inject({ method: 'GET', url: `/api/v1/server/${demo.host}/skey/nope-nope-nope/25250/closeurl/${closeurl}` });
    expect(badKey.statusCode).toBe(401);
  });

  it('healthz answers', async () => {
    const res = await gw.app.inject({ method: 'GET', url: '/healthz' });
    expect(res.statusCode).toBe(200);
    expect(res.json().status).toBe('ok');
  });

  it('a viewer gets the demo console through the one-time URL; no secret is ever logged', async () => {
    const body = (await form({ action: 'novnc', token: TOKEN, id: '25250', pin: PIN })).json();
    const key = body.scope.split('/').pop();
    const page = await fetch(body.scope);
    expect(page.status).toBe(200);
    expect(page.headers.get('referrer-policy')).toBe('no-referrer');
    expect(page.headers.get('cache-control')).toBe('no-store');
    const v = new WsRfbClient(`${url.replace('http', 'ws')}/ws/${key}`);
    await v.ready();
    await v.waitFor(() => v.updates > 0);
    expect(v.fb!.data.some((b) => b !== 0)).toBe(true);
    v.close();
    await v.closed();
    // an unknown key gets the page with a 404 status, and the WebSocket is refused with a reason
    expect((await fetch(`${url}/console/not-a-key`)).status).toBe(404);

    const all = logLines.join('\n');
    expect(logLines.length).toBeGreaterThan(10);
    for (const secret of [TOKEN, PIN, OTHER, OPERATOR, BMC_PASSWORD, key]) expect(all).not.toContain(secret);
    expect(all).toContain('[redacted]');
  });

  it('every error code is documented in docs/errors.md', () => {
    const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
    for (const code of Object.keys(GatewayErrorCodes)) expect(doc, code).toContain(code);
  });
});
