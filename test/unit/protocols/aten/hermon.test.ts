import { describe, expect, it } from 'vitest';
import { decodeHermon } from '../../../../protocols/aten/hermon.js';
import { AtenVideoDecoder } from '../../../../protocols/aten/video-decoder.js';
import { AtenServerMessageReader } from '../../../../protocols/aten/server-messages.js';
import { ProtocolError } from '../../../../protocols/errors.js';
import { Framebuffer } from '../../../../protocols/rfb/framebuffer.js';
import { Ast2100Encoder } from '../../../helpers/aten/ast2100-encoder.js';
import { encodeHermonRaw, encodeHermonTiles } from '../../../helpers/aten/hermon-encoder.js';
import { prng, splits } from '../../../helpers/aten/feed.js';
import { atenUpdate } from '../../../helpers/aten/framebuffer-update.js';

const px = (fb: Framebuffer, x: number, y: number) => [...fb.data.subarray((y * fb.width + x) * 4, (y * fb.width + x) * 4 + 3)];

/** A hand-built single tile: sub-header, then u16 a, u16 b, row, col, 256 pixels of one RGB555 value. */
function oneTile(row: number, col: number, lo: number, hi: number): Buffer {
  const b = Buffer.alloc(10 + 518);
  b[0] = 0;
  b.writeUInt32BE(1, 2);
  b.writeUInt32BE(528, 6);
  b[14] = row;
  b[15] = col;
  for (let i = 0; i < 256; i++) {
    b[16 + i * 2] = lo;
    b[17 + i * 2] = hi;
  }
  return b;
}

describe('decodeHermon', () => {
  it('decodes a hand-built tile: RGB555 little-endian, 5-bit channels widened to 8 bits', () => {
    // 0x7c00 = pure red (R=31), stored LE as 00 7c; 0x03e0 = green; 0x001f = blue; 0x4210 = R=G=B=16.
    for (const [lo, hi, rgb] of [
      [0x00, 0x7c, [255, 0, 0]],
      [0xe0, 0x03, [0, 255, 0]],
      [0x1f, 0x00, [0, 0, 255]],
      [0x10, 0x42, [132, 132, 132]],
    ] as const) {
      const fb = new Framebuffer(48, 32);
      const r = decodeHermon(oneTile(1, 2, lo, hi), fb);
      expect(r).toEqual({ subType: 'tiles', tiles: 1, tilesOutside: 0, tilesClipped: 0, changed: [{ x: 32, y: 16, width: 16, height: 16 }] });
      expect(px(fb, 32, 16)).toEqual(rgb);
      expect(px(fb, 47, 31)).toEqual(rgb);
      expect(px(fb, 31, 16)).toEqual([0, 0, 0]);
    }
  });

  it('clips tiles at the right and bottom edges (800x600 is 37.5 tile rows) and skips tiles wholly outside', () => {
    const fb = new Framebuffer(40, 24);
    const edge = decodeHermon(oneTile(1, 2, 0xff, 0x7f), fb); // covers x 32..47, y 16..31 → clipped to 8x8
    expect(edge.changed).toEqual([{ x: 32, y: 16, width: 8, height: 8 }]);
    expect(px(fb, 39, 23)).toEqual([255, 255, 255]);
    expect(decodeHermon(oneTile(5, 0, 0xff, 0x7f), fb)).toMatchObject({ tilesOutside: 1, changed: [] });
  });

  it('round-trips whole screens as tiles and as a raw frame, at sizes that are not tile multiples', () => {
    const rnd = prng(59);
    for (const [w, h] of [
      [800, 600],
      [37, 21],
    ] as const) {
      const src = new Uint8Array(w * h * 4);
      for (let i = 0; i < src.length; i++) src[i] = i % 4 === 3 ? 0 : Math.floor(rnd() * 256) & 0xf8;
      for (const payload of [encodeHermonTiles(src, w, h), encodeHermonRaw(src, w, h)]) {
        const fb = new Framebuffer(w, h);
        decodeHermon(payload, fb);
        // 5-bit channels: x & 0xf8 widened back is x | x >> 5.
        const expected = src.map((v, i) => (i % 4 === 3 ? 0 : v | (v >> 5)));
        expect(Buffer.from(fb.data).equals(Buffer.from(expected))).toBe(true);
      }
    }
  });

  it('rejects truncated and malformed payloads with typed errors', () => {
    const fb = new Framebuffer(32, 32);
    expect(() => decodeHermon(Buffer.alloc(9), fb)).toThrow(expect.objectContaining({ code: 'ATEN_ERR_HERMON_TRUNCATED' }));
    expect(() => decodeHermon(oneTile(0, 0, 0, 0).subarray(0, 500), fb)).toThrow(
      expect.objectContaining({ code: 'ATEN_ERR_HERMON_TRUNCATED', field: 'hermon.tiles' }),
    );
    const bad = oneTile(0, 0, 0, 0);
    bad[0] = 2;
    expect(() => decodeHermon(bad, fb)).toThrow(expect.objectContaining({ code: 'ATEN_ERR_HERMON_SUBTYPE' }));
    const many = oneTile(0, 0, 0, 0);
    many.writeUInt32BE(0xffffffff, 2);
    expect(() => decodeHermon(many, fb)).toThrow(expect.objectContaining({ code: 'ATEN_ERR_LIMIT' }));
    expect(() => decodeHermon(Buffer.concat([Buffer.from([1, 0, 0, 0, 0, 0, 0, 0, 0, 0]), Buffer.alloc(100)]), fb)).toThrow(
      expect.objectContaining({ code: 'ATEN_ERR_HERMON_TRUNCATED', field: 'hermon.raw' }),
    );
  });
});

describe('decodeHermon fuzz', () => {
  it('random and mutated payloads only ever raise ProtocolError', () => {
    const rnd = prng(5959);
    const base = encodeHermonTiles(new Uint8Array(48 * 48 * 4).fill(0x80), 48, 48);
    for (let i = 0; i < 2000; i++) {
      const b = i % 2 ? Buffer.from(base) : Buffer.from(Array.from({ length: Math.floor(rnd() * 600) }, () => Math.floor(rnd() * 256)));
      for (let k = 0; k < 3 && b.length; k++) b[Math.floor(rnd() * b.length)] = Math.floor(rnd() * 256);
      if (i % 4 === 1) b[0] = Math.floor(rnd() * 2);
      try {
        decodeHermon(b, new Framebuffer(40, 40));
      } catch (e) {
        expect(e).toBeInstanceOf(ProtocolError);
      }
    }
  });
});

describe('AtenVideoDecoder with the message reader', () => {
  const fbu = atenUpdate;

  it('resizes to the size in the rect header, decodes Hermon sent as encoding 0, and stays aligned after a bad rect', () => {
    const src = new Uint8Array(64 * 32 * 4).fill(0xf8);
    const bad = Buffer.from(encodeHermonTiles(src, 64, 32));
    bad[0] = 7; // unknown sub-type
    const stream = Buffer.concat([
      fbu(64, 32, 0x59, encodeHermonTiles(src, 64, 32)),
      fbu(64, 32, 0, bad),
      fbu(32, 16, 0x00, encodeHermonRaw(src.subarray(0, 32 * 16 * 4), 32, 16)),
      Buffer.from([0x16, 0x00]),
    ]);
    for (const { name, chunks } of [splits(stream)[0]!, splits(stream).at(-1)!, splits(stream)[777]!]) {
      const reader = new AtenServerMessageReader();
      const video = new AtenVideoDecoder();
      const fb = new Framebuffer(1, 1);
      const results: string[] = [];
      for (const c of chunks) {
        for (const m of reader.push(c)) {
          if (m.type !== 'framebuffer-update') {
            results.push(m.type);
            continue;
          }
          for (const rect of m.rects) {
            try {
              const r = video.decodeRect(rect, fb);
              results.push(`${r.encoding} ${fb.width}x${fb.height} resized=${r.resized}`);
            } catch (e) {
              expect(e).toBeInstanceOf(ProtocolError);
              results.push((e as ProtocolError).code);
            }
          }
        }
      }
      expect(results, name).toEqual(['hermon 64x32 resized=true', 'ATEN_ERR_HERMON_SUBTYPE', 'hermon 32x16 resized=true', 'keep-alive']);
      expect(px(fb, 31, 15)).toEqual([255, 255, 255]);
    }
  });

  it('a truncated AST2100 rect raises AtenError and the next messages still parse', () => {
    const good = new Ast2100Encoder().encode(new Uint8Array(32 * 16 * 4).fill(90), 32, 16, { subsampling: 444 });
    const stream = Buffer.concat([fbu(32, 16, 0x57, good.subarray(0, good.length - 8)), fbu(32, 16, 0x57, good), Buffer.from([0x02])]);
    for (const { name, chunks } of [splits(stream)[0]!, splits(stream).at(-1)!]) {
      const reader = new AtenServerMessageReader();
      const video = new AtenVideoDecoder();
      const fb = new Framebuffer(32, 16);
      const seen: string[] = [];
      for (const c of chunks) {
        for (const m of reader.push(c)) {
          if (m.type !== 'framebuffer-update') {
            seen.push(m.type);
            continue;
          }
          for (const rect of m.rects) {
            try {
              seen.push(`${video.decodeRect(rect, fb).encoding} ok`);
            } catch (e) {
              seen.push((e as ProtocolError).code);
            }
          }
        }
      }
      expect(seen, name).toEqual(['ATEN_ERR_AST2100_TRUNCATED', 'ast2100 ok', 'bell']);
    }
  });

  it('refuses encodings it cannot draw', () => {
    const fb = new Framebuffer(8, 8);
    expect(() => new AtenVideoDecoder().decodeRect({ x: 0, y: 0, width: 8, height: 8, encoding: 0x58, mode: 0, data: Buffer.alloc(4) }, fb)).toThrow(
      expect.objectContaining({ code: 'ATEN_ERR_ENCODING' }),
    );
  });
});
