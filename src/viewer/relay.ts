import { RGBX_PIXEL_FORMAT } from '../../protocols/rfb/constants.js';
import { Inflater } from '../../protocols/rfb/encodings/inflater.js';
import { encodeRawRect } from '../../protocols/rfb/encodings/raw.js';
import { encodeTightRect, TIGHT_ENCODER_STREAM, TIGHT_MAX_RECT_WIDTH } from '../../protocols/rfb/encodings/tight-encoder.js';
import { TIGHT_FILL } from '../../protocols/rfb/encodings/tight.js';
import type { Framebuffer, Rect } from '../../protocols/rfb/framebuffer.js';
import type { FramedUpdate } from '../../protocols/rfb/update-framer.js';

/**
 * A FramebufferUpdate from the BMC, whole, offered to the viewers before the gateway decodes it
 * (src/sources/vnc/vnc-source.ts). A viewer that has been shown everything so far and is waiting for
 * an update can be sent these bytes as they are: the same picture a pipe would give it, without the
 * decode-and-encode in between (issue 14: the added latency and CPU of a decoding proxy). Only when
 * the BMC's pixel format is the viewer's (RGBX) and the update is made of encodings the viewer asked for.
 */
export interface UpstreamUpdate {
  /** The message as the BMC sent it: one FramebufferUpdate, or several back to back (framed describes them together, update-framer.ts frameUpdates). */
  bytes: Buffer;
  framed: FramedUpdate;
  /** How many FramebufferUpdates `bytes` holds. */
  updates: number;
  /** The BMC's Tight zlib stream `id` as the gateway holds it before this update (Inflater.streamState). */
  streamState: (id: number) => 'fresh' | Buffer | undefined;
}

/**
 * Rectangles to put in front of a relayed update so that the viewer's Tight zlib streams in `need`
 * (bit i: stream i) hold what the BMC's hold: its data in those streams then inflates in the viewer
 * as it does in the gateway. Undefined when that cannot be done here (a stream's state unknown, a
 * framebuffer too small to carry a window).
 *
 * Tight's streams live as long as the connection, and a server resets one only when it chooses
 * (rfbproto "Tight Encoding": bits 0-3 of the compression control). A viewer that joined after the
 * BMC's streams started, or was sent anything but the BMC's own bytes since, holds other state. So:
 * - a stream the BMC has just reset (its zlib header still to come) is reset in the viewer too, by
 *   the reset bits of a 1x1 fill rectangle painting pixel (0,0) the colour it already has;
 * - any other stream is reset in the viewer and sent, as a fresh zlib stream ending in a sync flush,
 *   data whose last bytes are the BMC's stream's window (Inflater.streamState): the viewer's inflater
 *   then has the same last 32 KiB of output, which is all that deflate data can refer back to
 *   (RFC 1951 §2). That data goes in a Tight rectangle with the copy filter at the top left of the
 *   screen (3 bytes a pixel, so 32 KiB is ~11,000 pixels), and a Raw rectangle of the shadow
 *   framebuffer's pixels there puts back what it painted. The viewer draws neither before the end of
 *   the update (noVNC flips its back buffer once an update is complete), so nothing flickers.
 * Every encoding used here is one the relayed update itself uses (Tight) or that every client has (Raw).
 */
export function primingRects(need: number, streamState: (id: number) => 'fresh' | Buffer | undefined, fb: Framebuffer): Buffer[] | undefined {
  const resets: number[] = [];
  const windows: { id: number; window: Buffer }[] = [];
  for (let id = 0; id < 4; id++) {
    if (!((need >> id) & 1)) continue;
    const s = streamState(id);
    if (s === undefined) return undefined;
    if (s === 'fresh') resets.push(id);
    else windows.push({ id, window: s });
  }
  const out: Buffer[] = [];
  if (resets.length > 0) {
    // Fill (compression control 0x8_) with the reset bits; TPIXEL R, G, B of the viewer's RGBX format.
    let ctl = TIGHT_FILL << 4;
    for (const id of resets) ctl |= 1 << id;
    const d = fb.data;
    out.push(encodeTightRect({ x: 0, y: 0, width: 1, height: 1 }, Buffer.of(ctl, d[0]!, d[1]!, d[2]!), 0, Buffer.alloc(0), 1));
  }
  if (windows.length > 0) {
    const width = Math.min(fb.width, TIGHT_MAX_RECT_WIDTH);
    // Never less than a whole window, so the zlib header says 32 KiB (deflateFresh sizes the window to
    // the data): noVNC's pako checks every distance against the header's window (inffast.js
    // `dmax`, zlib's INFLATE_STRICT), and the BMC's later data reaches back up to 32 KiB even when its
    // stream has produced less than that so far. (Seen in Chromium: "invalid distance too far back".)
    const height = Math.ceil(Inflater.WINDOW_BYTES / (width * 3));
    if (height > fb.height) return undefined;
    const area: Rect = { x: 0, y: 0, width, height };
    const data = Buffer.alloc(width * height * 3);
    for (const { id, window } of windows) {
      data.fill(0, 0, data.length - window.length);
      window.copy(data, data.length - window.length);
      // Basic compression, copy filter (no filter byte), stream `id`; encodeTightRect sets its reset bit.
      out.push(encodeTightRect(area, Buffer.of(id << 4), id, data, 1));
    }
    out.push(encodeRawRect(fb, area, RGBX_PIXEL_FORMAT));
  }
  return out;
}

/** What a viewer's Tight inflaters hold, per stream (bit i: stream i), as far as the gateway knows. */
export interface ViewerStreams {
  /** In step with the BMC's stream: the BMC's further data there inflates in the viewer as in the gateway. */
  inStep: number;
  /** Has had output (in noVNC's pako: its window exists). */
  used: number;
  /**
   * Reset after it had output. noVNC 1.7's vendored pako (inflate.js `inflateReset`, `updatewindow`)
   * then keeps no window across calls for the rest of the connection: inflateReset zeroes `wsize`
   * and `updatewindow` only sets it when allocating a window, which exists already. Such a stream
   * inflates only data that starts afresh (a rectangle that resets it), never a continuation.
   * (Found in Chromium relaying QEMU; test/unit/src/viewer/relay.test.ts reproduces it.)
   */
  crippled: number;
}

export const FRESH_VIEWER_STREAMS: Readonly<ViewerStreams> = Object.freeze({ inStep: 0, used: 0, crippled: 0 });

/**
 * Whether `f` can be relayed to a viewer whose streams are `s`, which streams must be primed first
 * (primingRects), and the viewer's streams afterwards. A rectangle that continues a stream (zlib data
 * without that stream's reset bit) needs the viewer in step there and its window working; a stream
 * that is not in step can be primed only while it has never had output (priming resets it).
 */
export function relayPlan(f: FramedUpdate, s: Readonly<ViewerStreams>): { prime: number; after: ViewerStreams } | undefined {
  let { inStep, used, crippled } = s;
  let prime = 0;
  for (const op of f.tight) {
    crippled |= op.reset & used;
    inStep |= op.reset;
    if (op.stream < 0) continue;
    const bit = 1 << op.stream;
    if (!(op.reset & bit)) {
      if (crippled & bit) return undefined;
      if (!(inStep & bit)) {
        if (used & bit) return undefined;
        prime |= bit;
        inStep |= bit;
      }
    }
    used |= bit;
  }
  return { prime, after: { inStep, used, crippled } };
}

/** A viewer's streams after it was not sent `f` (undefined: an update of unknown content) while the BMC's streams moved on. */
export function missed(s: Readonly<ViewerStreams>, f: FramedUpdate | undefined): Readonly<ViewerStreams> {
  return missedStreams(s, f ? f.touched : 0xf);
}

/** A viewer's streams after the BMC's streams in `mask` (bit i: stream i) moved on in data it was not sent. */
export function missedStreams(s: Readonly<ViewerStreams>, mask: number): Readonly<ViewerStreams> {
  const inStep = s.inStep & ~mask;
  // Called for every viewer on every read of the BMC: no new object when nothing changes (the usual case).
  return inStep === s.inStep ? s : { ...s, inStep };
}

/** A viewer's streams after it was sent the gateway's own Tight encoding (TightEncoder: every zlib rectangle in stream 3, reset first). */
export function afterOwnEncoding(s: Readonly<ViewerStreams>): ViewerStreams {
  const bit = 1 << TIGHT_ENCODER_STREAM;
  return { inStep: s.inStep & ~bit, used: s.used | bit, crippled: s.crippled | (s.used & bit) };
}
