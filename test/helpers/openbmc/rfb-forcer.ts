import { ClientHandshake } from '../../../protocols/rfb/client-handshake.js';
import { Encoding } from '../../../protocols/rfb/constants.js';
import { createDecoders } from '../../../protocols/rfb/encodings/index.js';
import type { RectDecoder } from '../../../protocols/rfb/encodings/types.js';
import { Framebuffer } from '../../../protocols/rfb/framebuffer.js';
import { ServerMessageReader } from '../../../protocols/rfb/server-messages.js';

/**
 * The OpenBMC simulator's stand-in for obmc-ikvm's "JPEG whatever the client asks": it sits in the
 * client→server byte stream of an RFB 3.8 / security None session and replaces the client's
 * SetEncodings with Tight plus a JPEG quality level (and the client's own pseudo-encodings), so a
 * real server (TigerVNC Xvnc, linked with libjpeg-turbo) sends Tight JPEG rectangles for photo-like
 * areas. Messages are framed by their fixed layouts (RFC 6143 §7.5), independently of the gateway's
 * encoders.
 */
export class SetEncodingsRewriter {
  /** Version (12), security type (1), ClientInit (1): passed through as they are. */
  #preamble = 14;
  #buf = Buffer.alloc(0);
  #broken = false;
  readonly forced: number[];
  /** What the client asked for, in order of the SetEncodings messages seen. */
  readonly asked: number[][] = [];

  /** `quality` 0..9 (TigerVNC: 9 = JPEG quality 100 4:4:4 … 0 = 15 4:2:0); `subsampling` an RFB -768..-763 pseudo-encoding. */
  constructor(quality: number, subsampling?: number) {
    this.forced = [Encoding.Tight, Encoding.TightQualityLevel0 + quality, ...(subsampling === undefined ? [] : [subsampling])];
  }

  /** Bytes from the client → bytes for the server. */
  push(chunk: Buffer): Buffer {
    if (this.#broken) return chunk;
    this.#buf = Buffer.concat([this.#buf, chunk]);
    const out: Buffer[] = [];
    if (this.#preamble > 0) {
      const n = Math.min(this.#preamble, this.#buf.length);
      out.push(this.#buf.subarray(0, n));
      this.#buf = this.#buf.subarray(n);
      this.#preamble -= n;
    }
    for (;;) {
      const len = this.#messageLength();
      if (len === undefined || this.#buf.length < len) break;
      const msg = this.#buf.subarray(0, len);
      this.#buf = this.#buf.subarray(len);
      out.push(msg[0] === 2 ? this.#rewrite(msg) : msg);
    }
    if (this.#broken) out.push(this.#buf);
    return Buffer.concat(out);
  }

  #messageLength(): number | undefined {
    if (this.#buf.length < 1) return undefined;
    switch (this.#buf[0]) {
      case 0:
        return 20; // SetPixelFormat
      case 2:
        return this.#buf.length < 4 ? undefined : 4 + 4 * this.#buf.readUInt16BE(2); // SetEncodings
      case 3:
        return 10; // FramebufferUpdateRequest
      case 4:
        return 8; // KeyEvent
      case 5:
        return 6; // PointerEvent
      case 6:
        return this.#buf.length < 8 ? undefined : 8 + this.#buf.readUInt32BE(4); // ClientCutText
      default:
        this.#broken = true; // something we do not frame: pass the rest through untouched
        return undefined;
    }
  }

  #rewrite(msg: Buffer): Buffer {
    const asked: number[] = [];
    for (let i = 0; i < msg.readUInt16BE(2); i++) asked.push(msg.readInt32BE(4 + 4 * i));
    this.asked.push(asked);
    // Keep the client's pseudo-encodings but its own quality/compression levels.
    const pseudo = asked.filter((e) => e < 0 && !(e >= -32 && e <= -23) && !(e >= -256 && e <= -247) && !(e >= -768 && e <= -412));
    const list = [...this.forced, ...pseudo];
    const out = Buffer.alloc(4 + 4 * list.length);
    out[0] = 2;
    out.writeUInt16BE(list.length, 2);
    list.forEach((e, i) => out.writeInt32BE(e, 4 + 4 * i));
    return out;
  }
}

/**
 * Reads a copy of the server→client stream with the protocol codecs and counts the Tight rectangles
 * by their compression type, so a test can show that JPEG really went over the wire. Stops counting
 * (and says why in `error`) at the first thing it cannot parse; never touches the real stream.
 */
export class TightJpegCounter {
  jpegRects = 0;
  otherTightRects = 0;
  /** The first JPEG rectangles: where they went and their JPEG data. */
  readonly jpegSamples: { x: number; y: number; width: number; height: number; jpeg: Buffer }[] = [];
  error: string | undefined;
  #handshake = new ClientHandshake({ shared: true });
  #reader: ServerMessageReader | undefined;

  push(chunk: Buffer): void {
    if (this.error) return;
    try {
      if (!this.#reader) {
        const step = this.#handshake.receive(chunk);
        if (!step.serverInit) return;
        const decoders = createDecoders();
        decoders.set(Encoding.Tight, this.#counting(decoders.get(Encoding.Tight)!));
        this.#reader = new ServerMessageReader({ fb: new Framebuffer(step.serverInit.width, step.serverInit.height), decoders });
        if (step.rest?.length) this.#reader.push(step.rest);
        return;
      }
      this.#reader.push(chunk);
    } catch (err) {
      this.error = (err as Error).message;
    }
  }

  #counting(inner: RectDecoder): RectDecoder {
    return {
      decodeRect: (q, rect, fb) => {
        const ctl = q.has(1) ? q.peekUint8(0) : -1;
        // A JPEG rectangle's bytes, kept (the first few) for tests to decode and compare themselves.
        const all = q.has(1) ? q.peek(q.length) : Buffer.alloc(0);
        const done = inner.decodeRect(q, rect, fb);
        if (done) {
          if (ctl >> 4 === 0x9) {
            this.jpegRects++;
            if (this.jpegSamples.length < 64)
              this.jpegSamples.push({ x: rect.x, y: rect.y, width: rect.width, height: rect.height, jpeg: Buffer.from(jpegOf(all)) });
          } else this.otherTightRects++;
        }
        return done;
      },
    };
  }
}

/** The JPEG data of a Tight JPEG rectangle: control byte, compact length, data. */
function jpegOf(b: Buffer): Buffer {
  let len = b[1]! & 0x7f;
  let off = 2;
  if (b[1]! & 0x80) {
    len |= (b[2]! & 0x7f) << 7;
    off = 3;
    if (b[2]! & 0x80) {
      len |= b[3]! << 14;
      off = 4;
    }
  }
  return b.subarray(off, off + len);
}
