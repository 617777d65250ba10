import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import { RfbError } from '../../../protocols/errors.js';
import { ClientMessageReader, type ClientMessage } from '../../../protocols/rfb/client-messages.js';
import { Encoding, RGBX_PIXEL_FORMAT, isRgbxFormat, type PixelFormat } from '../../../protocols/rfb/constants.js';
import { checkRawPixelFormat, encodeRawRect } from '../../../protocols/rfb/encodings/raw.js';
import type { TightEncoder } from '../../../protocols/rfb/encodings/tight.js';
import type { Framebuffer, Rect } from '../../../protocols/rfb/framebuffer.js';
import { ServerHandshake } from '../../../protocols/rfb/server-handshake.js';
import { encodeServerInit } from '../../../protocols/rfb/server-init.js';
import { encodeFramebufferUpdateHeader } from '../../../protocols/rfb/server-messages.js';
import { VNC_AUTH_CHALLENGE_BYTES } from '../../../protocols/rfb/vnc-auth.js';
import { DirtyRegion, intersect } from './dirty-region.js';

/** A client that has not finished the handshake by then is dropped (it holds a socket for nothing). */
export const HANDSHAKE_TIMEOUT_MS = 10_000;

/** What a DemoClient needs from the server it belongs to. */
export interface DemoClientHost {
  readonly fb: Framebuffer;
  readonly password: string | undefined;
  readonly desktopName: string;
  /** Shared by all clients: it keeps no stream state between rectangles (every one resets zlib). */
  readonly tight: TightEncoder;
  key(keysym: number): void;
  paste(text: string): void;
  pointer(x: number, y: number, buttonMask: number): void;
  /** Renders pending console changes and serves every client; called after each chunk of input. */
  flush(): void;
  /** The client is gone; `err` says why when it was not an ordinary close. */
  closed(client: DemoClient, err?: Error): void;
}

interface PendingRequest extends Rect {
  incremental: boolean;
}

/**
 * One RFB client of the demo server: handshake (ServerHandshake, with VNC Authentication when the
 * server has a password), then FramebufferUpdateRequests served from the console's framebuffer.
 *
 * Requests follow RFC 6143 §7.5.3: a non-incremental one is answered at once with the whole area; an
 * incremental one is held until part of its area has changed. At most one request is outstanding
 * (later ones merge into it), and nothing is written while the socket is draining, so a client that
 * does not read costs one update of memory, not a queue. Bad bytes end this client only.
 */
export class DemoClient {
  readonly #socket: Socket;
  readonly #host: DemoClientHost;
  readonly #handshake: ServerHandshake;
  #reader: ClientMessageReader | undefined;
  readonly #dirty = new DirtyRegion();
  #pending: PendingRequest | undefined;
  #pixelFormat: PixelFormat = RGBX_PIXEL_FORMAT;
  #wantsTight = false;
  #closed = false;

  constructor(socket: Socket, host: DemoClientHost) {
    this.#socket = socket;
    this.#host = host;
    this.#handshake = new ServerHandshake(
      host.password === undefined ? {} : { vncAuth: { password: host.password, challenge: randomBytes(VNC_AUTH_CHALLENGE_BYTES) } },
    );
    socket.setNoDelay(true);
    socket.setTimeout(HANDSHAKE_TIMEOUT_MS, () => this.#fail(new RfbError('RFB_ERR_TIMEOUT', 'no complete handshake in time', 'handshake')));
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('drain', () => this.serve());
    socket.on('error', (err) => this.#fail(err));
    socket.on('close', () => this.#fail(undefined));
    socket.write(this.#handshake.start());
  }

  /** Records changed areas of the framebuffer this client has not been sent. */
  damage(rects: readonly Rect[]): void {
    if (this.#reader) this.#dirty.add(rects);
  }

  /** Sends an update if a request is outstanding and can be answered now. Never throws. */
  serve(): void {
    try {
      this.#serve();
    } catch (err) {
      // Encoding our own framebuffer cannot fail on peer input: this is our bug, and it costs
      // this client only (serve also runs from socket events, where a throw would end the process).
      this.#fail(err instanceof Error ? err : new Error(String(err)));
    }
  }

  #serve(): void {
    const p = this.#pending;
    if (!p || this.#closed || this.#socket.writableNeedDrain) return;
    const fb = this.#host.fb;
    const area = intersect(p, { x: 0, y: 0, width: fb.width, height: fb.height });
    let rects: Rect[];
    if (!p.incremental) {
      rects = area ? [area] : [];
      if (area) this.#dirty.clear(area);
    } else {
      if (!area) return;
      rects = this.#dirty.take(area);
      if (rects.length === 0) return; // hold the request until something in it changes
    }
    this.#pending = undefined;
    const encoded: Buffer[] = [];
    for (const r of rects) encoded.push(...this.#encode(fb, r));
    // The dirty list is capped and Tight splits a 8192x8192 screen into well under 65535 pieces.
    if (encoded.length >= 0xffff) throw new Error(`demo: ${encoded.length} rectangles in one update`);
    this.#socket.cork();
    this.#socket.write(encodeFramebufferUpdateHeader(encoded.length));
    for (const b of encoded) this.#socket.write(b);
    this.#socket.uncork();
  }

  /** Ends the connection (server shutdown). */
  close(): void {
    this.#closed = true;
    this.#socket.destroy();
  }

  #onData(chunk: Buffer): void {
    if (this.#closed) return;
    try {
      if (this.#reader) this.#handle(this.#reader.push(chunk));
      else this.#handshakeData(chunk);
    } catch (err) {
      this.#fail(err instanceof Error ? err : new Error(String(err)));
      return;
    }
    this.#host.flush();
  }

  #handshakeData(chunk: Buffer): void {
    const r = this.#handshake.receive(chunk);
    for (const b of r.send) this.#socket.write(b);
    if (r.refused) {
      // The failed SecurityResult is written; end() lets it reach the client before the FIN.
      this.#closed = true;
      this.#socket.end();
      this.#host.closed(this, r.refused);
      return;
    }
    if (!r.done) return;
    const fb = this.#host.fb;
    this.#socket.write(encodeServerInit({ width: fb.width, height: fb.height, pixelFormat: RGBX_PIXEL_FORMAT, name: this.#host.desktopName }));
    this.#socket.setTimeout(0);
    this.#reader = new ClientMessageReader();
    if (r.rest && r.rest.length > 0) this.#handle(this.#reader.push(r.rest));
  }

  #handle(messages: ClientMessage[]): void {
    for (const m of messages) {
      switch (m.type) {
        case 'set-pixel-format':
          // RFB_ERR_PIXEL_FORMAT_UNSUPPORTED for colour maps and odd layouts: that client is closed.
          if (!isRgbxFormat(m.pixelFormat)) checkRawPixelFormat(m.pixelFormat);
          this.#pixelFormat = m.pixelFormat;
          break;
        case 'set-encodings': {
          // The first of the encodings we can send, in the client's order of preference (§7.5.2).
          const first = m.encodings.find((e) => e === Encoding.Tight || e === Encoding.Raw);
          this.#wantsTight = first === Encoding.Tight;
          break;
        }
        case 'framebuffer-update-request':
          this.#request(m);
          break;
        case 'key-event':
        case 'qemu-extended-key-event':
          if (m.down) this.#host.key(m.keysym);
          break;
        case 'client-cut-text':
          this.#host.paste(m.text);
          break;
        case 'pointer-event':
          this.#host.pointer(m.x, m.y, m.buttonMask);
          break;
        case 'enable-continuous-updates':
        case 'set-desktop-size':
          // We never confirm these extensions (no EndOfContinuousUpdates, no ExtendedDesktopSize),
          // so a client should not send them; the screen size is fixed anyway.
          break;
      }
    }
  }

  #request(m: Rect & { incremental: boolean }): void {
    const p = this.#pending;
    if (!p) {
      this.#pending = { x: m.x, y: m.y, width: m.width, height: m.height, incremental: m.incremental };
      return;
    }
    const x = Math.min(p.x, m.x);
    const y = Math.min(p.y, m.y);
    const right = Math.max(p.x + p.width, m.x + m.width);
    const bottom = Math.max(p.y + p.height, m.y + m.height);
    this.#pending = { x, y, width: right - x, height: bottom - y, incremental: p.incremental && m.incremental };
  }

  /** Tight (stock noVNC's choice) only for 32-bpp depth-24 RGB, where its TPIXEL form applies; else Raw. */
  #encode(fb: Framebuffer, r: Rect): Buffer[] {
    if (this.#wantsTight && isRgbxFormat(this.#pixelFormat)) return this.#host.tight.encodeRect(fb, r);
    return [encodeRawRect(fb, r, this.#pixelFormat)];
  }

  #fail(err: Error | undefined): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#socket.destroy();
    this.#host.closed(this, err);
  }
}
