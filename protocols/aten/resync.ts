import { LIMITS } from '../limits.js';
import { QUANT_SELECTORS } from './ast2100/tables.js';
import { ATEN_NO_SIGNAL_HEIGHT, ATEN_NO_SIGNAL_WIDTH, AtenEncoding, Ast2100Subsampling, AtenServerMessageType } from './constants.js';

const FBU_HEADER_BYTES = 4;
const RECT_HEADER_BYTES = 20;
/** Server message types an update may be followed by (constants.ts), to confirm a candidate. */
const KNOWN_TYPES = new Set<number>(Object.values(AtenServerMessageType));

/**
 * Where the next ATEN FramebufferUpdate starts in `data` at or after `from`, or -1. For a capture
 * that starts mid-stream, and to carry on after bytes the capture lost: ATEN messages carry no
 * length, so after a hole the only way back in step is to recognise an update header.
 *
 * A candidate must look like what every board sends (notes §3.1, and the X10SRi-F capture): type 0,
 * padding 0, 1..LIMITS.maxAtenRects rectangles; the first rectangle at x = y = 0 with a usable
 * screen size (or the no-signal sentinel), encoding 0x57, 0x59 or 0x00, a bounded length, and a
 * payload that starts like its encoding (AST2100: selectors 0..11 and marker 444/422; Hermon:
 * sub-type 0 or 1). When the whole one-rectangle update lies in `data`, the byte after it must end
 * the data or start a known message type. Pure: reads `data`, keeps nothing.
 */
export function findAtenUpdate(data: Uint8Array, from = 0): number {
  const v = new DataView(data.buffer, data.byteOffset, data.byteLength);
  for (let i = Math.max(0, from); i + FBU_HEADER_BYTES + RECT_HEADER_BYTES <= data.length; i++) {
    if (data[i] !== 0 || data[i + 1] !== 0) continue;
    const rects = v.getUint16(i + 2);
    if (rects < 1 || rects > LIMITS.maxAtenRects) continue;
    const r = i + FBU_HEADER_BYTES;
    if (v.getUint16(r) !== 0 || v.getUint16(r + 2) !== 0) continue;
    const width = v.getUint16(r + 4);
    const height = v.getUint16(r + 6);
    const encoding = v.getInt32(r + 8);
    const length = v.getUint32(r + 16);
    if (encoding !== AtenEncoding.Ast2100 && encoding !== AtenEncoding.Hermon && encoding !== AtenEncoding.HermonLegacy) continue;
    if (length > LIMITS.maxAtenRectBytes) continue;
    const sentinel = width === ATEN_NO_SIGNAL_WIDTH && height === ATEN_NO_SIGNAL_HEIGHT;
    if (!sentinel && (width === 0 || height === 0 || width > LIMITS.maxFramebufferWidth || height > LIMITS.maxFramebufferHeight)) continue;
    const p = r + RECT_HEADER_BYTES;
    if (!sentinel && length > 0 && !payloadLooksRight(data, p, length, encoding)) continue;
    const after = p + length;
    if (rects === 1 && after < data.length && !KNOWN_TYPES.has(data[after]!)) continue;
    return i;
  }
  return -1;
}

function payloadLooksRight(data: Uint8Array, p: number, length: number, encoding: number): boolean {
  if (encoding === AtenEncoding.Ast2100) {
    if (length < 4 || p + 4 > data.length) return p + 4 > data.length && length >= 4; // not all here: accept on the header alone
    const marker = (data[p + 2]! << 8) | data[p + 3]!;
    return data[p]! < QUANT_SELECTORS && data[p + 1]! < QUANT_SELECTORS && (marker === Ast2100Subsampling.Yuv444 || marker === Ast2100Subsampling.Yuv420);
  }
  if (length < 10) return false;
  return p >= data.length || data[p] === 0 || data[p] === 1;
}
