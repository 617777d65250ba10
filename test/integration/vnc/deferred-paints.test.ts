import { describe, expect, it } from 'vitest';
import { endMarker, summarizeRecording } from '../../../bench/fbs-screen.js';
import { ReplayServer } from '../../../bench/replay-server.js';
import { eqPhp, startTestGateway, TEST_TOKEN } from '../../helpers/gateway.js';
import { WsRfbClient } from '../../helpers/ws-rfb-client.js';
import { sameScreen } from '../../helpers/converge.js';
import { XTERM_RECORDING } from '../../helpers/paint-updates.js';

/**
 * The vnc source defers paints that a later rectangle of the same read covers (paint-queue.ts). Here
 * TigerVNC's own bytes (the xterm recording) come as fast as the gateway reads them, so reads hold
 * many updates and most paints are skipped; viewers that watch all along and one that joins at the
 * end must both end on exactly the screen the recording draws.
 */
describe('a BMC that sends faster than the gateway decodes (deferred paints)', () => {
  it("ends every viewer on the recording's exact final screen", async () => {
    const summary = summarizeRecording(XTERM_RECORDING);
    const marker = endMarker(summary);
    let done = false;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const rs = await ReplayServer.start({ path: XTERM_RECORDING, speed: Infinity, loops: 30, end: marker.bytes, gate, onDone: () => (done = true) });
    const gw = await startTestGateway({
      tokens: [{ token: TEST_TOKEN, servers: ['*'] }],
      servers: [{ id: 'fast', console: { type: 'vnc', host: '127.0.0.1', port: rs.port } }],
    });
    const viewers: WsRfbClient[] = [];
    try {
      const r = await eqPhp(gw, { action: 'novnc', token: TEST_TOKEN, id: 'fast' });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      const url = (r.body.scope as string).replace(/^http/, 'ws').replace('/console/', '/ws/');
      const early = new WsRfbClient(url);
      viewers.push(early);
      await early.ready();
      release();
      await early.waitFor(() => done && sameScreen(early.fb, marker.fb), 30_000);
      const again = await eqPhp(gw, { action: 'novnc', token: TEST_TOKEN, id: 'fast' });
      const late = new WsRfbClient((again.body.scope as string).replace(/^http/, 'ws').replace('/console/', '/ws/'));
      viewers.push(late);
      await late.ready();
      await late.waitFor(() => sameScreen(late.fb, marker.fb), 10_000);
    } finally {
      for (const v of viewers) v.close();
      await gw.close();
      await rs.close();
    }
  }, 60_000);
});
