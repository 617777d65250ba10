import zlib from 'node:zlib';
import { nativeStream, ZLIB_WINDOW_BYTES as WINDOW_BYTES, type NativeStream } from './native-zlib.js';

/** RFC 1950 header: CM 8, CINFO 7 (32 KiB window), FCHECK making 0x7801 a multiple of 31, no dictionary. */
const ZLIB_HEADER = Buffer.of(0x78, 0x01);

/**
 * The native deflate streams behind deflateFresh, one per (level, windowBits), made at first use and
 * reset before each rectangle (deflateReset keeps zlib's allocations; it zeroes a hash table of
 * 2^(memLevel+7) entries, a few KiB at the sizes used for text cells).
 */
const freshStreams = new Map<number, NativeStream>();
/** deflateFresh's output, copied by its caller before the next call. */
let freshOut = Buffer.allocUnsafe(0);

/**
 * Compresses `data` as a complete, freshly started zlib stream ending in Z_SYNC_FLUSH (header, deflate
 * blocks, empty stored block; no Adler-32 trailer, like a server's stream just after a reset). Used by
 * encoders whose output must be decodable by any viewer regardless of history (Tight with reset bits).
 * The bytes are exactly those of `zlib.deflateSync(data, {level, windowBits, memLevel, finishFlush:
 * Z_SYNC_FLUSH})` (the same zlib, reset instead of set up anew: native-zlib.ts); the result is only
 * valid until the next call (the Tight encoder copies it into the rectangle at once).
 */
export function deflateFresh(data: Uint8Array, level: number): Buffer {
  // A stream that starts and ends with this data needs a window no longer than the data. zlib's set-up
  // is sized by windowBits and memLevel (about 256 KiB of window, hash chains and symbol buffer at the
  // defaults 15 and 8, its hash table zeroed on every reset), which for the few hundred bytes of a text
  // console's rectangle was most of the encode. The header states the window (CINFO = windowBits - 8,
  // RFC 1950 §2.2) and an inflater accepts any window up to its own (zlib's inflate.c "invalid window
  // size" only refuses a larger one); memLevel keeps the symbol buffer (2^(memLevel+6) symbols) at
  // least as long as the data, so it still fits one deflate block. Minimum windowBits is 9 (zlib
  // raises 8 to 9 anyway).
  let bits = 9;
  while (bits < 15 && 1 << bits < data.length) bits++;
  const key = level * 16 + bits;
  let stream = freshStreams.get(key);
  if (stream) stream.native.reset();
  else {
    // Z_MIN_CHUNK: the stream object's own output buffer is never used (writeSync is given ours).
    stream = nativeStream(zlib.createDeflate({ level, windowBits: bits, memLevel: Math.min(8, Math.max(1, bits - 6)), chunkSize: zlib.constants.Z_MIN_CHUNK }));
    freshStreams.set(key, stream);
  }
  // Room for zlib's worst case at any window and memLevel (deflateBound in deflate.c: fixed blocks,
  // len + len/8 + len/256 + len/512 + 4, plus the 2-byte header), with the sync flush's 5 bytes and
  // to spare: deflate() then always returns with output room left, i.e. done (zlib.h, Z_SYNC_FLUSH).
  const bound = data.length + (data.length >> 3) + (data.length >> 7) + 64;
  if (freshOut.length < bound) freshOut = Buffer.allocUnsafe(Math.max(bound, 4096));
  stream.native.writeSync(zlib.constants.Z_SYNC_FLUSH, data, 0, data.length, freshOut, 0, bound);
  const error = stream.takeError();
  const availOut = stream.state[0]!;
  if (error || availOut === 0) {
    freshStreams.delete(key);
    stream.native.close();
    throw new Error(error ? `zlib deflate failed (${error.message}, ${error.code})` : `zlib deflate needed more than ${bound} bytes for ${data.length}`);
  }
  return freshOut.subarray(0, bound - availOut);
}

/**
 * One persistent zlib stream for an encoder (ZRLE's one stream per connection), compressed
 * synchronously one rectangle at a time. The mirror of Inflater's approach (see inflater.ts for why
 * not a zlib.Deflate object): each rectangle is deflated as raw deflate with `dictionary` = the last
 * 32 KiB of input this stream has compressed, and ends in Z_SYNC_FLUSH. A viewer's single inflate
 * stream then sees an ordinary continuing zlib stream: its window holds exactly that history, so
 * back-references into it resolve, and each rectangle starts on a byte-aligned block boundary.
 * The first rectangle carries the zlib header; no trailer is ever sent (the stream never ends).
 */
export class Deflater {
  readonly #level: number;
  readonly #window = Buffer.alloc(WINDOW_BYTES);
  #windowLength = 0;
  #started = false;

  constructor(level: number) {
    this.#level = level;
  }

  /** The compressed bytes for `data`, continuing this stream. Does not keep `data`. */
  deflate(data: Uint8Array): Buffer {
    const raw = zlib.deflateRawSync(data, {
      level: this.#level,
      finishFlush: zlib.constants.Z_SYNC_FLUSH,
      ...(this.#windowLength > 0 ? { dictionary: this.#window.subarray(0, this.#windowLength) } : {}),
    });
    this.#remember(data);
    if (this.#started) return raw;
    this.#started = true;
    return Buffer.concat([ZLIB_HEADER, raw]);
  }

  #remember(data: Uint8Array): void {
    const w = this.#window;
    if (data.length >= WINDOW_BYTES) {
      w.set(data.subarray(data.length - WINDOW_BYTES));
      this.#windowLength = WINDOW_BYTES;
      return;
    }
    const keep = Math.min(this.#windowLength, WINDOW_BYTES - data.length);
    w.copyWithin(0, this.#windowLength - keep, this.#windowLength);
    w.set(data, keep);
    this.#windowLength = keep + data.length;
  }
}
