import { AtenError } from '../../errors.js';
import type { Framebuffer, Rect } from '../../rfb/framebuffer.js';
import { Ast2100BitReader } from './bit-reader.js';
import { ycbcrToRgbx } from './color.js';
import { AST2100_HEADER_BYTES, parseAst2100Header, type Ast2100Header } from './header.js';
import { HuffmanTable } from './huffman.js';
import { inverseDct } from './idct.js';
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
} from './tables.js';

/**
 * Block codes: the 4 bits in front of every block (ASPEED's decoder.c names; kelleyk's notes).
 * Positioned variants (bit 3 set) carry the MCU column and row as 8 bits each before the block data.
 */
export const Ast2100BlockCode = Object.freeze({
  Dct: 0x0,
  Pass2: 0x2,
  LowJpeg: 0x4,
  Vq1: 0x5,
  Vq2: 0x6,
  Vq4: 0x7,
  DctPositioned: 0x8,
  EndOfFrame: 0x9,
  Pass2Positioned: 0xa,
  LowJpegPositioned: 0xc,
  Vq1Positioned: 0xd,
  Vq2Positioned: 0xe,
  Vq4Positioned: 0xf,
});

export type Ast2100BlockKind =
  | 'dct'
  | 'dct-positioned'
  | 'low-jpeg'
  | 'low-jpeg-positioned'
  | 'pass2'
  | 'pass2-positioned'
  | 'vq1'
  | 'vq1-positioned'
  | 'vq2'
  | 'vq2-positioned'
  | 'vq4'
  | 'vq4-positioned';

const KIND_OF_CODE: readonly (Ast2100BlockKind | undefined)[] = [
  'dct',
  undefined,
  'pass2',
  undefined,
  'low-jpeg',
  'vq1',
  'vq2',
  'vq4',
  'dct-positioned',
  undefined,
  'pass2-positioned',
  undefined,
  'low-jpeg-positioned',
  'vq1-positioned',
  'vq2-positioned',
  'vq4-positioned',
];

/**
 * What header byte 1 selects (see header.ts for the dispute).
 *
 * What we found: the one real frame we have (`ast2100-frame4.hex`, header 05 05 01a6) has equal
 * bytes, and it decodes to the same picture under both readings (a unit test checks this); it
 * contains only DCT blocks, so the PASS2/LOW_JPEG tables are not exercised either. The only public
 * real data with unequal bytes is a captured fragment in kelleyk/noVNC's tests
 * (tests/test.ast2100.js, "Full JPEG subsampled MCU example", header 04 07 01a6): we decoded it
 * (outside the repository) and its frame is a single positioned DCT block at MCU (6, 47) of a
 * 1024x768 screen, flat black with zero chroma coefficients, then the end-of-frame code and two
 * zero words (the same padding as frame4) — identical under both readings again. The captured
 * data therefore cannot decide. We default to 'chroma' because the ATEN layer itself treats the two
 * bytes as a luma/chroma pair: the client's 0x32 video-settings message sets "luma, chroma,
 * subsampling" in the same order the header reports them (kelleyk's atenChangeVideoSettings), and
 * Supermicro's HTML5 viewer names them Y and UV selectors, with the 4/7 defaults a live X11 board
 * was seen sending (`04 07 01a6`, ikvm-gw M0_RESULT). 'advance' reproduces ASPEED's reading for a
 * board that turns out to follow it (the aten-frame tool can try both).
 *
 * - 'chroma': DCT blocks use luma table [byte 0] and chroma table [byte 1]; PASS2/LOW_JPEG use the
 *   same pair (no source documents another for ATEN; unverified).
 * - 'advance': DCT blocks use luma and chroma tables [byte 0]; PASS2/LOW_JPEG use the pair [byte 1].
 */
export type Ast2100HeaderByte1 = 'chroma' | 'advance';

export interface Ast2100DecoderOptions {
  headerByte1?: Ast2100HeaderByte1;
}

export interface Ast2100FrameResult {
  header: Ast2100Header;
  /** Blocks decoded, by kind (kinds not seen are absent). */
  blocks: Partial<Record<Ast2100BlockKind, number>>;
  totalBlocks: number;
  /** The end-of-frame code was read (false only in `lastResult` after an error). */
  endOfFrame: boolean;
  /** Unread bits after the end-of-frame code. */
  trailingBits: number;
  /**
   * The end-of-frame code was followed only by zero padding, less than 16 bytes of it. The real
   * frame (ast2100-frame4.hex) ends with its code at bit 1 of a word, 27 zero bits, then two zero
   * words: 91 trailing bits, all zero (the payload looks padded to a multiple of 8 or 16 bytes).
   */
  endedExactly: boolean;
  /** MCU cursor after the last block (column, row). A full frame of unpositioned blocks ends at 0,0. */
  finalPosition: { x: number; y: number };
  /** Areas written, one rectangle per MCU row touched, clipped to the screen. */
  changed: Rect[];
}

const HUFF_DC = [new HuffmanTable(DC_LUMA_BITS, DC_LUMA_VALUES), new HuffmanTable(DC_CHROMA_BITS, DC_CHROMA_VALUES)] as const;
const HUFF_AC = [new HuffmanTable(AC_LUMA_BITS, AC_LUMA_VALUES), new HuffmanTable(AC_CHROMA_BITS, AC_CHROMA_VALUES)] as const;

/** VQ colours before any update: black, white and two greys, in YCbCr (kelleyk; ASPEED's JS decoder). */
const VQ_INITIAL_CODEBOOK = [0x00, 0x80, 0x80, 0xff, 0x80, 0x80, 0x80, 0x80, 0x80, 0xc0, 0x80, 0x80];

/**
 * Decoder of AST2100 ("ASPEED mode", encoding 0x57) frames into a Framebuffer. One instance per
 * connection: the VQ codebook and the YCbCr copy of the screen that PASS2 blocks refine persist
 * from frame to frame.
 *
 * The frame is the whole rectangle payload: the 4-byte header, then the bit-stream (bit-reader.ts).
 * Blocks follow one another until the end-of-frame code; each block is written at the MCU cursor,
 * which then moves right, wrapping to the next row and from the last row back to the top.
 * Malformed data throws AtenError naming the field; pixels decoded before the error stay written
 * (mark the whole screen changed then). `lastResult` holds the counts of the last call even after
 * an error (the aten-frame tool prints them).
 */
export class Ast2100Decoder {
  readonly #byte1: Ast2100HeaderByte1;
  #codebook = Uint8Array.from(VQ_INITIAL_CODEBOOK);
  #yuv: Uint8Array | undefined; // w*h*3, 4:4:4 only, for PASS2
  #yuvW = 0;
  #yuvH = 0;
  #quantKey = '';
  /** Dequantisation tables in natural order: 0 luma, 1 chroma, 2 advance luma, 3 advance chroma. */
  readonly #quant = [new Float64Array(64), new Float64Array(64), new Float64Array(64), new Float64Array(64)];
  readonly #coef = new Float64Array(64);
  readonly #samples = new Uint8Array(6 * 64);
  #dc = [0, 0, 0];
  lastResult: Ast2100FrameResult | undefined;

  constructor(options: Ast2100DecoderOptions = {}) {
    this.#byte1 = options.headerByte1 ?? 'chroma';
  }

  /** The VQ codebook's four YCbCr colours now (a copy; it carries over from frame to frame). */
  get vqCodebook(): [number, number, number][] {
    const b = this.#codebook;
    return [0, 1, 2, 3].map((i) => [b[i * 3]!, b[i * 3 + 1]!, b[i * 3 + 2]!]);
  }

  /** Decodes one frame into `fb` (whose size is the screen size from the rectangle header). Does not keep `data`. */
  decodeFrame(data: Uint8Array, fb: Framebuffer): Ast2100FrameResult {
    const header = parseAst2100Header(data);
    this.#loadQuant(header);
    const mcu = header.subsampling === 444 ? 8 : 16;
    const width = fb.width;
    const height = fb.height;
    const mbw = Math.ceil(width / mcu);
    const mbh = Math.ceil(height / mcu);
    const r = new Ast2100BitReader(data.subarray(AST2100_HEADER_BYTES));
    const rowMin = new Int32Array(mbh).fill(-1);
    const rowMax = new Int32Array(mbh).fill(-1);
    const result: Ast2100FrameResult = {
      header,
      blocks: {},
      totalBlocks: 0,
      endOfFrame: false,
      trailingBits: 0,
      endedExactly: false,
      finalPosition: { x: 0, y: 0 },
      changed: [],
    };
    this.lastResult = result;
    this.#dc = [0, 0, 0];
    if (header.subsampling === 444) this.#ensureYuv(width, height);
    let mx = 0;
    let my = 0;
    for (;;) {
      const code = r.read(4, 'ast2100.block-code');
      if (code === Ast2100BlockCode.EndOfFrame) break;
      const kind = KIND_OF_CODE[code];
      if (kind === undefined) {
        throw new AtenError('ATEN_ERR_AST2100_BLOCK_CODE', `unknown block code 0x${code.toString(16)} at bit ${r.pos - 4}`, 'ast2100.block-code');
      }
      if (code & 0x8) {
        mx = r.read(8, 'ast2100.block-position');
        my = r.read(8, 'ast2100.block-position');
        if (mx >= mbw || my >= mbh) {
          throw new AtenError(
            'ATEN_ERR_AST2100_POSITION',
            `MCU (${mx}, ${my}) is outside the ${mbw}x${mbh} grid of a ${width}x${height} screen`,
            'ast2100.block-position',
          );
        }
      }
      switch (code & 0x7) {
        case 0: // DCT
          this.#dctBlock(r, header, mx, my, fb, 0, false);
          break;
        case 4: // LOW_JPEG: DCT with the advance table pair
          this.#dctBlock(r, header, mx, my, fb, 2, false);
          break;
        case 2: // PASS2: a correction added to the previous YCbCr samples
          if (header.subsampling !== 444) {
            // ASPEED's reference decoder: "pass2 not supported in yuv420".
            throw new AtenError('ATEN_ERR_AST2100_UNSUPPORTED', 'PASS2 block in a 4:2:0 frame', 'ast2100.block-code');
          }
          this.#dctBlock(r, header, mx, my, fb, 2, true);
          break;
        default: // 5, 6, 7: VQ with 1, 2, 4 colours
          if (header.subsampling !== 444) {
            // VQ blocks are 8x8 and only ever seen in 4:4:4 ("text") mode (kelleyk).
            throw new AtenError('ATEN_ERR_AST2100_UNSUPPORTED', 'VQ block in a 4:2:0 frame', 'ast2100.block-code');
          }
          this.#vqBlock(r, (code & 0x7) - 5, mx, my, fb);
      }
      result.blocks[kind] = (result.blocks[kind] ?? 0) + 1;
      result.totalBlocks++;
      if (rowMin[my] === -1 || mx < rowMin[my]!) rowMin[my] = mx;
      if (mx > rowMax[my]!) rowMax[my] = mx;
      mx++;
      if (mx >= mbw) {
        mx = 0;
        my++;
        if (my >= mbh) my = 0;
      }
    }
    result.endOfFrame = true;
    result.trailingBits = r.remaining;
    result.endedExactly = r.remaining < 128 && r.restIsZero();
    result.finalPosition = { x: mx, y: my };
    for (let row = 0; row < mbh; row++) {
      if (rowMin[row] === -1) continue;
      const x = rowMin[row]! * mcu;
      const y = row * mcu;
      result.changed.push({ x, y, width: Math.min(width, (rowMax[row]! + 1) * mcu) - x, height: Math.min(height, y + mcu) - y });
    }
    return result;
  }

  #loadQuant(h: Ast2100Header): void {
    const key = `${h.selector0}/${h.selector1}/${this.#byte1}`;
    if (key === this.#quantKey) return;
    const [luma, chroma, advLuma, advChroma] =
      this.#byte1 === 'chroma' ? [h.selector0, h.selector1, h.selector0, h.selector1] : [h.selector0, h.selector0, h.selector1, h.selector1];
    this.#quant[0]!.set(LUMA_QUANT_TABLES[luma]!);
    this.#quant[1]!.set(CHROMA_QUANT_TABLES[chroma]!);
    this.#quant[2]!.set(LUMA_QUANT_TABLES[advLuma]!);
    this.#quant[3]!.set(CHROMA_QUANT_TABLES[advChroma]!);
    this.#quantKey = key;
  }

  #ensureYuv(width: number, height: number): void {
    if (this.#yuv && this.#yuvW === width && this.#yuvH === height) return;
    this.#yuv = new Uint8Array(width * height * 3);
    this.#yuvW = width;
    this.#yuvH = height;
  }

  /** One data unit: Huffman-decode, dequantise, IDCT into `samples` at `offset`. */
  #dataUnit(r: Ast2100BitReader, component: 0 | 1 | 2, quant: Float64Array, offset: number): void {
    const t = component === 0 ? 0 : 1;
    const coef = this.#coef;
    coef.fill(0);
    const cat = HUFF_DC[t].decode(r, 'ast2100.dct.dc');
    if (cat > 11) throw new AtenError('ATEN_ERR_AST2100_COEFFICIENT', `DC category ${cat} > 11`, 'ast2100.dct.dc');
    this.#dc[component]! += extend(r.read(cat, 'ast2100.dct.dc'), cat);
    coef[0] = this.#dc[component]! * quant[0]!;
    for (let k = 1; k < 64;) {
      const rs = HUFF_AC[t].decode(r, 'ast2100.dct.ac');
      const run = rs >>> 4;
      const size = rs & 15;
      if (size === 0) {
        if (run === 15) {
          k += 16; // ZRL
          if (k > 64) throw new AtenError('ATEN_ERR_AST2100_COEFFICIENT', 'zero run past coefficient 63', 'ast2100.dct.ac');
          continue;
        }
        break; // EOB
      }
      k += run;
      if (k > 63) throw new AtenError('ATEN_ERR_AST2100_COEFFICIENT', `coefficient index ${k} > 63`, 'ast2100.dct.ac');
      const z = ZIGZAG[k]!;
      coef[z] = extend(r.read(size, 'ast2100.dct.ac'), size) * quant[z]!;
      k++;
    }
    inverseDct(coef, this.#samples, offset);
  }

  #dctBlock(r: Ast2100BitReader, h: Ast2100Header, mx: number, my: number, fb: Framebuffer, pair: 0 | 2, pass2: boolean): void {
    const qY = this.#quant[pair]!;
    const qC = this.#quant[pair + 1]!;
    const s = this.#samples;
    const d = fb.data;
    const stride = fb.width * 4;
    if (h.subsampling === 422) {
      // Four luma blocks (top-left, top-right, bottom-left, bottom-right), then Cb, Cr at half resolution.
      for (let i = 0; i < 4; i++) this.#dataUnit(r, 0, qY, i * 64);
      this.#dataUnit(r, 1, qC, 256);
      this.#dataUnit(r, 2, qC, 320);
      const x0 = mx * 16;
      const y0 = my * 16;
      const w = Math.min(16, fb.width - x0);
      const hgt = Math.min(16, fb.height - y0);
      for (let j = 0; j < hgt; j++) {
        let o = (y0 + j) * stride + x0 * 4;
        for (let i = 0; i < w; i++, o += 4) {
          const y = s[((j >> 3) * 2 + (i >> 3)) * 64 + (j & 7) * 8 + (i & 7)]!;
          const c = (j >> 1) * 8 + (i >> 1);
          ycbcrToRgbx(y, s[256 + c]!, s[320 + c]!, d, o);
        }
      }
      return;
    }
    this.#dataUnit(r, 0, qY, 0);
    this.#dataUnit(r, 1, qC, 64);
    this.#dataUnit(r, 2, qC, 128);
    const x0 = mx * 8;
    const y0 = my * 8;
    const w = Math.min(8, fb.width - x0);
    const hgt = Math.min(8, fb.height - y0);
    const yuv = this.#yuv!;
    for (let j = 0; j < hgt; j++) {
      let o = (y0 + j) * stride + x0 * 4;
      let p = ((y0 + j) * fb.width + x0) * 3;
      for (let i = 0; i < w; i++, o += 4, p += 3) {
        const m = j * 8 + i;
        let y = s[m]!;
        let cb = s[64 + m]!;
        let cr = s[128 + m]!;
        if (pass2) {
          // The second pass carries a refinement centred on 128, added to what the first pass drew.
          // ASPEED's decoder stores the sum in a byte, so it wraps; we do the same.
          y = (yuv[p]! + y - 128) & 0xff;
          cb = (yuv[p + 1]! + cb - 128) & 0xff;
          cr = (yuv[p + 2]! + cr - 128) & 0xff;
        }
        yuv[p] = y;
        yuv[p + 1] = cb;
        yuv[p + 2] = cr;
        ycbcrToRgbx(y, cb, cr, d, o);
      }
    }
  }

  /**
   * VQ block, 8x8, 4:4:4 only: for each of the 2^bits codewords, 1 bit "new colour" and 2 bits
   * codebook slot, then Y, Cb, Cr (8 bits each) when new; then 64 indices of `bits` bits (none for
   * one colour). The codebook's four slots persist across blocks and frames.
   */
  #vqBlock(r: Ast2100BitReader, bits: number, mx: number, my: number, fb: Framebuffer): void {
    const book = this.#codebook;
    const lookup = [0, 0, 0, 0];
    for (let i = 0; i < 1 << bits; i++) {
      const update = r.read(1, 'ast2100.vq.codeword');
      const slot = r.read(2, 'ast2100.vq.codeword');
      if (update) {
        book[slot * 3] = r.read(8, 'ast2100.vq.colour');
        book[slot * 3 + 1] = r.read(8, 'ast2100.vq.colour');
        book[slot * 3 + 2] = r.read(8, 'ast2100.vq.colour');
      }
      lookup[i] = slot;
    }
    const idx = this.#samples; // reuse: 64 indices
    for (let m = 0; m < 64; m++) idx[m] = bits === 0 ? 0 : r.read(bits, 'ast2100.vq.pixels');
    const x0 = mx * 8;
    const y0 = my * 8;
    const w = Math.min(8, fb.width - x0);
    const hgt = Math.min(8, fb.height - y0);
    const stride = fb.width * 4;
    const yuv = this.#yuv!;
    for (let j = 0; j < hgt; j++) {
      let o = (y0 + j) * stride + x0 * 4;
      let p = ((y0 + j) * fb.width + x0) * 3;
      for (let i = 0; i < w; i++, o += 4, p += 3) {
        const c = lookup[idx[j * 8 + i]!]! * 3;
        yuv[p] = book[c]!;
        yuv[p + 1] = book[c + 1]!;
        yuv[p + 2] = book[c + 2]!;
        ycbcrToRgbx(book[c]!, book[c + 1]!, book[c + 2]!, fb.data, o);
      }
    }
  }
}

/** T.81 F.2.2.1 EXTEND: a `size`-bit magnitude code to a signed value. */
function extend(v: number, size: number): number {
  if (size === 0) return 0;
  return v < 1 << (size - 1) ? v - (1 << size) + 1 : v;
}
