import { describe, expect, it } from 'vitest';
import { DirtyRegion, MAX_DIRTY_RECTS, intersect, subtract } from '../../../../../src/sources/demo/dirty-region.js';

const area = (r: { width: number; height: number }[]): number => r.reduce((n, x) => n + x.width * x.height, 0);

describe('DirtyRegion', () => {
  it('intersects and subtracts rectangles', () => {
    expect(intersect({ x: 0, y: 0, width: 10, height: 10 }, { x: 5, y: 5, width: 10, height: 10 })).toEqual({ x: 5, y: 5, width: 5, height: 5 });
    expect(intersect({ x: 0, y: 0, width: 10, height: 10 }, { x: 10, y: 0, width: 5, height: 5 })).toBeUndefined();
    const rest = subtract({ x: 0, y: 0, width: 10, height: 10 }, { x: 2, y: 3, width: 4, height: 4 });
    expect(area(rest)).toBe(100 - 16);
    for (const r of rest) expect(intersect(r, { x: 2, y: 3, width: 4, height: 4 })).toBeUndefined();
  });

  it('hands out only what lies inside a request and keeps the rest', () => {
    const d = new DirtyRegion();
    d.add([{ x: 0, y: 0, width: 100, height: 20 }]);
    const got = d.take({ x: 0, y: 0, width: 50, height: 100 });
    expect(got).toEqual([{ x: 0, y: 0, width: 50, height: 20 }]);
    expect(d.take({ x: 0, y: 0, width: 50, height: 100 })).toEqual([]);
    expect(d.take({ x: 0, y: 0, width: 1000, height: 1000 })).toEqual([{ x: 50, y: 0, width: 50, height: 20 }]);
    expect(d.isEmpty).toBe(true);
  });

  it('collapses into a bounding box past its limit', () => {
    const d = new DirtyRegion();
    for (let i = 0; i <= MAX_DIRTY_RECTS; i++) d.add([{ x: i * 2, y: i, width: 1, height: 1 }]);
    expect(d.take({ x: 0, y: 0, width: 10_000, height: 10_000 })).toEqual([{ x: 0, y: 0, width: 2 * MAX_DIRTY_RECTS + 1, height: MAX_DIRTY_RECTS + 1 }]);
  });
});
