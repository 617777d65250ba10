import { randomBytes } from 'node:crypto';
import type { WebSocket } from 'ws';
import { ProtocolError } from '../../protocols/errors.js';
import { ClientMessageReader, type ClientMessage } from '../../protocols/rfb/client-messages.js';
import { Encoding, isRgbxFormat, RGBX_PIXEL_FORMAT, type PixelFormat } from '../../protocols/rfb/constants.js';
import type { RectEncoder } from '../../protocols/rfb/encodings/types.js';
import { ServerHandshake } from '../../protocols/rfb/server-handshake.js';
import { encodeServerInit } from '../../protocols/rfb/server-init.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics/metrics.js';
import { Damage } from '../session/damage.js';
import type { Session, SessionState, SessionViewer } from '../session/session.js';
import type { CursorShape } from '../sources/types.js';
import { encodeFramebufferUpdateHeader } from '../../protocols/rfb/server-messages.js';
import { afterOwnEncoding, FRESH_VIEWER_STREAMS, missed, missedStreams, primingRects, relayPlan, type UpstreamUpdate, type ViewerStreams } from './relay.js';
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
  /** What this browser's Tight inflaters hold, as far as relaying needs to know (relay.ts ViewerStreams). */
  #streams: ViewerStreams = FRESH_VIEWER_STREAMS;
  #primedAt = -Infinity;
  static readonly PRIME_INTERVAL_MS = 1000;
  /** BMC updates relayed while this viewer had not asked yet, sent as they are when it does (relay()). */
  #held: Buffer[] | undefined;
  #heldBytes = 0;
  /** #streams once the held updates are sent; the streams they touch (out of step if they are dropped). */
  #heldStreams: ViewerStreams = FRESH_VIEWER_STREAMS;
  #heldTouched = 0;
  static readonly MAX_HELD_BYTES = 256 * 1024;
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

  /** FramebufferUpdates and their bytes sent to this viewer; of those updates, relayed as the BMC sent them, and with priming rectangles. */
  updatesSent = 0;
  bytesSent = 0;
  updatesRelayed = 0;
  updatesPrimed = 0;

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
        if (!m.incremental) {
          this.#dropHeld();
          this.damage.add({ x: m.x, y: m.y, width: m.width, height: m.height });
        }
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
    if (this.#held) {
      // Everything in this viewer's damage arrived in these updates (relay() holds only then): sent as the BMC sent them.
      const held = this.#held;
      this.#held = undefined;
      this.#heldBytes = 0;
      this.#heldTouched = 0;
      this.damage.take();
      this.#streams = this.#heldStreams;
      this.updatesRelayed += held.length;
      this.#sendUpdate(held.length === 1 ? held[0]! : Buffer.concat(held));
      return;
    }
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
    this.#resizePending = false;
    this.#cursorPending = undefined;
    this.#extKeyPending = false;
    // Our Tight rectangles restart stream 3 (update-builder.ts, TightEncoder): not the BMC's any more there.
    this.#streams = afterOwnEncoding(this.#streams);
    this.#sendUpdate(update);
  }

  /**
   * Session → viewer, before the gateway decodes it: the BMC's next update as it came (relay.ts).
   * Relayed when this viewer has been shown everything so far, asked for every encoding in it and its
   * Tight streams allow it (relayPlan; with priming rectangles in front where needed). Sent at once
   * when the viewer is waiting for an update: then true is returned and the Session does not add the
   * update's damage to this viewer. Otherwise (it has not asked yet) it is held, with any updates held
   * before it, and sent as it is when the viewer asks (frame()); the damage is added as usual so that,
   * if holding has to stop (an update that cannot be relayed, a resize, a full request, the bound),
   * the viewer gets the gateway's own encoding of it instead. `restTouched`: Tight streams that later
   * data of the same read touches (its damage is not in anything held, so nothing is held then).
   */
  relay(u: UpstreamUpdate | undefined, restTouched: number): boolean {
    const f = u?.framed;
    const waiting = this.#wantsUpdate && !this.#inFlight && !this.#held;
    const base = this.#held ? this.#heldStreams : this.#streams;
    const plan = u && f && this.#canRelay(u) && (waiting || restTouched === 0) ? relayPlan(f, base) : undefined;
    let msg = u?.bytes;
    if (plan && plan.prime !== 0) {
      // Priming costs up to a window's deflate and a Raw strip a stream: at most once a second.
      const now = performance.now();
      const extra = now - this.#primedAt >= Viewer.PRIME_INTERVAL_MS ? primingRects(plan.prime, u!.streamState, this.#session.fb) : undefined;
      if (extra && (f!.count === 0xffff || f!.count + extra.length <= 0xfffe)) {
        const count = f!.count === 0xffff ? 0xffff : f!.count + extra.length;
        msg = Buffer.concat([encodeFramebufferUpdateHeader(count), ...extra, u!.bytes.subarray(4)]);
        this.#primedAt = now;
        this.updatesPrimed++;
      } else msg = undefined;
    }
    if (!plan || !msg) {
      this.#dropHeld();
      this.#streams = missed(this.#streams, restTouched ? undefined : f);
      return false;
    }
    const after = restTouched ? missed(plan.after, undefined) : plan.after;
    if (waiting) {
      this.#streams = after;
      this.updatesRelayed++;
      this.#sendUpdate(msg);
      return true;
    }
    if (this.#heldBytes + msg.length > Viewer.MAX_HELD_BYTES) {
      this.#dropHeld();
      this.#streams = missed(this.#streams, f);
      return false;
    }
    // Kept as is, not copied: each socket read is a buffer of its own, which the message reader keeps too.
    (this.#held ??= []).push(msg);
    this.#heldBytes += msg.length;
    this.#heldStreams = after;
    this.#heldTouched |= f!.touched;
    return false;
  }

  /** Holding stops: the held updates are never sent (the viewer's damage has them) and the streams they touch are out of step. */
  #dropHeld(): void {
    if (!this.#held) return;
    this.#streams = { ...this.#streams, inStep: this.#streams.inStep & ~this.#heldTouched };
    this.#held = undefined;
    this.#heldBytes = 0;
    this.#heldTouched = 0;
  }

  /**
   * Whether the BMC's next update could be relayed to this viewer, as far as the viewer goes (relay()
   * then checks the update itself): it has been shown everything, or holds relayed updates only.
   * While no viewer of a session could, the source decodes without framing each read for relay.
   */
  relayWanted(): boolean {
    if (this.#closed || !this.#reader) return false;
    if (this.#resizePending || this.#cursorPending || this.#extKeyPending || (!this.#held && !this.damage.isEmpty)) return false;
    return isRgbxFormat(this.#pf) && !this.#pf.bigEndian;
  }

  /** The BMC's Tight streams in `mask` moved on in data this viewer was not sent as it came. */
  streamsMissed(mask: number): void {
    this.#dropHeld();
    this.#streams = missedStreams(this.#streams, mask);
  }

  #canRelay(u: UpstreamUpdate): boolean {
    if (!u.framed.relayable || !this.relayWanted()) return false;
    const caps = this.#caps.encodings;
    for (const e of u.framed.encodings) if (e !== Encoding.Raw && !caps.has(e)) return false;
    // JPEG only to a viewer that asked for lossy pictures (a quality level, rfbproto -32..-23).
    if (u.framed.jpeg && ![...caps].some((e) => e >= Encoding.TightQualityLevel0 && e <= Encoding.TightQualityLevel0 + 9)) return false;
    return true;
  }

  /** A relayed update turned out not to decode in the gateway: this viewer was sent it, so it goes too. */
  relayFailed(reason: string): void {
    this.#fail(`the BMC's update relayed to this viewer did not decode: ${reason}`);
  }

  #sendUpdate(update: Buffer): void {
    const session = this.#session;
    this.#metrics?.bytesOut.inc(update.length);
    this.#metrics?.updates.inc();
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
    this.#dropHeld();
    this.#resizePending = true;
    this.frame();
  }

  cursor(shape: CursorShape): void {
    if (!this.#caps.encodings.has(Encoding.Cursor)) return;
    this.#dropHeld();
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
