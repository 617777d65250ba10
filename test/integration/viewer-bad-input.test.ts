import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemoServer } from '../../src/sources/demo/demo-server.js';
import { eqPhp, startTestGateway, TEST_TOKEN, type TestGateway } from '../helpers/gateway.js';
import { WsRfbClient } from '../helpers/ws-rfb-client.js';

const ws = (scope: string) => scope.replace(/^http/, 'ws').replace('/console/', '/ws/');

/** Opens a raw WebSocket, answers the RFB 3.8 handshake with None, then sends `payload`. */
async function misbehave(url: string, payload: Buffer | string): Promise<{ code: number; reason: string }> {
  const sock = new WebSocket(url);
  return new Promise((resolve, reject) => {
    let step = 0;
    sock.on('error', reject);
    sock.on('close', (code, reason) => resolve({ code, reason: reason.toString() }));
    sock.on('message', () => {
      step++;
      if (step === 1) sock.send(Buffer.from('RFB 003.008\n'));
      else if (step === 2)
        sock.send(Buffer.from([1])); // security None
      else if (step === 3)
        sock.send(Buffer.from([1])); // SecurityResult OK → ClientInit shared
      else if (step === 4) sock.send(payload); // after ServerInit
    });
  });
}

describe('bad bytes from a browser close that viewer only', () => {
  let demo: Awaited<ReturnType<typeof startDemoServer>>;
  let gw: TestGateway;

  beforeAll(async () => {
    demo = await startDemoServer({});
    gw = await startTestGateway({
      tokens: [{ token: TEST_TOKEN, servers: ['*'] }],
      servers: [{ id: 'd', console: { type: 'vnc', host: demo.host, port: demo.port } }],
    });
  });

  afterAll(async () => {
    await gw?.close();
    await demo?.close();
  });

  it.each([
    ['an unknown message type', Buffer.from([0x77, 1, 2, 3]), /RFB_ERR_UNKNOWN_MESSAGE/],
    ['an oversized ClientCutText', Buffer.from([6, 0, 0, 0, 0x7f, 0xff, 0xff, 0xff]), /RFB_ERR_TOO_LARGE/],
    ['a text frame', 'hello', /binary/],
  ])('%s', async (_label, payload, reason) => {
    const good = new WsRfbClient(ws((await eqPhp(gw, { action: 'novnc', token: TEST_TOKEN, id: 'd' })).body.scope));
    await good.ready();
    const session = [...gw.registry.list()][0]!;
    const bad = await misbehave(ws((await eqPhp(gw, { action: 'novnc', token: TEST_TOKEN, id: 'd' })).body.scope), payload);
    expect(bad.code).toBe(4001);
    expect(bad.reason).toMatch(reason);
    // the other viewer and the session are unharmed
    const before = good.updates;
    good.key(0x61, true);
    good.key(0x61, false);
    await good.waitFor(() => good.updates > before);
    expect(good.closeCode).toBeUndefined();
    expect(session.state).toBe('connected');
    good.close();
  });

  it('a garbled handshake is refused without touching the session', async () => {
    const url = ws((await eqPhp(gw, { action: 'novnc', token: TEST_TOKEN, id: 'd' })).body.scope);
    const sock = new WebSocket(url);
    const closed = new Promise<{ code: number; reason: string }>((resolve) => sock.on('close', (code, r) => resolve({ code, reason: r.toString() })));
    sock.on('message', () => sock.send(Buffer.from('GET / HTTP/1.1\r\n\r\n')));
    const c = await closed;
    expect(c.code).toBe(4001);
    expect(c.reason).toMatch(/RFB_ERR_BAD_VERSION/);
  });
});
