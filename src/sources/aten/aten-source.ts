import {
  encodeAtenFramebufferUpdateRequest,
  encodeAtenKeepAlive,
  encodeAtenKeyEvent,
  encodeAtenMouseMode,
  encodeAtenPointerEvent,
} from '../../../protocols/aten/client-messages.js';
import { AtenClientHandshake } from '../../../protocols/aten/handshake.js';
import { hidUsageForKey } from '../../../protocols/aten/hid-usage.js';
import { AtenServerMessageReader, type AtenServerMessage } from '../../../protocols/aten/server-messages.js';
import { AtenVideoDecoder } from '../../../protocols/aten/video-decoder.js';
import type { Ast2100HeaderByte1 } from '../../../protocols/aten/ast2100/decoder.js';
import type { AtenHtml5TicketLayout } from '../../../protocols/aten/html5-ticket.js';
import { AtenError, ProtocolError } from '../../../protocols/errors.js';
import { GatewayError } from '../../errors.js';
import type { Logger } from '../../log.js';
import { CELL_HEIGHT, CELL_WIDTH, drawCell } from '../demo/font.js';
import { ReconnectPolicy } from '../reconnect-policy.js';
import type { InputEvent, Source, SourceSink } from '../types.js';
import { Html5UnavailableError } from './html5-bootstrap.js';
import type { KvmLink } from './kvm-link.js';
import { openAtenKvm, type AtenTransport, type OpenedKvm } from './kvm-transports.js';
import { AtenWebSession, type AtenWebLoginOptions } from './web-login.js';

export interface AtenSourceOptions {
  /** BMC web login (host, user, password, TLS options, nojava-ipmi-kvm overrides). */
  web: AtenWebLoginOptions;
  /** Host of the KVM port; default: the web host without its port (the JNLP's own host is not trusted). */
  kvmHost?: string;
  /** KVM port instead of the JNLP's, e.g. the plaintext 63630 of TLS-era firmware (mutual TLS is not supported). */
  kvmPort?: number;
  /**
   * `tcp` (default): JNLP tokens and the iKVM port. `html5`: the bootstrap page's ticket and the web
   * port's WebSocket. `auto`: html5 first, and tcp when the BMC has no working HTML5 console.
   */
  transport?: AtenTransport | 'auto';
  /** How the HTML5 ticket fills the two credential fields (protocols/aten/html5-ticket.ts); default `whole`. */
  html5TicketLayout?: AtenHtml5TicketLayout;
  connectTimeoutMs: number;
  /** Reconnect attempts stop after this long. */
  reconnectBudgetMs: number;
  /** 0x37 body length of this board's firmware (2: X9 WPCM450; 3: X9DRH-7F, X10 fw 4.00); default: the transport's (tcp 2, html5 3). */
  mouseInfoBodyBytes?: 2 | 3;
  headerByte1?: Ast2100HeaderByte1;
  /** Heartbeat period (ATENtion: 3 s) and no-signal polling period (about 1 s), overridable for tests. */
  keepAliveMs?: number;
  noSignalPollMs?: number;
  /** No inbound message for this long → ask for a full update; twice as long → the link is dead. */
  watchdogMs?: number;
}

/**
 * The `aten` source: Supermicro X8-X13 iKVM without Java. Per connection it logs in to the BMC's web
 * interface for fresh one-time KVM credentials (a JNLP's tokens for the TCP iKVM port, or the HTML5
 * page's ticket for the console's WebSocket: kvm-transports.ts), runs the ATEN handshake, keeps one
 * FramebufferUpdateRequest outstanding, decodes Hermon/AST2100 straight into the Session's
 * framebuffer, sends the 0x15 heartbeat every 3 s, polls about once a second while the host shows
 * "no signal", and maps viewer keys to USB HID usages. The web session is logged out only after the
 * KVM connection is gone (logging out kicks the KVM session).
 */
export class AtenSource implements Source {
  readonly kind = 'aten';
  readonly #opts: AtenSourceOptions;
  readonly #log: Logger;
  #sink: SourceSink | undefined;
  #link: KvmLink | undefined;
  /** Stops the current connection's timers (heartbeat, watchdog, handshake deadline) without reporting a failure. */
  #stopConnection: (() => void) | undefined;
  /** The KVM link being opened (fresh credentials, connect), if any. */
  #opening: Promise<void> | undefined;
  #web: AtenWebSession | undefined;
  /** Transports to try, in order. `auto` starts as [html5, tcp] and keeps the first that connects. */
  #transports: AtenTransport[];
  #closed = false;
  #connectedOnce = false;
  /** Backoff between reconnect attempts: 1 s, 2 s, 4 s, … capped at 10 s (each attempt logs in again). */
  readonly #reconnect: ReconnectPolicy;
  #timers = new Set<NodeJS.Timeout>();
  #ready = false;
  #noSignal = false;
  #kmEnabled = true;

  constructor(opts: AtenSourceOptions, log: Logger) {
    this.#opts = opts;
    this.#log = log.child({ source: 'aten', bmc: opts.web.host });
    this.#reconnect = new ReconnectPolicy({ budgetMs: opts.reconnectBudgetMs, firstDelayMs: 1000 });
    const t = opts.transport ?? 'tcp';
    this.#transports = t === 'auto' ? ['html5', 'tcp'] : [t];
  }

  start(sink: SourceSink): void {
    this.#sink = sink;
    void this.#connect();
  }

  input(ev: InputEvent): void {
    const s = this.#link;
    if (!s || !this.#ready || !this.#kmEnabled) return;
    switch (ev.type) {
      case 'key': {
        const usage = hidUsageForKey(ev.keysym, ev.scancode);
        if (usage !== undefined) s.write(encodeAtenKeyEvent(usage, ev.down));
        break;
      }
      case 'pointer': {
        const fb = this.#sink!.fb;
        s.write(encodeAtenPointerEvent(Math.min(Math.max(ev.x, 0), fb.width - 1), Math.min(Math.max(ev.y, 0), fb.height - 1), ev.buttonMask & 0xff));
        break;
      }
      case 'cut-text':
        break; // ATEN has no clipboard
    }
  }

  close(): void {
    this.#closed = true;
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    const link = this.#link;
    const opening = this.#opening;
    this.#stopConnection?.();
    this.#link = undefined;
    this.#ready = false;
    // Logging out kicks the KVM session, so only once the BMC has seen the link end (notes §6.1); a
    // link still being opened is closed by #openKvm when it sees the source closed.
    void (async () => {
      await opening;
      await link?.close();
      await this.#endWebSession();
    })();
  }

  #timer(fn: () => void, ms: number): NodeJS.Timeout {
    const t = setTimeout(() => {
      this.#timers.delete(t);
      fn();
    }, ms);
    this.#timers.add(t);
    return t;
  }

  async #endWebSession(): Promise<void> {
    const web = this.#web;
    this.#web = undefined;
    if (!web) return;
    await web.logout();
    await web.close().catch(() => {});
  }

  async #connect(): Promise<void> {
    let web: AtenWebSession;
    try {
      web = await AtenWebSession.login(this.#opts.web);
    } catch (e) {
      if (!this.#closed) this.#lost(e as Error);
      return;
    }
    if (this.#closed) {
      await web.close();
      return;
    }
    this.#web = web;
    this.#opening = this.#openKvm(web, this.#transports);
    await this.#opening;
  }

  /** Opens the KVM over the first of `order`; the rest are fallbacks for a BMC without a working HTML5 console. */
  async #openKvm(web: AtenWebSession, order: AtenTransport[]): Promise<void> {
    const [transport, ...fallbacks] = order as [AtenTransport, ...AtenTransport[]];
    const o = this.#opts;
    const onFailed = (err: Error) => this.#kvmFailed(err, web, fallbacks);
    let opened: OpenedKvm;
    try {
      opened = await openAtenKvm(transport, web, {
        web: o.web,
        kvmHost: o.kvmHost ?? hostOf(o.web.host),
        ...(o.kvmPort !== undefined ? { kvmPort: o.kvmPort } : {}),
        connectTimeoutMs: o.connectTimeoutMs,
        html5TicketLayout: o.html5TicketLayout ?? 'whole',
      });
    } catch (e) {
      onFailed(e as Error);
      return;
    }
    if (this.#closed || this.#web !== web) {
      await opened.link.close();
      return;
    }
    this.#runKvm(
      opened,
      () => {
        // `auto` keeps what worked for this session's reconnects (no second wait on a silent HTML5 console).
        if (this.#transports.length > 1) this.#transports = [transport];
      },
      onFailed,
    );
  }

  #kvmFailed(err: Error, web: AtenWebSession, fallbacks: AtenTransport[]): void {
    if (!this.#closed && this.#web === web && fallbacks.length > 0 && err instanceof Html5UnavailableError) {
      this.#log.warn({ event: 'aten-html5-unavailable', code: err.code, next: fallbacks[0] }, `${err.message}; trying ${fallbacks[0]} (transport: auto)`);
      this.#opening = this.#openKvm(web, fallbacks);
      return;
    }
    // Logging out kicks the KVM session, so only now that it is gone (notes §6.1).
    void this.#endWebSession().then(() => {
      if (!this.#closed) this.#lost(classify(err, 'the KVM service'));
    });
  }

  #runKvm(opened: OpenedKvm, onConnected: () => void, onFailed: (err: Error) => void): void {
    const o = this.#opts;
    const { link } = opened;
    const target = link.target;
    this.#link = link;
    this.#ready = false;
    const handshake = new AtenClientHandshake({ username: opened.username, password: opened.password });
    const reader = new AtenServerMessageReader({ mouseInfoBodyBytes: o.mouseInfoBodyBytes ?? opened.mouseInfoBodyBytes });
    const video = new AtenVideoDecoder({ ast2100: { headerByte1: o.headerByte1 ?? 'chroma' } });
    let failed = false;
    let lastInbound = Date.now();
    const connTimers = new Set<NodeJS.Timeout>();
    const every = (ms: number, fn: () => void) => {
      const t = setInterval(fn, ms);
      connTimers.add(t);
    };

    const timer = setTimeout(() => fail(handshakeTimeout(link, o.connectTimeoutMs)), o.connectTimeoutMs);
    connTimers.add(timer);
    const stop = (): void => {
      failed = true;
      for (const t of connTimers) clearTimeout(t); // intervals too
    };
    this.#stopConnection = stop;

    const fail = (err: Error): void => {
      if (failed) return;
      stop();
      if (this.#link === link) {
        this.#link = undefined;
        this.#ready = false;
      }
      void link.close().then(() => onFailed(classify(err, target)));
    };

    const onMessages = (msgs: AtenServerMessage[]) => {
      for (const m of msgs) this.#handle(m, link, video);
    };

    link.onEnd((err) => fail(err));
    link.onData((chunk: Buffer) => {
      if (failed) return;
      lastInbound = Date.now();
      try {
        if (!handshake.done) {
          const step = handshake.receive(chunk);
          for (const b of step.send) link.write(b);
          if (!step.serverInit) return;
          clearTimeout(timer);
          const init = step.serverInit;
          this.#kmEnabled = init.keyboardMouseEnabled;
          if (!init.videoEnabled)
            throw new GatewayError(
              'GW_ERR_BMC_PROTOCOL',
              `the BMC at ${target} gives this session no video (IKVMVideoEnable = 0; another KVM session holds it)`,
            );
          this.#ready = true;
          this.#reconnect.connected();
          this.#connectedOnce = false;
          onConnected();
          this.#log.info(
            { event: 'aten-connected', transport: link.transport, target, banner: init.banner.trim(), keyboardMouse: init.keyboardMouseEnabled },
            'ATEN handshake done',
          );
          // ServerInit's size is a placeholder: the first video rectangle brings the real one.
          link.write(Buffer.concat([encodeAtenMouseMode(), encodeAtenFramebufferUpdateRequest(false)]));
          every(o.keepAliveMs ?? 3000, () => link.write(encodeAtenKeepAlive()));
          const watchdog = o.watchdogMs ?? 4000;
          every(watchdog, () => {
            const silent = Date.now() - lastInbound;
            if (silent >= 2 * watchdog) fail(new GatewayError('GW_ERR_BMC_TIMEOUT', `the BMC at ${target} sent nothing for ${silent} ms`));
            else if (silent >= watchdog) link.write(encodeAtenFramebufferUpdateRequest(false)); // a live BMC always answers
          });
          if (step.rest) onMessages(reader.push(step.rest));
          return;
        }
        onMessages(reader.push(chunk));
      } catch (err) {
        fail(err as Error);
      }
    });
  }

  #handle(m: AtenServerMessage, link: KvmLink, video: AtenVideoDecoder): void {
    const sink = this.#sink!;
    switch (m.type) {
      case 'framebuffer-update': {
        let full = false;
        for (const rect of m.rects) {
          try {
            const r = video.decodeRect(rect, sink.fb);
            if (!this.#connectedOnce) {
              this.#connectedOnce = true;
              sink.connected({ width: sink.fb.width, height: sink.fb.height, name: 'ATEN iKVM' });
            } else if (r.resized) {
              sink.resized(sink.fb.width, sink.fb.height);
            }
            if (r.resized) full = true;
            for (const c of r.changed) sink.damage(c, rect.encoding);
          } catch (e) {
            if (!(e instanceof AtenError)) throw e;
            // Video we cannot draw before any picture: this board's console is beyond the native path
            // (a Java viewer can still serve it, fallback: jnlp); asking again would loop forever.
            if (e.code === 'ATEN_ERR_ENCODING' && !this.#connectedOnce) {
              throw new GatewayError('GW_ERR_BMC_UNSUPPORTED', `the BMC sends video the gateway does not decode: ${e.message}`, {
                cause: e,
                details: { unsupported: 'video-encoding' },
              });
            }
            // The rectangle's bytes were consumed whole, so the stream is aligned: redraw from scratch.
            this.#log.warn({ event: 'aten-video-error', code: e.code, field: e.field, encoding: rect.encoding }, e.message);
            full = true;
          }
        }
        if (m.rects.length > 0) this.#noSignal = false;
        if (m.noSignal && m.rects.length === 0) {
          if (!this.#noSignal) {
            this.#noSignal = true;
            this.#log.info({ event: 'aten-no-signal' }, 'the host shows no video signal');
            if (!this.#connectedOnce) {
              this.#connectedOnce = true;
              sink.connected({ width: sink.fb.width, height: sink.fb.height, name: 'ATEN iKVM' });
            }
            drawNoSignal(sink);
          }
          this.#reconnect.healthy(); // "no signal" is a working link with nothing to show
          sink.updateEnd();
          // Keep asking, about once a second, for a full update until video returns (kelleyk, aten-proxy).
          this.#timer(() => {
            if (this.#link === link) link.write(encodeAtenFramebufferUpdateRequest(false));
          }, this.#opts.noSignalPollMs ?? 1000);
          return;
        }
        this.#reconnect.healthy();
        sink.updateEnd();
        link.write(encodeAtenFramebufferUpdateRequest(!full));
        return;
      }
      case 'bell':
        sink.bell();
        return;
      case 'session':
        if (m.b === 3) this.#log.warn({ event: 'aten-kicked' }, 'the BMC ended the KVM session (web logout)');
        else this.#log.info({ event: 'aten-session', a: m.a, b: m.b }, 'ATEN session message');
        return;
      case 'cursor':
      case 'keep-alive':
      case 'video-info':
      case 'keyboard-mouse-status':
      case 'mouse-info':
      case 'viewer-lang':
        return;
      default: {
        const never: never = m;
        void never;
      }
    }
  }

  #lost(err: Error): void {
    this.#reconnect.handleLost(
      err,
      this.#sink!,
      (fn, ms) => this.#timer(fn, ms),
      () => {
        if (!this.#closed) void this.#connect();
      },
    );
  }
}

function hostOf(hostPort: string): string {
  const v6 = /^\[([^\]]+)\](?::\d+)?$/.exec(hostPort);
  if (v6) return v6[1]!;
  const i = hostPort.lastIndexOf(':');
  return i > 0 && hostPort.indexOf(':') === i ? hostPort.slice(0, i) : hostPort;
}

/** "NO SIGNAL" in the middle of a black screen, as the BMC's own viewer shows it (also drawn by aten-replay). */
export function drawNoSignal(sink: Pick<SourceSink, 'fb' | 'damage'>): void {
  const fb = sink.fb;
  fb.fillRect(0, 0, fb.width, fb.height, 0, 0, 0);
  const text = 'NO SIGNAL';
  const x0 = Math.max(0, Math.floor((fb.width - text.length * CELL_WIDTH) / 2));
  const y0 = Math.max(0, Math.floor((fb.height - CELL_HEIGHT) / 2));
  if (x0 + text.length * CELL_WIDTH <= fb.width && y0 + CELL_HEIGHT <= fb.height) {
    for (let i = 0; i < text.length; i++) drawCell(fb, x0 + i * CELL_WIDTH, y0, text[i]!, [200, 200, 200], [0, 0, 0]);
  }
  sink.damage({ x: 0, y: 0, width: fb.width, height: fb.height });
}

/**
 * The handshake did not finish in time. On the HTML5 console a WebSocket that stayed silent is old
 * firmware that serves the HTML5 page but not its console (a public client saw one that needs the
 * Java-era navigation first, "accepts the WebSocket connection silently but never initiates the
 * handshake"): under `auto` that is a reason to use the TCP iKVM port instead.
 */
function handshakeTimeout(link: KvmLink, ms: number): GatewayError {
  if (link.transport === 'html5' && link.bytesReceived === 0) {
    return new Html5UnavailableError(
      'GW_ERR_BMC_TIMEOUT',
      `the BMC accepted the HTML5 console WebSocket at ${link.target} but sent nothing within ${ms} ms (firmware that serves the HTML5 page without its console; use transport: tcp, or auto to fall back to it)`,
    );
  }
  return new GatewayError('GW_ERR_BMC_TIMEOUT', `the BMC at ${link.target} did not complete the ATEN handshake within ${ms} ms`);
}

function classify(err: Error, target: string): Error {
  if (err instanceof GatewayError) return err;
  if (err instanceof AtenError && err.code === 'ATEN_ERR_AUTH_FAILED') {
    return new GatewayError('GW_ERR_BMC_AUTH_FAILED', `the BMC at ${target} refused the one-time KVM credentials (${err.message})`, { cause: err });
  }
  if (err instanceof ProtocolError)
    return new GatewayError('GW_ERR_BMC_PROTOCOL', `the BMC at ${target} sent invalid ATEN data: ${err.message} [${err.code}]`, { cause: err });
  const code = (err as NodeJS.ErrnoException).code;
  return new GatewayError('GW_ERR_BMC_UNREACHABLE', `cannot connect to the KVM service at ${target}: ${code ?? err.message}`, { cause: err });
}
