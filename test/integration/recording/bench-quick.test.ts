import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * `npm run bench -- --quick` works end to end: builds, starts the gateway, websockify and the bare
 * relay as children, replays the fixtures through each, prints the table and writes the JSON.
 * No timing is asserted (CI machines are noisy); only that every row has figures for all three.
 * Needs Debian's websockify (a missing one fails the run, it is not skipped).
 */
describe('benchmark harness, quick mode', () => {
  it('runs and writes a result with the machine, Node version and every row', async () => {
    const out = await mkdtemp(join(tmpdir(), 'bmcgw-bench-test-'));
    try {
      const child = spawn('npm', ['run', 'bench', '--', '--quick', '--out', out], { stdio: ['ignore', 'pipe', 'pipe'] });
      let text = '';
      child.stdout.on('data', (d: Buffer) => (text += d.toString()));
      child.stderr.on('data', (d: Buffer) => (text += d.toString()));
      const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
      expect(code, text).toBe(0);
      // it says what it is doing while it runs: a line as each row starts and ends, with elapsed time
      expect(text).toMatch(/\[00:\d\d\] throughput, N=1 at max speed …/);
      expect(text).toMatch(/\[\d\d:\d\d\] scale, 20 consoles \(quick\): done in \d+\.\d s/);
      expect(text).toContain('| gateway');
      // the machine's costs, measured first and printed in the header (bench/machine.ts)
      expect(text).toMatch(/machine: a page fault \d+\.\d µs, a loopback round trip between processes \d+ µs \(p99 \d+\)/);
      const files = await readdir(out);
      expect(files.filter((f) => f.endsWith('.json'))).toHaveLength(1);
      const result = JSON.parse(
        await readFile(
          join(
            out,
            files.find((f) => f.endsWith('.json'))!,
          ),
          'utf8',
        ),
      ) as {
        cpu: string;
        node: string;
        machine: { pageFaultUs: number; faultsPerPage: number; roundTripUs: { p50: number; p99: number }; roundTrips: number };
        quick: boolean;
        rows: { group: string; metric: string; values: Record<string, number | null> }[];
      };
      expect(result.quick).toBe(true);
      expect(result.node).toBe(process.version);
      expect(result.cpu.length).toBeGreaterThan(0);
      expect(result.machine.pageFaultUs).toBeGreaterThan(0);
      expect(result.machine.faultsPerPage).toBeGreaterThan(0.9);
      expect(result.machine.roundTrips).toBe(2000);
      expect(result.machine.roundTripUs.p50).toBeGreaterThan(0);
      // For comparison with goal 4: every rectangle's Tight zlib data inflated alone (bench/encode-work.ts --inflate-only).
      const inflateAll = result.rows.find((r) => r.group === 'throughput, N=1 at max speed' && r.metric.includes('inflating every rectangle'));
      expect(inflateAll?.values.gateway).toBeGreaterThan(0);
      const groups = new Set(result.rows.map((r) => r.group.split(',')[0]));
      expect([...groups]).toEqual(expect.arrayContaining(['time to first frame', 'throughput', 'added latency', 'fan-out', 'memory']));
      expect([...groups]).toContain('ATEN capture (X10SRi-F) x1');
      expect([...groups]).toContain('scale');
      for (const r of result.rows) {
        // The ATEN rows have no baseline (a byte pipe cannot turn ATEN into RFB), nor the scale rows
        // (1,000 websockify processes would need ~30 GB). Inflating every rectangle is measured in the harness, for the gateway's decoder only;
        // the gateway's event-loop delay is read from its own /metrics.
        const gatewayOnly =
          r.group.startsWith('ATEN capture') ||
          r.group.startsWith('scale') ||
          r.metric.includes('inflating every rectangle') ||
          r.metric.startsWith("the gateway's");
        const targets = gatewayOnly ? ['gateway'] : ['gateway', 'websockify', 'relay'];
        for (const t of targets) expect(typeof r.values[t], `${r.group} / ${r.metric} / ${t}`).toBe('number');
      }
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  }, 180_000);
});
