import { connect } from 'node:net';
import { WebSocket } from 'ws';
import { LIMITS } from '../../../protocols/limits.js';
import { GatewayError } from '../../errors.js';
import { Html5UnavailableError } from './html5-bootstrap.js';

/**
 * The byte pipe between AtenSource and the BMC's KVM service. The ATEN protocol on it is the same
 * whichever way it travels: a TCP connection to the iKVM port (JNLP boards), or the HTML5 console's
 * WebSocket (later X10 to X13), whose message boundaries mean nothing to ATEN (fields span messages,
 * kookyleo/ikvmt protocol-x10.md), so it is delivered as a byte stream too.
 */
export interface KvmLink {
  readonly transport: 'tcp' | 'html5';
  /** Where it goes, for messages and logs (never a credential): `10.0.0.5:5900`, `wss://10.0.0.5/`. */
  readonly target: string;
  /** Bytes received so far (a link that stays at 0 is a BMC that never spoke). */
  readonly bytesReceived: number;
  write(bytes: Buffer): void;
  onData(fn: (chunk: Buffer) => void): void;
  /** Called once when the BMC ends the link or it fails; never after close(). */
  onEnd(fn: (err: Error) => void): void;
  /** Ends the link; resolves when the BMC has been told (TCP at once, WebSocket after its closing handshake, bounded). */
  close(): Promise<void>;
}

/** How long a WebSocket closing handshake may take before the connection is cut. */
const WS_CLOSE_WAIT_MS = 2000;

/**
 * A link's data and end events, kept until AtenSource attaches its handlers: a WebSocket may deliver
 * its first message (the banner) in the same turn as the upgrade completes, before anyone listens.
 */
class LinkEvents {
  #onData: ((chunk: Buffer) => void) | undefined;
  #onEnd: ((err: Error) => void) | undefined;
  #pending: Buffer[] = [];
  #endError: Error | undefined;
  ended = false;
  received = 0;

  data(chunk: Buffer): void {
    if (this.ended) return;
    this.received += chunk.length;
    if (this.#onData) this.#onData(chunk);
    else this.#pending.push(chunk);
  }

  /** The link ended (once); `undefined` = we closed it, nobody is told. */
  end(err: Error | undefined): void {
    if (this.ended) return;
    this.ended = true;
    if (!err) return;
    if (this.#onEnd) this.#onEnd(err);
    else this.#endError = err;
  }

  setOnData(fn: (chunk: Buffer) => void): void {
    this.#onData = fn;
    for (const c of this.#pending.splice(0)) fn(c);
  }

  setOnEnd(fn: (err: Error) => void): void {
    this.#onEnd = fn;
    if (this.#endError) fn(this.#endError);
  }
}

/** A TCP connection to the iKVM port. Connect errors arrive through onEnd, like a later drop. */
export function connectTcpLink(host: string, port: number): KvmLink {
  const target = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  const socket = connect({ host, port, noDelay: true });
  const ev = new LinkEvents();
  socket.on('data', (chunk: Buffer) => ev.data(chunk));
  socket.on('error', (err) => ev.end(err));
  socket.on('close', () => ev.end(new GatewayError('GW_ERR_BMC_UNREACHABLE', `the BMC at ${target} closed the KVM connection`)));
  return {
    transport: 'tcp',
    target,
    get bytesReceived() {
      return ev.received;
    },
    write: (bytes) => {
      if (!socket.destroyed) socket.write(bytes);
    },
    onData: (fn) => ev.setOnData(fn),
    onEnd: (fn) => ev.setOnEnd(fn),
    close: async () => {
      ev.end(undefined);
      socket.destroy();
    },
  };
}

export interface WebSocketLinkOptions {
  /** `Origin` and `Cookie` of the upgrade request, as the BMC's own console page sends them. */
  origin: string;
  cookie: string;
  tls: { rejectUnauthorized: boolean; minVersion?: 'TLSv1'; ciphers?: string };
  /** Upper bound of TCP connect + TLS + upgrade. */
  timeoutMs: number;
}

/**
 * Opens the HTML5 console's WebSocket: the web port's root path, no subprotocol (the firmware's
 * websock.js asks for none on this endpoint, kookyleo/ikvmt), `Cookie: SID=…`, `Origin` of the web
 * interface, binary messages. Resolves once the upgrade is done. A refused upgrade or a connection
 * lost during it is an Html5UnavailableError (the BMC has no console there).
 */
export function connectWebSocketLink(url: string, o: WebSocketLinkOptions): Promise<KvmLink> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, {
      origin: o.origin,
      headers: { cookie: o.cookie },
      perMessageDeflate: false,
      followRedirects: false,
      handshakeTimeout: o.timeoutMs,
      // One message may hold a whole video rectangle and whatever precedes it.
      maxPayload: 2 * LIMITS.maxAtenRectBytes,
      ...o.tls,
    });
    const ev = new LinkEvents();
    let open = false;
    ws.on('unexpected-response', (_req, res) => {
      res.resume();
      ws.terminate();
      reject(new Html5UnavailableError('GW_ERR_BMC_PROTOCOL', `the BMC refused the HTML5 console WebSocket at ${url} (HTTP ${res.statusCode})`));
    });
    ws.on('error', (err) => {
      const code = (err as NodeJS.ErrnoException).code;
      if (!open) {
        const timeout = /timed out/i.test(err.message);
        reject(
          new Html5UnavailableError(
            timeout ? 'GW_ERR_BMC_TIMEOUT' : 'GW_ERR_BMC_UNREACHABLE',
            `cannot open the HTML5 console WebSocket at ${url}: ${code ?? err.message}`,
            { cause: err },
          ),
        );
        return;
      }
      // Dropped before its first byte: no console there either (under `auto`, a reason to try TCP).
      if (ev.received === 0)
        ev.end(
          new Html5UnavailableError(
            'GW_ERR_BMC_UNREACHABLE',
            `the HTML5 console WebSocket at ${url} failed before the BMC sent anything: ${code ?? err.message}`,
            { cause: err },
          ),
        );
      else ev.end(err);
    });
    ws.on('open', () => {
      open = true;
      resolve({
        transport: 'html5',
        target: url,
        get bytesReceived() {
          return ev.received;
        },
        write: (bytes) => {
          if (ws.readyState === WebSocket.OPEN) ws.send(bytes, { binary: true });
        },
        onData: (fn) => ev.setOnData(fn),
        onEnd: (fn) => ev.setOnEnd(fn),
        close: () => closeWebSocket(ws, () => ev.end(undefined)),
      });
    });
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (ev.ended) return;
      if (!isBinary) {
        // The console speaks binary only; text would be something else answering on this port.
        ev.end(new GatewayError('GW_ERR_BMC_PROTOCOL', `the BMC sent a text message on the HTML5 console WebSocket at ${url}`));
        ws.terminate();
        return;
      }
      ev.data(data);
    });
    ws.on('close', (code) => {
      if (!open) return;
      if (ev.received === 0)
        ev.end(
          new Html5UnavailableError('GW_ERR_BMC_UNREACHABLE', `the BMC at ${url} closed the HTML5 console WebSocket before sending anything (code ${code})`),
        );
      else ev.end(new GatewayError('GW_ERR_BMC_UNREACHABLE', `the BMC at ${url} closed the HTML5 console WebSocket (code ${code})`));
    });
  });
}

/** Sends a close frame and waits for the BMC's, at most WS_CLOSE_WAIT_MS; then the socket is cut. */
function closeWebSocket(ws: WebSocket, markEnded: () => void): Promise<void> {
  markEnded();
  if (ws.readyState === WebSocket.CLOSED) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => ws.terminate(), WS_CLOSE_WAIT_MS);
    ws.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
    if (ws.readyState === WebSocket.OPEN) ws.close(1000);
    else if (ws.readyState === WebSocket.CONNECTING) ws.terminate();
  });
}
