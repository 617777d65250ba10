import { randomBytes } from 'node:crypto';
import type { ServerConfig } from '../config/types.js';
import type { Logger } from '../log.js';
import { formatMs, type EndCode } from '../session/session.js';
import type { SerialPort, SerialPortEnd, SerialTransport } from './serial-port.js';

/** What a SolSession needs of one browser tab (implemented over a WebSocket by sol-viewer.ts). */
export interface SolViewerPort {
  readonly id: string;
  /** Characters from the serial port. */
  send(bytes: Buffer): void;
  /** A control message (JSON text frame): state changes the page shows, and notices for the viewer. */
  notify(message: { type: 'state'; state: SolSessionState; detail?: string } | { type: 'notice'; text: string }): void;
  /** Stop / restart reading input from this viewer (backpressure towards the BMC). */
  pause(): void;
  resume(): void;
  close(reason: string): void;
}

export type SolSessionState = 'idle' | 'activating' | 'active' | 'ended';

export interface SolSessionLimits {
  /** End the session after this long without a viewer (sessions.idleTimeout). */
  readonly idleTimeoutMs: number;
  /** End the session this long after it began, whatever happens (sessions.maxLifetime, 0 = never). */
  readonly maxLifetimeMs: number;
}

export interface SolSessionOptions {
  readonly server: ServerConfig;
  /** How this server's serial console is reached (IPMI SOL, bmcweb's console WebSocket, …). */
  readonly transport: SerialTransport;
  readonly log: Logger;
  readonly limits: SolSessionLimits;
  readonly closeUrl?: string | undefined;
  /** Who opened it (for the audit of the activation). */
  readonly actor: string;
  readonly ended: (s: SolSession, code: EndCode, reason: string) => void;
}

/** Input typed before SOL is active is kept up to this many bytes; beyond it the typing viewer is closed. */
const PENDING_INPUT_MAX = 256 * 1024;

/**
 * One serial console per server, shared by every viewer of it (a BMC has one SOL payload per
 * instance). The serial port (a SerialTransport's: IPMI SOL, bmcweb's console WebSocket) is opened
 * when the first viewer arrives and closed when the last one leaves, so a console nobody watches
 * does not hold the payload another tool may want; the session itself stays for `idleTimeoutMs` (a
 * reload of the page reopens), then ends and its close URLs are called, like a KVM session
 * (src/session/session.ts).
 */
export class SolSession {
  readonly id = randomBytes(12).toString('base64url');
  readonly server: ServerConfig;
  readonly createdAt = Date.now();
  readonly viewers = new Set<SolViewerPort>();
  readonly closeUrls = new Set<string>();
  readonly stats = { bytesToBmc: 0, bytesFromBmc: 0, activations: 0 };
  #state: SolSessionState = 'idle';
  #endReason: string | undefined;
  readonly #o: SolSessionOptions;
  #sol: SerialPort | null = null;
  /** The close of the previous port (IPMI: its Deactivate Payload), still in flight (a page reload re-attaches at once). */
  #deactivating: Promise<void> | null = null;
  #activating: Promise<void> | null = null;
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  #paused = false;
  #idleTimer: NodeJS.Timeout | null = null;
  readonly #lifetimeTimer: NodeJS.Timeout | null;

  constructor(o: SolSessionOptions) {
    this.#o = o;
    this.server = o.server;
    if (o.closeUrl) this.closeUrls.add(o.closeUrl);
    this.#lifetimeTimer =
      o.limits.maxLifetimeMs > 0
        ? setTimeout(() => this.end(`reached the maximum session lifetime of ${formatMs(o.limits.maxLifetimeMs)}`, 'lifetime'), o.limits.maxLifetimeMs)
        : null;
    this.#lifetimeTimer?.unref();
    this.#armIdle();
  }

  get state(): SolSessionState {
    return this.#state;
  }

  get endReason(): string | undefined {
    return this.#endReason;
  }

  addCloseUrl(url: string): void {
    this.closeUrls.add(url);
  }

  /** Adds a viewer; activates SOL when it is the first. Resolves once SOL is active (or the viewer was closed). */
  attach(viewer: SolViewerPort): Promise<void> {
    if (this.#state === 'ended') {
      viewer.close(`the serial console has ended: ${this.#endReason ?? 'unknown reason'}`);
      return Promise.resolve();
    }
    this.viewers.add(viewer);
    this.#disarmIdle();
    if (this.#paused) viewer.pause();
    if (this.#sol) {
      viewer.notify({ type: 'state', state: 'active' });
      return Promise.resolve();
    }
    viewer.notify({ type: 'state', state: 'activating' });
    return this.#activate();
  }

  detach(viewer: SolViewerPort): void {
    if (!this.viewers.delete(viewer) || this.viewers.size > 0 || this.#state === 'ended') return;
    // The last viewer left: give the payload back to the BMC (issue 5: "deactivates on close").
    this.#deactivate();
    this.#armIdle();
  }

  /** Bytes typed in a viewer, for the serial port. */
  input(viewer: SolViewerPort, bytes: Buffer): void {
    if (this.#state === 'ended' || !this.viewers.has(viewer)) return;
    if (!this.#sol) {
      if (this.#pendingBytes + bytes.length > PENDING_INPUT_MAX) {
        viewer.close('too much input before the serial console was active');
        return;
      }
      this.#pending.push(Buffer.from(bytes));
      this.#pendingBytes += bytes.length;
      return;
    }
    this.#write(bytes);
  }

  sendBreak(viewer: SolViewerPort): void {
    if (!this.viewers.has(viewer) || !this.#sol) return;
    if (!this.#sol.sendBreak()) viewer.notify({ type: 'notice', text: `${this.#o.transport.kind} has no serial BREAK` });
  }

  /** Ends the session: SOL deactivated, viewers closed with the reason, close URLs called. Idempotent. */
  end(reason: string, code: EndCode): void {
    if (this.#state === 'ended') return;
    this.#state = 'ended';
    this.#endReason = reason;
    this.#disarmIdle();
    if (this.#lifetimeTimer) clearTimeout(this.#lifetimeTimer);
    this.#deactivate();
    for (const v of [...this.viewers]) v.close(`the serial console has ended: ${reason}`);
    this.viewers.clear();
    this.#pending = [];
    this.#pendingBytes = 0;
    this.#o.log.info({ event: 'sol-ended', server: this.server.id, session: this.id, code, reason }, 'serial console ended');
    this.#o.ended(this, code, reason);
  }

  #activate(): Promise<void> {
    if (this.#activating) return this.#activating;
    this.#state = 'activating';
    this.#activating = (async () => {
      let sol: SerialPort;
      try {
        // IPMI refuses a session whose previous console has not finished closing: wait for it.
        if (this.#deactivating) await this.#deactivating;
        sol = await this.#o.transport.open({ actor: this.#o.actor });
      } catch (err) {
        const message = describe(err);
        this.#o.log.warn(
          { event: 'sol-activate-failed', server: this.server.id, session: this.id, via: this.#o.transport.kind, err: message },
          'serial console activation failed',
        );
        this.end(`${this.#o.transport.kind} activation failed: ${message}`, 'bmc-unreachable');
        return;
      } finally {
        this.#activating = null;
      }
      if (this.#state === 'ended' || this.viewers.size === 0) {
        // Everyone left (or the session ended) while the BMC was activating: give the payload back.
        this.#closeSol(sol);
        if (this.#state !== 'ended') this.#state = 'idle';
        return;
      }
      this.#sol = sol;
      this.#state = 'active';
      this.stats.activations++;
      sol.onData((bytes) => this.#broadcast(bytes));
      sol.onDrain(() => this.#resumeAll());
      sol.onClose((reason) => this.#onSolClosed(sol, reason));
      for (const v of this.viewers) v.notify({ type: 'state', state: 'active' });
      const pending = this.#pending;
      this.#pending = [];
      this.#pendingBytes = 0;
      for (const b of pending) this.#write(b);
    })();
    return this.#activating;
  }

  #write(bytes: Buffer): void {
    const sol = this.#sol;
    if (!sol) return;
    this.stats.bytesToBmc += bytes.length;
    // Backpressure (STYLE.md habit 8): above the serial port's high-water mark stop reading the
    // viewers' sockets until the BMC has taken the queue; a paste never grows memory without bound.
    if (!sol.write(bytes) && !this.#paused) {
      this.#paused = true;
      for (const v of this.viewers) v.pause();
    }
  }

  #resumeAll(): void {
    if (!this.#paused) return;
    this.#paused = false;
    for (const v of this.viewers) v.resume();
  }

  #broadcast(bytes: Buffer): void {
    this.stats.bytesFromBmc += bytes.length;
    for (const v of this.viewers) v.send(bytes);
  }

  #onSolClosed(sol: SerialPort, end: SerialPortEnd): void {
    if (this.#sol !== sol) return;
    this.#sol = null;
    this.#resumeAll();
    if (end.type === 'closed' || this.#state === 'ended') return;
    // The BMC or the network ended the console under us: the viewers cannot type anywhere, so the session ends.
    this.end(end.why, 'bmc-unreachable');
  }

  #deactivate(): void {
    const sol = this.#sol;
    this.#sol = null;
    this.#paused = false;
    if (this.#state !== 'ended') this.#state = 'idle';
    if (sol) this.#closeSol(sol);
  }

  #closeSol(sol: SerialPort): void {
    const done: Promise<void> = sol.close().finally(() => {
      if (this.#deactivating === done) this.#deactivating = null;
    });
    this.#deactivating = done;
  }

  #armIdle(): void {
    this.#disarmIdle();
    this.#idleTimer = setTimeout(() => this.end(`no viewer for ${formatMs(this.#o.limits.idleTimeoutMs)}`, 'idle'), this.#o.limits.idleTimeoutMs);
    this.#idleTimer.unref();
  }

  #disarmIdle(): void {
    if (this.#idleTimer) clearTimeout(this.#idleTimer);
    this.#idleTimer = null;
  }
}

/**
 * An error's code and message, for viewers and logs (never a stack; never secrets: IPMI and bmcweb
 * errors carry none).
 */
export function describe(err: unknown): string {
  const e = err as { code?: unknown; message?: unknown };
  const message = typeof e?.message === 'string' ? e.message : String(err);
  return typeof e?.code === 'string' && /^(IPMI|GW)_ERR_/.test(e.code) ? `${e.code}: ${message}` : message;
}
