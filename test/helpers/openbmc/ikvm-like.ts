import jpeg from 'jpeg-js';
import type { WebSocket } from 'ws';
import { ClientMessageReader } from '../../../protocols/rfb/client-messages.js';
import { Encoding, RGBX_PIXEL_FORMAT } from '../../../protocols/rfb/constants.js';
import { ServerHandshake, encodeServerInit } from '../../../protocols/rfb/server-handshake.js';
import { encodeFramebufferUpdateHeader, encodeLastRect, encodeRectHeader, RECT_COUNT_UNTIL_LAST_RECT } from '../../../protocols/rfb/server-messages.js';
import type { RgbImage } from '../images.js';

/**
 * What obmc-ikvm with the ASPEED video engine puts on the wire (ikvm_server.cpp, Server::sendFrame),
 * spoken straight over the simulator's /kvm/0 WebSocket: RFB 3.8, security None, ServerInit named
 * "OpenBMC IKVM"; SetEncodings is ignored; a frame goes out only while a FramebufferUpdateRequest is
 * pending and only when it changed (obmc-ikvm's -c frame CRC), as ONE full-screen Tight rectangle
 * with JpegCompression, the update's rectangle count 0xFFFF and a LastRect after it when the client
 * listed LastRect, else a count of 1. bmcweb forwards the server's bytes in pieces of at most 50 KiB
 * (its outputBuffer), so a frame spans several WebSocket messages. The JPEG is jpeg-js's (4:4:4, the
 * obmc-ikvm default subsampling).
 */
export class IkvmLikeServer {
  /** KeyEvents as the RFB server got them. */
  readonly keys: { down: boolean; keysym: number }[] = [];
  framesSent = 0;
  readonly #ws: WebSocket;
  readonly #hs = new ServerHandshake();
  readonly #reader = new ClientMessageReader();
  #ready = false;
  #lastRect = false;
  #needUpdate = false;
  #frame: Buffer;
  #screen: RgbImage;
  #sentFrame: Buffer | undefined;
  readonly #timer: NodeJS.Timeout;
  readonly #size: { width: number; height: number };

  constructor(ws: WebSocket, screen: RgbImage) {
    this.#ws = ws;
    this.#size = { width: screen.width, height: screen.height };
    this.#screen = screen;
    this.#frame = encodeJpeg(screen);
    ws.send(this.#hs.start(), { binary: true });
    // obmc-ikvm's main loop runs at the video frame rate; 20 fps here.
    this.#timer = setInterval(() => this.#sendFrame(), 50);
    ws.on('close', () => clearInterval(this.#timer));
  }

  /** What the "video engine" shows now. */
  get screen(): RgbImage {
    return this.#screen;
  }

  /** A new picture from the "video engine" (same size). */
  setScreen(screen: RgbImage): void {
    this.#screen = screen;
    this.#frame = encodeJpeg(screen);
  }

  /** Bytes from the client (the simulator has already applied bmcweb's 1 KiB check). */
  receive(chunk: Buffer): void {
    try {
      if (!this.#ready) {
        const step = this.#hs.receive(chunk);
        for (const b of step.send) this.#ws.send(b, { binary: true });
        if (!step.done) return;
        this.#ready = true;
        this.#ws.send(encodeServerInit({ ...this.#size, pixelFormat: RGBX_PIXEL_FORMAT, name: 'OpenBMC IKVM' }), { binary: true });
        if (!step.rest?.length) return;
        chunk = step.rest;
      }
      for (const m of this.#reader.push(chunk)) {
        if (m.type === 'set-encodings') this.#lastRect = m.encodings.includes(Encoding.LastRect);
        else if (m.type === 'framebuffer-update-request')
          this.#needUpdate = true; // its area is ignored: always full frames
        else if (m.type === 'key-event') this.keys.push({ down: m.down, keysym: m.keysym });
      }
    } catch {
      this.#ws.close(1000, 'Error in reading from KVM port');
    }
  }

  #sendFrame(): void {
    if (!this.#needUpdate || this.#frame === this.#sentFrame || this.#ws.readyState !== this.#ws.OPEN) return;
    this.#needUpdate = false;
    this.#sentFrame = this.#frame;
    const { width, height } = this.#size;
    const update = Buffer.concat([
      encodeFramebufferUpdateHeader(this.#lastRect ? RECT_COUNT_UNTIL_LAST_RECT : 1),
      encodeRectHeader({ x: 0, y: 0, width, height }, Encoding.Tight),
      Buffer.from([0x90, ...compactLength(this.#frame.length)]),
      this.#frame,
      ...(this.#lastRect ? [encodeLastRect()] : []),
    ]);
    for (let off = 0; off < update.length; off += 50 * 1024) this.#ws.send(update.subarray(off, off + 50 * 1024), { binary: true });
    this.framesSent++;
  }
}

function encodeJpeg(screen: RgbImage): Buffer {
  const rgba = Buffer.alloc(screen.width * screen.height * 4);
  for (let i = 0; i < screen.width * screen.height; i++) {
    rgba[i * 4] = screen.rgb[i * 3]!;
    rgba[i * 4 + 1] = screen.rgb[i * 3 + 1]!;
    rgba[i * 4 + 2] = screen.rgb[i * 3 + 2]!;
    rgba[i * 4 + 3] = 255;
  }
  return jpeg.encode({ width: screen.width, height: screen.height, data: rgba }, 85).data;
}

/** Tight's compact length (rfbproto "Tight Encoding"): 7 + 7 + 8 bits. */
function compactLength(n: number): number[] {
  if (n < 0x80) return [n];
  if (n < 0x4000) return [(n & 0x7f) | 0x80, n >> 7];
  return [(n & 0x7f) | 0x80, ((n >> 7) & 0x7f) | 0x80, n >> 14];
}
