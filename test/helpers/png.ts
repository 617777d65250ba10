import { readFileSync } from 'node:fs';
import { inflateSync } from 'node:zlib';
import { crc32 } from '../../src/util/png.js';
import { fromRgbx, type RgbImage } from './images.js';

/**
 * Reads back a PNG written by src/util/png.ts (8-bit RGB, filter 0 on every row): checks the
 * signature and every chunk's CRC, returns the size and the inflated rows (a filter byte, then RGB).
 */
export function readPng(file: string): { width: number; height: number; rgb: Buffer } {
  return parsePng(readFileSync(file), file);
}

/** readPng for a PNG in memory; `file` names it in errors. */
export function parsePng(b: Buffer, file = 'PNG'): { width: number; height: number; rgb: Buffer } {
  if (!b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) throw new Error(`${file}: not a PNG signature`);
  let o = 8;
  let width = 0;
  let height = 0;
  const idat: Buffer[] = [];
  while (o < b.length) {
    const len = b.readUInt32BE(o);
    const type = b.toString('latin1', o + 4, o + 8);
    if (b.readUInt32BE(o + 8 + len) !== crc32(b.subarray(o + 4, o + 8 + len))) throw new Error(`${file}: bad CRC on ${type}`);
    if (type === 'IHDR') {
      width = b.readUInt32BE(o + 8);
      height = b.readUInt32BE(o + 12);
    }
    if (type === 'IDAT') idat.push(b.subarray(o + 8, o + 8 + len));
    o += 12 + len;
  }
  return { width, height, rgb: inflateSync(Buffer.concat(idat)) };
}

/** The PNG's pixels as RGBX (4 bytes a pixel, X = 0), to compare with a Framebuffer's data. */
export function readPngRgbx(file: string): { width: number; height: number; rgbx: Buffer } {
  return pngRgbx(readPng(file));
}

/** A parsed PNG's rows as RGBX (4 bytes a pixel, X = 0). */
export function pngRgbx({ width, height, rgb }: { width: number; height: number; rgb: Buffer }): { width: number; height: number; rgbx: Buffer } {
  const rgbx = Buffer.alloc(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) rgb.copy(rgbx, (y * width + x) * 4, y * (width * 3 + 1) + 1 + x * 3, y * (width * 3 + 1) + 4 + x * 3);
  }
  return { width, height, rgbx };
}

/** A PNG in memory as the RgbImage the comparison helpers (images.ts) take. */
export function pngImage(b: Buffer): RgbImage {
  const { width, height, rgbx } = pngRgbx(parsePng(b));
  return fromRgbx(width, height, rgbx);
}
