import { existsSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeClientCutText } from '../../../protocols/rfb/client-messages.js';
import { Encoding } from '../../../protocols/rfb/constants.js';
import { decodeTightJpeg } from '../../../protocols/rfb/encodings/tight-jpeg.js';
import { Framebuffer } from '../../../protocols/rfb/framebuffer.js';
import { fbImage } from '../../helpers/converge.js';
import { eqPhp, startTestGateway, TEST_TOKEN, type TestGateway } from '../../helpers/gateway.js';
import { keyEventsFor } from '../../helpers/keysyms.js';
import { meanAbsErrorIn, openBmcConsole, OPENBMC_USERS, PHOTO, startOpenBmcBmc, XTERM_AT, type OpenBmcBmc } from '../../helpers/openbmc/openbmc-bmc.js';
import { WsRfbClient } from '../../helpers/ws-rfb-client.js';
import { until, wsUrl } from '../aten/helpers.js';

// The gateway's openbmc console against the OpenBMC simulator (Redfish session login, bmcweb's
// WebSocket checks and 1 KiB limit) with TigerVNC Xvnc behind /kvm/0 forced to Tight JPEG: the
// JPEG the gateway decodes comes from libjpeg-turbo.

/**
 * JPEG is lossy: the gateway's picture cannot equal the X screen. The simulator forces TigerVNC's
 * quality level 2 (JPEG quality 41, 4:2:0 like the ASPEED engine's 4:2:0 setting); once the screen is
 * still, TigerVNC resends lossy areas at its highest JPEG quality ("lossless refresh"), which is what
 * the final comparison sees: a mean error below 1 level a channel over the photo-like area. A wrong
 * decode (swapped chroma, a shifted block grid, a wrong colour transform, a rectangle in the wrong
 * place) is tens of levels off, so 6 separates the two with room to spare. The 4:2:0 rectangles
 * before it are decoded too: a decode error would end the link (the session would reconnect, which
 * the test forbids). Areas Xvnc sends losslessly (the xterm, the black root) must match within 1.
 */
const JPEG_MEAN_TOLERANCE = 6;
/** JPEG quality 41 with 4:2:0 on the photo-like picture: a mean error of a few levels; wrong decodes are tens off. */
const JPEG_41_TOLERANCE = 8;

/** "4:2:0", "4:4:4", … from the luma component's sampling factors in the JPEG's frame header. */
function jpegSampling(jpeg: Buffer): string {
  for (let off = 2; off + 4 < jpeg.length;) {
    const marker = jpeg[off + 1]!;
    const len = jpeg.readUInt16BE(off + 2);
    if (marker === 0xc0 || marker === 0xc2) {
      const hv = jpeg[off + 11]!;
      return ({ 0x22: '4:2:0', 0x21: '4:2:2', 0x11: '4:4:4' } as Record<number, string>)[hv] ?? `0x${hv.toString(16)}`;
    }
    off += 2 + len;
  }
  return 'none';
}

describe("openbmc console: RFB over bmcweb's KVM WebSocket", () => {
  let bmc: OpenBmcBmc;
  let gw: TestGateway;
  const marker = join(tmpdir(), `bmcgw-obmc-${process.pid}`);

  beforeAll(async () => {
    bmc = await startOpenBmcBmc({ jpegQuality: 2 });
    gw = await startTestGateway({
      tokens: [{ token: TEST_TOKEN, servers: ['*'] }],
      servers: [
        { id: 'obmc', name: 'obmc-1', console: openBmcConsole(bmc.sim) },
        { id: 'obmc-wrong', console: openBmcConsole(bmc.sim, { password: 'not-the-password' }) },
        { id: 'obmc-readonly', console: openBmcConsole(bmc.sim, { user: OPENBMC_USERS.readonly.name, password: OPENBMC_USERS.readonly.password }) },
        { id: 'obmc-verify', console: openBmcConsole(bmc.sim, { insecureTls: false }) },
      ],
    });
  }, 60_000);

  afterAll(async () => {
    await gw?.close();
    await bmc?.close();
    rmSync(marker, { force: true });
  });

  it('shows the X screen from Tight JPEG rectangles, types into the xterm, splits what it sends, and deletes its Redfish session', async () => {
    const { body } = await eqPhp(gw, { action: 'novnc', token: TEST_TOKEN, id: 'obmc' });
    expect(body.result, JSON.stringify(body)).toBe('OK');
    const session = gw.registry.get(body.key)!;
    const v = new WsRfbClient(wsUrl(body.scope));
    await v.ready();

    // The picture: JPEG where Xvnc chose it, lossless elsewhere.
    let last = '';
    const deadline = Date.now() + 30_000;
    for (;;) {
      const screen = await bmc.xvnc.screenshot();
      const shadow = fbImage(session.fb);
      const viewer = v.fb ? fbImage(v.fb) : undefined;
      if (shadow.width === screen.width && viewer && viewer.width === screen.width) {
        const photo = meanAbsErrorIn(shadow, screen, PHOTO);
        const term = meanAbsErrorIn(shadow, screen, { x: 500, y: 400, width: 300, height: 200 });
        const lossless = meanAbsErrorIn(viewer, shadow); // the browser side stays lossless
        last = `photo ${photo.toFixed(2)}, elsewhere ${term.toFixed(2)}, viewer vs shadow ${lossless.toFixed(2)}, JPEG rects ${bmc.sim.jpegRects}`;
        if (photo > 0 && photo < JPEG_MEAN_TOLERANCE && term < 1 && lossless === 0 && bmc.sim.jpegRects > 0) break;
      }
      if (Date.now() > deadline) throw new Error(`the gateway's picture never matched the X screen: ${last}`);
      await new Promise((r) => setTimeout(r, 300));
    }
    expect(bmc.sim.jpegCounters.every((c) => c.error === undefined)).toBe(true);
    expect(session.stats.reconnects).toBe(0); // every JPEG rectangle decoded: the link never failed
    // The first JPEG rectangles Xvnc sent (quality 2: JPEG 41, 4:2:0; then its 4:4:4 refresh),
    // decoded on their own, against the still X screen: right place, right colours.
    const screen = await bmc.xvnc.screenshot();
    const samples = bmc.sim.jpegCounters.flatMap((c) => c.jpegSamples);
    expect(samples.filter((j) => jpegSampling(j.jpeg) === '4:2:0').length, JSON.stringify(samples.map((j) => jpegSampling(j.jpeg)))).toBeGreaterThan(0);
    for (const j of samples) {
      const fb = new Framebuffer(screen.width, screen.height);
      decodeTightJpeg(j.jpeg, { ...j, encoding: Encoding.Tight }, fb);
      const err = meanAbsErrorIn(fbImage(fb), screen, j);
      expect(err, `JPEG rectangle at ${j.x},${j.y} ${j.width}x${j.height}`).toBeLessThan(JPEG_41_TOLERANCE);
    }
    // We never asked for JPEG (no quality level): the simulator forced it, as obmc-ikvm does.
    for (const asked of bmc.sim.rewriters.flatMap((r) => r.asked)) expect(asked.some((e) => e >= -32 && e <= -23)).toBe(false);

    // Typing: Shift held for capitals and symbols (keyEventsFor), into the xterm under the pointer.
    v.pointer(XTERM_AT.x + 20, XTERM_AT.y + 20, 0);
    for (const k of keyEventsFor(`echo Hello_OpenBMC! > ${marker}\n`)) v.key(k.keysym, k.down);
    await expect.poll(() => existsSync(marker) && readFileSync(marker, 'utf8'), { timeout: 15_000 }).toBe('Hello_OpenBMC!\n');

    // A 5 KiB clipboard paste goes upstream as ClientCutText: split into messages of at most 1 KiB.
    v.ws.send(encodeClientCutText('x'.repeat(5000)));
    await until(() => bmc.sim.largestClientMessage === 1024, 'a 1024-byte message at the simulator');
    expect(bmc.sim.overruns).toBe(0);
    expect(bmc.sim.kvmConnections).toBe(1);

    // Every request after the login carried the token; none had X-Requested-With.
    for (const r of bmc.sim.requests) {
      expect(r.headers['x-requested-with'], `${r.method} ${r.path}`).toBeUndefined();
      if (r.method !== 'POST') expect(typeof r.headers['x-auth-token'], `${r.method} ${r.path}`).toBe('string');
    }
    const upgrades = bmc.sim.requests.filter((r) => r.path === '/kvm/0');
    expect(upgrades.length).toBe(1);

    // The end: the KVM WebSocket closes and the Redfish session is deleted.
    v.close();
    const res = await fetch(`${gw.url}/api/v1/sessions/${body.key}`, { method: 'DELETE', headers: { authorization: `Bearer ${TEST_TOKEN}` } });
    expect(res.status).toBe(204);
    await until(() => bmc.sim.sessions.size === 0 && bmc.sim.kvmConnections === 0, 'the Redfish session deleted and the KVM socket closed');
    expect(bmc.sim.deleted.length).toBe(1);
  }, 120_000);

  it('reconnects with a new Redfish session when bmcweb drops the KVM socket', async () => {
    const { body } = await eqPhp(gw, { action: 'novnc', token: TEST_TOKEN, id: 'obmc' });
    expect(body.result, JSON.stringify(body)).toBe('OK');
    const logins = bmc.sim.tokens.length;
    const deleted = bmc.sim.deleted.length;
    bmc.sim.dropKvm();
    await until(() => bmc.sim.tokens.length > logins && bmc.sim.kvmConnections === 1, 'a new login and KVM socket', 20_000);
    await until(() => bmc.sim.deleted.length > deleted, 'the old session deleted');
    expect(bmc.sim.sessions.size).toBe(1);
    await fetch(`${gw.url}/api/v1/sessions/${body.key}`, { method: 'DELETE', headers: { authorization: `Bearer ${TEST_TOKEN}` } });
    await until(() => bmc.sim.sessions.size === 0, 'no Redfish session left');
  }, 60_000);

  it('says what went wrong: wrong password, a user without the KVM privilege, an unverifiable certificate', async () => {
    const wrong = await eqPhp(gw, { action: 'novnc', token: TEST_TOKEN, id: 'obmc-wrong' });
    expect(wrong.body.error.code).toBe('GW_ERR_BMC_AUTH_FAILED');
    expect(wrong.body.error.message).toContain('Redfish login');
    const readonly = await eqPhp(gw, { action: 'novnc', token: TEST_TOKEN, id: 'obmc-readonly' });
    expect(readonly.body.error.code).toBe('GW_ERR_BMC_AUTH_FAILED');
    expect(readonly.body.error.message).toContain('403');
    const verify = await eqPhp(gw, { action: 'novnc', token: TEST_TOKEN, id: 'obmc-verify' });
    expect(verify.body.error.code).toBe('GW_ERR_BMC_UNREACHABLE');
    expect(verify.body.error.message).toMatch(/certificate/i);
    // The read-only user's session was deleted after the refused upgrade.
    await until(() => bmc.sim.sessions.size === 0, 'no Redfish session left');
  }, 60_000);
});
