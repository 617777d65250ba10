/**
 * Hermon (0x59) encoders for tests and the simulator (not shipped). Layout: protocols/aten/hermon.ts.
 */

/** RGB888 → RGB555 little-endian bytes. */
export function rgb555(r: number, g: number, b: number): [number, number] {
  const v = ((r >> 3) << 10) | ((g >> 3) << 5) | (b >> 3);
  return [v & 0xff, v >> 8];
}

function subHeader(subType: number, count: number, totalLen: number): Buffer {
  const h = Buffer.alloc(10);
  h[0] = subType;
  h.writeUInt32BE(count, 2);
  h.writeUInt32BE(totalLen, 6);
  return h;
}

/**
 * Tiles payload for the given tile positions (default: every tile of the screen), pixels taken from
 * `rgbx` (width*height*4); tile pixels outside the screen are black.
 */
export function encodeHermonTiles(rgbx: Uint8Array, width: number, height: number, tiles?: { row: number; col: number }[]): Buffer {
  const list = tiles ?? [];
  if (!tiles) for (let row = 0; row < Math.ceil(height / 16); row++) for (let col = 0; col < Math.ceil(width / 16); col++) list.push({ row, col });
  const body = Buffer.alloc(list.length * 518);
  list.forEach(({ row, col }, i) => {
    const o = i * 518;
    body.writeUInt16BE(0x0001, o); // unknown fields: any value
    body.writeUInt16BE(0x0002, o + 2);
    body[o + 4] = row;
    body[o + 5] = col;
    for (let j = 0; j < 16; j++) {
      for (let k = 0; k < 16; k++) {
        const x = col * 16 + k;
        const y = row * 16 + j;
        const p = o + 6 + (j * 16 + k) * 2;
        if (x >= width || y >= height) continue;
        const s = (y * width + x) * 4;
        const [lo, hi] = rgb555(rgbx[s]!, rgbx[s + 1]!, rgbx[s + 2]!);
        body[p] = lo;
        body[p + 1] = hi;
      }
    }
  });
  return Buffer.concat([subHeader(0, list.length, 10 + body.length), body]);
}

/** Raw full-frame payload. */
export function encodeHermonRaw(rgbx: Uint8Array, width: number, height: number): Buffer {
  const body = Buffer.alloc(width * height * 2);
  for (let i = 0; i < width * height; i++) {
    const [lo, hi] = rgb555(rgbx[i * 4]!, rgbx[i * 4 + 1]!, rgbx[i * 4 + 2]!);
    body[i * 2] = lo;
    body[i * 2 + 1] = hi;
  }
  return Buffer.concat([subHeader(1, 0, 10 + body.length), body]);
}
