import WebSocket, { type ClientOptions } from 'ws';
import { ClientHandshake } from '../../protocols/rfb/client-handshake.js';
import { encodeFramebufferUpdateRequest, encodeKeyEvent, encodePointerEvent, encodeSetEncodings } from '../../protocols/rfb/client-messages.js';
import { Encoding } from '../../protocols/rfb/constants.js';
import { createDecoders } from '../../protocols/rfb/encodings/index.js';
import { Framebuffer } from '../../protocols/rfb/framebuffer.js';
import { ServerMessageReader, type ServerMessage } from '../../protocols/rfb/server-messages.js';

/**
 * A browser stand-in: an RFB client over WebSocket that decodes everything it gets (so "received"
 * means decodable), asks for the next update as soon as one arrives, like noVNC does.
 */
export class WsRfbClient {
  readonly ws: WebSocket;
  fb: Framebuffer | undefined;
  name = '';
  updates = 0;
  bytes = 0;
  closeCode: number | undefined;
  closeReason = '';
  messages: ServerMessage[] = [];
  /** Rectangles received, by encoding number (messages keeps only the recent ones). */
  rectsByEncoding = new Map<number, number>();
  #hs = new ClientHandshake({ shared: true });
  #reader: ServerMessageReader | undefined;
  #ready: Promise<void>;
  #closed: Promise<void>;
  #autoRequest: boolean;
  #waiters: (() => void)[] = [];

  /** `ws` adds WebSocket options (an Origin header, a CA for wss://). */
  constructor(url: string, opts: { encodings?: number[]; autoRequest?: boolean; autoPong?: boolean; ws?: ClientOptions } = {}) {
    this.ws = new WebSocket(url, { autoPong: opts.autoPong ?? true, ...opts.ws });
    this.ws.binaryType = 'nodebuffer';
    this.#autoRequest = opts.autoRequest ?? true;
    const encodings = opts.encodings ?? [Encoding.Tight, Encoding.CopyRect, Encoding.Raw, Encoding.DesktopSize, Encoding.Cursor, Encoding.LastRect];
    this.#closed = new Promise((resolve) =>
      this.ws.on('close', (code, reason) => {
        this.closeCode = code;
        this.closeReason = reason.toString();
        resolve();
        this.#wake();
      }),
    );
    this.#ready = new Promise((resolve, reject) => {
      this.ws.on('error', reject);
      this.ws.on('close', () => reject(new Error(`closed before ServerInit: ${this.closeCode} ${this.closeReason}`)));
      this.ws.on('message', (data: Buffer) => {
        this.bytes += data.length;
        if (!this.#reader) {
          const step = this.#hs.receive(data);
          for (const out of step.send) this.ws.send(out);
          if (!step.serverInit) return;
          this.fb = new Framebuffer(step.serverInit.width, step.serverInit.height);
          this.name = step.serverInit.name;
          this.#reader = new ServerMessageReader({ fb: this.fb, decoders: createDecoders() });
          this.ws.send(encodeSetEncodings(encodings));
          this.requestUpdate(false);
          resolve();
          if (step.rest?.length) this.#handle(step.rest);
          return;
        }
        this.#handle(data);
      });
    });
  }

  #handle(data: Buffer): void {
    for (const m of this.#reader!.push(data)) {
      this.messages.push(m);
      if (m.type === 'rect') this.rectsByEncoding.set(m.encoding, (this.rectsByEncoding.get(m.encoding) ?? 0) + 1);
      if (this.messages.length > 1000) this.messages.splice(0, 500);
      if (m.type === 'update-end') {
        this.updates++;
        if (this.#autoRequest) this.requestUpdate(true);
        this.#wake();
      }
    }
  }

  #wake(): void {
    for (const w of this.#waiters.splice(0)) w();
  }

  /**
   * Resolves at ServerInit. Bounded, so a handshake that stalls fails with what the viewer had (a hang
   * here once cost a whole test timeout and hid where it stopped: 12 bytes is the server's version only).
   */
  ready(timeoutMs = 30_000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`no ServerInit within ${timeoutMs} ms: WebSocket state ${this.ws.readyState}, ${this.bytes} bytes received`)),
        timeoutMs,
      );
    });
    return Promise.race([this.#ready, late]).finally(() => clearTimeout(timer));
  }

  closed(): Promise<void> {
    return this.#closed;
  }

  requestUpdate(incremental: boolean): void {
    const fb = this.fb!;
    this.ws.send(encodeFramebufferUpdateRequest({ incremental, x: 0, y: 0, width: fb.width, height: fb.height }));
  }

  key(keysym: number, down: boolean): void {
    this.ws.send(encodeKeyEvent({ down, keysym }));
  }

  pointer(x: number, y: number, buttonMask: number): void {
    this.ws.send(encodePointerEvent({ x, y, buttonMask }));
  }

  /** Resolves when `predicate` holds after some update, or rejects after timeoutMs. */
  async waitFor(predicate: () => boolean, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate()) {
      if (this.closeCode !== undefined) throw new Error(`viewer closed: ${this.closeCode} ${this.closeReason}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('timed out waiting for the viewer condition');
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 250));
        this.#waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  close(): void {
    this.ws.close();
  }
}
