import { spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { Measured } from '../../../bench/processes.js';

/**
 * The harness's CPU figures for a process tree (bench/processes.ts): the `opening` row with
 * `--workers N` reports the gateway's front apart from its workers with ownCpuSeconds.
 */
describe('Measured: CPU of a process and of its tree', () => {
  let m: Measured | undefined;
  afterEach(async () => {
    await m?.stop();
    m = undefined;
  });

  it("counts a busy child in the tree's CPU and not in the parent's own", async () => {
    // A parent that idles while its child spins until it has used 0.6 s of CPU (not of wall time: on
    // a loaded machine 600 ms of spinning got 0.38 s of CPU); both wait to be stopped, and neither
    // outlives 30 s whatever happens to the test.
    const script = `
      const { spawn } = require('node:child_process');
      const spin = 'const t0 = Date.now(); const used = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1e6; }; while (used() < 0.6 && Date.now() - t0 < 25000); setTimeout(() => {}, 30000);';
      const child = spawn(process.execPath, ['-e', spin], { stdio: 'ignore' });
      process.on('SIGTERM', () => { child.kill('SIGKILL'); process.exit(0); });
      setTimeout(() => { child.kill('SIGKILL'); process.exit(0); }, 30000);
    `;
    m = new Measured('tree', spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'pipe'] }));
    const deadline = Date.now() + 20_000;
    while (m.cpuSeconds() - m.ownCpuSeconds() < 0.4 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const tree = m.cpuSeconds();
    const own = m.ownCpuSeconds();
    expect(tree - own).toBeGreaterThanOrEqual(0.4);
    expect(own).toBeLessThan(tree);
    expect(own).toBeGreaterThan(0); // node's own start-up
  });
});
