import { RfbError } from '../../errors.js';
import { isRgbxFormat, RGBX_PIXEL_FORMAT, type PixelFormat } from '../constants.js';
import type { Framebuffer } from '../framebuffer.js';

/** One colour-map entry as SetColourMapEntries sends it (§7.6.2): 16-bit intensities. */
export interface ColourMapEntry {
  red: number;
  green: number;
  blue: number;
}

/**
 * Turns pixels in the pixel format the server sends (the one agreed with SetPixelFormat, §7.4, or
 * the server's own from ServerInit when it ignores SetPixelFormat) into the Framebuffer's RGBX words
 * (R | G << 8 | B << 16). One instance per connection, shared by every decoder of that connection.
 *
 * Three pixel shapes come off the wire:
 * - PIXEL (§7.4): bits-per-pixel / 8 bytes in the format's byte order (Raw, Zlib, RRE, Hextile,
 *   Cursor);
 * - CPIXEL (ZRLE, §7.7.6): a PIXEL, except 3 bytes for true-colour 32-bpp formats of depth <= 24
 *   whose colour bits fit in the 3 least (or else the 3 most) significant bytes;
 * - TPIXEL (Tight): a PIXEL, except 3 bytes R, G, B for true-colour 32-bpp depth-24 formats whose
 *   channels are all 8 bits wide.
 *
 * Formats: true colour at 8, 16 or 32 bpp (either byte order, any 2^n-1 channel max), and
 * colour-map formats at 8 or 16 bpp, whose table is filled by SetColourMapEntries (setColourMap).
 * For RGBX_PIXEL_FORMAT itself `rgbx` is true and decoders keep their copy-through fast paths.
 */
export class PixelReader {
  readonly format: Readonly<PixelFormat>;
  readonly bytesPerPixel: number;
  readonly cpixelBytes: number;
  readonly tpixelBytes: number;
  /** The format is RGBX_PIXEL_FORMAT: PIXELs are already framebuffer bytes, 3-byte C/TPIXELs are R, G, B. */
  readonly rgbx: boolean;
  readonly #little: boolean;
  /** For 3-byte CPIXELs: they hold the most significant bytes of the pixel value. */
  readonly #cpixelHigh: boolean;
  /** 8 and 16 bpp: the RGBX word of every pixel value (the colour map, for colour-map formats). */
  readonly #table: Uint32Array | undefined;
  /** 32 bpp: per channel, channel value -> 8-bit intensity. */
  readonly #channels: readonly [Uint8Array, Uint8Array, Uint8Array] | undefined;

  /** Throws RFB_ERR_PIXEL_FORMAT_UNSUPPORTED for formats we cannot convert (see checkUpstreamPixelFormat). */
  constructor(format: Readonly<PixelFormat> = RGBX_PIXEL_FORMAT) {
    checkUpstreamPixelFormat(format);
    this.format = Object.freeze({ ...format });
    this.bytesPerPixel = format.bitsPerPixel / 8;
    this.rgbx = isRgbxFormat(format);
    this.#little = !format.bigEndian;
    const colourMask = format.trueColour
      ? ((format.redMax << format.redShift) | (format.greenMax << format.greenShift) | (format.blueMax << format.blueShift)) >>> 0
      : 0;
    const compact = format.trueColour && format.bitsPerPixel === 32 && format.depth <= 24;
    const fitsLow = (colourMask & 0xff000000) === 0;
    const fitsHigh = (colourMask & 0xff) === 0;
    // §7.7.6: the three least significant bytes by convention when both would do.
    this.cpixelBytes = compact && (fitsLow || fitsHigh) ? 3 : this.bytesPerPixel;
    this.#cpixelHigh = this.cpixelBytes === 3 && !fitsLow;
    this.tpixelBytes =
      format.trueColour && format.bitsPerPixel === 32 && format.depth === 24 && format.redMax === 255 && format.greenMax === 255 && format.blueMax === 255
        ? 3
        : this.bytesPerPixel;
    if (format.bitsPerPixel === 32) {
      this.#channels = [channelTable(format.redMax), channelTable(format.greenMax), channelTable(format.blueMax)];
    } else {
      const table = new Uint32Array(1 << format.bitsPerPixel);
      if (format.trueColour) {
        const [r, g, b] = [channelTable(format.redMax), channelTable(format.greenMax), channelTable(format.blueMax)];
        for (let v = 0; v < table.length; v++) {
          table[v] =
            r[(v >>> format.redShift) & format.redMax]! |
            (g[(v >>> format.greenShift) & format.greenMax]! << 8) |
            (b[(v >>> format.blueShift) & format.blueMax]! << 16);
        }
      }
      this.#table = table;
    }
  }

  /** The pixel value (not yet converted) of the PIXEL at b[o]. */
  value(b: Uint8Array, o: number): number {
    switch (this.bytesPerPixel) {
      case 1:
        return b[o]!;
      case 2:
        return this.#little ? b[o]! | (b[o + 1]! << 8) : (b[o]! << 8) | b[o + 1]!;
      default:
        return this.#little
          ? (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0
          : ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
    }
  }

  /** The RGBX word of a pixel value. */
  word(v: number): number {
    if (this.#table) return this.#table[v]!;
    const f = this.format;
    const [r, g, b] = this.#channels!;
    return r[(v >>> f.redShift) & f.redMax]! | (g[(v >>> f.greenShift) & f.greenMax]! << 8) | (b[(v >>> f.blueShift) & f.blueMax]! << 16);
  }

  /** The RGBX word of the PIXEL at b[o]. */
  pixel(b: Uint8Array, o: number): number {
    if (this.rgbx) return b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16);
    return this.word(this.value(b, o));
  }

  /** The RGBX word of the ZRLE CPIXEL at b[o]. */
  cpixel(b: Uint8Array, o: number): number {
    if (this.cpixelBytes !== 3) return this.pixel(b, o);
    if (this.rgbx) return b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16);
    // The 3 bytes keep the pixel's byte order (§7.7.6).
    const v24 = this.#little ? b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) : (b[o]! << 16) | (b[o + 1]! << 8) | b[o + 2]!;
    return this.word(this.#cpixelHigh ? (v24 << 8) >>> 0 : v24);
  }

  /** The RGBX word of the Tight TPIXEL at b[o]. */
  tpixel(b: Uint8Array, o: number): number {
    if (this.tpixelBytes === 3) return b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16);
    return this.pixel(b, o);
  }

  /**
   * Writes a w x h block of PIXELs (rows of `srcStride` bytes from `srcOffset`) into fb at x, y,
   * converted. The caller has checked bounds. Does not keep `src`.
   */
  putPixels(fb: Framebuffer, x: number, y: number, w: number, h: number, src: Uint8Array, srcOffset = 0, srcStride = w * this.bytesPerPixel): void {
    if (this.rgbx) {
      fb.putRgbx(x, y, w, h, src, srcStride, srcOffset);
      return;
    }
    const bpp = this.bytesPerPixel;
    const words = fb.words();
    const d = fb.data;
    for (let row = 0; row < h; row++) {
      let s = srcOffset + row * srcStride;
      const p0 = (y + row) * fb.width + x;
      for (let col = 0; col < w; col++, s += bpp) {
        const v = this.word(this.value(src, s));
        if (words) {
          words[p0 + col] = v;
        } else {
          storeWord(d, (p0 + col) * 4, v);
        }
      }
    }
  }

  /**
   * SetColourMapEntries (§7.6.2) for a colour-map format: entries first..first+n-1 get the colours'
   * top 8 bits. Entries past the format's pixel values are ignored (they cannot be referenced).
   * True-colour formats ignore colour maps (servers may send one anyway).
   */
  setColourMap(first: number, colours: readonly ColourMapEntry[]): void {
    if (this.format.trueColour || !this.#table) return;
    const t = this.#table;
    for (let i = 0; i < colours.length && first + i < t.length; i++) {
      const c = colours[i]!;
      t[first + i] = (c.red >>> 8) | ((c.green >>> 8) << 8) | ((c.blue >>> 8) << 16);
    }
  }
}

/** Writes an RGBX word as 4 bytes (X = 0) at d[o]. */
export function storeWord(d: Uint8Array, o: number, v: number): void {
  d[o] = v & 0xff;
  d[o + 1] = (v >>> 8) & 0xff;
  d[o + 2] = (v >>> 16) & 0xff;
  d[o + 3] = 0;
}

/** Fills a rectangle of fb with an RGBX word. The caller has checked bounds. */
export function fillWord(fb: Framebuffer, x: number, y: number, w: number, h: number, v: number): void {
  fb.fillRect(x, y, w, h, v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff);
}

/**
 * Throws RFB_ERR_PIXEL_FORMAT_UNSUPPORTED unless PixelReader can convert `pf`: true colour at 8,
 * 16 or 32 bpp with every channel max of the form 2^n-1 inside the pixel, or a colour map at 8 or
 * 16 bpp (a 32-bpp colour map would be a 16 GiB table; no server is known to use one).
 */
export function checkUpstreamPixelFormat(pf: Readonly<PixelFormat>): void {
  const fail = (why: string): never => {
    throw new RfbError('RFB_ERR_PIXEL_FORMAT_UNSUPPORTED', why, 'pixel-format');
  };
  if (pf.bitsPerPixel !== 8 && pf.bitsPerPixel !== 16 && pf.bitsPerPixel !== 32) fail(`bits-per-pixel ${pf.bitsPerPixel}`);
  if (!pf.trueColour) {
    if (pf.bitsPerPixel === 32) fail('colour-map formats at 32 bits a pixel are not supported');
    return;
  }
  for (const [max, shift] of [
    [pf.redMax, pf.redShift],
    [pf.greenMax, pf.greenShift],
    [pf.blueMax, pf.blueShift],
  ] as const) {
    if (!Number.isInteger(max) || max < 1 || max > 0xffff || (max & (max + 1)) !== 0) fail(`channel max ${max} is not 2^n-1`);
    if (!Number.isInteger(shift) || shift < 0 || shift + Math.log2(max + 1) > pf.bitsPerPixel) fail(`channel shift ${shift} does not fit`);
  }
}

/** Channel value 0..max -> 8-bit intensity, rounded (what X's own 16-bit visuals show as 8-bit). */
function channelTable(max: number): Uint8Array {
  const t = new Uint8Array(max + 1);
  for (let v = 0; v <= max; v++) t[v] = Math.round((v * 255) / max);
  return t;
}

/**
 * The pixel format the client asks a server for with SetPixelFormat, given the server's own from
 * ServerInit: the server's own when it is narrower than 32 bpp and PixelReader can read it (16-bpp
 * or 8-bpp true colour, 8/16-bpp colour maps), else RGBX_PIXEL_FORMAT.
 *
 * A narrow framebuffer has no more colour to give than its own format carries, so asking for it
 * loses nothing, halves (or quarters) the bytes on a slow BMC link, and is what arrives anyway from
 * servers that ignore SetPixelFormat: Dell iDRAC's "OpenVNC" announces 16 bpp depth 15 (noVNC issue
 * #385) and clients asking it for 32 bpp are reported to show nothing (noVNC issue #712); embedded
 * 8-bpp colour-map servers refuse other formats (noVNC issue #2000). 32-bpp servers get asked for our
 * own format, so their pixels copy straight into the framebuffer.
 */
export function upstreamPixelFormat(server: Readonly<PixelFormat>): PixelFormat {
  if (server.bitsPerPixel < 32) {
    try {
      checkUpstreamPixelFormat(server);
      return { ...server };
    } catch {
      // Not one we can read: ask for ours and hope the server honours SetPixelFormat.
    }
  }
  return { ...RGBX_PIXEL_FORMAT };
}
