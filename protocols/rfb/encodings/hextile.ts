import type { ByteQueue } from '../../byte-queue.js';
import { RfbError } from '../../errors.js';
import type { Framebuffer } from '../framebuffer.js';
import { fillWord, PixelReader } from './pixel-reader.js';
import type { RectDecoder, RectHeader } from './types.js';

/** §7.7.4 subencoding mask bits. */
const RAW = 1;
const BACKGROUND_SPECIFIED = 2;
const FOREGROUND_SPECIFIED = 4;
const ANY_SUBRECTS = 8;
const SUBRECTS_COLOURED = 16;
const KNOWN_BITS = 31;
const TILE = 16;

/**
 * Hextile (§7.7.4), PIXELs in the agreed format: 16x16 tiles left to right, top to bottom, each with its own subencoding.
 * Resumable per tile: a tile is decoded only once all its bytes are buffered (its length is known
 * from peeking at its first bytes), and the tile index and the background/foreground colours — which
 * carry over from one tile to the next — are kept between calls.
 */
export class HextileDecoder implements RectDecoder {
  readonly #px: PixelReader;
  #tile = 0;
  /** Background and foreground as RGBX words; both carry over from tile to tile (§7.7.4). */
  #bg = 0;
  #fg = 0;

  constructor(pixels: PixelReader = new PixelReader()) {
    this.#px = pixels;
  }

  decodeRect(q: ByteQueue, rect: RectHeader, fb: Framebuffer): boolean {
    const tilesX = Math.ceil(rect.width / TILE);
    const tiles = tilesX * Math.ceil(rect.height / TILE);
    while (this.#tile < tiles) {
      const tx = (this.#tile % tilesX) * TILE;
      const ty = Math.floor(this.#tile / tilesX) * TILE;
      const tw = Math.min(TILE, rect.width - tx);
      const th = Math.min(TILE, rect.height - ty);
      const need = tileLength(q, tw, th, this.#px.bytesPerPixel);
      if (need < 0 || !q.has(need)) return false;
      this.#decodeTile(q.consume(need), rect.x + tx, rect.y + ty, tw, th, fb);
      this.#tile++;
    }
    this.#tile = 0;
    return true;
  }

  #decodeTile(t: Buffer, x: number, y: number, tw: number, th: number, fb: Framebuffer): void {
    const px = this.#px;
    const bpp = px.bytesPerPixel;
    const sub = t[0]!;
    if (sub & RAW) {
      px.putPixels(fb, x, y, tw, th, t, 1);
      return;
    }
    let o = 1;
    if (sub & BACKGROUND_SPECIFIED) {
      this.#bg = px.pixel(t, o);
      o += bpp;
    }
    fillWord(fb, x, y, tw, th, this.#bg);
    if (sub & FOREGROUND_SPECIFIED) {
      this.#fg = px.pixel(t, o);
      o += bpp;
    }
    if (!(sub & ANY_SUBRECTS)) return;
    const count = t[o++]!;
    const coloured = (sub & SUBRECTS_COLOURED) !== 0;
    for (let i = 0; i < count; i++) {
      let colour = this.#fg;
      if (coloured) {
        colour = px.pixel(t, o);
        o += bpp;
      }
      const sx = t[o]! >> 4;
      const sy = t[o]! & 15;
      const sw = (t[o + 1]! >> 4) + 1;
      const sh = (t[o + 1]! & 15) + 1;
      o += 2;
      if (sx + sw > tw || sy + sh > th) {
        throw new RfbError('RFB_ERR_HEXTILE_SUBRECT_BOUNDS', `subrectangle ${sw}x${sh}+${sx}+${sy} outside the ${tw}x${th} tile`, 'hextile.subrectangle');
      }
      fillWord(fb, x + sx, y + sy, sw, sh, colour);
    }
  }
}

/**
 * Total bytes of the next tile (subencoding byte included), or -1 when too few bytes are buffered to
 * know yet. Throws RFB_ERR_HEXTILE_SUBENCODING for mask bits §7.7.4 does not define.
 */
function tileLength(q: ByteQueue, tw: number, th: number, bpp: number): number {
  if (!q.has(1)) return -1;
  const sub = q.peekUint8(0);
  if (sub & ~KNOWN_BITS) {
    throw new RfbError('RFB_ERR_HEXTILE_SUBENCODING', `undefined subencoding bits 0x${sub.toString(16)}`, 'hextile.subencoding');
  }
  if (sub & RAW) return 1 + tw * th * bpp;
  let n = 1;
  if (sub & BACKGROUND_SPECIFIED) n += bpp;
  if (sub & FOREGROUND_SPECIFIED) n += bpp;
  if (!(sub & ANY_SUBRECTS)) return n;
  if (!q.has(n + 1)) return -1;
  const count = q.peekUint8(n);
  return n + 1 + count * (sub & SUBRECTS_COLOURED ? bpp + 2 : 2);
}
