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

  it('marks everything', () => {
    const d = new Damage(33, 17);
    d.addAll();
    expect(d.take().rects).toEqual([{ x: 0, y: 0, width: 33, height: 17 }]);
  });
});
