import type { Framebuffer } from '../../../../../protocols/rfb/framebuffer.js';
import { CELL_HEIGHT, CELL_WIDTH, renderText } from '../../../../../src/sources/demo/font.js';
import type { CellStyle } from '../../../../../src/sources/demo/text-screen.js';

/**
 * Where `text`, drawn in `style` by the font, appears on `fb` at a cell boundary (the console only
 * draws there): the first {col, row} whose pixels equal renderText's, or undefined.
 */
export function findText(fb: Framebuffer, text: string, style: CellStyle): { col: number; row: number } | undefined {
  const want = renderText(text, style.fg, style.bg);
  const rowBytes = want.width * 4;
  const cols = Math.floor(fb.width / CELL_WIDTH);
  const rows = Math.floor(fb.height / CELL_HEIGHT);
  for (let row = 0; row < rows; row++) {
    for (let col = 0; col + text.length <= cols; col++) {
      let same = true;
      for (let y = 0; y < CELL_HEIGHT && same; y++) {
        const s = ((row * CELL_HEIGHT + y) * fb.width + col * CELL_WIDTH) * 4;
        same = fb.data.compare(want.data, y * rowBytes, (y + 1) * rowBytes, s, s + rowBytes) === 0;
      }
      if (same) return { col, row };
    }
  }
  return undefined;
}

/** Number of distinct RGB colours on `fb` (a blank screen has one). */
export function colourCount(fb: Framebuffer): number {
  const seen = new Set<number>();
  for (let i = 0; i < fb.data.length; i += 4) seen.add(fb.data.readUIntBE(i, 3));
  return seen.size;
}
