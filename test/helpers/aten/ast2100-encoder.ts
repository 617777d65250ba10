/**
 * An AST2100 encoder for tests and the ATEN simulator (not shipped): turns an RGBX picture into the
 * bit-stream the ASPEED engine sends — DCT blocks with the standard Huffman tables and the ATEN
 * quantisation tables, VQ blocks for 8x8 areas of at most four colours (4:4:4 only), positioned
 * blocks after skipped (unchanged) areas, and the end-of-frame code.
 *
 * Written from the format description (notes §3.3), not from the decoder, except that it shares the
 * constant tables and the DCT basis.
 */
import { rgbToYcbcr } from '../../../protocols/aten/ast2100/color.js';
import { HuffmanTable } from '../../../protocols/aten/ast2100/huffman.js';
import { forwardDct } from '../../../protocols/aten/ast2100/idct.js';
import {
  AC_CHROMA_BITS,
  AC_CHROMA_VALUES,
  AC_LUMA_BITS,
  AC_LUMA_VALUES,
  CHROMA_QUANT_TABLES,
  DC_CHROMA_BITS,
  DC_CHROMA_VALUES,
  DC_LUMA_BITS,
  DC_LUMA_VALUES,
  LUMA_QUANT_TABLES,
  ZIGZAG,
} from '../../../protocols/aten/ast2100/tables.js';

/** Writes bits MSB-first into 32-bit words stored little-endian. */
export class Ast2100BitWriter {
  #words: number[] = [];
  #cur = 0;
  #used = 0;

  write(value: number, bits: number): void {
    for (let i = bits - 1; i >= 0; i--) {
      this.#cur = ((this.#cur << 1) | ((value >>> i) & 1)) >>> 0;
      if (++this.#used === 32) {
        this.#words.push(this.#cur);
        this.#cur = 0;
        this.#used = 0;
      }
    }
  }

  /** Pads the last word with zeros, then adds `padWords` zero words (the engine does, see decoder.ts). */
  finish(padWords = 0): Buffer {
    const words = [...this.#words];
    if (this.#used > 0) words.push((this.#cur << (32 - this.#used)) >>> 0);
    for (let i = 0; i < padWords; i++) words.push(0);
    const out = Buffer.alloc(words.length * 4);
    words.forEach((w, i) => out.writeUInt32LE(w, i * 4));
    return out;
  }
}

const CODES = {
  dc: [HuffmanTable.codes(DC_LUMA_BITS, DC_LUMA_VALUES), HuffmanTable.codes(DC_CHROMA_BITS, DC_CHROMA_VALUES)],
  ac: [HuffmanTable.codes(AC_LUMA_BITS, AC_LUMA_VALUES), HuffmanTable.codes(AC_CHROMA_BITS, AC_CHROMA_VALUES)],
};

export interface Ast2100EncodeOptions {
  subsampling?: 444 | 422;
  /** Header byte 0 and byte 1 (luma and chroma selectors in the 'chroma' reading). */
  selector0?: number;
  selector1?: number;
  /** Use VQ for 8x8 blocks of at most 4 colours (4:4:4 only). Default true. */
  vq?: boolean;
  /** When given, MCUs identical in `previous` are skipped and the next block is positioned. */
  previous?: Uint8Array;
  /** Zero words after the end-of-frame word (the real engine sent 2). */
  padWords?: number;
}

export interface Ast2100EncodeStats {
  dct: number;
  vq: number;
  positioned: number;
  skipped: number;
}

/**
 * Encodes one frame. `rgbx` is width*height*4 bytes. The VQ codebook persists across calls made on
 * the same encoder instance, mirroring the decoder.
 */
export class Ast2100Encoder {
  #book: number[][] = [
    [0x00, 0x80, 0x80],
    [0xff, 0x80, 0x80],
    [0x80, 0x80, 0x80],
    [0xc0, 0x80, 0x80],
  ];
  lastStats: Ast2100EncodeStats = { dct: 0, vq: 0, positioned: 0, skipped: 0 };

  encode(rgbx: Uint8Array, width: number, height: number, opts: Ast2100EncodeOptions = {}): Buffer {
    const sub = opts.subsampling ?? 422;
    const s0 = opts.selector0 ?? 7;
    const s1 = opts.selector1 ?? s0;
    const qY = LUMA_QUANT_TABLES[s0]!;
    const qC = CHROMA_QUANT_TABLES[s1]!;
    const mcu = sub === 444 ? 8 : 16;
    const mbw = Math.ceil(width / mcu);
    const mbh = Math.ceil(height / mcu);
    const w = new Ast2100BitWriter();
    const header = Buffer.from([s0, s1, sub >> 8, sub & 0xff]);
    const dc = [0, 0, 0];
    const stats: Ast2100EncodeStats = { dct: 0, vq: 0, positioned: 0, skipped: 0 };
    // Full-resolution YCbCr planes, edges replicated.
    const plane = (c: number) => (x: number, y: number) => {
      const px = Math.min(x, width - 1);
      const py = Math.min(y, height - 1);
      const o = (py * width + px) * 4;
      return rgbToYcbcr(rgbx[o]!, rgbx[o + 1]!, rgbx[o + 2]!)[c]!;
    };
    const Y = plane(0);
    const Cb = plane(1);
    const Cr = plane(2);
    let skipping = false;
    for (let my = 0; my < mbh; my++) {
      for (let mx = 0; mx < mbw; mx++) {
        if (opts.previous && sameMcu(rgbx, opts.previous, width, height, mx * mcu, my * mcu, mcu)) {
          skipping = true;
          stats.skipped++;
          continue;
        }
        const positioned = skipping;
        skipping = false;
        if (positioned) stats.positioned++;
        if (sub === 444 && opts.vq !== false) {
          const colours = distinctColours(mx * 8, my * 8, Y, Cb, Cr);
          if (colours) {
            this.#vqBlock(w, colours, mx * 8, my * 8, Y, Cb, Cr, positioned, mx, my);
            stats.vq++;
            continue;
          }
        }
        w.write(positioned ? 0x8 : 0x0, 4);
        if (positioned) {
          w.write(mx, 8);
          w.write(my, 8);
        }
        stats.dct++;
        if (sub === 444) {
          encodeBlock(w, sample8(Y, mx * 8, my * 8), qY, 0, dc);
          encodeBlock(w, sample8(Cb, mx * 8, my * 8), qC, 1, dc);
          encodeBlock(w, sample8(Cr, mx * 8, my * 8), qC, 2, dc);
        } else {
          const x0 = mx * 16;
          const y0 = my * 16;
          for (const [dx, dy] of [
            [0, 0],
            [8, 0],
            [0, 8],
            [8, 8],
          ] as const)
            encodeBlock(w, sample8(Y, x0 + dx, y0 + dy), qY, 0, dc);
          encodeBlock(w, sampleHalf(Cb, x0, y0), qC, 1, dc);
          encodeBlock(w, sampleHalf(Cr, x0, y0), qC, 2, dc);
        }
      }
    }
    w.write(0x9, 4);
    this.lastStats = stats;
    return Buffer.concat([header, w.finish(opts.padWords ?? 0)]);
  }

  #vqBlock(
    w: Ast2100BitWriter,
    colours: number[][],
    x0: number,
    y0: number,
    Y: (x: number, y: number) => number,
    Cb: (x: number, y: number) => number,
    Cr: (x: number, y: number) => number,
    positioned: boolean,
    mx: number,
    my: number,
  ): void {
    const bits = colours.length === 1 ? 0 : colours.length === 2 ? 1 : 2;
    w.write((positioned ? 0x8 : 0) | (5 + bits), 4);
    if (positioned) {
      w.write(mx, 8);
      w.write(my, 8);
    }
    // Codeword i → slot i; reuse the slot's colour when the persistent codebook already holds it.
    const slotOf: number[] = [];
    colours.forEach((c, i) => {
      const existing = this.#book.findIndex((b) => b[0] === c[0] && b[1] === c[1] && b[2] === c[2]);
      if (existing >= 0 && !slotOf.includes(existing)) {
        w.write(0, 1);
        w.write(existing, 2);
        slotOf[i] = existing;
      } else {
        let slot = 0;
        while (slotOf.includes(slot)) slot++;
        w.write(1, 1);
        w.write(slot, 2);
        w.write(c[0]!, 8);
        w.write(c[1]!, 8);
        w.write(c[2]!, 8);
        this.#book[slot] = [...c];
        slotOf[i] = slot;
      }
    });
    for (let i = colours.length; i < 1 << bits; i++) {
      // Unused codewords (3 colours in a 2-bit block): point them at slot 0 without an update.
      w.write(0, 1);
      w.write(slotOf[0]!, 2);
    }
    if (bits === 0) return;
    for (let j = 0; j < 8; j++) {
      for (let i = 0; i < 8; i++) {
        const c = [Y(x0 + i, y0 + j), Cb(x0 + i, y0 + j), Cr(x0 + i, y0 + j)];
        w.write(
          colours.findIndex((k) => k[0] === c[0] && k[1] === c[1] && k[2] === c[2]),
          bits,
        );
      }
    }
  }
}

function distinctColours(
  x0: number,
  y0: number,
  Y: (x: number, y: number) => number,
  Cb: (x: number, y: number) => number,
  Cr: (x: number, y: number) => number,
): number[][] | undefined {
  const out: number[][] = [];
  for (let j = 0; j < 8; j++) {
    for (let i = 0; i < 8; i++) {
      const c = [Y(x0 + i, y0 + j), Cb(x0 + i, y0 + j), Cr(x0 + i, y0 + j)];
      if (!out.some((k) => k[0] === c[0] && k[1] === c[1] && k[2] === c[2])) {
        if (out.length === 4) return undefined;
        out.push(c);
      }
    }
  }
  return out;
}

function sameMcu(a: Uint8Array, b: Uint8Array, width: number, height: number, x0: number, y0: number, size: number): boolean {
  for (let y = y0; y < Math.min(height, y0 + size); y++) {
    for (let x = x0; x < Math.min(width, x0 + size); x++) {
      const o = (y * width + x) * 4;
      if (a[o] !== b[o] || a[o + 1] !== b[o + 1] || a[o + 2] !== b[o + 2]) return false;
    }
  }
  return true;
}

function sample8(p: (x: number, y: number) => number, x0: number, y0: number): number[] {
  const out: number[] = [];
  for (let j = 0; j < 8; j++) for (let i = 0; i < 8; i++) out.push(p(x0 + i, y0 + j));
  return out;
}

function sampleHalf(p: (x: number, y: number) => number, x0: number, y0: number): number[] {
  const out: number[] = [];
  for (let j = 0; j < 8; j++) {
    for (let i = 0; i < 8; i++) {
      const x = x0 + 2 * i;
      const y = y0 + 2 * j;
      out.push(Math.round((p(x, y) + p(x + 1, y) + p(x, y + 1) + p(x + 1, y + 1)) / 4));
    }
  }
  return out;
}

const coef = new Float64Array(64);

function encodeBlock(w: Ast2100BitWriter, samples: number[], quant: readonly number[], component: 0 | 1 | 2, dc: number[]): void {
  const t = component === 0 ? 0 : 1;
  forwardDct(samples, coef);
  const q = new Int32Array(64);
  for (let k = 0; k < 64; k++) {
    const z = ZIGZAG[k]!;
    q[k] = Math.max(-1023, Math.min(1023, Math.round(coef[z]! / quant[z]!)));
  }
  const diff = q[0]! - dc[component]!;
  dc[component] = q[0]!;
  const dcCat = category(diff);
  putCode(w, CODES.dc[t]!, dcCat);
  w.write(magnitude(diff, dcCat), dcCat);
  let run = 0;
  for (let k = 1; k < 64; k++) {
    const v = q[k]!;
    if (v === 0) {
      run++;
      continue;
    }
    while (run > 15) {
      putCode(w, CODES.ac[t]!, 0xf0);
      run -= 16;
    }
    const cat = category(v);
    putCode(w, CODES.ac[t]!, (run << 4) | cat);
    w.write(magnitude(v, cat), cat);
    run = 0;
  }
  if (run > 0) putCode(w, CODES.ac[t]!, 0x00);
}

function putCode(w: Ast2100BitWriter, codes: Map<number, { length: number; code: number }>, symbol: number): void {
  const c = codes.get(symbol);
  if (!c) throw new Error(`no Huffman code for symbol 0x${symbol.toString(16)}`);
  w.write(c.code, c.length);
}

function category(v: number): number {
  let a = Math.abs(v);
  let n = 0;
  while (a > 0) {
    n++;
    a >>= 1;
  }
  return n;
}

function magnitude(v: number, cat: number): number {
  return v >= 0 ? v : v + (1 << cat) - 1;
}
