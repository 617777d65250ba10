import v8 from 'node:v8';
import vm from 'node:vm';
import { usePixelStore, type PixelStore } from '../../protocols/rfb/framebuffer.js';

/**
 * The gateway's pixel store (protocols/rfb/framebuffer.ts PixelStore): where its framebuffers get
 * their pixels, and when the memory of dropped ones is reclaimed.
 *
 * V8 counts ArrayBuffer memory as "external" and starts a full collection each time it has grown by
 * 64 MiB since the last one (v8-internal.h kExternalAllocationSoftLimit). A 1024x768 framebuffer is
 * 3 MiB, so opening consoles one after another set off a mark-compact every 10 to 20 opens, each
 * with incremental steps of up to 16 ms, on a JS heap of only ~25 MiB: collections that found
 * nothing to free, since every framebuffer was still in use (BENCHMARKS.md, "Framebuffers outside
 * V8's external-memory count").
 *
 * So pixels live in SharedArrayBuffers, whose memory V8 does not count towards that limit
 * (BackingStore::PerIsolateAccountingLength is 0 for shared memory), and the gateway starts the
 * collection itself when it is worth one: once framebuffers of `COLLECT_AFTER_BYTES` or more have
 * been given up (discardPixels: a session ended, a framebuffer resized) since the last one it
 * started. Dropped pixels then wait for at most that many bytes, as under V8's own policy, while
 * live ones no longer set off collections. Nothing else about the memory changes: it is zeroed when
 * made, like Buffer.alloc, and never shared with another thread (no postMessage takes it).
 *
 * The collection is V8's `gc` extension, exposed at run time (v8.setFlagsFromString, as Node's own
 * documentation of that call shows), asked for a major collection run as a task (`execution:
 * 'async'`). Where that is not available the store is not installed (installPixelStore): pixels are
 * plain Buffer.alloc memory and V8's own policy applies, as before.
 */

/** Bytes of given-up pixels after which a collection is started: V8's own soft limit for external memory. */
export const COLLECT_AFTER_BYTES = 64 * 1024 * 1024;

type Collect = () => Promise<void> | void;
let collect: Collect | null | undefined;

function collector(): Collect | null {
  if (collect !== undefined) return collect;
  try {
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as (options: { type: 'major'; execution: 'async' }) => Promise<void> | void;
    collect = typeof gc === 'function' ? () => gc({ type: 'major', execution: 'async' }) : null;
  } catch {
    collect = null;
  }
  return collect;
}

let given = 0;
let collections = 0;
/** A collection asked for and not yet finished: however many screens are given up meanwhile, one at a time. */
let pending = false;

/** `bytes` of zeroed pixel memory in a SharedArrayBuffer. */
function allocPixels(bytes: number): Buffer {
  return Buffer.from(new SharedArrayBuffer(bytes));
}

/**
 * The owner of `pixels` (from allocPixels) no longer uses them: counted towards the next
 * collection. Only a hint: whoever still holds the Buffer keeps it valid, and pixels never given up
 * are still freed by any later full collection.
 *
 * One collection at a time: when many sessions end at once (a shutdown, a configuration reload that
 * removes servers, a BMC rack going away) their screens are freed by the one collection that starts
 * after them, not by one for every 64 MiB (1,000 ending 1024x768 consoles would have queued 47 full
 * collections). Bytes given up while a collection runs count towards the next.
 */
function discardPixels(pixels: Buffer): void {
  if (!(pixels.buffer instanceof SharedArrayBuffer)) return;
  given += pixels.byteLength;
  const run = collector();
  if (given < COLLECT_AFTER_BYTES || pending || !run) return;
  pending = true;
  // Not from inside whatever dropped the framebuffer (a session's end runs in many callers): what the
  // same turn of the event loop gives up is counted in, and covered by this collection. The
  // collection is only a hint to V8: nothing that goes wrong with it concerns a session.
  setImmediate(() => {
    given = 0;
    collections++;
    void Promise.resolve()
      .then(run)
      .catch(() => undefined)
      .finally(() => (pending = false));
  });
}

export const sharedPixelStore: PixelStore = { alloc: allocPixels, discard: discardPixels };

/**
 * Makes this store the one every framebuffer made from now on uses (session.ts does, when it is
 * loaded: the gateway's own process and each worker), when the collection can be had; else
 * framebuffers keep plain Buffer.alloc memory and V8's own policy. Idempotent.
 */
export function installPixelStore(): void {
  if (collector()) usePixelStore(sharedPixelStore);
}

/** For tests: pixel bytes given up since the last collection started, collections started, and whether the store can collect. */
export function pixelStoreStats(): { givenBytes: number; collections: number; shared: boolean } {
  return { givenBytes: given, collections, shared: collector() !== null };
}
