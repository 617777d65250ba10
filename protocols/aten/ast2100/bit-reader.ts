import { AtenError } from '../../errors.js';

/**
 * Reads the AST2100 bit-stream: the video engine writes 32-bit little-endian words and the bits of
 * each word are consumed from the most significant down (ASPEED's reference decoder loads `in_buf`
 * as native LE u32 and shifts left; kelleyk's BitStream swaps each group of four bytes). There is
 * no JPEG byte stuffing and there are no markers.
 *
 * A trailing partial word (never seen from a real engine) is zero-padded.
 */
export class Ast2100BitReader {
  readonly #words: Uint32Array;
  readonly totalBits: number;
  /** Bits consumed so far. */
  pos = 0;

  /** Does not keep `data`: the words are copied out. */
  constructor(data: Uint8Array) {
    const n = Math.ceil(data.length / 4);
    const words = new Uint32Array(n);
    const full = data.length >>> 2;
    for (let i = 0; i < full; i++) {
      const o = i * 4;
      words[i] = (data[o]! | (data[o + 1]! << 8) | (data[o + 2]! << 16) | (data[o + 3]! << 24)) >>> 0;
    }
    if (full < n) {
      let w = 0;
      for (let o = full * 4, s = 0; o < data.length; o++, s += 8) w |= data[o]! << s;
      words[full] = w >>> 0;
    }
    this.#words = words;
    this.totalBits = n * 32;
  }

  get remaining(): number {
    return this.totalBits - this.pos;
  }

  /** True when every bit from the current position to the end is 0 (the engine's padding). */
  restIsZero(): boolean {
    let i = this.pos >>> 5;
    const o = this.pos & 31;
    if (i < this.#words.length && o !== 0) {
      if ((this.#words[i]! << o) >>> 0 !== 0) return false;
      i++;
    }
    for (; i < this.#words.length; i++) if (this.#words[i] !== 0) return false;
    return true;
  }

  /** The next `n` (0..32) bits without consuming them; bits past the end read as 0. */
  peek(n: number): number {
    if (n === 0) return 0;
    const i = this.pos >>> 5;
    const o = this.pos & 31;
    const hi = i < this.#words.length ? this.#words[i]! : 0;
    let win: number;
    if (o === 0) {
      win = hi;
    } else {
      const lo = i + 1 < this.#words.length ? this.#words[i + 1]! : 0;
      win = ((hi << o) | (lo >>> (32 - o))) >>> 0;
    }
    return n === 32 ? win : win >>> (32 - n);
  }

  /** Consumes `n` bits (0..32). Throws ATEN_ERR_AST2100_TRUNCATED past the end of the data. */
  skip(n: number, field: string): void {
    if (this.pos + n > this.totalBits) {
      throw new AtenError('ATEN_ERR_AST2100_TRUNCATED', `needs ${n} more bits at bit ${this.pos} of ${this.totalBits}`, field);
    }
    this.pos += n;
  }

  read(n: number, field: string): number {
    const v = this.peek(n);
    this.skip(n, field);
    return v;
  }
}
