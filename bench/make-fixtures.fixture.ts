/**
 * Makes fixtures/recordings/*.fbs with the gateway's own recorder, against the real peers the tests
 * use (QEMU, TigerVNC + xterm). Run with:
 *
 *   npx vitest run --config bench/vitest.fixtures.config.ts
 *
 * It runs under vitest, not plain node, because it reuses the test suite's peer launchers
 * (test/helpers/qemu.ts, xvnc.ts), which tie their child processes to the runner's lifetime. The
 * benchmark harness itself (bench/bench.ts) does not import test/. See fixtures/recordings/README.md.
 */
import { copyFile, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eqPhp, startTestGateway, TEST_TOKEN, type TestGateway } from '../test/helpers/gateway.js';
import { isBlank } from '../test/helpers/images.js';
import { startQemu, type QemuVm } from '../test/helpers/qemu.js';
import { WsRfbClient } from '../test/helpers/ws-rfb-client.js';
import { startXvnc, type XvncServer } from '../test/helpers/xvnc.js';
import { testPattern } from '../test/helpers/aten/simulator.js';
import { atenConsole, startAtenBmc, type AtenBmc } from '../test/integration/aten/helpers.js';

const OUT = join(dirname(fileURLToPath(import.meta.url)), '../fixtures/recordings');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Opens `serverId` with one viewer, runs `act`, ends the session and copies its recording to OUT/name.fbs. */
async function record(gw: TestGateway, dir: string, serverId: string, name: string, act: (viewer: WsRfbClient) => Promise<void>): Promise<void> {
  const before = new Set(await readdir(dir));
  const r = await eqPhp(gw, { action: 'novnc', token: TEST_TOKEN, id: serverId });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  const session = gw.registry.get(r.body.key)!;
  const viewer = new WsRfbClient(r.body.scope.replace(/^http/, 'ws').replace('/console/', '/ws/'));
  await viewer.ready();
  await act(viewer);
  session.end('fixture recorded');
  viewer.close();
  await sleep(1000); // the recorder writes its last update and closes after the end
  const made = (await readdir(dir)).filter((f) => !before.has(f));
  const fbs = made.find((f) => f.endsWith('.fbs'))!;
  expect(fbs).toBeDefined();
  await copyFile(join(dir, fbs), join(OUT, `${name}.fbs`));
  const input = made.find((f) => f.endsWith('.input.jsonl'));
  if (input && (await stat(join(dir, input))).size > 0) await copyFile(join(dir, input), join(OUT, `${name}.input.jsonl`));
}

describe('make fixtures/recordings', () => {
  let seabios: QemuVm;
  let busybox: QemuVm;
  let xvnc: XvncServer;
  let aten: AtenBmc;
  let gw: TestGateway;
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bmcgw-fixtures-'));
    seabios = await startQemu({ mode: 'seabios' });
    await seabios.waitForScreen((s) => !isBlank(s), 30_000);
    busybox = await startQemu({ mode: 'busybox' });
    xvnc = await startXvnc({ geometry: '800x600' });
    aten = await startAtenBmc({ kvm: { video: 'ast2100', width: 320, height: 240 } });
    gw = await startTestGateway({
      tokens: [{ token: TEST_TOKEN, servers: ['*'] }],
      servers: [
        { id: 'seabios', console: { type: 'vnc', host: '127.0.0.1', port: seabios.vncPort } },
        { id: 'busybox', console: { type: 'vnc', host: '127.0.0.1', port: busybox.vncPort } },
        { id: 'xterm', console: { type: 'vnc', host: '127.0.0.1', port: xvnc.port } },
        { id: 'aten', console: atenConsole(aten) },
      ],
      recording: { dir, servers: ['*'] },
    });
  }, 180_000);

  afterAll(async () => {
    await gw?.close();
    await Promise.all([seabios?.stop(), busybox?.stop(), xvnc?.stop(), aten?.close()]);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('seabios: QEMU SeaBIOS screen, 3 s', async () => {
    await record(gw, dir, 'seabios', 'qemu-seabios', () => sleep(3000));
  }, 60_000);

  it('busybox: a kernel booting to a busybox shell, then typing through the viewer', async () => {
    await record(gw, dir, 'busybox', 'qemu-busybox-typing', async (v) => {
      await busybox.waitForShell(90_000);
      // Typed through the gateway (so the side file has it), as a person would.
      for (const ch of 'echo hello from the recording; uname -r\n') {
        const sym = ch === '\n' ? 0xff0d : ch.charCodeAt(0);
        v.key(sym, true);
        v.key(sym, false);
        await sleep(60);
      }
      await sleep(2000);
    });
  }, 150_000);

  it('xterm: TigerVNC with an xterm scrolling a large file', async () => {
    // seq 1 300000 is ~2 MB of text; xterm (jump scroll) redraws as fast as Xvnc lets it. The
    // recording ends while it is still scrolling, so its last frame is text, not an empty desktop.
    const xt = xvnc.startXterm(['-geometry', '100x40+0+0', '-e', 'sh', '-c', 'sleep 1; seq 1 300000; sleep 60']);
    try {
      await record(gw, dir, 'xterm', 'tigervnc-xterm-scroll', () => sleep(4000));
    } finally {
      await xt.stop();
    }
  }, 60_000);

  it('aten: our ATEN iKVM simulator (AST2100 video), the test pattern, then a changed screen', async () => {
    await record(gw, dir, 'aten', 'aten-sim-ast2100', async () => {
      await sleep(1500);
      // A second picture (the test pattern of another size) so the file holds a resize and new video.
      aten.kvm.setScreen(256, 192, testPattern(256, 192));
      await sleep(1500);
    });
  }, 60_000);
});
