import { randomBytes } from 'node:crypto';
import { Framebuffer, type Rect } from '../../protocols/rfb/framebuffer.js';
import type { ServerConfig } from '../config/types.js';
import { GatewayError } from '../errors.js';
import type { Logger } from '../log.js';
import type { CursorShape, InputEvent, Source, SourceSink } from '../sources/types.js';
import { EncodeCache } from '../viewer/encode-cache.js';
import type { UpstreamUpdate } from '../viewer/relay.js';
import { Damage } from './damage.js';
import { InputMerger } from './input-merger.js';
import { installPixelStore } from './pixel-store.js';

// Sessions' framebuffers (and every other one in a process that holds sessions) come from the
// gateway's pixel store: outside V8's external-memory count, collected once enough are given up.
installPixelStore();

export type SessionState = 'connecting' | 'connected' | 'reconnecting' | 'ended';

/** Why a session ended, as a stable word (close URL body, metrics label, logs). */
export type EndCode = 'idle' | 'input-idle' | 'lifetime' | 'api' | 'bmc-unreachable' | 'viewer-exited' | 'shutdown' | 'config-changed';

/** What a Session needs of a viewer (implemented by src/viewer, and by passive observers such as the recorder). */
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
  /**
   * The BMC's next update as it came, before it is decoded (src/viewer/relay.ts); true when the viewer
   * sent it on as it is, and so needs no damage for it. Viewers without it are always sent damage.
   */
  relay?(update: UpstreamUpdate | undefined, restTouched: number): boolean;
  /** An update relayed to this viewer then failed to decode in the gateway. */
  relayFailed?(reason: string): void;
  /** Whether the BMC's next update could be relayed to this viewer as it comes (Viewer.relayWanted). */
  relayWanted?(): boolean;
  /** The BMC's Tight streams in `mask` moved on in updates this viewer was not sent as they came. */
  streamsMissed?(mask: number): void;
}

export interface SessionStats {
  bytesIn: number;
  bytesOut: number;
  updatesOut: number;
  lastInputAt: number | undefined;
  /** Rectangles received from the BMC, by RFB encoding number. */
  upstreamRects: Record<number, number>;
  reconnects: number;
  /** Non-incremental FramebufferUpdateRequests sent to the BMC (one per (re)connect). */
  upstreamFullRequests: number;
  /** BMC reads decoded without being framed and offered to the viewers, since none could be sent them as they came (relayWanted). */
  upstreamReadsUnoffered: number;
}

export interface SessionLimits {
  /** End after this long with no (non-passive) viewer. */
  idleTimeoutMs: number;
  /** End after this long with no input from any viewer (0 = never). */
  inputIdleTimeoutMs: number;
  /** Warn viewers this long before the input-idle end. */
  inputIdleWarningMs: number;
  /** End when the session is this old (0 = never). */
  maxLifetimeMs: number;
}

/** Things around a session that want to know what happens in it (metrics, close URL, recording). */
export interface SessionHooks {
  ended?(session: Session, code: EndCode, reason: string): void;
  input?(session: Session, viewer: SessionViewer, ev: InputEvent): void;
  reconnecting?(session: Session): void;
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
  readonly stats: SessionStats = {
    bytesIn: 0,
    bytesOut: 0,
    updatesOut: 0,
    lastInputAt: undefined,
    upstreamRects: {},
    reconnects: 0,
    upstreamFullRequests: 0,
    upstreamReadsUnoffered: 0,
  };
  /** Called when the session ends; every opener may add one (bounded). */
  readonly closeUrls = new Set<string>();
  static readonly MAX_CLOSE_URLS = 8;
  state: SessionState = 'connecting';
  name = '';
  endReason: string | undefined;
  endCode: EndCode | undefined;
  cursorShape: CursorShape | undefined;
  /** True once the framebuffer holds a picture from the BMC (viewers may then be served). */
  hasPicture = false;
  /** Set while viewers should be told the session is about to end for lack of input. */
  warning: string | undefined;
  /**
   * Encoded areas of the framebuffer as it is now, shared by this session's viewers (see
   * EncodeCache); emptied on every change reported below (damage, copy, resize).
   */
  readonly encodes = new EncodeCache();
  /** Counts the framebuffer's changes (damage, copy, resize): equal counts, same picture (the page preview's cache key). */
  fbChanges = 0;
  /** Complete updates applied from the BMC (the first is the whole screen: before it, the framebuffer is not the BMC's picture yet). */
  updatesIn = 0;

  readonly #viewers = new Set<SessionViewer>();
  readonly #passive = new Set<SessionViewer>();
  /** Viewers sent the BMC's update now being decoded as it came: its damage is not theirs (until its end). */
  readonly #relayed = new Set<SessionViewer>();
  /** Update ends still to come of the updates last relayed together (#relayed is cleared after the last). */
  #relayedUpdates = 0;
  readonly #source: Source;
  readonly #log: Logger;
  readonly #limits: SessionLimits;
  readonly #hooks: SessionHooks;
  readonly #input: InputMerger;
  #idleTimer: NodeJS.Timeout | undefined;
  #inputTimer: NodeJS.Timeout | undefined;
  #lifetimeTimer: NodeJS.Timeout | undefined;
  #readyWaiters: { resolve: () => void; reject: (e: Error) => void }[] = [];
  /** firstUpdate()'s callers, told when the first update is in or the session ends. */
  #updateWaiters: (() => void)[] = [];
  #firstError: Error | undefined;
  #lastInputClock = Date.now();
  /** Opens in progress (waiting for ready(), about to issue a viewer URL): no idle end meanwhile. */
  #viewerHolds = 0;

  constructor(opts: { server: ServerConfig; source: Source; log: Logger; limits: SessionLimits; hooks?: SessionHooks; closeUrl?: string | undefined }) {
    this.server = opts.server;
    this.#source = opts.source;
    this.#limits = opts.limits;
    this.#hooks = opts.hooks ?? {};
    if (opts.closeUrl) this.addCloseUrl(opts.closeUrl);
    this.#log = opts.log.child({ session: this.id, server: this.server.id });
    this.#input = new InputMerger((ev) => this.#source.input(ev));
    this.#armIdle();
    this.#armInputIdle();
    if (this.#limits.maxLifetimeMs > 0) {
      this.#lifetimeTimer = setTimeout(
        () => this.end(`reached the maximum session lifetime of ${formatMs(this.#limits.maxLifetimeMs)}`, 'lifetime'),
        this.#limits.maxLifetimeMs,
      );
      this.#lifetimeTimer.unref();
    }
  }

  addCloseUrl(url: string): void {
    if (this.closeUrls.size >= Session.MAX_CLOSE_URLS && !this.closeUrls.has(url)) {
      throw new GatewayError('GW_ERR_BAD_REQUEST', `a session keeps at most ${Session.MAX_CLOSE_URLS} close URLs`);
    }
    this.closeUrls.add(url);
  }

  /** What serves this console now (the Source's kind: `vnc`, `aten`, `jnlp`), and whether that is a fallback. */
  get sourceInfo(): { kind: string; fallback: { from: string; code: string; reason: string } | undefined } {
    return { kind: this.#source.kind, fallback: this.#source.fallback };
  }

  /** Viewers that are people (not the recorder or other passive observers). */
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

  /**
   * Resolves once the BMC's first complete update is in (the framebuffer is its picture), the session
   * has ended, or `ms` have passed, whichever is first; never rejects (the console page's preview
   * waits on it, src/session/preview.ts).
   */
  firstUpdate(ms: number): Promise<void> {
    if (this.updatesIn > 0 || this.state === 'ended') return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      timer.unref();
      const waiters = this.#updateWaiters;
      function done(): void {
        clearTimeout(timer);
        const i = waiters.indexOf(done);
        if (i >= 0) waiters.splice(i, 1);
        resolve();
      }
      waiters.push(done);
    });
  }

  /**
   * Adds a viewer; it is sent the whole current screen from the shadow framebuffer (no refresh is
   * asked of the BMC). A passive viewer (recorder, observer) does not keep the session alive and is
   * not listed or counted.
   */
  attach(viewer: SessionViewer, opts: { passive?: boolean } = {}): void {
    if (this.state === 'ended') throw new GatewayError('GW_ERR_SESSION_ENDED', `session ended: ${this.endReason}`);
    (opts.passive ? this.#passive : this.#viewers).add(viewer);
    viewer.damage.reset(this.fb.width, this.fb.height);
    viewer.damage.addAll();
    if (opts.passive) return;
    this.#disarmIdle();
    this.#log.info({ event: 'viewer-join', viewer: viewer.id, viewOnly: viewer.viewOnly, viewers: this.#viewers.size }, 'viewer joined');
  }

  detach(viewer: SessionViewer): void {
    if (this.#passive.delete(viewer)) return;
    if (!this.#viewers.delete(viewer)) return;
    if (this.state !== 'ended') this.#input.release(viewer.id);
    this.#log.info({ event: 'viewer-leave', viewer: viewer.id, viewers: this.#viewers.size }, 'viewer left');
    if (this.#viewers.size === 0) this.#armIdle();
    if (this.#viewers.size <= 1) this.encodes.invalidate(); // nobody left to share with: drop what is kept
  }

  /** Input from a viewer. View-only viewers' input is dropped here, at the gateway. */
  input(viewer: SessionViewer, ev: InputEvent): void {
    if (viewer.viewOnly || this.state === 'ended' || !this.#viewers.has(viewer)) return;
    this.stats.lastInputAt = Date.now();
    this.#lastInputClock = this.stats.lastInputAt;
    if (this.warning) {
      this.warning = undefined;
      this.#eachViewer((v) => v.state(this.state, undefined));
    }
    this.#hooks.input?.(this, viewer, ev);
    this.#input.input(viewer.id, ev);
  }

  end(reason: string, code: EndCode = 'api'): void {
    if (this.state === 'ended') return;
    this.state = 'ended';
    this.endReason = reason;
    this.endCode = code;
    for (const t of [this.#idleTimer, this.#inputTimer, this.#lifetimeTimer]) if (t) clearTimeout(t);
    this.#source.close();
    const err = this.#firstError ?? new GatewayError('GW_ERR_SESSION_ENDED', `session ended: ${reason}`);
    for (const w of this.#readyWaiters.splice(0)) w.reject(err);
    for (const w of [...this.#updateWaiters]) w();
    for (const v of [...this.#viewers, ...this.#passive]) v.end(reason);
    this.#viewers.clear();
    this.#passive.clear();
    this.fb.discard();
    this.#log.info({ event: 'session-end', code, reason, ageMs: Date.now() - this.createdAt }, 'session ended');
    this.#hooks.ended?.(this, code, reason);
  }

  /**
   * Called by an open (a new session or a join) before it waits for ready() and issues a viewer URL:
   * until the returned release is called the session does not end for "no viewer", and on release
   * (with still no viewer) the idle countdown starts afresh, so the URL just issued has the whole
   * idleTimeout to be used. Without it, a join during the countdown of a session whose last viewer
   * had left got a URL to a session that ended moments later (the 30-minute soak lost 125 viewers
   * and opens that way: "no viewer for 5 s" right after the open).
   */
  holdForViewer(): () => void {
    this.#viewerHolds++;
    this.#disarmIdle();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#viewerHolds--;
      if (this.#viewerHolds === 0 && this.#viewers.size === 0 && this.state !== 'ended') this.#armIdle();
    };
  }

  #armIdle(): void {
    this.#disarmIdle();
    if (this.#viewerHolds > 0) return;
    this.#idleTimer = setTimeout(() => this.end(`no viewer for ${formatMs(this.#limits.idleTimeoutMs)}`, 'idle'), this.#limits.idleTimeoutMs);
    this.#idleTimer.unref();
  }

  #disarmIdle(): void {
    if (this.#idleTimer) clearTimeout(this.#idleTimer);
    this.#idleTimer = undefined;
  }

  /** One timer, re-armed lazily: it wakes at the warning point or the deadline, then re-checks. */
  #armInputIdle(): void {
    const limit = this.#limits.inputIdleTimeoutMs;
    if (limit <= 0) return;
    const now = Date.now();
    const deadline = this.#lastInputClock + limit;
    const warnAt = deadline - Math.min(this.#limits.inputIdleWarningMs, limit);
    if (now >= deadline) {
      this.end(`no input for ${formatMs(limit)}`, 'input-idle');
      return;
    }
    if (now >= warnAt && !this.warning && this.#viewers.size > 0) {
      this.warning = `no input for ${formatMs(now - this.#lastInputClock)}: this console closes in ${formatMs(deadline - now)} unless someone types or moves the mouse`;
      this.#eachViewer((v) => v.state(this.state, this.warning));
    }
    const next = now < warnAt ? warnAt : deadline;
    this.#inputTimer = setTimeout(() => this.#armInputIdle(), Math.max(50, next - now));
    this.#inputTimer.unref();
  }

  /** The framebuffer changed (damage, copy, resize): what was kept of the old picture is stale. */
  #changed(): void {
    this.fbChanges++;
    this.encodes.invalidate();
  }

  #eachViewer(fn: (v: SessionViewer) => void): void {
    for (const v of this.#viewers) fn(v);
    for (const v of this.#passive) fn(v);
  }

  #sink(): SourceSink {
    const fb = this.fb;
    const sink: SourceSink = {
      fb,
      sessionId: this.id,
      connected: ({ width, height, name }) => {
        const first = !this.hasPicture;
        this.name = name;
        this.state = 'connected';
        if (fb.width !== width || fb.height !== height) sink.resized(width, height);
        this.hasPicture = true;
        this.#log.info({ event: first ? 'bmc-connected' : 'bmc-reconnected', width, height }, 'BMC connected');
        for (const w of this.#readyWaiters.splice(0)) w.resolve();
        this.#eachViewer((v) => v.state('connected', undefined));
      },
      resized: (width, height) => {
        fb.resize(width, height);
        this.#changed();
        this.#eachViewer((v) => {
          v.damage.reset(width, height);
          v.damage.addAll();
          v.resized(width, height);
        });
      },
      damage: (rect: Rect, encoding?: number) => {
        if (encoding !== undefined) this.stats.upstreamRects[encoding] = (this.stats.upstreamRects[encoding] ?? 0) + 1;
        this.#changed();
        const relayed = this.#relayed;
        this.#eachViewer((v) => relayed.has(v) || v.damage.add(rect));
      },
      copy: (srcX, srcY, dst) => {
        this.stats.upstreamRects[1] = (this.stats.upstreamRects[1] ?? 0) + 1;
        this.#changed();
        const relayed = this.#relayed;
        this.#eachViewer((v) => relayed.has(v) || v.damage.copy(srcX, srcY, dst));
      },
      relay: (update, restTouched) => {
        for (const v of this.#viewers) if (v.relay?.(update, restTouched)) this.#relayed.add(v);
        // Their damage is skipped until the last of the updates relayed together has ended.
        this.#relayedUpdates = this.#relayed.size > 0 ? (update?.updates ?? 1) : 0;
        return this.#relayed.size > 0;
      },
      relayFailed: (error) => {
        for (const v of this.#relayed) v.relayFailed?.(error.message);
        this.#relayed.clear();
        this.#relayedUpdates = 0;
      },
      relayWanted: () => {
        for (const v of this.#viewers) if (v.relayWanted?.()) return true;
        this.stats.upstreamReadsUnoffered++;
        return false;
      },
      streamsMissed: (mask) => {
        for (const v of this.#viewers) v.streamsMissed?.(mask);
      },
      fullRequest: () => {
        this.stats.upstreamFullRequests++;
      },
      updateEnd: () => {
        if (--this.#relayedUpdates <= 0) {
          this.#relayedUpdates = 0;
          this.#relayed.clear();
        }
        if (this.updatesIn++ === 0) for (const w of [...this.#updateWaiters]) w();
        this.#eachViewer((v) => v.frame());
      },
      cursor: (shape) => {
        this.cursorShape = shape;
        this.#eachViewer((v) => v.cursor(shape));
      },
      bell: () => this.#eachViewer((v) => v.bell()),
      clipboard: (text) => this.#eachViewer((v) => v.clipboard(text)),
      reconnecting: (error, attempt, delayMs) => {
        this.state = 'reconnecting';
        this.stats.reconnects++;
        this.#hooks.reconnecting?.(this);
        this.#log.warn({ event: 'bmc-reconnecting', err: error.message, attempt, delayMs }, 'BMC link lost, reconnecting');
        this.#eachViewer((v) => v.state('reconnecting', error.message));
      },
      failed: (error) => {
        this.#firstError ??= error;
        this.#log.warn({ event: 'bmc-failed', err: error.message, code: (error as { code?: string }).code }, 'BMC connection failed');
        // A Java viewer (jnlp console or fallback) that exits is not the BMC going away: its own code.
        const code = (error as { code?: string }).code === 'GW_ERR_JAVA_VIEWER_EXITED' ? 'viewer-exited' : 'bmc-unreachable';
        this.end(`BMC connection failed: ${error.message}`, code);
      },
    };
    return sink;
  }
}

export function formatMs(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000} h`;
  if (ms >= 60_000 && ms % 60_000 === 0) return `${ms / 60_000} min`;
  if (ms >= 1000) return `${Math.round(ms / 1000)} s`;
  return `${ms} ms`;
}
