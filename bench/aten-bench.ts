/**
 * The benchmark's ATEN row: a real capture (the X10SRi-F session in ../shared/fixtures/aten: one
 * full 1280x1024 AST2100 frame of VQ blocks, 19 cursor deltas, 88 empty updates) played by the
 * replay BMC (bench/aten-replay-bmc.ts, in a child process of its own) `loops` times at max speed into one `aten` console of the
 * gateway, watched by N viewers (the harness's WebSocket RFB clients standing in for browsers).
 *
 * The BMC sends an update only when asked, as a real one does, so the gateway has decoded update k
 * when request k+1 arrives: "decoded" below is exact, not a guess from socket buffers. The viewers
 * join while the BMC holds everything after the first update; the clock starts when it lets go.
 * There is no baseline column: a byte pipe cannot turn ATEN into RFB for noVNC.
 */
import { fork } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AtenServerStream } from '../protocols/aten/server-stream.js';
import type { Framebuffer } from '../protocols/rfb/framebuffer.js';
import { bmcStreamOf } from '../src/sources/aten/capture-stream.js';
import type { Row } from './bench.js';
import { startGateway } from './processes.js';
import { WsRfbViewer } from './ws-rfb-viewer.js';

export interface AtenBenchContext {
  capture: string;
  work: string;
  token: string;
  /** --profile: the gateway runs with --cpu-prof, profiles written here. */
  cpuProfDir?: string;
  port(): Promise<number>;
  until(cond: () => boolean, timeoutMs: number, what: string): Promise<void>;
}

const WEB = { webUser: 'ADMIN', webPassword: 'bench-bmc-pw' };

/** Rows for N viewers of one console replaying the capture `loops` times. */
export async function atenCaptureRows(ctx: AtenBenchContext, n: number, loops: number): Promise<Row[]> {
  const group = `ATEN capture (X10SRi-F) x${loops}, N=${n} viewers`;
  if (!existsSync(ctx.capture))
    return [{ group, metric: 'updates decoded', unit: 'updates/s', better: 'higher', values: {}, note: `no capture at ${ctx.capture}` }];
  const final = finalPicture(bmcStreamOf(readFileSync(ctx.capture)).data);
  const bmc = fork(join(dirname(fileURLToPath(import.meta.url)), 'aten-replay-bmc-process.js'), [JSON.stringify({ capture: ctx.capture, loops, ...WEB })], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const ready = await new Promise<{ consoleConfig: Record<string, unknown>; perLoop: number }>((resolve, reject) => {
    bmc.once('message', (m) => resolve(m as { consoleConfig: Record<string, unknown>; perLoop: number }));
    bmc.once('exit', (code) => reject(new Error(`the replay BMC exited (${code}) before it was ready`)));
  });
  const total = ready.perLoop * loops;
  let decoded: { ms: number } | undefined;
  bmc.on('message', (m: { type: string; ms: number }) => {
    if (m.type === 'decoded') decoded = m;
  });
  const port = await ctx.port();
  const gw = await startGateway({
    port,
    dir: ctx.work,
    ...(ctx.cpuProfDir ? { cpuProfDir: ctx.cpuProfDir } : {}),
    config: {
      tokens: [{ token: ctx.token, servers: ['*'] }],
      servers: [{ id: 'x10', console: { ...ready.consoleConfig, connectTimeout: '60s' } }],
      sessions: { maxViewers: n + 1, idleTimeout: '10m' },
    },
  });
  const viewers: WsRfbViewer[] = [];
  try {
    for (let i = 0; i < n; i += 10) {
      await Promise.all(
        Array.from({ length: Math.min(10, n - i) }, async () => {
          const res = await fetch(`http://127.0.0.1:${port}/api/v1/sessions`, {
            method: 'POST',
            headers: { authorization: `Bearer ${ctx.token}`, 'content-type': 'application/json' },
            body: JSON.stringify({ serverId: 'x10' }),
          });
          const body = (await res.json()) as { url: string; error?: { message: string } };
          if (!res.ok) throw new Error(`open x10: ${res.status} ${body.error?.message}`);
          const v = new WsRfbViewer(body.url.replace(/^http/, 'ws').replace('/console/', '/ws/'));
          viewers.push(v);
          await v.ready();
        }),
      );
    }
    await ctx.until(() => viewers.every((v) => v.fb?.width === final.width && v.updates > 0), 60_000, 'every viewer to show the first picture');
    const cpu0 = gw.cpuSeconds();
    const t0 = performance.now();
    bmc.send({ type: 'release' });
    await ctx.until(() => decoded !== undefined, 300_000, `the gateway to decode ${total} updates`);
    await ctx.until(() => viewers.every((v) => v.shows(final)), 120_000, `${n} viewers to show the final picture`);
    const shownAt = performance.now();
    const cpu = gw.cpuSeconds() - cpu0;
    const decodeS = decoded!.ms / 1000;
    return [
      {
        group,
        metric: 'updates decoded',
        unit: 'updates/s',
        better: 'higher',
        values: { gateway: (total - 1) / decodeS },
        note: `${total} updates: ${loops} full 1280x1024 frames, ${loops * 19} one-block deltas, the rest empty; each asked for by the gateway`,
      },
      {
        group,
        metric: 'gateway CPU per update',
        unit: 'CPU ms',
        better: 'lower',
        values: { gateway: (cpu / (total - 1)) * 1000 },
        note: 'decode, plus encoding for the viewers',
      },
      { group, metric: 'time to the final picture on every viewer', unit: 'ms', better: 'lower', values: { gateway: shownAt - t0 } },
    ];
  } finally {
    for (const v of viewers) v.close();
    await gw.stop();
    bmc.disconnect();
  }
}

function finalPicture(data: Buffer): Framebuffer {
  const s = new AtenServerStream();
  s.push(data);
  return s.fb;
}
