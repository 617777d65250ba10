import { Encoding } from '../constants.js';
import type { Framebuffer, Rect } from '../framebuffer.js';
import { Deflater } from './deflater.js';
import { RECT_HEADER_BYTES, writeRectHeader } from './rect-header.js';
import type { EncodedRect, RectEncoder } from './types.js';
import { ZRLE_TILE } from './zrle.js';
import { ColourTable } from './colour-table.js';

const TILE_PIXELS = ZRLE_TILE * ZRLE_TILE;
const MAX_PALETTE = 127; // palette RLE's limit; packed palettes stop at 16

export interface ZrleEncoderOptions {
  /** zlib level 0..9; 1 by default. */
  zlibLevel?: number;
}

/** Bytes of a ZRLE run length for a run of `n` (§7.7.6: 255s while more follows, then the rest). */
function runLengthBytes(n: number): number {
  return Math.floor((n - 1) / 255) + 1;
}

/**
 * ZRLE for one viewer (RFC 6143 §7.7.6), in our 32-bpp depth-24 format (CPIXEL = R, G, B). ZRLE has
 * one zlib stream for the whole connection and no way to reset it, so the output is NOT shareable:
 * one instance per viewer connection, and every rectangle it returns must reach that viewer, in order.
 * Each 64x64 tile gets whichever of solid, packed palette, palette RLE, plain RLE or raw is smallest.
 * A large area is returned as one rectangle per row of tiles, so no single buffer grows with the screen.
 */
export class ZrleEncoder implements RectEncoder {
  readonly encoding = Encoding.ZRLE;
  readonly shareable = false;
  readonly #deflater: Deflater;
  /** 512 slots for at most 127 colours. */
  readonly #table = new ColourTable(MAX_PALETTE, 9);
  readonly #tile = new Int32Array(TILE_PIXELS);
  readonly #indices = new Uint8Array(TILE_PIXELS);
  #out = Buffer.alloc(0);
  #o = 0;

  constructor(options: ZrleEncoderOptions = {}) {
    this.#deflater = new Deflater(options.zlibLevel ?? 1);
  }

  encodeRect(fb: Framebuffer, rect: Rect): EncodedRect[] {
    const result: EncodedRect[] = [];
    if (rect.width === 0 || rect.height === 0) return result;
    // Worst case per tile: raw (3 bytes a pixel) + the subencoding byte.
    const need = rect.width * ZRLE_TILE * 3 + Math.ceil(rect.width / ZRLE_TILE);
    if (this.#out.length < need) this.#out = Buffer.allocUnsafe(need);
    for (let y = 0; y < rect.height; y += ZRLE_TILE) {
      const th = Math.min(ZRLE_TILE, rect.height - y);
      this.#o = 0;
      for (let x = 0; x < rect.width; x += ZRLE_TILE) this.#encodeTile(fb, rect.x + x, rect.y + y, Math.min(ZRLE_TILE, rect.width - x), th);
      const z = this.#deflater.deflate(this.#out.subarray(0, this.#o));
      const r = Buffer.allocUnsafe(RECT_HEADER_BYTES + 4 + z.length);
      writeRectHeader(r, 0, { x: rect.x, y: rect.y + y, width: rect.width, height: th }, Encoding.ZRLE);
      r.writeUInt32BE(z.length, RECT_HEADER_BYTES);
      z.copy(r, RECT_HEADER_BYTES + 4);
      result.push(r);
    }
    return result;
  }

  #encodeTile(fb: Framebuffer, x: number, y: number, w: number, h: number): void {
    const n = w * h;
    const tile = this.#tile;
    const words = fb.words();
    const d = fb.data;
    for (let row = 0, i = 0; row < h; row++) {
      const p0 = (y + row) * fb.width + x;
      for (let p = p0; p < p0 + w; p++, i++) tile[i] = words ? words[p]! & 0xffffff : d[p * 4]! | (d[p * 4 + 1]! << 8) | (d[p * 4 + 2]! << 16);
    }
    const colours = this.#countColours(n);
    // Runs in pixel order across the whole tile (§7.7.6: runs may span rows).
    let runs = 0;
    let runBytes = 0;
    let singles = 0;
    for (let i = 0; i < n;) {
      let j = i + 1;
      while (j < n && tile[j] === tile[i]) j++;
      runs++;
      runBytes += runLengthBytes(j - i);
      if (j - i === 1) singles++;
      i = j;
    }
    const raw = 3 * n;
    const plainRle = runs * 3 + runBytes;
    let best = raw;
    let kind: 'raw' | 'solid' | 'packed' | 'plain-rle' | 'palette-rle' = 'raw';
    if (colours === 1) {
      kind = 'solid';
      best = 3;
    } else {
      if (plainRle < best) {
        best = plainRle;
        kind = 'plain-rle';
      }
      if (colours > 0) {
        // Palette RLE: an index byte a run, plus run-length bytes for runs longer than one.
        const paletteRle = colours * 3 + runs + (runBytes - singles);
        if (paletteRle < best) {
          best = paletteRle;
          kind = 'palette-rle';
        }
        if (colours <= 16) {
          const bits = colours <= 2 ? 1 : colours <= 4 ? 2 : 4;
          const packed = colours * 3 + Math.ceil((w * bits) / 8) * h;
          if (packed < best) {
            best = packed;
            kind = 'packed';
          }
        }
      }
    }
    this.#write(kind, colours, w, h);
  }

  #write(kind: 'raw' | 'solid' | 'packed' | 'plain-rle' | 'palette-rle', colours: number, w: number, h: number): void {
    const out = this.#out;
    const tile = this.#tile;
    const idx = this.#indices;
    const n = w * h;
    let o = this.#o;
    const pixel = (v: number): void => {
      out[o] = v & 0xff;
      out[o + 1] = (v >> 8) & 0xff;
      out[o + 2] = (v >> 16) & 0xff;
      o += 3;
    };
    const runLength = (len: number): void => {
      let rest = len - 1;
      while (rest >= 255) {
        out[o++] = 255;
        rest -= 255;
      }
      out[o++] = rest;
    };
    switch (kind) {
      case 'solid':
        out[o++] = 1;
        pixel(tile[0]!);
        break;
      case 'raw':
        out[o++] = 0;
        for (let i = 0; i < n; i++) pixel(tile[i]!);
        break;
      case 'plain-rle':
        out[o++] = 128;
        for (let i = 0; i < n;) {
          let j = i + 1;
          while (j < n && tile[j] === tile[i]) j++;
          pixel(tile[i]!);
          runLength(j - i);
          i = j;
        }
        break;
      case 'palette-rle':
        out[o++] = 128 + colours;
        for (let c = 0; c < colours; c++) pixel(this.#table.colours[c]!);
        for (let i = 0; i < n;) {
          let j = i + 1;
          while (j < n && tile[j] === tile[i]) j++;
          if (j - i === 1) {
            out[o++] = idx[i]!;
          } else {
            out[o++] = idx[i]! | 0x80;
            runLength(j - i);
          }
          i = j;
        }
        break;
      case 'packed': {
        out[o++] = colours;
        for (let c = 0; c < colours; c++) pixel(this.#table.colours[c]!);
        const bits = colours <= 2 ? 1 : colours <= 4 ? 2 : 4;
        for (let row = 0, i = 0; row < h; row++) {
          let acc = 0;
          let filled = 0;
          for (let col = 0; col < w; col++, i++) {
            acc = (acc << bits) | idx[i]!;
            filled += bits;
            if (filled === 8) {
              out[o++] = acc;
              acc = 0;
              filled = 0;
            }
          }
          if (filled > 0) out[o++] = acc << (8 - filled);
        }
        break;
      }
    }
    this.#o = o;
  }

  /** Palette of the tile in #table and each pixel's index in #indices; 0 when over 127 colours. */
  #countColours(n: number): number {
    const table = this.#table;
    const tile = this.#tile;
    const idx = this.#indices;
    let lastKey = -1;
    let lastIndex = 0;
    table.clear();
    for (let i = 0; i < n; i++) {
      const key = tile[i]!;
      if (key !== lastKey) {
        lastIndex = table.indexOf(key);
        if (lastIndex < 0) return 0;
        lastKey = key;
      }
      idx[i] = lastIndex;
    }
    return table.count;
  }
}
