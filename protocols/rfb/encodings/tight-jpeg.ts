import jpeg from 'jpeg-js';
import { RfbError } from '../../errors.js';
import type { Framebuffer } from '../framebuffer.js';
import type { RectHeader } from './types.js';

/**
 * Tight's JpegCompression (rfbproto "Tight Encoding": compression-control 0x9, then a compact length
 * and a complete JFIF image of exactly the rectangle's size, in the server's own choice of quality and
 * chroma subsampling). Servers send it only to clients that list a JPEG quality pseudo-encoding —
 * except OpenBMC's obmc-ikvm, which sends the ASPEED video engine's JPEG frames as one full-screen
 * Tight rectangle whatever the client asked for (ikvm_server.cpp, Server::sendFrame).
 *
 * The pixels are decoded by jpeg-js (pure JavaScript, no I/O). Before handing it anything we read
 * the frame header ourselves, so a JPEG whose size is not the rectangle's is refused before any
 * allocation, and jpeg-js's own memory bound is set from the rectangle's size. Whatever jpeg-js
 * throws on corrupt data becomes RFB_ERR_TIGHT_JPEG.
 */

/** A JPEG holds tables and markers besides the scan: headroom over the raw pixel size. */
const JPEG_OVERHEAD_BYTES = 64 * 1024;

/** Largest JPEG we wait for in a rectangle of `pixels` pixels (compact lengths stop at 4 MiB anyway). */
export function jpegLengthLimit(pixels: number): number {
  return pixels * 4 + JPEG_OVERHEAD_BYTES;
}

/** SOFn markers (ITU T.81 Table B.1): C0..CF except DHT (C4), JPG (C8) and DAC (CC). */
function isStartOfFrame(marker: number): boolean {
  return marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
}

/**
 * The image size in the JPEG's frame header (T.81 §B.2.2), walking the marker segments from SOI.
 * Throws RFB_ERR_TIGHT_JPEG when there is no SOI, a segment runs past the end, or no frame header
 * comes before the first scan.
 */
export function jpegFrameSize(data: Uint8Array): { width: number; height: number } {
  const bad = (why: string) => new RfbError('RFB_ERR_TIGHT_JPEG', why, 'tight.jpeg');
  if (data.length < 4 || data[0] !== 0xff || data[1] !== 0xd8) throw bad('the data does not start with a JPEG SOI marker');
  let off = 2;
  while (off + 4 <= data.length) {
    if (data[off] !== 0xff) throw bad(`expected a marker at offset ${off}, found 0x${data[off]!.toString(16)}`);
    const marker = data[off + 1]!;
    if (marker === 0xff) {
      off++; // fill byte (T.81 §B.1.1.2)
      continue;
    }
    const length = (data[off + 2]! << 8) | data[off + 3]!;
    if (length < 2 || off + 2 + length > data.length) throw bad(`marker 0x${marker.toString(16)} segment of ${length} bytes runs past the end`);
    if (isStartOfFrame(marker)) {
      if (length < 8) throw bad('frame header too short');
      return { height: (data[off + 5]! << 8) | data[off + 6]!, width: (data[off + 7]! << 8) | data[off + 8]! };
    }
    if (marker === 0xda || marker === 0xd9) break; // SOS / EOI before any frame header
    off += 2 + length;
  }
  throw bad('no JPEG frame header before the image data');
}

/** Decodes one Tight JPEG rectangle into `fb` (bounds already checked). Does not keep `data`. */
export function decodeTightJpeg(data: Uint8Array, rect: RectHeader, fb: Framebuffer): void {
  const { width, height } = jpegFrameSize(data);
  if (width !== rect.width || height !== rect.height) {
    throw new RfbError('RFB_ERR_TIGHT_JPEG', `a ${width}x${height} JPEG in a ${rect.width}x${rect.height} rectangle`, 'tight.jpeg');
  }
  const pixels = width * height;
  let image: { width: number; height: number; data: Uint8Array };
  try {
    image = jpeg.decode(data, {
      useTArray: true,
      formatAsRGBA: false,
      // Corrupt data is an error, not a partly drawn picture (jpeg-js skips missing blocks otherwise).
      tolerantDecoding: false,
      maxResolutionInMP: Math.max(1, Math.ceil(pixels / 1e6)),
      // What jpeg-js counts at 4:4:4, the most it can need for this size: 256 bytes per 8x8 block
      // (4 a pixel) and 1 a pixel of output lines per component, 3 a pixel of image; 24 leaves room.
      maxMemoryUsageInMB: 2 + Math.ceil((pixels * 24) / (1 << 20)),
    });
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new RfbError('RFB_ERR_TIGHT_JPEG', `corrupt JPEG data: ${why.slice(0, 200)}`, 'tight.jpeg');
  }
  if (image.width !== width || image.height !== height || image.data.length !== pixels * 3) {
    throw new RfbError('RFB_ERR_TIGHT_JPEG', `the JPEG decoded to ${image.width}x${image.height}, not ${width}x${height}`, 'tight.jpeg');
  }
  fb.putRgb(rect.x, rect.y, width, height, image.data);
}
