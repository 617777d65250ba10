import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32, deflateSync } from 'node:zlib';

/**
 * Images as test helpers see them: 3 bytes a pixel (R, G, B), rows top to bottom, no padding. Every
 * source is converted to this one layout (QEMU screendump PPM, xwd dumps, canvas RGBA, the gateway's
 * RGBX Framebuffer) so one comparison function serves all of them.
 */
export interface RgbImage {
  width: number;
  height: number;
  rgb: Buffer;
}

export interface Region {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface PixelMismatch {
  x: number;
  y: number;
  a: [number, number, number];
  b: [number, number, number];
}

export interface ImageComparison {
  /** False when the sizes differ; then `differing` counts every pixel of the larger area. */
  sameSize: boolean;
  /** Pixels whose channels differ by more than the tolerance. */
  differing: number;
  /** The first differing pixel in row-major order, if any. */
  firstMismatch: PixelMismatch | undefined;
}

// ---------------------------------------------------------------------------------------------
// PPM (netpbm P6): what QEMU's QMP `screendump` writes by default (ui/console.c ppm_save).
// ---------------------------------------------------------------------------------------------

/** Parses a binary P6 PPM with maxval 255. Comments (`#` to end of line) are allowed in the header. */
export function parsePpm(data: Buffer): RgbImage {
  let pos = 0;
  const token = (): string => {
    // netpbm: tokens are separated by whitespace; a '#' starts a comment that runs to end of line.
    for (;;) {
      while (pos < data.length && isSpace(data[pos]!)) pos++;
      if (data[pos] !== 0x23) break;
      while (pos < data.length && data[pos] !== 0x0a) pos++;
    }
    const start = pos;
    while (pos < data.length && !isSpace(data[pos]!)) pos++;
    if (start === pos) throw new Error('PPM: header truncated');
    return data.toString('latin1', start, pos);
  };
  const magic = token();
  if (magic !== 'P6') throw new Error(`PPM: magic ${JSON.stringify(magic)} is not P6`);
  const width = parseDecimal(token(), 'width');
  const height = parseDecimal(token(), 'height');
  const maxval = parseDecimal(token(), 'maxval');
  if (maxval !== 255) throw new Error(`PPM: maxval ${maxval} unsupported (only 255)`);
  pos++; // exactly one whitespace byte separates the header from the raster
  const size = width * height * 3;
  if (data.length - pos < size) throw new Error(`PPM: raster has ${data.length - pos} bytes, expected ${size}`);
  return { width, height, rgb: Buffer.from(data.subarray(pos, pos + size)) };
}

function isSpace(byte: number): boolean {
  return byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d || byte === 0x0b || byte === 0x0c;
}

function parseDecimal(text: string, field: string): number {
  if (!/^[0-9]{1,6}$/.test(text)) throw new Error(`PPM: ${field} ${JSON.stringify(text)} is not a number`);
  return Number(text);
}

// ---------------------------------------------------------------------------------------------
// XWD (X Window Dump, file_version 7): what `xwd -root` writes. Layout from X11/XWDFile.h: a header
// of CARD32 fields, the window name, `ncolors` 12-byte XWDColor entries, then the pixmap. xwd writes
// the header and colours most-significant byte first; the pixels follow the server's byte_order.
// ---------------------------------------------------------------------------------------------

const XWD_FILE_VERSION = 7;
const XWD_HEADER_FIELDS = 25;
const XWD_COLOR_SIZE = 12;
const Z_PIXMAP = 2;
const LSB_FIRST = 0;

/** Parses a ZPixmap XWD dump of a TrueColor/DirectColor visual with 16, 24 or 32 bits a pixel. */
export function parseXwd(data: Buffer): RgbImage {
  if (data.length < XWD_HEADER_FIELDS * 4) throw new Error('XWD: header truncated');
  const f = (i: number): number => data.readUInt32BE(i * 4);
  const headerSize = f(0);
  if (f(1) !== XWD_FILE_VERSION) throw new Error(`XWD: file_version ${f(1)} is not ${XWD_FILE_VERSION}`);
  if (f(2) !== Z_PIXMAP) throw new Error(`XWD: pixmap_format ${f(2)} is not ZPixmap`);
  const width = f(4);
  const height = f(5);
  const byteOrder = f(7);
  const bitsPerPixel = f(11);
  const bytesPerLine = f(12);
  const masks = [f(14), f(15), f(16)] as const;
  const ncolors = f(19);
  if (width === 0 || height === 0 || width > 16384 || height > 16384) {
    throw new Error(`XWD: implausible size ${width}x${height}`);
  }
  if (bitsPerPixel !== 16 && bitsPerPixel !== 24 && bitsPerPixel !== 32) {
    throw new Error(`XWD: ${bitsPerPixel} bits per pixel unsupported`);
  }
  const bytesPerPixel = bitsPerPixel / 8;
  if (bytesPerLine < width * bytesPerPixel) throw new Error(`XWD: bytes_per_line ${bytesPerLine} too small`);
  const pixelsAt = headerSize + ncolors * XWD_COLOR_SIZE;
  if (data.length < pixelsAt + bytesPerLine * height) throw new Error('XWD: pixmap truncated');

  const channels = masks.map((mask) => {
    if (mask === 0) throw new Error('XWD: zero colour mask (not a TrueColor visual)');
    let shift = 0;
    while (((mask >>> shift) & 1) === 0) shift++;
    const max = mask >>> shift;
    return { mask, shift, max };
  });
  const rgb = Buffer.alloc(width * height * 3);
  const little = byteOrder === LSB_FIRST;
  for (let y = 0; y < height; y++) {
    let src = pixelsAt + y * bytesPerLine;
    let dst = y * width * 3;
    for (let x = 0; x < width; x++, src += bytesPerPixel) {
      const pixel = readPixel(data, src, bytesPerPixel, little);
      for (const { mask, shift, max } of channels) {
        const v = (pixel & mask) >>> shift;
        rgb[dst++] = max === 255 ? v : Math.round((v * 255) / max);
      }
    }
  }
  return { width, height, rgb };
}

/**
 * The reverse of parseXwd, for showing a picture on an X server with `xwud`: a ZPixmap XWD of a
 * TrueColor visual, depth 24, 32 bits a pixel, most significant byte first (X11 XWDFile.h).
 */
export function encodeXwd(image: RgbImage, name = 'bmcgw'): Buffer {
  const nameBytes = Buffer.from(`${name}\0`, 'latin1');
  const headerSize = XWD_HEADER_FIELDS * 4 + nameBytes.length;
  const { width, height } = image;
  const fields = [
    headerSize,
    XWD_FILE_VERSION,
    Z_PIXMAP,
    24,
    width,
    height,
    0,
    1,
    32,
    1,
    32,
    32,
    width * 4, // byte_order MSBFirst, bitmap unit/bit order/pad, bits_per_pixel, bytes_per_line
    4,
    0xff0000,
    0xff00,
    0xff,
    8,
    0,
    0, // TrueColor, masks, bits_per_rgb, colormap_entries, ncolors
    width,
    height,
    0,
    0,
    0, // window size, position, border
  ];
  const out = Buffer.alloc(headerSize + width * height * 4);
  fields.forEach((v, i) => out.writeUInt32BE(v, i * 4));
  nameBytes.copy(out, XWD_HEADER_FIELDS * 4);
  for (let i = 0; i < width * height; i++) {
    const o = headerSize + i * 4;
    out[o + 1] = image.rgb[i * 3]!;
    out[o + 2] = image.rgb[i * 3 + 1]!;
    out[o + 3] = image.rgb[i * 3 + 2]!;
  }
  return out;
}

function readPixel(data: Buffer, at: number, bytes: number, little: boolean): number {
  switch (bytes) {
    case 2:
      return little ? data.readUInt16LE(at) : data.readUInt16BE(at);
    case 3:
      return little ? data.readUIntLE(at, 3) : data.readUIntBE(at, 3);
    default:
      return little ? data.readUInt32LE(at) : data.readUInt32BE(at);
  }
}

// ---------------------------------------------------------------------------------------------
// Conversions, comparison, inspection.
// ---------------------------------------------------------------------------------------------

/** From 4-byte pixels (canvas RGBA, or the gateway Framebuffer's RGBX): drops the 4th byte. */
export function fromRgba(width: number, height: number, rgba: Uint8Array | Uint8ClampedArray): RgbImage {
  if (rgba.length < width * height * 4) throw new Error(`RGBA buffer has ${rgba.length} bytes for ${width}x${height}`);
  const rgb = Buffer.alloc(width * height * 3);
  for (let i = 0, o = 0; o < rgb.length; i += 4, o += 3) {
    rgb[o] = rgba[i]!;
    rgb[o + 1] = rgba[i + 1]!;
    rgb[o + 2] = rgba[i + 2]!;
  }
  return { width, height, rgb };
}

/** Same as fromRgba: the X byte of RGBX is ignored. */
export const fromRgbx = fromRgba;

/** Copies a region out of an image. */
export function crop(image: RgbImage, region: Region): RgbImage {
  checkRegion(image, region);
  const rgb = Buffer.alloc(region.width * region.height * 3);
  for (let y = 0; y < region.height; y++) {
    const src = ((region.y + y) * image.width + region.x) * 3;
    image.rgb.copy(rgb, y * region.width * 3, src, src + region.width * 3);
  }
  return { width: region.width, height: region.height, rgb };
}

/**
 * Counts pixels that differ between two images (optionally only inside `region`, and allowing each
 * channel to differ by up to `tolerance`). Exact equality is `differing === 0`.
 */
export function compareImages(a: RgbImage, b: RgbImage, options: { region?: Region; tolerance?: number } = {}): ImageComparison {
  const tolerance = options.tolerance ?? 0;
  if (a.width !== b.width || a.height !== b.height) {
    return {
      sameSize: false,
      differing: Math.max(a.width * a.height, b.width * b.height),
      firstMismatch: undefined,
    };
  }
  const region = options.region ?? { x: 0, y: 0, width: a.width, height: a.height };
  checkRegion(a, region);
  let differing = 0;
  let firstMismatch: PixelMismatch | undefined;
  for (let y = region.y; y < region.y + region.height; y++) {
    for (let x = region.x; x < region.x + region.width; x++) {
      const i = (y * a.width + x) * 3;
      if (
        Math.abs(a.rgb[i]! - b.rgb[i]!) > tolerance ||
        Math.abs(a.rgb[i + 1]! - b.rgb[i + 1]!) > tolerance ||
        Math.abs(a.rgb[i + 2]! - b.rgb[i + 2]!) > tolerance
      ) {
        differing++;
        firstMismatch ??= { x, y, a: pixelAt(a, x, y), b: pixelAt(b, x, y) };
      }
    }
  }
  return { sameSize: true, differing, firstMismatch };
}

/** One-line description of a comparison, for assertion messages. */
export function describeComparison(c: ImageComparison): string {
  if (!c.sameSize) return 'images differ in size';
  if (c.firstMismatch === undefined) return 'images are identical';
  const m = c.firstMismatch;
  return `${c.differing} pixels differ; first at (${m.x},${m.y}): ${m.a.join(',')} vs ${m.b.join(',')}`;
}

/**
 * Throws (with the first mismatch in the message) unless at most `maxDiffering` pixels differ.
 * For tests that compare what a viewer drew with what the peer shows.
 */
export function assertImagesMatch(
  actual: RgbImage,
  expected: RgbImage,
  options: { maxDiffering?: number; region?: Region; tolerance?: number } = {},
): ImageComparison {
  if (actual.width !== expected.width || actual.height !== expected.height) {
    throw new Error(`image is ${actual.width}x${actual.height}, expected ${expected.width}x${expected.height}`);
  }
  const comparison = compareImages(actual, expected, options);
  if (comparison.differing > (options.maxDiffering ?? 0)) throw new Error(describeComparison(comparison));
  return comparison;
}

export function pixelAt(image: RgbImage, x: number, y: number): [number, number, number] {
  const i = (y * image.width + x) * 3;
  return [image.rgb[i]!, image.rgb[i + 1]!, image.rgb[i + 2]!];
}

/** Number of distinct colours (stops counting at `limit`). A blank screen has exactly one. */
export function countColours(image: RgbImage, limit = 1 << 16): number {
  const seen = new Set<number>();
  for (let i = 0; i < image.rgb.length && seen.size < limit; i += 3) {
    seen.add((image.rgb[i]! << 16) | (image.rgb[i + 1]! << 8) | image.rgb[i + 2]!);
  }
  return seen.size;
}

/** True when every pixel has the same colour. */
export function isBlank(image: RgbImage): boolean {
  return countColours(image, 2) <= 1;
}

/** Encodes an image as PNG (8-bit RGB, no filtering): for saving what a failing test saw. */
export function encodePng(image: RgbImage): Buffer {
  const stride = image.width * 3;
  const raw = Buffer.alloc((stride + 1) * image.height);
  for (let y = 0; y < image.height; y++) {
    raw[y * (stride + 1)] = 0; // filter type None (PNG spec, section 9.2)
    image.rgb.copy(raw, y * (stride + 1) + 1, y * stride, (y + 1) * stride);
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(image.width, 0);
  ihdr.writeUInt32BE(image.height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // bit depth 8, colour type 2 (truecolour), deflate, no filter, no interlace
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', deflateSync(raw)),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

let savedCount = 0;

/**
 * Writes `image` as a PNG under os.tmpdir() and returns the path (or a note why it could not), so a
 * timed-out wait can say what the screen looked like instead. Not removed automatically.
 */
export function saveForDebugging(image: RgbImage, label: string): string {
  const path = join(tmpdir(), `bmcgw-${label}-${process.pid}-${Date.now()}-${savedCount++}.png`);
  try {
    writeFileSync(path, encodePng(image));
    return path;
  } catch (error) {
    return `not saved: ${String(error)}`;
  }
}

function pngChunk(type: string, body: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(body.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), body])), 0);
  return Buffer.concat([head, body, crc]);
}

function checkRegion(image: RgbImage, r: Region): void {
  if (r.x < 0 || r.y < 0 || r.width < 0 || r.height < 0 || r.x + r.width > image.width || r.y + r.height > image.height) {
    throw new Error(`region ${r.width}x${r.height}+${r.x}+${r.y} outside ${image.width}x${image.height} image`);
  }
}
