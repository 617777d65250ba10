import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { ProtocolError } from '../../protocols/errors.js';
import {
  ClientHandshake,
  Encoding,
  Framebuffer,
  ServerMessageReader,
  encodeFramebufferUpdateHeader,
  encodeRectHeader,
  encodeServerInit,
  encodeSetColourMapEntries,
} from '../../protocols/rfb/index.js';
import type { PixelFormat } from '../../protocols/rfb/constants.js';
import { createDecoders, PixelReader, upstreamPixelFormat } from '../../protocols/rfb/encodings/index.js';
import { decodeTightJpeg, jpegFrameSize } from '../../protocols/rfb/encodings/tight-jpeg.js';
import { PROJECT_ROOT } from '../../src/paths.js';
import { filesIn } from '../seeds.js';
import { chunks, type FuzzTarget } from '../types.js';

const isProtocolError = (err: unknown) => err instanceof ProtocolError;

/** Tight's compact length (rfbproto "Tight Encoding": 7 bits a byte, at most 3 bytes). */
function compactLength(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  if (n < 0x4000) return Buffer.from([(n & 0x7f) | 0x80, n >> 7]);
  return Buffer.from([(n & 0x7f) | 0x80, ((n >> 7) & 0x7f) | 0x80, n >> 14]);
}

/** The JPEGs of fixtures/jpeg (cjpeg at the subsamplings, progressive and restart-interval variants BMCs send). */
const jpegs = () => filesIn(join(PROJECT_ROOT, 'fixtures', 'jpeg'), '.jpg').map((f) => readFileSync(f));

/** Tight JPEG rectangles (obmc-ikvm sends every frame this way) through jpeg-js, and through the Tight decoder. */
export const tightJpeg: FuzzTarget = {
  name: 'tight-jpeg',
  description:
    'Tight JpegCompression: jpegFrameSize (marker walk), decodeTightJpeg (jpeg-js, bounded), and the same JPEG as a Tight rectangle in a FramebufferUpdate',
  coverage: ['/protocols/rfb/encodings/tight', '/node_modules/jpeg-js/'],
  seeds: jpegs,
  maxInputBytes: 32 * 1024,
  run(input) {
    let size: { width: number; height: number };
    try {
      size = jpegFrameSize(input);
    } catch (err) {
      if (!isProtocolError(err)) throw err;
      size = { width: 40, height: 20 };
    }
    // The rectangle always fits the screen in the real flow (the reader checks bounds first): a frame header beyond it is a size mismatch here.
    const w = size.width >= 1 && size.width <= 256 ? size.width : 40;
    const h = size.height >= 1 && size.height <= 256 ? size.height : 20;
    const fb = new Framebuffer(256, 256);
    let direct: string;
    try {
      decodeTightJpeg(input, { x: 0, y: 0, width: w, height: h, encoding: Encoding.Tight }, fb);
      direct = 'decoded';
    } catch (err) {
      if (!isProtocolError(err)) throw err;
      direct = err.code;
    }
    const reader = new ServerMessageReader({ fb, decoders: createDecoders() });
    const rect = Buffer.concat([
      encodeFramebufferUpdateHeader(1),
      encodeRectHeader({ x: 0, y: 0, width: w, height: h }, Encoding.Tight),
      Buffer.from([0x90]),
      compactLength(input.length),
      input,
    ]);
    const types = reader.push(rect).map((m) => m.type);
    return `${direct}:${types.join(',')}`;
  },
  expected: isProtocolError,
};

type Fmt = PixelFormat;
const FORMATS: Record<string, Fmt> = {
  rgb565le: {
    bitsPerPixel: 16,
    depth: 16,
    bigEndian: false,
    trueColour: true,
    redMax: 31,
    greenMax: 63,
    blueMax: 31,
    redShift: 11,
    greenShift: 5,
    blueShift: 0,
  },
  // Dell iDRAC's OpenVNC: 16 bpp depth 15 (noVNC issue #385), here big-endian.
  rgb555be: {
    bitsPerPixel: 16,
    depth: 15,
    bigEndian: true,
    trueColour: true,
    redMax: 31,
    greenMax: 31,
    blueMax: 31,
    redShift: 10,
    greenShift: 5,
    blueShift: 0,
  },
  bgr233: { bitsPerPixel: 8, depth: 8, bigEndian: false, trueColour: true, redMax: 7, greenMax: 7, blueMax: 3, redShift: 0, greenShift: 3, blueShift: 6 },
  map8: { bitsPerPixel: 8, depth: 8, bigEndian: false, trueColour: false, redMax: 0, greenMax: 0, blueMax: 0, redShift: 0, greenShift: 0, blueShift: 0 },
  map16: { bitsPerPixel: 16, depth: 16, bigEndian: true, trueColour: false, redMax: 0, greenMax: 0, blueMax: 0, redShift: 0, greenShift: 0, blueShift: 0 },
};

/**
 * One 3.8 session whose ServerInit announces `pf` (narrower than 32 bpp: the gateway asks for it,
 * upstreamPixelFormat), then a colour map (for colour-map formats) and an update with a rectangle
 * in each encoding, pixels in that format: Raw, RRE, Hextile, Zlib, ZRLE (CPIXELs), Tight (TPIXELs,
 * basic, no filter), a Cursor.
 */
function sessionIn(pf: Fmt): Buffer {
  const bpp = pf.bitsPerPixel / 8;
  const px = (n: number, seed: number) => Buffer.from(Array.from({ length: n * bpp }, (_, i) => (i * 37 + seed) & 0xff));
  const rects: Buffer[] = [];
  rects.push(Buffer.concat([encodeRectHeader({ x: 0, y: 0, width: 8, height: 8 }, Encoding.Raw), px(64, 1)]));
  rects.push(
    Buffer.concat([
      encodeRectHeader({ x: 8, y: 0, width: 8, height: 8 }, Encoding.RRE),
      Buffer.from([0, 0, 0, 1]),
      px(1, 2),
      px(1, 3),
      Buffer.from([0, 1, 0, 1, 0, 3, 0, 2]),
    ]),
  );
  rects.push(
    Buffer.concat([
      encodeRectHeader({ x: 16, y: 0, width: 8, height: 8 }, Encoding.Hextile),
      Buffer.from([0x02 | 0x04 | 0x08]),
      px(1, 4),
      px(1, 5),
      Buffer.from([1, 0x11]),
    ]),
  );
  const z = deflateSync(px(64, 6));
  rects.push(Buffer.concat([encodeRectHeader({ x: 24, y: 0, width: 8, height: 8 }, Encoding.Zlib), Buffer.from([0, 0, z.length >> 8, z.length & 0xff]), z]));
  const zr = deflateSync(Buffer.concat([Buffer.from([0]), px(64, 7)]));
  const zlen = Buffer.alloc(4);
  zlen.writeUInt32BE(zr.length);
  rects.push(Buffer.concat([encodeRectHeader({ x: 0, y: 8, width: 8, height: 8 }, Encoding.ZRLE), zlen, zr]));
  const tz = deflateSync(px(64, 8));
  rects.push(Buffer.concat([encodeRectHeader({ x: 8, y: 8, width: 8, height: 8 }, Encoding.Tight), Buffer.from([0x00]), compactLength(tz.length), tz]));
  rects.push(Buffer.concat([encodeRectHeader({ x: 1, y: 1, width: 4, height: 4 }, Encoding.Cursor), px(16, 9), Buffer.from([0xf0, 0xf0, 0xf0, 0xf0])]));
  const colours = pf.trueColour
    ? []
    : [
        encodeSetColourMapEntries(
          0,
          Array.from({ length: 16 }, (_, i) => ({ red: i * 4096, green: 65535 - i * 4096, blue: i * 1000 })),
        ),
      ];
  return Buffer.concat([
    Buffer.from('RFB 003.008\n'),
    Buffer.from([1, 1]),
    Buffer.alloc(4),
    encodeServerInit({ width: 32, height: 16, pixelFormat: pf, name: 'fuzz' }),
    ...colours,
    encodeFramebufferUpdateHeader(rects.length),
    ...rects,
  ]);
}

/** Servers in other pixel formats than ours: the format chosen from ServerInit, PixelReader's conversions, every decoder reading them. */
export const rfbPixelFormat: FuzzTarget = {
  name: 'rfb-pixel-format',
  description:
    'pixel-format conversion: ServerInit pixel format → upstreamPixelFormat → PixelReader (8/16/32 bpp, both byte orders, colour maps) under every decoder and the colour map',
  coverage: ['/protocols/rfb/'],
  seeds: () => Object.values(FORMATS).map(sessionIn),
  run(input) {
    const hs = new ClientHandshake({ shared: true, tls: 'off' });
    let reader: ServerMessageReader | undefined;
    let fmt = '';
    const types = new Set<string>();
    for (const chunk of chunks(input)) {
      if (!reader) {
        const r = hs.receive(chunk);
        if (!r.serverInit) continue;
        // As src/sources/vnc/vnc-source.ts: ask for the server's own format when narrower and readable.
        const format = upstreamPixelFormat(r.serverInit.pixelFormat);
        const pixels = new PixelReader(format);
        fmt = `${format.bitsPerPixel}${format.trueColour ? 't' : 'm'}${format.bigEndian ? 'be' : 'le'}`;
        reader = new ServerMessageReader({ fb: new Framebuffer(r.serverInit.width, r.serverInit.height), decoders: createDecoders(pixels), pixels });
        if (r.rest && r.rest.length > 0) for (const m of reader.push(r.rest)) types.add(m.type);
        continue;
      }
      for (const m of reader.push(chunk)) types.add(m.type);
    }
    return reader ? `${fmt}:${[...types].sort().join(',')}` : 'handshake';
  },
  expected: isProtocolError,
};
