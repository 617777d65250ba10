import zlib from 'node:zlib';
import { RfbError } from '../../errors.js';
import { nativeStream, ZLIB_WINDOW_BYTES, type NativeStream } from './native-zlib.js';

/** Output up to this size is written into one shared scratch buffer (see `inflate`); larger output gets its own. */
const SCRATCH_BYTES = 64 * 1024;
let scratch: Buffer | undefined;

/** RFC 1950 §2.2: the zlib header's CMF byte, CM 8 (deflate) and CINFO (log2 window - 8) at most 7. */
export function zlibCmfOk(cmf: number): boolean {
  return (cmf & 0x0f) === 8 && cmf >> 4 <= 7;
}

/** RFC 1950 §2.2: FCHECK makes CMF*256+FLG a multiple of 31; FDICT (a preset dictionary) is never used by RFB. */
export function zlibFlgOk(cmf: number, flg: number): boolean {
  return (cmf * 256 + flg) % 31 === 0 && !(flg & 0x20);
}

/**
 * One persistent zlib stream, inflated synchronously one rectangle at a time, with bounded output.
 *
 * One native raw-inflate stream lives as long as this object and is driven through Node's internal
 * `writeSync` (native-zlib.ts says why): one inflate() call per rectangle, and zlib itself keeps the
 * window. (Until this stop each rectangle was inflated as a fresh raw stream with the last 32 KiB of
 * output as its dictionary.)
 *
 * Every RFB server we know (TigerVNC ZlibOutStream, libvncserver tight.c/zrle, QEMU vnc-enc-*,
 * TightVNC) ends each rectangle's compressed data with Z_SYNC_FLUSH, so one rectangle's bytes inflate
 * completely in one call. The 2-byte zlib header (RFC 1950 §2.2) that starts the stream, and starts it
 * again after a reset, is checked and stripped here and the stream inflated raw, so a header split
 * over rectangles and Tight's reset bits need nothing from zlib but reset(). The Adler-32 trailer
 * never comes (servers never finish the stream); if a stream does end, the rest of that input is
 * ignored and the next call starts a raw stream without history.
 */
export class Inflater {
  /** zlib's window: the most output a later rectangle's data can refer back to. */
  static readonly WINDOW_BYTES = ZLIB_WINDOW_BYTES;
  #stream: NativeStream | undefined;
  /**
   * With keepHistory(): the stream's last WINDOW_BYTES of output (a ring; `#histEnd` is where the next
   * byte goes) and how much it has produced since its last (re)start, so that a viewer's inflater can be
   * brought to the same state (src/viewer/relay.ts).
   */
  #keep = false;
  /** Allocated at the first output kept: a stream never used costs nothing. */
  #history: Buffer | undefined;
  #histEnd = 0;
  #histTotal = 0;
  /** The raw stream reached its final block: the next call starts it again. */
  #ended = false;
  /** Bytes of the 2-byte zlib header still to come (2 after a reset). */
  #headerPending = 2;
  #cmf = 0;
  /** This inflater's own scratch (`ownScratch`), or undefined: the one all others share. */
  #ownScratch: Buffer | undefined;

  /**
   * `ownScratch`: output of up to 64 KiB goes into scratch memory of this inflater's own instead of
   * the one buffer all inflaters share (inflate()). For inflating while a caller may hold the shared
   * scratch's output: a deferred paint run by a decoder's first read of the framebuffer, between its
   * own inflate and its drawing (tight.ts).
   */
  constructor(options: { ownScratch?: boolean } = {}) {
    if (options.ownScratch) this.#ownScratch = Buffer.allocUnsafe(SCRATCH_BYTES + 1);
  }

  /** Forgets the stream: the next data starts a new zlib stream with its own header (Tight's reset bits). */
  reset(): void {
    this.#headerPending = 2;
    this.#ended = false;
    this.#histTotal = 0;
    this.#stream?.native.reset();
  }

  /**
   * Inflates one rectangle's worth of compressed bytes and returns all the output they hold.
   * Throws RFB_ERR_ZLIB_OVERFLOW when they hold more than `maxOutput` bytes and RFB_ERR_ZLIB_DATA on
   * corrupt data. Does not keep `input`.
   *
   * The result is only valid until the next `inflate` call on any Inflater: output of up to 64 KiB
   * (every rectangle of a text console) is written into one scratch buffer shared by all streams, so
   * the decoders allocate nothing per rectangle; every caller draws the pixels before it inflates again.
   * (With `ownScratch`: until the next call on this Inflater.)
   */
  inflate(input: Uint8Array, maxOutput: number, field: string): Buffer {
    let data = input;
    while (this.#headerPending > 0 && data.length > 0) {
      const byte = data[0]!;
      if (this.#headerPending === 2) {
        if (!zlibCmfOk(byte)) throw new RfbError('RFB_ERR_ZLIB_DATA', `bad zlib header byte CMF=0x${byte.toString(16)}`, field);
        this.#cmf = byte;
      } else if (!zlibFlgOk(this.#cmf, byte)) {
        throw new RfbError('RFB_ERR_ZLIB_DATA', `bad zlib header byte FLG=0x${byte.toString(16)}`, field);
      }
      this.#headerPending--;
      data = data.subarray(1);
    }
    if (data.length === 0) return Buffer.alloc(0);
    const { native, state } = this.#open();
    if (this.#ended) {
      native.reset();
      this.#ended = false;
      this.#histTotal = 0;
    }
    // One byte more room than allowed: output that fills it is too much (and is all zlib is asked
    // for, so a zlib bomb stops there). Output that does not fill its buffer means inflate() ran out
    // of input, which for sync-flushed data is all of the rectangle.
    const limit = Math.max(0, maxOutput) + 1;
    let out =
      limit <= SCRATCH_BYTES + 1
        ? (this.#ownScratch ?? (scratch ??= Buffer.allocUnsafe(SCRATCH_BYTES + 1)))
        : Buffer.allocUnsafe(Math.min(limit, SCRATCH_BYTES));
    let parts: Buffer[] | undefined;
    let produced = 0;
    let inOff = 0;
    let inLen = data.length;
    for (;;) {
      const room = Math.min(out.length, limit - produced);
      native.writeSync(zlib.constants.Z_SYNC_FLUSH, data, inOff, inLen, out, 0, room);
      const error = this.#stream!.takeError();
      if (error) {
        this.#discard();
        throw new RfbError('RFB_ERR_ZLIB_DATA', `corrupt zlib data (${error.message}, ${error.code})`, field);
      }
      const availOut = state[0]!;
      const availIn = state[1]!;
      const got = room - availOut;
      produced += got;
      inOff += inLen - availIn;
      inLen = availIn;
      if (produced > maxOutput) {
        // The stream is now mid-rectangle; the decoder fails the connection on this error anyway.
        this.#discard();
        throw new RfbError('RFB_ERR_ZLIB_OVERFLOW', `compressed data inflates to more than the ${maxOutput} bytes the rectangle needs`, field);
      }
      if (availOut > 0) {
        // inflate() stopped with room left: out of input, or (input left over) at the end of the stream.
        if (availIn > 0) this.#ended = true;
        let result = out.subarray(0, got);
        if (parts) {
          parts.push(result);
          result = Buffer.concat(parts, produced);
        }
        if (this.#keep) this.#remember(result);
        return result;
      }
      // The buffer is full and more output may be pending (ZRLE, whose size is only bounded): go on in
      // a new one. (Never the scratch buffer: it has room for all output allowed, plus one byte.)
      (parts ??= []).push(out);
      out = Buffer.allocUnsafe(Math.min(limit - produced, SCRATCH_BYTES));
    }
  }

  /** Keep the last WINDOW_BYTES of output from now on (streamState() reads it). */
  keepHistory(): void {
    if (this.#keep) return;
    this.#keep = true;
    // Output already produced was not kept: unknown until the stream restarts.
    if (this.#stream) this.#histTotal = -1;
  }

  /**
   * What a client's inflater must hold to inflate this stream's next data as this one will (for
   * relaying it, src/viewer/relay.ts): 'fresh' when the stream has just (re)started and its zlib
   * header is still to come; else the output that later data can refer back to, its last
   * WINDOW_BYTES or all of it since it (re)started (a fresh copy). A deflate block refers only to
   * earlier output at most WINDOW_BYTES back, and every rectangle's data ends on a block boundary
   * (the sync flush), so an inflater that has just output these bytes inflates the stream's further
   * data to the same output. Undefined without keepHistory(), when the history is unknown (kept from
   * mid-stream on, or after corrupt input), or between the two header bytes.
   */
  streamState(): 'fresh' | Buffer | undefined {
    if (this.#headerPending === 2) return 'fresh';
    if (!this.#keep || this.#histTotal < 0 || this.#headerPending !== 0 || this.#ended) return undefined;
    const h = this.#history;
    if (!h) return Buffer.alloc(0); // nothing output since the header
    const n = Math.min(this.#histTotal, h.length);
    const out = Buffer.allocUnsafe(n);
    const start = (this.#histEnd - n + h.length) % h.length;
    if (start + n <= h.length) h.copy(out, 0, start, start + n);
    else {
      const first = h.length - start;
      h.copy(out, 0, start);
      h.copy(out, first, 0, n - first);
    }
    return out;
  }

  #remember(data: Buffer): void {
    if (this.#histTotal < 0) return;
    const h = (this.#history ??= Buffer.allocUnsafe(Inflater.WINDOW_BYTES));
    this.#histTotal += data.length;
    let src = data;
    if (src.length > h.length) src = src.subarray(src.length - h.length);
    const first = Math.min(src.length, h.length - this.#histEnd);
    src.copy(h, this.#histEnd, 0, first);
    if (first < src.length) src.copy(h, 0, first);
    this.#histEnd = (this.#histEnd + src.length) % h.length;
  }

  #open(): NativeStream {
    // Z_MIN_CHUNK: the stream object's own output buffer is never used (writeSync is given ours).
    return (this.#stream ??= nativeStream(zlib.createInflateRaw({ chunkSize: zlib.constants.Z_MIN_CHUNK })));
  }

  /** Closes a stream left in an unknown state by an error; the next call opens a new one. */
  #discard(): void {
    const stream = this.#stream;
    this.#stream = undefined;
    this.#ended = false;
    this.#histTotal = -1;
    stream?.native.close();
  }
}
