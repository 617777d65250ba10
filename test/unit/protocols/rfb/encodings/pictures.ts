/** Source pictures for the encoder round-trip tests (ours and noVNC's decoders must give them back). */
import type { Framebuffer, Rect } from '../../../../../protocols/rfb/framebuffer.js';

export type Painter = (fb: Framebuffer, r: Rect, rand: () => number) => void;

export const pictures: Record<string, Painter> = {
  solid: (fb, r) => fb.fillRect(r.x, r.y, r.width, r.height, 30, 60, 90),
  'two colours (text)': (fb, r, rand) => {
    fb.fillRect(r.x, r.y, r.width, r.height, 0, 0, 0);
    for (let y = 0; y < r.height; y++) for (let x = 0; x < r.width; x++) if (rand() < 0.3) fb.fillRect(r.x + x, r.y + y, 1, 1, 170, 170, 170);
  },
  'sixteen colours': (fb, r, rand) => {
    for (let y = 0; y < r.height; y++)
      for (let x = 0; x < r.width; x++) {
        const c = Math.floor(rand() * 16);
        fb.fillRect(r.x + x, r.y + y, 1, 1, c * 16, 255 - c * 8, (c * 37) & 255);
      }
  },
  'photo-like noise': (fb, r, rand) => {
    for (let y = 0; y < r.height; y++)
      for (let x = 0; x < r.width; x++) fb.fillRect(r.x + x, r.y + y, 1, 1, (x * 3 + rand() * 40) & 255, (y * 5 + rand() * 40) & 255, rand() * 256);
  },
  'horizontal bars, 200 colours (plain RLE)': (fb, r) => {
    for (let y = 0; y < r.height; y++) fb.fillRect(r.x, r.y + y, r.width, 1, (y * 7) % 200, (y * 13) % 256, 255 - (y % 200));
  },
  'thirty colours in runs (palette RLE)': (fb, r, rand) => {
    let c = 0;
    for (let y = 0; y < r.height; y++)
      for (let x = 0; x < r.width; x++) {
        if (rand() < 0.1) c = Math.floor(rand() * 30);
        fb.fillRect(r.x + x, r.y + y, 1, 1, c * 8, 100, 255 - c * 8);
      }
  },
  'console (flat areas, text, a gradient bar)': (fb, r, rand) => {
    fb.fillRect(r.x, r.y, r.width, r.height, 0, 0, 170);
    for (let y = 0; y < r.height; y += 8)
      for (let x = 0; x < r.width; x += 3) if (rand() < 0.5) fb.fillRect(r.x + x, r.y + y, 1, Math.min(5, r.height - y), 255, 255, 85);
    for (let x = 0; x < r.width; x++) fb.fillRect(r.x + x, r.y, 1, 1, x & 255, 128, 255 - (x & 255));
  },
};

export const sizes: [number, number][] = [
  [1, 1],
  [3, 1],
  [1, 7],
  [13, 11],
  [64, 64],
  [333, 77],
  [2100, 13],
  [4099, 3],
];
