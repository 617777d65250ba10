/** An ATEN FramebufferUpdate with one rectangle at 0,0 (notes §3.1): u8 0, pad, u16 1, then x, y, w, h, s32 encoding, u32 mode 0, u32 dataLen, data. */
export function atenUpdate(width: number, height: number, encoding: number, data: Buffer): Buffer {
  const hdr = Buffer.alloc(24);
  hdr.writeUInt16BE(1, 2);
  hdr.writeUInt16BE(width, 8);
  hdr.writeUInt16BE(height, 10);
  hdr.writeInt32BE(encoding, 12);
  hdr.writeUInt32BE(data.length, 20);
  return Buffer.concat([hdr, data]);
}
