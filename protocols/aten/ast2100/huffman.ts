import { AtenError } from '../../errors.js';
import type { Ast2100BitReader } from './bit-reader.js';

/**
 * A canonical JPEG Huffman table (T.81 Annex C) as a 16-bit lookup: entry = (code length << 8) |
 * symbol, 0 for bit patterns that start no code (the all-ones code is never assigned).
 */
export class HuffmanTable {
  readonly #lookup = new Uint16Array(1 << 16);

  /** `bits[i]` = number of codes of length i+1; `values` = symbols in code order. */
  constructor(bits: readonly number[], values: readonly number[]) {
    let code = 0;
    let k = 0;
    for (let len = 1; len <= 16; len++) {
      for (let i = 0; i < bits[len - 1]!; i++, k++) {
        const shift = 16 - len;
        const first = code << shift;
        this.#lookup.fill((len << 8) | values[k]!, first, first + (1 << shift));
        code++;
      }
      code <<= 1;
    }
  }

  /** Reads one symbol. Throws ATEN_ERR_AST2100_HUFFMAN on a bit pattern that is no code. */
  decode(r: Ast2100BitReader, field: string): number {
    const e = this.#lookup[r.peek(16)]!;
    if (e === 0) throw new AtenError('ATEN_ERR_AST2100_HUFFMAN', `invalid Huffman code at bit ${r.pos}`, field);
    r.skip(e >>> 8, field);
    return e & 0xff;
  }

  /** (length, code) of `symbol`, for encoders. */
  static codes(bits: readonly number[], values: readonly number[]): Map<number, { length: number; code: number }> {
    const out = new Map<number, { length: number; code: number }>();
    let code = 0;
    let k = 0;
    for (let len = 1; len <= 16; len++) {
      for (let i = 0; i < bits[len - 1]!; i++, k++) out.set(values[k]!, { length: len, code: code++ });
      code <<= 1;
    }
    return out;
  }
}
