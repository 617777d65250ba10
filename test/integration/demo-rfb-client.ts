import { connect, type Socket } from 'node:net';
import { ClientHandshake, type ServerInit } from '../../protocols/rfb/client-handshake.js';
import { encodeFramebufferUpdateRequest, encodeKeyEvent, encodeSetEncodings, encodeSetPixelFormat } from '../../protocols/rfb/client-messages.js';
import { Encoding, RGBX_PIXEL_FORMAT } from '../../protocols/rfb/constants.js';
import { createDecoders } from '../../protocols/rfb/encodings/index.js';
import { Framebuffer } from '../../protocols/rfb/framebuffer.js';
import { ServerMessageReader, type ServerMessage } from '../../protocols/rfb/server-messages.js';

/**
 * A minimal RFB client for tests, built from the project's client-role codecs (ClientHandshake,
 * ServerMessageReader, createDecoders) over real TCP: what the gateway's vnc source does, without
 * the Session around it.
 */
export class TestRfbClient {
  readonly socket: Socket;
  fb: Framebuffer | undefined;
  serverInit: ServerInit | undefined;
  /** Every server message after the handshake, in order. */
  readonly messages: ServerMessage[] = [];
  updates = 0;
  /** Bytes received after the handshake. */
  received = 0;
  closed = false;
  /** What ended the connection: a socket error or one of our parsers' (they throw only Error subclasses). */
  error: Error | undefined;
  #reader: ServerMessageReader | undefined;
  #waiters = new Set<() => void>();

  private constructor(socket: Socket) {
    this.socket = socket;
  }

  /**
   * Connects and runs the handshake; rejects with the handshake's RfbError (e.g. RFB_ERR_AUTH_FAILED)
   * or when the server closes first. Sends SetPixelFormat (RGBX) and SetEncodings like the gateway.
   */
  static async connect(port: number, opts: { password?: string; encodings?: number[] } = {}): Promise<TestRfbClient> {
    const socket = connect({ host: '127.0.0.1', port });
    const client = new TestRfbClient(socket);
    const hs = new ClientHandshake({ password: opts.password, shared: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('handshake timed out')), 5000);
      const fail = (err: unknown): void => {
        // After the handshake a reset is just the end of the connection ('close' follows).
        if (client.serverInit) return;
        clearTimeout(timer);
        client.error = err as Error;
        socket.destroy();
        reject(err);
      };
      socket.on('error', fail);
      socket.on('close', () => {
        client.closed = true;
        client.#wake();
        if (!client.serverInit) fail(hs.closed());
      });
      socket.on('data', (chunk: Buffer) => {
        if (client.#reader) {
          client.#push(chunk);
          return;
        }
        try {
          const r = hs.receive(chunk);
          for (const b of r.send) socket.write(b);
          if (r.serverInit) {
            clearTimeout(timer);
            client.serverInit = r.serverInit;
            client.fb = new Framebuffer(r.serverInit.width, r.serverInit.height);
            client.#reader = new ServerMessageReader({ fb: client.fb, decoders: createDecoders() });
            socket.write(encodeSetPixelFormat(RGBX_PIXEL_FORMAT));
            socket.write(encodeSetEncodings(opts.encodings ?? [Encoding.Tight, Encoding.Raw]));
            if (r.rest && r.rest.length > 0) client.#push(r.rest);
            resolve();
          }
        } catch (err) {
          fail(err);
        }
      });
    });
    return client;
  }

  /** Sends a FramebufferUpdateRequest for the whole screen and waits for the next update to end. */
  async update(incremental: boolean, timeoutMs = 5000): Promise<void> {
    const fb = this.fb!;
    const before = this.updates;
    this.socket.write(encodeFramebufferUpdateRequest({ incremental, x: 0, y: 0, width: fb.width, height: fb.height }));
    await this.waitFor(() => this.updates > before, timeoutMs);
  }

  /** Presses and releases a key. */
  key(keysym: number): void {
    this.socket.write(encodeKeyEvent({ down: true, keysym }));
    this.socket.write(encodeKeyEvent({ down: false, keysym }));
  }

  typeText(text: string): void {
    for (const ch of text) this.key(ch.charCodeAt(0));
  }

  /** Resolves once `cond()` holds (checked after every chunk and close), rejects after `timeoutMs`. */
  waitFor(cond: () => boolean, timeoutMs = 5000): Promise<void> {
    if (cond()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (this.error !== undefined) {
          done();
          reject(this.error);
        } else if (cond()) {
          done();
          resolve();
        }
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(check);
        reject(new Error(`condition not met within ${timeoutMs} ms`));
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        this.#waiters.delete(check);
      };
      this.#waiters.add(check);
    });
  }

  close(): void {
    this.socket.destroy();
  }

  #push(chunk: Buffer): void {
    this.received += chunk.length;
    try {
      for (const m of this.#reader!.push(chunk)) {
        this.messages.push(m);
        if (m.type === 'update-end') this.updates++;
      }
    } catch (err) {
      this.error = err as Error;
      this.socket.destroy();
    }
    this.#wake();
  }

  #wake(): void {
    for (const w of [...this.#waiters]) w();
  }
}
