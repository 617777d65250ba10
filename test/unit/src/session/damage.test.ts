import { describe, expect, it } from 'vitest';
import { Damage, TILE } from '../../../../src/session/damage.js';

describe('Damage', () => {
  it('merges dirty tiles into rectangles clipped to the framebuffer', () => {
    const d = new Damage(100, 50);
    d.add({ x: 0, y: 0, width: 1, height: 1 });
    d.add({ x: 90, y: 40, width: 10, height: 10 });
    const { rects, copies } = d.take();
    expect(copies).toEqual([]);
    expect(rects).toEqual([
      { x: 0, y: 0, width: TILE, height: TILE },
      { x: 80, y: 32, width: 20, height: 18 },
    ]);
    expect(d.isEmpty).toBe(true);
  });

  it('merges vertically aligned runs', () => {
    const d = new Damage(64, 64);
    d.add({ x: 0, y: 0, width: 32, height: 64 });
    expect(d.take().rects).toEqual([{ x: 0, y: 0, width: 32, height: 64 }]);
  });

  it('forwards a copy while its source is clean for this viewer, else repaints the destination', () => {
    const d = new Damage(128, 128);
    d.copy(0, 0, { x: 64, y: 64, width: 32, height: 32 });
    let t = d.take();
    expect(t.copies).toEqual([{ srcX: 0, srcY: 0, x: 64, y: 64, width: 32, height: 32 }]);
    expect(t.rects).toEqual([]);
    // the viewer has not been sent the source area yet: a copy would copy stale pixels
    d.add({ x: 8, y: 8, width: 4, height: 4 });
    d.copy(0, 0, { x: 64, y: 64, width: 32, height: 32 });
    t = d.take();
    expect(t.copies).toEqual([]);
    expect(t.rects).toContainEqual({ x: 64, y: 64, width: 32, height: 32 });
  });

  it('bounds the pending copies', () => {
    const d = new Damage(1024, 1024);
    for (let i = 0; i < 100; i++) d.copy(0, 0, { x: 512, y: 512, width: 16, height: 16 });
    expect(d.take().copies.length).toBe(Damage.MAX_COPIES);
  });

  it('merges a run only with the run of the row just above it that has the same columns', () => {
    const d = new Damage(8 * TILE, 5 * TILE);
    const tile = (tx: number, ty: number, n = 1): void => d.add({ x: tx * TILE, y: ty * TILE, width: n * TILE, height: TILE });
    tile(0, 0, 2);
    tile(0, 1, 3); // same start, longer: a new rectangle
    tile(5, 0, 2);
    tile(5, 2, 2); // same columns two rows down: not merged across the clean row
    tile(3, 3, 2);
    tile(3, 4, 2); // merged
    expect(d.take().rects).toEqual([
      { x: 0, y: 0, width: 2 * TILE, height: TILE },
      { x: 5 * TILE, y: 0, width: 2 * TILE, height: TILE },
      { x: 0, y: TILE, width: 3 * TILE, height: TILE },
      { x: 5 * TILE, y: 2 * TILE, width: 2 * TILE, height: TILE },
      { x: 3 * TILE, y: 3 * TILE, width: 2 * TILE, height: 2 * TILE },
    ]);
    // The next take starts afresh: a run in row 0 does not continue one of the last take.
    tile(3, 0, 2);
    expect(d.take().rects).toEqual([{ x: 3 * TILE, y: 0, width: 2 * TILE, height: TILE }]);
  });

  it('random damage: the rectangles cover exactly the dirty tiles, each tile once, in row order of their top', () => {
    let seed = 7;
    const rand = (n: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return (seed >>> 8) % n;
    };
    const d = new Damage(20 * TILE - 5, 12 * TILE - 3);
    for (let round = 0; round < 30; round++) {
      const dirty = new Set<number>();
      for (let k = 0; k < 1 + rand(12); k++) {
        const tx = rand(20);
        const ty = rand(12);
        const w = 1 + rand(5);
        const h = 1 + rand(4);
        d.add({ x: tx * TILE, y: ty * TILE, width: w * TILE, height: h * TILE });
        for (let y = ty; y < Math.min(12, ty + h); y++) for (let x = tx; x < Math.min(20, tx + w); x++) dirty.add(y * 20 + x);
      }
      const { rects } = d.take();
      const seen = new Set<number>();
      let lastY = -1;
      for (const r of rects) {
        expect(r.y).toBeGreaterThanOrEqual(lastY);
        lastY = r.y;
        for (let y = r.y / TILE; y < Math.ceil((r.y + r.height) / TILE); y++)
          for (let x = r.x / TILE; x < Math.ceil((r.x + r.width) / TILE); x++) {
            expect(seen.has(y * 20 + x), `tile ${x},${y} twice`).toBe(false);
            seen.add(y * 20 + x);
          }
      }
      expect([...seen].sort((a, b) => a - b)).toEqual([...dirty].sort((a, b) => a - b));
      expect(d.isEmpty).toBe(true);
    }
  });

  it('marks everything', () => {
    const d = new Damage(33, 17);
    d.addAll();
    expect(d.take().rects).toEqual([{ x: 0, y: 0, width: 33, height: 17 }]);
  });
});
