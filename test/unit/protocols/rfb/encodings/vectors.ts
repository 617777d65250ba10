/**
 * Hand-built byte vectors shared by the per-decoder tests and the noVNC cross-check
 * (novnc-decoders.test.ts), so each vector is checked against our expectation *and* noVNC's decoder.
 * Compressed vectors use stored deflate blocks written by hand (helpers.storedZlib) so they do not
 * depend on any compressor.
 */
import { Encoding } from '../../../../../protocols/rfb/constants.js';
import { Framebuffer } from '../../../../../protocols/rfb/framebuffer.js';
import type { RectHeader } from '../../../../../protocols/rfb/encodings/types.js';
import { rect, storedZlib, u32 } from './helpers.js';

export interface Vector {
  name: string;
  encoding: number;
  rects: RectHeader[];
  bytes: Buffer;
  fbW: number;
  fbH: number;
  /** Expected framebuffer (RGBX; X bytes 0 unless the vector says otherwise). */
  want: Buffer;
}

const H = Encoding.Hextile;
const RAW = 1,
  BG = 2,
  FG = 4,
  ANY = 8,
  COLOURED = 16;
const p = (r: number, g: number, b: number) => [r, g, b, 0];
/** A 20x18 rectangle at (2,1): tiles 16x16, 4x16, 16x2, 4x2 — every subencoding flag used. */
export function hextileVector(): { bytes: Buffer; rects: ReturnType<typeof rect>[]; want: Buffer } {
  const rawTile: number[] = [];
  for (let i = 0; i < 4 * 16; i++) rawTile.push(...p(i, (2 * i) & 255, (3 * i) & 255));
  const bytes = Buffer.from([
    // tile 0: background, foreground, two subrects in the foreground colour
    BG | FG | ANY,
    ...p(10, 10, 10),
    ...p(250, 0, 0),
    2,
    0x00,
    0x10,
    0xf3,
    0x01,
    // tile 1: raw
    RAW,
    ...rawTile,
    // tile 2: background again (a blank tile straight after a raw one is where noVNC and the
    // spec's other readers differ: see hextile.test.ts)
    BG,
    ...p(10, 10, 10),
    // tile 3: new background, two coloured subrects
    BG | ANY | COLOURED,
    ...p(0, 0, 99),
    2,
    ...p(1, 2, 3),
    0x00,
    0x30,
    ...p(4, 5, 6),
    0x21,
    0x10,
    // second rectangle 1x1: foreground only + one subrect, background carried over
    FG | ANY,
    ...p(7, 7, 7),
    1,
    0x00,
    0x00,
    // third rectangle 2x1: plain background carried over across rectangles
    0,
    // fourth rectangle 2x1: COLOURED without ANY means no subrect count follows
    BG | COLOURED,
    ...p(5, 5, 5),
  ]);
  const fb = new Framebuffer(24, 20);
  const ox = 2,
    oy = 1;
  fb.fillRect(ox, oy, 16, 16, 10, 10, 10);
  fb.fillRect(ox, oy, 2, 1, 250, 0, 0);
  fb.fillRect(ox + 15, oy + 3, 1, 2, 250, 0, 0);
  for (let i = 0; i < 64; i++) fb.fillRect(ox + 16 + (i % 4), oy + Math.floor(i / 4), 1, 1, i, (2 * i) & 255, (3 * i) & 255);
  fb.fillRect(ox, oy + 16, 16, 2, 10, 10, 10);
  fb.fillRect(ox + 16, oy + 16, 4, 2, 0, 0, 99);
  fb.fillRect(ox + 16, oy + 16, 4, 1, 1, 2, 3);
  fb.fillRect(ox + 18, oy + 17, 2, 1, 4, 5, 6);
  fb.fillRect(0, 0, 1, 1, 7, 7, 7);
  fb.fillRect(0, 19, 2, 1, 0, 0, 99);
  fb.fillRect(22, 19, 2, 1, 5, 5, 5);
  return { bytes, rects: [rect(ox, oy, 20, 18, H), rect(0, 0, 1, 1, H), rect(0, 19, 2, 1, H), rect(22, 19, 2, 1, H)], want: fb.data };
}

export function hextileVectors(): Vector[] {
  const v = hextileVector();
  return [{ name: 'hextile: every subencoding', encoding: H, rects: v.rects, bytes: v.bytes, fbW: 24, fbH: 20, want: v.want }];
}

/** A test pattern colour for pixel i. */
export function pat(i: number): [number, number, number] {
  return [(i * 37) & 255, (i * 91 + 7) & 255, (i * 13 + 100) & 255];
}

/** w*h RGB triplets of the pattern, starting at pattern index `seed`. */
export function patRgb(w: number, h: number, seed = 0): Buffer {
  const out = Buffer.alloc(w * h * 3);
  for (let i = 0; i < w * h; i++) out.set(pat(seed + i), i * 3);
  return out;
}

/** Tight compact length (1..3 bytes). */
export function compact(n: number): number[] {
  if (n < 0x80) return [n];
  if (n < 0x4000) return [(n & 0x7f) | 0x80, n >> 7];
  return [(n & 0x7f) | 0x80, ((n >> 7) & 0x7f) | 0x80, n >> 14];
}

/** Reference gradient filter (Tight spec): each component minus clamp(left + up - upleft). */
export function gradientFilter(rgb: Buffer, w: number, h: number): Buffer {
  const out = Buffer.alloc(rgb.length);
  const at = (x: number, y: number, c: number) => (x < 0 || y < 0 ? 0 : rgb[(y * w + x) * 3 + c]!);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      for (let c = 0; c < 3; c++) {
        const pred = Math.min(255, Math.max(0, at(x - 1, y, c) + at(x, y - 1, c) - at(x - 1, y - 1, c)));
        out[(y * w + x) * 3 + c] = (at(x, y, c) - pred) & 255;
      }
  return out;
}

/** Pack palette indices `bits` per pixel, MSB first, rows padded to a byte (Tight mono and ZRLE packed palette). */
export function packIndices(idx: number[], w: number, h: number, bits: number): number[] {
  const rowBytes = Math.ceil((w * bits) / 8);
  const out = new Array<number>(rowBytes * h).fill(0);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) out[y * rowBytes + ((x * bits) >> 3)]! |= idx[y * w + x]! << (8 - bits - ((x * bits) & 7));
  return out;
}

const T = Encoding.Tight;

/**
 * One Tight connection's worth of rectangles on a 40x40 framebuffer, covering fill, copy (implicit
 * and explicit, raw and compressed), mono and indexed palettes (raw and compressed), gradient (raw and
 * compressed), 1- and 2-byte compact lengths, streams 0..3 carried across rectangles and a stream reset.
 */
export function tightVector(): Vector {
  const fb = new Framebuffer(40, 40);
  const bytes: number[] = [];
  const rects: RectHeader[] = [];
  const add = (r: RectHeader, b: number[]) => {
    rects.push(r);
    bytes.push(...b);
  };
  // stream payloads (uncompressed), in order per stream
  const s0 = [patRgb(2, 2, 0), patRgb(2, 3, 50)];
  const pal5 = [1, 0, 4, 3, 2, 2, 2, 2, 0, 0, 1, 1, 4, 4, 3, 0];
  const monoIdx = Array.from({ length: 100 }, (_, i) => ((i * 7) % 3 === 0 ? 1 : 0));
  const s1 = [Buffer.from(packIndices(monoIdx, 20, 5, 1)), patRgb(20, 10, 300)];
  const s2 = [Buffer.from(pal5)];
  const grad = patRgb(3, 2, 900);
  const s3 = [gradientFilter(grad, 3, 2)];
  const z0 = storedZlib(s0),
    z1 = storedZlib(s1),
    z2 = storedZlib(s2),
    z3 = storedZlib(s3);
  const fresh0 = storedZlib([patRgb(2, 2, 77)])[0]!;

  add(rect(0, 0, 5, 5, T), [0x80, 1, 2, 3]);
  fb.fillRect(0, 0, 5, 5, 1, 2, 3);

  add(rect(5, 0, 2, 1, T), [0x00, ...patRgb(2, 1, 20)]);
  fb.putRgb(5, 0, 2, 1, patRgb(2, 1, 20));

  add(rect(0, 5, 2, 2, T), [0x40, 0x00, ...compact(z0[0]!.length), ...z0[0]!]);
  fb.putRgb(0, 5, 2, 2, s0[0]!);
  add(rect(2, 5, 2, 3, T), [0x00, ...compact(z0[1]!.length), ...z0[1]!]);
  fb.putRgb(2, 5, 2, 3, s0[1]!);

  // mono, raw (2 bytes a row x 2 rows < 12): row 0 = 1010000000, row 1 = 0110000001
  const mono = [
    [0, 0, 255],
    [255, 255, 0],
  ];
  const monoRaw = [1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 1];
  add(rect(0, 10, 10, 2, T), [0x50, 1, 1, ...mono.flat(), ...packIndices(monoRaw, 10, 2, 1)]);
  monoRaw.forEach((ix, i) => fb.fillRect(i % 10, 10 + Math.floor(i / 10), 1, 1, ...(mono[ix] as [number, number, number])));

  add(rect(0, 12, 20, 5, T), [0x50, 1, 1, ...mono.flat(), ...compact(z1[0]!.length), ...z1[0]!]);
  monoIdx.forEach((ix, i) => fb.fillRect(i % 20, 12 + Math.floor(i / 20), 1, 1, ...(mono[ix] as [number, number, number])));

  const five = [
    [10, 0, 0],
    [0, 20, 0],
    [0, 0, 30],
    [40, 40, 0],
    [0, 50, 50],
  ];
  add(rect(0, 17, 4, 4, T), [0x60, 1, 4, ...five.flat(), ...compact(z2[0]!.length), ...z2[0]!]);
  pal5.forEach((ix, i) => fb.fillRect(i % 4, 17 + Math.floor(i / 4), 1, 1, ...(five[ix] as [number, number, number])));

  const three = [
    [9, 8, 7],
    [6, 5, 4],
    [3, 2, 1],
  ];
  const idx3 = [0, 1, 2, 2, 1, 0, 1, 1, 1];
  add(rect(4, 17, 3, 3, T), [0x40, 1, 2, ...three.flat(), ...idx3]);
  idx3.forEach((ix, i) => fb.fillRect(4 + (i % 3), 17 + Math.floor(i / 3), 1, 1, ...(three[ix] as [number, number, number])));

  add(rect(0, 21, 3, 2, T), [0x70, 2, ...compact(z3[0]!.length), ...z3[0]!]);
  fb.putRgb(0, 21, 3, 2, grad);
  const grad2 = patRgb(1, 3, 1234);
  add(rect(3, 21, 1, 3, T), [0x40, 2, ...gradientFilter(grad2, 1, 3)]);
  fb.putRgb(3, 21, 1, 3, grad2);

  // stream 0 reset: its next data starts a new zlib stream (with a header)
  add(rect(0, 24, 2, 2, T), [0x41, 0x00, ...compact(fresh0.length), ...fresh0]);
  fb.putRgb(0, 24, 2, 2, patRgb(2, 2, 77));

  // 600 bytes on stream 1 (2-byte compact length), continuing that stream
  add(rect(0, 26, 20, 10, T), [0x10, ...compact(z1[1]!.length), ...z1[1]!]);
  fb.putRgb(0, 26, 20, 10, s1[1]!);

  return { name: 'tight: every filter, streams, reset', encoding: T, rects, bytes: Buffer.from(bytes), fbW: 40, fbH: 40, want: fb.data };
}

/** A Tight copy rectangle big enough for a 3-byte compact length (≥ 16384 compressed bytes). */
export function tightBigVector(): Vector {
  const rgb = patRgb(100, 60, 5);
  const z = storedZlib([rgb])[0]!;
  const fb = new Framebuffer(100, 60);
  fb.putRgb(0, 0, 100, 60, rgb);
  return {
    name: 'tight: 3-byte compact length',
    encoding: T,
    rects: [rect(0, 0, 100, 60, T)],
    bytes: Buffer.from([0x00, ...compact(z.length), ...z]),
    fbW: 100,
    fbH: 60,
    want: fb.data,
  };
}

const Z = Encoding.ZRLE;

/**
 * ZRLE: a 70x66 rectangle (tiles 64x64 solid, 6x64 packed 3-colour, 64x2 plain RLE, 6x2 raw), then
 * small rectangles with palette RLE, 1-bit and 4-bit packed palettes, and a plain RLE run longer than
 * 255 (continuation bytes). All inflated bytes go through one zlib stream (stored blocks).
 */
export function zrleVector(): Vector {
  const fb = new Framebuffer(80, 80);
  const parts: Buffer[] = [];
  const rects: RectHeader[] = [];
  const put = (x: number, y: number, w: number, h: number, palette: number[][], idx: number[]) =>
    idx.forEach((ix, i) => fb.fillRect(x + (i % w), y + Math.floor(i / w), 1, 1, ...(palette[ix] as [number, number, number])));

  // rect 1: 70x66 at (0,0)
  const t: number[] = [];
  t.push(1, 11, 22, 33);
  fb.fillRect(0, 0, 64, 64, 11, 22, 33);
  const pal3 = [
    [1, 1, 1],
    [2, 2, 2],
    [3, 3, 3],
  ];
  const idx3 = Array.from({ length: 6 * 64 }, (_, i) => (i * 5) % 3);
  t.push(3, ...pal3.flat(), ...packIndices(idx3, 6, 64, 2));
  put(64, 0, 6, 64, pal3, idx3);
  // plain RLE over 128 pixels: 100 of A, 1 of B, 27 of C
  t.push(128, 200, 0, 0, 99, 0, 200, 0, 0, 0, 0, 200, 26);
  fb.fillRect(0, 64, 64, 2, 0, 0, 200);
  fb.fillRect(0, 64, 64, 1, 200, 0, 0);
  fb.fillRect(0, 65, 36, 1, 200, 0, 0);
  fb.fillRect(36, 65, 1, 1, 0, 200, 0);
  const raw = patRgb(6, 2, 400);
  t.push(0, ...raw);
  fb.putRgb(64, 64, 6, 2, raw);
  rects.push(rect(0, 0, 70, 66, Z));
  parts.push(Buffer.from(t));

  // rect 2: 5x3 palette RLE with 3 colours: single pixels and runs
  const pr = [
    [7, 0, 0],
    [0, 7, 0],
    [0, 0, 7],
  ];
  parts.push(Buffer.from([128 + 3, ...pr.flat(), 0, 0x80 | 1, 5, 2, 0x80 | 0, 1, 0x82, 4]));
  put(70, 0, 5, 3, pr, [0, 1, 1, 1, 1, 1, 1, 2, 0, 0, 2, 2, 2, 2, 2]);
  rects.push(rect(70, 0, 5, 3, Z));

  // rect 3: 9x2 packed palette, 2 colours (1 bit)
  const p2 = [
    [100, 100, 100],
    [200, 200, 200],
  ];
  const i2 = [1, 0, 1, 1, 0, 0, 0, 1, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0];
  parts.push(Buffer.from([2, ...p2.flat(), ...packIndices(i2, 9, 2, 1)]));
  put(70, 3, 9, 2, p2, i2);
  rects.push(rect(70, 3, 9, 2, Z));

  // rect 4: 3x2 packed palette, 16 colours (4 bits)
  const p16 = Array.from({ length: 16 }, (_, i) => pat(i * 3));
  const i16 = [15, 0, 7, 8, 1, 14];
  parts.push(Buffer.from([16, ...p16.flat(), ...packIndices(i16, 3, 2, 4)]));
  put(70, 5, 3, 2, p16, i16);
  rects.push(rect(70, 5, 3, 2, Z));

  // rect 5: 5x2 packed palette, 5 colours (4 bits, odd width so rows pad)
  const p5 = Array.from({ length: 5 }, (_, i) => pat(i * 11 + 1));
  const i5 = [4, 3, 2, 1, 0, 0, 1, 2, 3, 4];
  parts.push(Buffer.from([5, ...p5.flat(), ...packIndices(i5, 5, 2, 4)]));
  put(70, 7, 5, 2, p5, i5);
  rects.push(rect(70, 7, 5, 2, Z));

  // rect 6: 30x10 plain RLE, one run of 300 = 1 + 255 + 44
  parts.push(Buffer.from([128, 9, 99, 199, 255, 44]));
  fb.fillRect(0, 66, 30, 10, 9, 99, 199);
  rects.push(rect(0, 66, 30, 10, Z));

  // rect 7: 4x4 palette RLE where a run of 16 crosses rows (runs follow pixel order, not rows)
  parts.push(Buffer.from([128 + 2, 1, 2, 3, 4, 5, 6, 1, 0x80, 14]));
  fb.fillRect(40, 66, 4, 4, 1, 2, 3);
  fb.fillRect(40, 66, 1, 1, 4, 5, 6);
  rects.push(rect(40, 66, 4, 4, Z));

  const z = storedZlib(parts);
  const bytes = Buffer.concat(z.flatMap((c) => [u32(c.length), c]));
  return { name: 'zrle: every tile type', encoding: Z, rects, bytes, fbW: 80, fbH: 80, want: fb.data };
}

/** Zlib (6): two rectangles through one stored-block stream. */
export function zlibVector(): Vector {
  const fb = new Framebuffer(10, 10);
  const a = Buffer.alloc(3 * 2 * 4),
    b = Buffer.alloc(4 * 4 * 4);
  for (let i = 0; i < a.length / 4; i++) a.set([...pat(i), 0], i * 4);
  for (let i = 0; i < b.length / 4; i++) b.set([...pat(i + 99), 0], i * 4);
  fb.putRgbx(1, 1, 3, 2, a);
  fb.putRgbx(5, 5, 4, 4, b);
  const z = storedZlib([a, b]);
  return {
    name: 'zlib: two rectangles, one stream',
    encoding: Encoding.Zlib,
    rects: [rect(1, 1, 3, 2, Encoding.Zlib), rect(5, 5, 4, 4, Encoding.Zlib)],
    bytes: Buffer.concat(z.flatMap((c) => [u32(c.length), c])),
    fbW: 10,
    fbH: 10,
    want: fb.data,
  };
}
