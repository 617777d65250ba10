import { Encoding } from '../../../protocols/rfb/constants.js';

/** Names an operator may list in `console.encodings` (config) to pin what the BMC is asked for. */
export const ENCODING_NAMES: Readonly<Record<string, number>> = Object.freeze({
  raw: Encoding.Raw,
  copyrect: Encoding.CopyRect,
  rre: Encoding.RRE,
  hextile: Encoding.Hextile,
  zlib: Encoding.Zlib,
  tight: Encoding.Tight,
  zrle: Encoding.ZRLE,
});
