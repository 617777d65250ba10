import type { Framebuffer } from '../../protocols/rfb/framebuffer.js';
import { encodePng, encodePngAsync } from '../util/png.js';

/**
 * A PNG of the console, scaled down to at most `maxWidth` pixels wide by averaging boxes of source
 * pixels (text stays readable as grey where nearest-neighbour would drop strokes).
 */
export function thumbnailPng(fb: Framebuffer, maxWidth = 320): Buffer {
  const { width, height, rgbx } = scaledRgbx(fb, maxWidth);
  return encodePng(width, height, rgbx);
}

/** The same picture compressed off the event loop (zlib level 1): the console page's preview (src/session/preview.ts). */
export function thumbnailPngAsync(fb: Framebuffer, maxWidth: number): Promise<Buffer> {
  const { width, height, rgbx } = scaledRgbx(fb, maxWidth);
  return encodePngAsync(width, height, rgbx, 1);
}

/** The framebuffer's pixels, box-averaged by a whole factor until at most `maxWidth` wide (itself when it fits). */
function scaledRgbx(fb: Framebuffer, maxWidth: number): { width: number; height: number; rgbx: Uint8Array } {
  const scale = Math.max(1, Math.ceil(fb.width / maxWidth));
  const w = Math.max(1, Math.floor(fb.width / scale));
  const h = Math.max(1, Math.floor(fb.height / scale));
  if (scale === 1) return { width: fb.width, height: fb.height, rgbx: fb.data };
  const out = Buffer.alloc(w * h * 4);
  const src = fb.data;
  const stride = fb.width * 4;
  const n = scale * scale;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let r = 0;
      let g = 0;
      let b = 0;
      for (let dy = 0; dy < scale; dy++) {
        let o = (y * scale + dy) * stride + x * scale * 4;
        for (let dx = 0; dx < scale; dx++, o += 4) {
          r += src[o]!;
          g += src[o + 1]!;
          b += src[o + 2]!;
        }
      }
      const p = (y * w + x) * 4;
      out[p] = Math.round(r / n);
      out[p + 1] = Math.round(g / n);
      out[p + 2] = Math.round(b / n);
    }
  }
  return { width: w, height: h, rgbx: out };
}
