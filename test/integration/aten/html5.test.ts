import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { summarizeRecording } from '../../../bench/fbs-screen.js';
import { encodeQemuExtendedKeyEvent } from '../../../protocols/rfb/client-messages.js';
import { Encoding } from '../../../protocols/rfb/constants.js';
import { testPattern } from '../../helpers/aten/simulator.js';
import { eqPhp, startTestGateway, TEST_TOKEN, type TestGateway } from '../../helpers/gateway.js';
import { WsRfbClient } from '../../helpers/ws-rfb-client.js';
import { atenConsole, meanAbsError, startAtenBmc, until, wsUrl, type AtenBmc } from './helpers.js';

const BROWSER_ENCODINGS = [Encoding.Tight, Encoding.CopyRect, Encoding.Raw, Encoding.DesktopSize, Encoding.QemuExtendedKeyEvent];
// AST2100 at quality selector 7, 4:2:0 (what the simulator sends): edges blur a little, a wrong picture is far above this.
const JPEG_TOLERANCE = 8;

describe('aten console over the HTML5 iKVM (gateway ⇄ simulator: HTTPS login, bootstrap page, WSS on the web port)', () => {
  let x11: AtenBmc; // HTML5-only firmware: no JNLP
  let gw: TestGateway;
  let dir: string;

  beforeAll(async () => {
    x11 = await startAtenBmc({ kvm: { width: 800, height: 600 }, web: { html5: true, jnlpUrlNames: [] } });
    dir = await mkdtemp(join(tmpdir(), 'bmcgw-html5-rec-'));
    gw = await startTestGateway({
      tokens: [{ token: TEST_TOKEN, servers: ['*'] }],
      servers: [
        { id: 'x11', name: 'x11-board', console: atenConsole(x11, { transport: 'html5' }) },
        { id: 'x11-wrong-pw', console: atenConsole(x11, { transport: 'html5', password: 'not-the-password' }) },
      ],
      recording: { dir, servers: ['x11'] },
    });
  });

  afterAll(async () => {
    await gw?.close();
    await x11?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("shows the BMC screen, takes keys, shares one KVM login between viewers, keeps a view-only viewer's keys away, records, and logs out only after the KVM ended", async () => {
    const a = await eqPhp(gw, { action: 'novnc', token: TEST_TOKEN, id: 'x11' });
    expect(a.body.result, JSON.stringify(a.body)).toBe('OK');
    const b = await eqPhp(gw, { action: 'novnc', token: TEST_TOKEN, id: 'x11', view_only: '1' });
    expect(b.body.key).toBe(a.body.key);
    // Web: login, bootstrap page, the console's WebSocket (with the checks the simulator makes), nothing Java.
    expect(x11.web.requests.map((r) => `${r.method} ${r.url}`)).toEqual([
      'POST /cgi/login.cgi',
      'GET /cgi/url_redirect.cgi?url_name=man_ikvm_html5_bootstrap',
      'UPGRADE /',
    ]);
    expect(x11.web.html5!.upgrades.map((u) => u.refused)).toEqual([undefined]);
    expect(x11.kvm.logins).toEqual([{ user: expect.any(String), accepted: true, front: 'html5' }]);

    const v = new WsRfbClient(wsUrl(a.body.scope), { encodings: BROWSER_ENCODINGS });
    const ro = new WsRfbClient(wsUrl(b.body.scope), { encodings: BROWSER_ENCODINGS });
    try {
      await Promise.all([v.ready(), ro.ready()]);
      expect(v.name).toBe('x11-board');
      for (const c of [v, ro]) await c.waitFor(() => c.fb!.width === 800 && meanAbsError(c.fb!.data, x11.kvm.screen.rgbx) < JPEG_TOLERANCE);

      // A resolution change arrives in the AST2100 rectangle's header.
      const next = testPattern(1024, 768).map((x, i) => (i % 4 === 1 ? 255 - x : x));
      x11.kvm.setScreen(1024, 768, next);
      await v.waitFor(() => v.fb!.width === 1024 && meanAbsError(v.fb!.data, next) < JPEG_TOLERANCE);

      // Keys by physical key (Shift held for "A"); the view-only viewer's are dropped by the Session.
      const k0 = x11.kvm.keys.length;
      ro.ws.send(encodeQemuExtendedKeyEvent({ down: true, keysym: 0x7a, keycode: 0x2c }));
      ro.ws.send(encodeQemuExtendedKeyEvent({ down: false, keysym: 0x7a, keycode: 0x2c }));
      for (const [keysym, keycode, down] of [
        [0xffe1, 0x2a, true],
        [0x41, 0x1e, true],
        [0x41, 0x1e, false],
        [0xffe1, 0x2a, false],
      ] as const) {
        v.ws.send(encodeQemuExtendedKeyEvent({ down, keysym, keycode }));
      }
      await until(() => x11.kvm.keys.length >= k0 + 4, 'keys at the simulator');
      await new Promise((r) => setTimeout(r, 300)); // room for the view-only viewer's keys, had they been let through
      expect(x11.kvm.keys.slice(k0)).toEqual([
        { usage: 0xe1, down: true },
        { usage: 0x04, down: true },
        { usage: 0x04, down: false },
        { usage: 0xe1, down: false },
      ]);
      expect(x11.kvm.logins).toHaveLength(1);
    } finally {
      v.close();
      ro.close();
    }

    // End it through the API: the KVM WebSocket closes first, then the web session is logged out.
    const del = await fetch(`${gw.url}/api/v1/sessions/${a.body.key}`, { method: 'DELETE', headers: { authorization: `Bearer ${TEST_TOKEN}` } });
    expect(del.status).toBe(204);
    await until(() => x11.web.logouts === 1, 'the web logout');
    expect(x11.web.logoutsWithOpenConsole).toBe(0);
    expect(x11.web.logoutsWithCsrf).toBe(1);

    // The recording holds what the viewers were shown: the last picture, at 1024x768.
    const files = await readdir(dir);
    const fbs = files.find((f) => f.endsWith('.fbs'));
    expect(fbs, files.join(', ')).toBeDefined();
    // The recorder closes its file asynchronously after the end.
    await until(() => {
      try {
        return summarizeRecording(join(dir, fbs!)).updates > 0;
      } catch {
        return false;
      }
    }, 'a complete recording');
    const summary = summarizeRecording(join(dir, fbs!));
    expect([summary.fb.width, summary.fb.height]).toEqual([1024, 768]);
    expect(meanAbsError(summary.fb.data, x11.kvm.screen.rgbx)).toBeLessThan(JPEG_TOLERANCE);
  });

  it('a refused web password is GW_ERR_BMC_AUTH_FAILED, and no ticket is fetched', async () => {
    const before = x11.web.requests.length;
    const { status, body } = await eqPhp(gw, { action: 'novnc', token: TEST_TOKEN, id: 'x11-wrong-pw' });
    expect(status).toBe(502);
    expect(body.error.code).toBe('GW_ERR_BMC_AUTH_FAILED');
    expect(body.error.message).toMatch(/web login .* refused the credentials/);
    expect(JSON.stringify(body)).not.toContain('not-the-password');
    expect(x11.web.requests.slice(before).map((r) => r.url)).toEqual(['/cgi/login.cgi']);
  });
});

describe('aten console, transport auto and silent HTML5 firmware', () => {
  let silent: AtenBmc; // serves the HTML5 page, never speaks on the WebSocket; the Java iKVM works
  let x9: AtenBmc; // no HTML5 page at all
  let gw: TestGateway;

  beforeAll(async () => {
    [silent, x9] = await Promise.all([
      startAtenBmc({ kvm: { width: 800, height: 600 }, web: { html5: 'silent' } }),
      startAtenBmc({ kvm: { width: 640, height: 480 } }),
    ]);
    gw = await startTestGateway({
      tokens: [{ token: TEST_TOKEN, servers: ['*'] }],
      servers: [
        { id: 'silent-auto', console: atenConsole(silent, { transport: 'auto', connectTimeout: '2s' }) },
        { id: 'silent-html5', console: atenConsole(silent, { transport: 'html5', connectTimeout: '2s' }) },
        { id: 'x9-auto', console: atenConsole(x9, { transport: 'auto' }) },
      ],
    });
  });

  afterAll(async () => {
    await gw?.close();
    await Promise.all([silent?.close(), x9?.close()]);
  });

  it('html5 on firmware whose console WebSocket stays silent: GW_ERR_BMC_TIMEOUT naming the silence, and the web session logged out', async () => {
    const logouts = silent.web.logouts;
    const { status, body } = await eqPhp(gw, { action: 'novnc', token: TEST_TOKEN, id: 'silent-html5' });
    expect(status).toBe(504);
    expect(body.error.code).toBe('GW_ERR_BMC_TIMEOUT');
    expect(body.error.message).toMatch(/accepted the HTML5 console WebSocket at wss:\/\/127\.0\.0\.1:\d+\/ but sent nothing within 2000 ms .*transport: tcp/);
    await until(() => silent.web.logouts === logouts + 1, 'the web logout');
    expect(silent.web.logoutsWithOpenConsole).toBe(0);
  });

  it('auto on the same firmware falls back to the TCP iKVM port and shows the screen', async () => {
    const before = silent.web.requests.length;
    const { body } = await eqPhp(gw, { action: 'novnc', token: TEST_TOKEN, id: 'silent-auto' });
    expect(body.result, JSON.stringify(body)).toBe('OK');
    expect(silent.web.requests.slice(before).map((r) => `${r.method} ${r.url}`)).toEqual([
      'POST /cgi/login.cgi',
      'GET /cgi/url_redirect.cgi?url_name=man_ikvm_html5_bootstrap',
      'UPGRADE /',
      'GET /cgi/url_redirect.cgi?url_name=ikvm&url_type=jwsk',
    ]);
    expect(silent.kvm.logins.map((l) => `${l.front} ${l.accepted}`)).toEqual(['tcp true']);
    const v = new WsRfbClient(wsUrl(body.scope));
    try {
      await v.ready();
      await v.waitFor(() => v.fb!.width === 800 && meanAbsError(v.fb!.data, silent.kvm.screen.rgbx) < JPEG_TOLERANCE);
    } finally {
      v.close();
    }
  });

  it('auto on a board without the HTML5 page goes to TCP at once (one 404, no WebSocket)', async () => {
    const { body } = await eqPhp(gw, { action: 'novnc', token: TEST_TOKEN, id: 'x9-auto' });
    expect(body.result, JSON.stringify(body)).toBe('OK');
    expect(x9.web.requests.map((r) => `${r.method} ${r.url}`)).toEqual([
      'POST /cgi/login.cgi',
      'GET /cgi/url_redirect.cgi?url_name=man_ikvm_html5_bootstrap',
      'GET /cgi/url_redirect.cgi?url_name=ikvm&url_type=jwsk',
    ]);
    const v = new WsRfbClient(wsUrl(body.scope));
    try {
      await v.ready();
      await v.waitFor(() => v.fb!.width === 640 && meanAbsError(v.fb!.data, x9.kvm.screen.rgbx) < JPEG_TOLERANCE);
    } finally {
      v.close();
    }
  });
});
