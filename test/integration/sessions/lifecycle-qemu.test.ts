import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCloseUrlServer } from '../../helpers/close-url-server.js';
import { eqPhp, startTestGateway, TEST_TOKEN, type TestGateway } from '../../helpers/gateway.js';
import { isBlank } from '../../helpers/images.js';
import { startQemu, type QemuVm } from '../../helpers/qemu.js';
import { WsRfbClient } from '../../helpers/ws-rfb-client.js';

const PASSWORD = 'life-pw';
const ws = (scope: string) => scope.replace(/^http/, 'ws').replace('/console/', '/ws/');

describe('session endings call the close URL with the reason (QEMU SeaBIOS as the BMC)', () => {
  let vm: QemuVm;
  let panel: Awaited<ReturnType<typeof startCloseUrlServer>>;
  const gateways: TestGateway[] = [];

  async function gateway(sessions: Record<string, unknown>): Promise<TestGateway> {
    const gw = await startTestGateway({
      tokens: [{ token: TEST_TOKEN, servers: ['*'] }],
      servers: [{ id: 'bios', console: { type: 'vnc', host: '127.0.0.1', port: vm.vncPort, password: PASSWORD } }],
      // The panel's close URL servers run on loopback, which only a listed entry allows.
      sessions: { closeUrlAllow: ['127.0.0.1'], ...sessions },
    });
    gateways.push(gw);
    return gw;
  }

  beforeAll(async () => {
    vm = await startQemu({ mode: 'seabios', vncPassword: PASSWORD });
    await vm.waitForScreen((s) => !isBlank(s), 30_000);
    panel = await startCloseUrlServer();
  }, 120_000);

  afterAll(async () => {
    for (const g of gateways) await g.close();
    await panel?.close();
    await vm?.stop();
  });

  const callFor = (key: string) => panel.calls.find((c) => c.body.sessionId === key);

  it('idle: no viewer for sessions.idleTimeout', async () => {
    const gw = await gateway({ idleTimeout: '1s' });
    const { body } = await eqPhp(gw, { action: 'novnc', token: TEST_TOKEN, id: 'bios', closeurl: panel.url });
    await expect.poll(() => callFor(body.key), { timeout: 10_000 }).toBeDefined();
    const call = callFor(body.key)!;
    expect(call.body).toMatchObject({ serverId: 'bios', code: 'idle' });
    expect(call.body.reason).toMatch(/no viewer for 1 s/);
    expect(call.query).toMatchObject({ panel: '1', session: body.key, server: 'bios', reason: 'idle' });
    expect(gw.registry.get(body.key)).toBeUndefined();
  });

  it('input-idle: viewers are warned, then the session ends', async () => {
    const gw = await gateway({ inputIdleTimeout: '3s', inputIdleWarning: '2s' });
    const { body } = await eqPhp(gw, { action: 'novnc', token: TEST_TOKEN, id: 'bios', closeurl: panel.url });
    const v = new WsRfbClient(ws(body.scope));
    await v.ready();
    const session = gw.registry.get(body.key)!;
    await expect.poll(() => session.warning, { timeout: 5_000 }).toMatch(/closes in/);
    // the page reads the warning from the status endpoint
    const key = body.scope.split('/').pop();
    expect(((await (await fetch(`${gw.url}/api/v1/viewer/${key}/status`)).json()) as { warning: string }).warning).toMatch(/closes in/);
    await v.closed();
    expect(v.closeCode).toBe(4000);
    expect(v.closeReason).toMatch(/no input for 3 s/);
    await expect.poll(() => callFor(body.key)?.body.code, { timeout: 5_000 }).toBe('input-idle');
  });

  it('input resets the input-idle clock', async () => {
    const gw = await gateway({ inputIdleTimeout: '2s', inputIdleWarning: '1s' });
    const { body } = await eqPhp(gw, { action: 'novnc', token: TEST_TOKEN, id: 'bios' });
    const v = new WsRfbClient(ws(body.scope));
    await v.ready();
    for (let i = 0; i < 8; i++) {
      v.pointer(10 + i, 10, 0);
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(gw.registry.get(body.key)?.state).toBe('connected');
    v.close();
  });

  it('lifetime: sessions.maxLifetime ends a session even while it is used', async () => {
    const gw = await gateway({ maxLifetime: '2s' });
    const { body } = await eqPhp(gw, { action: 'novnc', token: TEST_TOKEN, id: 'bios', closeurl: panel.url });
    const v = new WsRfbClient(ws(body.scope));
    await v.ready();
    await v.closed();
    expect(v.closeReason).toMatch(/maximum session lifetime/);
    await expect.poll(() => callFor(body.key)?.body.code, { timeout: 5_000 }).toBe('lifetime');
  });

  it('api: DELETE ends the session; the close URL is retried when the panel fails first', async () => {
    const flaky = await startCloseUrlServer({ failFirst: 1 });
    try {
      const gw = await gateway({});
      const { body } = await eqPhp(gw, { action: 'novnc', token: TEST_TOKEN, id: 'bios', closeurl: flaky.url });
      const v = new WsRfbClient(ws(body.scope));
      await v.ready();
      const del = await fetch(`${gw.url}/api/v1/sessions/${body.key}`, { method: 'DELETE', headers: { authorization: `Bearer ${TEST_TOKEN}` } });
      expect(del.status).toBe(204);
      await v.closed();
      expect(v.closeReason).toMatch(/ended by the API/);
      await expect.poll(() => flaky.calls.length, { timeout: 10_000 }).toBe(1);
      expect(flaky.attempts).toBe(2);
      expect(flaky.calls[0]!.body.code).toBe('api');
    } finally {
      await flaky.close();
    }
  });

  it('one-time URLs expire when unused', async () => {
    const gw = await gateway({ urlTtl: '1s' });
    const { body } = await eqPhp(gw, { action: 'novnc', token: TEST_TOKEN, id: 'bios' });
    await new Promise((r) => setTimeout(r, 1500));
    const v = new WsRfbClient(ws(body.scope));
    await expect(v.ready()).rejects.toThrow(/unknown, expired or already used/);
  });
});

describe('unresponsive viewers', () => {
  it('drops a viewer that stops answering WebSocket pings, and keeps the others', async () => {
    const { startDemoServer } = await import('../../../src/sources/demo/demo-server.js');
    const demo = await startDemoServer({});
    const gw = await startTestGateway({
      tokens: [{ token: TEST_TOKEN, servers: ['*'] }],
      servers: [{ id: 'd', console: { type: 'vnc', host: demo.host, port: demo.port } }],
      sessions: { pingInterval: '300ms' },
    });
    try {
      const a = (await eqPhp(gw, { action: 'novnc', token: TEST_TOKEN, id: 'd' })).body;
      const b = (await eqPhp(gw, { action: 'novnc', token: TEST_TOKEN, id: 'd' })).body;
      const mute = new WsRfbClient(ws(a.scope), { autoPong: false });
      const alive = new WsRfbClient(ws(b.scope));
      await Promise.all([mute.ready(), alive.ready()]);
      const session = gw.registry.get(a.key)!;
      expect(session.viewers.size).toBe(2);
      await mute.closed();
      expect(mute.closeCode).toBe(1006); // terminated, no close frame
      await new Promise((r) => setTimeout(r, 1000));
      expect(session.viewers.size).toBe(1);
      expect(alive.closeCode).toBeUndefined();
      alive.close();
    } finally {
      await gw.close();
      await demo.close();
    }
  });
});
