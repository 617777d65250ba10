import type { Rect } from '../framebuffer.js';

/**
 * Paints the decoders may put off (RectDecoder.decodeRect's `paints`): until whoever reads the
 * framebuffer next, and not at all when a later rectangle of the same batch covers them whole.
 *
 * Why: a BMC that sends faster than its viewers ask (a scrolling text console) has several updates in
 * one socket read, and each repaints much the same area; the gateway's viewers are only ever sent the
 * state after the read (they are encoded from the shadow framebuffer once the read is decoded), so a
 * rectangle that a later one of the same read covers is never seen by anyone. On the xterm recording
 * read 64 KiB at a time, 78 % of the rectangles' area is covered so (BENCHMARKS.md, "Paints a later
 * rectangle covers"), and drawing two-colour rectangles was 38 % of the gateway's CPU at max speed.
 *
 * A paint is deferred only when it cannot fail (its data was checked while decoding), so skipping it
 * changes nothing but the time taken; the decoders flush before a paint that reads the framebuffer
 * or can fail, and the reader flushes before anything else that touches the framebuffer (CopyRect,
 * a resize, a decoder that does not defer) and at the end of every push.
 */
export class PaintQueue {
  /**
   * At most this many paints wait: each is compared with at most this many that came after it, so a
   * read of many tiny rectangles costs a bounded number of comparisons a rectangle. When one more
   * comes, the oldest is settled against the others (a sliding window, not a flush of all).
   */
  static readonly MAX_PENDING = 64;
  readonly #rects: Rect[] = [];
  readonly #paints: (() => void)[] = [];
  /** Paints skipped because a later one covered them (for tests and the benchmark's notes). */
  skipped = 0;
  /** Paints run. */
  painted = 0;

  get pending(): number {
    return this.#paints.length;
  }

  /** Runs `paint` later, or never if a later deferred paint covers `rect` whole. Keeps `rect`. */
  defer(rect: Rect, paint: () => void): void {
    if (this.#paints.length >= PaintQueue.MAX_PENDING) {
      this.#settle(0);
      this.#rects.shift();
      this.#paints.shift();
    }
    this.#rects.push(rect);
    this.#paints.push(paint);
  }

  /** Runs every waiting paint that no later one covers, in the order they were deferred. */
  flush(): void {
    const n = this.#paints.length;
    if (n === 0) return;
    try {
      for (let i = 0; i < n; i++) this.#settle(i);
    } finally {
      this.#rects.length = 0;
      this.#paints.length = 0;
    }
  }

  /** Paints the i-th waiting paint unless one after it covers it whole. */
  #settle(i: number): void {
    const rects = this.#rects;
    const r = rects[i]!;
    for (let j = i + 1; j < rects.length; j++) {
      if (contains(rects[j]!, r)) {
        this.skipped++;
        return;
      }
    }
    this.painted++;
    this.#paints[i]!();
  }
}

/** `outer` covers `inner` whole. */
function contains(outer: Rect, inner: Rect): boolean {
  return outer.x <= inner.x && outer.y <= inner.y && outer.x + outer.width >= inner.x + inner.width && outer.y + outer.height >= inner.y + inner.height;
}
