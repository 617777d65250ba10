/**
 * The Java fallback's figures for BENCHMARKS.md: time from the API call to the first picture of a
 * Java console, and memory per Java console (gateway + sandbox), through both runtimes, beside the
 * native ATEN path against our simulator in the same run. Run with:
 *
 *   npm run bench:java                 # writes bench/results/java-<time>.json (git-ignored)
 *
 * Under vitest, not plain node, for the same reason as make-fixtures.fixture.ts: it reuses the test
 * suite's peers (the test viewer compiled with javac, its JNLP server, the ATEN simulator). The
 * gateway runs in this process; its memory is the growth of this process's RSS.
 */
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { wsUrlOf } from '../test/helpers/converge.js';
import { startTestGateway, TEST_TOKEN } from '../test/helpers/gateway.js';
import { fromRgbx, isBlank } from '../test/helpers/images.js';
import { sandboxTraces, startJavaScene, viewerConsole } from '../test/helpers/java/scene.js';
import { WsRfbClient } from '../test/helpers/ws-rfb-client.js';
import { atenConsole, startAtenBmc } from '../test/integration/aten/helpers.js';

const OPENS = Number(process.env.BENCH_OPENS ?? 10);
const CONSOLES = Number(process.env.BENCH_CONSOLES ?? 5);
const OUT = join(dirname(fileURLToPath(import.meta.url)), 'results');
const results: Record<string, unknown> = {};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function post(url: string, body: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${url}/api/v1/sessions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TEST_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

/** API call → viewer WebSocket → the first update that shows a picture (not one colour). */
async function timeToPicture(gwUrl: string, serverId: string): Promise<{ ms: number; id: string }> {
  const t0 = performance.now();
  const res = await post(gwUrl, { serverId });
  if (res.status !== 201) throw new Error(JSON.stringify(res.body));
  const v = new WsRfbClient(wsUrlOf(res.body.url));
  await v.ready();
  await v.waitFor(() => v.updates > 0 && !isBlank(fromRgbx(v.fb!.width, v.fb!.height, v.fb!.data)), 60_000);
  const ms = performance.now() - t0;
  v.close();
  return { ms, id: res.body.id };
}

async function endAndWait(gwUrl: string, id: string, gone: () => Promise<boolean>): Promise<void> {
  await fetch(`${gwUrl}/api/v1/sessions/${id}`, { method: 'DELETE', headers: { authorization: `Bearer ${TEST_TOKEN}` } });
  for (let i = 0; i < 300 && !(await gone()); i++) await sleep(100);
}

function stats(xs: number[]): { median: number; p95: number; min: number; max: number } {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)]!;
  return { median: q(0.5), p95: q(0.95), min: s[0]!, max: s[s.length - 1]! };
}

/** RSS and PSS (KiB → MB) summed over `pids`. PSS shares pages among the processes that map them. */
async function memoryOf(pids: number[]): Promise<{ rssMb: number; pssMb: number }> {
  let rss = 0;
  let pss = 0;
  for (const pid of pids) {
    const text = await readFile(`/proc/${pid}/smaps_rollup`, 'utf8').catch(() => '');
    rss += Number(/^Rss:\s+(\d+)/m.exec(text)?.[1] ?? 0);
    pss += Number(/^Pss:\s+(\d+)/m.exec(text)?.[1] ?? 0);
  }
  return { rssMb: rss / 1024, pssMb: pss / 1024 };
}

/** Processes of a gateway instance's sandboxes: by work folder (process runtime) or by container cgroup (docker). */
async function sandboxPids(instanceId: string): Promise<number[]> {
  const ids = (await sandboxTraces(instanceId)).containers.map((c) => c.Id);
  const root = join(tmpdir(), `bmc-gateway-java-${instanceId}`);
  const out: number[] = [];
  for (const p of await readdir('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    const [cmd, cg] = await Promise.all([readFile(`/proc/${p}/cmdline`, 'utf8').catch(() => ''), readFile(`/proc/${p}/cgroup`, 'utf8').catch(() => '')]);
    if (cmd.includes(root) || ids.some((id) => cg.includes(id))) out.push(Number(p));
  }
  return out;
}

async function gatewayRssMb(): Promise<number> {
  global.gc?.();
  await sleep(200);
  return process.memoryUsage().rss / 1024 ** 2;
}

describe('Java console benchmark', () => {
  afterAll(async () => {
    await mkdir(OUT, { recursive: true });
    const file = join(OUT, `java-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
    await writeFile(
      file,
      JSON.stringify(
        { cpu: cpus()[0]?.model, cores: cpus().length, node: process.version, at: new Date().toISOString(), opens: OPENS, consoles: CONSOLES, results },
        null,
        2,
      ),
    );
    process.stdout.write(`\n${JSON.stringify(results, null, 2)}\nwritten to ${file}\n`);
  });

  for (const runtime of ['process', 'docker'] as const) {
    it(`${runtime} runtime: time to the first picture, memory per console`, async () => {
      const servers = Array.from({ length: CONSOLES }, (_, i) => `m${i}`);
      const scene = await startJavaScene({ runtime, size: '1024x768', java: { maxSessions: CONSOLES + 2 }, sessions: { idleTimeout: '1h' } });
      try {
        // A second gateway on the same web server for the memory row (the scene's fixed servers are j1/j2).
        const gw = await startTestGateway({
          tokens: [{ token: TEST_TOKEN, servers: ['*'] }],
          servers: servers.map((id) => ({ id, console: viewerConsole(scene.web) })),
          java: { runtime, instanceId: `${scene.instanceId}-mem`, maxSessions: CONSOLES + 2 },
          sessions: { idleTimeout: '1h' },
        });
        try {
          // Warm-up: the jar download (cached afterwards) and the first JVM start (page cache).
          const warm = await timeToPicture(scene.gw.url, 'j1');
          await endAndWait(scene.gw.url, warm.id, async () => (await scene.sandboxes()).total === 0);
          const times: number[] = [];
          for (let i = 0; i < OPENS; i++) {
            const t = await timeToPicture(scene.gw.url, 'j1');
            times.push(t.ms);
            await endAndWait(scene.gw.url, t.id, async () => (await scene.sandboxes()).total === 0);
          }
          const base = await gatewayRssMb();
          const ids: string[] = [];
          for (const id of servers) ids.push((await timeToPicture(gw.url, id)).id);
          await sleep(3000); // settle: JVMs finish their start-up allocations
          const gwRss = (await gatewayRssMb()) - base;
          const sandbox = await memoryOf(await sandboxPids(`${scene.instanceId}-mem`));
          results[runtime] = {
            timeToPictureMs: stats(times),
            consoles: CONSOLES,
            gatewayRssGrowthMbPerConsole: gwRss / CONSOLES,
            sandboxRssMbPerConsole: sandbox.rssMb / CONSOLES,
            sandboxPssMbPerConsole: sandbox.pssMb / CONSOLES,
            totalRssMbPerConsole: (gwRss + sandbox.rssMb) / CONSOLES,
          };
          for (const id of ids) await fetch(`${gw.url}/api/v1/sessions/${id}`, { method: 'DELETE', headers: { authorization: `Bearer ${TEST_TOKEN}` } });
        } finally {
          await gw.close();
        }
      } finally {
        await scene.close();
      }
      expect(results[runtime]).toBeDefined();
    });
  }

  it('native aten path against the ATEN simulator (same run, same machine)', async () => {
    const bmcs = await Promise.all(Array.from({ length: CONSOLES }, () => startAtenBmc({ kvm: { width: 1024, height: 768, maxSessions: 4 } })));
    const gw = await startTestGateway({
      tokens: [{ token: TEST_TOKEN, servers: ['*'] }],
      servers: bmcs.map((b, i) => ({ id: `a${i}`, console: atenConsole(b) })),
      sessions: { idleTimeout: '1h' },
    });
    try {
      const warm = await timeToPicture(gw.url, 'a0');
      await endAndWait(gw.url, warm.id, async () => true);
      const times: number[] = [];
      for (let i = 0; i < OPENS; i++) {
        await sleep(300); // the simulator frees its KVM session slot after the web logout
        const t = await timeToPicture(gw.url, 'a0');
        times.push(t.ms);
        await endAndWait(gw.url, t.id, async () => true);
      }
      const base = await gatewayRssMb();
      for (let i = 0; i < CONSOLES; i++) await timeToPicture(gw.url, `a${i}`);
      await sleep(3000);
      results.nativeAten = { timeToPictureMs: stats(times), consoles: CONSOLES, gatewayRssGrowthMbPerConsole: ((await gatewayRssMb()) - base) / CONSOLES };
    } finally {
      await gw.close();
      for (const b of bmcs) await b.close();
    }
  });
});
