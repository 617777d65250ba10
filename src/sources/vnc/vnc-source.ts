import type { Duplex } from 'node:stream';
import { ProtocolError, RfbError } from '../../../protocols/errors.js';
import { ClientHandshake } from '../../../protocols/rfb/client-handshake.js';
import {
  encodeClientCutText,
  encodeFramebufferUpdateRequest,
  encodeKeyEvent,
  encodePointerEvent,
  encodeSetEncodings,
  encodeSetPixelFormat,
} from '../../../protocols/rfb/client-messages.js';
import { Encoding, RGBX_PIXEL_FORMAT } from '../../../protocols/rfb/constants.js';
import { createDecoders, UPSTREAM_ENCODINGS } from '../../../protocols/rfb/encodings/index.js';
import { ServerMessageReader, type ServerMessage } from '../../../protocols/rfb/server-messages.js';
import { ENCODING_NAMES } from './encoding-names.js';
import type { SessionsConfig, VncConsoleConfig } from '../../config/types.js';
import { GatewayError } from '../../errors.js';
import type { Logger } from '../../log.js';
import { ReconnectPolicy } from '../reconnect-policy.js';
import { tcpTransport, type RfbTransport } from './rfb-transport.js';
import type { InputEvent, Source, SourceSink } from '../types.js';

/** Pseudo-encodings we ask every VNC server for (rfbproto §7.8). */
const UPSTREAM_PSEUDO = [Encoding.DesktopSize, Encoding.ExtendedDesktopSize, Encoding.Cursor, Encoding.LastRect, Encoding.DesktopName];



/**
 * The `vnc` source: an RFB client to a VNC-capable BMC (or QEMU, TigerVNC, OpenBMC, iDRAC's VNC).
 * Keeps the Session's shadow framebuffer current by always having one incremental
 * FramebufferUpdateRequest outstanding, forwards input, follows resolution changes, and reconnects
 * with backoff when the link drops after having worked once.
 */
export class VncSource implements Source {
  readonly kind = 'vnc';
  readonly #cfg: VncConsoleConfig;
  readonly #log: Logger;
  /** Backoff between reconnect attempts: 0.5 s, 1 s, 2 s, … capped at 10 s. */
  readonly #reconnect: ReconnectPolicy;
  #sink: SourceSink | undefined;
  #socket: Duplex | undefined;
  /** The byte pipe to the RFB server: TCP unless the console type says otherwise (openbmc). */
  readonly #transport: RfbTransport;
  #closed = false;
  #retryTimer: NodeJS.Timeout | undefined;
  #ready = false;
  #size = { width: 0, height: 0 };

  constructor(cfg: VncConsoleConfig, log: Logger, sessions: Pick<SessionsConfig, 'reconnectBudgetMs'>, transport: RfbTransport = tcpTransport(cfg.host, cfg.port)) {
    this.#cfg = cfg;
    this.#transport = transport;
    this.#log = log.child({ source: 'vnc', bmc: `${cfg.host}:${cfg.port}` });
    this.#reconnect = new ReconnectPolicy({ budgetMs: sessions.reconnectBudgetMs, firstDelayMs: 500 });
  }

  start(sink: SourceSink): void {
    this.#sink = sink;
    this.#connect();
  }

  input(ev: InputEvent): void {
    const s = this.#socket;
    if (!s || !this.#ready || s.destroyed) return;
    switch (ev.type) {
      case 'key':
        s.write(encodeKeyEvent(ev));
        break;
      case 'pointer':
        s.write(encodePointerEvent(ev));
        break;
      case 'cut-text':
        s.write(encodeClientCutText(ev.text));
        break;
    }
  }

  close(): void {
    this.#closed = true;
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    this.#socket?.destroy();
    this.#socket = undefined;
  }

  #connect(): void {
    const sink = this.#sink!;
    const cfg = this.#cfg;
    const socket = this.#transport.open();
    this.#socket = socket;
    this.#ready = false;
    const handshake = new ClientHandshake({ password: cfg.password, shared: cfg.shared });
    let reader: ServerMessageReader | undefined;
    let failed = false;

    // One timer covers connect + handshake: a BMC that accepts the TCP connection and then says
    // nothing (a hung BMC) must give an error promptly, not hang the API call.
    const timer = setTimeout(() => {
      fail(new GatewayError('GW_ERR_BMC_TIMEOUT', `the BMC at ${cfg.host}:${cfg.port} did not complete the RFB handshake within ${cfg.connectTimeoutMs} ms`));
    }, cfg.connectTimeoutMs);

    const fail = (err: Error): void => {
      if (failed) return;
      failed = true;
      clearTimeout(timer);
      socket.destroy();
      if (this.#socket === socket) this.#socket = undefined;
      this.#ready = false;
      if (this.#closed) return;
      this.#lost(classify(err, cfg));
    };

    socket.on('error', (err) => fail(err));
    socket.on('close', () => fail(new GatewayError('GW_ERR_BMC_UNREACHABLE', `the BMC at ${cfg.host}:${cfg.port} closed the connection`)));
    socket.on('data', (chunk: Buffer) => {
      if (failed) return;
      try {
        if (!reader) {
          const step = handshake.receive(chunk);
          for (const out of step.send) socket.write(out);
          if (!step.serverInit) return;
          clearTimeout(timer);
          const init = step.serverInit;
          this.#size = { width: init.width, height: init.height };
          reader = new ServerMessageReader({ fb: sink.fb, decoders: createDecoders() });
          socket.write(encodeSetPixelFormat(RGBX_PIXEL_FORMAT));
          const encodings = cfg.encodings.length > 0 ? cfg.encodings.map((n) => ENCODING_NAMES[n]!) : UPSTREAM_ENCODINGS;
          socket.write(encodeSetEncodings([...encodings, ...UPSTREAM_PSEUDO]));
          socket.write(encodeFramebufferUpdateRequest({ incremental: false, x: 0, y: 0, width: init.width, height: init.height }));
          sink.fullRequest?.();
          this.#ready = true;
          this.#reconnect.connected();
          this.#log.info({ event: 'rfb-connected', version: init.version, width: init.width, height: init.height }, 'RFB handshake done');
          sink.connected({ width: init.width, height: init.height, name: init.name });
          if (step.rest && step.rest.length > 0) this.#handle(reader.push(step.rest), socket);
          return;
        }
        this.#handle(reader.push(chunk), socket);
      } catch (err) {
        fail(err as Error);
      }
    });
  }

  #handle(messages: ServerMessage[], socket: Duplex): void {
    const sink = this.#sink!;
    for (const m of messages) {
      switch (m.type) {
        case 'rect':
          if (m.encoding === Encoding.CopyRect && m.srcX !== undefined && m.srcY !== undefined) {
            sink.copy(m.srcX, m.srcY, { x: m.x, y: m.y, width: m.width, height: m.height });
          } else {
            sink.damage({ x: m.x, y: m.y, width: m.width, height: m.height }, m.encoding);
          }
          break;
        case 'update-end':
          // The link is only counted as healthy once it delivered a whole update: a BMC that
          // completes the handshake and then sends garbage must not reset the reconnect budget
          // (it would be hammered forever at the shortest backoff).
          this.#reconnect.healthy();
          sink.updateEnd();
          socket.write(encodeFramebufferUpdateRequest({ incremental: true, x: 0, y: 0, width: sink.fb.width, height: sink.fb.height }));
          break;
        case 'desktop-size':
          // Servers answer every non-incremental request with ExtendedDesktopSize; only a real
          // change of size is news for the viewers.
          if (m.width !== this.#size.width || m.height !== this.#size.height) {
            this.#size = { width: m.width, height: m.height };
            sink.resized(m.width, m.height);
          }
          break;
        case 'cursor':
          sink.cursor({ hotX: m.x, hotY: m.y, width: m.width, height: m.height, rgbx: m.rgbx, mask: m.mask });
          break;
        case 'bell':
          sink.bell();
          break;
        case 'cut-text':
          sink.clipboard(m.text);
          break;
        case 'desktop-name':
        case 'desktop-size-refused':
        case 'led-state':
        case 'qemu-extended-key-event':
        case 'colour-map':
        case 'end-of-continuous-updates':
          break;
        default: {
          const never: never = m;
          void never;
        }
      }
    }
  }

  #lost(err: Error): void {
    this.#reconnect.handleLost(
      err,
      this.#sink!,
      (fn, ms) => (this.#retryTimer = setTimeout(fn, ms)),
      () => {
        this.#retryTimer = undefined;
        if (!this.#closed) this.#connect();
      },
    );
  }
}

/** Turns socket and protocol failures into the distinct API errors an operator can act on. */
function classify(err: Error, cfg: VncConsoleConfig): Error {
  if (err instanceof GatewayError) return err;
  if (err instanceof RfbError) {
    if (err.code === 'RFB_ERR_AUTH_FAILED') return new GatewayError('GW_ERR_BMC_AUTH_FAILED', `the BMC at ${cfg.host}:${cfg.port} refused the configured password (${err.message})`, { cause: err });
    if (err.code === 'RFB_ERR_PASSWORD_REQUIRED') return new GatewayError('GW_ERR_BMC_AUTH_FAILED', `the BMC at ${cfg.host}:${cfg.port} requires a password and none is configured`, { cause: err });
  }
  if (err instanceof ProtocolError) return new GatewayError('GW_ERR_BMC_PROTOCOL', `the BMC at ${cfg.host}:${cfg.port} sent invalid RFB data: ${err.message} [${err.code}]`, { cause: err });
  const code = (err as NodeJS.ErrnoException).code;
  return new GatewayError('GW_ERR_BMC_UNREACHABLE', `cannot connect to the BMC at ${cfg.host}:${cfg.port}: ${code ?? err.message}`, { cause: err });
}
