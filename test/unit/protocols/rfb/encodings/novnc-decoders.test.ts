import { describe, expect, it } from 'vitest';
import { decodeWithNoVnc, rgbOnly } from './novnc-harness.js';
import { hextileVectors, tightBigVector, tightVector, zlibVector, zrleVector, type Vector } from './vectors.js';

/** Our hand-built vectors' expected pictures, confirmed by noVNC's own decoders. */
describe("hand-built vectors agree with noVNC 1.7's decoders", () => {
  const cases: [string, () => Vector, 'hextile' | 'tight' | 'zrle' | 'zlib'][] = [
    ['hextile', () => hextileVectors()[0]!, 'hextile'],
    ['tight', tightVector, 'tight'],
    ['tight big', tightBigVector, 'tight'],
    ['zrle', zrleVector, 'zrle'],
    ['zlib', zlibVector, 'zlib'],
  ];
  for (const [name, make, kind] of cases) {
    it(name, async () => {
      const v = make();
      const theirs = await decodeWithNoVnc(kind, v.rects, v.bytes, v.fbW, v.fbH);
      expect(rgbOnly(theirs).equals(rgbOnly(v.want))).toBe(true);
    });
  }
});
