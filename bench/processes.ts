import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const DIST = dirname(fileURLToPath(import.meta.url)); // dist/bench
const CLK_TCK = 100; // Linux USER_HZ; /proc/<pid>/stat times are in these ticks

/** A child process the harness measures: CPU seconds and RSS of it and its descendants (websockify forks per connection). */
export class Measured {
  readonly name: string;
  readonly proc: ChildProcess;
  output = '';

  constructor(name: string, proc: ChildProcess) {
    this.name = name;
    this.proc = proc;
    proc.stdout?.on('data', (d: Buffer) => (this.output = (this.output + d.toString()).slice(-20_000)));
    proc.stderr?.on('data', (d: Buffer) => (this.output = (this.output + d.toString()).slice(-20_000)));
  }

  get pid(): number {
    return this.proc.pid!;
  }

  #tree(): number[] {
    const parent = new Map<number, number>();
    for (const d of readdirSync('/proc')) {
      if (!/^\d+$/.test(d)) continue;
      try {
        const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
        const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
        parent.set(Number(d), ppid);
      } catch {
        // gone meanwhile
      }
    }
    const out = [this.pid];
    for (let i = 0; i < out.length; i++) for (const [pid, pp] of parent) if (pp === out[i]) out.push(pid);
    return out;
  }

  /** User + system CPU seconds of the process and its live descendants. */
  cpuSeconds(): number {
    return this.#cpuTicks(this.#tree()) / CLK_TCK;
  }

  /**
   * The same for the process alone, without its live descendants: the gateway's front when its
   * sessions live in worker processes (`workers:`). Children it has waited for still count.
   */
  ownCpuSeconds(): number {
    return this.#cpuTicks([this.pid]) / CLK_TCK;
  }

  #cpuTicks(pids: number[]): number {
    let ticks = 0;
    for (const pid of pids) {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        // utime, stime (fields 14, 15) and cutime, cstime (16, 17): websockify forks a process per
        // connection, and a child that has exited and been waited for counts in its parent's c-times.
        ticks += Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
      } catch {
        // exited
      }
    }
    return ticks;
  }

  /** Resident set size in MB, summed over the process and its descendants. */
  rssMb(): number {
    let kb = 0;
    for (const pid of this.#tree()) {
      try {
        const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
        kb += Number(m?.[1] ?? 0);
      } catch {
        // exited
      }
    }
    return kb / 1024;
  }

  async stop(): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    const exited = new Promise<void>((r) => this.proc.once('exit', () => r()));
    this.proc.kill('SIGTERM');
    const t = setTimeout(() => this.proc.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(t);
  }
}

/** Waits until something accepts TCP connections on 127.0.0.1:port (bounded). */
export async function waitForPort(port: number, child: Measured, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.proc.exitCode !== null) throw new Error(`${child.name} exited: ${child.output}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = createConnection(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${child.name} did not listen on ${port} within ${timeoutMs} ms: ${child.output}`);
}

/** The gateway (dist/src/cli.js serve) as a child with its own config; `cpuProfDir` adds --cpu-prof. */
export async function startGateway(o: { port: number; config: Record<string, unknown>; dir: string; cpuProfDir?: string }): Promise<Measured> {
  const file = join(o.dir, `gateway-${o.port}.yaml`);
  // JSON is YAML.
  writeFileSync(file, JSON.stringify({ listen: `127.0.0.1:${o.port}`, log: { level: 'warn' }, ...o.config }, null, 1));
  // --no-memory-reducer: as the gateway is started by `npm start`, its systemd unit and its image (README).
  const args = [
    '--no-memory-reducer',
    ...(o.cpuProfDir ? ['--cpu-prof', '--cpu-prof-dir', o.cpuProfDir] : []),
    join(DIST, '../src/cli.js'),
    'serve',
    '--config',
    file,
  ];
  const child = new Measured('gateway', spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] }));
  try {
    await waitForPort(o.port, child);
  } catch (err) {
    await child.stop(); // a gateway that did not come up in time must not outlive the run
    throw err;
  }
  return child;
}

/**
 * Debian's websockify: WebSocket on `port` to TCP 127.0.0.1:target. Throws naming the package if missing.
 * `web`: also serve that directory's files over HTTP on the same port (`--web`, e.g. Debian's noVNC).
 */
export async function startWebsockify(port: number, target: number, opts: { web?: string } = {}): Promise<Measured> {
  const args = [...(opts.web ? ['--web', opts.web] : []), `127.0.0.1:${port}`, `127.0.0.1:${target}`];
  const child = new Measured('websockify', spawn('websockify', args, { stdio: ['ignore', 'pipe', 'pipe'] }));
  child.proc.on('error', (err) => (child.output += `\n${err.message} (is Debian's websockify installed?)`));
  await waitForPort(port, child);
  return child;
}

export async function startBareRelay(port: number, target: number): Promise<Measured> {
  const child = new Measured(
    'relay',
    spawn(process.execPath, [join(DIST, 'bare-relay.js'), String(port), String(target)], { stdio: ['ignore', 'pipe', 'pipe'] }),
  );
  await waitForPort(port, child);
  return child;
}
