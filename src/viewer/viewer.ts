import { randomBytes } from 'node:crypto';
import type { WebSocket } from 'ws';
import { ProtocolError } from '../../protocols/errors.js';
import { ClientMessageReader, type ClientMessage } from '../../protocols/rfb/client-messages.js';
import { Encoding, RGBX_PIXEL_FORMAT, type PixelFormat } from '../../protocols/rfb/constants.js';
import type { RectEncoder } from '../../protocols/rfb/encodings/types.js';
import { ServerHandshake } from '../../protocols/rfb/server-handshake.js';
import { encodeServerInit } from '../../protocols/rfb/server-init.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics/metrics.js';
import { Damage } from '../session/damage.js';
import type { Session, SessionState, SessionViewer } from '../session/session.js';
import type { CursorShape } from '../sources/types.js';
import { buildUpdate, chooseEncoder, type ViewerCaps } from './update-builder.js';

/** WebSocket close codes we use (4000–4999 are for applications, RFC 6455 §7.4.2). */
export const CloseCode = Object.freeze({
  SessionEnded: 4000,
  ProtocolError: 4001,
  Unresponsive: 4002,
});

/** Default ping period; a viewer that has not answered the previous ping by the next one is dropped. */
export const DEFAULT_PING_INTERVAL_MS = 20_000;

/**
 * One browser tab. The gateway is the RFB server here (security None: the one-time URL was the
 * authorisation). Pull model: an update is sent only when the browser has asked for one and the
 * previous one has left our socket buffer, so a slow viewer gets fewer, later frames and never a queue.
 */
export class Viewer implements SessionViewer {
  readonly id = randomBytes(6).toString('base64url');
  readonly viewOnly: boolean;
  readonly damage: Damage;
  readonly #ws: WebSocket;
  readonly #session: Session;
  readonly #log: Logger;
  readonly #metrics: Metrics | undefined;
  readonly #handshake = new ServerHandshake();
  #reader: ClientMessageReader | undefined;
  #pf: PixelFormat = RGBX_PIXEL_FORMAT;
  #caps: ViewerCaps = { encodings: new Set([Encoding.Raw]) };
  #encoder: RectEncoder | undefined;
  #wantsUpdate = false;
  #inFlight = false;
  #resizePending = false;
  #cursorPending: CursorShape | undefined;
  #extKeyPending = false;
  #closed = false;
  #attached = false;
  #alive = true;
  #pingTimer: NodeJS.Timeout;

  constructor(opts: { ws: WebSocket; session: Session; viewOnly: boolean; log: Logger; metrics?: Metrics; pingIntervalMs?: number }) {
    this.#ws = opts.ws;
    this.#metrics = opts.metrics;
    this.#session = opts.session;
    this.viewOnly = opts.viewOnly;
    this.damage = new Damage(opts.session.fb.width, opts.session.fb.height);
    this.#log = opts.log.child({ viewer: this.id, session: opts.session.id });
    this.#ws.binaryType = 'nodebuffer';
    this.#ws.on('message', (data: Buffer, isBinary: boolean) => this.#onMessage(data, isBinary));
    this.#ws.on('close', () => this.#teardown());
    this.#ws.on('error', (err) => {
      this.#log.debug({ err: err.message }, 'viewer socket error');
      this.#teardown();
    });
    this.#ws.on('pong', () => (this.#alive = true));
    this.#pingTimer = setInterval(() => {
      if (!this.#alive) {
        this.#log.info({ event: 'viewer-unresponsive' }, 'viewer did not answer a ping, dropping it');
        this.#metrics?.viewersDropped.inc();
        this.#ws.terminate();
        this.#teardown();
        return;
      }
      this.#alive = false;
      this.#ws.ping();
    }, opts.pingIntervalMs ?? DEFAULT_PING_INTERVAL_MS);
    this.#pingTimer.unref();
    this.#send(this.#handshake.start());
  }

  /** FramebufferUpdates and their bytes sent to this viewer. */
  updatesSent = 0;
  bytesSent = 0;

  /** Bytes accepted by send() and not yet handed to the kernel: bounded by the pull model. */
  get queuedBytes(): number {
    return this.#ws.bufferedAmount;
  }

  #onMessage(data: Buffer, isBinary: boolean): void {
    if (this.#closed) return;
    if (!isBinary) {
      this.#fail('viewer sent a text WebSocket frame; RFB over WebSocket is binary');
      return;
    }
    this.#session.stats.bytesIn += data.length;
    this.#metrics?.bytesIn.inc(data.length);
    try {
      if (!this.#reader) {
        const step = this.#handshake.receive(data);
        for (const out of step.send) this.#send(out);
        if (!step.done) return;
        const fb = this.#session.fb;
        this.#send(encodeServerInit({ width: fb.width, height: fb.height, pixelFormat: RGBX_PIXEL_FORMAT, name: this.#desktopName() }));
        this.#reader = new ClientMessageReader();
        this.#session.attach(this);
        this.#attached = true;
        this.#metrics?.viewers.inc({ view_only: String(this.viewOnly) });
        if (step.rest && step.rest.length > 0) this.#handleAll(this.#reader.push(step.rest));
        return;
      }
      this.#handleAll(this.#reader.push(data));
    } catch (err) {
      if (err instanceof ProtocolError) this.#fail(`${err.code}: ${err.message}`);
      else {
        this.#log.error({ err }, 'viewer handler failed');
        this.#fail('internal error');
      }
    }
  }

  #desktopName(): string {
    return this.#session.server.name ?? this.#session.name ?? this.#session.server.id;
  }

  #handleAll(messages: ClientMessage[]): void {
    for (const m of messages) this.#handle(m);
  }

  #handle(m: ClientMessage): void {
    const fb = this.#session.fb;
    switch (m.type) {
      case 'set-pixel-format':
        if (!m.pixelFormat.trueColour)
          throw new ProtocolError(
            'RFB_ERR_COLOUR_MAP_UNSUPPORTED',
            'colour-map pixel formats are not supported; ask for true colour',
            'SetPixelFormat.true-colour-flag',
          );
        this.#pf = m.pixelFormat;
        this.#encoder = chooseEncoder(this.#caps, this.#pf);
        return;
      case 'set-encodings':
        this.#caps = { encodings: new Set(m.encodings) };
        this.#encoder = chooseEncoder(this.#caps, this.#pf, m.encodings);
        if (this.#caps.encodings.has(Encoding.Cursor) && this.#session.cursorShape) this.#cursorPending = this.#session.cursorShape;
        // Confirming -258 makes noVNC send physical keys (XT scancodes) — what ATEN's HID usages need (rfbproto).
        this.#extKeyPending = this.#caps.encodings.has(Encoding.QemuExtendedKeyEvent);
        return;
      case 'framebuffer-update-request':
        this.#wantsUpdate = true;
        if (!m.incremental) this.damage.add({ x: m.x, y: m.y, width: m.width, height: m.height });
        this.frame();
        return;
      case 'key-event':
        this.#session.input(this, { type: 'key', down: m.down, keysym: m.keysym });
        return;
      case 'qemu-extended-key-event':
        this.#session.input(this, { type: 'key', down: m.down, keysym: m.keysym, scancode: m.keycode });
        return;
      case 'pointer-event':
        this.#session.input(this, {
          type: 'pointer',
          x: Math.min(m.x, fb.width - 1),
          y: Math.min(m.y, fb.height - 1),
          buttonMask: m.buttonMask,
        });
        return;
      case 'client-cut-text':
        this.#session.input(this, { type: 'cut-text', text: m.text });
        return;
      case 'enable-continuous-updates':
      case 'set-desktop-size':
        // We never advertise these (no EndOfContinuousUpdates, no ExtendedDesktopSize resize
        // support toward the BMC), so a client sending them is ignored rather than failed.
        return;
      default: {
        const never: never = m;
        void never;
      }
    }
  }

  /** Session → viewer: something may be ready to send. */
  frame(): void {
    if (!this.#wantsUpdate || this.#inFlight || this.#closed || !this.#reader) return;
    const session = this.#session;
    const t0 = process.hrtime.bigint();
    const update = buildUpdate({
      fb: session.fb,
      damage: this.damage,
      caps: this.#caps,
      pf: this.#pf,
      encoder: this.#encoder ?? chooseEncoder(this.#caps, this.#pf),
      resize: this.#resizePending,
      cursor: this.#cursorPending,
      qemuExtendedKeyEvent: this.#extKeyPending,
      // With one viewer there is nobody to share an encode with: keeping it would only hold memory.
      cache: session.viewers.size > 1 ? session.encodes : undefined,
    });
    if (!update) return;
    this.#metrics?.encodeSeconds.observe(Number(process.hrtime.bigint() - t0) / 1e9);
    this.#metrics?.bytesOut.inc(update.length);
    this.#metrics?.updates.inc();
    this.#resizePending = false;
    this.#cursorPending = undefined;
    this.#extKeyPending = false;
    this.#wantsUpdate = false;
    this.#inFlight = true;
    session.stats.bytesOut += update.length;
    this.updatesSent++;
    this.bytesSent += update.length;
    session.stats.updatesOut++;
    this.#ws.send(update, { binary: true }, () => {
      this.#inFlight = false;
      if (this.#wantsUpdate) this.frame();
    });
  }

  resized(): void {
    this.#resizePending = true;
    this.frame();
  }

  cursor(shape: CursorShape): void {
    if (!this.#caps.encodings.has(Encoding.Cursor)) return;
    this.#cursorPending = shape;
    this.frame();
  }

  bell(): void {
    this.#send(Buffer.from([2]));
  }

  clipboard(text: string): void {
    const latin1 = Buffer.from(text, 'latin1');
    const msg = Buffer.alloc(8 + latin1.length);
    msg[0] = 3;
    msg.writeUInt32BE(latin1.length, 4);
    latin1.copy(msg, 8);
    this.#send(msg);
  }

  state(state: SessionState, detail: string | undefined): void {
    this.#log.debug({ state, detail }, 'session state');
  }

  end(reason: string): void {
    this.#close(CloseCode.SessionEnded, reason);
  }

  #fail(reason: string): void {
    this.#log.warn({ event: 'viewer-protocol-error', reason }, 'closing viewer after bad input');
    this.#close(CloseCode.ProtocolError, reason);
  }

  #close(code: number, reason: string): void {
    if (this.#closed) return;
    // A WebSocket close reason holds at most 123 bytes (RFC 6455 §5.5.1).
    let r = Buffer.from(reason, 'utf8');
    if (r.length > 123) r = r.subarray(0, 120);
    try {
      this.#ws.close(code, r.toString('utf8').replace(/\uFFFD$/, ''));
    } catch {
      this.#ws.terminate();
    }
    this.#teardown();
  }

  #send(data: Buffer): void {
    if (this.#closed || this.#ws.readyState !== this.#ws.OPEN) return;
    this.#ws.send(data, { binary: true });
  }

  #teardown(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#pingTimer);
    if (this.#attached) this.#metrics?.viewers.dec({ view_only: String(this.viewOnly) });
    this.#session.detach(this);
  }
}
