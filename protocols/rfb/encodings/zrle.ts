import type { ByteQueue } from '../../byte-queue.js';
import { RfbError } from '../../errors.js';
import type { Framebuffer } from '../framebuffer.js';
import { compressedLengthLimit } from './compressed-length.js';
import { Inflater } from './inflater.js';
import { fillWord, PixelReader, storeWord } from './pixel-reader.js';
import type { RectDecoder, RectHeader } from './types.js';

export const ZRLE_TILE = 64;

/**
 * Most bytes the inflated data of a w x h rectangle can honestly hold with `cpixel`-byte CPIXELs:
 * per pixel at most cpixel + 1 (plain RLE runs of one: CPIXEL + a length byte), per tile a
 * subencoding byte and a palette of up to 127 CPIXELs.
 */
export function zrleMaxInflated(w: number, h: number, cpixel = 3): number {
  const tiles = Math.ceil(w / ZRLE_TILE) * Math.ceil(h / ZRLE_TILE);
  return w * h * (cpixel + 1) + tiles * (1 + 127 * cpixel);
}

/**
 * ZRLE (RFC 6143 §7.7.6): a U32 length, then zlib data from the connection's one stream which
 * inflates to 64x64 tiles, left to right, top to bottom, of CPIXELs (3 bytes R, G, B in our own
 * format; PixelReader.cpixelBytes in general). The rectangle is decoded once all its compressed
 * bytes are buffered; the inflated data must be used up exactly by its tiles.
 */
export class ZrleDecoder implements RectDecoder {
  readonly #inflater = new Inflater();
  readonly #px: PixelReader;
  /** The tile's palette as RGBX words. */
  readonly #palette = new Uint32Array(128);

  constructor(pixels: PixelReader = new PixelReader()) {
    this.#px = pixels;
  }

  decodeRect(q: ByteQueue, rect: RectHeader, fb: Framebuffer): boolean {
    if (!q.has(4)) return false;
    const maxInflated = zrleMaxInflated(rect.width, rect.height, this.#px.cpixelBytes);
    const length = q.peekUint32BE(0);
    const limit = compressedLengthLimit(maxInflated);
    if (length > limit) {
      throw new RfbError(
        'RFB_ERR_COMPRESSED_LENGTH',
        `${length} compressed bytes for a ${rect.width}x${rect.height} rectangle (limit ${limit})`,
        'zrle.length',
      );
    }
    if (!q.has(4 + length)) return false;
    q.skip(4);
    const data = this.#inflater.inflate(q.consume(length), maxInflated, 'zrle.data');
    let o = 0;
    for (let ty = 0; ty < rect.height; ty += ZRLE_TILE) {
      const th = Math.min(ZRLE_TILE, rect.height - ty);
      for (let tx = 0; tx < rect.width; tx += ZRLE_TILE) {
        const tw = Math.min(ZRLE_TILE, rect.width - tx);
        o = this.#tile(data, o, fb, rect.x + tx, rect.y + ty, tw, th);
      }
    }
    if (o !== data.length) {
      throw new RfbError('RFB_ERR_ZRLE_TRAILING_DATA', `${data.length - o} inflated bytes left after the last tile`, 'zrle.data');
    }
    return true;
  }

  /** Decodes one tile starting at `o` of `d`; returns the offset after it. */
  #tile(d: Buffer, o: number, fb: Framebuffer, x: number, y: number, tw: number, th: number): number {
    const px = this.#px;
    const cp = px.cpixelBytes;
    need(d, o, 1);
    const sub = d[o++]!;
    const f = fb.data;
    const stride = fb.width * 4;
    if (sub === 0) {
      need(d, o, tw * th * cp);
      if (px.rgbx) fb.putRgb(x, y, tw, th, d, o);
      else drawCpixels(fb, x, y, tw, th, d, o, px);
      return o + tw * th * cp;
    }
    if (sub === 1) {
      need(d, o, cp);
      fillWord(fb, x, y, tw, th, px.cpixel(d, o));
      return o + cp;
    }
    if ((sub > 16 && sub < 128) || sub === 129) {
      throw new RfbError('RFB_ERR_ZRLE_SUBENCODING', `undefined tile subencoding ${sub}`, 'zrle.subencoding');
    }
    const pal = this.#palette;
    const colours = sub === 128 ? 0 : sub & 0x7f;
    need(d, o, colours * cp);
    for (let i = 0; i < colours; i++, o += cp) pal[i] = px.cpixel(d, o);
    if (sub <= 16) {
      // Packed palette: 1, 2 or 4 bits an index, most significant first, rows padded to a byte.
      const bits = colours <= 2 ? 1 : colours <= 4 ? 2 : 4;
      const rowBytes = Math.ceil((tw * bits) / 8);
      need(d, o, rowBytes * th);
      const mask = (1 << bits) - 1;
      for (let row = 0; row < th; row++) {
        let p = (y + row) * stride + x * 4;
        const r0 = o + row * rowBytes;
        for (let col = 0; col < tw; col++, p += 4) {
          const bit = col * bits;
          const index = (d[r0 + (bit >> 3)]! >> (8 - bits - (bit & 7))) & mask;
          if (index >= colours) throw new RfbError('RFB_ERR_ZRLE_PALETTE_INDEX', `index ${index} into a ${colours}-colour palette`, 'zrle.packed-palette');
          storeWord(f, p, pal[index]!);
        }
      }
      return o + rowBytes * th;
    }
    // Plain RLE (128) or palette RLE (130..255): runs in pixel order across the whole tile.
    const pixels = tw * th;
    let done = 0;
    let col = 0;
    let p = y * stride + x * 4;
    while (done < pixels) {
      let colour: number;
      let hasRun = true;
      if (colours === 0) {
        need(d, o, cp);
        colour = px.cpixel(d, o);
        o += cp;
      } else {
        need(d, o, 1);
        const index = d[o]! & 0x7f;
        if (index >= colours) throw new RfbError('RFB_ERR_ZRLE_PALETTE_INDEX', `index ${index} into a ${colours}-colour palette`, 'zrle.palette-rle');
        colour = pal[index]!;
        hasRun = (d[o++]! & 0x80) !== 0;
      }
      // Run length: bytes summed while they are 255, plus one.
      let run = 1;
      while (hasRun) {
        need(d, o, 1);
        const v = d[o++]!;
        run += v;
        // Checked per byte so a long chain of 255s is refused as soon as it passes the tile.
        if (run > pixels - done) {
          throw new RfbError('RFB_ERR_ZRLE_RUN_LENGTH', `run of ${run}+ with ${pixels - done} pixels left in the tile`, 'zrle.run-length');
        }
        hasRun = v === 255;
      }
      for (let i = 0; i < run; i++) {
        storeWord(f, p, colour);
        p += 4;
        if (++col === tw) {
          col = 0;
          p += stride - tw * 4;
        }
      }
      done += run;
    }
    return o;
  }
}

/** A raw tile of CPIXELs in a format other than ours. */
function drawCpixels(fb: Framebuffer, x: number, y: number, w: number, h: number, d: Buffer, o: number, px: PixelReader): void {
  const cp = px.cpixelBytes;
  for (let row = 0; row < h; row++) {
    let p = ((y + row) * fb.width + x) * 4;
    for (let col = 0; col < w; col++, p += 4, o += cp) storeWord(fb.data, p, px.cpixel(d, o));
  }
}

function need(d: Buffer, o: number, n: number): void {
  if (o + n > d.length) throw new RfbError('RFB_ERR_ZRLE_TRUNCATED', 'inflated data ends inside a tile', 'zrle.data');
}
