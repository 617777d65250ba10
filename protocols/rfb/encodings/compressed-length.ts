import { LIMITS } from '../../limits.js';

/**
 * Largest compressed length we accept for data that inflates to at most `maxInflated` bytes.
 * Deflate never needs more than the stored-block worst case (5 bytes per 64 KiB block plus the zlib
 * header and a sync-flush marker: zlib's deflateBound), so anything far past that is not honest data;
 * we allow 1/8 + 1 KiB of slack for encoders that flush oddly, capped by LIMITS.maxCompressedRectBytes.
 */
export function compressedLengthLimit(maxInflated: number): number {
  return Math.min(LIMITS.maxCompressedRectBytes, maxInflated + Math.ceil(maxInflated / 8) + 1024);
}
