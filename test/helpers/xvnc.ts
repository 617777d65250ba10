import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { isRunning, spawnTracked, terminate, type TrackedChild } from './child-processes.js';
import { parseXwd, saveForDebugging, type RgbImage } from './images.js';
import { freePort } from './ports.js';
import { requirePeer } from './require-peer.js';

/**
 * TigerVNC's Xvnc as a second, independent RFB server (a different codebase from QEMU's, with
 * Tight/ZRLE/Hextile and its own security-type handling), with xterm as something to look at and type
 * into. The X display number is chosen by Xvnc itself (-displayfd), the RFB port by us.
 */

export interface XvncOptions {
  /** With a password: SecurityTypes VncAuth. Without: SecurityTypes None. */
  password?: string;
  /** WIDTHxHEIGHT, default 1024x768. */
  geometry?: string;
  /** Default 24. */
  depth?: number;
  /** The desktop name sent in ServerInit; default "bmcgw-test". */
  desktopName?: string;
  extraArgs?: readonly string[];
}

export interface XtermHandle {
  child: TrackedChild;
  stop(): Promise<void>;
}

const START_TIMEOUT_MS = 15_000;

export async function startXvnc(options: XvncOptions = {}): Promise<XvncServer> {
  const xvnc = requirePeer('Xvnc', 'tigervnc-standalone-server');
  const xwd = requirePeer('xwd', 'x11-apps');
  const xterm = requirePeer('xterm', 'xterm');
  const vncpasswd = options.password !== undefined ? requirePeer('vncpasswd', 'tigervnc-tools') : undefined;
  const dir = await mkdtemp(join(tmpdir(), 'bmcgw-xvnc-'));
  try {
    let security = ['-SecurityTypes', 'None'];
    if (options.password !== undefined && vncpasswd !== undefined) {
      const passwordFile = join(dir, 'passwd');
      // vncpasswd -f: password on stdin, the DES-obfuscated file format Xvnc reads on stdout.
      await writeFile(passwordFile, await run(vncpasswd, ['-f'], `${options.password}\n`), { mode: 0o600 });
      security = ['-SecurityTypes', 'VncAuth', '-PasswordFile', passwordFile];
    }
    for (let attempt = 0; ; attempt++) {
      const port = await freePort();
      const args = [
        '-displayfd', '3',
        '-rfbport', String(port),
        '-localhost',
        '-nolisten', 'tcp',
        '-geometry', options.geometry ?? '1024x768',
        '-depth', String(options.depth ?? 24),
        '-desktop', options.desktopName ?? 'bmcgw-test',
        ...security,
        ...(options.extraArgs ?? []),
      ];
      const proc = spawnTracked(xvnc, args, { stdio: ['ignore', 'pipe', 'pipe', 'pipe'] });
      const display = await readDisplay(proc);
      if (display !== undefined) return new XvncServer(proc, display, port, dir, { xwd, xterm });
      await terminate(proc);
      // Another process may have taken the port between freePort() and Xvnc's bind.
      if (!/Address already in use|Could not create/i.test(proc.output()) || attempt >= 4) {
        throw new Error(`Xvnc did not start: ${xvnc} ${args.join(' ')}\n${proc.output()}`);
      }
    }
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

export class XvncServer {
  readonly port: number;
  /** The X display number: DISPLAY=:N for X clients. */
  readonly display: number;
  readonly #proc: TrackedChild;
  readonly #dir: string;
  readonly #bin: { xwd: string; xterm: string };
  readonly #xterms = new Set<XtermHandle>();

  constructor(proc: TrackedChild, display: number, port: number, dir: string, bin: { xwd: string; xterm: string }) {
    this.#proc = proc;
    this.display = display;
    this.port = port;
    this.#dir = dir;
    this.#bin = bin;
  }

  get running(): boolean {
    return isRunning(this.#proc);
  }

  /** The root window as X draws it (`xwd -root`), i.e. what a VNC client should converge to. */
  async screenshot(): Promise<RgbImage> {
    return parseXwd(await run(this.#bin.xwd, ['-root', '-silent', '-display', `:${this.display}`]));
  }

  /** Polls screenshot() until `predicate` holds; returns that screen. Throws after `timeoutMs`. */
  async waitForScreen(predicate: (screen: RgbImage) => boolean, timeoutMs = 15_000, intervalMs = 200): Promise<RgbImage> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const screen = await this.screenshot();
      if (predicate(screen)) return screen;
      if (Date.now() >= deadline) {
        const saved = saveForDebugging(screen, 'xvnc');
        throw new Error(`Xvnc screen did not reach the expected state within ${timeoutMs} ms (last screen: ${saved})`);
      }
      await sleep(intervalMs);
    }
  }

  /**
   * Starts an xterm on this display (default: 80x24 at the top-left corner). It runs until stopped,
   * or until stop() of the server. xterm's own stderr (e.g. font fallbacks) is kept in child.output().
   */
  startXterm(args: readonly string[] = ['-geometry', '80x24+0+0']): XtermHandle {
    const child = spawnTracked(this.#bin.xterm, args, {
      env: { ...process.env, DISPLAY: `:${this.display}` },
    });
    const handle: XtermHandle = {
      child,
      stop: async () => {
        this.#xterms.delete(handle);
        await terminate(child);
      },
    };
    this.#xterms.add(handle);
    return handle;
  }

  /** Stops xterms and Xvnc, removes the temp dir. Safe to call more than once. */
  async stop(): Promise<void> {
    for (const xterm of [...this.#xterms]) await xterm.stop();
    await terminate(this.#proc);
    await rm(this.#dir, { recursive: true, force: true });
  }
}

/**
 * Xvnc writes its display number and a newline to the -displayfd descriptor once it accepts X
 * clients (Xserver os/connection.c); the VNC listener is set up earlier, during extension init.
 * Undefined if it exits or stays silent instead.
 */
async function readDisplay(proc: TrackedChild): Promise<number | undefined> {
  const fd3 = proc.child.stdio[3];
  if (fd3 === null || fd3 === undefined || !('on' in fd3)) throw new Error('no -displayfd pipe');
  let text = '';
  const line = new Promise<string | undefined>((resolve) => {
    fd3.on('data', (chunk: Buffer) => {
      text += chunk.toString('latin1');
      if (text.includes('\n')) resolve(text);
    });
    void proc.exited.then(() => resolve(undefined));
  });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), START_TIMEOUT_MS);
  });
  const result = await Promise.race([line, timeout]);
  clearTimeout(timer);
  if (result === undefined || !/^[0-9]+\n/.test(result)) return undefined;
  return Number(result.trim());
}

/** Runs a program to completion; resolves with its stdout, rejects with its stderr. */
function run(file: string, args: readonly string[], input?: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      file,
      args,
      { encoding: 'buffer', maxBuffer: 256 * 1024 * 1024, timeout: 20_000 },
      (error, stdout, stderr) => {
        if (error !== null) reject(new Error(`${file} ${args.join(' ')}: ${error.message}\n${stderr.toString()}`));
        else resolve(stdout);
      },
    );
    child.stdin?.end(input ?? '');
  });
}
