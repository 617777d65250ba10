import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RGBX_PIXEL_FORMAT } from '../../../protocols/rfb/constants.js';
import { encodeServerInit, ServerHandshake } from '../../../protocols/rfb/server-handshake.js';
import { eqPhp, startTestGateway, TEST_TOKEN, type TestGateway } from '../../helpers/gateway.js';

/** A "BMC" that completes a correct RFB 3.8 handshake, then sends `after`. */
function bmcSending(after: Buffer): Server {
  return createServer((sock) => {
    const hs = new ServerHandshake();
    sock.write(hs.start());
    sock.on('error', () => {});
    let done = false;
    sock.on('data', (d) => {
      if (done) return; // the client's SetPixelFormat etc.: ignored
      const r = hs.receive(d);
      for (const s of r.send) sock.write(s);
      if (r.done) {
        done = true;
        sock.write(encodeServerInit({ width: 640, height: 480, pixelFormat: RGBX_PIXEL_FORMAT, name: 'bad-bmc' }));
        setTimeout(() => sock.write(after), 50);
      }
    });
  }).listen(0, '127.0.0.1');
}

describe('a BMC that sends bad bytes', () => {
  const servers: Server[] = [];
  let gw: TestGateway;

  beforeAll(async () => {
    const garbageBanner = createServer((sock) => sock.end('SSH-2.0-OpenSSH_9.2\r\n')).listen(0, '127.0.0.1');
    const unknownMessage = bmcSending(Buffer.from([0x99, 0, 0, 0]));
    // A FramebufferUpdate whose rectangle lies outside the 640x480 screen.
    const outOfBounds = bmcSending(Buffer.from([0, 0, 0, 1, 0x02, 0x7b, 0, 0, 0, 10, 0, 10, 0, 0, 0, 0])); // x=635, w=10
    servers.push(garbageBanner, unknownMessage, outOfBounds);
    await Promise.all(servers.map((s) => new Promise((r) => (s.listening ? r(null) : s.once('listening', r)))));
    const port = (s: Server) => (s.address() as { port: number }).port;
    gw = await startTestGateway({
      tokens: [{ token: TEST_TOKEN, servers: ['*'] }],
      servers: [
        { id: 'ssh', console: { type: 'vnc', host: '127.0.0.1', port: port(garbageBanner) } },
        { id: 'unknown-msg', console: { type: 'vnc', host: '127.0.0.1', port: port(unknownMessage) } },
        { id: 'oob', console: { type: 'vnc', host: '127.0.0.1', port: port(outOfBounds) } },
        { id: 'ok-neighbour', console: { type: 'vnc', host: '127.0.0.1', port: port(unknownMessage) } },
      ],
      sessions: { reconnectBudget: '2s' },
    });
  });

  afterAll(async () => {
    await gw?.close();
    for (const s of servers) s.close();
  });

  it('refuses a non-RFB banner with a protocol error naming it', async () => {
    const { status, body } = await eqPhp(gw, { action: 'novnc', token: TEST_TOKEN, id: 'ssh' });
    expect(status).toBe(502);
    expect(body.error.code).toBe('GW_ERR_BMC_PROTOCOL');
    expect(body.error.message).toMatch(/RFB_ERR_BAD_VERSION/);
  });

  it.each([
    ['an unknown message type', 'unknown-msg', /RFB_ERR_UNKNOWN_MESSAGE/],
    ['a rectangle outside the screen', 'oob', /RFB_ERR_RECT_OUT_OF_BOUNDS/],
  ])('after the handshake, %s drops that BMC link only, and the session ends once the reconnect budget is spent', async (_l, id, code) => {
    const { body } = await eqPhp(gw, { action: 'novnc', token: TEST_TOKEN, id });
    expect(body.result).toBe('OK');
    const session = gw.registry.get(body.key)!;
    await expect.poll(() => session.state, { timeout: 10_000 }).toBe('ended');
    expect(session.endCode).toBe('bmc-unreachable');
    expect(session.endReason).toMatch(code);
    // the gateway goes on serving
    expect((await fetch(`${gw.url}/healthz`)).status).toBe(200);
  });
});
