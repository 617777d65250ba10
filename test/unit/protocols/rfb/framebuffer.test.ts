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
