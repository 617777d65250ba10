import { randomBytes } from 'node:crypto';
import { Framebuffer, type Rect } from '../../protocols/rfb/framebuffer.js';
import type { ServerConfig } from '../config/types.js';
import { GatewayError } from '../errors.js';
import type { Logger } from '../log.js';
import type { CursorShape, InputEvent, Source, SourceSink } from '../sources/types.js';
import { Damage } from './damage.js';

export type SessionState = 'connecting' | 'connected' | 'reconnecting' | 'ended';

/** What a Session needs of a viewer (implemented by src/viewer). */
export interface SessionViewer {
  readonly id: string;
  readonly viewOnly: boolean;
  /** What this viewer has not been shown yet; the Session adds to it, the viewer takes from it. */
  readonly damage: Damage;
  /** Something changed (damage, cursor): send it if the browser has asked for an update. */
  frame(): void;
  resized(width: number, height: number): void;
  cursor(shape: CursorShape): void;
  bell(): void;
  clipboard(text: string): void;
  state(state: SessionState, detail: string | undefined): void;
  /** The session is over; close the connection telling the browser why. */
  end(reason: string): void;
}

export interface SessionStats {
  bytesIn: number;
  bytesOut: number;
  updatesOut: number;
  lastInputAt: number | undefined;
  /** Rectangles received from the BMC, by RFB encoding number. */
  upstreamRects: Record<number, number>;
}

/**
 * One BMC console: the shadow framebuffer, the viewers looking at it, whose input reaches the BMC,
 * and the clocks that end it. Deliberately small; features live in their own modules.
 */
export class Session {
  readonly id = randomBytes(12).toString('base64url');
  readonly server: ServerConfig;
  readonly createdAt = Date.now();
  readonly fb = new Framebuffer(1, 1);
  readonly stats: SessionStats = { bytesIn: 0, bytesOut: 0, updatesOut: 0, lastInputAt: undefined, upstreamRects: {} };
  state: SessionState = 'connecting';
  name = '';
  endReason: string | undefined;
  cursorShape: CursorShape | undefined;
  /** True once the framebuffer holds a picture from the BMC (viewers may then be served). */
  hasPicture = false;

  readonly #viewers = new Set<SessionViewer>();
  readonly #source: Source;
  readonly #log: Logger;
  readonly #idleTimeoutMs: number;
  #idleTimer: NodeJS.Timeout | undefined;
  #readyWaiters: { resolve: () => void; reject: (e: Error) => void }[] = [];
  #firstError: Error | undefined;
  readonly #held = new Map<SessionViewer, { keys: Set<number>; buttons: number; x: number; y: number }>();
  readonly #endListeners: ((reason: string) => void)[] = [];

  constructor(opts: { server: ServerConfig; source: Source; log: Logger; idleTimeoutMs: number }) {
    this.server = opts.server;
    this.#source = opts.source;
    this.#idleTimeoutMs = opts.idleTimeoutMs;
    this.#log = opts.log.child({ session: this.id, server: this.server.id });
    this.#armIdle();
  }

  get viewers(): ReadonlySet<SessionViewer> {
    return this.#viewers;
  }

  start(): void {
    this.#log.info({ event: 'session-start', source: this.#source.kind }, 'session started');
    this.#source.start(this.#sink());
  }

  /** Resolves once the BMC connection is up and a first picture can be served; rejects if it failed. */
  ready(): Promise<void> {
    if (this.hasPicture || this.state === 'connected') return Promise.resolve();
    if (this.state === 'ended') return Promise.reject(this.#firstError ?? new GatewayError('GW_ERR_SESSION_ENDED', `session ended: ${this.endReason}`));
    return new Promise((resolve, reject) => this.#readyWaiters.push({ resolve, reject }));
  }

  onEnd(listener: (reason: string) => void): void {
    this.#endListeners.push(listener);
  }

  attach(viewer: SessionViewer): void {
    if (this.state === 'ended') throw new GatewayError('GW_ERR_SESSION_ENDED', `session ended: ${this.endReason}`);
    this.#viewers.add(viewer);
    this.#held.set(viewer, { keys: new Set(), buttons: 0, x: 0, y: 0 });
    viewer.damage.reset(this.fb.width, this.fb.height);
    viewer.damage.addAll();
    this.#disarmIdle();
    this.#log.info({ event: 'viewer-join', viewer: viewer.id, viewOnly: viewer.viewOnly, viewers: this.#viewers.size }, 'viewer joined');
  }

  detach(viewer: SessionViewer): void {
    if (!this.#viewers.delete(viewer)) return;
    this.#releaseHeld(viewer);
    this.#held.delete(viewer);
    this.#log.info({ event: 'viewer-leave', viewer: viewer.id, viewers: this.#viewers.size }, 'viewer left');
    if (this.#viewers.size === 0) this.#armIdle();
  }

  /** Input from a viewer. View-only viewers' input is dropped here, at the gateway. */
  input(viewer: SessionViewer, ev: InputEvent): void {
    if (viewer.viewOnly || this.state === 'ended') return;
    const held = this.#held.get(viewer);
    if (!held) return;
    this.stats.lastInputAt = Date.now();
    if (ev.type === 'key') {
      if (ev.down) held.keys.add(ev.keysym);
      else held.keys.delete(ev.keysym);
    } else if (ev.type === 'pointer') {
      held.buttons = ev.buttonMask;
      held.x = ev.x;
      held.y = ev.y;
    }
    this.#source.input(ev);
  }

  /** A viewer leaving must not leave a key or button pressed on the BMC. */
  #releaseHeld(viewer: SessionViewer): void {
    const held = this.#held.get(viewer);
    if (!held || this.state === 'ended') return;
    for (const keysym of held.keys) this.#source.input({ type: 'key', down: false, keysym });
    if (held.buttons !== 0) this.#source.input({ type: 'pointer', x: held.x, y: held.y, buttonMask: 0 });
  }

  end(reason: string): void {
    if (this.state === 'ended') return;
    this.state = 'ended';
    this.endReason = reason;
    this.#disarmIdle();
    this.#source.close();
    const err = this.#firstError ?? new GatewayError('GW_ERR_SESSION_ENDED', `session ended: ${reason}`);
    for (const w of this.#readyWaiters.splice(0)) w.reject(err);
    for (const v of [...this.#viewers]) v.end(reason);
    this.#viewers.clear();
    this.#log.info({ event: 'session-end', reason, ageMs: Date.now() - this.createdAt }, 'session ended');
    for (const l of this.#endListeners) l(reason);
  }

  #armIdle(): void {
    this.#disarmIdle();
    this.#idleTimer = setTimeout(() => this.end(`no viewer for ${Math.round(this.#idleTimeoutMs / 1000)} s`), this.#idleTimeoutMs);
    this.#idleTimer.unref();
  }

  #disarmIdle(): void {
    if (this.#idleTimer) clearTimeout(this.#idleTimer);
    this.#idleTimer = undefined;
  }

  #eachViewer(fn: (v: SessionViewer) => void): void {
    for (const v of this.#viewers) fn(v);
  }

  #sink(): SourceSink {
    const fb = this.fb;
    return {
      fb,
      connected: ({ width, height, name }) => {
        const first = !this.hasPicture;
        this.name = name;
        this.state = 'connected';
        if (fb.width !== width || fb.height !== height) this.#sink().resized(width, height);
        this.hasPicture = true;
        this.#log.info({ event: first ? 'bmc-connected' : 'bmc-reconnected', width, height }, 'BMC connected');
        for (const w of this.#readyWaiters.splice(0)) w.resolve();
        this.#eachViewer((v) => v.state('connected', undefined));
      },
      resized: (width, height) => {
        fb.resize(width, height);
        this.#eachViewer((v) => {
          v.damage.reset(width, height);
          v.damage.addAll();
          v.resized(width, height);
        });
      },
      damage: (rect: Rect, encoding?: number) => {
        if (encoding !== undefined) this.stats.upstreamRects[encoding] = (this.stats.upstreamRects[encoding] ?? 0) + 1;
        this.#eachViewer((v) => v.damage.add(rect));
      },
      copy: (srcX, srcY, dst) => {
        this.stats.upstreamRects[1] = (this.stats.upstreamRects[1] ?? 0) + 1;
        this.#eachViewer((v) => v.damage.copy(srcX, srcY, dst));
      },
      updateEnd: () => this.#eachViewer((v) => v.frame()),
      cursor: (shape) => {
        this.cursorShape = shape;
        this.#eachViewer((v) => v.cursor(shape));
      },
      bell: () => this.#eachViewer((v) => v.bell()),
      clipboard: (text) => this.#eachViewer((v) => v.clipboard(text)),
      reconnecting: (error, attempt, delayMs) => {
        this.state = 'reconnecting';
        this.#log.warn({ event: 'bmc-reconnecting', err: error.message, attempt, delayMs }, 'BMC link lost, reconnecting');
        this.#eachViewer((v) => v.state('reconnecting', error.message));
      },
      failed: (error) => {
        this.#firstError ??= error;
        this.#log.warn({ event: 'bmc-failed', err: error.message, code: (error as { code?: string }).code }, 'BMC connection failed');
        this.end(`BMC connection failed: ${error.message}`);
      },
    };
  }
}
