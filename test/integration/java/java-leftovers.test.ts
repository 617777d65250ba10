import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleGatewayProcess, spawnGatewayProcess, type GatewayProcess } from '../../helpers/amqp-gateways.js';
import { TEST_TOKEN } from '../../helpers/gateway.js';
import { requireJavaImage } from '../../helpers/java/java-image.js';
import { sandboxTraces, startViewerWeb, viewerConsole } from '../../helpers/java/scene.js';
import type { JnlpWebServer } from '../../helpers/java/jnlp-server.js';
import { ViewerReportServer } from '../../helpers/java/test-viewer.js';
import { eventually } from './java-console-suite.js';

// A gateway killed with SIGKILL cannot remove its sandboxes; its next start must, and must leave
// alone those of another gateway on the same host (or Docker engine).

describe.each(['process', 'docker'] as const)('Java sandboxes of a gateway killed with SIGKILL (%s runtime)', (runtime) => {
  let entry: string;
  let web: JnlpWebServer;
  let reports: ViewerReportServer;
  let dir: string;
  const procs: GatewayProcess[] = [];

  beforeAll(async () => {
    if (runtime === 'docker') await requireJavaImage();
    entry = await bundleGatewayProcess();
    reports = new ViewerReportServer();
    await reports.listen();
    web = await startViewerWeb(reports);
    dir = await mkdtemp(join(tmpdir(), 'bmcgw-leftovers-'));
  });
  afterAll(async () => {
    for (const p of procs) await p.stop();
    await Promise.all([web?.close(), reports?.close()]);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const start = async (name: string, instanceId: string) => {
    const p = await spawnGatewayProcess(
      entry,
      name,
      {
        tokens: [{ token: TEST_TOKEN, servers: ['*'] }],
        servers: [{ id: 'j', console: viewerConsole(web) }],
        java: { runtime, instanceId, jarCache: { dir: join(dir, name) } },
      },
      join(dir, `${name}.journal`),
      60_000,
    );
    procs.push(p);
    return p;
  };
  const open = async (gw: GatewayProcess) => {
    const res = await fetch(`${gw.url}/api/v1/sessions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TEST_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ serverId: 'j' }),
    });
    expect(res.status, await res.clone().text()).toBe(201);
  };

  it("are gone after its next start, and another gateway's are untouched", async () => {
    const mine = `test-mine-${randomBytes(3).toString('hex')}`;
    const other = `test-other-${randomBytes(3).toString('hex')}`;
    const a = await start('a', mine);
    const b = await start('b', other);
    await open(a);
    await open(b);
    expect((await sandboxTraces(mine)).total).toBeGreaterThan(0);
    expect((await sandboxTraces(other)).total).toBeGreaterThan(0);

    await a.kill(); // SIGKILL: no shutdown code runs
    if (runtime === 'process') {
      // PR_SET_PDEATHSIG: the viewer's processes died with the gateway; its session folder is still there.
      await eventually(async () => (await sandboxTraces(mine)).processes.length === 0, "the killed gateway's viewer processes to die with it");
      expect((await sandboxTraces(mine)).dirs.length).toBe(1);
    } else {
      // The container outlives the gateway: only the next start can remove it.
      expect((await sandboxTraces(mine)).containers.map((c) => c.State)).toEqual(['running']);
    }

    const again = await start('a-again', mine);
    expect((await sandboxTraces(mine)).total, "the earlier run's sandbox removed at start").toBe(0);
    const others = await sandboxTraces(other);
    expect(others.total, "the other gateway's sandbox").toBeGreaterThan(0);
    if (runtime === 'docker') expect(others.containers.map((c) => c.State)).toEqual(['running']);
    await again.stop();
    await b.stop();
    expect((await sandboxTraces(other)).total, 'a gateway stopped normally removes its sandboxes').toBe(0);
  });
});
