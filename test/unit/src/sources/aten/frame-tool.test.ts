import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { atenFrameCommand, parseFrameFile, unwrapRect } from '../../../../../src/sources/aten/frame-tool.js';
import { readPng } from '../../../../helpers/png.js';
import { Ast2100Encoder } from '../../../../helpers/aten/ast2100-encoder.js';
import { encodeHermonTiles } from '../../../../helpers/aten/hermon-encoder.js';

const here = dirname(fileURLToPath(import.meta.url));
const FRAME4 = resolve(here, '../../../../../../shared/fixtures/aten/ast2100-frame4.hex');

function capture() {
  let out = '';
  let err = '';
  return { io: { stdout: { write: (s: string) => (out += s) }, stderr: { write: (s: string) => (err += s) } }, out: () => out, err: () => err };
}

describe('aten-frame command', () => {
  const dir = mkdtempSync(join(tmpdir(), 'aten-frame-'));

  it('finds 1024x768 for the real frame without a size, reports block counts and the exact end, writes a PNG', async () => {
    const c = capture();
    const out = join(dir, 'frame4.png');
    const code = await atenFrameCommand(['aten-frame', FRAME4, '--out', out], c.io);
    expect(c.err()).toBe('');
    expect(code).toBe(0);
    expect(c.out()).toMatch(/1024x768: 3072 blocks \(dct 3072\); ended exactly at the end-of-frame code.*CLEAN/);
    expect(c.out()).toMatch(/800x600: .*not clean/);
    expect(c.out()).toContain('4:2:0');
    const png = readPng(out);
    expect([png.width, png.height]).toEqual([1024, 768]);
    expect(png.rgb.length).toBe(768 * (1024 * 3 + 1));
  });

  it('exits 1 when the given size does not decode cleanly, but still draws it', async () => {
    const c = capture();
    const out = join(dir, 'wrong.png');
    expect(await atenFrameCommand([FRAME4, '--width', '800', '--height', '600', '--out', out], c.io)).toBe(1);
    expect(c.out()).toContain('no size decodes cleanly');
    expect(existsSync(out)).toBe(true);
  });

  it('reads binary input, and Hermon tile frames', async () => {
    const w = 800;
    const h = 600;
    const pic = new Uint8Array(w * h * 4).fill(0x40);
    const bin = join(dir, 'hermon.bin');
    writeFileSync(bin, encodeHermonTiles(pic, w, h));
    const c = capture();
    expect(await atenFrameCommand([bin, '--out', join(dir, 'hermon.png')], c.io)).toBe(0);
    expect(c.out()).toMatch(/800x600: 1900 tiles, 0 off screen; CLEAN/);
    expect(c.out()).toMatch(/wrote .*hermon\.png \(800x600\)/);
    expect(readPng(join(dir, 'hermon.png')).width).toBe(800);
  });

  it('handles an incremental 4:4:4 AST2100 frame given with its size', async () => {
    const w = 640;
    const h = 480;
    const a = new Uint8Array(w * h * 4);
    const b = Uint8Array.from(a)
      .fill(200, 0, 4 * 100)
      .fill(90, 4 * w * 200, 4 * w * 210);
    const data = new Ast2100Encoder().encode(b, w, h, { subsampling: 444, previous: a, padWords: 2 });
    const f = join(dir, 'inc.hex');
    writeFileSync(f, data.toString('hex').replace(/(.{64})/g, '$1\n'));
    const c = capture();
    expect(await atenFrameCommand([f, '--width', '640', '--height', '480', '--out', join(dir, 'inc.png')], c.io)).toBe(0);
    expect(c.out()).toMatch(/640x480: \d+ blocks \(.*positioned.*\).*CLEAN/);
  });

  it('takes size and encoding from a FramebufferUpdate + rectangle header when the capture has one', async () => {
    const payload = parseFrameFile(readFileSync(FRAME4));
    const hdr = Buffer.alloc(24);
    hdr.writeUInt16BE(1, 2);
    hdr.writeUInt16BE(1024, 8);
    hdr.writeUInt16BE(768, 10);
    hdr.writeInt32BE(0x57, 12);
    hdr.writeUInt32BE(payload.length, 20);
    const f = join(dir, 'fbu.bin');
    writeFileSync(f, Buffer.concat([hdr, payload]));
    const c = capture();
    expect(await atenFrameCommand([f, '--out', join(dir, 'fbu.png')], c.io)).toBe(0);
    expect(c.out()).toContain('rectangle header 1024x768, encoding 0x57');
    expect(c.out()).not.toContain('640x480');
    expect(unwrapRect(payload)).toBeUndefined();
  });

  it('raw ASPEED engine dumps (no ATEN header) decode with --ast2100-header and find their size', async () => {
    for (const [name, size] of [
      ['aspeedblackscreen.bin', '1024x768'],
      ['aspeedbluescreen.bin', '1024x768'],
      ['ubuntu_444_800x600_0chrom_0lum.bin', '800x600'],
    ] as const) {
      const c = capture();
      const out = join(dir, `${name}.png`);
      expect(
        await atenFrameCommand([resolve(here, '../../../../../../shared/fixtures/aten/aspeed', name), '--ast2100-header', '000001bc', '--out', out], c.io),
      ).toBe(0);
      expect(c.out()).toContain('AST2100 header 000001bc: selectors 0 and 0, 4:4:4');
      expect(c.out()).toMatch(new RegExp(`${size}: \\d+ blocks \\(dct \\d+\\); ended exactly.*CLEAN`));
      expect(`${readPng(out).width}x${readPng(out).height}`).toBe(size);
    }
    const c = capture();
    expect(await atenFrameCommand([FRAME4, '--ast2100-header', '0001bc', '--out', join(dir, 'x.png')], c.io)).toBe(2);
  });

  it('usage errors exit 2', async () => {
    const c = capture();
    expect(await atenFrameCommand([FRAME4], c.io)).toBe(2);
    expect(await atenFrameCommand([FRAME4, '--out', join(dir, 'x.png'), '--width', '800'], c.io)).toBe(2);
    expect(await atenFrameCommand([join(dir, 'missing.hex'), '--out', join(dir, 'x.png')], c.io)).toBe(2);
    expect(await atenFrameCommand([FRAME4, '--out', join(dir, 'x.png'), '--bogus'], c.io)).toBe(2);
    expect(c.err()).toContain('usage:');
  });

  it('parseFrameFile: hex with whitespace and 0x prefixes, or binary', () => {
    expect(parseFrameFile(Buffer.from('0x05 05\n01a6\n'))).toEqual(Buffer.from([5, 5, 1, 0xa6]));
    expect(parseFrameFile(Buffer.from([0, 1, 2, 0xff]))).toEqual(Buffer.from([0, 1, 2, 0xff]));
  });
});
