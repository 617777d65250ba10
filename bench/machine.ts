import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createConnection } from 'node:net';
import { quantile } from './stats.js';

/**
 * What the machine charges for the two things the benchmark's figures are most sensitive to,
 * measured at the start of every run and printed with its results.
 *
 * - **A page fault.** Whatever touches fresh memory pays one a 4 KiB page: a gateway's new
 *   framebuffer (768 pages for 1024x768), a websockify forked for a connection, a new Chromium
 *   renderer. Two machines that ran the same code a few hours apart differed by more than ten times
 *   here (a 2-core Intel Xeon: about 1 µs; a 2-core AMD EPYC VM: 11–20 µs), and with it the
 *   `opening`, `browser` and 1,000-console rows (BENCHMARKS.md, "A machine where a page fault costs
 *   11 µs").
 * - **A loopback round trip** between two processes: one byte written, read and written back. Every
 *   relayed update costs the proxy a few such writes and wake-ups, the pipes as much as the gateway.
 *
 * Both are read in child processes of their own, so the harness's memory and event loop stay as they
 * were. Linux only: the fault count is the kernel's (`/proc/self/stat`, minflt).
 */
export interface MachineCosts {
  /** CPU µs per minor page fault: fresh memory touched one byte a page, over the faults the kernel counted. */
  pageFaultUs: number;
  /** Faults counted while touching, over the pages touched (about 1: every page was fresh). */
  faultsPerPage: number;
  /** Loopback round trip between two processes, µs: median and p99 of `roundTrips`. */
  roundTripUs: { p50: number; p99: number };
  roundTrips: number;
}

/** Memory touched per measurement, and how often (the median is kept). */
const FAULT_BYTES = 64 * 1024 * 1024;
const FAULT_REPEATS = 3;
const PAGE = 4096;

/**
 * Runs in a child: allocates `bytes` as the gateway's pixel store does (a SharedArrayBuffer, zeroed
 * memory from the kernel), writes one byte in each page, and prints the CPU time that took (user +
 * system, so another process's share of the core does not count) and the faults the kernel counted.
 * Each repeat keeps the earlier buffers alive, so none reuses their pages.
 */
const FAULT_SCRIPT = `
const fs = require('node:fs');
const minflt = () => Number(fs.readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ')[7]);
const [bytes, repeats, page] = process.argv.slice(1).map(Number);
const keep = [];
const out = [];
for (let r = 0; r < repeats; r++) {
  const f0 = minflt();
  const c0 = process.cpuUsage();
  const u8 = new Uint8Array(new SharedArrayBuffer(bytes));
  for (let i = 0; i < bytes; i += page) u8[i] = 1;
  const c = process.cpuUsage(c0);
  out.push({ cpuUs: c.user + c.system, faults: minflt() - f0 });
  keep.push(u8);
}
process.stdout.write(JSON.stringify(out));
`;

/** Median of the repeats' CPU µs per fault, and of their faults per page touched. */
export async function pageFaultCost(bytes = FAULT_BYTES, repeats = FAULT_REPEATS): Promise<{ pageFaultUs: number; faultsPerPage: number }> {
  const child = spawn(process.execPath, ['-e', FAULT_SCRIPT, String(bytes), String(repeats), String(PAGE)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  const [code] = (await once(child, 'exit')) as [number | null];
  clearTimeout(timer);
  if (code !== 0) throw new Error(`page-fault measurement failed (exit ${code}): ${err.trim() || out.trim()}`);
  const runs = JSON.parse(out) as { cpuUs: number; faults: number }[];
  const pages = Math.ceil(bytes / PAGE);
  return {
    pageFaultUs: quantile(
      runs.map((r) => r.cpuUs / Math.max(1, r.faults)),
      0.5,
    )!,
    faultsPerPage: quantile(
      runs.map((r) => r.faults / pages),
      0.5,
    )!,
  };
}

/** Runs in a child: a TCP server on a free loopback port that echoes what it reads; prints the port. */
const ECHO_SCRIPT = `
const server = require('node:net').createServer((s) => { s.setNoDelay(true); s.on('data', (d) => s.write(d)); s.on('error', () => {}); });
server.listen(0, '127.0.0.1', () => process.stdout.write(String(server.address().port) + '\\n'));
setTimeout(() => process.exit(0), 30000);
`;

/** Round trips made first and not counted: the connection's and the code's first uses. */
const WARM_UP = 100;

/**
 * One byte to an echo process and back, `count` times one after another after WARM_UP more (at most
 * `budgetMs` in all): the median and p99 round trip, µs.
 */
export async function loopbackRoundTrip(count = 2000, budgetMs = 5000): Promise<{ p50: number; p99: number; n: number }> {
  const child = spawn(process.execPath, ['-e', ECHO_SCRIPT], { stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    const port = await new Promise<number>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('\n')) resolve(Number(out.trim()));
      });
      child.once('exit', (code) => reject(new Error(`the echo process ended (exit ${code}) before it listened`)));
    });
    const sock = createConnection({ host: '127.0.0.1', port, noDelay: true });
    await once(sock, 'connect');
    // A 'data' handler that writes the next byte itself: no promise or listener made per round trip,
    // so the harness's own garbage does not show in the tail.
    const times: number[] = [];
    const deadline = performance.now() + budgetMs;
    const byte = Buffer.from([0x2a]);
    try {
      await new Promise<void>((resolve, reject) => {
        let i = 0;
        let t0 = 0;
        const next = (): void => {
          if (times.length >= count || performance.now() >= deadline) return resolve();
          t0 = performance.now();
          sock.write(byte);
        };
        sock.on('data', () => {
          if (i++ >= WARM_UP) times.push((performance.now() - t0) * 1000);
          next();
        });
        sock.once('error', reject);
        sock.once('close', () => reject(new Error('the echo process closed the connection')));
        next();
      });
    } finally {
      sock.destroy();
    }
    if (times.length === 0) throw new Error('no loopback round trip completed');
    return { p50: quantile(times, 0.5)!, p99: quantile(times, 0.99)!, n: times.length };
  } finally {
    child.kill('SIGKILL');
  }
}

export async function machineCosts(): Promise<MachineCosts> {
  const faults = await pageFaultCost();
  const rt = await loopbackRoundTrip();
  return { ...faults, roundTripUs: { p50: rt.p50, p99: rt.p99 }, roundTrips: rt.n };
}

/** For the run's header: "a page fault 11.2 µs, a loopback round trip 48 µs (p99 95)". */
export function describeMachineCosts(m: MachineCosts): string {
  return `a page fault ${m.pageFaultUs.toFixed(1)} µs, a loopback round trip between processes ${m.roundTripUs.p50.toFixed(0)} µs (p99 ${m.roundTripUs.p99.toFixed(0)})`;
}
