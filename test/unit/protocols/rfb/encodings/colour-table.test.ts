import { describe, expect, it } from 'vitest';
import { ColourTable } from '../../../../../protocols/rfb/encodings/colour-table.js';

describe('ColourTable', () => {
  it('numbers colours in order of first sight, finds them again, and refuses one past the limit', () => {
    const t = new ColourTable(256, 10);
    for (let c = 0; c < 256; c++) expect(t.indexOf(c * 65_537 + 7)).toBe(c);
    for (let c = 255; c >= 0; c--) expect(t.indexOf(c * 65_537 + 7)).toBe(c);
    expect(t.indexOf(0xabcdef)).toBe(-1);
    expect(t.count).toBe(256);
    expect(t.colours[3]).toBe(3 * 65_537 + 7);
  });

  it('clear() forgets everything, including colour 0', () => {
    const t = new ColourTable(4, 4);
    expect(t.indexOf(0)).toBe(0);
    expect(t.indexOf(0xffffff)).toBe(1);
    t.clear();
    expect(t.count).toBe(0);
    expect(t.indexOf(0xffffff)).toBe(0);
    expect(t.indexOf(0)).toBe(1);
  });
});
