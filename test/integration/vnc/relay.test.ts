import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { encodeFramebufferUpdateRequest, encodeSetEncodings } from '../../../protocols/rfb/client-messages.js';
import { TightEncoder } from '../../../protocols/rfb/encodings/tight.js';
import { Framebuffer } from '../../../protocols/rfb/framebuffer.js';
import { encodeFramebufferUpdateHeader, encodeRectHeader } from '../../../protocols/rfb/server-messages.js';
import { Encoding } from '../../../protocols/rfb/constants.js';
import { expectConverges, fbImage, wsUrlOf } from '../../helpers/converge.js';
import { eqPhp, startTestGateway, TEST_TOKEN, type TestGateway } from '../../helpers/gateway.js';
import { fromRgbx } from '../../helpers/images.js';
import { keyEventsFor } from '../../helpers/keysyms.js';
import { startQemu, type QemuVm } from '../../helpers/qemu.js';
import { WsRfbClient } from '../../helpers/ws-rfb-client.js';
import { startXvnc, type XvncServer } from '../../helpers/xvnc.js';
import { startScriptedBmc, type ScriptedBmc } from '../../helpers/scripted-bmc.js';

/** The gateway's Viewer counters these tests read (src/viewer/viewer.ts). */
type RelayCounters = { updatesSent: number; updatesRelayed: number; updatesPrimed: number };
const counters = (v: unknown): RelayCounters => v as RelayCounters;

/**
 * Relaying the BMC's own Tight bytes to caught-up viewers (src/viewer/relay.ts), against real servers
 * whose Tight zlib streams persist for the whole connection (QEMU's vnc-enc-tight, TigerVNC): every
 * viewer here joins after those streams started, so nothing it is relayed inflates unless the priming
 * brought its streams to the BMC's state. The viewer decodes with the project's decoders; the
 * browser's stock noVNC is test/e2e/relay-novnc.test.ts.
 */
describe('relaying Tight updates from QEMU as they come', () => {
  let vm: QemuVm;
  let gw: TestGateway;

  beforeAll(async () => {
    vm = await startQemu({ mode: 'busybox' });
    await vm.waitForShell();
    gw = await startTestGateway({
      tokens: [{ token: TEST_TOKEN, servers: ['*'] }],
      servers: [{ id: 'vm', console: { type: 'vnc', host: '127.0.0.1', port: vm.vncPort, encodings: ['tight', 'copyrect', 'raw'] } }],
      sessions: { maxViewers: 4 },
    });
  }, 180_000);

  afterAll(async () => {
    await gw?.close();
    await vm?.stop();
  });

  it("primes a late viewer's streams, then relays QEMU's updates; two viewers see the guest's screen", async () => {
    const open = (await eqPhp(gw, { action: 'novnc', token: TEST_TOKEN, id: 'vm' })).body;
    const session = gw.registry.get(open.key)!;
    const a = new WsRfbClient(wsUrlOf(open.scope));
    await a.ready();
    const guest = () => vm.screendump();
    await expectConverges(() => fbImage(a.fb!), guest, 'viewer a vs the guest');
    for (const k of keyEventsFor('for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30; do echo relayed line $i; done\n'))
      a.key(k.keysym, k.down);
    await expectConverges(() => fbImage(a.fb!), guest, 'viewer a after typing');
    const [ga] = [...session.viewers];
    expect(counters(ga).updatesRelayed).toBeGreaterThan(0);
    expect(counters(ga).updatesPrimed).toBeGreaterThan(0);

    // A second viewer, late: QEMU's streams have long started; it is primed in turn and both follow.
    const join = (await eqPhp(gw, { action: 'novnc', token: TEST_TOKEN, id: 'vm' })).body;
    const b = new WsRfbClient(wsUrlOf(join.scope));
    await b.ready();
    for (let round = 0; round < 3; round++) {
      for (const k of keyEventsFor(`ls /bin | head -n ${20 + round * 5}; echo round ${round}\n`)) a.key(k.keysym, k.down);
      await new Promise((r) => setTimeout(r, 1200)); // past the viewer's once-a-second priming limit
    }
    await expectConverges(() => fbImage(a.fb!), guest, 'viewer a');
    await expectConverges(() => fbImage(b.fb!), guest, 'viewer b');
    const gb = [...session.viewers].find((v) => v !== ga)!;
    expect(counters(gb).updatesRelayed).toBeGreaterThan(0);
    expect(counters(gb).updatesPrimed).toBeGreaterThan(0);
    expect(fromRgbx(session.fb.width, session.fb.height, session.fb.data)).toEqual(fbImage(b.fb!));
    a.close();
    b.close();
  }, 120_000);
});

describe('relaying Tight updates from TigerVNC as they come', () => {
  let x: XvncServer;
  let gw: TestGateway;

  beforeAll(async () => {
    x = await startXvnc({ geometry: '800x600' });
    x.startXterm(['-geometry', '80x24+0+0', '-e', '/bin/sh']);
    gw = await startTestGateway({
      tokens: [{ token: TEST_TOKEN, servers: ['*'] }],
      servers: [{ id: 'tiger', console: { type: 'vnc', host: '127.0.0.1', port: x.port, encodings: ['tight', 'copyrect', 'raw'] } }],
    });
  }, 60_000);

  afterAll(async () => {
    await gw?.close();
    await x?.stop();
  });

  it('relays a scrolling xterm and keeps the viewer equal to the shadow framebuffer', async () => {
    const open = (await eqPhp(gw, { action: 'novnc', token: TEST_TOKEN, id: 'tiger' })).body;
    const session = gw.registry.get(open.key)!;
    const v = new WsRfbClient(wsUrlOf(open.scope));
    await v.ready();
    v.pointer(100, 100, 0);
    for (let round = 0; round < 4; round++) {
      for (const k of keyEventsFor(`seq ${round * 40} ${round * 40 + 39}\n`)) v.key(k.keysym, k.down);
      await new Promise((r) => setTimeout(r, 1200));
    }
    await expectConverges(
      () => fbImage(v.fb!),
      () => fromRgbx(session.fb.width, session.fb.height, session.fb.data),
      'viewer vs the shadow framebuffer',
    );
    await expectConverges(
      () => fbImage(v.fb!),
      () => x.screenshot(),
      "viewer vs Xvnc's screen",
      { region: { x: 0, y: 0, width: 760, height: 560 } },
    );
    const [g] = [...session.viewers];
    expect(counters(g).updatesRelayed).toBeGreaterThan(0);
    expect(counters(g).updatesPrimed).toBeGreaterThan(0);
    v.close();
  }, 60_000);
});

describe('a relayed update that then fails to decode', () => {
  /** A 64x48 "BMC": a correct handshake and first screen, then whatever the test writes to its sockets. */
  let bmc: ScriptedBmc;
  let gw: TestGateway;

  beforeAll(async () => {
    const fb = new Framebuffer(64, 48);
    const first = new TightEncoder().encodeRect(fb, { x: 0, y: 0, width: 64, height: 48 });
    bmc = await startScriptedBmc({ width: 64, height: 48, name: 'relay-bad', first: Buffer.concat([encodeFramebufferUpdateHeader(first.length), ...first]) });
    const port = bmc.port;
    gw = await startTestGateway({
      tokens: [{ token: TEST_TOKEN, servers: ['*'] }],
      servers: [{ id: 'bad', console: { type: 'vnc', host: '127.0.0.1', port } }],
      sessions: { reconnectBudget: '2s' },
    });
  });

  afterAll(async () => {
    await gw?.close();
    bmc?.close();
  });

  it('closes the viewers it was relayed to with 4001 naming the decoder error; the process goes on', async () => {
    const open = (await eqPhp(gw, { action: 'novnc', token: TEST_TOKEN, id: 'bad' })).body;
    // A bare RFB client that decodes nothing (the relayed bytes would make a decoding one throw first).
    const ws = new WebSocket(wsUrlOf(open.scope));
    let messages = 0;
    let updated!: () => void;
    const firstUpdate = new Promise<void>((r) => (updated = r));
    const closed = new Promise<{ code: number; reason: string }>((r) => ws.on('close', (code, reason) => r({ code, reason: reason.toString() })));
    ws.on('message', () => {
      messages++;
      if (messages === 1) ws.send(Buffer.from('RFB 003.008\n'));
      else if (messages === 2)
        ws.send(Buffer.of(1)); // security None
      else if (messages === 3)
        ws.send(Buffer.of(1)); // SecurityResult OK; ClientInit shared
      else if (messages === 4) {
        ws.send(encodeSetEncodings([Encoding.Tight, Encoding.Raw]));
        ws.send(encodeFramebufferUpdateRequest({ incremental: false, x: 0, y: 0, width: 64, height: 48 }));
      } else if (messages === 5) {
        ws.send(encodeFramebufferUpdateRequest({ incremental: true, x: 0, y: 0, width: 64, height: 48 }));
        updated();
      }
    });
    await firstUpdate;
    await new Promise((r) => setTimeout(r, 200)); // the request is in: this viewer is waiting
    // Well-formed Tight (stream 0 reset, a zlib header, a 20-byte compact length) whose deflate data is not deflate.
    const rect = Buffer.concat([
      encodeRectHeader({ x: 0, y: 0, width: 8, height: 8 }, Encoding.Tight),
      Buffer.of(0x01, 20, 0x78, 0x01),
      Buffer.alloc(18, 0xff),
    ]);
    bmc.sockets.at(-1)!.write(Buffer.concat([encodeFramebufferUpdateHeader(1), rect]));
    const { code, reason } = await closed;
    expect(code).toBe(4001);
    expect(reason).toMatch(/relayed to this viewer did not decode: .*zlib/i);
    // The gateway still answers, and opens the console again (the session reconnects to the BMC).
    const again = await eqPhp(gw, { action: 'novnc', token: TEST_TOKEN, id: 'bad' });
    expect(again.status).toBe(200);
  }, 30_000);
});
