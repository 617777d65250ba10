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
 * changes nothing but the time taken. Order needs nothing more: whatever touches the framebuffer's
 * pixels (CopyRect, a resize, a decoder drawing now, a viewer's encode) runs what waits first.
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
  readonly #waiting: { rect: Rect; paint: () => void; bytes: number }[] = [];
  #bytes = 0;
  /** A paint is running: its own reads of the framebuffer must not run the others (they come after it). */
  #running = false;
  /** Paints skipped because a later one covered them (for tests and the benchmark's notes). */
  skipped = 0;
  /** Paints run. */
  painted = 0;

  get pending(): number {
    return this.#waiting.length;
  }

  /** Bytes of data the waiting paints hold. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Runs `paint` later, or never if a later deferred paint covers `rect` whole. Keeps `rect`; `bytes` is what `paint` holds. */
  defer(rect: Rect, paint: () => void, bytes = 0): void {
    const w = this.#waiting;
    while (w.length > 0 && (w.length >= PaintQueue.MAX_PENDING || this.#bytes + bytes > PaintQueue.MAX_BYTES)) this.#settleOldest();
    w.push({ rect, paint, bytes });
    this.#bytes += bytes;
  }

  /** Runs every waiting paint that no later one covers, in the order they were deferred. */
  flush(): void {
    if (this.#running) return;
    while (this.#waiting.length > 0) this.#settleOldest();
  }

  /** Paints the oldest waiting paint unless one after it covers it whole, and forgets it. */
  #settleOldest(): void {
    const w = this.#waiting;
    const { rect, paint, bytes } = w.shift()!;
    this.#bytes -= bytes;
    for (let j = 0; j < w.length; j++) {
      if (contains(w[j]!.rect, rect)) {
        this.skipped++;
        return;
      }
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
