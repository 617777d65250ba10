import type { Rect } from '../../../protocols/rfb/framebuffer.js';

/** More dirty rectangles than this collapse into their bounding box (bounded memory and work). */
export const MAX_DIRTY_RECTS = 64;

/**
 * What one client has not been sent yet, as a short list of rectangles. take() hands out the part
 * inside a requested area and keeps the rest, so a client that asks for part of the screen is
 * never sent the same change twice and never misses one outside its request.
 */
export class DirtyRegion {
  #rects: Rect[] = [];

  get isEmpty(): boolean {
    return this.#rects.length === 0;
  }

  add(rects: readonly Rect[]): void {
    for (const r of rects) if (r.width > 0 && r.height > 0) this.#rects.push({ ...r });
    if (this.#rects.length > MAX_DIRTY_RECTS) this.#rects = [boundingBox(this.#rects)];
  }

  /** Removes and returns the dirty parts inside `area` (possibly none). */
  take(area: Rect): Rect[] {
    const out: Rect[] = [];
    const keep: Rect[] = [];
    for (const r of this.#rects) {
      const inside = intersect(r, area);
      if (!inside) {
        keep.push(r);
        continue;
      }
      out.push(inside);
      keep.push(...subtract(r, area));
    }
    this.#rects = keep.length > MAX_DIRTY_RECTS ? [boundingBox(keep)] : keep;
    return out;
  }

  /** Forgets everything inside `area` (it has just been sent whole). */
  clear(area: Rect): void {
    this.take(area);
  }
}

export function intersect(a: Rect, b: Rect): Rect | undefined {
  const x = Math.max(a.x, b.x);
  const y = Math.max(a.y, b.y);
  const right = Math.min(a.x + a.width, b.x + b.width);
  const bottom = Math.min(a.y + a.height, b.y + b.height);
  return right > x && bottom > y ? { x, y, width: right - x, height: bottom - y } : undefined;
}

/** `a` minus `b`: up to four rectangles (bands above and below, then left and right). */
export function subtract(a: Rect, b: Rect): Rect[] {
  const i = intersect(a, b);
  if (!i) return [a];
  const out: Rect[] = [];
  const aBottom = a.y + a.height;
  const iBottom = i.y + i.height;
  if (i.y > a.y) out.push({ x: a.x, y: a.y, width: a.width, height: i.y - a.y });
  if (iBottom < aBottom) out.push({ x: a.x, y: iBottom, width: a.width, height: aBottom - iBottom });
  if (i.x > a.x) out.push({ x: a.x, y: i.y, width: i.x - a.x, height: i.height });
  const iRight = i.x + i.width;
  const aRight = a.x + a.width;
  if (iRight < aRight) out.push({ x: iRight, y: i.y, width: aRight - iRight, height: i.height });
  return out;
}

function boundingBox(rects: readonly Rect[]): Rect {
  let x = Infinity;
  let y = Infinity;
  let right = -Infinity;
  let bottom = -Infinity;
  for (const r of rects) {
    x = Math.min(x, r.x);
    y = Math.min(y, r.y);
    right = Math.max(right, r.x + r.width);
    bottom = Math.max(bottom, r.y + r.height);
  }
  return { x, y, width: right - x, height: bottom - y };
}
