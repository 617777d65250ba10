import { describe, expect, it } from 'vitest';
import { Encoding, RGBX_PIXEL_FORMAT, type PixelFormat } from '../../../../../protocols/rfb/constants.js';
import { createDecoders, PixelReader, upstreamPixelFormat } from '../../../../../protocols/rfb/encodings/index.js';
import type { RectHeader } from '../../../../../protocols/rfb/encodings/types.js';
import { ServerMessageReader, type ServerMessage } from '../../../../../protocols/rfb/server-messages.js';
import { Framebuffer } from '../../../../../protocols/rfb/framebuffer.js';
import { decodeEverySplit, expectErrorEverySplit, rect, rng, storedZlib, u16, u32 } from './helpers.js';
import { compact, packIndices } from './vectors.js';

/**
 * Every upstream decoder in pixel formats other than our RGBX: what a 16-bpp Xvnc, iDRAC's depth-15
 * "OpenVNC" server (noVNC issue #385: 16 bpp, depth 15, max 31/31/31, shifts 10/5/0) or a colour-map
 * server send. The bytes are built here from the spec's PIXEL / CPIXEL / TPIXEL definitions
 * (§7.4, §7.7.6 ZRLE, "Tight Encoding"), independently of PixelReader; the expected picture is
 * worked out from the pixel values the same way X turns a 16-bit visual into 8-bit channels
 * (round(v * 255 / max)).
 */

const tc = (bpp: number, depth: number, bigEndian: boolean, max: [number, number, number], shift: [number, number, number]): PixelFormat => ({
  bitsPerPixel: bpp,
  depth,
  bigEndian,
  trueColour: true,
  redMax: max[0],
  greenMax: max[1],
  blueMax: max[2],
  redShift: shift[0],
  greenShift: shift[1],
  blueShift: shift[2],
});

/** The colour map used by the colour-map formats: entry i is a 16-bit colour. */
const MAP = Array.from({ length: 256 }, (_, i) => ({ red: (i * 257) & 0xffff, green: ((255 - i) * 257) & 0xffff, blue: ((i * 7) & 255) * 257 }));

interface Case {
  name: string;
  pf: PixelFormat;
  /** Bytes a CPIXEL / TPIXEL has, per the spec (worked out by hand). */
  cpixel: number;
  tpixel: number;
}

const CASES: Case[] = [
  { name: '16 bpp RGB565 little-endian (Xvnc -depth 16)', pf: tc(16, 16, false, [31, 63, 31], [11, 5, 0]), cpixel: 2, tpixel: 2 },
  { name: '16 bpp RGB565 big-endian', pf: tc(16, 16, true, [31, 63, 31], [11, 5, 0]), cpixel: 2, tpixel: 2 },
  { name: '16 bpp depth 15 (iDRAC)', pf: tc(16, 15, false, [31, 31, 31], [10, 5, 0]), cpixel: 2, tpixel: 2 },
  { name: '8 bpp BGR233', pf: tc(8, 8, false, [7, 7, 3], [0, 3, 6]), cpixel: 1, tpixel: 1 },
  { name: '8 bpp colour map', pf: { ...tc(8, 8, false, [0, 0, 0], [0, 0, 0]), trueColour: false }, cpixel: 1, tpixel: 1 },
  { name: '32 bpp BGRX little-endian (TigerVNC native)', pf: tc(32, 24, false, [255, 255, 255], [16, 8, 0]), cpixel: 3, tpixel: 3 },
  { name: '32 bpp depth 24 big-endian', pf: tc(32, 24, true, [255, 255, 255], [16, 8, 0]), cpixel: 3, tpixel: 3 },
  { name: '32 bpp colour in the high bytes', pf: tc(32, 24, false, [255, 255, 255], [24, 16, 8]), cpixel: 3, tpixel: 3 },
  { name: '32 bpp depth 30 (10-bit channels)', pf: tc(32, 30, false, [1023, 1023, 1023], [20, 10, 0]), cpixel: 4, tpixel: 4 },
];

/** Test-side codec of one format, written from the spec. */
class Fmt {
  constructor(readonly c: Case) {}
  get bpp(): number {
    return this.c.pf.bitsPerPixel / 8;
  }
  /** A random pixel value of the format (colour bits only). */
  random(r: () => number): number {
    const f = this.c.pf;
    if (!f.trueColour) return Math.floor(r() * 256);
    const ch = (max: number, shift: number) => Math.floor(r() * (max + 1)) * 2 ** shift;
    return ch(f.redMax, f.redShift) + ch(f.greenMax, f.greenShift) + ch(f.blueMax, f.blueShift);
  }
  /** Expected [r, g, b] of a pixel value. */
  rgb(v: number): [number, number, number] {
    const f = this.c.pf;
    if (!f.trueColour) return [MAP[v]!.red >> 8, MAP[v]!.green >> 8, MAP[v]!.blue >> 8];
    const ch = (max: number, shift: number) => Math.round(((Math.floor(v / 2 ** shift) % (max + 1)) * 255) / max);
    return [ch(f.redMax, f.redShift), ch(f.greenMax, f.greenShift), ch(f.blueMax, f.blueShift)];
  }
  /** PIXEL (§7.4): bpp/8 bytes in the format's byte order. */
  pixel(v: number): number[] {
    const n = this.bpp;
    const le = Array.from({ length: n }, (_, i) => Math.floor(v / 2 ** (8 * i)) & 255);
    return this.c.pf.bigEndian ? le.reverse() : le;
  }
  /** CPIXEL (§7.7.6): the 3 least (else most) significant bytes, kept in the pixel's byte order. */
  cpixel(v: number): number[] {
    const p = this.pixel(v);
    if (this.c.cpixel !== 3) return p;
    const f = this.c.pf;
    const high = Math.max(f.redShift, f.greenShift, f.blueShift) + 8 > 24;
    // Little-endian: least significant bytes first; big-endian: last.
    if (!f.bigEndian) return high ? p.slice(1) : p.slice(0, 3);
    return high ? p.slice(0, 3) : p.slice(1);
  }
  /** TPIXEL ("Tight Encoding"): R, G, B for 32-bpp depth-24 8-bit channels, else a PIXEL. */
  tpixel(v: number): number[] {
    return this.c.tpixel === 3 ? this.rgb(v) : this.pixel(v);
  }
}

/** An expected framebuffer painted from pixel values. */
class Picture {
  readonly fb: Framebuffer;
  constructor(
    readonly f: Fmt,
    w: number,
    h: number,
  ) {
    this.fb = new Framebuffer(w, h);
  }
  fill(x: number, y: number, w: number, h: number, v: number): void {
    this.fb.fillRect(x, y, w, h, ...this.f.rgb(v));
  }
  put(x: number, y: number, w: number, values: number[]): void {
    values.forEach((v, i) => this.fill(x + (i % w), y + Math.floor(i / w), 1, 1, v));
  }
}

const concat = (...parts: (number[] | Buffer)[]): Buffer => Buffer.concat(parts.map((p) => Buffer.from(p)));

function reader(c: Case): PixelReader {
  const px = new PixelReader(c.pf);
  if (!c.pf.trueColour) px.setColourMap(0, MAP);
  return px;
}

describe.each(CASES)('decoders in $name', (c) => {
  const f = new Fmt(c);
  const r = rng(c.pf.bitsPerPixel * 131 + c.pf.redShift);
  const values = (n: number) => Array.from({ length: n }, () => f.random(r));
  const decode = (encoding: number, rects: RectHeader[], bytes: Buffer, pic: Picture, maxOffsets = 200) =>
    decodeEverySplit(() => createDecoders(reader(c)).get(encoding)!, rects, bytes, pic.fb.width, pic.fb.height, { maxOffsets });

  it('PixelReader agrees with the spec on CPIXEL and TPIXEL sizes', () => {
    const px = new PixelReader(c.pf);
    expect([px.bytesPerPixel, px.cpixelBytes, px.tpixelBytes]).toEqual([f.bpp, c.cpixel, c.tpixel]);
  });

  it('Raw', () => {
    const pic = new Picture(f, 9, 5);
    const v = values(7 * 4);
    pic.put(1, 1, 7, v);
    const fb = decode(Encoding.Raw, [rect(1, 1, 7, 4, Encoding.Raw)], concat(...v.map((x) => f.pixel(x))), pic);
    expect(fb.data.equals(pic.fb.data)).toBe(true);
  });

  it('Zlib', () => {
    const pic = new Picture(f, 6, 5);
    const v = values(30);
    pic.put(0, 0, 6, v);
    const [z] = storedZlib([concat(...v.map((x) => f.pixel(x)))]);
    const fb = decode(Encoding.Zlib, [rect(0, 0, 6, 5, Encoding.Zlib)], concat(u32(z!.length), z!), pic);
    expect(fb.data.equals(pic.fb.data)).toBe(true);
  });

  it('RRE', () => {
    const pic = new Picture(f, 8, 6);
    const [bg, a, b] = values(3) as [number, number, number];
    pic.fill(1, 1, 6, 4, bg);
    pic.fill(2, 2, 3, 2, a);
    pic.fill(6, 1, 1, 4, b);
    const sub = (v: number, x: number, y: number, w: number, h: number) => concat(f.pixel(v), u16(x), u16(y), u16(w), u16(h));
    const bytes = concat(u32(2), f.pixel(bg), sub(a, 1, 1, 3, 2), sub(b, 5, 0, 1, 4));
    const fb = decode(Encoding.RRE, [rect(1, 1, 6, 4, Encoding.RRE)], bytes, pic);
    expect(fb.data.equals(pic.fb.data)).toBe(true);
  });

  it('Hextile: raw tile, background + foreground subrectangles, coloured subrectangles on a carried-over background', () => {
    const pic = new Picture(f, 20, 17);
    const raw = values(16 * 16);
    pic.put(0, 0, 16, raw);
    const [bg, fg, bg2, col] = values(4) as [number, number, number, number];
    pic.fill(16, 0, 4, 16, bg);
    pic.fill(16, 2, 2, 3, fg);
    pic.fill(19, 15, 1, 1, fg);
    pic.fill(0, 16, 16, 1, bg2);
    pic.fill(16, 16, 4, 1, bg2); // carried over: tile 4 specifies no background
    pic.fill(17, 16, 2, 1, col);
    const bytes = concat(
      [1],
      ...raw.map((x) => f.pixel(x)),
      [2 | 4 | 8],
      f.pixel(bg),
      f.pixel(fg),
      [2, 0x02, 0x12, 0x3f, 0x00],
      [2],
      f.pixel(bg2),
      [8 | 16, 1],
      f.pixel(col),
      [0x10, 0x10],
    );
    const fb = decode(Encoding.Hextile, [rect(0, 0, 20, 17, Encoding.Hextile)], bytes, pic);
    expect(fb.data.equals(pic.fb.data)).toBe(true);
  });

  it('Tight: fill, copy, two- and five-colour palettes' + (c.tpixel !== 3 && c.pf.bitsPerPixel !== 8 ? ', gradient' : ''), () => {
    const pic = new Picture(f, 24, 12);
    const rects: RectHeader[] = [];
    const parts: Buffer[] = [];
    const streams: Buffer[][] = [[], [], [], []];
    const compressed = (stream: number, head: number[] | Buffer, data: Buffer) => {
      // Data of 12 bytes or more goes through zlib; each stream here carries one rectangle.
      if (data.length < 12) return concat(head, data);
      const [z] = storedZlib([data]);
      streams[stream]!.push(z!);
      return concat(head, compact(z!.length), z!);
    };
    // Fill.
    const [fill] = values(1) as [number];
    pic.fill(0, 0, 5, 3, fill);
    rects.push(rect(0, 0, 5, 3, Encoding.Tight));
    parts.push(concat([0x80], f.tpixel(fill)));
    // Copy filter, stream 0.
    const copy = values(6 * 4);
    pic.put(5, 0, 6, copy);
    rects.push(rect(5, 0, 6, 4, Encoding.Tight));
    parts.push(compressed(0, [0x00], concat(...copy.map((x) => f.tpixel(x)))));
    // Two-colour palette (1 bit a pixel, rows padded), stream 1.
    const two = values(2);
    const idx2 = Array.from({ length: 10 * 3 }, (_, i) => (i * 7 + (i >> 3)) & 1);
    pic.put(
      0,
      4,
      10,
      idx2.map((i) => two[i]!),
    );
    rects.push(rect(0, 4, 10, 3, Encoding.Tight));
    parts.push(compressed(1, concat([0x50, 1, 1], ...two.map((x) => f.tpixel(x))), Buffer.from(packIndices(idx2, 10, 3, 1))));
    // Five-colour palette (a byte a pixel), stream 2.
    const five = values(5);
    const idx5 = Array.from({ length: 7 * 3 }, (_, i) => (i * 3) % 5);
    pic.put(
      11,
      0,
      7,
      idx5.map((i) => five[i]!),
    );
    rects.push(rect(11, 0, 7, 3, Encoding.Tight));
    parts.push(compressed(2, concat([0x60, 1, 4], ...five.map((x) => f.tpixel(x))), Buffer.from(idx5)));
    if (c.tpixel !== 3 && c.pf.bitsPerPixel !== 8) {
      // Gradient filter, stream 3, on a smooth ramp: the spec's prediction per component, MAX the
      // component's max, differences modulo MAX + 1 in the component's bits.
      const pf = c.pf;
      const chans: [number, number][] = [
        [pf.redMax, pf.redShift],
        [pf.greenMax, pf.greenShift],
        [pf.blueMax, pf.blueShift],
      ];
      const w = 8,
        h = 5;
      const comp = (x: number, y: number, k: number) => (x < 0 || y < 0 ? 0 : Math.floor(((x * 3 + y * 5 + k * 11) * chans[k]![0]) / 60) % (chans[k]![0] + 1));
      const grad: number[] = [];
      const actual: number[] = [];
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          let d = 0;
          let v = 0;
          chans.forEach(([max, shift], k) => {
            const pred = Math.min(max, Math.max(0, comp(x - 1, y, k) + comp(x, y - 1, k) - comp(x - 1, y - 1, k)));
            d += ((((comp(x, y, k) - pred) % (max + 1)) + max + 1) % (max + 1)) * 2 ** shift;
            v += comp(x, y, k) * 2 ** shift;
          });
          grad.push(d);
          actual.push(v);
        }
      }
      pic.put(12, 4, w, actual);
      rects.push(rect(12, 4, w, h, Encoding.Tight));
      parts.push(compressed(3, [0x70, 2], concat(...grad.map((x) => f.pixel(x)))));
    }
    const fb = decode(Encoding.Tight, rects, Buffer.concat(parts), pic);
    expect(fb.data.equals(pic.fb.data)).toBe(true);
  });

  it('ZRLE: raw, solid, packed-palette, plain-RLE and palette-RLE tiles', () => {
    const pic = new Picture(f, 70, 6);
    const rects: RectHeader[] = [];
    const tiles: Buffer[] = [];
    // Rect 1, 70x2: a solid 64x2 tile, then a raw 6x2 tile.
    const [solid] = values(1) as [number];
    const raw = values(12);
    pic.fill(0, 0, 64, 2, solid);
    pic.put(64, 0, 6, raw);
    rects.push(rect(0, 0, 70, 2, Encoding.ZRLE));
    tiles.push(concat([1], f.cpixel(solid), [0], ...raw.map((x) => f.cpixel(x))));
    // Rect 2, 5x2: packed palette, 3 colours (2 bits).
    const pal3 = values(3);
    const idx3 = [0, 1, 2, 1, 0, 2, 2, 1, 0, 0];
    pic.put(
      0,
      2,
      5,
      idx3.map((i) => pal3[i]!),
    );
    rects.push(rect(0, 2, 5, 2, Encoding.ZRLE));
    tiles.push(concat([3], ...pal3.map((x) => f.cpixel(x)), packIndices(idx3, 5, 2, 2)));
    // Rect 3, 6x2: plain RLE, runs of 5, 1, 6.
    const runs = values(3);
    pic.put(5, 2, 6, [...Array(5).fill(runs[0]), runs[1]!, ...Array(6).fill(runs[2])]);
    rects.push(rect(5, 2, 6, 2, Encoding.ZRLE));
    tiles.push(concat([128], f.cpixel(runs[0]!), [4], f.cpixel(runs[1]!), [0], f.cpixel(runs[2]!), [5]));
    // Rect 4, 4x2: palette RLE, 2 colours: a single pixel, then a run of 7.
    const pr = values(2);
    pic.put(11, 2, 4, [pr[1]!, ...Array(7).fill(pr[0])]);
    rects.push(rect(11, 2, 4, 2, Encoding.ZRLE));
    tiles.push(concat([130], ...pr.map((x) => f.cpixel(x)), [1, 0x80, 6]));
    const z = storedZlib(tiles);
    const bytes = Buffer.concat(z.map((part) => concat(u32(part.length), part)));
    const fb = decode(Encoding.ZRLE, rects, bytes, pic);
    expect(fb.data.equals(pic.fb.data)).toBe(true);
  });

  it('CopyRect does not depend on the format', () => {
    const pic = new Picture(f, 4, 2);
    const v = values(2);
    pic.put(0, 0, 2, v);
    pic.put(2, 1, 2, v);
    const fb = decodeEverySplit(
      () => createDecoders(reader(c)).get(Encoding.CopyRect)!,
      [rect(0, 0, 2, 1, Encoding.Raw), rect(2, 1, 2, 1, Encoding.CopyRect)].slice(1),
      concat(u16(0), u16(0)),
      4,
      2,
      { init: (fb) => fb.putRgbx(0, 0, 4, 2, pic.fb.getRgbx(0, 0, 4, 2)) },
    );
    expect(fb.data.equals(pic.fb.data)).toBe(true);
  });

  it('the Cursor pseudo-encoding comes as RGBX whatever the format', () => {
    const v = values(3 * 2);
    const bytes = concat([0, 0], u16(1), u16(0), u16(0), u16(3), u16(2), u32(Encoding.Cursor >>> 0), ...v.map((x) => f.pixel(x)), [0xe0, 0xa0]);
    const msgs: ServerMessage[] = [];
    const px = reader(c);
    const r = new ServerMessageReader({ fb: new Framebuffer(8, 8), decoders: createDecoders(px), pixels: px });
    for (let i = 0; i < bytes.length; i++) msgs.push(...r.push(bytes.subarray(i, i + 1)));
    const cursor = msgs.find((m) => m.type === 'cursor');
    expect(cursor && cursor.type === 'cursor' ? [...cursor.rgbx] : []).toEqual(v.flatMap((x) => [...f.rgb(x), 0]));
  });
});

describe('colour-map formats', () => {
  const pf: PixelFormat = {
    bitsPerPixel: 8,
    depth: 8,
    bigEndian: false,
    trueColour: false,
    redMax: 0,
    greenMax: 0,
    blueMax: 0,
    redShift: 0,
    greenShift: 0,
    blueShift: 0,
  };

  it('SetColourMapEntries in the stream sets the colours of the following rectangles, and can change them', () => {
    const px = new PixelReader(pf);
    const fb = new Framebuffer(2, 1);
    const r = new ServerMessageReader({ fb, decoders: createDecoders(px), pixels: px });
    const map = (first: number, ...cols: [number, number, number][]) =>
      concat([1, 0], u16(first), u16(cols.length), ...cols.map(([a, b, c]) => concat(u16(a), u16(b), u16(c))));
    const raw = (x: number, index: number) => concat([0, 0], u16(1), u16(x), u16(0), u16(1), u16(1), u32(Encoding.Raw), [index]);
    r.push(concat(map(5, [0x1234, 0xffff, 0x0000]), raw(0, 5)));
    expect([...fb.data.subarray(0, 4)]).toEqual([0x12, 0xff, 0x00, 0]);
    r.push(concat(map(5, [0xab00, 0x0100, 0x0200]), raw(1, 5)));
    expect([...fb.data]).toEqual([0x12, 0xff, 0x00, 0, 0xab, 0x01, 0x02, 0]);
  });

  it('an index never set is black', () => {
    const px = new PixelReader(pf);
    expect(px.pixel(Buffer.of(200), 0)).toBe(0);
  });

  it('colour maps at 32 bpp and unusable channel layouts are refused', () => {
    expect(() => new PixelReader({ ...pf, bitsPerPixel: 32 })).toThrow(expect.objectContaining({ code: 'RFB_ERR_PIXEL_FORMAT_UNSUPPORTED' }));
    expect(() => new PixelReader({ ...pf, trueColour: true, redMax: 30, greenMax: 7, blueMax: 3 })).toThrow(
      expect.objectContaining({ code: 'RFB_ERR_PIXEL_FORMAT_UNSUPPORTED' }),
    );
    expect(() => new PixelReader({ ...pf, trueColour: true, redMax: 7, greenMax: 7, blueMax: 7, blueShift: 6 })).toThrow(
      expect.objectContaining({ code: 'RFB_ERR_PIXEL_FORMAT_UNSUPPORTED' }),
    );
  });

  it('a Tight gradient in an 8-bpp format is refused (the spec allows it at 16 and 32 bpp only)', () => {
    const px = new PixelReader({ ...pf, trueColour: true, redMax: 7, greenMax: 7, blueMax: 3, greenShift: 3, blueShift: 6 });
    expectErrorEverySplit(
      () => createDecoders(px).get(Encoding.Tight)!,
      [rect(0, 0, 2, 2, Encoding.Tight)],
      Buffer.from([0x40, 2, 1, 2, 3, 4]),
      'RFB_ERR_TIGHT_FILTER',
    );
  });
});

describe('upstreamPixelFormat: what the client asks a server for', () => {
  it('16- and 8-bpp servers (iDRAC: 16 bpp depth 15) are asked for their own format, colour maps included', () => {
    for (const c of CASES.filter((x) => x.pf.bitsPerPixel < 32)) expect(upstreamPixelFormat(c.pf)).toEqual(c.pf);
  });

  it('32-bpp servers, and narrow formats we cannot read, are asked for RGBX', () => {
    for (const c of CASES.filter((x) => x.pf.bitsPerPixel === 32)) expect(upstreamPixelFormat(c.pf)).toEqual(RGBX_PIXEL_FORMAT);
    expect(upstreamPixelFormat(tc(16, 16, false, [30, 63, 31], [11, 5, 0]))).toEqual(RGBX_PIXEL_FORMAT);
  });
});
