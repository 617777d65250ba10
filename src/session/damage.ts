import type { Rect } from '../../protocols/rfb/framebuffer.js';

/** Damage is tracked on a grid of TILE x TILE pixel tiles: bounded memory whatever the source sends. */
export const TILE = 16;

/**
 * What one viewer has not been shown yet: a set of dirty tiles plus, in order, CopyRect operations
 * it can still be sent as copies. One per viewer; its size depends only on the framebuffer size.
 *
 * CopyRect rule: a copy may be forwarded to a viewer only if its source area is, on that viewer's
 * screen, what it was on the BMC's just before the copy, i.e. the source touches no tile the viewer
 * has not been sent yet. Copies are sent before the dirty tiles of the same update, which is correct
 * because dirty tiles are encoded from the framebuffer as it is at send time.
 */
export class Damage {
  #cols = 0;
  #rows = 0;
  #width = 0;
  #height = 0;
  #tiles = new Uint8Array(0);
  #count = 0;
  #copies: { srcX: number; srcY: number; x: number; y: number; width: number; height: number }[] = [];
  /** take()'s scratch, one entry a tile column: the open runs of the row above (see take). */
  #runRow = new Int32Array(0);
  #runEnd = new Int32Array(0);
  #runRect: (Rect | undefined)[] = [];
  /** Per tile row, the columns [lo, hi) that hold its dirty tiles (lo >= hi: none), so take() scans only those. */
  #spanLo = new Int32Array(0);
  #spanHi = new Int32Array(0);
  static readonly MAX_COPIES = 32;

  constructor(width: number, height: number) {
    this.reset(width, height);
  }

  /** Forget everything and size the grid for a framebuffer of width x height (nothing dirty). */
  reset(width: number, height: number): void {
    this.#width = width;
    this.#height = height;
    this.#cols = Math.ceil(width / TILE);
    this.#rows = Math.ceil(height / TILE);
    this.#tiles = new Uint8Array(this.#cols * this.#rows);
    this.#runRow = new Int32Array(this.#cols);
    this.#runEnd = new Int32Array(this.#cols);
    this.#runRect = new Array<Rect | undefined>(this.#cols).fill(undefined);
    this.#spanLo = new Int32Array(this.#rows).fill(this.#cols);
    this.#spanHi = new Int32Array(this.#rows);
    this.#count = 0;
    this.#copies = [];
  }

  get isEmpty(): boolean {
    return this.#count === 0 && this.#copies.length === 0;
  }

  add(r: Rect): void {
    const x0 = Math.max(0, Math.floor(r.x / TILE));
    const y0 = Math.max(0, Math.floor(r.y / TILE));
    const x1 = Math.min(this.#cols, Math.ceil((r.x + r.width) / TILE));
    const y1 = Math.min(this.#rows, Math.ceil((r.y + r.height) / TILE));
    if (x0 >= x1) return;
    for (let ty = y0; ty < y1; ty++) {
      const row = ty * this.#cols;
      if (x0 < this.#spanLo[ty]!) this.#spanLo[ty] = x0;
      if (x1 > this.#spanHi[ty]!) this.#spanHi[ty] = x1;
      for (let tx = x0; tx < x1; tx++) {
        if (this.#tiles[row + tx] === 0) {
          this.#tiles[row + tx] = 1;
          this.#count++;
        }
      }
    }
  }

  addAll(): void {
    this.#tiles.fill(1);
    this.#spanLo.fill(0);
    this.#spanHi.fill(this.#cols);
    this.#count = this.#tiles.length;
  }

  #touchesDirty(r: Rect): boolean {
    const x0 = Math.floor(r.x / TILE);
    const y0 = Math.floor(r.y / TILE);
    const x1 = Math.ceil((r.x + r.width) / TILE);
    const y1 = Math.ceil((r.y + r.height) / TILE);
    for (let ty = y0; ty < y1; ty++) {
      for (let tx = x0; tx < x1; tx++) if (this.#tiles[ty * this.#cols + tx]) return true;
    }
    return false;
  }

  /** Records a CopyRect that happened on the source; forwards it as a copy when that is still exact. */
  copy(srcX: number, srcY: number, dst: Rect): void {
    const src = { x: srcX, y: srcY, width: dst.width, height: dst.height };
    if (this.#copies.length >= Damage.MAX_COPIES || this.#touchesDirty(src)) {
      this.add(dst);
      return;
    }
    this.#copies.push({ srcX, srcY, x: dst.x, y: dst.y, width: dst.width, height: dst.height });
  }

  /**
   * Takes everything pending: the copies in order, then the dirty area as rectangles (tiles merged
   * into horizontal runs, runs merged down when they line up), clipped to the framebuffer.
   */
  take(): { copies: { srcX: number; srcY: number; x: number; y: number; width: number; height: number }[]; rects: Rect[] } {
    const copies = this.#copies;
    this.#copies = [];
    const rects: Rect[] = [];
    if (this.#count > 0) {
      const tiles = this.#tiles;
      const cols = this.#cols;
      // The runs of the tile row above, by the column they start at: a run of this row continues
      // the one above that starts and ends at the same columns (runs of a row are disjoint, so the
      // start alone names one). #runRow says which row an entry belongs to; older ones are stale.
      const runRow = this.#runRow;
      const runEnd = this.#runEnd;
      const runRect = this.#runRect;
      runRow.fill(-2);
      const spanLo = this.#spanLo;
      const spanHi = this.#spanHi;
      for (let ty = 0; ty < this.#rows; ty++) {
        const row = ty * cols;
        const hi = spanHi[ty]!;
        let tx = spanLo[ty]!;
        while (tx < hi) {
          if (tiles[row + tx] === 0) {
            tx++;
            continue;
          }
          const start = tx;
          while (tx < hi && tiles[row + tx] !== 0) tx++;
          const y = ty * TILE;
          const h = Math.min(TILE, this.#height - y);
          const above = runRow[start] === ty - 1 && runEnd[start] === tx ? runRect[start] : undefined;
          if (above) {
            above.height += h;
          } else {
            const x = start * TILE;
            const r = { x, y, width: Math.min(tx * TILE, this.#width) - x, height: h };
            rects.push(r);
            runRect[start] = r;
            runEnd[start] = tx;
          }
          runRow[start] = ty;
        }
      }
      runRect.fill(undefined); // keep no rectangles the caller now owns
      tiles.fill(0);
      spanLo.fill(cols);
      spanHi.fill(0);
      this.#count = 0;
    }
    return { copies, rects };
  }
}
