import { Encoding } from '../constants.js';
import type { Framebuffer, HeldShape, Rect } from '../framebuffer.js';
import { deflateFresh } from './deflater.js';
import { RECT_HEADER_BYTES, writeRectHeader } from './rect-header.js';
import type { EncodedRect, RectEncoder } from './types.js';
import { ColourTable } from './colour-table.js';

/** Tight's own limit: "the width of any Tight-encoded rectangle cannot exceed 2048 pixels". */
export const TIGHT_MAX_RECT_WIDTH = 2048;
/**
 * Most pixels we put in one Tight rectangle: 21845 keeps the copy-filter data (3 bytes a pixel) under
 * 64 KiB, the size TightVNC and libvncserver use, so a viewer never has to inflate more than that for
 * one rectangle and one rectangle's zlib work stays short.
 */
export const TIGHT_MAX_RECT_PIXELS = 21845;
const MIN_TO_COMPRESS = 12;
const FILL = 0x80;
const EXPLICIT_FILTER = 0x40;
const FILTER_PALETTE = 1;
/**
 * The one zlib stream of our rectangles (any choice works: every rectangle resets it). Stream 3, which
 * TightVNC, libvncserver, TigerVNC and QEMU use least (0 full colour, 1 two colours, 2 palette; 3
 * only for the gradient filter): a viewer's streams 0-2 then keep the state a relay from the BMC needs
 * (src/viewer/relay.ts; noVNC's pako cannot take a window again after a stream it used was reset).
 */
export const TIGHT_ENCODER_STREAM = 3;

export interface TightEncoderOptions {
  /** zlib level 0..9; 1 by default (speed: this is the per-update hot path). */
  zlibLevel?: number;
}

/**
 * Tight for viewers (stock noVNC), in a form any number of viewers can share: every compressed
 * rectangle starts a fresh zlib stream and sets that stream's reset bit in its compression-control
 * byte, so no viewer needs history. Per rectangle (after splitting to Tight's limits): one colour →
 * fill; up to 256 colours where it pays → palette filter (1 bit a pixel for 2 colours); else the
 * basic copy filter. Data under 12 bytes goes uncompressed, as the spec requires.
 * Not used: JPEG (lossy; noVNC asks for it only with a quality level) and the gradient filter (helps
 * only photo-like areas, costs a pass; BMC consoles are text and flat colour).
 */
export class TightEncoder implements RectEncoder {
  readonly encoding = Encoding.Tight;
  readonly shareable = true;
  readonly #level: number;
  /** Scratch, reused across calls: one palette index a pixel, and RGB for the copy filter. */
  readonly #indices = new Uint8Array(TIGHT_MAX_RECT_PIXELS);
  readonly #rgb = Buffer.allocUnsafe(TIGHT_MAX_RECT_PIXELS * 3);
  /** 1024 slots for at most 256 colours, so linear probing stays short. */
  readonly #table = new ColourTable(256, 10);
  /** The colours scanTwoColours found (first pixel's, then the other). */
  readonly #pair = new Int32Array(2);

  constructor(options: TightEncoderOptions = {}) {
    this.#level = options.zlibLevel ?? 1;
  }

  encodeRect(fb: Framebuffer, rect: Rect): EncodedRect[] {
    const out: EncodedRect[] = [];
    if (rect.width === 0 || rect.height === 0) return out;
    const stripWidth = Math.min(rect.width, TIGHT_MAX_RECT_WIDTH);
    const rows = Math.max(1, Math.floor(TIGHT_MAX_RECT_PIXELS / stripWidth));
    for (let y = 0; y < rect.height; y += rows) {
      const h = Math.min(rows, rect.height - y);
      for (let x = 0; x < rect.width; x += stripWidth) {
        const w = Math.min(stripWidth, rect.width - x);
        out.push(this.#encodeOne(fb, { x: rect.x + x, y: rect.y + y, width: w, height: h }));
      }
    }
    return out;
  }

  #encodeOne(fb: Framebuffer, r: Rect): Buffer {
    const pixels = r.width * r.height;
    const words = fb.words();
    // Text consoles are one or two colours per rectangle (every rectangle of the xterm and busybox
    // recordings): one pass finds that and packs the bits, instead of counting colours through the
    // hash table and packing the indices in a second pass. More colours: the general count below.
    const few = words ? scanTwoColours(words, fb.width, r, this.#rgb, this.#pair) : 0;
    const colours = few || this.#countColours(fb, r);
    const pal: Int32Array = few ? this.#pair : this.#table.colours;
    if (colours === 1) return encodeTightFill(r, pal[0]!);
    // A palette pays while it (3 bytes a colour) plus indices stays well under 3 bytes a pixel.
    if (colours >= 2 && colours <= 256 && colours * 3 < pixels * 2) {
      const data =
        colours > 2 ? this.#indices.subarray(0, pixels) : few ? this.#rgb.subarray(0, ((r.width + 7) >> 3) * r.height) : this.#packMono(r.width, r.height);
      return this.#finish(r, paletteHead(pal, colours), TIGHT_ENCODER_STREAM, data);
    }
    const rgb = this.#rgb;
    const d = fb.data;
    let o = 0;
    for (let row = 0; row < r.height; row++) {
      const p0 = (r.y + row) * fb.width + r.x;
      for (let p = p0, end = p0 + r.width; p < end; p++, o += 3) {
        if (words) {
          const v = words[p]!;
          rgb[o] = v;
          rgb[o + 1] = v >>> 8;
          rgb[o + 2] = v >>> 16;
        } else {
          rgb[o] = d[p * 4]!;
          rgb[o + 1] = d[p * 4 + 1]!;
          rgb[o + 2] = d[p * 4 + 2]!;
        }
      }
    }
    // Copy filter is implicit when no filter id is sent.
    return this.#finish(r, Buffer.of(TIGHT_ENCODER_STREAM << 4), TIGHT_ENCODER_STREAM, rgb.subarray(0, o));
  }

  #finish(r: Rect, head: Buffer, stream: number, data: Uint8Array): Buffer {
    return encodeTightRect(r, head, stream, data, this.#level);
  }

  /**
   * Counts the rectangle's colours (stopping past 256) into #table, writing each pixel's palette
   * index into #indices on the way. Returns the count, or 257 when there are more than 256.
   * Consecutive equal pixels skip the hash lookup: console screens are mostly long runs.
   */
  #countColours(fb: Framebuffer, r: Rect): number {
    const table = this.#table;
    const idx = this.#indices;
    const d = fb.data;
    const words = fb.words();
    let lastKey = -1;
    let lastIndex = 0;
    let i = 0;
    table.clear();
    for (let row = 0; row < r.height; row++) {
      const p0 = (r.y + row) * fb.width + r.x;
      for (let p = p0, end = p0 + r.width; p < end; p++, i++) {
        // The X byte is not part of the colour (Raw from a server may carry anything there).
        const key = words ? words[p]! & 0xffffff : d[p * 4]! | (d[p * 4 + 1]! << 8) | (d[p * 4 + 2]! << 16);
        if (key !== lastKey) {
          lastIndex = table.indexOf(key);
          if (lastIndex < 0) return 257;
          lastKey = key;
        }
        idx[i] = lastIndex;
      }
    }
    return table.count;
  }

  /** Two-colour indices as 1 bit a pixel, most significant first, each row padded to a byte. */
  #packMono(w: number, h: number): Buffer {
    const rowBytes = (w + 7) >> 3;
    const out = this.#rgb.subarray(0, rowBytes * h);
    const idx = this.#indices;
    let i = 0;
    let o = 0;
    const whole = w & ~7;
    for (let row = 0; row < h; row++) {
      // Eight pixels a byte with no per-pixel branch (indices are 0 or 1 here).
      for (let col = 0; col < whole; col += 8, i += 8) {
        out[o++] =
          (idx[i]! << 7) |
          (idx[i + 1]! << 6) |
          (idx[i + 2]! << 5) |
          (idx[i + 3]! << 4) |
          (idx[i + 4]! << 3) |
          (idx[i + 5]! << 2) |
          (idx[i + 6]! << 1) |
          idx[i + 7]!;
      }
      if (w & 7) {
        let acc = 0;
        for (let col = whole; col < w; col++) acc = (acc << 1) | idx[i++]!;
        out[o++] = acc << (8 - (w & 7)); // pad the row's last byte with zero bits
      }
    }
    return out;
  }
}

/**
 * One pass over a rectangle of the framebuffer's words for the common console case: returns 1 when
 * it is one colour, 2 when it is two, with `pair` = [first pixel's colour, the other colour] (the
 * order the palette count gives, so the bytes sent are the same) and, for two colours, `bits` = the
 * Tight two-colour palette data: 1 bit a pixel, set for pair[1], most significant first, each row
 * padded with zero bits to a whole byte (rfbproto "Tight Encoding", palette filter). Returns 0 as
 * soon as a third colour turns up (`bits` and `pair` then hold garbage). Colours are the low 24
 * bits: the X byte is not part of the colour (Raw from a server may carry anything there).
 * `bits` must hold ceil(width / 8) * height bytes.
 */
export function scanTwoColours(words: Uint32Array, fbWidth: number, r: Rect, bits: Uint8Array, pair: Int32Array): 0 | 1 | 2 {
  const w = r.width;
  const h = r.height;
  const c0 = words[r.y * fbWidth + r.x]! & 0xffffff;
  // First the rows of c0 alone (their bits are all zero), up to the row where the second colour is.
  let row = 0;
  let c1 = -1;
  for (; row < h && c1 < 0; row++) {
    const p0 = (r.y + row) * fbWidth + r.x;
    for (let p = p0, end = p0 + w; p < end; p++) {
      const v = words[p]! & 0xffffff;
      if (v !== c0) {
        c1 = v;
        break;
      }
    }
  }
  pair[0] = c0;
  if (c1 < 0) return 1;
  pair[1] = c1;
  row--;
  const rowBytes = (w + 7) >> 3;
  bits.fill(0, 0, row * rowBytes);
  // Then pack from that row on with both colours known, eight pixels a byte, unrolled: this is the
  // encoder's per-pixel loop for a text screen, and a loop over the eight bits instead counted 81 M
  // more instructions (1.796 G against 1.715 G: callgrind, encode-work, xterm, 1 viewer, 5 loops).
  const whole = w & ~7;
  let o = row * rowBytes;
  for (; row < h; row++) {
    let p = (r.y + row) * fbWidth + r.x;
    let col = 0;
    let v = 0;
    for (; col < whole; col += 8, p += 8) {
      let acc = 0;
      v = words[p]! & 0xffffff;
      if (v !== c0) {
        if (v !== c1) return 0;
        acc = 0x80;
      }
      v = words[p + 1]! & 0xffffff;
      if (v !== c0) {
        if (v !== c1) return 0;
        acc |= 0x40;
      }
      v = words[p + 2]! & 0xffffff;
      if (v !== c0) {
        if (v !== c1) return 0;
        acc |= 0x20;
      }
      v = words[p + 3]! & 0xffffff;
      if (v !== c0) {
        if (v !== c1) return 0;
        acc |= 0x10;
      }
      v = words[p + 4]! & 0xffffff;
      if (v !== c0) {
        if (v !== c1) return 0;
        acc |= 0x08;
      }
      v = words[p + 5]! & 0xffffff;
      if (v !== c0) {
        if (v !== c1) return 0;
        acc |= 0x04;
      }
      v = words[p + 6]! & 0xffffff;
      if (v !== c0) {
        if (v !== c1) return 0;
        acc |= 0x02;
      }
      v = words[p + 7]! & 0xffffff;
      if (v !== c0) {
        if (v !== c1) return 0;
        acc |= 0x01;
      }
      bits[o++] = acc;
    }
    if (col < w) {
      let acc = 0;
      for (let k = 0x80; col < w; col++, k >>= 1, p++) {
        v = words[p]! & 0xffffff;
        if (v !== c0) {
          if (v !== c1) return 0;
          acc |= k;
        }
      }
      bits[o++] = acc; // the row's last byte, padded with zero bits
    }
  }
  return 2;
}

/**
 * A viewer's picture of a framebuffer that was never drawn into (Framebuffer.heldShapes): the
 * screen black, then every held shape in the order it was held, as Tight rectangles in the form
 * TightEncoder makes them (stream TIGHT_ENCODER_STREAM, reset by every rectangle that uses it, so
 * viewers share nothing); a two-colour shape held as the server's zlib data goes out with that data
 * as it came, with no deflate of ours. The viewer draws them in order, as the framebuffer would
 * have: a later shape overlapping an earlier one wins. Rectangles follow Tight's limits (TIGHT_MAX_RECT_WIDTH,
 * TIGHT_MAX_RECT_PIXELS): a two-colour shape taller than that goes in strips of whole rows, its bits
 * being whole bytes a row. A shape wider than TIGHT_MAX_RECT_WIDTH (which a BMC's Tight cannot send)
 * makes it return undefined.
 */
export function encodeHeldShapes(width: number, height: number, shapes: readonly HeldShape[], level = 1): Buffer[] | undefined {
  const out: Buffer[] = [];
  // Black: what a framebuffer's fresh memory holds. A fill has no data, so only the width limit applies.
  for (let x = 0; x < width; x += TIGHT_MAX_RECT_WIDTH) out.push(encodeTightFill({ x, y: 0, width: Math.min(TIGHT_MAX_RECT_WIDTH, width - x), height }, 0));
  for (const s of shapes) {
    const r: Rect = s;
    if (r.width > TIGHT_MAX_RECT_WIDTH) return undefined;
    if (r.width === 0 || r.height === 0) continue;
    if ('fill' in s) {
      out.push(encodeTightFill(r, s.fill));
      continue;
    }
    if ('rgbx' in s) {
      out.push(...encodeHeldPixels(s, level));
      continue;
    }
    if ('zlib' in s) {
      // The server's own compressed bits, a zlib stream of their own: sent as they came, in
      // TIGHT_ENCODER_STREAM with its reset bit (the viewer starts that stream afresh for them, as for
      // our own). tight.ts holds only rectangles within Tight's limits this way.
      const head = paletteHead(s.mono, 2);
      head[0] = head[0]! | (1 << TIGHT_ENCODER_STREAM);
      out.push(tightRect(r, head, s.zlib));
      continue;
    }
    const rowBytes = (r.width + 7) >> 3;
    const rows = Math.max(1, Math.floor(TIGHT_MAX_RECT_PIXELS / r.width));
    for (let y = 0; y < r.height; y += rows) {
      const h = Math.min(rows, r.height - y);
      // A head a strip: encodeTightRect sets the stream's reset bit in it when it compresses.
      out.push(
        encodeTightRect(
          { x: r.x, y: r.y + y, width: r.width, height: h },
          paletteHead(s.mono, 2),
          TIGHT_ENCODER_STREAM,
          s.bits.subarray(y * rowBytes, (y + h) * rowBytes),
          level,
        ),
      );
    }
  }
  return out;
}

/**
 * A held Raw rectangle (RGBX as it came) as Tight rectangles with the basic copy filter (no filter
 * id: rfbproto "Tight Encoding", filter 0 is implied), 3 bytes a pixel, the X byte dropped, in
 * strips of whole rows within TIGHT_MAX_RECT_PIXELS. Held Raw rectangles are small
 * (raw.ts RAW_HOLD_MAX_BYTES), so no palette is looked for.
 */
function encodeHeldPixels(s: Rect & { rgbx: Buffer }, level: number): Buffer[] {
  const out: Buffer[] = [];
  const rows = Math.max(1, Math.floor(TIGHT_MAX_RECT_PIXELS / s.width));
  for (let y = 0; y < s.height; y += rows) {
    const h = Math.min(rows, s.height - y);
    const rgb = Buffer.allocUnsafe(s.width * h * 3);
    for (let o = 0, p = y * s.width * 4, end = (y + h) * s.width * 4; p < end; p += 4, o += 3) {
      rgb[o] = s.rgbx[p]!;
      rgb[o + 1] = s.rgbx[p + 1]!;
      rgb[o + 2] = s.rgbx[p + 2]!;
    }
    out.push(encodeTightRect({ x: s.x, y: s.y + y, width: s.width, height: h }, Buffer.of(TIGHT_ENCODER_STREAM << 4), TIGHT_ENCODER_STREAM, rgb, level));
  }
  return out;
}

/** A Tight fill rectangle (compression control 0x80, then the colour as a 3-byte TPIXEL): its whole bytes. */
function encodeTightFill(r: Rect, colour: number): Buffer {
  const out = Buffer.allocUnsafe(RECT_HEADER_BYTES + 4);
  writeRectHeader(out, 0, r, Encoding.Tight);
  out[12] = FILL;
  out[13] = colour & 0xff;
  out[14] = (colour >> 8) & 0xff;
  out[15] = (colour >> 16) & 0xff;
  return out;
}

/** The head of a palette rectangle in TIGHT_ENCODER_STREAM: compression control, filter id, size - 1, then `n` colours as TPIXELs. */
function paletteHead(colours: ArrayLike<number>, n: number): Buffer {
  const head = Buffer.allocUnsafe(3 + n * 3);
  head[0] = EXPLICIT_FILTER | (TIGHT_ENCODER_STREAM << 4);
  head[1] = FILTER_PALETTE;
  head[2] = n - 1;
  for (let i = 0; i < n; i++) {
    head[3 + i * 3] = colours[i]! & 0xff;
    head[4 + i * 3] = (colours[i]! >> 8) & 0xff;
    head[5 + i * 3] = (colours[i]! >> 16) & 0xff;
  }
  return head;
}

/**
 * One Tight rectangle: header + `head` (compression control, filter, palette) + [compact length] +
 * data, the data zlib'd when it is 12 bytes or more, as a new zlib stream in `stream` (whose reset
 * bit is then set in the compression control, so the client starts that stream afresh).
 */
export function encodeTightRect(r: Rect, head: Buffer, stream: number, data: Uint8Array, level: number): Buffer {
  if (data.length < MIN_TO_COMPRESS) return tightRect(r, head, data, false);
  const body = deflateFresh(data, level);
  head[0] = head[0]! | (1 << stream); // reset the stream: this data starts a new zlib stream
  return tightRect(r, head, body);
}

/** A Tight rectangle's bytes: header, `head`, then `body` after its compact length (`compressed`) or as it is. */
function tightRect(r: Rect, head: Buffer, body: Uint8Array, compressed = true): Buffer {
  const lenBytes = !compressed ? 0 : body.length < 0x80 ? 1 : body.length < 0x4000 ? 2 : 3;
  const out = Buffer.allocUnsafe(RECT_HEADER_BYTES + head.length + lenBytes + body.length);
  writeRectHeader(out, 0, r, Encoding.Tight);
  head.copy(out, RECT_HEADER_BYTES);
  let o = RECT_HEADER_BYTES + head.length;
  if (lenBytes > 0) {
    const n = body.length;
    out[o++] = (n & 0x7f) | (lenBytes > 1 ? 0x80 : 0);
    if (lenBytes > 1) out[o++] = ((n >> 7) & 0x7f) | (lenBytes > 2 ? 0x80 : 0);
    if (lenBytes > 2) out[o++] = (n >> 14) & 0xff;
  }
  out.set(body, o);
  return out;
}
