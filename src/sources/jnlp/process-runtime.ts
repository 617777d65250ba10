import { spawn } from 'node:child_process';
import { constants as osConstants } from 'node:os';
import { chown, mkdir, readdir, readFile, rm, rmdir, writeFile } from 'node:fs/promises';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { GatewayError } from '../../errors.js';
import type { Logger } from '../../log.js';
import { PROJECT_ROOT } from '../../paths.js';
import { findExecutable } from '../../util/executables.js';
import type { JavaConfig } from './java-config.js';
import type { Sandbox, SandboxRuntime, SandboxSpec } from './sandbox.js';
import { ScriptSandbox } from './script-sandbox.js';

export const SESSION_SCRIPT = join(PROJECT_ROOT, 'containers', 'java-viewer', 'session.sh');

/** What the process runtime runs, and the Debian package that brings each. */
const PROGRAMS: readonly [string, string][] = [
  ['java', 'openjdk-17-jre'],
  ['Xvfb', 'xvfb'],
  ['x11vnc', 'x11vnc'],
  ['xwininfo', 'x11-utils'],
  ['setpriv', 'util-linux'],
];

/**
 * `java.runtime: process`: Xvfb, the viewer and x11vnc as children of session.sh, in a process
 * group of their own (killed as a group at the end), for hosts without Docker and quick local use.
 * When the gateway runs as root they run as `java.process.user` (setpriv); each of them also gets
 * PR_SET_PDEATHSIG, so a gateway killed with SIGKILL takes its viewers with it. Session folders
 * live in `<tmpdir>/bmc-gateway-java-<instance>/` (0700 to the viewer's user); what a crash leaves
 * there is removed at the next start.
 */
export class ProcessRuntime implements SandboxRuntime {
  readonly kind = 'process';
  readonly #root: string;
  readonly #user: string;
  readonly #log: Logger;

  constructor(cfg: JavaConfig['process'], workRoot: string, log: Logger) {
    this.#user = cfg.user;
    this.#root = workRoot;
    this.#log = log.child({ component: 'java-process' });
  }

  sessionDir(id: string): string {
    return join(this.#root, id);
  }

  async check(): Promise<void> {
    const missing = PROGRAMS.filter(([p]) => findExecutable(p) === undefined);
    if (missing.length > 0) {
      throw new GatewayError(
        'GW_ERR_JAVA_UNAVAILABLE',
        `Java viewers cannot run: ${missing.map(([p]) => p).join(', ')} not installed (apt-get install ${[...new Set(missing.map(([, pkg]) => pkg))].join(' ')})`,
      );
    }
    // A viewer needs AWT's X11 toolkit, which the headless JRE leaves out (HeadlessException).
    const javaHome = dirname(dirname(realpathSync(findExecutable('java')!)));
    if (!existsSync(join(javaHome, 'lib', 'libawt_xawt.so'))) {
      throw new GatewayError(
        'GW_ERR_JAVA_UNAVAILABLE',
        `Java viewers cannot run: ${javaHome} is a headless JRE without AWT's X11 toolkit (apt-get install openjdk-17-jre)`,
      );
    }
    if (!existsSync(SESSION_SCRIPT)) throw new GatewayError('GW_ERR_JAVA_UNAVAILABLE', `Java viewers cannot run: ${SESSION_SCRIPT} is missing`);
    if (isRoot()) this.#account();
  }

  /** The viewer's uid/gid when the gateway is root (java.process.user), from /etc/passwd. */
  #account(): { uid: number; gid: number } {
    const byName = /^\d+$/.test(this.#user) ? undefined : this.#user;
    for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
      const f = line.split(':');
      if (f.length < 4) continue;
      if (byName ? f[0] === byName : f[2] === this.#user) {
        const uid = Number(f[2]);
        if (uid === 0) throw new GatewayError('GW_ERR_JAVA_UNAVAILABLE', `java.process.user "${this.#user}" is root; Java viewers must run unprivileged`);
        return { uid, gid: Number(f[3]) };
      }
    }
    throw new GatewayError('GW_ERR_JAVA_UNAVAILABLE', `Java viewers cannot run: no user "${this.#user}" (java.process.user) on this host`);
  }

  async start(spec: SandboxSpec): Promise<Sandbox> {
    await this.check();
    const account = isRoot() ? this.#account() : undefined;
    const dir = this.sessionDir(spec.id);
    await mkdir(this.#root, { recursive: true, mode: account ? 0o711 : 0o700 });
    await mkdir(dir, { mode: 0o700 });
    for (const f of spec.files) {
      const path = join(dir, f.name);
      if (f.name.endsWith('/')) await mkdir(path, { recursive: true, mode: f.mode });
      else {
        await mkdir(dirname(path), { recursive: true, mode: 0o700 });
        await writeFile(path, f.data ?? Buffer.alloc(0), { mode: f.mode });
      }
      if (account) await chown(path, account.uid, account.gid);
    }
    if (account) await chown(dir, account.uid, account.gid);

    const setpriv = findExecutable('setpriv')!;
    const who = account ? [`--reuid=${account.uid}`, `--regid=${account.gid}`, '--clear-groups'] : [];
    const child = spawn(
      setpriv,
      [...who, '--pdeathsig', 'KILL', '--', '/bin/sh', SESSION_SCRIPT, '--dir', dir, '--screen', spec.screen, '--port-from', String(spec.portFrom)],
      {
        detached: true, // a process group of its own: killed as a group
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin', LANG: 'C.UTF-8' },
      },
    );
    const pid = child.pid;
    const kill = () => {
      if (pid !== undefined && child.exitCode === null && child.signalCode === null) {
        try {
          process.kill(-pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    };
    const gone = new Promise<void>((resolve) => child.once('close', () => resolve()));
    const sandbox = new ScriptSandbox('127.0.0.1', async () => {
      kill();
      await gone;
      await rm(dir, { recursive: true, force: true });
    });
    child.stdout.on('data', (c: Buffer) => sandbox.stdout(c));
    child.stderr.on('data', (c: Buffer) => sandbox.stderr(c));
    child.once('error', (e) => sandbox.exited(undefined, `cannot start the Java sandbox: ${e.message}`));
    child.once('close', (code, signal) => {
      // The script is gone; anything of its group still running (it was SIGKILLed) goes too.
      try {
        if (pid !== undefined) process.kill(-pid, 'SIGKILL');
      } catch {
        // nothing left
      }
      sandbox.exited(code ?? (signal ? 128 + (osConstants.signals[signal] ?? 0) : undefined));
      void rm(dir, { recursive: true, force: true });
    });
    this.#log.info(
      { event: 'java-process-started', pid, sandbox: spec.id, server: spec.serverId, user: account ? this.#user : undefined },
      'Java sandbox processes started',
    );
    return sandbox;
  }

  async close(): Promise<void> {
    await rmdir(this.#root).catch(() => {}); // only when empty: a sandbox still being removed keeps it
  }

  async removeLeftovers(): Promise<number> {
    let entries: string[];
    try {
      entries = await readdir(this.#root);
    } catch {
      return 0;
    }
    const dirs = entries.map((n) => join(this.#root, n));
    // Whatever still runs for one of those folders (pids are reused: matched by command line, not pid file).
    const pids: number[] = [];
    for (const pid of await readdir('/proc')) {
      if (!/^\d+$/.test(pid) || Number(pid) === process.pid) continue;
      const cmdline = (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).split('\0');
      if (cmdline.some((arg) => dirs.some((d) => arg === d || arg.startsWith(`${d}/`) || arg.startsWith(`@${d}/`)))) pids.push(Number(pid));
    }
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone meanwhile
      }
    }
    for (const d of dirs) await rm(d, { recursive: true, force: true });
    if (dirs.length > 0)
      this.#log.warn({ event: 'java-process-leftover', dirs: dirs.length, processes: pids.length }, 'removed Java sandboxes left by an earlier run');
    return dirs.length;
  }
}

function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}
