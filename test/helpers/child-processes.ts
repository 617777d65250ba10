import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { findExecutable } from './require-peer.js';

/**
 * Spawning for real-peer helpers. A failed or interrupted test must not leave QEMU or Xvnc running on
 * a shared machine, so children die with the test process twice over: every child is SIGKILLed from
 * an 'exit' handler (a normal exit), and, where util-linux's setpriv exists (it is Essential in
 * Debian), it is started under `setpriv --pdeathsig KILL`, which makes the kernel kill it when the
 * test process dies any other way (SIGKILL from a vitest timeout, a crash). prctl(PR_SET_PDEATHSIG)
 * survives the exec of the real program.
 */

const setpriv = findExecutable('setpriv');

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // 'exit' handlers must be synchronous; process.kill is.
  process.once('exit', () => {
    for (const child of live) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  });
}

export interface TrackedChild {
  child: ChildProcess;
  /** stdout and stderr so far (last 64 KiB), for error messages. */
  output(): string;
  /** Resolves when the process has exited (immediately if it already has). */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const MAX_OUTPUT = 64 * 1024;

export function spawnTracked(command: string, args: readonly string[], options: SpawnOptions = {}): TrackedChild {
  installExitHook();
  const [file, argv] = setpriv !== undefined ? [setpriv, ['--pdeathsig', 'KILL', '--', command, ...args]] : [command, args];
  const child = spawn(file, argv, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
  live.add(child);
  let output = '';
  const collect = (chunk: Buffer): void => {
    output += chunk.toString('utf8');
    if (output.length > MAX_OUTPUT) output = output.slice(-MAX_OUTPUT);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      live.delete(child);
      resolve({ code, signal });
    });
    child.once('error', (error) => {
      collect(Buffer.from(`spawn failed: ${error.message}\n`));
      live.delete(child);
      resolve({ code: null, signal: null });
    });
  });
  return { child, output: () => output, exited };
}

export function isRunning(tracked: TrackedChild): boolean {
  const { child } = tracked;
  return child.exitCode === null && child.signalCode === null && live.has(child);
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
export async function terminate(tracked: TrackedChild, graceMs = 3000): Promise<void> {
  if (!isRunning(tracked)) {
    await tracked.exited;
    return;
  }
  tracked.child.kill('SIGTERM');
  const timer = setTimeout(() => tracked.child.kill('SIGKILL'), graceMs);
  await tracked.exited;
  clearTimeout(timer);
}

/** SIGKILL (a crash, as far as the peer's clients can tell); resolves once the process is gone. */
export async function killHard(tracked: TrackedChild): Promise<void> {
  if (isRunning(tracked)) tracked.child.kill('SIGKILL');
  await tracked.exited;
}
