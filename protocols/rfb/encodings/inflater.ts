import zlib from 'node:zlib';
import { RfbError } from '../../errors.js';

/** Largest window a zlib stream can refer back into (RFC 1950 CINFO <= 7, i.e. 2^15 bytes). */
const WINDOW_BYTES = 32 * 1024;

/**
 * One persistent zlib stream, inflated synchronously one rectangle at a time, with bounded output.
 *
 * Why not a `zlib.Inflate` object: its only synchronous entry point (`_processChunk` without a
 * callback) closes the native handle after one call on Node 20 (processChunkSync ends in `_close`),
 * so it cannot carry a stream across rectangles, and `inflateSync` starts a new stream every time.
 *
 * How instead, with public API only: every RFB server we know (TigerVNC ZlibOutStream, libvncserver
 * tight.c/zrle, QEMU vnc-enc-*, TightVNC) ends each rectangle's compressed data with Z_SYNC_FLUSH, so
 * a rectangle's bytes always start on a byte-aligned deflate block boundary. The only state a deflate
 * decoder carries across such a boundary is its history window, so we inflate each rectangle as a
 * *raw* deflate stream with `dictionary` = the last 32 KiB this stream produced. The 2-byte zlib
 * header (RFC 1950 §2.2) that starts the stream, and starts it again after a reset, is checked and
 * stripped here; the Adler-32 trailer never comes (servers never finish the stream) and is ignored if
 * it does. Output is bounded with `maxOutputLength`, so a zlib bomb fails early instead of growing.
 * Cost: one native stream set-up per rectangle (~20 µs measured), fine next to the pixel work.
 *
 * Assumption (documented, not checked): a server that used Z_PARTIAL_FLUSH or Z_NO_FLUSH between
 * rectangles would break this; no server we target does, and noVNC would fail on it too.
 */
export class Inflater {
  /**
   * The stream's recent output, two windows long and made at first use: each rectangle's output is
   * appended after the last, and only when it no longer fits does the last window's worth move to the
   * front. Keeping exactly one window meant moving up to 32 KiB a rectangle, which for the small
   * rectangles of a text console cost more than inflating them.
   */
  #history: Buffer | undefined;
  /** The window (the dictionary for the next rectangle) is history[#start, #end), at most 32 KiB. */
  #start = 0;
  #end = 0;
  /** Bytes of the 2-byte zlib header still to come (2 after a reset). */
  #headerPending = 2;
  #cmf = 0;

  /** Forgets the stream: the next data starts a new zlib stream with its own header (Tight's reset bits). */
  reset(): void {
    this.#start = this.#end = 0;
    this.#headerPending = 2;
  }

  /**
   * Inflates one rectangle's worth of compressed bytes and returns all the output they hold.
   * Throws RFB_ERR_ZLIB_OVERFLOW when they hold more than `maxOutput` bytes and RFB_ERR_ZLIB_DATA on
   * corrupt data. Does not keep `input`; the result is a fresh buffer the caller owns.
   */
  inflate(input: Uint8Array, maxOutput: number, field: string): Buffer {
    let data = input;
    while (this.#headerPending > 0 && data.length > 0) {
      const byte = data[0]!;
      if (this.#headerPending === 2) {
        // RFC 1950: CM must be 8 (deflate) and CINFO (log2 window - 8) at most 7.
        if ((byte & 0x0f) !== 8 || byte >> 4 > 7) throw new RfbError('RFB_ERR_ZLIB_DATA', `bad zlib header byte CMF=0x${byte.toString(16)}`, field);
        this.#cmf = byte;
      } else {
        // FCHECK makes CMF*256+FLG a multiple of 31; FDICT (a preset dictionary) is never used by RFB.
        if ((this.#cmf * 256 + byte) % 31 !== 0 || byte & 0x20)
          throw new RfbError('RFB_ERR_ZLIB_DATA', `bad zlib header byte FLG=0x${byte.toString(16)}`, field);
      }
      this.#headerPending--;
      data = data.subarray(1);
    }
    if (data.length === 0) return Buffer.alloc(0);
    let out: Buffer;
    try {
      out = zlib.inflateRawSync(data, {
        finishFlush: zlib.constants.Z_SYNC_FLUSH,
        maxOutputLength: Math.max(1, maxOutput),
        // One output buffer of the size the rectangle needs (Tight knows it exactly) instead of 16 KiB
        // chunks joined afterwards; past 64 KiB, chunks of 64 KiB (ZRLE only knows an upper bound).
        chunkSize: Math.min(Math.max(zlib.constants.Z_MIN_CHUNK, maxOutput), 64 * 1024),
        ...(this.#end > this.#start ? { dictionary: this.#history!.subarray(this.#start, this.#end) } : {}),
      });
    } catch (err) {
      if ((err as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE') {
        throw new RfbError('RFB_ERR_ZLIB_OVERFLOW', `compressed data inflates to more than the ${maxOutput} bytes the rectangle needs`, field);
      }
      throw new RfbError('RFB_ERR_ZLIB_DATA', `corrupt zlib data (${(err as Error).message})`, field);
    }
    if (out.length > maxOutput) {
      throw new RfbError('RFB_ERR_ZLIB_OVERFLOW', `compressed data inflates to more than the ${maxOutput} bytes the rectangle needs`, field);
    }
    this.#remember(out);
    return out;
  }

  #remember(out: Buffer): void {
    if (out.length === 0) return;
    const h = (this.#history ??= Buffer.allocUnsafe(2 * WINDOW_BYTES));
    if (out.length >= WINDOW_BYTES) {
      out.copy(h, 0, out.length - WINDOW_BYTES);
      this.#start = 0;
      this.#end = WINDOW_BYTES;
      return;
    }
    if (this.#end + out.length > h.length) {
      // Out of room: what stays in the window after this output moves to the front.
      const keep = Math.min(this.#end - this.#start, WINDOW_BYTES - out.length);
      h.copy(h, 0, this.#end - keep, this.#end);
      this.#start = 0;
      this.#end = keep;
    }
    out.copy(h, this.#end);
    this.#end += out.length;
    if (this.#end - this.#start > WINDOW_BYTES) this.#start = this.#end - WINDOW_BYTES;
  }
}
