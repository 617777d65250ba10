import type { HeldPaints, Rect } from '../framebuffer.js';

/**
 * Paints the decoders may put off (RectDecoder.decodeRect's `paints`): until someone next reads the
 * framebuffer (Framebuffer.holdPaints: every access to its pixels runs them first), and not at all
 * when a later rectangle covers them whole.
 *
 * Why: the shadow framebuffer is read only when a viewer is encoded from it (or a thumbnail, a late
 * joiner's priming …). A BMC that sends faster than its viewers ask (a scrolling text console at max
 * speed: a read holds many updates) or whose updates are relayed to the viewers as they came
 * (src/viewer/relay.ts: then nobody reads the shadow at all) repaints much the same area again and
 * again, and each rectangle covered by a later one before anyone looked is never seen. Drawing
 * two-colour rectangles was 38 % of the gateway's CPU at max speed and 23 % in the 1,000-console row
 * (BENCHMARKS.md, "Paints a later rectangle covers").
 *
 * A paint is deferred only when it cannot fail (its data was checked while decoding), so skipping it
 * changes nothing but the time taken; the decoders flush before a paint that reads the framebuffer
 * or can fail, and the reader flushes before anything else that touches it (CopyRect, a resize, a
 * decoder that does not defer).
 */
export class PaintQueue implements HeldPaints {
  /**
   * At most this many paints wait: each is compared with at most this many that came after it, so a
   * read of many tiny rectangles costs a bounded number of comparisons a rectangle. When one more
   * comes, the oldest is settled against the others (a sliding window, not a flush of all).
   */
  static readonly MAX_PENDING = 64;
  /** … and at most this many bytes of their data (two-colour bitmaps: a full 1024x768 one is 96 KiB). */
  static readonly MAX_BYTES = 256 * 1024;
  readonly #rects: Rect[] = [];
  readonly #paints: (() => void)[] = [];
  readonly #sizes: number[] = [];
  #bytes = 0;
  /** A paint is running: its own reads of the framebuffer must not run the others (they come after it). */
  #running = false;
  /** Paints skipped because a later one covered them (for tests and the benchmark's notes). */
  skipped = 0;
  /** Paints run. */
  painted = 0;

  get pending(): number {
    return this.#paints.length;
  }

  /** Bytes of data the waiting paints hold. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Runs `paint` later, or never if a later deferred paint covers `rect` whole. Keeps `rect`; `bytes` is what `paint` holds. */
  defer(rect: Rect, paint: () => void, bytes = 0): void {
    while (this.#paints.length > 0 && (this.#paints.length >= PaintQueue.MAX_PENDING || this.#bytes + bytes > PaintQueue.MAX_BYTES)) this.#settleOldest();
    this.#rects.push(rect);
    this.#paints.push(paint);
    this.#sizes.push(bytes);
    this.#bytes += bytes;
  }

  /** Runs every waiting paint that no later one covers, in the order they were deferred. */
  flush(): void {
    if (this.#running) return;
    while (this.#paints.length > 0) this.#settleOldest();
  }

  /** Paints the oldest waiting paint unless one after it covers it whole, and forgets it. */
  #settleOldest(): void {
    const rects = this.#rects;
    const r = rects[0]!;
    const paint = this.#paints[0]!;
    let covered = false;
    for (let j = 1; j < rects.length && !covered; j++) covered = contains(rects[j]!, r);
    rects.shift();
    this.#paints.shift();
    this.#bytes -= this.#sizes.shift()!;
    if (covered) {
      this.skipped++;
      return;
    }
    this.painted++;
    this.#running = true;
    try {
      paint();
    } finally {
      this.#running = false;
    }
  }
}

/** `outer` covers `inner` whole. */
function contains(outer: Rect, inner: Rect): boolean {
  return outer.x <= inner.x && outer.y <= inner.y && outer.x + outer.width >= inner.x + inner.width && outer.y + outer.height >= inner.y + inner.height;
}
