/**
 * The SCREEN structure shared by SetDesktopSize and the ExtendedDesktopSize pseudo-encoding
 * (rfbproto, both extensions): id U32, x, y, width, height U16, flags U32 — 16 bytes.
 */
export interface Screen {
  id: number;
  x: number;
  y: number;
  width: number;
  height: number;
  /** Unknown bits must be preserved (rfbproto), so we carry them through untouched. */
  flags: number;
}

export const SCREEN_BYTES = 16;

export function writeScreens(out: Buffer, offset: number, screens: readonly Screen[]): void {
  let o = offset;
  for (const s of screens) {
    out.writeUInt32BE(s.id, o);
    out.writeUInt16BE(s.x, o + 4);
    out.writeUInt16BE(s.y, o + 6);
    out.writeUInt16BE(s.width, o + 8);
    out.writeUInt16BE(s.height, o + 10);
    out.writeUInt32BE(s.flags, o + 12);
    o += SCREEN_BYTES;
  }
}

/** Reads `count` screens from `b` at `offset`; the caller has checked the bytes are there. */
export function readScreens(b: Buffer, offset: number, count: number): Screen[] {
  const screens: Screen[] = [];
  for (let i = 0, o = offset; i < count; i++, o += SCREEN_BYTES) {
    screens.push({
      id: b.readUInt32BE(o),
      x: b.readUInt16BE(o + 4),
      y: b.readUInt16BE(o + 6),
      width: b.readUInt16BE(o + 8),
      height: b.readUInt16BE(o + 10),
      flags: b.readUInt32BE(o + 12),
    });
  }
  return screens;
}
