import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eqPhp, startTestGateway, TEST_TOKEN, type TestGateway } from '../../helpers/gateway.js';
import { expectConverges, fbImage, wsUrlOf } from '../../helpers/converge.js';
import { compareImages, describeComparison, fromRgbx } from '../../helpers/images.js';
import { keyEventsFor } from '../../helpers/keysyms.js';
import { startQemu, type QemuVm } from '../../helpers/qemu.js';
import { WsRfbClient } from '../../helpers/ws-rfb-client.js';

const PASSWORD = 'share-pw';
const ws = wsUrlOf;
const matchesGuest = (vm: QemuVm, v: WsRfbClient, timeoutMs = 20_000) =>
  expectConverges(
    () => fbImage(v.fb!),
    () => vm.screendump(),
    "a viewer vs the guest's screen",
    { timeoutMs },
  );

describe('one BMC connection shared by many viewers (QEMU busybox guest)', () => {
  let vm: QemuVm;
  let gw: TestGateway;

  beforeAll(async () => {
    vm = await startQemu({ mode: 'busybox', vncPassword: PASSWORD });
    await vm.waitForShell();
    gw = await startTestGateway({
      tokens: [{ token: TEST_TOKEN, servers: ['*'] }],
      servers: [{ id: 'vm', console: { type: 'vnc', host: '127.0.0.1', port: vm.vncPort, password: PASSWORD } }],
      sessions: { maxViewers: 6 },
    });
  }, 180_000);

  afterAll(async () => {
    await gw?.close();
    await vm?.stop();
  });

  it('shares one upstream connection, serves a late joiner from the shadow, drops view-only input, and bounds a stalled viewer', async () => {
    const opens = [];
    for (let i = 0; i < 3; i++) opens.push((await eqPhp(gw, { action: 'novnc', token: TEST_TOKEN, id: 'vm' })).body);
    expect(opens.map((o) => o.joined)).toEqual([false, true, true]);
    expect(new Set(opens.map((o) => o.key)).size).toBe(1);
    const session = gw.registry.get(opens[0].key)!;
    const viewers = opens.map((o) => new WsRfbClient(ws(o.scope)));
    await Promise.all(viewers.map((v) => v.ready()));
    for (const v of viewers) await matchesGuest(vm, v);
    // QEMU counts its VNC clients: the gateway holds exactly one.
    expect(await vm.connectionCount()).toBe(1);
    expect(session.viewers.size).toBe(3);

    // A fourth viewer, late: the whole current screen at once, and the BMC was never asked for a
    // full refresh again (only the one at connect).
    const fullBefore = session.stats.upstreamFullRequests;
    expect(fullBefore).toBe(1);
    const late = (await eqPhp(gw, { action: 'novnc', token: TEST_TOKEN, id: 'vm', view_only: '1' })).body;
    const v4 = new WsRfbClient(ws(late.scope));
    await v4.ready();
    await v4.waitFor(() => v4.updates > 0);
    const guest = await vm.screendump();
    expect(describeComparison(compareImages(fromRgbx(v4.fb!.width, v4.fb!.height, v4.fb!.data), guest))).toBe('images are identical');
    expect(session.stats.upstreamFullRequests).toBe(fullBefore);

    // The view-only viewer's keys never reach the guest; an interactive viewer's do.
    const hidden = `viewonly-${Date.now() % 100000}`;
    for (const k of keyEventsFor(`echo ${hidden} >/dev/ttyS0\n`)) v4.key(k.keysym, k.down);
    const shown = `interactive-${Date.now() % 100000}`;
    await new Promise((r) => setTimeout(r, 500));
    for (const k of keyEventsFor(`echo ${shown} >/dev/ttyS0\n`)) viewers[1]!.key(k.keysym, k.down);
    const serial = await vm.waitForSerial(shown, 20_000);
    expect(serial).not.toContain(hidden);

    // A viewer that stops reading: its socket is paused while the guest prints without pause.
    type GatewayViewer = { queuedBytes: number; updatesSent: number; bytesSent: number };
    const before = new Map([...session.viewers].map((v) => [v, (v as unknown as GatewayViewer).updatesSent]));
    viewers[0]!.ws.pause();
    await new Promise((r) => setTimeout(r, 300));
    for (const k of keyEventsFor('i=0; while [ $i -lt 4000 ]; do echo line $i; i=$((i+1)); done\n')) viewers[1]!.key(k.keysym, k.down);
    const sentAtPause = new Map([...session.viewers].map((v) => [v, (v as unknown as GatewayViewer).updatesSent]));
    const updatesBefore = viewers[2]!.updates;
    let maxQueued = 0;
    const bound = 4 * 720 * 400 * 4; // a few uncompressed screens: the pull model allows one update in flight
    for (let i = 0; i < 30; i++) {
      await new Promise((r) => setTimeout(r, 100));
      for (const v of session.viewers) maxQueued = Math.max(maxQueued, (v as unknown as { queuedBytes: number }).queuedBytes);
    }
    expect(maxQueued).toBeLessThan(bound);
    // The stalled viewer was sent at most the one update it had asked for; the others got many.
    const sentWhilePaused = [...session.viewers].map((v) => (v as unknown as GatewayViewer).updatesSent - sentAtPause.get(v)!).sort((a, b) => a - b);
    expect(sentWhilePaused[0]).toBeLessThanOrEqual(1);
    expect(sentWhilePaused.at(-1)).toBeGreaterThan(5);
    void before;
    // ...while the others kept receiving
    expect(viewers[2]!.updates).toBeGreaterThan(updatesBefore + 3);
    viewers[0]!.ws.resume();
    await matchesGuest(vm, viewers[0]!, 30_000);

    for (const v of [...viewers, v4]) v.close();
    await Promise.all([...viewers, v4].map((v) => v.closed()));
    await expect.poll(() => session.viewers.size).toBe(0);
    expect(session.state).toBe('connected');
  });

  it('refuses viewers past sessions.maxViewers with a clear API error', async () => {
    const got = [];
    for (let i = 0; i < 6; i++) got.push(await eqPhp(gw, { action: 'novnc', token: TEST_TOKEN, id: 'vm' }));
    expect(got.every((g) => g.body.result === 'OK')).toBe(true);
    const over = await eqPhp(gw, { action: 'novnc', token: TEST_TOKEN, id: 'vm' });
    expect(over.status).toBe(409);
    expect(over.body.error.code).toBe('GW_ERR_TOO_MANY_VIEWERS');
  });
});
