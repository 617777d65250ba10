import type { TarFile } from '../../util/tar.js';

/**
 * Where a Java viewer runs: one sandbox per console holding Xvfb, the viewer and x11vnc, started by
 * containers/java-viewer/session.sh. Two runtimes implement it (docker-runtime.ts, process-runtime.ts);
 * both read the script's status lines with SessionScriptOutput.
 */
export interface SandboxSpec {
  /** Random, names the container / work folder. */
  id: string;
  sessionId: string;
  serverId: string;
  /** The session folder's files (launch-files.ts), paths relative to `runtime.sessionDir(id)`. */
  files: TarFile[];
  /** Xvfb's screen: the most the viewer's window can grow to. */
  screen: string;
  /** x11vnc probes for a free port from here. */
  portFrom: number;
}

export interface SandboxEnd {
  /** The viewer's exit code (128 + signal when it was killed), or undefined when unknown. */
  exitCode: number | undefined;
  /** A sentence for people: what ended (the viewer exited, crashed, the sandbox was removed). */
  reason: string;
}

export interface Sandbox {
  /** Resolves with x11vnc's address once the viewer's window is showing; rejects (GatewayError) if the sandbox ends first. */
  readonly ready: Promise<{ host: string; port: number; window: string }>;
  /** Resolves when the sandbox has ended, for whatever reason. */
  readonly ended: Promise<SandboxEnd>;
  /** The last lines the viewer printed (redact before showing). */
  output(): string;
  /** Ends it and removes every trace (container, processes, files); resolves when gone. */
  stop(): Promise<void>;
}

export interface SandboxRuntime {
  readonly kind: 'docker' | 'process';
  /** The session folder as the viewer's processes see it. */
  sessionDir(id: string): string;
  /** Throws GW_ERR_JAVA_UNAVAILABLE naming what is missing. */
  check(): Promise<void>;
  start(spec: SandboxSpec): Promise<Sandbox>;
  /** Removes sandboxes an earlier run of this gateway instance left (after a crash); returns how many. */
  removeLeftovers(): Promise<number>;
  /** After the last sandbox is gone: lets go of what the runtime holds (connections, its empty work folder). */
  close(): Promise<void>;
}

/** The session script's status lines (`bmcgw-java: …` on stdout), turned into events. */
export class SessionScriptOutput {
  #stdout = '';
  #tail = '';
  readonly #onLine: (ev: ScriptEvent) => void;
  static readonly TAIL_CHARS = 4096;

  constructor(onLine: (ev: ScriptEvent) => void) {
    this.#onLine = onLine;
  }

  stdout(chunk: Buffer): void {
    this.#stdout += chunk.toString('utf8');
    if (this.#stdout.length > 64 * 1024) this.#stdout = this.#stdout.slice(-64 * 1024); // a line that never ends
    let i: number;
    while ((i = this.#stdout.indexOf('\n')) >= 0) {
      const line = this.#stdout.slice(0, i);
      this.#stdout = this.#stdout.slice(i + 1);
      const ev = parseScriptLine(line);
      if (ev) this.#onLine(ev);
    }
  }

  /** The viewer's own output (stderr): only the last few KiB are kept. */
  stderr(chunk: Buffer): void {
    this.#tail = (this.#tail + chunk.toString('utf8')).slice(-SessionScriptOutput.TAIL_CHARS);
  }

  tail(): string {
    return this.#tail;
  }
}

export type ScriptEvent =
  | { type: 'display'; display: string }
  | { type: 'window'; window: string; width: number; height: number }
  | { type: 'ready'; port: number }
  | { type: 'error'; message: string }
  | { type: 'exit'; code: number };

export function parseScriptLine(line: string): ScriptEvent | undefined {
  const m = /^bmcgw-java: (\w+) ?(.*)$/.exec(line.trimEnd());
  if (!m) return undefined;
  const rest = m[2]!;
  switch (m[1]) {
    case 'display':
      return { type: 'display', display: rest };
    case 'window': {
      const w = /^(0x[0-9a-f]+) (\d+)x(\d+)$/.exec(rest);
      return w ? { type: 'window', window: w[1]!, width: Number(w[2]), height: Number(w[3]) } : undefined;
    }
    case 'ready': {
      const p = /^port=(\d{1,5})$/.exec(rest);
      return p ? { type: 'ready', port: Number(p[1]) } : undefined;
    }
    case 'error':
      return { type: 'error', message: rest };
    case 'exit': {
      const c = /^code=(\d{1,3})$/.exec(rest);
      return c ? { type: 'exit', code: Number(c[1]) } : undefined;
    }
  }
  return undefined;
}

/** "exited with code 1" / "was killed (SIGKILL)" for an exit code as a shell reports it. */
export function describeExit(code: number | undefined): string {
  if (code === undefined) return 'ended';
  if (code > 128 && code < 160) {
    const names: Record<number, string> = { 6: 'SIGABRT', 9: 'SIGKILL', 11: 'SIGSEGV', 15: 'SIGTERM' };
    return `was killed by ${names[code - 128] ?? `signal ${code - 128}`} (exit code ${code})`;
  }
  return `exited with code ${code}`;
}
