import { Duplex } from 'node:stream';
import type { RawData, WebSocket } from 'ws';
import { GatewayError } from '../../errors.js';

/**
 * bmcweb's KVM and host-console WebSockets are plain byte pipes: each binary message carries the next
 * bytes of the TCP stream behind it (obmc-ikvm's RFB server on 127.0.0.1:5900, obmc-console's socket),
 * in both directions. bmcweb copies each message from the client into a 1024-byte buffer and closes
 * the socket ("Buffer overrun", close code 1000) when one message is larger (features/kvm/
 * kvm_websocket.hpp, `inputBuffer`), so everything we send is cut into messages of at most
 * `BMCWEB_MAX_MESSAGE_BYTES`.
 */
export const BMCWEB_MAX_MESSAGE_BYTES = 1024;

/**
 * A WebSocket as a Node Duplex of bytes, so the RFB client (src/sources/vnc/) reads and writes it
 * exactly like a TCP socket. The WebSocket arrives later (`attach`), after the web login: writes
 * until then wait. Backpressure both ways: `write()` calls back when ws has sent the last piece;
 * the WebSocket is paused while the reader does not want more.
 *
 * The pipe ends with an error naming the WebSocket's close code and reason (bmcweb says why there,
 * e.g. "Buffer overrun", "Max sessions are already connected"); `destroy()` closes the WebSocket.
 */
export class WebSocketBytePipe extends Duplex {
  readonly #what: string;
  readonly #maxMessageBytes: number;
  #ws: WebSocket | undefined;
  #waiting: { chunk: Buffer; callback: (error?: Error | null) => void } | undefined;

  /** `what` names the pipe in errors, e.g. "the KVM WebSocket of https://bmc". */
  constructor(what: string, maxMessageBytes = BMCWEB_MAX_MESSAGE_BYTES) {
    super({ allowHalfOpen: false });
    this.#what = what;
    this.#maxMessageBytes = maxMessageBytes;
  }

  /** Hands over the open WebSocket. If the pipe was destroyed meanwhile, the WebSocket is closed. */
  attach(ws: WebSocket): void {
    if (this.destroyed) {
      ws.close(1000);
      return;
    }
    this.#ws = ws;
    ws.on('message', (data: RawData) => {
      if (this.destroyed) return;
      if (!this.push(toBuffer(data))) ws.pause();
    });
    ws.on('close', (code: number, reason: Buffer) => {
      const why = reason.toString('utf8').slice(0, 200);
      this.destroy(new GatewayError('GW_ERR_BMC_UNREACHABLE', `the BMC closed ${this.#what} (code ${code}${why ? `: ${why}` : ''})`));
    });
    ws.on('error', (err: Error) => this.destroy(new GatewayError('GW_ERR_BMC_UNREACHABLE', `${this.#what} failed: ${err.message}`, { cause: err })));
    const waiting = this.#waiting;
    this.#waiting = undefined;
    if (waiting) this.#send(waiting.chunk, waiting.callback);
    this.emit('connect'); // like net.Socket: the pipe carries bytes from now on
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (!this.#ws) {
      this.#waiting = { chunk, callback };
      return;
    }
    this.#send(chunk, callback);
  }

  override _read(): void {
    if (this.#ws?.isPaused) this.#ws.resume();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    const ws = this.#ws;
    this.#ws = undefined;
    if (ws && ws.readyState === ws.OPEN) ws.close(1000);
    else ws?.terminate();
    this.#waiting?.callback(error ?? new Error('closed'));
    this.#waiting = undefined;
    callback(error);
  }

  #send(chunk: Buffer, callback: (error?: Error | null) => void): void {
    const ws = this.#ws;
    if (!ws || ws.readyState !== ws.OPEN) {
      callback(new GatewayError('GW_ERR_BMC_UNREACHABLE', `${this.#what} is closed`));
      return;
    }
    // Views, not copies: ws frames each piece before send() returns to us.
    for (let off = 0; off < chunk.length; off += this.#maxMessageBytes) {
      const piece = chunk.subarray(off, off + this.#maxMessageBytes);
      const last = off + this.#maxMessageBytes >= chunk.length;
      ws.send(piece, { binary: true }, last ? (err) => callback(err ?? null) : undefined);
    }
    if (chunk.length === 0) callback();
  }
}

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}
