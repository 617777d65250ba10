import type { Duplex } from 'node:stream';
import { ProtocolError, RfbError } from '../../../protocols/errors.js';
import { ClientHandshake, type ClientHandshakeResult, type StartTls } from '../../../protocols/rfb/client-handshake.js';
import {
  encodeClientCutText,
  encodeFramebufferUpdateRequest,
  encodeKeyEvent,
  encodePointerEvent,
  encodeSetEncodings,
  encodeSetPixelFormat,
} from '../../../protocols/rfb/client-messages.js';
import { Encoding, isRgbxFormat, type PixelFormat } from '../../../protocols/rfb/constants.js';
import { createDecoders, PixelReader, TightDecoder, UPSTREAM_ENCODINGS, upstreamPixelFormat } from '../../../protocols/rfb/encodings/index.js';
import { frameUpdates } from '../../../protocols/rfb/update-framer.js';
import { ServerMessageReader, type ServerMessage } from '../../../protocols/rfb/server-messages.js';
import { ENCODING_NAMES } from './encoding-names.js';
import type { SessionsConfig, VncConsoleConfig } from '../../config/types.js';
import { GatewayError } from '../../errors.js';
import type { Logger } from '../../log.js';
import { ReconnectPolicy } from '../reconnect-policy.js';
import { tcpTransport, type RfbTransport } from './rfb-transport.js';
import type { InputEvent, Source, SourceSink } from '../types.js';
import { tlsFailure, upgradeToTls } from './tls-upgrade.js';

/**
 * The most bytes of an unfinished FramebufferUpdate kept back from the decoder until its end has come
 * (relaying, #offer). A larger update is decoded as it comes and not relayed.
 */
const MAX_CARRY_BYTES = 1024 * 1024;

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
  /** The BMC connection: the transport's stream, or the TLS socket over it once a TLS security type started. */
  #socket: Duplex | undefined;
  /** The byte pipe to the RFB server: TCP unless the console type says otherwise (openbmc). */
  readonly #transport: RfbTransport;
  #closed = false;
  /** sessions.relay: offer whole updates to the viewers before decoding them (src/viewer/relay.ts). */
  readonly #relay: boolean;
  #retryTimer: NodeJS.Timeout | undefined;
  #ready = false;
  #size = { width: 0, height: 0 };

  constructor(
    cfg: VncConsoleConfig,
    log: Logger,
    sessions: Pick<SessionsConfig, 'reconnectBudgetMs'> & Partial<Pick<SessionsConfig, 'relay'>>,
    transport: RfbTransport = tcpTransport(cfg.host, cfg.port),
  ) {
    this.#cfg = cfg;
    this.#transport = transport;
    this.#log = log.child({ source: 'vnc', bmc: `${cfg.host}:${cfg.port}` });
    this.#reconnect = new ReconnectPolicy({ budgetMs: sessions.reconnectBudgetMs, firstDelayMs: 500 });
    this.#relay = sessions.relay ?? true;
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
    const handshake = new ClientHandshake({ password: cfg.password, user: cfg.user, shared: cfg.shared, tls: cfg.tls });
    let reader: ServerMessageReader | undefined;
    /** Set when updates can be relayed to viewers as they come (the BMC sends our viewers' RGBX): its Tight decoder, whose stream state priming reads. */
    let relayTight: TightDecoder | undefined;
    let pixels: PixelReader | undefined;
    let failed = false;
    /** Where RFB bytes go: the socket, then the TLS socket once TLS is up. */
    let io: Duplex = socket;
    let upgrading = false;

    // One timer covers connect + handshake: a BMC that accepts the TCP connection and then says
    // nothing (a hung BMC) must give an error promptly, not hang the API call.
    const timer = setTimeout(() => {
      fail(new GatewayError('GW_ERR_BMC_TIMEOUT', `the BMC at ${cfg.host}:${cfg.port} did not complete the RFB handshake within ${cfg.connectTimeoutMs} ms`));
    }, cfg.connectTimeoutMs);

    const fail = (err: Error): void => {
      if (failed) return;
      failed = true;
      clearTimeout(timer);
      io.destroy();
      socket.destroy();
      if (this.#socket === io || this.#socket === socket) this.#socket = undefined;
      this.#ready = false;
      if (this.#closed) return;
      this.#lost(classify(err, cfg));
    };

    const handshakeStep = (step: ClientHandshakeResult): void => {
      for (const out of step.send) io.write(out);
      if (step.startTls) {
        startTls(step.startTls);
        return;
      }
      if (!step.serverInit) return;
      clearTimeout(timer);
      const init = step.serverInit;
      this.#size = { width: init.width, height: init.height };
      // The format to ask for: ours, or the server's own when it is narrower (upstreamPixelFormat).
      const format = upstreamPixelFormat(init.pixelFormat);
      pixels = new PixelReader(format);
      const decoders = createDecoders(pixels);
      reader = new ServerMessageReader({ fb: sink.fb, decoders, pixels, deferPaints: true });
      const tight = decoders.get(Encoding.Tight);
      relayTight = this.#relay && sink.relay && isRgbxFormat(format) && !format.bigEndian && tight instanceof TightDecoder ? tight : undefined;
      relayTight?.keepHistory();
      io.write(encodeSetPixelFormat(format));
      const encodings = cfg.encodings.length > 0 ? cfg.encodings.map((n) => ENCODING_NAMES[n]!) : UPSTREAM_ENCODINGS;
      io.write(encodeSetEncodings([...encodings, ...UPSTREAM_PSEUDO]));
      io.write(encodeFramebufferUpdateRequest({ incremental: false, x: 0, y: 0, width: init.width, height: init.height }));
      sink.fullRequest?.();
      this.#ready = true;
      this.#reconnect.connected();
      this.#log.info(
        {
          event: 'rfb-connected',
          version: init.version,
          width: init.width,
          height: init.height,
          tls: tlsInfo,
          serverPixelFormat: describeFormat(init.pixelFormat),
          pixelFormat: describeFormat(format),
        },
        'RFB handshake done',
      );
      sink.connected({ width: init.width, height: init.height, name: init.name });
      if (step.rest && step.rest.length > 0) this.#handle(reader.push(step.rest), io);
    };

    /**
     * A read relayed to viewers and not decoded yet: decoded once this turn of the event loop has
     * read (and relayed) what else arrived (setImmediate runs after the poll phase's I/O callbacks),
     * so one console's decode does not hold back another's relay; or at once, in order, when this
     * connection's next read comes first.
     */
    let relayedChunk: Buffer | undefined;
    /** Relaying: the start of a FramebufferUpdate whose end has not come yet, kept back from the decoder (#offer). */
    const carry: { bytes: Buffer | undefined } = { bytes: undefined };
    const decodeRelayed = (): void => {
      const chunk = relayedChunk;
      relayedChunk = undefined;
      if (!chunk || failed || !reader || this.#closed) return;
      try {
        this.#handle(reader.push(chunk), io);
      } catch (err) {
        sink.relayFailed?.(err as Error);
        fail(err as Error);
      }
    };

    const onData = (chunk: Buffer): void => {
      if (failed) return;
      decodeRelayed();
      if (failed) return;
      try {
        if (!reader) handshakeStep(handshake.receive(chunk));
        else if (relayTight && reader.atBoundary && (carry.bytes !== undefined || sink.relayWanted?.() !== false)) {
          const { decode, relayed } = this.#offer(chunk, carry, relayTight, pixels!);
          if (decode.length === 0) return;
          if (relayed) {
            relayedChunk = decode;
            setImmediate(decodeRelayed);
          } else this.#handle(reader.push(decode), io);
        } else if (relayTight) {
          // Not offered: mid-update after an offer that told the viewers every stream was touched, or
          // no viewer could take an update as it comes (each is behind, or there is none). Framing
          // each read for nobody was a tenth of the decode's CPU at full speed (BENCHMARKS.md); the
          // viewers learn which of the BMC's Tight streams moved on from the decoder instead.
          relayTight.touched = 0;
          this.#handle(reader.push(chunk), io);
          if (relayTight.touched !== 0) sink.streamsMissed?.(relayTight.touched);
        } else this.#handle(reader.push(chunk), io);
      } catch (err) {
        fail(err as Error);
      }
    };

    let tlsInfo: { protocol: string | null; cipher: string; securityType: number; subtype: number | undefined } | undefined;
    // The handshake asked for TLS (security type 18 or a VeNCrypt subtype): the transport's stream is
    // handed to node:tls and the handshake goes on over the TLS socket.
    const startTls = (start: StartTls): void => {
      socket.removeListener('data', onData);
      upgrading = true;
      upgradeToTls(socket, start, { host: cfg.host, insecureTls: cfg.insecureTls, legacyTls: cfg.legacyTls, ca: cfg.ca })
        .then((tls) => {
          upgrading = false;
          if (failed) {
            tls.destroy();
            return;
          }
          io = tls;
          this.#socket = tls;
          tlsInfo = { protocol: tls.getProtocol(), cipher: tls.getCipher().name, securityType: start.securityType, subtype: start.subtype };
          tls.on('data', onData);
          tls.on('error', (err: Error) => fail(err));
          tls.on('close', () => fail(new GatewayError('GW_ERR_BMC_UNREACHABLE', `the BMC at ${cfg.host}:${cfg.port} closed the connection`)));
          try {
            handshakeStep(handshake.tlsEstablished());
          } catch (err) {
            fail(err as Error);
          }
        })
        .catch((err: Error) => {
          upgrading = false;
          fail(tlsFailure(err, start, cfg));
        });
    };

    socket.on('error', (err) => {
      // During the TLS handshake the TLS socket reports the failure (with the TLS reason).
      if (!upgrading) fail(err);
    });
    socket.on('close', () => {
      if (!upgrading) fail(new GatewayError('GW_ERR_BMC_UNREACHABLE', `the BMC at ${cfg.host}:${cfg.port} closed the connection`));
    });
    socket.on('data', onData);
  }

  /**
   * Offers the whole updates this read completes, undecoded, to the viewers (src/viewer/relay.ts)
   * before they are decoded: the viewers then wait only for the bytes, not for our decode and encode.
   * Called at a message boundary. A read often holds several updates (the BMC sent faster than we
   * read) or ends inside one (TCP cut it): the updates that are whole are offered together, and the
   * start of an unfinished one is kept back from the decoder, up to MAX_CARRY_BYTES, until the read
   * that ends it, so the decoder stays at a boundary and the update is offered whole then. (Cut by
   * the read, it would reach the viewers decoded and re-encoded, and with it their Tight streams would
   * fall out of step with the BMC's for good: under load, where reads cut updates most, relaying
   * stopped.) What cannot be framed after them (another message, an encoding without lengths, an
   * unfinished update over the bound) is decoded as it comes, and the viewers are told that all
   * streams may be touched. Returns what to decode now and whether any viewer was sent something.
   */
  #offer(chunk: Buffer, carry: { bytes: Buffer | undefined }, tight: TightDecoder, pixels: PixelReader): { decode: Buffer; relayed: boolean } {
    const sink = this.#sink!;
    const buf = carry.bytes ? Buffer.concat([carry.bytes, chunk]) : chunk;
    carry.bytes = undefined;
    const run = frameUpdates(buf, sink.fb.width, sink.fb.height, pixels);
    const whole = run.framed?.length ?? 0;
    let decode = buf;
    let restTouched = 0;
    if (run.rest === 'incomplete' && buf.length - whole <= MAX_CARRY_BYTES) {
      carry.bytes = buf.subarray(whole);
      decode = buf.subarray(0, whole);
    } else if (run.rest !== 'none') restTouched = 0xf;
    if (!run.framed) return { decode, relayed: restTouched !== 0 && sink.relay!(undefined, restTouched) };
    const relayed = sink.relay!(
      { bytes: buf.subarray(0, whole), framed: run.framed, updates: run.updates, streamState: (id) => tight.streamState(id) },
      restTouched,
    );
    return { decode, relayed };
  }

  #handle(messages: ServerMessage[], socket: Duplex): void {
    const sink = this.#sink!;
    // One FramebufferUpdateRequest per chunk read, however many updates it completed: the gateway
    // keeps exactly one request outstanding, so a server that answers requests (RFB 7.5.3) never has
    // more than one update for us in a chunk, and a server that sends updates unasked (a replay, or
    // continuous updates) is not held back by fewer requests. One socket write per chunk instead of
    // one per update: at full speed, thousands of 10-byte writes a second were a tenth of the
    // gateway's CPU (BENCHMARKS.md, "Issue 14").
    let asked = false;
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
          // Ask for the next update before handing this one to the viewers: their encodes run
          // synchronously in updateEnd, and the BMC can prepare its next update meanwhile instead
          // of waiting for them (issue 14: the pull round trip behind the latency tail).
          if (!asked) {
            asked = true;
            socket.write(encodeFramebufferUpdateRequest({ incremental: true, x: 0, y: 0, width: sink.fb.width, height: sink.fb.height }));
          }
          sink.updateEnd();
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
    if (err.code === 'RFB_ERR_TLS_REQUIRED')
      return new GatewayError('GW_ERR_BMC_TLS', `the BMC at ${cfg.host}:${cfg.port} cannot be reached over TLS: ${err.message}`, { cause: err });
    if (err.code === 'RFB_ERR_AUTH_FAILED')
      return new GatewayError('GW_ERR_BMC_AUTH_FAILED', `the BMC at ${cfg.host}:${cfg.port} refused the configured password (${err.message})`, { cause: err });
    if (err.code === 'RFB_ERR_PASSWORD_REQUIRED')
      return new GatewayError('GW_ERR_BMC_AUTH_FAILED', `the BMC at ${cfg.host}:${cfg.port} requires credentials that are not configured (${err.message})`, {
        cause: err,
      });
  }
  if (err instanceof ProtocolError)
    return new GatewayError('GW_ERR_BMC_PROTOCOL', `the BMC at ${cfg.host}:${cfg.port} sent invalid RFB data: ${err.message} [${err.code}]`, { cause: err });
  const code = (err as NodeJS.ErrnoException).code;
  return new GatewayError('GW_ERR_BMC_UNREACHABLE', `cannot connect to the BMC at ${cfg.host}:${cfg.port}: ${code ?? err.message}`, { cause: err });
}

/** "16 bpp depth 15 LE true colour 31/31/31 shifts 10/5/0" for the log. */
function describeFormat(pf: PixelFormat): string {
  const colour = pf.trueColour ? `true colour ${pf.redMax}/${pf.greenMax}/${pf.blueMax} shifts ${pf.redShift}/${pf.greenShift}/${pf.blueShift}` : 'colour map';
  return `${pf.bitsPerPixel} bpp depth ${pf.depth} ${pf.bigEndian ? 'BE' : 'LE'} ${colour}`;
}
