import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENCODING_NAMES } from '../../../src/sources/vnc/encoding-names.js';
import type { Session } from '../../../src/session/session.js';
import { eqPhp, startTestGateway, TEST_TOKEN, type TestGateway } from '../../helpers/gateway.js';
import { expectConverges, fbImage } from '../../helpers/converge.js';
import { isBlank } from '../../helpers/images.js';
import { freePort } from '../../helpers/ports.js';
import { startQemu, type QemuVm } from '../../helpers/qemu.js';

const PASSWORD = 'bmc-pw1';
const ENCODINGS = ['raw', 'hextile', 'zlib', 'tight', 'zrle'] as const;

/** Polls until the gateway's shadow framebuffer equals QEMU's own screendump, pixel for pixel. */
const expectShadowMatchesGuest = (vm: QemuVm, s: Session) =>
  expectConverges(
    () => fbImage(s.fb),
    () => vm.screendump(),
    "the shadow framebuffer vs the guest's screendump",
  );

describe('vnc source against QEMU (password auth)', () => {
  let vm: QemuVm;
  let gw: TestGateway;
  let closedPort: number;
  let hung: Server;
  let hungPort: number;
  let halfHung: Server;
  let halfHungPort: number;

  beforeAll(async () => {
    vm = await startQemu({ mode: 'seabios', vncPassword: PASSWORD });
    await vm.waitForScreen((s) => !isBlank(s), 30_000);
    closedPort = await freePort();
    // A BMC that accepts TCP and then says nothing at all.
    hung = createServer(() => {}).listen(0, '127.0.0.1');
    // A BMC that sends its banner and then hangs mid-handshake.
    halfHung = createServer((sock) => sock.write('RFB 003.008\n')).listen(0, '127.0.0.1');
    await Promise.all([hung, halfHung].map((s) => new Promise((r) => s.once('listening', r))));
    hungPort = (hung.address() as { port: number }).port;
    halfHungPort = (halfHung.address() as { port: number }).port;
    const servers = [
      ...ENCODINGS.map((e) => ({
        id: `qemu-${e}`,
        location: 'NL',
        console: { type: 'vnc', host: '127.0.0.1', port: vm.vncPort, password: PASSWORD, encodings: [e] },
      })),
      { id: 'qemu-default', location: 'NL', console: { type: 'vnc', host: '127.0.0.1', port: vm.vncPort, password: PASSWORD } },
      { id: 'wrong-password', console: { type: 'vnc', host: '127.0.0.1', port: vm.vncPort, password: 'not-it' } },
      { id: 'closed-port', console: { type: 'vnc', host: '127.0.0.1', port: closedPort } },
      { id: 'hung', console: { type: 'vnc', host: '127.0.0.1', port: hungPort, connectTimeout: '1500ms' } },
      { id: 'half-hung', console: { type: 'vnc', host: '127.0.0.1', port: halfHungPort, connectTimeout: '1500ms' } },
    ];
    gw = await startTestGateway({ tokens: [{ token: TEST_TOKEN, pin: '0000', servers: ['*'] }], servers });
  }, 120_000);

  afterAll(async () => {
    await gw?.close();
    await vm?.stop();
    hung?.close();
    halfHung?.close();
  });

  for (const enc of ENCODINGS) {
    it(`keeps the shadow framebuffer equal to the guest with upstream encoding ${enc}`, async () => {
      const { status, body } = await eqPhp(gw, { action: 'novnc', token: TEST_TOKEN, pin: '0000', id: `qemu-${enc}` });
      expect(status, JSON.stringify(body)).toBe(200);
      expect(body.result).toBe('OK');
      expect(body.context).toEqual({ action: 'novnc', id: `qemu-${enc}`, location: 'NL' });
      const session = gw.registry.get(body.key)!;
      expect(session.state).toBe('connected');
      await expectShadowMatchesGuest(vm, session);
      // QEMU really used the encoding we pinned (it falls back to Raw for what it was not offered).
      expect(session.stats.upstreamRects[ENCODING_NAMES[enc]!] ?? 0).toBeGreaterThan(0);
      session.end('test done');
    });
  }

  it('answers the eq.php call with a one-time URL that carries no BMC secret', async () => {
    const { body } = await eqPhp(gw, { action: 'novnc', token: TEST_TOKEN, pin: '0000', id: 'qemu-default' });
    expect(body.scope).toMatch(new RegExp(`^${gw.url}/console/[A-Za-z0-9_-]{43}$`));
    expect(body.scope).not.toContain(PASSWORD);
    expect(body.scope).not.toContain(String(vm.vncPort));
    const page = await (await fetch(body.scope)).text();
    expect(page).not.toContain(PASSWORD);
    expect(page).not.toContain(String(vm.vncPort));
  });

  it('reports a wrong BMC password as its own error', async () => {
    const t0 = Date.now();
    const { status, body } = await eqPhp(gw, { action: 'novnc', token: TEST_TOKEN, pin: '0000', id: 'wrong-password' });
    expect(body.result).toBe('ERROR');
    expect(body.error.code).toBe('GW_ERR_BMC_AUTH_FAILED');
    expect(status).toBe(502);
    expect(body.error.message).not.toContain('not-it');
    expect(Date.now() - t0).toBeLessThan(10_000);
  });

  it('reports a closed port as BMC unreachable', async () => {
    const { status, body } = await eqPhp(gw, { action: 'novnc', token: TEST_TOKEN, pin: '0000', id: 'closed-port' });
    expect(body.error.code).toBe('GW_ERR_BMC_UNREACHABLE');
    expect(status).toBe(502);
    expect(body.error.message).toContain('ECONNREFUSED');
  });

  it('reports a BMC that never speaks as a timeout', async () => {
    const { status, body } = await eqPhp(gw, { action: 'novnc', token: TEST_TOKEN, pin: '0000', id: 'hung' });
    expect(body.error.code).toBe('GW_ERR_BMC_TIMEOUT');
    expect(status).toBe(504);
  });

  it('reports a BMC that hangs mid-handshake as a timeout', async () => {
    const { body } = await eqPhp(gw, { action: 'novnc', token: TEST_TOKEN, pin: '0000', id: 'half-hung' });
    expect(body.error.code).toBe('GW_ERR_BMC_TIMEOUT');
  });
});
