import { existsSync, rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Encoding } from '../../../protocols/rfb/constants.js';
import { eqPhp, startTestGateway, TEST_TOKEN, type TestGateway } from '../../helpers/gateway.js';
import { expectConverges } from '../../helpers/converge.js';
import { fromRgbx, type RgbImage } from '../../helpers/images.js';
import { keyEventsFor } from '../../helpers/keysyms.js';
import { WsRfbClient } from '../../helpers/ws-rfb-client.js';
import { startXvnc, type XvncServer } from '../../helpers/xvnc.js';

const PASSWORD = 'tiger-pw';

/**
 * The X pointer shows in xwd's picture of the root window but not in the VNC framebuffer (we ask for
 * the Cursor pseudo-encoding, so Xvnc sends the pointer's shape apart). The test parks the pointer in
 * the bottom-right corner and compares everything except that corner.
 */
const COMPARED = { x: 0, y: 0, width: 760, height: 560 };

const converge = (x: XvncServer, image: () => RgbImage, what: string) =>
  expectConverges(image, () => x.screenshot(), `${what} vs Xvnc's screen`, { region: COMPARED });

describe('vnc source against TigerVNC Xvnc with an xterm', () => {
  let x: XvncServer;
  let gw: TestGateway;
  const marker = `/tmp/bmcgw-tiger-${process.pid}`;

  beforeAll(async () => {
    x = await startXvnc({ password: PASSWORD, geometry: '800x600' });
    x.startXterm(['-geometry', '80x24+0+0', '-e', '/bin/sh']);
    gw = await startTestGateway({
      tokens: [{ token: TEST_TOKEN, servers: ['*'] }],
      servers: [{ id: 'tiger', console: { type: 'vnc', host: '127.0.0.1', port: x.port, password: PASSWORD } }],
    });
  }, 60_000);

  afterAll(async () => {
    await gw?.close();
    await x?.stop();
    rmSync(marker, { force: true });
  });

  it('mirrors the X screen, forwards CopyRect from a scrolling xterm, and types into the shell', async () => {
    const { body } = await eqPhp(gw, { action: 'novnc', token: TEST_TOKEN, id: 'tiger' });
    expect(body.result, JSON.stringify(body)).toBe('OK');
    const session = gw.registry.get(body.key)!;
    expect(session.fb.width).toBe(800);
    const v = new WsRfbClient(body.scope.replace(/^http/, 'ws').replace('/console/', '/ws/'), {
      encodings: [Encoding.Tight, Encoding.CopyRect, Encoding.Raw, Encoding.DesktopSize],
    });
    await v.ready();
    expect(v.name).toBe('bmcgw-test');
    v.pointer(795, 595, 0);
    await converge(x, () => fromRgbx(session.fb.width, session.fb.height, session.fb.data), 'shadow framebuffer');
    await converge(x, () => fromRgbx(v.fb!.width, v.fb!.height, v.fb!.data), 'viewer');

    // Typing reaches the shell in the xterm: it creates a file. (No window manager: X gives the
    // keyboard to the window under the pointer.)
    v.pointer(100, 100, 0);
    for (const k of keyEventsFor(`touch ${marker}\n`)) v.key(k.keysym, k.down);
    await expect.poll(() => existsSync(marker), { timeout: 15_000 }).toBe(true);

    // Scrolling: Xvnc sends CopyRect for xterm's XCopyArea; the gateway passes it on.
    // (Slowly: a screenful at once makes xterm redraw instead of scrolling.)
    for (const k of keyEventsFor('for i in $(seq 1 40); do echo line $i; sleep 0.05; done\n')) v.key(k.keysym, k.down);
    await expect.poll(() => session.stats.upstreamRects[Encoding.CopyRect] ?? 0, { timeout: 15_000 }).toBeGreaterThan(0);
    v.pointer(795, 595, 0);
    await converge(x, () => fromRgbx(session.fb.width, session.fb.height, session.fb.data), 'shadow framebuffer after scrolling');
    await converge(x, () => fromRgbx(v.fb!.width, v.fb!.height, v.fb!.data), 'viewer after scrolling');
    // ...and the viewer received copies, not only repaints.
    expect(v.rectsByEncoding.get(Encoding.CopyRect) ?? 0).toBeGreaterThan(0);
    v.close();
  });
});
