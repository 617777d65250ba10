import type { HeldPaints, HeldShape, Rect } from '../framebuffer.js';

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
 * changes nothing but the time taken, with one exception: a two-colour Tight rectangle whose zlib
 * data starts a stream of its own is held compressed and inflated only if it runs (tight.ts says
 * why). Bad data there is found when the paint runs, reported through fail() and thrown by the
 * reader at its next step; covered before it runs, it is never inflated and its data never checked,
 * which changes no pixel. Order needs nothing more: whatever touches the framebuffer's
 * pixels (CopyRect, a resize, a viewer's encode) runs what waits first; a decoder drawing a rectangle
 * at once (Raw, many-colour Tight …) runs what waits up to the newest paint overlapping that
 * rectangle (settleOverlapping), and the rest waits on.
 */
export class PaintQueue implements HeldPaints {
  /**
   * At most this many paints wait; one more settles the oldest (a sliding window, not a flush of all).
   * Each paint is compared only with the waiting paints whose top-left corner lies inside it (a grid of
   * 64-pixel squares finds them), so the window's size costs memory, not comparisons: 3,072 distinct
   * 16x16 tiles a screen, none covered, cost less with this window than with the 64 of a scan of all
   * (BENCHMARKS.md, "Covered paints skipped as they come"). A paint that is covered is forgotten at
   * once and takes no place in the window.
   */
  static readonly MAX_PENDING = 1024;
  /** … and at most this many bytes of their data (two-colour bitmaps: a full 1024x768 one is 96 KiB). */
  static readonly MAX_BYTES = 512 * 1024;
  /**
   * The data of waiting paints (copy) lives in one ring of memory per queue, this big at first and
   * doubled, up to MAX_BYTES, when what waits does not fit.
   */
  static readonly RING_START_BYTES = 16 * 1024;
  /** The grid's squares, in pixels (a power of two: CELL_SHIFT). */
  static readonly CELL_SHIFT = 6;
  /** Every paint deferred and not yet settled or skipped, oldest first from #head (skipped ones have no paint and are passed over). */
  #fifo: Waiting[] = [];
  #head = 0;
  /** The waiting paints by the grid square of their top-left corner, oldest first. */
  readonly #cells = new Map<number, Waiting[]>();
  #live = 0;
  #bytes = 0;
  /** A paint is running: its own reads of the framebuffer must not run the others (they come after it). */
  #running = false;
  /**
   * The ring the waiting paints' data is copied into (copy), where the next copy goes, and the
   * paints holding data in it, oldest first from #ringHead: the ring is used first in, first out,
   * so the space before the oldest of them that still waits is free.
   */
  #ring: Buffer | undefined;
  #ringAt = 0;
  #ringUsers: Waiting[] = [];
  #ringHead = 0;
  /**
   * The first error a paint reported as it ran (fail): the data it had put off checking proved bad.
   * The reader that owns the queue throws it at its next step (server-message-reader.ts).
   */
  #failure: Error | undefined;
  /** Paints skipped because a later one covered them (for tests and the benchmark's notes). */
  skipped = 0;
  /** Paints run. */
  painted = 0;

  /**
   * For a paint whose data is checked only when it runs (tight.ts: a two-colour rectangle's zlib data,
   * inflated then): it draws nothing and reports why here instead of throwing into whoever read the
   * framebuffer (a viewer's encode, a thumbnail …). The first report is kept.
   */
  fail(err: Error): void {
    this.#failure ??= err;
  }

  /** What a paint reported (fail), or undefined. */
  get failure(): Error | undefined {
    return this.#failure;
  }

  get pending(): number {
    return this.#live;
  }

  /** Bytes of data the waiting paints hold. */
  get bytes(): number {
    return this.#bytes;
  }

  /**
   * Runs `paint` later, or never if a later deferred paint covers `rect` whole. Keeps `rect`; `bytes`
   * is what `paint` holds; `shape`, when given, is what it draws (Framebuffer.heldShapes); `held`,
   * when given, is the data copy() gave for it, which stays where it is while the paint waits.
   */
  defer(rect: Rect, paint: () => void, bytes = 0, shape?: HeldShape, held?: Buffer): void {
    const ring = this.#ring;
    const ringStart = held && ring && held.buffer === ring.buffer ? held.byteOffset - ring.byteOffset : -1;
    if (this.#live > 0) this.#skipCoveredBy(rect);
    while (this.#live > 0 && (this.#live >= PaintQueue.MAX_PENDING || this.#bytes + bytes > PaintQueue.MAX_BYTES)) this.#settleOldest();
    const entry: Waiting = { rect, paint, bytes, cell: cellOf(rect.x, rect.y), shape, ringStart };
    if (ringStart >= 0) this.#ringUsers.push(entry);
    // Settled and skipped paints stay in the FIFO until it is compacted: when a window's worth have
    // been settled, or the FIFO holds twice the window (amortized: it then holds at most the window).
    if (this.#head >= PaintQueue.MAX_PENDING || this.#fifo.length - this.#head >= 2 * PaintQueue.MAX_PENDING) this.#compact();
    this.#fifo.push(entry);
    const list = this.#cells.get(entry.cell);
    if (list) list.push(entry);
    else this.#cells.set(entry.cell, [entry]);
    this.#live++;
    this.#bytes += bytes;
  }

  /**
   * `data` copied into the queue's own memory, for a paint about to be deferred with it (defer's
   * `held`): the data a decoder's paint keeps (a two-colour bitmap, a small Raw rectangle's pixels)
   * outlives the buffer it was decoded into. The copy stays as it is while that paint waits, and no
   * longer: its memory is then used again, so neither the paint nor its shape (shapes()) may be kept
   * beyond that. (Memory a copy made room for, and that no defer then claims, is used again once the
   * ring comes round to it.)
   *
   * Why a ring and not Buffer.from: each small Buffer is a slice of Node's 8 KiB pool, a new pool
   * every few rectangles, all of it garbage once the paints have run or been skipped. On the xterm
   * recording at 100 consoles collecting it was 53 ms of a 760 ms measured window, against 19 ms with
   * the ring; the copying costs about the same either way (BENCHMARKS.md, "Held data in a ring").
   * Making room runs the oldest waiting paints, as the byte limit does.
   */
  copy(data: Uint8Array): Buffer {
    const len = data.length;
    if (len === 0 || len > PaintQueue.MAX_BYTES) return Buffer.from(data);
    for (;;) {
      const at = this.#ringSpace(len);
      if (at >= 0) {
        const out = this.#ring!.subarray(at, at + len);
        out.set(data);
        this.#ringAt = at + len;
        return out;
      }
      const size = this.#ring?.length ?? 0;
      if (size < PaintQueue.MAX_BYTES) {
        // A bigger ring; the data in the old one stays where it is (its paints keep it) until they are done.
        let grown = Math.max(PaintQueue.RING_START_BYTES, size * 2);
        while (grown < len) grown *= 2;
        this.#ring = Buffer.allocUnsafe(Math.min(grown, PaintQueue.MAX_BYTES));
        this.#ringAt = 0;
        this.#ringUsers = [];
        this.#ringHead = 0;
      } else this.#settleOldest();
    }
  }

  /** Where in the ring `len` bytes fit (-1: nowhere) between the next free byte and the oldest data still held. */
  #ringSpace(len: number): number {
    const ring = this.#ring;
    if (!ring) return -1;
    const users = this.#ringUsers;
    while (this.#ringHead < users.length && !users[this.#ringHead]!.paint) this.#ringHead++;
    if (this.#ringHead >= 1024) {
      users.splice(0, this.#ringHead);
      this.#ringHead = 0;
    }
    if (this.#ringHead === users.length) {
      // Nothing held: start at the beginning again.
      users.length = 0;
      this.#ringHead = 0;
      return len <= ring.length ? 0 : -1;
    }
    const tail = users[this.#ringHead]!.ringStart;
    const at = this.#ringAt;
    if (at > tail) return ring.length - at >= len ? at : tail >= len ? 0 : -1;
    return tail - at >= len ? at : -1;
  }

  /** Every waiting paint's shape, oldest first; undefined when one was deferred without one. */
  shapes(): HeldShape[] | undefined {
    const out: HeldShape[] = [];
    for (let i = this.#head; i < this.#fifo.length; i++) {
      const e = this.#fifo[i]!;
      if (!e.paint) continue;
      if (!e.shape) return undefined;
      out.push(e.shape);
    }
    return out;
  }

  /** Runs every waiting paint that no later one covers, in the order they were deferred. */
  flush(): void {
    if (this.#running) return;
    while (this.#live > 0) this.#settleOldest();
    this.#fifo = [];
    this.#head = 0;
  }

  /**
   * Before something draws into `rect` at once: runs the waiting paints, oldest first, up to and
   * including the newest one that overlaps `rect`. The ones after it stay: none touches `rect`, and
   * a prefix of the FIFO run in order keeps every overlapping pair in the order they came.
   */
  settleOverlapping(rect: Rect): boolean {
    if (this.#running) return false;
    if (this.#live === 0) return true;
    const fifo = this.#fifo;
    let last = -1;
    for (let i = fifo.length - 1; i >= this.#head; i--) {
      const e = fifo[i]!;
      if (e.paint && overlaps(rect, e.rect)) {
        last = i;
        break;
      }
    }
    while (this.#live > 0 && this.#head <= last) this.#settleOldest();
    return true;
  }

  /** Forgets (skips) every waiting paint `rect` covers whole: those whose top-left corner is in one of the squares `rect` overlaps. */
  #skipCoveredBy(rect: Rect): void {
    const s = PaintQueue.CELL_SHIFT;
    const cx1 = (rect.x + Math.max(rect.width, 1) - 1) >> s;
    const cy1 = (rect.y + Math.max(rect.height, 1) - 1) >> s;
    for (let cy = rect.y >> s; cy <= cy1; cy++) {
      for (let cx = rect.x >> s; cx <= cx1; cx++) {
        const key = cy * CELL_ROW + cx;
        const list = this.#cells.get(key);
        if (!list) continue;
        let kept = 0;
        for (let i = 0; i < list.length; i++) {
          const e = list[i]!;
          if (contains(rect, e.rect)) {
            e.paint = undefined;
            this.#live--;
            this.#bytes -= e.bytes;
            this.skipped++;
          } else list[kept++] = e;
        }
        if (kept === 0) this.#cells.delete(key);
        else if (kept !== list.length) list.length = kept;
      }
    }
  }

  /** Paints the oldest waiting paint (no later one has covered it, or it would have been skipped) and forgets it. */
  #settleOldest(): void {
    const fifo = this.#fifo;
    while (this.#head < fifo.length) {
      const e = fifo[this.#head++]!;
      const paint = e.paint;
      if (!paint) continue;
      // The oldest waiting paint is also the oldest of its square.
      const list = this.#cells.get(e.cell)!;
      list.shift();
      if (list.length === 0) this.#cells.delete(e.cell);
      e.paint = undefined;
      this.#live--;
      this.#bytes -= e.bytes;
      this.painted++;
      this.#running = true;
      try {
        paint();
      } finally {
        this.#running = false;
      }
      return;
    }
  }

  #compact(): void {
    const kept: Waiting[] = [];
    for (let i = this.#head; i < this.#fifo.length; i++) if (this.#fifo[i]!.paint) kept.push(this.#fifo[i]!);
    this.#fifo = kept;
    this.#head = 0;
  }
}

interface Waiting {
  readonly rect: Rect;
  /** undefined once settled or skipped. */
  paint: (() => void) | undefined;
  readonly bytes: number;
  /** Its top-left corner's grid square (cellOf). */
  readonly cell: number;
  readonly shape: HeldShape | undefined;
  /** Where its data starts in the queue's ring (copy), or -1. */
  readonly ringStart: number;
}

/** Grid squares in a row of the key space: RFB coordinates are 16-bit, so x >> CELL_SHIFT < 1024. */
const CELL_ROW = 1 << (16 - PaintQueue.CELL_SHIFT);

function cellOf(x: number, y: number): number {
  return (y >> PaintQueue.CELL_SHIFT) * CELL_ROW + (x >> PaintQueue.CELL_SHIFT);
}

/** `a` and `b` share at least one pixel. */
function overlaps(a: Rect, b: Rect): boolean {
  return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
}

/** `outer` covers `inner` whole. */
function contains(outer: Rect, inner: Rect): boolean {
  return outer.x <= inner.x && outer.y <= inner.y && outer.x + outer.width >= inner.x + inner.width && outer.y + outer.height >= inner.y + inner.height;
}
