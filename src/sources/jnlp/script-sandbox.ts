import { GatewayError } from '../../errors.js';
import { describeExit, SessionScriptOutput, type Sandbox, type SandboxEnd, type ScriptEvent } from './sandbox.js';

/**
 * What both runtimes share: a running session.sh whose output they feed in and whose end they
 * report. Turns the status lines into `ready` / `ended`, and makes `stop()` run the runtime's
 * removal once.
 */
export class ScriptSandbox implements Sandbox {
  readonly ready: Promise<{ host: string; port: number; window: string }>;
  readonly ended: Promise<SandboxEnd>;
  readonly #output: SessionScriptOutput;
  readonly #host: string;
  readonly #remove: () => Promise<void>;
  #resolveReady!: (v: { host: string; port: number; window: string }) => void;
  #rejectReady!: (e: Error) => void;
  #resolveEnded!: (v: SandboxEnd) => void;
  #window = '';
  #isReady = false;
  #scriptError: string | undefined;
  #exitCode: number | undefined;
  #stopping: Promise<void> | undefined;
  #over = false;

  constructor(host: string, remove: () => Promise<void>) {
    this.#host = host;
    this.#remove = remove;
    this.#output = new SessionScriptOutput((ev) => this.#event(ev));
    this.ready = new Promise((resolve, reject) => {
      this.#resolveReady = resolve;
      this.#rejectReady = reject;
    });
    this.ready.catch(() => {}); // observed by whoever awaits it; never an unhandled rejection
    this.ended = new Promise((resolve) => (this.#resolveEnded = resolve));
  }

  stdout(chunk: Buffer): void {
    this.#output.stdout(chunk);
  }

  stderr(chunk: Buffer): void {
    this.#output.stderr(chunk);
  }

  output(): string {
    return this.#output.tail();
  }

  /** The script (container, process group) is gone; `code` is its exit status when known. */
  exited(code: number | undefined, why?: string): void {
    if (this.#over) return;
    this.#over = true;
    const exitCode = this.#exitCode ?? code;
    const reason = why ?? (this.#scriptError ? `the Java sandbox failed: ${this.#scriptError}` : `the Java viewer ${describeExit(exitCode)}`);
    if (!this.#isReady) {
      const code = this.#scriptError ? 'GW_ERR_JAVA_UNAVAILABLE' : 'GW_ERR_JAVA_VIEWER_EXITED';
      this.#rejectReady(new GatewayError(code, `${reason} before its window showed`));
    }
    this.#resolveEnded({ exitCode, reason });
  }

  stop(): Promise<void> {
    this.#stopping ??= this.#remove().finally(() => this.exited(undefined, 'the Java sandbox was stopped'));
    return this.#stopping;
  }

  #event(ev: ScriptEvent): void {
    switch (ev.type) {
      case 'window':
        this.#window = `${ev.width}x${ev.height}`;
        return;
      case 'ready':
        if (!this.#isReady) {
          this.#isReady = true;
          this.#resolveReady({ host: this.#host, port: ev.port, window: this.#window });
        }
        return;
      case 'error':
        this.#scriptError = ev.message;
        return;
      case 'exit':
        this.#exitCode = ev.code;
        return;
      case 'display':
        return;
    }
  }
}
