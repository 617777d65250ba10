import type { ByteQueue } from '../../byte-queue.js';
import { RfbError } from '../../errors.js';
import type { Framebuffer } from '../framebuffer.js';
import { compressedLengthLimit } from './compressed-length.js';
import { Inflater } from './inflater.js';
import type { RectDecoder, RectHeader } from './types.js';

export const ZRLE_TILE = 64;
/** CPIXEL of our 32-bpp depth-24 format: the 3 low bytes, i.e. R, G, B (RFC 6143 §7.7.6 ZRLE). */
const CPIXEL = 3;
/** Most palette bytes a tile can carry (palette RLE with 127 colours). */
const MAX_PALETTE_BYTES = 127 * CPIXEL;

/**
 * Most bytes the inflated data of a w x h rectangle can honestly hold: per pixel at most 4 (plain RLE
 * runs of one: CPIXEL + a length byte), per tile a subencoding byte and a palette.
 */
export function zrleMaxInflated(w: number, h: number): number {
  const tiles = Math.ceil(w / ZRLE_TILE) * Math.ceil(h / ZRLE_TILE);
  return w * h * 4 + tiles * (1 + MAX_PALETTE_BYTES);
}

/**
 * ZRLE (RFC 6143 §7.7.6): a U32 length, then zlib data from the connection's one stream which
 * inflates to 64x64 tiles, left to right, top to bottom. The rectangle is decoded once all its
 * compressed bytes are buffered; the inflated data must be used up exactly by its tiles.
 */
export class ZrleDecoder implements RectDecoder {
  readonly #inflater = new Inflater();
  readonly #palette = new Uint8Array(128 * CPIXEL);

  decodeRect(q: ByteQueue, rect: RectHeader, fb: Framebuffer): boolean {
    if (!q.has(4)) return false;
    const maxInflated = zrleMaxInflated(rect.width, rect.height);
    const length = q.peekUint32BE(0);
    const limit = compressedLengthLimit(maxInflated);
    if (length > limit) {
      throw new RfbError('RFB_ERR_COMPRESSED_LENGTH', `${length} compressed bytes for a ${rect.width}x${rect.height} rectangle (limit ${limit})`, 'zrle.length');
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
    need(d, o, 1);
    const sub = d[o++]!;
    const f = fb.data;
    const stride = fb.width * 4;
    if (sub === 0) {
      need(d, o, tw * th * CPIXEL);
      fb.putRgb(x, y, tw, th, d, o);
      return o + tw * th * CPIXEL;
    }
    if (sub === 1) {
      need(d, o, CPIXEL);
      fb.fillRect(x, y, tw, th, d[o]!, d[o + 1]!, d[o + 2]!);
      return o + CPIXEL;
    }
    if ((sub > 16 && sub < 128) || sub === 129) {
      throw new RfbError('RFB_ERR_ZRLE_SUBENCODING', `undefined tile subencoding ${sub}`, 'zrle.subencoding');
    }
    const pal = this.#palette;
    const colours = sub === 128 ? 0 : sub & 0x7f;
    need(d, o, colours * CPIXEL);
    pal.set(d.subarray(o, o + colours * CPIXEL));
    o += colours * CPIXEL;
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
          f[p] = pal[index * 3]!;
          f[p + 1] = pal[index * 3 + 1]!;
          f[p + 2] = pal[index * 3 + 2]!;
          f[p + 3] = 0;
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
      let r: number;
      let g: number;
      let b: number;
      let hasRun = true;
      if (colours === 0) {
        need(d, o, CPIXEL);
        r = d[o]!;
        g = d[o + 1]!;
        b = d[o + 2]!;
        o += CPIXEL;
      } else {
        need(d, o, 1);
        const index = d[o]! & 0x7f;
        if (index >= colours) throw new RfbError('RFB_ERR_ZRLE_PALETTE_INDEX', `index ${index} into a ${colours}-colour palette`, 'zrle.palette-rle');
        r = pal[index * 3]!;
        g = pal[index * 3 + 1]!;
        b = pal[index * 3 + 2]!;
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
        f[p] = r;
        f[p + 1] = g;
        f[p + 2] = b;
        f[p + 3] = 0;
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

function need(d: Buffer, o: number, n: number): void {
  if (o + n > d.length) throw new RfbError('RFB_ERR_ZRLE_TRUNCATED', 'inflated data ends inside a tile', 'zrle.data');
}
