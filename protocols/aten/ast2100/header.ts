import { AtenError } from '../../errors.js';
import { Ast2100Subsampling } from '../constants.js';
import { QUANT_SELECTORS } from './tables.js';

/**
 * The 4 bytes in front of every AST2100 frame: byte 0 and byte 1 are quantisation table
 * selectors (0..11), bytes 2-3 are the subsampling marker, u16 big-endian: 444 (0x01BC) for 4:4:4
 * with 8x8 MCUs, 422 (0x01A6) for what is really 4:2:0 with 16x16 MCUs.
 *
 * What byte 1 selects is disputed (notes §3.3): kelleyk/noVNC and the Supermicro HTML5 viewer
 * (as ported in MishaProductions/AtenKVMClient) read it as the chroma table selector; ASPEED's own
 * decoder (aspeed_codec) uses byte 0 for both luma and chroma and byte 1 as the "advance" selector
 * for the PASS2 / LOW_JPEG tables. See Ast2100HeaderByte1 in decoder.ts for what we found.
 */
export interface Ast2100Header {
  selector0: number;
  selector1: number;
  subsampling: 444 | 422;
}

export const AST2100_HEADER_BYTES = 4;

export function parseAst2100Header(data: Uint8Array): Ast2100Header {
  if (data.length < AST2100_HEADER_BYTES) {
    throw new AtenError('ATEN_ERR_AST2100_TRUNCATED', `${data.length} bytes cannot hold the 4-byte header`, 'ast2100.header');
  }
  const selector0 = data[0]!;
  const selector1 = data[1]!;
  for (const [v, f] of [
    [selector0, 'ast2100.header.selector0'],
    [selector1, 'ast2100.header.selector1'],
  ] as const) {
    if (v >= QUANT_SELECTORS) throw new AtenError('ATEN_ERR_AST2100_SELECTOR', `quantisation selector ${v} is not 0..${QUANT_SELECTORS - 1}`, f);
  }
  const sub = (data[2]! << 8) | data[3]!;
  if (sub !== Ast2100Subsampling.Yuv444 && sub !== Ast2100Subsampling.Yuv420) {
    throw new AtenError(
      'ATEN_ERR_AST2100_SUBSAMPLING',
      `subsampling marker 0x${sub.toString(16).padStart(4, '0')} is neither 444 (0x01bc) nor 422 (0x01a6)`,
      'ast2100.header.subsampling',
    );
  }
  return { selector0, selector1, subsampling: sub };
}
