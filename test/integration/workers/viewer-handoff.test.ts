import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemoServer, type DemoServer } from '../../../src/sources/demo/demo-server.js';
import { bundleGatewayProcess, spawnGatewayProcess, type GatewayProcess } from '../../helpers/amqp-gateways.js';
import { WsRfbClient } from '../../helpers/ws-rfb-client.js';

const TOKEN = 'panel-token-viewer-handoff';
const VIEWERS = 100;

/**
 * The viewer socket hand-off from the front to a worker (WorkerPool.handOffViewer) must not lose a
 * byte the browser sends afterwards. Until the worker acknowledges the descriptor, Node keeps the
 * front's copy open, and it was still reading: whatever the kernel gave the front in that window
 * (the browser's RFB version, or its security choice) was thrown away, and the console hung before
 * ServerInit. Seen in CI as a dispatch test that timed out; here 6 of 150 viewers hung before the
 * fix. The window is widest when the front is busy: the gateway is its own OS process (as in
 * production; a front in the test's own process shares the client's event loop and hides it), and
 * a loop of /healthz calls (each an IPC round trip to both workers) keeps it busy meanwhile.
 */
describe('workers: viewer socket hand-off', () => {
  let demo: DemoServer;
  let tmp: string;
  let bundle: string;
  let gw: GatewayProcess;

  beforeAll(async () => {
    [bundle, tmp, demo] = await Promise.all([
      bundleGatewayProcess(),
      mkdtemp(join(tmpdir(), 'bmcgw-handoff-')),
      startDemoServer({ host: '127.0.0.1', port: 0 }),
    ]);
    const journal = join(tmp, 'journal');
    await writeFile(journal, '');
    gw = await spawnGatewayProcess(
      bundle,
      'handoff',
      {
        workers: 2,
        tokens: [{ token: TOKEN, name: 'panel', servers: ['*'] }],
        servers: [{ id: 's1', console: { type: 'vnc', host: demo.host, port: demo.port, password: demo.password } }],
        sessions: { maxViewers: VIEWERS + 1 },
      },
      journal,
    );
  }, 60_000);

  afterAll(async () => {
    await gw?.stop();
    await Promise.all([demo?.close(), tmp && rm(tmp, { recursive: true, force: true }), bundle && rm(bundle, { force: true })]);
  }, 30_000);

  it(`${VIEWERS} viewers in a row, each reaches ServerInit while the front is busy with worker calls`, async () => {
    let busy = true;
    const load = (async () => {
      for (let i = 0; busy && i < 100_000; i++) await (await fetch(`${gw.url}/healthz`)).text();
    })();
    const hung: string[] = [];
    try {
      for (let i = 0; i < VIEWERS; i++) {
        const r = await fetch(`${gw.url}/api/v1/sessions`, {
          method: 'POST',
          headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
          body: JSON.stringify({ serverId: 's1' }),
        });
        const body = (await r.json()) as { url: string };
        expect([200, 201], JSON.stringify(body)).toContain(r.status);
        const v = new WsRfbClient(body.url.replace(/^http/, 'ws').replace('/console/', '/ws/'));
        // What the viewer had when it gave up: 12 bytes is the server's version, so its reply was lost.
        await v.ready(5_000).catch((err: Error) => hung.push(`viewer ${i}: ${err.message}`));
        v.ws.terminate();
      }
    } finally {
      busy = false;
      await load;
    }
    expect(hung).toEqual([]);
  }, 180_000);
});
