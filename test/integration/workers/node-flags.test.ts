import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleCli, startCliGateway, type CliGateway } from '../../helpers/cli-process.js';
import { until } from '../../helpers/gateway-calls.js';

/** A process's command line, as the kernel has it. */
function cmdline(pid: number): string[] {
  return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
}

// README, "Node's memory reducer": the gateway runs with --no-memory-reducer, and its worker
// processes must too, or their sessions get the 10-20 ms collections the flag is there to avoid.
describe('Node flags of worker processes', () => {
  let entry: string;
  let dir: string;
  let gw: CliGateway | undefined;

  beforeAll(async () => {
    [entry, dir] = await Promise.all([bundleCli(), mkdtemp(join(tmpdir(), 'bmcgw-node-flags-'))]);
  }, 60_000);
  afterAll(async () => {
    await gw?.stop();
    await rm(dir, { recursive: true, force: true });
    await rm(entry, { force: true });
  });

  it('--no-memory-reducer passes on to every worker; other Node flags of the front do not', async () => {
    gw = await startCliGateway(entry, { workers: 2, tokens: [], servers: [] }, { dir, nodeArgs: ['--no-memory-reducer', '--max-old-space-size=700'] });
    const url = gw.url;
    const workers = await until(
      'two ready workers in /healthz',
      async () => {
        const listed = ((await (await fetch(`${url}/healthz`)).json()) as { workers: { pid: number; ready: boolean }[] }).workers;
        return listed.length === 2 && listed.every((w) => w.ready) ? listed : undefined;
      },
      20_000,
      100,
    );
    expect(
      workers.filter((w) => w.ready),
      JSON.stringify(workers),
    ).toHaveLength(2);
    expect(cmdline(gw.proc.child.pid!)).toContain('--no-memory-reducer');
    for (const w of workers) {
      const args = cmdline(w.pid);
      expect(args, args.join(' ')).toContain('--no-memory-reducer');
      expect(
        args.some((a) => a.startsWith('--max-old-space-size')),
        args.join(' '),
      ).toBe(false);
    }
  });
});
