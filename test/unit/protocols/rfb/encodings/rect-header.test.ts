import { describe, expect, it } from 'vitest';
import { RECT_HEADER_BYTES, writeRectHeader } from '../../../../../protocols/rfb/encodings/rect-header.js';

describe('writeRectHeader', () => {
  it("writes x, y, width, height as U16 and the encoding as S32, big-endian (§7.6.1), as Buffer's checked writers do", () => {
    for (const [rect, encoding] of [
      [{ x: 0, y: 0, width: 1, height: 1 }, 0],
      [{ x: 0x1234, y: 0xabcd, width: 0xffff, height: 0x0100 }, 7],
      [{ x: 65535, y: 1, width: 2048, height: 768 }, -239], // Cursor pseudo-encoding
      [{ x: 3, y: 4, width: 5, height: 6 }, -223], // DesktopSize
      [{ x: 3, y: 4, width: 5, height: 6 }, 0x7fffffff],
      [{ x: 3, y: 4, width: 5, height: 6 }, -0x80000000],
    ] as const) {
      const got = Buffer.alloc(RECT_HEADER_BYTES + 2, 0xee);
      writeRectHeader(got, 1, rect, encoding);
      const want = Buffer.alloc(RECT_HEADER_BYTES + 2, 0xee);
      want.writeUInt16BE(rect.x, 1);
      want.writeUInt16BE(rect.y, 3);
      want.writeUInt16BE(rect.width, 5);
      want.writeUInt16BE(rect.height, 7);
      want.writeInt32BE(encoding, 9);
      expect(got.toString('hex'), `${JSON.stringify(rect)} ${encoding}`).toBe(want.toString('hex'));
    }
  });
});
