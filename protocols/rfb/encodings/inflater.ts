import zlib from 'node:zlib';
import { RfbError } from '../../errors.js';
import { nativeStream, type NativeStream } from './native-zlib.js';

/** Output up to this size is written into one shared scratch buffer (see `inflate`); larger output gets its own. */
const SCRATCH_BYTES = 64 * 1024;
let scratch: Buffer | undefined;

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
  #stream: NativeStream | undefined;
  /** The raw stream reached its final block: the next call starts it again. */
  #ended = false;
  /** Bytes of the 2-byte zlib header still to come (2 after a reset). */
  #headerPending = 2;
  #cmf = 0;

  /** Forgets the stream: the next data starts a new zlib stream with its own header (Tight's reset bits). */
  reset(): void {
    this.#headerPending = 2;
    this.#ended = false;
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
    const { native, state } = this.#open();
    if (this.#ended) {
      native.reset();
      this.#ended = false;
    }
    // One byte more room than allowed: output that fills it is too much (and is all zlib is asked
    // for, so a zlib bomb stops there). Output that does not fill its buffer means inflate() ran out
    // of input, which for sync-flushed data is all of the rectangle.
    const limit = Math.max(0, maxOutput) + 1;
    let out = limit <= SCRATCH_BYTES + 1 ? (scratch ??= Buffer.allocUnsafe(SCRATCH_BYTES + 1)) : Buffer.allocUnsafe(Math.min(limit, SCRATCH_BYTES));
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
        if (!parts) return out.subarray(0, got);
        parts.push(out.subarray(0, got));
        return Buffer.concat(parts, produced);
      }
      // The buffer is full and more output may be pending (ZRLE, whose size is only bounded): go on in
      // a new one. (Never the scratch buffer: it has room for all output allowed, plus one byte.)
      (parts ??= []).push(out);
      out = Buffer.allocUnsafe(Math.min(limit - produced, SCRATCH_BYTES));
    }
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
    stream?.native.close();
  }
}
