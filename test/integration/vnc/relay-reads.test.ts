import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { endMarker, summarizeRecording } from '../../../bench/fbs-screen.js';
import { ReplayServer } from '../../../bench/replay-server.js';
import { encodeFbsBlock, FBS_SIGNATURE, readFbs } from '../../../protocols/fbs/index.js';
import { frameUpdate } from '../../../protocols/rfb/update-framer.js';
import { eqPhp, startTestGateway, TEST_TOKEN } from '../../helpers/gateway.js';
import { WsRfbClient } from '../../helpers/ws-rfb-client.js';
import { sameScreen } from '../../helpers/converge.js';
import { XTERM_RECORDING } from '../../helpers/paint-updates.js';

/** The gateway's Viewer counters these tests read (src/viewer/viewer.ts). */
type RelayCounters = { updatesSent: number; updatesRelayed: number; updatesPrimed: number };

/**
 * TigerVNC's own Tight bytes (the xterm recording: zlib streams that run for the whole connection),
 * re-cut into writes that end inside updates and hold several updates, 25 ms apart: what a BMC's
 * updates look like to the gateway when TCP splits them or the gateway reads late. Updates cut by a
 * read are kept back until their end comes (vnc-source.ts #offer), so relaying goes on; before, the
 * first cut put the viewer's Tight streams out of step for good and every later update was decoded
 * and re-encoded.
 */
describe('relaying when reads cut updates and hold several', () => {
  const dir = mkdtempSync(join(tmpdir(), 'relay-reads-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('relays nearly every update, whole, and the viewer ends on the exact final screen', async () => {
    const { blocks, error } = readFbs(readFileSync(XTERM_RECORDING));
    expect(error).toBeUndefined();
    const body = Buffer.concat(blocks.slice(1).map((b) => Buffer.from(b.data)));
    // Writes of 97, 1,301, 2,503, … bytes (cycling): most end inside an update, some hold several.
    const sizes = [97, 1301, 2503, 389, 3907, 211, 1709];
    const out = [FBS_SIGNATURE, encodeFbsBlock(Buffer.from(blocks[0]!.data), 0)];
    // Where the updates end (the framer walks them without decoding).
    const ends = new Set<number>();
    for (let at = 0; at < body.length;) {
      at += frameUpdate(body.subarray(at), 1024, 768, { bytesPerPixel: 4, tpixelBytes: 3 })!.length;
      ends.add(at);
    }
    let ts = 10;
    let inside = 0;
    let several = 0;
    for (let at = 0, i = 0; at < body.length; i++) {
      const end = Math.min(body.length, at + sizes[i % sizes.length]!);
      out.push(encodeFbsBlock(body.subarray(at, end), (ts += 25)));
      if (!ends.has(end)) inside++;
      if ([...ends].filter((e) => e > at && e <= end).length > 1) several++;
      at = end;
    }
    expect(inside).toBeGreaterThan(20);
    expect(several).toBeGreaterThan(10);
    const recut = join(dir, 'recut.fbs');
    writeFileSync(recut, Buffer.concat(out));
    const summary = summarizeRecording(recut);
    const marker = endMarker(summary);
    let done = false;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const rs = await ReplayServer.start({ path: recut, speed: 1, end: marker.bytes, gate, onDone: () => (done = true) });
    const gw = await startTestGateway({
      tokens: [{ token: TEST_TOKEN, servers: ['*'] }],
      servers: [{ id: 'cut', console: { type: 'vnc', host: '127.0.0.1', port: rs.port } }],
    });
    try {
      const r = await eqPhp(gw, { action: 'novnc', token: TEST_TOKEN, id: 'cut' });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      const v = new WsRfbClient((r.body.scope as string).replace(/^http/, 'ws').replace('/console/', '/ws/'));
      await v.ready();
      // The BMC starts once the viewer has its first picture (the gateway's own encoding) and has
      // asked for the next: from then on it is waiting whenever a write arrives (25 ms apart).
      await v.waitFor(() => v.updates >= 1, 10_000);
      release();
      await v.waitFor(() => done && sameScreen(v.fb, marker.fb), 30_000);
      v.close();
      const [g] = [...gw.registry.get(r.body.key)!.viewers] as unknown as RelayCounters[];
      // The gateway's own sends are the first picture, the recording's first update (it carries a
      // Cursor, which is never relayed) and any update that came while the viewer had one in flight
      // and could not be held; the rest are the BMC's bytes. Without keeping cut updates back, none
      // is relayed here (the decoder is then almost never at a boundary when a read starts).
      expect(g!.updatesRelayed).toBeGreaterThanOrEqual(10);
      expect(g!.updatesRelayed).toBeGreaterThan(0.5 * g!.updatesSent);
    } finally {
      await gw.close();
      await rs.close();
    }
  }, 60_000);
});
