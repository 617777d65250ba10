import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { eqPhp, TEST_TOKEN } from '../../helpers/gateway.js';
import { keyEventsFor } from '../../helpers/keysyms.js';
import { openBmcConsole, OPENBMC_USERS, startOpenBmcBmc, type OpenBmcBmc } from '../../helpers/openbmc/openbmc-bmc.js';
import { WsRfbClient } from '../../helpers/ws-rfb-client.js';
import { until, wsUrl } from '../aten/helpers.js';
import { rest, startLoggedGateway } from '../ipmi/gateway-helpers.js';

// The SOL page's WebSocket for an OpenBMC server without IPMI: the serial bytes go through bmcweb's
// /console0 (the simulator's echoes them), after a Redfish login that is deleted at the end. Then:
// nothing secret (the BMC password, a wrong one, any X-Auth-Token) reached the log.

let bmc: OpenBmcBmc;
let gw: Awaited<ReturnType<typeof startLoggedGateway>>;

interface SolClient {
  ws: WebSocket;
  received(): Buffer;
  control: { type: string; state?: string; text?: string }[];
  closed: Promise<{ code: number; reason: string }>;
}

function connectSol(scope: string): Promise<SolClient> {
  const u = new URL(scope);
  const ws = new WebSocket(`ws://${u.host}/sol-ws/${u.pathname.split('/').pop()!}`);
  const chunks: Buffer[] = [];
  const control: SolClient['control'] = [];
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  ws.on('message', (data, isBinary) => {
    if (isBinary) chunks.push(Buffer.from(data as Buffer));
    else control.push(JSON.parse(String(data)) as SolClient['control'][number]);
  });
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve({ ws, received: () => Buffer.concat(chunks), control, closed }));
    ws.once('error', reject);
  });
}

beforeAll(async () => {
  bmc = await startOpenBmcBmc();
  gw = await startLoggedGateway({
    tokens: [{ token: TEST_TOKEN, servers: ['*'] }],
    servers: [
      { id: 'obmc', name: 'obmc-1', console: openBmcConsole(bmc.sim) },
      { id: 'obmc-wrong', console: openBmcConsole(bmc.sim, { password: 'wrong-obmc-secret' }) },
      { id: 'bare', console: { type: 'vnc', host: '127.0.0.1', port: 1 } },
    ],
  });
}, 60_000);

afterAll(async () => {
  await gw?.close();
  await bmc?.close();
});

describe('openbmc serial console (action=sol over bmcweb /console0)', () => {
  it('echoes through console0 without IPMI, every message at most 1 KiB, and deletes its Redfish session', async () => {
    const { body } = await eqPhp(gw, { action: 'sol', token: TEST_TOKEN, id: 'obmc' });
    expect(body.result, JSON.stringify(body)).toBe('OK');
    const c = await connectSol(body.scope);
    await until(() => c.control.some((m) => m.state === 'active'), 'the console active');
    expect(bmc.sim.consoleConnections).toBe(1);

    // 3000 random bytes typed (or pasted) come back from the host, whole and in order.
    const typed = randomBytes(3000);
    c.ws.send(typed, { binary: true });
    await until(() => c.received().length >= typed.length, 'the echo', 15_000);
    expect(c.received().equals(typed)).toBe(true);
    expect(Buffer.concat(bmc.sim.consoleInput).equals(typed)).toBe(true);
    expect(bmc.sim.overruns).toBe(0);
    expect(Math.max(...bmc.sim.consoleInput.map((b) => b.length))).toBeLessThanOrEqual(1024);

    // Host output reaches the page; BREAK is not something console0 has: the page is told.
    bmc.sim.consoleWrite(Buffer.from('\r\nlogin: '));
    await until(() => c.received().toString('latin1').endsWith('\r\nlogin: '), 'host output');
    c.ws.send(JSON.stringify({ type: 'break' }));
    await until(() => c.control.some((m) => m.type === 'notice'), 'the BREAK notice');
    expect(c.control.find((m) => m.type === 'notice')!.text).toContain('no serial BREAK');

    // No X-Requested-With; the token on the upgrade.
    const upgrade = bmc.sim.requests.find((r) => r.path === '/console0')!;
    expect(typeof upgrade.headers['x-auth-token']).toBe('string');
    expect(bmc.sim.requests.every((r) => r.headers['x-requested-with'] === undefined)).toBe(true);

    // The end: console closed, every Redfish session (the API's check and the console's) deleted.
    const listed = await rest(gw, 'GET', '/api/v1/sol-sessions', TEST_TOKEN);
    const id = (listed.body.sessions as { id: string }[])[0]!.id;
    expect((await rest(gw, 'DELETE', `/api/v1/sol-sessions/${id}`, TEST_TOKEN)).status).toBe(204);
    const end = await c.closed;
    expect(end.reason).toContain('ended by the API');
    await until(() => bmc.sim.consoleConnections === 0 && bmc.sim.sessions.size === 0, 'console closed and sessions deleted');
    expect(bmc.sim.deleted.length).toBe(2);
  }, 60_000);

  it('refuses with the reason: wrong password (at the API call), no serial console configured', async () => {
    const wrong = await eqPhp(gw, { action: 'sol', token: TEST_TOKEN, id: 'obmc-wrong' });
    expect(wrong.body.error.code).toBe('GW_ERR_BMC_AUTH_FAILED');
    const bare = await eqPhp(gw, { action: 'sol', token: TEST_TOKEN, id: 'bare' });
    expect(bare.body.error.code).toBe('GW_ERR_NO_IPMI');
    expect(bare.body.error.message).toContain('openbmc');
  });

  it('the BMC password and the X-Auth-Tokens never reach the log (KVM and console, errors included)', async () => {
    const { body } = await eqPhp(gw, { action: 'novnc', token: TEST_TOKEN, id: 'obmc' });
    expect(body.result, JSON.stringify(body)).toBe('OK');
    const v = new WsRfbClient(wsUrl(body.scope));
    await v.ready();
    for (const k of keyEventsFor('Aa!')) v.key(k.keysym, k.down);
    expect((await eqPhp(gw, { action: 'novnc', token: TEST_TOKEN, id: 'obmc-wrong' })).body.error.code).toBe('GW_ERR_BMC_AUTH_FAILED');
    const before = bmc.sim.tokens.length;
    bmc.sim.dropKvm(); // a reconnect: a second login, a second token
    await until(() => bmc.sim.tokens.length > before && bmc.sim.kvmConnections === 1, 'a reconnect with a fresh login', 20_000);
    v.close();
    await rest(gw, 'DELETE', `/api/v1/sessions/${body.key}`, TEST_TOKEN);
    await until(() => bmc.sim.sessions.size === 0, 'every Redfish session deleted');

    const log = gw.logText();
    expect(log).toContain('rfb-connected'); // the log did see the source at work
    const secrets = [OPENBMC_USERS.admin.password, 'wrong-obmc-secret', ...bmc.sim.tokens];
    expect(bmc.sim.tokens.length).toBeGreaterThanOrEqual(4); // SOL check + console, KVM + its reconnect
    for (const s of secrets) expect(log, 'a secret in the log').not.toContain(s);
  }, 60_000);
});
