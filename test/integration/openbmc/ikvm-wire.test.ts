import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fbImage } from '../../helpers/converge.js';
import { eqPhp, startTestGateway, TEST_TOKEN, type TestGateway } from '../../helpers/gateway.js';
import type { RgbImage } from '../../helpers/images.js';
import { keyEventsFor } from '../../helpers/keysyms.js';
import { meanAbsErrorIn, openBmcConsole, OPENBMC_USERS, photoLike } from '../../helpers/openbmc/openbmc-bmc.js';
import { OpenBmcSimulator } from '../../helpers/openbmc/simulator.js';
import { WsRfbClient } from '../../helpers/ws-rfb-client.js';
import { until, wsUrl } from '../aten/helpers.js';

// obmc-ikvm's own wire format (the simulator's ikvm-like server): every frame one full-screen Tight
// JPEG rectangle with a 0xFFFF rectangle count and LastRect, sent in 50 KiB WebSocket messages, only
// when asked for and changed, whatever encodings the client listed.

/** jpeg-js at quality 85, 4:4:4: the photo-like picture comes back within ~1-2 levels a channel; a wrong decode is tens off. */
const JPEG_MEAN_TOLERANCE = 4;

function inverted(img: RgbImage): RgbImage {
  return { width: img.width, height: img.height, rgb: Buffer.from(img.rgb.map((v) => 255 - v)) };
}

describe("openbmc console against obmc-ikvm's wire format", () => {
  let sim: OpenBmcSimulator;
  let gw: TestGateway;
  const first = photoLike(1024, 768);

  beforeAll(async () => {
    sim = await OpenBmcSimulator.start({ users: [OPENBMC_USERS.admin], ikvmScreen: first });
    gw = await startTestGateway({ tokens: [{ token: TEST_TOKEN, servers: ['*'] }], servers: [{ id: 'ikvm', console: openBmcConsole(sim) }] });
  });

  afterAll(async () => {
    await gw?.close();
    await sim?.close();
  });

  it('shows each full-screen JPEG frame, follows a new one, and sends keys', async () => {
    const { body } = await eqPhp(gw, { action: 'novnc', token: TEST_TOKEN, id: 'ikvm' });
    expect(body.result, JSON.stringify(body)).toBe('OK');
    const session = gw.registry.get(body.key)!;
    const v = new WsRfbClient(wsUrl(body.scope));
    await v.ready();
    const matches = (want: RgbImage) => () => {
      const shadow = fbImage(session.fb);
      if (shadow.width !== want.width || !v.fb || v.fb.width !== want.width) return false;
      const err = meanAbsErrorIn(shadow, want);
      return err > 0 && err < JPEG_MEAN_TOLERANCE && meanAbsErrorIn(fbImage(v.fb), shadow) === 0;
    };
    await until(matches(first), 'the first frame in the gateway and the viewer', 20_000);
    const ikvm = sim.ikvms[0]!;
    expect(ikvm.framesSent).toBe(1); // unchanged frames are not sent again

    const second = inverted(first);
    ikvm.setScreen(second);
    await until(matches(second), 'the new frame', 20_000);
    expect(ikvm.framesSent).toBe(2);
    // The frames were far larger than one WebSocket message, and nothing we sent was over 1 KiB.
    expect(sim.overruns).toBe(0);
    expect(sim.largestClientMessage).toBeLessThanOrEqual(1024);

    const typed = keyEventsFor('Ok!');
    for (const k of typed) v.key(k.keysym, k.down);
    await until(() => ikvm.keys.length >= typed.length, 'the keys at the RFB server');
    expect(ikvm.keys).toEqual(typed);
    v.close();
  }, 60_000);
});
