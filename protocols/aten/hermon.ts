import { AtenError } from '../errors.js';
import { LIMITS } from '../limits.js';
import type { Framebuffer, Rect } from '../rfb/framebuffer.js';

/**
 * Hermon video (encoding 0x59, and 0x00 from old WPCM450 firmware that means the same), the format
 * of Supermicro boards whose BMC is the Nuvoton WPCM450 ("Hermon").
 *
 * Payload = 10-byte sub-header + body:
 *   +0 u8 subType (0 = 16x16 tiles, 1 = raw frame), +1 pad, +2 u32 tile count, +6 u32 total length.
 *   Tiles: count × 518 bytes: u16, u16 (meaning unknown), u8 row, u8 column, 16x16 pixels.
 *   Raw: width × height pixels.
 * Pixels are RGB555 little-endian (v = b0 | b1 << 8; R = v>>10 & 31, G = v>>5 & 31, B = v & 31),
 * whatever the ServerInit pixel format claims. Sources: chicken-aten-ikvm lens.rb and
 * AtenEncodingReader.m, aten-proxy main.cc, kelleyk/noVNC ATEN_HERMON, decaffeine-ipmi rfb.rs.
 *
 * The total-length field is not checked: kelleyk fails on a mismatch with the rectangle's dataLen,
 * mkrasselt1 (tested on X9SCL/X9SCM) only warns, so firmware evidently gets it wrong. The tile
 * count and the data actually present are what is bounded.
 */
export const HERMON_SUBHEADER_BYTES = 10;
export const HERMON_TILE_BYTES = 518;
const TILE = 16;

export interface HermonResult {
  subType: 'tiles' | 'raw';
  tiles: number;
  /**
   * Tiles wholly outside the screen, skipped, and tiles partly outside it, cut at its edge. Neither
   * is an error: 800x600 is 37.5 tile rows (ATENtion warns against treating the overhang as one), and
   * old firmware sends tiles beyond the rectangle. A tile's place is (column, row) × 16 on the
   * screen, whatever the rectangle's x/y (kelleyk and aten-proxy draw it there; every board sends
   * 0, 0 and the screen size as the rectangle), so the screen is what tiles are clipped to.
   */
  tilesOutside: number;
  tilesClipped: number;
  /** Areas written, one rectangle per tile row touched (or the whole screen for raw frames). */
  changed: Rect[];
}

/** Decodes one Hermon payload into `fb` (sized to the screen). Does not keep `data`. */
export function decodeHermon(data: Uint8Array, fb: Framebuffer): HermonResult {
  if (data.length < HERMON_SUBHEADER_BYTES) {
    throw new AtenError('ATEN_ERR_HERMON_TRUNCATED', `${data.length} bytes cannot hold the 10-byte sub-header`, 'hermon.header');
  }
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const subType = data[0]!;
  const body = data.subarray(HERMON_SUBHEADER_BYTES);
  if (subType === 1) {
    const need = fb.width * fb.height * 2;
    if (body.length < need) {
      throw new AtenError('ATEN_ERR_HERMON_TRUNCATED', `raw frame has ${body.length} of ${need} bytes for ${fb.width}x${fb.height}`, 'hermon.raw');
    }
    putRgb555(fb, 0, 0, fb.width, fb.height, body, 0, fb.width);
    return { subType: 'raw', tiles: 0, tilesOutside: 0, tilesClipped: 0, changed: [{ x: 0, y: 0, width: fb.width, height: fb.height }] };
  }
  if (subType !== 0) {
    throw new AtenError('ATEN_ERR_HERMON_SUBTYPE', `sub-type ${subType} is neither 0 (tiles) nor 1 (raw)`, 'hermon.header.sub-type');
  }
  const count = view.getUint32(2);
  if (count > LIMITS.maxHermonTiles) {
    throw new AtenError('ATEN_ERR_LIMIT', `${count} tiles exceed ${LIMITS.maxHermonTiles}`, 'hermon.header.count');
  }
  if (body.length < count * HERMON_TILE_BYTES) {
    throw new AtenError('ATEN_ERR_HERMON_TRUNCATED', `${count} tiles need ${count * HERMON_TILE_BYTES} bytes, ${body.length} present`, 'hermon.tiles');
  }
  const rows = Math.ceil(fb.height / TILE);
  const rowMin = new Int32Array(rows).fill(-1);
  const rowMax = new Int32Array(rows).fill(-1);
  let outside = 0;
  let clipped = 0;
  for (let i = 0; i < count; i++) {
    const o = i * HERMON_TILE_BYTES;
    const row = body[o + 4]!;
    const col = body[o + 5]!;
    const x = col * TILE;
    const y = row * TILE;
    if (x >= fb.width || y >= fb.height) {
      outside++;
      continue;
    }
    const w = Math.min(TILE, fb.width - x);
    const h = Math.min(TILE, fb.height - y);
    if (w < TILE || h < TILE) clipped++;
    putRgb555(fb, x, y, w, h, body, o + 6, TILE);
    if (rowMin[row] === -1 || col < rowMin[row]!) rowMin[row] = col;
    if (col > rowMax[row]!) rowMax[row] = col;
  }
  const changed: Rect[] = [];
  for (let r = 0; r < rows; r++) {
    if (rowMin[r] === -1) continue;
    const x = rowMin[r]! * TILE;
    const y = r * TILE;
    changed.push({ x, y, width: Math.min(fb.width, (rowMax[r]! + 1) * TILE) - x, height: Math.min(fb.height, y + TILE) - y });
  }
  return { subType: 'tiles', tiles: count, tilesOutside: outside, tilesClipped: clipped, changed };
}

/** Writes a w×h area from RGB555 LE pixels laid out `srcWidth` pixels a row. Caller checked bounds. */
function putRgb555(fb: Framebuffer, x0: number, y0: number, w: number, h: number, src: Uint8Array, srcOffset: number, srcWidth: number): void {
  const d = fb.data;
  const stride = fb.width * 4;
  for (let j = 0; j < h; j++) {
    let s = srcOffset + j * srcWidth * 2;
    let o = (y0 + j) * stride + x0 * 4;
    for (let i = 0; i < w; i++, s += 2, o += 4) {
      const v = src[s]! | (src[s + 1]! << 8);
      const r = (v >> 10) & 31;
      const g = (v >> 5) & 31;
      const b = v & 31;
      d[o] = (r << 3) | (r >> 2);
      d[o + 1] = (g << 3) | (g >> 2);
      d[o + 2] = (b << 3) | (b >> 2);
      d[o + 3] = 0;
    }
  }
}
