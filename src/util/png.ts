import { deflate, deflateSync } from 'node:zlib';
import { promisify } from 'node:util';

const deflateAsync = promisify(deflate);

/**
 * A minimal PNG encoder (8-bit RGB, no interlace, filter "None" on every row): enough for
 * thumbnails, bug-report frames and test artefacts. `rgbx` is 4 bytes a pixel (R, G, B, ignored),
 * rows top to bottom, exactly `width * height * 4` bytes. Does not keep `rgbx`.
 */
export function encodePng(width: number, height: number, rgbx: Uint8Array): Buffer {
  return pngFile(width, height, deflateSync(pngRows(width, height, rgbx)));
}

/**
 * The same PNG, compressed on libuv's thread pool (node:zlib's async deflate) so a large picture does
 * not hold the event loop: only the copy into PNG rows runs in the caller's turn, which also makes
 * the result a snapshot of `rgbx` as it was at the call. `level` is zlib's (1: fastest).
 */
export async function encodePngAsync(width: number, height: number, rgbx: Uint8Array, level = 1): Promise<Buffer> {
  const rows = pngRows(width, height, rgbx);
  return pngFile(width, height, await deflateAsync(rows, { level }));
}

/** The image's rows as PNG filters them (PNG spec §9): a filter-type byte (0, None), then RGB. */
function pngRows(width: number, height: number, rgbx: Uint8Array): Buffer {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1 || width > 0x7fffffff || height > 0x7fffffff) {
    throw new RangeError(`encodePng: bad size ${width}x${height}`);
  }
  if (rgbx.length !== width * height * 4) {
    throw new RangeError(`encodePng: ${rgbx.length} bytes of pixels for ${width}x${height} (expected ${width * height * 4})`);
  }
  const rowBytes = width * 3 + 1;
  const raw = Buffer.alloc(rowBytes * height);
  for (let y = 0; y < height; y++) {
    let o = y * rowBytes + 1; // byte 0 of each row: filter type 0
    let s = y * width * 4;
    for (let x = 0; x < width; x++, s += 4, o += 3) {
      raw[o] = rgbx[s]!;
      raw[o + 1] = rgbx[s + 1]!;
      raw[o + 2] = rgbx[s + 2]!;
    }
  }
  return raw;
}

function pngFile(width: number, height: number, idat: Buffer): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // colour type: truecolour
  ihdr[10] = 0; // compression
  ihdr[11] = 0; // filter method
  ihdr[12] = 0; // no interlace
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', idat),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

function chunk(type: string, data: Buffer): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'latin1');
  data.copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

const CRC_TABLE = new Uint32Array(256);
for (let n = 0; n < 256; n++) {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  CRC_TABLE[n] = c >>> 0;
}

/** CRC-32 (ISO 3309, as PNG specifies). */
export function crc32(data: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < data.length; i++) c = CRC_TABLE[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
