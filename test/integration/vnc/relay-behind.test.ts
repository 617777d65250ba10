import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Encoding } from '../../../protocols/rfb/constants.js';
import { Framebuffer } from '../../../protocols/rfb/framebuffer.js';
import { encodeFramebufferUpdateHeader, encodeRectHeader } from '../../../protocols/rfb/server-messages.js';
import { fbImage, wsUrlOf } from '../../helpers/converge.js';
import { eqPhp, startTestGateway, TEST_TOKEN, type TestGateway } from '../../helpers/gateway.js';
import { until } from '../../helpers/gateway-calls.js';
import { fromRgbx } from '../../helpers/images.js';
import { startScriptedBmc, type ScriptedBmc } from '../../helpers/scripted-bmc.js';
import { WsRfbClient } from '../../helpers/ws-rfb-client.js';
import { streamedZlib } from '../../unit/protocols/rfb/encodings/helpers.js';

/** The gateway's Viewer counters this test reads (src/viewer/viewer.ts). */
type RelayCounters = { updatesSent: number; updatesRelayed: number; updatesPrimed: number };

const W = 64;
const H = 48;
const ROW_BYTES = W / 8;
const BLACK = [0, 0, 0] as const;
const WHITE = [255, 255, 255] as const;

/** Tight compact length (rfbproto "Tight Encoding"): 7 bits a byte, low first, up to 3 bytes. */
function compactLength(n: number): Buffer {
  if (n < 0x80) return Buffer.of(n);
  if (n < 0x4000) return Buffer.of((n & 0x7f) | 0x80, n >> 7);
  return Buffer.of((n & 0x7f) | 0x80, ((n >> 7) & 0x7f) | 0x80, n >> 14);
}

/**
 * A whole-screen two-colour Tight rectangle whose bitmap is zlib data in stream 1, continuing that
 * stream (no reset bit): compression control 0x40 (explicit filter) | stream 1 << 4, the palette
 * filter, 2 colours, the palette as TPIXELs (R, G, B), the compressed length and the data.
 */
function twoColourRect(zlibData: Buffer): Buffer {
  return Buffer.concat([
    encodeRectHeader({ x: 0, y: 0, width: W, height: H }, Encoding.Tight),
    Buffer.of(0x40 | (1 << 4), 1, 1, ...BLACK, ...WHITE),
    compactLength(zlibData.length),
    zlibData,
  ]);
}

/** A bitmap of W x H, one bit a pixel (MSB first), set where `on(x, y)`. */
function bitmap(on: (x: number, y: number) => boolean): Buffer {
  const b = Buffer.alloc(ROW_BYTES * H);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) if (on(x, y)) b[y * ROW_BYTES + (x >> 3)]! |= 0x80 >> (x & 7);
  return b;
}

/** `bits` drawn as the two-colour rectangle draws it: the picture a viewer must end on. */
function picture(bits: Buffer): Framebuffer {
  const fb = new Framebuffer(W, H);
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++) {
      const [r, g, b] = bits[y * ROW_BYTES + (x >> 3)]! & (0x80 >> (x & 7)) ? WHITE : BLACK;
      fb.fillRect(x, y, 1, 1, r, g, b);
    }
  return fb;
}

const update = (...rects: Buffer[]): Buffer => Buffer.concat([encodeFramebufferUpdateHeader(rects.length), ...rects]);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * While no viewer of a session could be sent the BMC's updates as they come, the gateway decodes its
 * reads without framing them for relay (vnc-source.ts); the viewers must still learn which of the
 * BMC's Tight zlib streams moved on, or a later update continuing such a stream would be relayed to a
 * viewer whose inflater never saw the data in between. A BMC of our own, since the timing of each
 * read must be controlled: its updates continue one zlib stream (as QEMU's and TigerVNC's do, never
 * resetting it), and the last one repeats the bitmap before it, so its deflate data is a
 * back-reference into output the viewer was never relayed.
 */
describe('relaying after a stretch no viewer could be relayed', () => {
  let bmc: ScriptedBmc;
  let gw: TestGateway;

  beforeAll(async () => {
    // Tight fill (compression control 0x80) of the whole screen, black: the first picture.
    const fill = Buffer.concat([encodeRectHeader({ x: 0, y: 0, width: W, height: H }, Encoding.Tight), Buffer.of(0x80, ...BLACK)]);
    bmc = await startScriptedBmc({ width: W, height: H, name: 'relay-behind', first: update(fill) });
    gw = await startTestGateway({
      tokens: [{ token: TEST_TOKEN, servers: ['*'] }],
      servers: [{ id: 'behind', console: { type: 'vnc', host: '127.0.0.1', port: bmc.port } }],
    });
  });

  afterAll(async () => {
    await gw?.close();
    bmc?.close();
  });

  it('does not relay a stream the viewer fell behind on: the viewer ends on the BMC picture', async () => {
    const stripes = bitmap((x) => x % 4 < 2);
    const checks = bitmap((x, y) => ((x >> 2) + (y >> 2)) % 2 === 0);
    // One persistent stream: the header and stripes, then checks, then checks again (a back-reference).
    const [z1, z3, z4] = await streamedZlib([stripes, checks, checks]);
    const cursor = Buffer.concat([
      encodeRectHeader({ x: 0, y: 0, width: 2, height: 2 }, Encoding.Cursor),
      Buffer.alloc(2 * 2 * 4, 0xff),
      Buffer.of(0xc0, 0xc0),
    ]);

    const open = (await eqPhp(gw, { action: 'novnc', token: TEST_TOKEN, id: 'behind' })).body;
    const session = gw.registry.get(open.key)!;
    const v = new WsRfbClient(wsUrlOf(open.scope), { autoRequest: false });
    await v.ready();
    await v.waitFor(() => v.updates >= 1, 10_000);
    const bmcSock = bmc.sockets.at(-1)!;
    const [g] = [...session.viewers] as unknown as RelayCounters[];
    const request = async (): Promise<void> => {
      v.requestUpdate(true);
      await sleep(100); // the request is in (the outcome is the same either way; see step 4)
    };

    // 1. The viewer is waiting: the first stream-1 update is relayed as it came (its stream primed
    // with a reset, the BMC's stream being fresh). The viewer's stream 1 is now in step and used.
    await request();
    bmcSock.write(update(twoColourRect(z1!)));
    await v.waitFor(() => v.updates >= 2, 10_000);
    expect(g!.updatesRelayed).toBe(1);
    expect(fromRgbx(W, H, v.fb!.data)).toEqual(fbImage(picture(stripes)));

    // 2. Not asking: a cursor (never relayed) leaves the viewer with something to be sent, so no
    // viewer can be relayed the next read, which continues stream 1. It is decoded unoffered.
    bmcSock.write(update(cursor));
    await until('the cursor to reach the session', async () => session.cursorShape, 10_000, 10);
    const unofferedBefore = session.stats.upstreamReadsUnoffered;
    bmcSock.write(update(twoColourRect(z3!)));
    await until("the BMC's third update to be decoded", async () => (session.updatesIn >= 4 ? true : undefined), 10_000, 10);
    expect(session.stats.upstreamReadsUnoffered).toBeGreaterThan(unofferedBefore);
    expect(fromRgbx(W, H, session.fb.data)).toEqual(fbImage(picture(checks)));

    // 3. The viewer asks and gets the gateway's own encoding of what it missed.
    await request();
    await v.waitFor(() => v.updates >= 3, 10_000);
    expect(fromRgbx(W, H, v.fb!.data)).toEqual(fbImage(picture(checks)));

    // 4. The next update continues stream 1 from data the viewer's inflater never had: relayed as it
    // came, it would inflate in the viewer to the stripes. It is decoded and encoded again instead.
    // (Had it come before the viewer's request, it would have been held and sent as it came when the
    // request did: counted as relayed all the same.)
    await request();
    bmcSock.write(update(twoColourRect(z4!)));
    await v.waitFor(() => v.updates >= 4, 10_000);
    expect(g!.updatesRelayed).toBe(1);
    expect(fromRgbx(W, H, v.fb!.data)).toEqual(fbImage(picture(checks)));
    expect(fromRgbx(W, H, v.fb!.data)).toEqual(fromRgbx(W, H, session.fb.data));
    expect(v.closeCode).toBeUndefined();
    v.close();
  }, 30_000);
});
