import type { ByteQueue } from '../../byte-queue.js';
import { RfbError } from '../../errors.js';
import type { Framebuffer, Rect } from '../framebuffer.js';
import { compressedLengthLimit } from './compressed-length.js';
import { Inflater, zlibCmfOk, zlibFlgOk } from './inflater.js';
import type { PaintQueue } from './paint-queue.js';
import { fillWord, PixelReader, storeWord } from './pixel-reader.js';
import { TIGHT_MAX_RECT_PIXELS, TIGHT_MAX_RECT_WIDTH } from './tight-encoder.js';
import { decodeTightJpeg, jpegLengthLimit } from './tight-jpeg.js';
import type { RectDecoder, RectHeader } from './types.js';

export { TightEncoder, type TightEncoderOptions } from './tight-encoder.js';

/** Compression-control values (upper nibble) from rfbproto's "Tight Encoding" section (Tight is not in RFC 6143). */
export const TIGHT_FILL = 0x8;
export const TIGHT_JPEG = 0x9;
/** Bit 2 of a basic-compression nibble: a filter-id byte follows. */
export const TIGHT_EXPLICIT_FILTER = 0x4;
export const TightFilter = Object.freeze({ Copy: 0, Palette: 1, Gradient: 2 });
/** Data shorter than this is sent without zlib (and without a length). */
export const TIGHT_MIN_TO_COMPRESS = 12;

/** Layout of one Tight rectangle, worked out by peeking before anything is consumed. */
export interface TightLayout {
  total: number;
  ctl: number;
  filter: number;
  paletteOffset: number;
  colours: number;
  dataOffset: number;
  dataLength: number;
  /** Bytes on the wire for the data: compressed length, or dataLength when sent as is. */
  wireLength: number;
  compressed: boolean;
  /** JpegCompression: the data is a JPEG image (tight-jpeg.ts). */
  jpeg?: boolean;
}

/**
 * Tight (rfbproto "Tight Encoding") in the agreed pixel format: TPIXELs are 3 bytes R, G, B for
 * 32-bpp depth-24 formats (ours), else whole PIXELs (PixelReader.tpixelBytes); including
 * JpegCompression (tight-jpeg.ts). One instance per connection keeps the four zlib streams. A rectangle is decoded in one go once all
 * its bytes are buffered; until then nothing is consumed and the stream-reset bits are not acted on,
 * so the next call simply looks again from the start (the peek costs a handful of byte reads).
 */
export class TightDecoder implements RectDecoder {
  readonly #streams = [new Inflater(), new Inflater(), new Inflater(), new Inflater()];
  readonly #px: PixelReader;
  /** The current rectangle's palette, as RGBX words: one array for the connection, not one a rectangle. */
  readonly #palette = new Uint32Array(256);
  /**
   * Per stream: the compressed data of a two-colour rectangle held without inflating it (decodeRect),
   * when it is the last data that stream had, in `#behindData[i]` (this decoder's own copy, reused:
   * the paint queue's copy is gone once the paint has run or been covered, and the stream may be
   * continued after that),
   * `#behindLength[i]` bytes of it and `#behindOutput[i]` bytes inflated; 0 when the stream's inflater
   * is in step. The inflater was reset for it and has not seen it: it is inflated there first when a
   * later rectangle continues the stream, or its state is asked for (catchUp).
   */
  readonly #behindData: (Buffer | undefined)[] = [undefined, undefined, undefined, undefined];
  readonly #behindLength = [0, 0, 0, 0];
  readonly #behindOutput = [0, 0, 0, 0];

  /**
   * The zlib streams decoded rectangles have reset or inflated into (bit i: stream i), as
   * update-framer.ts counts them in `touched`; the caller clears it (src/sources/vnc/vnc-source.ts:
   * what viewers were not relayed while no viewer could be).
   */
  touched = 0;

  constructor(pixels: PixelReader = new PixelReader()) {
    this.#px = pixels;
  }

  /** Keep each zlib stream's window from now on (Inflater.keepHistory), for relaying to viewers. */
  keepHistory(): void {
    for (const s of this.#streams) s.keepHistory();
  }

  /** Zlib stream `id` as of now (Inflater.streamState); undefined too when data held for it proves bad. */
  streamState(id: number): 'fresh' | Buffer | undefined {
    if (!this.#streams[id]) return undefined;
    try {
      this.#catchUp(id);
    } catch {
      // The paint holding that data reports it when it runs, and so does the next rectangle continuing the stream.
      return undefined;
    }
    return this.#streams[id].streamState();
  }

  /** Brings stream `id`'s inflater to where the server's is: inflates data held without it (#behindLength). */
  #catchUp(id: number): void {
    const length = this.#behindLength[id]!;
    if (length === 0) return;
    this.#behindLength[id] = 0;
    inflateRect(this.#streams[id]!, this.#behindData[id]!.subarray(0, length), this.#behindOutput[id]!, id);
  }

  decodeRect(q: ByteQueue, rect: RectHeader, fb: Framebuffer, paints?: PaintQueue): boolean {
    const px = this.#px;
    const tp = px.tpixelBytes;
    const l = tightLayout(q, rect.width, rect.height, tp);
    if (!l) return false;
    const b = q.consume(l.total);
    for (let i = 0; i < 4; i++) {
      if (!((l.ctl >> i) & 1)) continue;
      this.#streams[i]!.reset();
      this.#behindLength[i] = 0;
    }
    this.touched |= l.ctl & 0x0f;
    const { x, y, width: w, height: h } = rect;
    if (l.ctl >> 4 === TIGHT_FILL) {
      const colour = px.tpixel(b, 1);
      if (paints) {
        const shape = { x, y, width: w, height: h, fill: colour };
        paints.defer(shape, () => fillWord(fb, x, y, w, h, colour), 0, shape);
      } else fillWord(fb, x, y, w, h, colour);
      return true;
    }
    let data = b.subarray(l.dataOffset, l.dataOffset + l.wireLength);
    if (l.jpeg) {
      decodeTightJpeg(data, rect, fb);
      return true;
    }
    if (l.compressed) {
      const stream = (l.ctl >> 4) & 3;
      this.touched |= 1 << stream;
      if (paints && l.filter === TightFilter.Palette && l.colours === 2 && this.#holdCompressed(b, l, rect, stream, data, fb, paints)) return true;
      this.#catchUp(stream);
      data = inflateRect(this.#streams[stream]!, data, l.dataLength, stream);
    }
    // Fills (above) and two-colour rectangles can be put off: neither can fail once decoded. Whatever
    // is drawn now goes through fb's pixels, which first run the paints put off before it that
    // overlap this rectangle (Framebuffer.drawingIn, set by the reader).
    if (paints && l.filter === TightFilter.Palette && l.colours === 2) {
      // One bit a pixel: nothing in it can be out of range. The data is copied into the queue's
      // memory (the inflater's output is scratch that the next rectangle overwrites); it is an
      // eighth of a byte a pixel.
      const c0 = px.tpixel(b, l.paletteOffset);
      const c1 = px.tpixel(b, l.paletteOffset + tp);
      const bits = paints.copy(data);
      const shape = { x, y, width: w, height: h, mono: [c0, c1] as const, bits };
      paints.defer(shape, () => drawPalette(fb, shape, Uint32Array.of(c0, c1), 2, bits), bits.length, shape, bits);
      return true;
    }
    switch (l.filter) {
      case TightFilter.Copy:
        if (tp === 3) fb.putRgb(x, y, w, h, data);
        else px.putPixels(fb, x, y, w, h, data);
        break;
      case TightFilter.Palette: {
        // The palette as RGBX words (X = 0), so each pixel is one store when the framebuffer allows it.
        const pal = this.#palette;
        for (let i = 0; i < l.colours; i++) pal[i] = px.tpixel(b, l.paletteOffset + i * tp);
        drawPalette(fb, rect, pal, l.colours, data);
        break;
      }
      case TightFilter.Gradient:
        if (tp === 3) fb.putRgb(x, y, w, h, undoGradient(l.compressed ? data : Buffer.from(data), w, h));
        else undoGradientPixels(fb, rect, data, px);
        break;
    }
    return true;
  }

  /**
   * Holds a two-colour rectangle whose data starts a zlib stream of its own (its stream's reset bit
   * is set) without inflating it: the paint inflates it if it runs, and a viewer's first picture sends
   * it as it came (Framebuffer.heldShapes, tight-encoder.ts encodeHeldShapes). False when it cannot
   * be held so (then it is inflated now as any other).
   *
   * Why: a text console repaints the same rows again and again, and most rectangles are covered by a
   * later one before anyone reads the framebuffer (paint-queue.ts), so their inflating was work for
   * nothing: on the xterm recording at 100 consoles, inflating and copying the bits out was the
   * largest part of the gateway's CPU left after drawing was put off (BENCHMARKS.md, "Two-colour
   * rectangles held compressed"). TigerVNC resets its stream for every rectangle; servers that go on
   * in the stream cost one inflate more for the first rectangle after each reset (#catchUp).
   *
   * Only within Tight's limits for a rectangle (so a first picture holds none larger than the
   * gateway's own encoder makes) and with a well-formed zlib header (RFC 1950 §2.2, as the inflater
   * checks it): anything else is inflated now and fails now. Bad deflate data fails when the paint
   * runs (PaintQueue.fail), or never if a later rectangle covers it first: no pixel depends on it then.
   */
  #holdCompressed(b: Buffer, l: TightLayout, rect: Rect, stream: number, zdata: Buffer, fb: Framebuffer, paints: PaintQueue): boolean {
    const { x, y, width: w, height: h } = rect;
    if (!((l.ctl >> stream) & 1) || w > TIGHT_MAX_RECT_WIDTH || w * h > TIGHT_MAX_RECT_PIXELS || zdata.length < 2) return false;
    if (!zlibCmfOk(zdata[0]!) || !zlibFlgOk(zdata[0]!, zdata[1]!)) return false;
    const px = this.#px;
    const c0 = px.tpixel(b, l.paletteOffset);
    const c1 = px.tpixel(b, l.paletteOffset + px.tpixelBytes);
    // The stream's inflater was reset for this data and has not seen it (#catchUp).
    let behind = this.#behindData[stream];
    if (!behind || behind.length < zdata.length) behind = this.#behindData[stream] = Buffer.allocUnsafe(Math.max(zdata.length, 1024));
    behind.set(zdata);
    this.#behindLength[stream] = zdata.length;
    this.#behindOutput[stream] = l.dataLength;
    const zlib = paints.copy(zdata);
    const shape = { x, y, width: w, height: h, mono: [c0, c1] as const, zlib };
    const size = l.dataLength;
    paints.defer(
      shape,
      () => {
        const inflater = (heldInflater ??= new Inflater({ ownScratch: true }));
        inflater.reset();
        let bits: Buffer;
        try {
          bits = inflateRect(inflater, zlib, size, stream);
        } catch (err) {
          paints.fail(err as Error);
          return;
        }
        drawPalette(fb, shape, Uint32Array.of(c0, c1), 2, bits);
      },
      zlib.length,
      shape,
      zlib,
    );
    return true;
  }
}

/** A rectangle's `data` (Tight stream `stream`) inflated by `inflater` to exactly `size` bytes: fewer is RFB_ERR_ZLIB_TRUNCATED. */
function inflateRect(inflater: Inflater, data: Uint8Array, size: number, stream: number): Buffer {
  const out = inflater.inflate(data, size, `tight.stream${stream}`);
  if (out.length !== size) throw new RfbError('RFB_ERR_ZLIB_TRUNCATED', `compressed data inflated to ${out.length} of ${size} bytes`, `tight.stream${stream}`);
  return out;
}

/**
 * Inflates held two-colour rectangles when their paints run (TightDecoder #holdCompressed), for every
 * connection: each one's data is a zlib stream of its own (reset first), and paints run one at a time
 * (a paint's reads of its framebuffer run no other paint, paint-queue.ts), so nothing is kept from one
 * to the next. Its output goes into memory of its own (Inflater ownScratch), not the scratch the
 * decoders share.
 */
let heldInflater: Inflater | undefined;

/** Peeks at the rectangle's header bytes; null when more bytes are needed. Throws on malformed headers. */
export function tightLayout(q: ByteQueue, w: number, h: number, tp: number): TightLayout | null {
  if (!q.has(1)) return null;
  const ctl = q.peekUint8(0);
  const comp = ctl >> 4;
  if (comp === TIGHT_FILL)
    return q.has(1 + tp)
      ? { total: 1 + tp, ctl, filter: -1, paletteOffset: 0, colours: 0, dataOffset: 1, dataLength: tp, wireLength: tp, compressed: false }
      : null;
  if (comp === TIGHT_JPEG) {
    // We never list a quality-level pseudo-encoding, but obmc-ikvm sends JPEG regardless (tight-jpeg.ts).
    const len = peekCompactLength(q, 1);
    if (!len) return null;
    const limit = jpegLengthLimit(w * h);
    if (len.length > limit)
      throw new RfbError('RFB_ERR_COMPRESSED_LENGTH', `${len.length} bytes of JPEG for ${w}x${h} pixels (limit ${limit})`, 'tight.length');
    const dataOffset = 1 + len.bytes;
    const total = dataOffset + len.length;
    return q.has(total)
      ? { total, ctl, filter: -1, paletteOffset: 0, colours: 0, dataOffset, dataLength: len.length, wireLength: len.length, compressed: false, jpeg: true }
      : null;
  }
  if (comp > TIGHT_JPEG) {
    throw new RfbError('RFB_ERR_TIGHT_COMPRESSION', `undefined compression type 0x${comp.toString(16)}`, 'tight.compression-control');
  }
  let off = 1;
  let filter: number = TightFilter.Copy;
  if (comp & TIGHT_EXPLICIT_FILTER) {
    if (!q.has(2)) return null;
    filter = q.peekUint8(1);
    off = 2;
  }
  let dataLength: number;
  let colours = 0;
  const paletteOffset = off + 1;
  switch (filter) {
    case TightFilter.Copy:
    case TightFilter.Gradient:
      dataLength = w * h * tp;
      break;
    case TightFilter.Palette:
      if (!q.has(off + 1)) return null;
      colours = q.peekUint8(off) + 1;
      // The spec's palette holds 2..256 colours; one colour would be a fill, so it is malformed.
      if (colours < 2) throw new RfbError('RFB_ERR_TIGHT_PALETTE_SIZE', `palette of ${colours} colour`, 'tight.palette-size');
      off += 1 + colours * tp;
      // Two colours: one bit a pixel, each row padded to a whole byte; more: one byte a pixel.
      dataLength = colours === 2 ? Math.ceil(w / 8) * h : w * h;
      break;
    default:
      throw new RfbError('RFB_ERR_TIGHT_FILTER', `undefined filter id ${filter}`, 'tight.filter-id');
  }
  if (dataLength < TIGHT_MIN_TO_COMPRESS) {
    const total = off + dataLength;
    return q.has(total) ? { total, ctl, filter, paletteOffset, colours, dataOffset: off, dataLength, wireLength: dataLength, compressed: false } : null;
  }
  const len = peekCompactLength(q, off);
  if (!len) return null;
  const length = len.length;
  const limit = compressedLengthLimit(dataLength);
  if (length > limit) {
    throw new RfbError('RFB_ERR_COMPRESSED_LENGTH', `${length} compressed bytes for ${dataLength} bytes of data (limit ${limit})`, 'tight.length');
  }
  const dataOffset = off + len.bytes;
  const total = dataOffset + length;
  return q.has(total) ? { total, ctl, filter, paletteOffset, colours, dataOffset, dataLength, wireLength: length, compressed: true } : null;
}

/** Tight's compact length at `off`: 7 bits, 7 bits, 8 bits, the first two with a continuation bit. Null until buffered. */
function peekCompactLength(q: ByteQueue, off: number): { length: number; bytes: number } | null {
  if (!q.has(off + 1)) return null;
  const b0 = q.peekUint8(off);
  let length = b0 & 0x7f;
  if (!(b0 & 0x80)) return { length, bytes: 1 };
  if (!q.has(off + 2)) return null;
  const b1 = q.peekUint8(off + 1);
  length |= (b1 & 0x7f) << 7;
  if (!(b1 & 0x80)) return { length, bytes: 2 };
  if (!q.has(off + 3)) return null;
  return { length: length | (q.peekUint8(off + 2) << 14), bytes: 3 };
}

function drawPalette(fb: Framebuffer, rect: Rect, pal: Uint32Array, colours: number, data: Buffer): void {
  const { width: w, height: h } = rect;
  const words = fb.words();
  const d = fb.data;
  const rowBytes = colours === 2 ? Math.ceil(w / 8) : w;
  if (words) {
    drawPaletteWords(words, fb.pairs(), fb.width, rect, pal, colours, data, rowBytes);
    return;
  }
  for (let row = 0; row < h; row++) {
    const p0 = (rect.y + row) * fb.width + rect.x;
    const s = row * rowBytes;
    let bits = 0;
    for (let col = 0; col < w; col++) {
      let index: number;
      if (colours === 2) {
        // One bit a pixel, most significant first; shift a byte out rather than re-index per pixel.
        if ((col & 7) === 0) bits = data[s + (col >> 3)]!;
        index = (bits >> 7) & 1;
        bits <<= 1;
      } else {
        index = data[s + col]!;
        if (index >= colours) throw new RfbError('RFB_ERR_TIGHT_PALETTE_INDEX', `index ${index} into a ${colours}-colour palette`, 'tight.palette-data');
      }
      // Byte stores: a framebuffer that cannot be viewed as 32-bit words (big-endian host, odd offset).
      storeWord(d, (p0 + col) * 4, pal[index]!);
    }
  }
}

/**
 * drawPalette's fast path (the framebuffer as 32-bit words): the hottest loop of the gateway when a
 * BMC sends text screens (profiled with `npm run bench -- --profile`: 35% of gateway CPU on a
 * scrolling xterm). Two-colour rows are unpacked eight pixels per source byte with no per-pixel
 * branch on the pixel count or the framebuffer layout.
 */
function drawPaletteWords(
  words: Uint32Array,
  pairs: Float64Array | null,
  fbWidth: number,
  rect: Rect,
  pal: Uint32Array,
  colours: number,
  data: Buffer,
  rowBytes: number,
): void {
  const { width: w, height: h } = rect;
  if (colours === 2 && pairs && ((rect.x | fbWidth) & 1) === 0 && ((pal[0]! | pal[1]!) & 0xff000000) === 0) {
    drawTwoColoursInPairs(words, pairs, fbWidth, rect, pal[0]!, pal[1]!, data, rowBytes);
    return;
  }
  if (colours === 2) {
    const c0 = pal[0]!;
    const c1 = pal[1]!;
    const whole = w & ~7;
    for (let row = 0; row < h; row++) {
      let p = (rect.y + row) * fbWidth + rect.x;
      let s = row * rowBytes;
      let col = 0;
      for (; col < whole; col += 8) {
        const b = data[s++]!;
        words[p] = b & 0x80 ? c1 : c0;
        words[p + 1] = b & 0x40 ? c1 : c0;
        words[p + 2] = b & 0x20 ? c1 : c0;
        words[p + 3] = b & 0x10 ? c1 : c0;
        words[p + 4] = b & 0x08 ? c1 : c0;
        words[p + 5] = b & 0x04 ? c1 : c0;
        words[p + 6] = b & 0x02 ? c1 : c0;
        words[p + 7] = b & 0x01 ? c1 : c0;
        p += 8;
      }
      if (col < w) {
        let b = data[s]!;
        for (; col < w; col++) {
          words[p++] = b & 0x80 ? c1 : c0;
          b <<= 1;
        }
      }
    }
    return;
  }
  for (let row = 0; row < h; row++) {
    const p0 = (rect.y + row) * fbWidth + rect.x;
    const s = row * rowBytes;
    for (let col = 0; col < w; col++) {
      const index = data[s + col]!;
      if (index >= colours) throw new RfbError('RFB_ERR_TIGHT_PALETTE_INDEX', `index ${index} into a ${colours}-colour palette`, 'tight.palette-data');
      words[p0 + col] = pal[index]!;
    }
  }
}

/** Two pixels as one float64: the 4 pairs of a two-colour palette, by the pair's 2 bits (first pixel high). */
const PAIR_WORDS = new Uint32Array(8);
const PAIRS = new Float64Array(PAIR_WORDS.buffer);

/**
 * Two-colour palette data drawn two pixels a store: each pair of bits picks one of the four
 * pixel pairs, written as one float64 into `pairs`, the framebuffer's words seen as float64s (on a
 * little-endian host the first pixel of a pair is its low word). Half the stores of drawing a word
 * a pixel, which is most of this loop's cost (callgrind: drawPaletteWords was the decoder's top
 * entry on the xterm recording).
 *
 * Exactness: a float64 store writes the bits it was given unless the value is a NaN (which an
 * engine may canonicalize). A pair's high word is the second pixel, an RGBX word with X = 0, so its
 * exponent field (bits 20..30 of that word) is at most 0x00f, never 0x7ff: no pair is a NaN or an
 * infinity; they are small normals, subnormals (kept as is: JavaScript has no flush-to-zero) or
 * +0. The caller checks X = 0 on both colours, that `pairs` exists (Framebuffer.pairs: the pixels 8-byte aligned) and that every row
 * starts on a pair (rect.x and fbWidth even); an odd last pixel of a row is stored as a word.
 */
export function drawTwoColoursInPairs(
  words: Uint32Array,
  pairs: Float64Array,
  fbWidth: number,
  rect: Rect,
  c0: number,
  c1: number,
  data: Uint8Array,
  rowBytes: number,
): void {
  const { width: w, height: h } = rect;
  PAIR_WORDS[0] = c0; // bits 00
  PAIR_WORDS[1] = c0;
  PAIR_WORDS[2] = c0; // bits 01
  PAIR_WORDS[3] = c1;
  PAIR_WORDS[4] = c1; // bits 10
  PAIR_WORDS[5] = c0;
  PAIR_WORDS[6] = c1; // bits 11
  PAIR_WORDS[7] = c1;
  const P = PAIRS;
  const all0 = P[0]!;
  const all1 = P[3]!;
  const whole = w & ~7;
  for (let row = 0; row < h; row++) {
    let q = ((rect.y + row) * fbWidth + rect.x) >> 1;
    let s = row * rowBytes;
    let col = 0;
    for (; col < whole; col += 8) {
      const b = data[s++]!;
      if (b === 0 || b === 0xff) {
        // Eight pixels of one colour (on the xterm recording about half the bytes): no lookups.
        const v = b === 0 ? all0 : all1;
        pairs[q] = v;
        pairs[q + 1] = v;
        pairs[q + 2] = v;
        pairs[q + 3] = v;
      } else {
        pairs[q] = P[b >> 6]!;
        pairs[q + 1] = P[(b >> 4) & 3]!;
        pairs[q + 2] = P[(b >> 2) & 3]!;
        pairs[q + 3] = P[b & 3]!;
      }
      q += 4;
    }
    if (col < w) {
      // The row's last 1..7 pixels, from its last byte: whole pairs, then maybe one pixel alone.
      let b = data[s]!;
      for (; col + 1 < w; col += 2, b <<= 2) pairs[q++] = P[(b >> 6) & 3]!;
      if (col < w) words[q * 2] = b & 0x80 ? c1 : c0;
    }
  }
}

/**
 * Gradient filter, undone in place: each component was sent as the difference from the prediction
 * left + above - above-left (clamped to 0..255; neighbours outside the rectangle count as 0).
 * Mutates and returns `data`.
 */
function undoGradient(data: Buffer, w: number, h: number): Buffer {
  const rowLen = w * 3;
  for (let row = 0; row < h; row++) {
    const r0 = row * rowLen;
    for (let i = 0; i < rowLen; i++) {
      const left = i >= 3 ? data[r0 + i - 3]! : 0;
      const up = row > 0 ? data[r0 - rowLen + i]! : 0;
      const upLeft = row > 0 && i >= 3 ? data[r0 - rowLen + i - 3]! : 0;
      let p = left + up - upLeft;
      p = p < 0 ? 0 : p > 255 ? 255 : p;
      data[r0 + i] = (p + data[r0 + i]!) & 0xff;
    }
  }
  return data;
}

/**
 * Gradient filter for TPIXELs that are whole PIXELs (16 bpp, or 32 bpp not depth 24): the same
 * prediction per colour component, with MAX the component's max and the difference sent modulo
 * MAX + 1 inside the component's bits ("GradientFilter": "may only be used when bits-per-pixel is
 * either 16 or 32", so 8-bpp and colour-map formats cannot carry it). Draws into fb.
 */
function undoGradientPixels(fb: Framebuffer, rect: RectHeader, data: Buffer, px: PixelReader): void {
  const f = px.format;
  if (!f.trueColour || f.bitsPerPixel === 8) {
    throw new RfbError(
      'RFB_ERR_TIGHT_FILTER',
      `gradient filter in a ${f.bitsPerPixel}-bpp ${f.trueColour ? 'true-colour' : 'colour-map'} format`,
      'tight.filter-id',
    );
  }
  const { width: w, height: h } = rect;
  const bpp = px.bytesPerPixel;
  const max = [f.redMax, f.greenMax, f.blueMax];
  const shift = [f.redShift, f.greenShift, f.blueShift];
  // Component values of the previous row (and of this row as it is decoded), 3 per pixel.
  let above = new Int32Array(w * 3);
  let current = new Int32Array(w * 3);
  const out = Buffer.allocUnsafe(w * 4);
  for (let row = 0; row < h; row++) {
    for (let col = 0; col < w; col++) {
      const diff = px.value(data, (row * w + col) * bpp);
      let v = 0;
      for (let c = 0; c < 3; c++) {
        const m = max[c]!;
        const left = col > 0 ? current[(col - 1) * 3 + c]! : 0;
        const up = row > 0 ? above[col * 3 + c]! : 0;
        const upLeft = row > 0 && col > 0 ? above[(col - 1) * 3 + c]! : 0;
        let p = left + up - upLeft;
        p = p < 0 ? 0 : p > m ? m : p;
        const value = (p + ((diff >>> shift[c]!) & m)) & m;
        current[col * 3 + c] = value;
        v |= value << shift[c]!;
      }
      storeWord(out, col * 4, px.word(v >>> 0));
    }
    fb.putRgbx(rect.x, rect.y + row, w, 1, out);
    [above, current] = [current, above];
  }
}
