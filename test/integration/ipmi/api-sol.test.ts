import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { IpmiService } from '../../../src/ipmi/ipmi-service.js';
import { eqPhp, TEST_TOKEN } from '../../helpers/gateway.js';
import { SIM_USERS, startIpmiSim, type IpmiSim } from '../../helpers/ipmi-sim.js';
import { rest, startLoggedGateway, waitFor } from './gateway-helpers.js';

// The serial console through the gateway: API → one-time URL → WebSocket /sol-ws/:key → SOL on
// OpenIPMI ipmi_sim (suite 3) → the TCP "serial port" the sim helper listens on. A plain WebSocket
// client stands in for the page here (the page itself is driven by Chromium in test/e2e/sol-page.test.ts).

let sim: IpmiSim;
let serial: Socket;
let gw: Awaited<ReturnType<typeof startLoggedGateway>>;
let closeServer: Server;
let closeUrl: string;
const notices: Record<string, unknown>[] = [];

interface SolClient {
  ws: WebSocket;
  received(): Buffer;
  states: string[];
  closed: Promise<{ code: number; reason: string }>;
}

function connect(url: string, o: { autoPong?: boolean } = {}): Promise<SolClient> {
  const key = new URL(url).pathname.split('/').pop()!;
  const u = new URL(url);
  const ws = new WebSocket(`ws://${u.host}/sol-ws/${key}`, { autoPong: o.autoPong ?? true });
  const chunks: Buffer[] = [];
  const states: string[] = [];
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  ws.on('message', (data, isBinary) => {
    if (isBinary) chunks.push(Buffer.from(data as Buffer));
    else states.push((JSON.parse(String(data)) as { state: string }).state);
  });
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve({ ws, received: () => Buffer.concat(chunks), states, closed }));
    ws.once('error', reject);
  });
}

async function openSol(id = 's1', extra: Record<string, string> = {}): Promise<{ status: number; body: any }> {
  return eqPhp(gw, { action: 'sol', token: TEST_TOKEN, id, ...extra });
}

/** Bytes that reached ipmi_sim's serial port, collected from now on. */
function serialCollector(): { bytes(): Buffer; stop(): void } {
  const got: Buffer[] = [];
  const on = (d: Buffer) => got.push(d);
  serial.on('data', on);
  return { bytes: () => Buffer.concat(got), stop: () => serial.off('data', on) };
}

beforeAll(async () => {
  sim = await startIpmiSim();
  serial = await sim.serial();
  closeServer = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => {
      body += d.toString();
    });
    req.on('end', () => {
      notices.push(JSON.parse(body) as Record<string, unknown>);
      res.end('ok');
    });
  });
  await new Promise<void>((r) => closeServer.listen(0, '127.0.0.1', r));
  closeUrl = `http://127.0.0.1:${(closeServer.address() as { port: number }).port}/closed`;
  gw = await startLoggedGateway({
    tokens: [{ token: TEST_TOKEN, name: 'panel', servers: ['s1', 's1-takeover', 'badpw', 'kvm-only'] }],
    servers: [
      { id: 's1', name: 'web-1', ipmi: { host: '127.0.0.1', port: sim.port, ...SIM_USERS.admin, cipherSuite: 3 } },
      // The same BMC through another user, so it gets its own IPMI session (sessions are per host:port:user).
      { id: 's1-takeover', ipmi: { host: '127.0.0.1', port: sim.port, ...SIM_USERS.operator, privilege: 'OPERATOR', cipherSuite: 3, solTakeover: true } },
      { id: 'badpw', ipmi: { host: '127.0.0.1', port: sim.port, user: 'admin', password: 'wrong-one', cipherSuite: 3 } },
      { id: 'kvm-only', console: { type: 'vnc', host: '127.0.0.1', port: 5999 } },
    ],
    sessions: { idleTimeout: '2500ms', pingInterval: '300ms', closeUrlAllow: ['127.0.0.1'] },
  });
}, 30_000);

afterAll(async () => {
  await gw?.close();
  await new Promise((r) => closeServer?.close(r));
  await sim?.stop();
});

describe('SOL through the gateway (ipmi_sim, suite 3)', () => {
  it('carries 64 KiB of mixed bytes each way through the WebSocket, nothing lost or reordered', async () => {
    const res = await openSol('s1', { closeurl: closeUrl });
    expect(res.body).toMatchObject({ result: 'OK', context: { action: 'sol', id: 's1', location: null }, joined: false });
    expect(res.body.scope).toMatch(new RegExp(`^${gw.url}/sol/[A-Za-z0-9_-]{43}$`));
    const page = await fetch(res.body.scope);
    expect(page.status).toBe(200);
    expect(await page.text()).toMatch(/\/assets\/sol-[A-Z0-9]{8}\.js/);

    const atSerial = serialCollector();
    const client = await connect(res.body.scope);
    await waitFor(
      () => client.states,
      (s) => s.includes('active'),
      10_000,
    );
    expect(client.states).toEqual(['activating', 'active']);

    const toBmc = randomBytes(64 * 1024 + 321);
    const fromBmc = randomBytes(64 * 1024 + 123);
    // The page sends what xterm hands it, a few bytes at a time; a paste is one bigger frame. Mix both.
    for (let off = 0; off < toBmc.length;) {
      const n = off % 7 === 0 ? 4096 : 1 + (off % 97);
      client.ws.send(toBmc.subarray(off, off + n));
      off += n;
    }
    serial.write(fromBmc);
    await waitFor(
      () => [atSerial.bytes().length, client.received().length],
      ([a, b]) => a! >= toBmc.length && b! >= fromBmc.length,
      90_000,
    );
    atSerial.stop();
    expect(atSerial.bytes().length).toBe(toBmc.length);
    expect(atSerial.bytes().equals(toBmc)).toBe(true);
    expect(client.received().length).toBe(fromBmc.length);
    expect(client.received().equals(fromBmc)).toBe(true);

    const listed = await rest(gw, 'GET', '/api/v1/sol-sessions', TEST_TOKEN);
    expect(listed.body.sessions).toEqual([
      expect.objectContaining({
        id: res.body.key,
        serverId: 's1',
        type: 'sol',
        state: 'active',
        viewers: 1,
        bytesToBmc: toBmc.length,
        bytesFromBmc: fromBmc.length,
      }),
    ]);

    client.ws.close();
    await client.closed;
  }, 120_000);

  it('shares one console between viewers; a key works once; SOL is given back when the last viewer leaves', async () => {
    const a = await openSol();
    const b = await rest(gw, 'POST', '/api/v1/servers/s1/sol', TEST_TOKEN, {});
    expect(b.status).toBe(200); // the second URL joins the live session of the first
    expect(b.body).toMatchObject({ id: a.body.key, serverId: 's1', joined: true });
    const va = await connect(a.body.scope);
    const vb = await connect(b.body.url);
    await waitFor(
      () => [va.states, vb.states],
      ([x, y]) => x!.includes('active') && y!.includes('active'),
      10_000,
    );

    const reused = await connect(a.body.scope);
    const why = await reused.closed;
    expect(why.code).toBe(4000);
    expect(why.reason).toMatch(/unknown, expired or already used/);

    serial.write('both see this\r\n');
    await waitFor(
      () => [va.received(), vb.received()],
      (r) => r.every((x) => x.includes('both see this')),
      10_000,
    );
    expect(va.received().toString()).toBe('both see this\r\n');
    expect(vb.received().toString()).toBe('both see this\r\n');
    const atSerial = serialCollector();
    vb.ws.send(Buffer.from('typed in b\r'));
    await waitFor(
      () => atSerial.bytes().toString(),
      (s) => s.includes('typed in b\r'),
      10_000,
    );
    atSerial.stop();
    expect(atSerial.bytes().toString()).toBe('typed in b\r');

    va.ws.close();
    vb.ws.close();
    await Promise.all([va.closed, vb.closed]);
    // Deactivated: another client can activate SOL without taking it over.
    const other = new IpmiService({ timeoutMs: 300, retryBackoffMs: 100, attempts: 3 });
    try {
      const target = { host: sim.host, port: sim.port, ...SIM_USERS.admin, cipherSuites: [3], privilege: 'ADMINISTRATOR' as const };
      const sol = await waitFor(
        () => other.openSol(target).catch((e: Error) => e),
        (r) => !(r instanceof Error),
        5000,
      );
      expect(sol).not.toBeInstanceOf(Error);
      if (!(sol instanceof Error)) await sol.close();
    } finally {
      await other.close();
    }
  }, 60_000);

  it('an idle console ends after sessions.idleTimeout: close URL called, the page is told why', async () => {
    const res = await openSol('s1', { closeurl: closeUrl });
    const key = new URL(res.body.scope).pathname.split('/').pop()!;
    const v = await connect(res.body.scope);
    await waitFor(
      () => v.states,
      (s) => s.includes('active'),
      10_000,
    );
    v.ws.close();
    await v.closed;
    const n = await waitFor(
      () => notices.filter((x) => x.sessionId === res.body.key),
      (l) => l.length > 0,
      10_000,
    );
    expect(n[0]).toMatchObject({ serverId: 's1', code: 'idle' });
    expect((await rest(gw, 'GET', `/api/v1/sol-viewer/${key}/status`, undefined)).body).toEqual({
      state: 'ended',
      reason: expect.stringMatching(/^no viewer for/),
      code: 'idle',
    });
    expect(gw.logLines.find((l) => l.event === 'audit' && l.action === 'sol.end' && l.session === res.body.key)).toMatchObject({ result: 'idle' });
  }, 30_000);

  it('DELETE /api/v1/sol-sessions/:id ends it and the viewer gets the reason', async () => {
    const res = await rest(gw, 'POST', '/api/v1/servers/s1/sol', TEST_TOKEN, {});
    expect(res.status).toBe(201);
    const v = await connect(res.body.url);
    await waitFor(
      () => v.states,
      (s) => s.includes('active'),
      10_000,
    );
    expect((await rest(gw, 'DELETE', `/api/v1/sol-sessions/${res.body.id}`, TEST_TOKEN)).status).toBe(204);
    const why = await v.closed;
    expect(why).toEqual({ code: 4000, reason: 'the serial console has ended: ended by the API (panel)' });
    expect((await rest(gw, 'DELETE', `/api/v1/sol-sessions/${res.body.id}`, TEST_TOKEN)).body.error.code).toBe('GW_ERR_UNKNOWN_SESSION');
  }, 30_000);

  it('SOL held by another session: the page is told why, unless solTakeover lets it take SOL over', async () => {
    const other = new IpmiService({ timeoutMs: 300, retryBackoffMs: 100, attempts: 3 });
    try {
      const target = { host: sim.host, port: sim.port, ...SIM_USERS.admin, cipherSuites: [3], privilege: 'ADMINISTRATOR' as const };
      const held = await other.openSol(target);
      const refused = await connect((await openSol('s1')).body.scope);
      const why = await refused.closed;
      expect(why.code).toBe(4000);
      expect(why.reason).toContain('IPMI_ERR_SOL_ALREADY_ACTIVE');

      const res = await openSol('s1-takeover');
      const v = await connect(res.body.scope);
      await waitFor(
        () => v.states,
        (s) => s.includes('active'),
        10_000,
      );
      expect(v.states).toContain('active');
      const atSerial = serialCollector();
      v.ws.send(Buffer.from('taken over\r'));
      await waitFor(
        () => atSerial.bytes().toString(),
        (t) => t.includes('taken over\r'),
        10_000,
      );
      atSerial.stop();
      expect(atSerial.bytes().toString()).toBe('taken over\r');
      v.ws.close();
      await v.closed;
      await held.close();
    } finally {
      await other.close();
    }
  }, 60_000);

  it('a viewer that stops answering pings is dropped (sessions.pingInterval), one that answers stays', async () => {
    const live = await connect((await openSol()).body.scope);
    const dead = await connect((await openSol()).body.scope, { autoPong: false });
    const started = Date.now();
    const closed = await Promise.race([dead.closed, new Promise<null>((r) => setTimeout(() => r(null), 5000))]);
    expect(closed).not.toBeNull();
    expect(Date.now() - started).toBeLessThan(3000);
    expect(live.ws.readyState).toBe(WebSocket.OPEN);
    live.ws.close();
    await live.closed;
  }, 30_000);

  it('errors come at API time: wrong BMC password, no ipmi, unknown key', async () => {
    const bad = await openSol('badpw');
    expect(bad.status).toBe(502);
    expect(bad.body.error.code).toBe('IPMI_ERR_BAD_PASSWORD');
    const none = await openSol('kvm-only');
    expect(none.body.error.code).toBe('GW_ERR_NO_IPMI');
    const page = await fetch(`${gw.url}/sol/not-a-key`);
    expect(page.status).toBe(404);
    expect((await rest(gw, 'GET', '/api/v1/sol-viewer/not-a-key/status', undefined)).body.error.code).toBe('GW_ERR_VIEWER_URL_INVALID');
    // The one-time keys never reach the log in clear.
    expect(gw.logText()).toContain('/sol-ws/[redacted]');
    expect(gw.logText()).not.toMatch(/\/sol(-ws)?\/[A-Za-z0-9_-]{43}/);
  });
});
