import WebSocket from 'ws';
import { ClientHandshake } from '../protocols/rfb/client-handshake.js';
import { encodeFramebufferUpdateRequest, encodeSetEncodings, encodeSetPixelFormat } from '../protocols/rfb/client-messages.js';
import { Encoding, RGBX_PIXEL_FORMAT } from '../protocols/rfb/constants.js';
import { createDecoders } from '../protocols/rfb/encodings/index.js';
import { Framebuffer } from '../protocols/rfb/framebuffer.js';
import { ServerMessageReader } from '../protocols/rfb/server-message-reader.js';

/** What the harness's viewer asks for: what noVNC asks for, minus JPEG. */
const ENCODINGS = [Encoding.Tight, Encoding.CopyRect, Encoding.Raw, Encoding.DesktopSize, Encoding.Cursor, Encoding.LastRect];

/**
 * The benchmark's browser stand-in: an RFB client over WebSocket that decodes everything (so
 * "delivered" means decodable), asks for the next update as soon as one is complete (noVNC's
 * habit), and reports each completed update. The same client talks to the gateway and, through the
 * byte-pipe baselines, straight to the replay server (an RFB 3.3 server), so every row compares the
 * same work on the viewer side.
 */
export class WsRfbViewer {
  readonly ws: WebSocket;
  fb: Framebuffer | undefined;
  updates = 0;
  bytes = 0;
  /** performance.now() of the socket opening, ServerInit, and the first complete update. */
  openedAt = 0;
  readyAt = 0;
  firstFrameAt = 0;
  /** Called after every complete update (FramebufferUpdate). */
  onUpdate: ((v: WsRfbViewer) => void) | undefined;
  closed = false;
  error: Error | undefined;
  readonly #hs = new ClientHandshake({ shared: true });
  #reader: ServerMessageReader | undefined;
  readonly #ready: Promise<void>;

  constructor(url: string) {
    const started = performance.now();
    this.ws = new WebSocket(url, ['binary'], { perMessageDeflate: false });
    this.ws.binaryType = 'nodebuffer';
    this.ws.on('open', () => (this.openedAt = performance.now() - started));
    this.#ready = new Promise((resolve, reject) => {
      this.ws.on('error', (err) => {
        this.error = err;
        reject(err);
      });
      this.ws.on('close', (code, reason) => {
        this.closed = true;
        reject(new Error(`closed before ServerInit: ${code} ${reason.toString()}`));
      });
      this.ws.on('message', (data: Buffer) => {
        this.bytes += data.length;
        try {
          if (!this.#reader) {
            const step = this.#hs.receive(data);
            for (const out of step.send) this.ws.send(out);
            if (!step.serverInit) return;
            this.fb = new Framebuffer(step.serverInit.width, step.serverInit.height);
            this.#reader = new ServerMessageReader({ fb: this.fb, decoders: createDecoders() });
            this.ws.send(encodeSetPixelFormat(RGBX_PIXEL_FORMAT));
            this.ws.send(encodeSetEncodings(ENCODINGS));
            this.#request(false);
            this.readyAt = performance.now();
            resolve();
            if (step.rest?.length) this.#handle(step.rest);
            return;
          }
          this.#handle(data);
        } catch (err) {
          this.error = err as Error;
          this.ws.terminate();
        }
      });
    });
    this.#ready.catch(() => undefined);
  }

  ready(): Promise<void> {
    return this.#ready;
  }

  #handle(data: Buffer): void {
    for (const m of this.#reader!.push(data)) {
      if (m.type !== 'update-end') continue;
      this.updates++;
      if (this.updates === 1) this.firstFrameAt = performance.now();
      this.#request(true);
      this.onUpdate?.(this);
    }
  }

  #request(incremental: boolean): void {
    const fb = this.fb!;
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(encodeFramebufferUpdateRequest({ incremental, x: 0, y: 0, width: fb.width, height: fb.height }));
  }

  /** True when this viewer's screen is `target`, pixel for pixel. */
  shows(target: Framebuffer): boolean {
    const fb = this.fb;
    return !!fb && fb.width === target.width && fb.height === target.height && fb.data.equals(target.data);
  }

  close(): void {
    this.ws.terminate();
  }
}
