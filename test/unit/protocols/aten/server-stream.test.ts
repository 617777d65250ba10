import { describe, expect, it } from 'vitest';
import { findAtenUpdate } from '../../../../protocols/aten/resync.js';
import { AtenServerStream, type AtenStreamEvent, type AtenUpdateReport } from '../../../../protocols/aten/server-stream.js';
import { ProtocolError } from '../../../../protocols/errors.js';
import { Ast2100Encoder } from '../../../helpers/aten/ast2100-encoder.js';
import { atenUpdate } from '../../../helpers/aten/framebuffer-update.js';
import { encodeHermonTiles } from '../../../helpers/aten/hermon-encoder.js';
import { testPattern } from '../../../helpers/aten/simulator.js';
import { prng } from '../../../helpers/prng.js';

const update = atenUpdate;

/** A Hermon tile payload: each tile one RGB555 colour, at any (row, col), even off the screen. */
function tiles(list: { row: number; col: number; lo: number; hi: number }[]): Buffer {
  const body = Buffer.alloc(list.length * 518);
  list.forEach((t, i) => {
    body[i * 518 + 4] = t.row;
    body[i * 518 + 5] = t.col;
    for (let p = 0; p < 256; p++) {
      body[i * 518 + 6 + p * 2] = t.lo;
      body[i * 518 + 7 + p * 2] = t.hi;
    }
  });
  const h = Buffer.alloc(10);
  h.writeUInt32BE(list.length, 2);
  h.writeUInt32BE(10 + body.length, 6);
  return Buffer.concat([h, body]);
}

const hex = (t: string) => Buffer.from(t.replace(/\s+/g, ''), 'hex');
const updatesOf = (evs: AtenStreamEvent[]): AtenUpdateReport[] => evs.flatMap((e) => (e.type === 'update' ? [e.update] : []));
const WHITE = { lo: 0xff, hi: 0x7f };
const RED = { lo: 0x00, hi: 0x7c };

describe('AtenServerStream: Hermon on old firmware', () => {
  it('only the first rectangle says 0x59, later ones say 0x00: all are Hermon, drawn over the previous picture', () => {
    const w = 64;
    const h = 48;
    const s = new AtenServerStream({ startWith: 'messages' });
    const evs = s.push(
      Buffer.concat([
        update(w, h, 0x59, encodeHermonTiles(testPattern(w, h), w, h)),
        update(w, h, 0x00, tiles([{ row: 1, col: 1, ...RED }])),
        update(w, h, 0x00, tiles([{ row: 2, col: 3, ...WHITE }])),
      ]),
    );
    const u = updatesOf(evs);
    expect(u.map((x) => [x.rects[0]!.encoding, x.rects[0]!.hermon?.tiles, x.clean])).toEqual([
      [0x59, 12, true],
      [0, 1, true],
      [0, 1, true],
    ]);
    expect(u[1]!.changed).toEqual([{ x: 16, y: 16, width: 16, height: 16 }]);
    const at = (x: number, y: number) => [...s.fb.data.subarray((y * w + x) * 4, (y * w + x) * 4 + 3)];
    expect(at(20, 20)).toEqual([255, 0, 0]);
    expect(at(60, 40)).toEqual([255, 255, 255]);
    expect(at(0, 0)).toEqual([255, 255, 255]); // the pattern's white frame, from the first picture
    expect(at(5, 5)).not.toEqual([0, 0, 0]);
  });

  it('tiles partly or wholly outside the rectangle and the screen are cut at its edge or skipped', () => {
    const s = new AtenServerStream({ startWith: 'messages' });
    // 40x24: column 2 covers x 32..47 (8 px on screen), row 1 covers y 16..31 (8 px); (row 9, col 200) is far off.
    const [u] = updatesOf(
      s.push(
        update(
          40,
          24,
          0x00,
          tiles([
            { row: 1, col: 2, ...WHITE },
            { row: 9, col: 200, ...WHITE },
            { row: 0, col: 3, ...WHITE },
          ]),
        ),
      ),
    );
    expect(u!.rects[0]!.hermon).toMatchObject({ tiles: 3, tilesClipped: 1, tilesOutside: 2 });
    expect(u!.clean).toBe(true);
    expect(s.fb.data.length).toBe(40 * 24 * 4);
    let lit = 0;
    for (let i = 0; i < s.fb.data.length; i += 4) if (s.fb.data[i] === 255) lit++;
    expect(lit).toBe(8 * 8); // col 3 starts at x 48: wholly off a 40-wide screen too
  });

  it('fuzz: tiles at any position on screens of any size never write outside the picture', () => {
    const rnd = prng(0x59);
    for (let i = 0; i < 200; i++) {
      const w = 1 + Math.floor(rnd() * 70);
      const h = 1 + Math.floor(rnd() * 70);
      const list = Array.from({ length: 1 + Math.floor(rnd() * 6) }, () => ({ row: Math.floor(rnd() * 256), col: Math.floor(rnd() * 256), ...WHITE }));
      list.push({ row: Math.floor((h - 1) / 16), col: Math.floor((w - 1) / 16), ...WHITE }); // always one on the last tile
      const s = new AtenServerStream({ startWith: 'messages' });
      const [u] = updatesOf(s.push(update(w, h, i % 2 ? 0 : 0x59, tiles(list))));
      expect(u!.clean).toBe(true);
      expect(s.fb.data.length).toBe(w * h * 4);
      let expected = 0;
      for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) if (list.some((t) => t.col === x >> 4 && t.row === y >> 4)) expected++;
      let lit = 0;
      for (let p = 0; p < s.fb.data.length; p += 4) if (s.fb.data[p] === 255) lit++;
      expect(lit).toBe(expected);
    }
  });
});

describe('AtenServerStream: AST2100 state, no signal, resizes, errors', () => {
  it('keeps the decoder state across updates, reports resizes and no signal, and a bad rectangle without losing alignment', () => {
    const enc = new Ast2100Encoder();
    const a = testPattern(32, 16);
    const s = new AtenServerStream({ startWith: 'messages' });
    const sentinel = Buffer.alloc(24 + 10);
    sentinel.writeUInt16BE(1, 2);
    sentinel.writeUInt16BE(0xfd80, 8);
    sentinel.writeUInt16BE(0xfe20, 10);
    sentinel.writeInt32BE(0x57, 12);
    sentinel.writeUInt32BE(10, 20);
    const evs = s.push(
      Buffer.concat([
        update(32, 16, 0x57, enc.encode(a, 32, 16, { subsampling: 444, selector0: 11, selector1: 11, padWords: 2 })),
        sentinel,
        update(48, 16, 0x57, enc.encode(testPattern(48, 16), 48, 16, { subsampling: 444, selector0: 11, selector1: 11, padWords: 2 })),
        update(48, 16, 0x57, hex('0b0b01bc ffff3f00')), // not a Huffman code: this rectangle fails
        update(48, 16, 0x57, hex('0b0b01bc 00000090')), // an empty frame: the stream is still in step
        Buffer.from([0x16, 0x01]), // keep-alive
      ]),
    );
    const u = updatesOf(evs);
    expect(u.map((x) => [x.index, x.resized, x.noSignal, x.clean, x.width])).toEqual([
      [1, true, false, true, 32],
      [2, false, true, true, 32],
      [3, true, false, true, 48],
      [4, false, false, false, 48],
      [5, false, false, true, 48],
    ]);
    expect(u[3]!.rects[0]!.error).toMatchObject({ code: 'ATEN_ERR_AST2100_HUFFMAN' });
    expect(u[3]!.rects[0]!.ast2100?.totalBlocks).toBe(0);
    expect(evs.at(-1)).toEqual({
      type: 'message',
      message: { type: 'keep-alive', value: 1 },
      end: evs.reduce((n, e) => (e.type === 'update' ? n + e.update.bytes : n), 0) + 2,
    });
  });

  it('a malformed message ends the push with an error event, after every message before it; restart() reads on', () => {
    const s = new AtenServerStream({ startWith: 'messages' });
    const good = update(8, 8, 0x57, hex('0b0b01bc 00000090'));
    const evs = s.push(Buffer.concat([good, good, Buffer.from([0x77, 1, 2, 3]), good]));
    expect(evs.map((e) => e.type)).toEqual(['update', 'update', 'error']);
    const err = evs[2] as Extract<AtenStreamEvent, { type: 'error' }>;
    expect(err.error).toBeInstanceOf(ProtocolError);
    expect(err.error.code).toBe('ATEN_ERR_UNKNOWN_MESSAGE');
    expect(err.position).toBe(2 * good.length);
    expect(s.push(good)).toEqual([]); // failed until restarted
    s.restart();
    expect(updatesOf(s.push(good)).map((x) => x.index)).toEqual([3]);
  });

  it('a bad handshake is an error event too, and nothing is ever thrown for bad bytes', () => {
    const s = new AtenServerStream();
    const evs = s.push(Buffer.from('RFB 004.000\n'));
    expect(evs).toEqual([expect.objectContaining({ type: 'error', position: 0, error: expect.objectContaining({ code: 'ATEN_ERR_VERSION' }) })]);
    const rnd = prng(0x57);
    for (let i = 0; i < 400; i++) {
      const bytes = Buffer.from(Array.from({ length: 1 + Math.floor(rnd() * 120) }, () => Math.floor(rnd() * 256)));
      if (i % 3 === 0) bytes[0] = 0;
      const t = new AtenServerStream({ startWith: i % 2 ? 'messages' : 'handshake' });
      expect(() => t.push(bytes)).not.toThrow();
    }
  });
});

describe('findAtenUpdate', () => {
  it('finds update headers and passes over what only looks like one', () => {
    const good = update(1024, 768, 0x57, hex('0507 01a6 00000090'));
    const junk = hex('00 00 0001 0000 0000 0400 0300 00000058 00000000 00000008'); // encoding 0x58
    const data = Buffer.concat([Buffer.from([1, 2, 3]), junk, good, good]);
    expect(findAtenUpdate(data)).toBe(3 + junk.length);
    expect(findAtenUpdate(data, 3 + junk.length + 1)).toBe(3 + junk.length + good.length);
    expect(findAtenUpdate(data, data.length - 5)).toBe(-1);
    // Selector 12 is no AST2100 header; 0x59 with sub-type 7 is no Hermon payload.
    expect(findAtenUpdate(update(800, 600, 0x57, hex('0c0b01bc 00000090')))).toBe(-1);
    expect(findAtenUpdate(update(800, 600, 0x59, hex('07000000000000000000')))).toBe(-1);
    // A one-rectangle update must be followed by a known message type (or the end of the data).
    expect(findAtenUpdate(Buffer.concat([good, Buffer.from([0x77])]))).toBe(-1);
  });
});
