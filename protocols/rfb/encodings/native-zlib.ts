import type zlib from 'node:zlib';

/** Largest window a zlib stream can refer back into (RFC 1950 CINFO 7; RFC 1951 §2: distances up to 32,768). */
export const ZLIB_WINDOW_BYTES = 32 * 1024;

/**
 * The native zlib stream behind a node:zlib object, driven synchronously. Node's internal API
 * (lib/zlib.js and src/node_zlib.cc, the same in shape from Node 10 to 24): `writeSync(flush, in,
 * inOff, inLen, out, outOff, outLen)` runs one inflate() or deflate() call on the calling thread and
 * leaves [avail_out, avail_in] in the object's `_writeState`; `reset()` is inflateReset/deflateReset
 * (the allocated window and tables are kept); a zlib error is reported, synchronously, through
 * `onerror(message, errno, code)`.
 *
 * Why: Node's public API has no synchronous *continuing* stream (`inflateSync`/`deflateSync` set up,
 * and tear down, a whole native stream every call; a zlib object's synchronous `_processChunk` closes
 * its handle after one call), and a native stream set up per rectangle (a JavaScript stream object,
 * zlib's allocations, the hash table zeroed) cost the gateway more than the inflating and deflating
 * of a text console's small rectangles (BENCHMARKS.md, "Issue 14, goals 3–6").
 */
export interface NativeZlib {
  writeSync(flush: number, input: Uint8Array, inOff: number, inLen: number, out: Uint8Array, outOff: number, outLen: number): void;
  reset(): void;
  close(): void;
}

export interface NativeStream {
  readonly native: NativeZlib;
  /** [avail_out, avail_in] after the last writeSync. */
  readonly state: Uint32Array;
  /** The error the last writeSync reported, if any (and forgets it). */
  takeError(): { message: string; code: string } | undefined;
}

/**
 * The native stream of `stream` (a node:zlib object just made, never written to through its own
 * API). Throws naming the cause if this Node's internals are not shaped as expected, so a future
 * Node that changed them fails loudly at the first rectangle (and in the unit tests), not with
 * wrong pixels. The stream object stays alive with its handle, which refers to it.
 */
export function nativeStream(stream: zlib.Inflate | zlib.InflateRaw | zlib.Deflate): NativeStream {
  const internal = stream as unknown as { _handle?: Partial<NativeZlib> & { onerror?: unknown }; _writeState?: unknown };
  const native = internal._handle;
  const state = internal._writeState;
  if (
    !native ||
    typeof native.writeSync !== 'function' ||
    typeof native.reset !== 'function' ||
    typeof native.close !== 'function' ||
    !(state instanceof Uint32Array) ||
    state.length !== 2
  ) {
    throw new Error(`node:zlib's internal stream API is not what the gateway expects (Node ${process.version}); see protocols/rfb/encodings/native-zlib.ts`);
  }
  let error: { message: string; code: string } | undefined;
  // Replaces Node's own handler, which would destroy the stream object (never used as a stream here).
  native.onerror = (message: string, _errno: number, code: string) => (error = { message, code });
  return {
    native: native as NativeZlib,
    state,
    takeError: () => {
      const e = error;
      error = undefined;
      return e;
    },
  };
}
