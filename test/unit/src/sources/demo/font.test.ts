import { describe, expect, it } from 'vitest';
import { CELL_HEIGHT, CELL_WIDTH, GLYPH_HEIGHT, GLYPH_WIDTH, glyphRows, hasGlyph, renderText } from '../../../../../src/sources/demo/font.js';

const PRINTABLE = Array.from({ length: 0x7f - 0x20 }, (_, i) => String.fromCharCode(0x20 + i));

/** Hand-drawn expectations, independent of the hex table. */
function art(...rows: string[]): number[] {
  return rows.map((r) => [...r].reduce((v, c) => (v << 1) | (c === '#' ? 1 : 0), 0));
}

describe('demo font', () => {
  it('has a glyph for every printable ASCII character, and they are all distinct', () => {
    const seen = new Map<string, string>();
    for (const ch of PRINTABLE) {
      expect(hasGlyph(ch), ch).toBe(true);
      const key = Buffer.from(glyphRows(ch)).toString('hex');
      expect(seen.get(key), `${JSON.stringify(ch)} looks like ${JSON.stringify(seen.get(key))}`).toBeUndefined();
      seen.set(key, ch);
      for (const row of glyphRows(ch)) expect(row >> GLYPH_WIDTH, ch).toBe(0);
    }
    expect(seen.size).toBe(95);
  });

  it('leaves only the space blank; every other glyph has ink', () => {
    for (const ch of PRINTABLE) {
      const ink = glyphRows(ch).reduce((n, r) => n + r, 0);
      if (ch === ' ') expect(ink).toBe(0);
      else expect(ink, ch).toBeGreaterThan(0);
    }
  });

  it('draws a few glyphs as drawn by hand', () => {
    expect([...glyphRows('A')]).toEqual(art('.###.', '#...#', '#...#', '#####', '#...#', '#...#', '#...#', '.....'));
    expect([...glyphRows('g')]).toEqual(art('.....', '.....', '.####', '#...#', '#...#', '.####', '....#', '.###.'));
    expect([...glyphRows('0')]).toEqual(art('.###.', '#...#', '#..##', '#.#.#', '##..#', '#...#', '.###.', '.....'));
    expect(glyphRows('x').length).toBe(GLYPH_HEIGHT);
  });

  it('shows characters it has no glyph for as "?", and has the header em dash', () => {
    expect(hasGlyph('é')).toBe(false);
    expect(glyphRows('é')).toEqual(glyphRows('?'));
    expect(hasGlyph('\u2014')).toBe(true);
    expect(glyphRows('\u2014')).not.toEqual(glyphRows('-'));
  });

  it('renders text as 2x-scaled glyphs in 12x20 cells', () => {
    const fg = [255, 255, 255] as const;
    const bg = [0, 0, 0] as const;
    const fb = renderText('I.', fg, bg);
    expect([fb.width, fb.height]).toEqual([2 * CELL_WIDTH, CELL_HEIGHT]);
    const px = (x: number, y: number): number => fb.data[(y * fb.width + x) * 4]!;
    // 'I' row 0 is .###. : glyph column 1 starts at pixel 1 + 2*1 = 3, glyph row 0 at pixel 2.
    expect([px(0, 2), px(1, 2), px(2, 2), px(3, 2), px(4, 2), px(8, 2), px(9, 2)]).toEqual([0, 0, 0, 255, 255, 255, 0]);
    expect(px(3, 3)).toBe(255); // each glyph bit is 2 pixels tall
    expect(px(3, 1)).toBe(0); // top margin
    // '.' sits in rows 5-6 of the second cell.
    expect(px(CELL_WIDTH + 3, 2 + 10)).toBe(255);
    expect(px(CELL_WIDTH + 3, 2 + 8)).toBe(0);
  });
});
