import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Ast2100Decoder } from '../../../../../protocols/aten/ast2100/decoder.js';
import { ProtocolError } from '../../../../../protocols/errors.js';
import { Framebuffer } from '../../../../../protocols/rfb/framebuffer.js';
import { Ast2100BitWriter } from '../../../../helpers/aten/ast2100-encoder.js';
import { prng } from '../../../../helpers/aten/feed.js';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, '../../../../..');
const FRAME4 = resolve(repoRoot, '../shared/fixtures/aten/ast2100-frame4.hex');
const frame4 = () => Buffer.from(readFileSync(FRAME4, 'utf8').trim(), 'hex');

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const px = (fb: Framebuffer, x: number, y: number) => [...fb.data.subarray((y * fb.width + x) * 4, (y * fb.width + x) * 4 + 3)];

describe('Ast2100Decoder on the real captured frame (ast2100-frame4.hex)', () => {
  it('decodes at 1024x768 to the console it shows and ends exactly at its end-of-frame code', () => {
    const fb = new Framebuffer(1024, 768);
    const r = new Ast2100Decoder().decodeFrame(frame4(), fb);
    expect(r.header).toEqual({ selector0: 5, selector1: 5, subsampling: 422 });
    // One DCT block per 16x16 MCU of a 1024x768 screen, no other kinds.
    expect(r.blocks).toEqual({ dct: 3072 });
    expect(r.totalBlocks).toBe(64 * 48);
    expect(r.finalPosition).toEqual({ x: 0, y: 0 });
    expect(r.endOfFrame).toBe(true);
    expect(r.endedExactly).toBe(true);
    expect(r.trailingBits).toBe(91); // code at bit 1 of the third-last word, then zero padding
    expect(r.changed).toHaveLength(48);
    expect(r.changed[0]).toEqual({ x: 0, y: 0, width: 1024, height: 16 });

    // The picture: a Linux text console ("clio login:" lines) — light grey text on black.
    let dark = 0;
    for (let i = 0; i < fb.data.length; i += 4) if (fb.data[i]! < 40 && fb.data[i + 1]! < 40 && fb.data[i + 2]! < 40) dark++;
    expect(dark / (1024 * 768)).toBeGreaterThan(0.95);
    const bright = (x0: number, y0: number, w: number, h: number) => {
      let n = 0;
      for (let y = y0; y < y0 + h; y++) for (let x = x0; x < x0 + w; x++) if (px(fb, x, y)[0]! > 120) n++;
      return n;
    };
    expect(bright(0, 16, 90, 12)).toBeGreaterThan(60); // "clio login:" on the first text row (y≈16..28)
    expect(bright(0, 48, 180, 12)).toBeGreaterThan(120); // "Ubuntu 15.10 clio tty1"
    expect(bright(300, 0, 700, 760)).toBe(0); // the right-hand part of the screen is empty
    expect(bright(0, 34, 300, 12)).toBe(0); // the blank line between them
    // Grey, not coloured: R≈G≈B on the text.
    let maxChroma = 0;
    for (let i = 0; i < fb.data.length; i += 4) maxChroma = Math.max(maxChroma, Math.abs(fb.data[i]! - fb.data[i + 2]!));
    expect(maxChroma).toBeLessThan(40);
    // Regression pin of the exact output of this decoder (float IDCT, ASPEED colour constants).
    expect(createHash('sha256').update(fb.data).digest('hex').slice(0, 16)).toBe('720778b44b46ac56');
  });

  it('decodes identically under both readings of header byte 1 (its bytes 0 and 1 are both 5)', () => {
    const a = new Framebuffer(1024, 768);
    const b = new Framebuffer(1024, 768);
    new Ast2100Decoder({ headerByte1: 'chroma' }).decodeFrame(frame4(), a);
    new Ast2100Decoder({ headerByte1: 'advance' }).decodeFrame(frame4(), b);
    expect(a.data.equals(b.data)).toBe(true);
  });

  it("only 1024x768 among the usual modes tiles the grid exactly with the frame's 3072 blocks", () => {
    for (const [w, h] of [
      [640, 480],
      [720, 400],
      [800, 600],
      [1280, 1024],
    ] as const) {
      const r = new Ast2100Decoder().decodeFrame(frame4(), new Framebuffer(w, h));
      expect(r.totalBlocks === Math.ceil(w / 16) * Math.ceil(h / 16), `${w}x${h}`).toBe(false);
    }
  });

  it('truncated at any of many points: ATEN_ERR_AST2100_TRUNCATED (or a typed error), never a crash', () => {
    const data = frame4();
    for (let cut = 4; cut < data.length - 12; cut += 2999) {
      let err: unknown;
      try {
        new Ast2100Decoder().decodeFrame(data.subarray(0, cut), new Framebuffer(1024, 768));
      } catch (e) {
        err = e;
      }
      expect(err, `cut at ${cut}`).toBeInstanceOf(ProtocolError);
    }
    expect(() => new Ast2100Decoder().decodeFrame(data.subarray(0, 4000), new Framebuffer(1024, 768))).toThrow(
      expect.objectContaining({ code: 'ATEN_ERR_AST2100_TRUNCATED' }),
    );
  });
});

describe('Ast2100Decoder on hand-written bit-streams', () => {
  it('a flat 4:4:4 DCT block (DC 0, EOB everywhere) is mid grey', () => {
    // 0000 | Y: DC cat0 "00", EOB "1010" | Cb: "00" "00" | Cr: "00" "00" | EOF 1001 → 0x02802400, stored LE.
    const fb = new Framebuffer(8, 8);
    const r = new Ast2100Decoder().decodeFrame(hex('0b0b01bc 00248002'), fb);
    expect(r.blocks).toEqual({ dct: 1 });
    expect(r.endedExactly).toBe(true);
    for (let y = 0; y < 8; y++) for (let x = 0; x < 8; x++) expect(px(fb, x, y)).toEqual([130, 130, 130]); // 1.164*(128-16)
  });

  it('a one-colour VQ block sets a codebook slot that later blocks reuse, across frames', () => {
    const w = new Ast2100BitWriter();
    w.write(0x5, 4); // VQ, 1 colour
    w.write(1, 1);
    w.write(2, 2);
    w.write(235, 8);
    w.write(128, 8);
    w.write(128, 8); // slot 2 := white
    w.write(0x9, 4);
    const dec = new Ast2100Decoder();
    const fb = new Framebuffer(8, 8);
    const frame1 = Buffer.concat([hex('0b0b01bc'), w.finish()]);
    expect(dec.decodeFrame(frame1, fb).blocks).toEqual({ vq1: 1 });
    expect(px(fb, 3, 3)).toEqual([255, 255, 255]);
    // Next frame: a 2-colour VQ block using slot 2 (no update) and slot 0 (initial black).
    const w2 = new Ast2100BitWriter();
    w2.write(0x6, 4);
    w2.write(0, 1);
    w2.write(0, 2); // codeword 0 → slot 0 (black, 00/80/80)
    w2.write(0, 1);
    w2.write(2, 2); // codeword 1 → slot 2 (white from the previous frame)
    for (let i = 0; i < 64; i++) w2.write(i % 2, 1); // alternate columns
    w2.write(0x9, 4);
    fb.fillRect(0, 0, 8, 8, 1, 2, 3);
    expect(dec.decodeFrame(Buffer.concat([hex('0b0b01bc'), w2.finish()]), fb).blocks).toEqual({ vq2: 1 });
    expect(px(fb, 0, 0)).toEqual([0, 0, 0]);
    expect(px(fb, 1, 0)).toEqual([255, 255, 255]);
  });

  it('positioned blocks move the cursor; unpositioned ones continue from there', () => {
    const w = new Ast2100BitWriter();
    w.write(0xd, 4);
    w.write(2, 8);
    w.write(1, 8); // VQ 1 colour at MCU (2,1)
    w.write(1, 1);
    w.write(0, 2);
    w.write(235, 8);
    w.write(128, 8);
    w.write(128, 8);
    w.write(0x5, 4);
    w.write(0, 1);
    w.write(0, 2); // next block, (0,2) after wrapping a 3-wide grid
    w.write(0x9, 4);
    const fb = new Framebuffer(24, 24);
    const r = new Ast2100Decoder().decodeFrame(Buffer.concat([hex('0b0b01bc'), w.finish()]), fb);
    expect(r.blocks).toEqual({ 'vq1-positioned': 1, vq1: 1 });
    expect(px(fb, 16, 8)).toEqual([255, 255, 255]);
    expect(px(fb, 0, 16)).toEqual([255, 255, 255]);
    expect(px(fb, 0, 0)).toEqual([0, 0, 0]); // untouched
    expect(r.changed).toEqual([
      { x: 16, y: 8, width: 8, height: 8 },
      { x: 0, y: 16, width: 8, height: 8 },
    ]);
  });

  it('PASS2 adds a correction centred on 128 to the previous samples (4:4:4)', () => {
    const w = new Ast2100BitWriter();
    const flat = () => {
      w.write(0b00, 2);
      w.write(0b1010, 4);
      w.write(0b00, 2);
      w.write(0b00, 2);
      w.write(0b00, 2);
      w.write(0b00, 2);
    };
    w.write(0x0, 4);
    flat(); // grey 128/128/128
    w.write(0xa, 4);
    w.write(0, 8);
    w.write(0, 8); // PASS2 at (0,0)
    w.write(0b11110, 5);
    w.write(80, 7);
    w.write(0b1010, 4); // Y DC diff +80 (cat 7), EOB → samples 128+10
    w.write(0b00, 2);
    w.write(0b00, 2);
    w.write(0b00, 2);
    w.write(0b00, 2); // Cb, Cr flat
    w.write(0x9, 4);
    const fb = new Framebuffer(8, 8);
    const r = new Ast2100Decoder().decodeFrame(Buffer.concat([hex('0b0b01bc'), w.finish()]), fb);
    expect(r.blocks).toEqual({ dct: 1, 'pass2-positioned': 1 });
    expect(px(fb, 4, 4)).toEqual([142, 142, 142]); // Y 138 → 1.164*122
  });

  it('LOW_JPEG blocks decode with the advance table pair', () => {
    const w = new Ast2100BitWriter();
    w.write(0x4, 4);
    w.write(0b11110, 5);
    w.write(80, 7);
    w.write(0b1010, 4); // Y DC = 80 × q[0]
    w.write(0b00, 2);
    w.write(0b00, 2);
    w.write(0b00, 2);
    w.write(0b00, 2);
    w.write(0x9, 4);
    const frame = (b0: number, b1: number) => Buffer.concat([Buffer.from([b0, b1, 0x01, 0xbc]), w.finish()]);
    // 'advance' reading: byte 1 selects the LOW_JPEG pair. Luma table 11 has q[0]=1, table 9 has 1, table 0 has 20.
    const fb = new Framebuffer(8, 8);
    expect(new Ast2100Decoder({ headerByte1: 'advance' }).decodeFrame(frame(0, 11), fb).blocks).toEqual({ 'low-jpeg': 1 });
    expect(px(fb, 0, 0)).toEqual([142, 142, 142]); // 80*1/8 = +10
    new Ast2100Decoder({ headerByte1: 'advance' }).decodeFrame(frame(11, 0), fb);
    expect(px(fb, 0, 0)[0]).toBe(255); // 80*20/8 = +200 → clamps white
  });

  it('rejects malformed headers and streams with typed errors naming the field', () => {
    const fb = new Framebuffer(16, 16);
    const d = () => new Ast2100Decoder();
    expect(() => d().decodeFrame(hex('0b0b01'), fb)).toThrow(expect.objectContaining({ code: 'ATEN_ERR_AST2100_TRUNCATED', field: 'ast2100.header' }));
    expect(() => d().decodeFrame(hex('0c0b01bc 90000000'), fb)).toThrow(expect.objectContaining({ code: 'ATEN_ERR_AST2100_SELECTOR' }));
    expect(() => d().decodeFrame(hex('0b0b01bd 90000000'), fb)).toThrow(expect.objectContaining({ code: 'ATEN_ERR_AST2100_SUBSAMPLING' }));
    expect(() => d().decodeFrame(hex('0b0b01bc 00000010'), fb)).toThrow(expect.objectContaining({ code: 'ATEN_ERR_AST2100_BLOCK_CODE' }));
    // Positioned DCT at MCU (5,0) of a 2x2 grid.
    expect(() => d().decodeFrame(hex('0b0b01bc 00005080'), fb)).toThrow(expect.objectContaining({ code: 'ATEN_ERR_AST2100_POSITION' }));
    // VQ and PASS2 in a 4:2:0 frame.
    expect(() => d().decodeFrame(hex('0b0b01a6 00000050'), fb)).toThrow(expect.objectContaining({ code: 'ATEN_ERR_AST2100_UNSUPPORTED' }));
    expect(() => d().decodeFrame(hex('0b0b01a6 00000020'), fb)).toThrow(expect.objectContaining({ code: 'ATEN_ERR_AST2100_UNSUPPORTED' }));
    // No end-of-frame code: all-zero words decode as flat DCT blocks until the data runs out.
    expect(() => d().decodeFrame(hex('0b0b01bc 00000000'), fb)).toThrow(expect.objectContaining({ code: 'ATEN_ERR_AST2100_TRUNCATED' }));
    // The all-ones AC code is not a code.
    expect(() => d().decodeFrame(hex('0b0b01bc ffff3f00'), fb)).toThrow(expect.objectContaining({ code: 'ATEN_ERR_AST2100_HUFFMAN' }));
  });

  it('fuzz: mutated real data and random bytes only ever raise ProtocolError', () => {
    const rnd = prng(2100);
    const base = frame4().subarray(0, 6000);
    for (let i = 0; i < 300; i++) {
      const b = i % 3 === 0 ? Buffer.from(Array.from({ length: 200 }, () => Math.floor(rnd() * 256))) : Buffer.from(base);
      if (i % 3 === 0) {
        b[0] = 5;
        b[1] = 5;
        b[2] = 1;
        b[3] = i % 2 ? 0xa6 : 0xbc;
      }
      for (let k = 0; k < 4; k++) b[4 + Math.floor(rnd() * (b.length - 4))] = Math.floor(rnd() * 256);
      const dims = [
        [8, 8],
        [1024, 768],
        [37, 21],
      ][i % 3]!;
      try {
        new Ast2100Decoder().decodeFrame(b, new Framebuffer(dims[0]!, dims[1]!));
      } catch (e) {
        expect(e).toBeInstanceOf(ProtocolError);
      }
    }
  });
});
