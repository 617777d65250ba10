import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { isRunning, killHard, spawnTracked, terminate, type TrackedChild } from './child-processes.js';
import { parseXwd, saveForDebugging, type RgbImage } from './images.js';
import { pamWrapperEnv } from './pam-wrapper.js';
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
  /**
   * Xvnc's -SecurityTypes list instead of the default above (e.g. ['TLSVnc'] or
   * ['VeNCrypt', 'X509Vnc']); a password, if given, is still set up for the Vnc ones.
   */
  securityTypes?: readonly string[];
  /** PEM certificate and key for the X509* types (written to files only this process reads). */
  x509?: { cert: string; key: string };
  /** Users (name: password) for the Plain types, checked through PAM by pam_wrapper (pam-wrapper.ts). */
  plainUsers?: Record<string, string>;
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
    if (options.securityTypes !== undefined) security.splice(0, 2, '-SecurityTypes', options.securityTypes.join(','));
    if (options.x509 !== undefined) {
      await writeFile(join(dir, 'cert.pem'), options.x509.cert, { mode: 0o600 });
      await writeFile(join(dir, 'key.pem'), options.x509.key, { mode: 0o600 });
      security.push('-X509Cert', join(dir, 'cert.pem'), '-X509Key', join(dir, 'key.pem'));
    }
    const args = [
      '-localhost',
      '-nolisten',
      'tcp',
      '-geometry',
      options.geometry ?? '1024x768',
      '-depth',
      String(options.depth ?? 24),
      '-desktop',
      options.desktopName ?? 'bmcgw-test',
      ...security,
      ...(options.extraArgs ?? []),
    ];
    let env: NodeJS.ProcessEnv | undefined;
    if (options.plainUsers !== undefined) {
      env = await pamWrapperEnv(dir, 'vnc', options.plainUsers);
      args.push('-PAMService', 'vnc', '-PlainUsers', Object.keys(options.plainUsers).join(','));
    }
    const server = new XvncServer(dir, { xvnc, xwd, xterm }, args, env);
    for (let attempt = 0; ; attempt++) {
      try {
        await server.launch(await freePort());
        return server;
      } catch (error) {
        // Another process may have taken the port between freePort() and Xvnc's bind.
        if (!(error instanceof PortInUseError) || attempt >= 4) throw error;
      }
    }
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

interface Binaries {
  xvnc: string;
  xwd: string;
  xterm: string;
}

export class XvncServer {
  readonly #dir: string;
  readonly #bin: Binaries;
  readonly #args: readonly string[];
  readonly #env: NodeJS.ProcessEnv | undefined;
  readonly #xterms = new Set<XtermHandle>();
  #proc: TrackedChild | undefined;
  #port = 0;
  #display = -1;

  constructor(dir: string, bin: Binaries, args: readonly string[], env?: NodeJS.ProcessEnv) {
    this.#dir = dir;
    this.#bin = bin;
    this.#args = args;
    this.#env = env;
  }

  /** The RFB port on 127.0.0.1; kept across restart(). */
  get port(): number {
    return this.#port;
  }

  /** The X display number (DISPLAY=:N for X clients); may change on restart(). */
  get display(): number {
    return this.#display;
  }

  /** Starts Xvnc on `port`. Used by startXvnc and restart(); throws PortInUseError if it is taken. */
  async launch(port: number): Promise<void> {
    const args = ['-displayfd', '3', '-rfbport', String(port), ...this.#args];
    const proc = spawnTracked(this.#bin.xvnc, args, { stdio: ['ignore', 'pipe', 'pipe', 'pipe'], ...(this.#env ? { env: this.#env } : {}) });
    const display = await readDisplay(proc);
    if (display === undefined) {
      await terminate(proc);
      // Xvnc exits with "vncExtInit: failed to bind socket: Address already in use (98)".
      const message = `Xvnc did not start: ${this.#bin.xvnc} ${args.join(' ')}\n${proc.output()}`;
      throw /Address already in use/.test(proc.output()) ? new PortInUseError(message) : new Error(message);
    }
    this.#proc = proc;
    this.#port = port;
    this.#display = display;
  }

  /** SIGKILLs Xvnc (its xterms exit with it), as a crashed server looks to its VNC clients. */
  async kill(): Promise<void> {
    if (this.#proc !== undefined) await killHard(this.#proc);
    for (const xterm of [...this.#xterms]) await xterm.stop();
  }

  /**
   * Kills Xvnc if it runs and starts it again on the same RFB port with the same password. The X
   * display number may differ afterwards, and xterms must be started again.
   */
  async restart(): Promise<void> {
    await this.kill();
    // Xvnc's listener sets SO_REUSEADDR, so the port is free once the process is gone; a short retry
    // covers a slow exit.
    const deadline = Date.now() + 5000;
    for (;;) {
      try {
        await this.launch(this.#port);
        return;
      } catch (error) {
        if (!(error instanceof PortInUseError) || Date.now() >= deadline) throw error;
        await sleep(200);
      }
    }
  }

  get running(): boolean {
    return this.#proc !== undefined && isRunning(this.#proc);
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
    if (this.#proc !== undefined) await terminate(this.#proc);
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
    const child = execFile(file, args, { encoding: 'buffer', maxBuffer: 256 * 1024 * 1024, timeout: 20_000 }, (error, stdout, stderr) => {
      if (error !== null) reject(new Error(`${file} ${args.join(' ')}: ${error.message}\n${stderr.toString()}`));
      else resolve(stdout);
    });
    child.stdin?.end(input ?? '');
  });
}

class PortInUseError extends Error {}
