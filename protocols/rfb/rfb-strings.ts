import type { ByteQueue } from '../byte-queue.js';
import { RfbError } from '../errors.js';

/**
 * Text on the RFB wire. rfbproto "String Encodings": names and reasons have historically no defined
 * encoding (Latin-1 and Windows code pages are common), new implementations should use UTF-8, and a
 * receiver must cope with invalid UTF-8 without losing sync. Cut text is explicitly ISO 8859-1
 * (§7.5.6 ClientCutText, §7.6.4 ServerCutText).
 */

const utf8Strict = new TextDecoder('utf-8', { fatal: true });

/**
 * Decodes a display string (desktop name, failure reason): UTF-8 when the bytes are valid UTF-8,
 * otherwise Latin-1 (the historic encoding), so an old server's "Büro" still reads right.
 */
export function decodeDisplayString(bytes: Uint8Array): string {
  try {
    return utf8Strict.decode(bytes);
  } catch {
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('latin1');
  }
}

/** Latin-1 bytes for cut text; characters outside ISO 8859-1 become '?' (noVNC does the same). */
export function encodeLatin1(text: string): Buffer {
  const out = Buffer.allocUnsafe(text.length);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    out[i] = c > 0xff ? 0x3f : c;
  }
  return out;
}

export function decodeLatin1(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('latin1');
}

/**
 * Peeks a U32-length-prefixed string starting `offset` bytes into `q`, without consuming. Returns
 * undefined until the whole string is buffered; `size` is the prefix plus the string. The length is
 * checked against `limit` before we wait for it (RFB_ERR_TOO_LARGE naming `field`).
 */
export function peekLengthPrefixed(q: ByteQueue, offset: number, limit: number, field: string): { bytes: Buffer; size: number } | undefined {
  if (!q.has(offset + 4)) return undefined;
  const length = q.peekUint32BE(offset);
  if (length > limit) {
    throw new RfbError('RFB_ERR_TOO_LARGE', `${length} bytes is over the limit of ${limit}`, field);
  }
  if (!q.has(offset + 4 + length)) return undefined;
  const bytes = q.peek(offset + 4 + length).subarray(offset + 4);
  return { bytes, size: 4 + length };
}
