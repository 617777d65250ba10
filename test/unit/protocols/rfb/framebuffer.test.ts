import { describe, expect, it } from 'vitest';
import { Framebuffer } from '../../../../protocols/rfb/framebuffer.js';

/** fillRect the slow way: four byte stores a pixel. */
function fillReference(data: Buffer, width: number, x: number, y: number, w: number, h: number, r: number, g: number, b: number): void {
  for (let row = y; row < y + h; row++) for (let col = x; col < x + w; col++) data.set([r, g, b, 0], (row * width + col) * 4);
}

describe('Framebuffer.fillRect', () => {
  // Narrow (a loop a pixel), wide (a TypedArray fill a row) and full-width (one fill for the rectangle),
  // at the edges and inside, over a noisy picture whose X bytes are set, so a fill that spills over
  // its rectangle or leaves an X byte shows.
  const cases: [string, number, number, number, number][] = [
    ['narrow, inside', 5, 3, 7, 4],
    ['one pixel', 0, 0, 1, 1],
    ['wide, inside', 9, 2, 70, 5],
    ['wide, up to the right edge', 30, 6, 100, 3],
    ['wide, from the left edge', 0, 1, 129, 2],
    ['full width, inside', 0, 4, 130, 3],
    ['full width, the whole framebuffer', 0, 0, 130, 11],
    ['empty', 3, 3, 0, 5],
  ];
  for (const [name, x, y, w, h] of cases) {
    it(`${name} (${w}x${h}+${x}+${y}): only the rectangle changes, to the colour with X = 0`, () => {
      const fb = new Framebuffer(130, 11);
      for (let i = 0; i < fb.data.length; i++) fb.data[i] = (i * 37 + 11) & 0xff;
      const want = Buffer.from(fb.data);
      fillReference(want, fb.width, x, y, w, h, 12, 34, 56);
      fb.fillRect(x, y, w, h, 12, 34, 56);
      expect(fb.data.equals(want)).toBe(true);
    });
  }
});

describe('Framebuffer held paints', () => {
  /** A stand-in queue that records what the framebuffer asks of it; `busy` answers as from within a paint. */
  function fakeQueue(pending = 3) {
    const calls: string[] = [];
    let busy = false;
    return {
      calls,
      setBusy: (b: boolean) => (busy = b),
      get pending() {
        return pending;
      },
      flush: () => calls.push('flush'),
      settleOverlapping: (r: { x: number; y: number; width: number; height: number }) => {
        calls.push(`settle ${r.x},${r.y} ${r.width}x${r.height}${busy ? ' (busy)' : ''}`);
        return !busy;
      },
    };
  }

  it('while a decoder draws one rectangle, settles what comes before it once, not at every access', () => {
    const fb = new Framebuffer(64, 64);
    const q = fakeQueue();
    fb.holdPaints(q);
    fb.drawingIn({ x: 1, y: 2, width: 3, height: 4 });
    for (let row = 0; row < 4; row++) void fb.data; // a Raw decoder reads `data` a row at a time
    expect(q.calls).toEqual(['settle 1,2 3x4']);
    fb.drawingIn(undefined);
    void fb.data;
    expect(q.calls).toEqual(['settle 1,2 3x4', 'flush']);
    // The next rectangle settles again; an answer from within a paint ("not now") is asked again.
    fb.drawingIn({ x: 5, y: 5, width: 1, height: 1 });
    q.setBusy(true);
    void fb.data;
    q.setBusy(false);
    void fb.data;
    void fb.data;
    expect(q.calls.slice(2)).toEqual(['settle 5,5 1x1 (busy)', 'settle 5,5 1x1']);
  });
});
