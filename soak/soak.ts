import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseToolArgs } from '../src/util/tool-args.js';
import { startGateway } from '../bench/processes.js';
import { startDemoServer, type DemoServer } from '../src/sources/demo/demo-server.js';
import { PROJECT_ROOT } from '../src/paths.js';
import { prng } from '../src/util/prng.js';
import { FlakyRelay } from './flaky-relay.js';
import { SoakLoad } from './load.js';
import { plotSvg, sampleFromMetrics, SERIES, trend, type Sample } from './report.js';

const USAGE = `npm run soak -- [--minutes N] [--consoles N] [--workers N] [--seed N]

  --minutes N   how long the load runs (default 30)
  --consoles N  servers (each its own console session) the load spreads over (default 300)
  --workers N   concurrent users (default consoles/10, at least 4)
Writes soak/results/<time>/report.md, report.json and plot.svg. Loopback only.`;

const SAMPLE_MS = 10_000;
const TOKEN = 'soak-token-0123456789';

/**
 * The soak: a real gateway process (dist/src/cli.js) under hours of churn against demo RFB servers
 * behind flaky relays; RSS, heap, open fds, timers and sessions sampled from its /metrics every 10 s.
 * Goal: flat after warm-up, and nothing lost that was not at fault (docs/soak.md).
 */
async function main(argv: string[]): Promise<number> {
  const parsed = parseToolArgs(
    argv,
    { minutes: { type: 'string' }, consoles: { type: 'string' }, workers: { type: 'string' }, seed: { type: 'string' } },
    USAGE,
  );
  if (typeof parsed === 'number') return parsed;
  const values = parsed as { minutes?: string; consoles?: string; workers?: string; seed?: string };
  const minutes = Number(values.minutes ?? 30);
  const consoles = Number(values.consoles ?? 300);
  const workers = Number(values.workers ?? Math.max(4, Math.round(consoles / 10)));
  if (!(minutes > 0) || !Number.isInteger(consoles) || consoles < 1 || !Number.isInteger(workers) || workers < 1) {
    process.stderr.write(`bad arguments\n\n${USAGE}\n`);
    return 2;
  }
  const dir = mkdtempSync(join(tmpdir(), 'bmcgw-soak-'));
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const outDir = join(PROJECT_ROOT, 'soak', 'results', stamp);
  mkdirSync(outDir, { recursive: true });

  // BMCs: demo RFB servers (32 clients each), each behind a relay that can drop; 24 servers a BMC.
  const bmcCount = Math.ceil(consoles / 24);
  const demos: DemoServer[] = [];
  const relays: FlakyRelay[] = [];
  for (let i = 0; i < bmcCount; i++) {
    const d = await startDemoServer({ host: '127.0.0.1', port: 0, password: 'soak-bmc-pw' });
    demos.push(d);
    relays.push(await FlakyRelay.start(d.port));
  }
  const servers = Array.from({ length: consoles }, (_, i) => ({ id: `s${i}`, relay: relays[i % bmcCount]! }));

  // The panel's close URL: counts calls per session.
  const closeCalls = new Map<string, string[]>();
  const panel = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      try {
        const b = JSON.parse(Buffer.concat(chunks).toString()) as { sessionId: string; code: string };
        closeCalls.set(b.sessionId, [...(closeCalls.get(b.sessionId) ?? []), b.code]);
      } catch {
        // not ours
      }
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((r) => panel.listen(0, '127.0.0.1', r));
  const closeUrl = `http://127.0.0.1:${(panel.address() as { port: number }).port}/close`;

  const port = await new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
  const gatewayUrl = `http://127.0.0.1:${port}`;
  // The gateway counts every timer (unref'd included) for the samples.
  process.env.BMCGW_DIAGNOSTICS = '1';
  const gateway = await startGateway({
    port,
    dir,
    config: {
      publicUrl: gatewayUrl,
      tokens: [{ token: TOKEN, name: 'soak', servers: ['*'] }],
      servers: servers.map((s) => ({
        id: s.id,
        console: { type: 'vnc', host: '127.0.0.1', port: s.relay.port, password: 'soak-bmc-pw', connectTimeout: '5s' },
      })),
      sessions: {
        idleTimeout: '5s',
        reconnectBudget: '30s',
        pingInterval: '2s',
        urlTtl: '30s',
        maxSessions: consoles + 100,
        maxViewers: 8,
        closeUrlAllow: ['127.0.0.1'],
        closeUrlAttempts: 2,
      },
      rateLimit: { perAddress: { failures: 1000, window: '1m' } },
      stateDir: join(dir, 'state'),
      audit: { file: join(dir, 'audit.jsonl') },
      log: { level: 'warn' },
    },
  });
  process.stdout.write(`soak: ${minutes} min, ${consoles} consoles on ${bmcCount} BMCs, ${workers} users; gateway pid ${gateway.pid}; results in ${outDir}\n`);

  const samples: Sample[] = [];
  const started = Date.now();
  const sample = async () => {
    try {
      const text = await (await fetch(`${gatewayUrl}/metrics`, { signal: AbortSignal.timeout(8000) })).text();
      const s = sampleFromMetrics(text, (Date.now() - started) / 1000);
      samples.push(s);
      process.stdout.write(
        `  ${Math.round(s.t).toString().padStart(5)} s  rss ${s.rssMb.toFixed(1)} MiB  heap ${s.heapMb.toFixed(1)} MiB  fds ${s.fds}  timers ${s.timers}  sessions ${s.sessions}  viewers ${s.viewers}\n`,
      );
    } catch (err) {
      process.stdout.write(`  sample failed: ${(err as Error).message}\n`);
    }
  };
  await sample();
  const sampler = setInterval(() => void sample(), SAMPLE_MS);
  const load = new SoakLoad({ gatewayUrl, token: TOKEN, closeUrl, servers }, prng(Number(values.seed ?? 1)));
  await load.run(workers, started + minutes * 60_000);
  const loadEndS = (Date.now() - started) / 1000;
  // Let the idle timeout reap what the last users left, then one more sample of the quiet gateway.
  await new Promise((r) => setTimeout(r, 12_000));
  await sample();
  clearInterval(sampler);

  // A clean stop ends every remaining session (close URL code "shutdown"); then every session must have been reported.
  gateway.proc.kill('SIGTERM');
  await new Promise((r) => gateway.proc.once('exit', r));
  const c = load.counters;
  const unreported = [...c.sessionKeys].filter((k) => !closeCalls.has(k));
  const warm = Math.min(120, (minutes * 60) / 5);
  // Trends over the loaded time after warm-up; the quiet samples after it say what the load left behind.
  const steady = samples.filter((s) => s.t >= warm && s.t <= loadEndS);
  const trends = Object.fromEntries(SERIES.map((s) => [s.key, trend(steady, s.key)]));
  const before = samples[0]!;
  const after = samples[samples.length - 1]!;
  const report = {
    minutes,
    consoles,
    workers,
    bmcs: bmcCount,
    warmupSeconds: warm,
    before,
    after,
    counters: { ...c, sessionKeys: c.sessionKeys.size },
    sessionsWithoutCloseCall: unreported.length,
    closeCallCodes: countCodes(closeCalls),
    trends,
    samples,
  };
  writeFileSync(join(outDir, 'report.json'), JSON.stringify(report, null, 2));
  writeFileSync(join(outDir, 'plot.svg'), plotSvg(samples, warm, `bmc-gateway soak: ${minutes} min, ${consoles} consoles, ${workers} users`));
  const md = markdown(report);
  writeFileSync(join(outDir, 'report.md'), md);
  process.stdout.write(`\n${md}\nreport: ${outDir}/report.md (plot.svg, report.json)\n`);

  await Promise.all([...relays.map((r) => r.close()), ...demos.map((d) => d.close()), new Promise((r) => panel.close(r))]);
  rmSync(dir, { recursive: true, force: true });
  return c.lost === 0 && unreported.length === 0 ? 0 : 1;
}

function countCodes(calls: Map<string, string[]>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const codes of calls.values()) for (const code of codes) out[code] = (out[code] ?? 0) + 1;
  return out;
}

function markdown(r: {
  minutes: number;
  consoles: number;
  workers: number;
  bmcs: number;
  warmupSeconds: number;
  before: Sample;
  after: Sample;
  counters: Record<string, unknown>;
  sessionsWithoutCloseCall: number;
  closeCallCodes: Record<string, number>;
  trends: Record<string, ReturnType<typeof trend>>;
}): string {
  const c = r.counters as Record<string, number> & { lostDetails: string[] };
  const lines = [
    `# Soak: ${r.minutes} min, ${r.consoles} consoles on ${r.bmcs} BMCs, ${r.workers} concurrent users`,
    '',
    `Consoles opened ${c.opens}, joined ${c.joins}; viewers served ${c.viewersServed}, stalled ${c.stalledViewers}; BMC drops ${c.bmcDrops}; session lists ${c.lists}.`,
    `Refused by a limit ${c.refusedByLimit}; failed while their BMC was down ${c.failedBmcAtFault}; **lost (nobody at fault) ${c.lost}**; sessions whose close URL was never called **${r.sessionsWithoutCloseCall}** (close calls by code: ${Object.entries(
      r.closeCallCodes,
    )
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}).`,
    '',
    `Before the load and after it (every session reaped): RSS ${r.before.rssMb.toFixed(1)} → ${r.after.rssMb.toFixed(1)} MiB, heap ${r.before.heapMb.toFixed(1)} → ${r.after.heapMb.toFixed(1)} MiB, fds ${r.before.fds} → ${r.after.fds}, timers ${r.before.timers} → ${r.after.timers}, handles ${r.before.handles} → ${r.after.handles}, sessions ${r.before.sessions} → ${r.after.sessions}.`,
    '',
    `Under load, after a ${r.warmupSeconds} s warm-up:`,
    '',
    '| Series | first third | last third | min | max | slope per hour |',
    '| --- | --- | --- | --- | --- | --- |',
    ...SERIES.map((s) => {
      const t = r.trends[s.key]!;
      return `| ${s.label} | ${t.firstThird.toFixed(1)} | ${t.lastThird.toFixed(1)} | ${t.min.toFixed(1)} | ${t.max.toFixed(1)} | ${t.perHour >= 0 ? '+' : ''}${t.perHour.toFixed(1)} |`;
    }),
    '',
    ...(c.lostDetails.length > 0 ? ['Lost:', '', ...c.lostDetails.map((d) => `- ${d}`), ''] : []),
  ];
  return lines.join('\n');
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`soak failed: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(3);
  },
);
