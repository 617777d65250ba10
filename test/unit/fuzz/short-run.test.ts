import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCampaign } from '../../../fuzz/engine.js';
import { TARGETS } from '../../../fuzz/targets/index.js';
import type { FuzzTarget } from '../../../fuzz/types.js';

/**
 * The suite keeps a short fuzz run of every target (a bounded number of inputs, never a time: the
 * result must not depend on how loaded the machine is), and replays every input a campaign saved
 * as escaping (fuzz/regressions/<target>/*.bin). The long campaign is `npm run fuzz` (docs/fuzzing.md).
 */
describe('fuzz targets', () => {
  for (const t of TARGETS) {
    const n = t.suiteInputs ?? 400;
    it(`${t.name}: ${n} mutated inputs, none escapes as anything but its typed error`, async () => {
      const r = await runCampaign(t, { maxInputs: n, seed: 15, coverage: false });
      expect(r.escapes.map((e) => e.error)).toEqual([]);
      expect(r.inputs).toBeGreaterThanOrEqual(n);
      // The seeds reach past the first check: more than one way through the target.
      expect(r.outcomes).toBeGreaterThan(1);
    }, 120_000);
  }

  it('every escaping input saved by a campaign now gets a typed error or an answer', async () => {
    const root = join(import.meta.dirname, '../../../fuzz/regressions');
    for (const dir of existsSync(root) ? readdirSync(root) : []) {
      const target = TARGETS.find((t) => t.name === dir);
      expect(target, `fuzz/regressions/${dir} names no target`).toBeDefined();
      await target!.setup?.();
      try {
        for (const f of readdirSync(join(root, dir)).filter((n) => n.endsWith('.bin'))) {
          try {
            await target!.run(readFileSync(join(root, dir, f)));
          } catch (err) {
            expect(target!.expected(err), `${dir}/${f}: ${String(err)}`).toBe(true);
          }
        }
      } finally {
        await target!.teardown?.();
      }
    }
  }, 120_000);

  it('the engine reports what escapes, shrunk, and with coverage counts blocks', async () => {
    const buggy: FuzzTarget = {
      name: 'buggy',
      description: 'throws a TypeError on a 0x42 byte',
      coverage: ['/test/unit/fuzz/'],
      seeds: () => [Buffer.from('hello world, no bug here at all')],
      run: (b) => {
        if (b.includes(0x42)) throw new TypeError('a bug');
        return String(b.length % 3);
      },
      expected: () => false,
    };
    const r = await runCampaign(buggy, { maxInputs: 3000, seed: 7, coverage: true });
    expect(r.escapes).toHaveLength(1);
    expect(r.escapes[0]!.error).toMatch(/^TypeError: a bug/);
    expect(r.escapes[0]!.input).toEqual(Buffer.from([0x42]));
    expect(r.blocks).toBeGreaterThan(0);
  }, 60_000);

  it('an input whose run never settles is an escape (a hang), and the campaign goes on', async () => {
    const hangs: FuzzTarget = {
      name: 'hangs',
      description: 'never settles on an input shorter than its seed',
      seeds: () => [Buffer.from('a seed that settles')],
      run: (b) => (b.length < 19 ? new Promise<string>(() => {}) : String(b.length % 2)),
      expected: () => false,
    };
    const r = await runCampaign(hangs, { maxInputs: 200, seed: 3, coverage: false, hangMs: 50 });
    expect(r.inputs).toBeGreaterThanOrEqual(200);
    expect(r.escapes.map((e) => e.error)).toEqual([expect.stringMatching(/^HangError: did not settle/)]);
    expect(r.escapes[0]!.input.length).toBeLessThan(19);
  }, 60_000);

  it('inputs costing more CPU time than the bound are one escape, saved as they came (no shrinking: each try would cost that time again)', async () => {
    const busy = (ms: number) => {
      const start = process.cpuUsage();
      for (;;) {
        const u = process.cpuUsage(start);
        if ((u.user + u.system) / 1000 >= ms) return;
      }
    };
    const slow: FuzzTarget = {
      name: 'slow',
      description: 'spends 30 ms of CPU on inputs longer than its seed',
      seeds: () => [Buffer.from('0123456789')],
      run: (b) => {
        if (b.length > 10) busy(30);
        return 'ok';
      },
      expected: () => false,
    };
    const r = await runCampaign(slow, { maxInputs: 30, seed: 5, coverage: false, slowMs: 20 });
    expect(r.escapes.map((e) => e.error)).toEqual([expect.stringMatching(/^Error: took over 20 ms of CPU time/)]);
    expect(r.escapes[0]!.input.length).toBeGreaterThan(10);
    expect(r.slowestMs).toBeGreaterThanOrEqual(30);
  }, 60_000);
});
