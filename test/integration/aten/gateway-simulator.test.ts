import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeQemuExtendedKeyEvent } from '../../../protocols/rfb/client-messages.js';
import { Encoding } from '../../../protocols/rfb/constants.js';
import { testPattern } from '../../helpers/aten/simulator.js';
import { eqPhp, startTestGateway, TEST_TOKEN, type TestGateway } from '../../helpers/gateway.js';
import { WsRfbClient } from '../../helpers/ws-rfb-client.js';
import { atenConsole, BMC_PASSWORD, meanAbsError, startAtenBmc, until, wsUrl, type AtenBmc } from './helpers.js';

/** What noVNC lists (minus encodings our test client cannot decode), including the QEMU Extended Key Event pseudo-encoding. */
const BROWSER_ENCODINGS = [Encoding.Tight, Encoding.CopyRect, Encoding.Raw, Encoding.DesktopSize, Encoding.QemuExtendedKeyEvent];

/** The simulator's pattern with its gradient half inverted, so a new screen differs from the old one everywhere below the bars. */
function otherPattern(width: number, height: number): Uint8Array {
  const p = testPattern(width, height);
  for (let i = Math.floor(height / 2) * width * 4; i < p.length; i += 4) {
    p[i] = 255 - p[i]!;
    p[i + 1] = 255 - p[i + 1]!;
  }
  return p;
}

function darkShare(rgbx: Uint8Array): number {
  let dark = 0;
  for (let i = 0; i < rgbx.length; i += 4) if (rgbx[i]! < 16 && rgbx[i + 1]! < 16 && rgbx[i + 2]! < 16) dark++;
  return dark / (rgbx.length / 4);
}

// JPEG (AST2100 at quality selector 7, 4:2:0) blurs the colour bars' edges; a wrong picture is far above this.
const JPEG_TOLERANCE = 8;

describe('aten console: gateway ⇄ ATEN BMC simulator (HTTPS with a self-signed certificate, KVM over TCP)', () => {
  let bmc: AtenBmc;
  let gw: TestGateway;

  beforeAll(async () => {
    bmc = await startAtenBmc({ kvm: { width: 800, height: 600, maxSessions: 1 } });
    gw = await startTestGateway({
      tokens: [{ token: TEST_TOKEN, servers: ['*'] }],
      servers: [
        { id: 'x9', name: 'x9-board', console: atenConsole(bmc) },
        { id: 'x9-wrong-pw', console: atenConsole(bmc, { password: 'not-the-password' }) },
        { id: 'x9-strict-tls', console: atenConsole(bmc, { insecureTls: false }) },
      ],
    });
  });

  afterAll(async () => {
    await gw?.close();
    await bmc?.close();
  });

  it('logs in on the web side, takes the JNLP one-time credentials, and shows the BMC screen at 800x600 and then 1024x768', async () => {
    const { status, body } = await eqPhp(gw, { action: 'novnc', token: TEST_TOKEN, id: 'x9' });
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body.result).toBe('OK');

    // Web: login form with the configured credentials, then the iKVM JNLP with the session cookie.
    const reqs = bmc.web.requests.map((r) => `${r.method} ${r.url}`);
    expect(reqs.slice(0, 2)).toEqual(['POST /cgi/login.cgi', 'GET /cgi/url_redirect.cgi?url_name=ikvm&url_type=jwsk']);
    expect(new URLSearchParams(bmc.web.requests[0]!.body).get('pwd')).toBe(BMC_PASSWORD);
    // KVM: the credentials presented are the single-use ones the JNLP minted (the simulator checks them).
    expect(bmc.kvm.logins).toHaveLength(1);
    expect(bmc.kvm.logins[0]!.accepted).toBe(true);
    expect(bmc.kvm.logins[0]!.user).not.toBe('ADMIN');
    expect(bmc.kvm.mouseModes.length).toBeGreaterThan(0);

    const v = new WsRfbClient(wsUrl(body.scope), { encodings: BROWSER_ENCODINGS });
    try {
      await v.ready();
      expect(v.name).toBe('x9-board');
      await v.waitFor(() => v.fb!.width === 800 && v.fb!.height === 600 && meanAbsError(v.fb!.data, bmc.kvm.screen.rgbx) < JPEG_TOLERANCE);
      // The viewer listed -258: the gateway confirmed it, so noVNC would send scancodes.
      expect(v.messages.some((m) => m.type === 'qemu-extended-key-event')).toBe(true);

      // A resolution change on the host arrives in the video rectangle's header; the viewer gets DesktopSize and the new picture.
      const next = otherPattern(1024, 768);
      bmc.kvm.setScreen(1024, 768, next);
      await v.waitFor(() => v.fb!.width === 1024 && v.fb!.height === 768 && meanAbsError(v.fb!.data, next) < JPEG_TOLERANCE);
      expect(v.messages.some((m) => m.type === 'desktop-size' && m.width === 1024 && m.height === 768)).toBe(true);

      // The 0x15 keep-alive goes out every 3 s.
      await until(() => bmc.kvm.keepAlives >= 1, 'an ATEN keep-alive', 6000);
    } finally {
      v.close();
    }
  });

  it('sends keys as HID usages by physical key (scancode), keysyms as the fallback, and absolute pointer events', async () => {
    const { body } = await eqPhp(gw, { action: 'novnc', token: TEST_TOKEN, id: 'x9' });
    const v = new WsRfbClient(wsUrl(body.scope), { encodings: BROWSER_ENCODINGS });
    try {
      await v.ready();
      await v.waitFor(() => v.updates > 0);
      const before = bmc.kvm.keys.length;
      const ext = (keysym: number, keycode: number) => {
        v.ws.send(encodeQemuExtendedKeyEvent({ down: true, keysym, keycode }));
        v.ws.send(encodeQemuExtendedKeyEvent({ down: false, keysym, keycode }));
      };
      // AZERTY: the key that types "q" is the US "A" key (scancode 0x1E) → usage 0x04, not Q's 0x14.
      ext(0x71, 0x1e);
      // Right Control: E0 1D, sent by RFB as 0x9D → usage 0xE4.
      ext(0xffe4, 0x9d);
      // Plain KeyEvents (a client without scancodes): F1 and "b" on a US layout.
      v.key(0xffbe, true);
      v.key(0xffbe, false);
      v.key(0x62, true);
      v.key(0x62, false);
      v.pointer(123, 456, 1);
      v.pointer(124, 457, 0);
      await until(() => bmc.kvm.keys.length >= before + 8 && bmc.kvm.pointer.some((p) => p.x === 124), 'keys and pointer at the simulator');
      expect(bmc.kvm.keys.slice(before)).toEqual([
        { usage: 0x04, down: true },
        { usage: 0x04, down: false },
        { usage: 0xe4, down: true },
        { usage: 0xe4, down: false },
        { usage: 0x3a, down: true },
        { usage: 0x3a, down: false },
        { usage: 0x05, down: true },
        { usage: 0x05, down: false },
      ]);
      expect(bmc.kvm.pointer.slice(-2)).toEqual([
        { x: 123, y: 456, buttons: 1 },
        { x: 124, y: 457, buttons: 0 },
      ]);
    } finally {
      v.close();
    }
  });

  it('a second API open joins the existing Session: the BMC (one KVM session only) sees one login', async () => {
    const a = await eqPhp(gw, { action: 'novnc', token: TEST_TOKEN, id: 'x9' });
    const b = await eqPhp(gw, { action: 'novnc', token: TEST_TOKEN, id: 'x9' });
    expect(a.body.result).toBe('OK');
    expect(b.body.result).toBe('OK');
    expect(b.body.key).toBe(a.body.key);
    expect(gw.registry.list().filter((s) => s.server.id === 'x9')).toHaveLength(1);
    expect(bmc.kvm.logins).toHaveLength(1);
    const v1 = new WsRfbClient(wsUrl(a.body.scope));
    const v2 = new WsRfbClient(wsUrl(b.body.scope));
    try {
      await Promise.all([v1.ready(), v2.ready()]);
      const screen = bmc.kvm.screen;
      for (const v of [v1, v2]) await v.waitFor(() => v.fb!.width === screen.width && meanAbsError(v.fb!.data, screen.rgbx) < JPEG_TOLERANCE);
    } finally {
      v1.close();
      v2.close();
    }
  });

  it('shows NO SIGNAL without resizing while the host is off, polls about once a second, and recovers', async () => {
    const { body } = await eqPhp(gw, { action: 'novnc', token: TEST_TOKEN, id: 'x9' });
    const v = new WsRfbClient(wsUrl(body.scope), { encodings: BROWSER_ENCODINGS });
    try {
      await v.ready();
      const { width, height } = bmc.kvm.screen;
      await v.waitFor(() => v.fb!.width === width && meanAbsError(v.fb!.data, bmc.kvm.screen.rgbx) < JPEG_TOLERANCE);
      bmc.kvm.setNoSignal(true);
      await v.waitFor(() => darkShare(v.fb!.data) > 0.95);
      // The sentinel rectangle's "size" (0xFD80 x 0xFE20) never becomes the screen size.
      expect([v.fb!.width, v.fb!.height]).toEqual([width, height]);
      const lit = darkShare(v.fb!.data);
      expect(lit, 'the NO SIGNAL text is drawn').toBeLessThan(1);
      const requests = bmc.kvm.framebufferUpdateRequests;
      await new Promise((r) => setTimeout(r, 2600));
      const polls = bmc.kvm.framebufferUpdateRequests - requests;
      expect(polls).toBeGreaterThanOrEqual(2);
      expect(polls).toBeLessThanOrEqual(5);
      const back = testPattern(width, height);
      bmc.kvm.setScreen(width, height, back);
      await v.waitFor(() => meanAbsError(v.fb!.data, back) < JPEG_TOLERANCE);
    } finally {
      v.close();
    }
  });

  it('refused web credentials are a clear API error (GW_ERR_BMC_AUTH_FAILED), and no KVM login is tried', async () => {
    const logins = bmc.kvm.logins.length;
    const { status, body } = await eqPhp(gw, { action: 'novnc', token: TEST_TOKEN, id: 'x9-wrong-pw' });
    expect(status).toBe(502);
    expect(body.result).toBe('ERROR');
    expect(body.error.code).toBe('GW_ERR_BMC_AUTH_FAILED');
    expect(body.error.message).toMatch(/web login .* refused the credentials/);
    expect(body.error.message).not.toContain('not-the-password');
    expect(bmc.kvm.logins.length).toBe(logins);
  });

  it('a self-signed BMC certificate is refused unless insecureTls is set', async () => {
    const { status, body } = await eqPhp(gw, { action: 'novnc', token: TEST_TOKEN, id: 'x9-strict-tls' });
    expect(status).toBe(502);
    expect(body.error.code).toBe('GW_ERR_BMC_UNREACHABLE');
    expect(body.error.message).toMatch(/certificate/i);
  });
});

describe('aten console: other BMC shapes', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  it('HTTP-only BMC reached through httpFallback, Hermon video (sent as encoding 0 by old firmware)', async () => {
    const bmc = await startAtenBmc({ http: true, kvm: { video: 'hermon', hermonAsEncoding0: true, width: 800, height: 600 } });
    cleanups.push(() => bmc.close());
    const gw = await startTestGateway({
      tokens: [{ token: TEST_TOKEN, servers: ['*'] }],
      servers: [{ id: 'x8', console: atenConsole(bmc, { httpFallback: true }) }],
    });
    cleanups.push(() => gw.close());
    const { body } = await eqPhp(gw, { action: 'novnc', token: TEST_TOKEN, id: 'x8' });
    expect(body.result, JSON.stringify(body)).toBe('OK');
    const v = new WsRfbClient(wsUrl(body.scope));
    try {
      await v.ready();
      // RGB555 loses the low three bits of each channel, nothing more.
      await v.waitFor(() => v.fb!.width === 800 && meanAbsError(v.fb!.data, bmc.kvm.screen.rgbx) < 4);
    } finally {
      v.close();
    }
  });

  it('a TLS 1.1-only BMC (X8/X9 firmware) is reached only with legacyTls; AST2100 4:4:4 video', async () => {
    const bmc = await startAtenBmc({
      tls: { minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT:@SECLEVEL=0' },
      kvm: { subsampling: 444, width: 800, height: 600 },
    });
    cleanups.push(() => bmc.close());
    const gw = await startTestGateway({
      tokens: [{ token: TEST_TOKEN, servers: ['*'] }],
      servers: [
        { id: 'modern-only', console: atenConsole(bmc) },
        { id: 'legacy', console: atenConsole(bmc, { legacyTls: true }) },
      ],
    });
    cleanups.push(() => gw.close());
    const refused = await eqPhp(gw, { action: 'novnc', token: TEST_TOKEN, id: 'modern-only' });
    expect(refused.status).toBe(502);
    expect(refused.body.error.code).toBe('GW_ERR_BMC_UNREACHABLE');
    const { body } = await eqPhp(gw, { action: 'novnc', token: TEST_TOKEN, id: 'legacy' });
    expect(body.result, JSON.stringify(body)).toBe('OK');
    const v = new WsRfbClient(wsUrl(body.scope));
    try {
      await v.ready();
      await v.waitFor(() => v.fb!.width === 800 && meanAbsError(v.fb!.data, bmc.kvm.screen.rgbx) < JPEG_TOLERANCE);
    } finally {
      v.close();
    }
  });

  it('after the KVM link drops, the Session logs in again with fresh one-time credentials and its viewer stays', async () => {
    const bmc = await startAtenBmc({ kvm: { width: 800, height: 600 } });
    cleanups.push(() => bmc.close());
    const gw = await startTestGateway({ tokens: [{ token: TEST_TOKEN, servers: ['*'] }], servers: [{ id: 'x9', console: atenConsole(bmc) }] });
    cleanups.push(() => gw.close());
    const { body } = await eqPhp(gw, { action: 'novnc', token: TEST_TOKEN, id: 'x9' });
    const v = new WsRfbClient(wsUrl(body.scope));
    try {
      await v.ready();
      await v.waitFor(() => meanAbsError(v.fb!.data, bmc.kvm.screen.rgbx) < JPEG_TOLERANCE);
      bmc.kvm.dropSessions();
      await until(() => bmc.kvm.logins.filter((l) => l.accepted).length === 2, 'a second KVM login', 15_000);
      expect(new Set(bmc.kvm.logins.map((l) => l.user)).size).toBe(2);
      const next = otherPattern(800, 600);
      bmc.kvm.setScreen(800, 600, next);
      await v.waitFor(() => meanAbsError(v.fb!.data, next) < JPEG_TOLERANCE);
      expect(v.closeCode).toBeUndefined();
    } finally {
      v.close();
    }
  });

  it('a BMC whose only KVM session is held elsewhere refuses the one-time credentials: GW_ERR_BMC_AUTH_FAILED', async () => {
    const bmc = await startAtenBmc({ kvm: { maxSessions: 1 } });
    cleanups.push(() => bmc.close());
    const cfg = { tokens: [{ token: TEST_TOKEN, servers: ['*'] }], servers: [{ id: 'x9', console: atenConsole(bmc) }] };
    const gw1 = await startTestGateway(cfg);
    cleanups.push(() => gw1.close());
    const gw2 = await startTestGateway(cfg);
    cleanups.push(() => gw2.close());
    expect((await eqPhp(gw1, { action: 'novnc', token: TEST_TOKEN, id: 'x9' })).body.result).toBe('OK');
    const { status, body } = await eqPhp(gw2, { action: 'novnc', token: TEST_TOKEN, id: 'x9' });
    expect(status).toBe(502);
    expect(body.error.code).toBe('GW_ERR_BMC_AUTH_FAILED');
    expect(body.error.message).toMatch(/one-time KVM credentials/);
    expect(bmc.kvm.logins.map((l) => l.accepted)).toEqual([true, false]);
  });
});
