import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Ast2100Decoder } from '../../../../protocols/aten/ast2100/decoder.js';
import { AtenServerStream, type AtenStreamEvent, type AtenUpdateReport } from '../../../../protocols/aten/server-stream.js';
import { Framebuffer } from '../../../../protocols/rfb/framebuffer.js';
import { CaptureReader } from '../../../../protocols/pcap/capture-reader.js';
import { decodeTcpFrame } from '../../../../protocols/pcap/tcp-packet.js';
import { TcpReassembler } from '../../../../protocols/pcap/tcp-reassembly.js';

/**
 * The real captured data in ../shared/fixtures/aten (its README says where each file came from)
 * through our decoders: a whole X10SRi-F session, three raw ASPEED engine frames with known colours,
 * and kelleyk's inline vectors. (The five boards' handshakes: handshake-captures.test.ts, and through
 * the capture reader and aten-replay: replay-tool.test.ts.)
 */
const FIX = resolve(dirname(fileURLToPath(import.meta.url)), '../../../../../shared/fixtures/aten');
const px = (fb: Framebuffer, x: number, y: number) => [...fb.data.subarray((y * fb.width + x) * 4, (y * fb.width + x) * 4 + 3)];

/** Both directions of the one connection in a capture, BMC side first (port 5900 in every fixture). */
function captureStreams(file: string): { bmc: Buffer; client: Buffer } {
  const r = new CaptureReader();
  const tcp = new TcpReassembler();
  for (const p of r.push(readFileSync(file))) {
    const f = decodeTcpFrame(p.linkType, p.data);
    if (f.kind === 'tcp') tcp.add(f.segment, p.timeUs);
  }
  r.end();
  const [c, ...rest] = tcp.finish();
  expect(rest).toHaveLength(0);
  const [bmc, client] = c!.a.src.endsWith(':5900') ? [c!.a, c!.b] : [c!.b, c!.a];
  return { bmc: bmc.data, client: client.data };
}

function updates(events: AtenStreamEvent[]): AtenUpdateReport[] {
  return events.flatMap((e) => (e.type === 'update' ? [e.update] : []));
}

describe('X10SRi-F (AST2400, fw 1.89): a whole Java iKVM session', () => {
  const { bmc } = captureStreams(join(FIX, 'sessions/X10SRi-F_1.89.pcap'));
  // Where each update starts: after the handshake and the 0x39 message, updates follow one another.
  const updateStarts = [359]; // banner 12 + types 2 + block 24 + result 4 + ServerInit 52 + 0x39 265
  for (const u of updates(new AtenServerStream().push(bmc))) updateStarts.push(updateStarts.at(-1)! + u.bytes);

  it('handshake, a 0x39 session message, then 108 updates that all decode cleanly', () => {
    const s = new AtenServerStream();
    const events = s.push(bmc);
    expect(events[0]).toMatchObject({
      type: 'server-init',
      serverInit: { banner: 'RFB 003.008\n', width: 480, height: 640, name: 'ATEN iKVM Server', videoEnabled: true, keyboardMouseEnabled: true },
    });
    expect(events[1]).toMatchObject({ type: 'message', message: { type: 'session', a: 1, b: 1 } });
    const u = updates(events);
    expect(u).toHaveLength(108);
    expect(u.every((x) => x.clean && x.rects.length === 1 && x.width === 1280 && x.height === 1024 && !x.noSignal)).toBe(true);
    expect(s.pending).toBe(0); // the capture stops between messages
    expect(updateStarts.at(-1)).toBe(bmc.length);
    // Update 1: a full frame of VQ blocks only, 4:4:4, selectors 11/11 (0b 0b 01 bc), one per 8x8 MCU.
    const first = u[0]!.rects[0]!.ast2100!;
    expect(first.header).toEqual({ selector0: 11, selector1: 11, subsampling: 444 });
    expect(first.blocks).toEqual({ vq1: 17087, vq2: 3393 });
    expect(first.totalBlocks).toBe((1280 / 8) * (1024 / 8));
    expect(u[0]!.rects[0]!.dataBytes).toBe(46356);
    expect(u[0]!.resized).toBe(true);
    // Then 19 updates of one positioned VQ block each (the blinking cursor), the other 88 empty.
    const deltas = u.slice(1).filter((x) => x.rects[0]!.ast2100!.totalBlocks > 0);
    expect(deltas).toHaveLength(19);
    for (const d of deltas) {
      const b = d.rects[0]!.ast2100!.blocks;
      expect(Object.keys(b).length === 1 && (b['vq1-positioned'] === 1 || b['vq2-positioned'] === 1)).toBe(true);
    }
    expect(u.slice(1).filter((x) => x.rects[0]!.ast2100!.totalBlocks === 0)).toHaveLength(88);
  });

  it('its final picture is a readable Linux text console', () => {
    const s = new AtenServerStream();
    s.push(bmc);
    const fb = s.fb;
    /*
     * Looked at (aten-replay --out): a 1280x1024 Linux text console, 8x16 font, light grey on black,
     * Ubuntu's console palette (its /etc/vtrgb: black (1,0,1), grey (204,204,204)). The screen is
     * full of one repeated two-line prompt: even text rows "root@C813MLD38N50505", odd rows
     * "Invalid entry length (16). Fixed up to 11.:~$"; row 15 ends in "^C"; the 60th and last text
     * row (y 944-959) holds the prompt and an underline cursor after "~$ " at x 368-375, rows 958-959;
     * below it, 64 px of black. The VQ codebook cannot hold Ubuntu's purple tint of black: only
     * luma is sent (Cb = Cr = 0x80), so black decodes to (1,1,1); the grey is exact.
     */
    const colours = new Map<string, number>();
    for (let i = 0; i < fb.data.length; i += 4) {
      const k = `${fb.data[i]},${fb.data[i + 1]},${fb.data[i + 2]}`;
      colours.set(k, (colours.get(k) ?? 0) + 1);
    }
    expect(new Set(colours.keys())).toEqual(new Set(['1,1,1', '204,204,204']));
    expect(colours.get('204,204,204')! / (1280 * 1024)).toBeGreaterThan(0.02);
    // Text rows repeat the same two lines: every even row equals row 0, every odd row row 1, except 15 (^C) and 59 (cursor).
    const textRow = (r: number) => fb.data.subarray(r * 16 * 1280 * 4, (r + 1) * 16 * 1280 * 4);
    const differing = [];
    for (let r = 2; r < 60; r++) if (!textRow(r).equals(textRow(r % 2))) differing.push(r);
    expect(differing).toEqual([15, 59]);
    expect(textRow(0).equals(textRow(1))).toBe(false);
    const lit = (x0: number, y0: number, w: number, h: number) => {
      let n = 0;
      for (let y = y0; y < y0 + h; y++) for (let x = x0; x < x0 + w; x++) if (px(fb, x, y)[0]! > 100) n++;
      return n;
    };
    expect(lit(0, 0, 8 * 20, 16)).toBeGreaterThan(300); // "root@C813MLD38N50505": 20 characters
    expect(lit(8 * 20, 0, 1280 - 8 * 20, 16)).toBe(0);
    expect(lit(0, 16, 8 * 45, 16)).toBeGreaterThan(500); // the 45-character second line
    expect(lit(8 * 46, 16, 1280 - 8 * 46, 16)).toBe(0);
    expect(lit(0, 960, 1280, 64)).toBe(0);
    expect(lit(368, 958, 8, 2)).toBe(16); // the cursor, on in the last picture
    expect(lit(368, 944, 8, 14)).toBe(0);
    expect(createHash('sha256').update(fb.data).digest('hex').slice(0, 16)).toBe('3e9d3abf0ad1f433');
  });

  it('each delta update changes only the block it carries (MCU 46,119: the cursor), drawn over the previous picture', () => {
    const s = new AtenServerStream();
    s.push(bmc.subarray(0, updateStarts[0]));
    let seen = 0;
    let cursorOn = false;
    for (let k = 0; k < 108; k++) {
      const before = Buffer.from(s.fb.data);
      const [e, ...more] = s.push(bmc.subarray(updateStarts[k], updateStarts[k + 1]));
      expect(more).toHaveLength(0);
      if (e?.type !== 'update') throw new Error(`update ${k + 1} missing`);
      if (k === 0) continue;
      const after = s.fb.data;
      let minX = Infinity,
        minY = Infinity,
        maxX = -1,
        maxY = -1;
      for (let i = 0; i < after.length; i += 4) {
        if (after[i] === before[i] && after[i + 1] === before[i + 1] && after[i + 2] === before[i + 2]) continue;
        const x = (i / 4) % 1280;
        const y = Math.floor(i / 4 / 1280);
        [minX, minY, maxX, maxY] = [Math.min(minX, x), Math.min(minY, y), Math.max(maxX, x), Math.max(maxY, y)];
      }
      if (e.update.rects[0]!.ast2100!.totalBlocks === 0) {
        expect(maxX).toBe(-1);
        expect(e.update.changed).toEqual([]);
        continue;
      }
      seen++;
      // Every delta toggles the underline cursor: the only pixels that change are its two rows.
      expect([minX, minY, maxX, maxY]).toEqual([368, 958, 375, 959]);
      expect(e.update.changed).toEqual([{ x: 368, y: 952, width: 8, height: 8 }]);
      cursorOn = !cursorOn;
      expect(px(s.fb, 370, 959)[0]).toBe(cursorOn ? 204 : 1);
    }
    expect(seen).toBe(19);
  });

  it('decodes the same whatever the stream is cut into: a slice of the session split at every byte', () => {
    const starts = updateStarts;
    // The handshake and the 0x39 message, then updates 44..50 (empty ones and cursor deltas), byte for byte as captured.
    const slice = Buffer.concat([bmc.subarray(0, starts[0]), bmc.subarray(starts[43], starts[50])]);
    const kinds = (evs: AtenStreamEvent[]) =>
      evs.map((e) => (e.type === 'update' ? `update ${e.update.rects[0]!.ast2100!.totalBlocks} ${e.update.clean}` : e.type));
    const whole = new AtenServerStream();
    const wantEvents = kinds(whole.push(slice));
    expect(wantEvents.filter((k) => k.startsWith('update'))).toHaveLength(7);
    expect(wantEvents.filter((k) => k === 'update 1 true')).toHaveLength(2);
    const want = Buffer.from(whole.fb.data);
    for (let cut = 1; cut < slice.length; cut++) {
      const s = new AtenServerStream();
      const evs = [...s.push(slice.subarray(0, cut)), ...s.push(slice.subarray(cut))];
      expect(kinds(evs), `split at ${cut}`).toEqual(wantEvents);
      if (cut % 50 === 0) expect(s.fb.data.equals(want)).toBe(true);
    }
    const bytewise = new AtenServerStream();
    const evs: AtenStreamEvent[] = [];
    for (const b of slice) evs.push(...bytewise.push(Buffer.from([b])));
    expect(kinds(evs)).toEqual(wantEvents);
    expect(bytewise.fb.data.equals(want)).toBe(true);
  });
});

describe('raw ASPEED engine frames (AST2500-era OpenBMC, DCT blocks, 4:4:4, selectors 0/0)', () => {
  const decode = (name: string, w: number, h: number) => {
    const fb = new Framebuffer(w, h);
    const data = Buffer.concat([Buffer.from('000001bc', 'hex'), readFileSync(join(FIX, 'aspeed', name))]);
    const r = new Ast2100Decoder().decodeFrame(data, fb);
    expect(r.endedExactly).toBe(true);
    expect(r.blocks).toEqual({ dct: (w / 8) * (h / 8) });
    return fb;
  };

  it('the black screen is exactly (0,0,0) everywhere', () => {
    const fb = decode('aspeedblackscreen.bin', 1024, 768);
    expect(fb.data.every((v, i) => i % 4 === 3 || v === 0)).toBe(true);
  });

  it('the blue page (#6EFFFA) is about (113,255,250) over nearly all of it', () => {
    const fb = decode('aspeedbluescreen.bin', 1024, 768);
    let near = 0;
    for (let i = 0; i < fb.data.length; i += 4) {
      if (Math.abs(fb.data[i]! - 113) <= 3 && Math.abs(fb.data[i + 1]! - 255) <= 3 && Math.abs(fb.data[i + 2]! - 250) <= 3) near++;
    }
    expect(near / (1024 * 768)).toBeGreaterThan(0.98);
    expect(px(fb, 512, 400)).toEqual([113, 255, 250]);
  });

  it('the Ubuntu 16.04 desktop is readable', () => {
    /*
     * Looked at: Unity's dark top bar ("Terminal  Terminal File Edit View Search Terminal Help", "En",
     * "2:57 PM"), the launcher down the left edge, "Examples" and "Install Ubuntu 16.04.2 LTS" icons
     * on the purple desktop, and a terminal window "ubuntu@ubuntu: ~" from x 250 whose first line
     * reads <html><body bgcolor="#6efffA"></body></html> in vim, "~" on the lines below.
     */
    const fb = decode('ubuntu_444_800x600_0chrom_0lum.bin', 800, 600);
    const mean = (x0: number, y0: number, w: number, h: number) => {
      const s = [0, 0, 0];
      for (let y = y0; y < y0 + h; y++) for (let x = x0; x < x0 + w; x++) px(fb, x, y).forEach((v, i) => (s[i]! += v));
      return s.map((v) => Math.round(v / (w * h)));
    };
    const [r, g, b] = mean(300, 300, 400, 250) as [number, number, number]; // the terminal's aubergine background
    expect(r).toBeGreaterThan(g + 20);
    expect(b).toBeGreaterThan(g + 20);
    expect(mean(450, 2, 150, 20).every((v) => v < 90)).toBe(true); // the top bar: dark grey (76,78,68) between menu and icons
    let lit = 0; // the text line at y 218..232, x 250..650: light glyphs on the dark background
    for (let y = 218; y < 233; y++) for (let x = 250; x < 650; x++) if (px(fb, x, y).every((v) => v > 170)) lit++;
    expect(lit).toBeGreaterThan(400);
    expect(createHash('sha256').update(fb.data).digest('hex').slice(0, 16)).toBe('824f1be0668d8e1e');
  });
});

describe("kelleyk/noVNC's inline AST2100 vectors", () => {
  const vectors = readFileSync(join(FIX, 'ast2100-inline-vectors.txt'), 'utf8')
    .split('\n')
    .filter((l) => /^\d+\t/.test(l))
    .map((l) => l.split('\t')[2]!.trim());

  it('the VQ vector: a positioned 2-colour VQ block at MCU (0x0C, 0x5F), codebook [[10,80,80],[A2,80,80],[80,80,80],[C0,80,80]], lookup [1, 0]', () => {
    // kelleyk's VQ test feeds this (with each 32-bit word byte-swapped for its own reader) and asserts
    // control flag 0xE, position (0x0C, 0x5F), that codebook and lookup [1, 0, 2, 3] (the 2-colour
    // block uses the first two entries). In wire order it is the BitStream test's data3.
    const data = Buffer.from(
      vectors.find((v) => v.startsWith('0b0b01bc45fbc5e0'))!,
      'hex',
    );
    const dec = new Ast2100Decoder();
    const fb = new Framebuffer(1024, 768);
    const r = dec.decodeFrame(data, fb);
    expect(r.blocks).toEqual({ 'vq2-positioned': 1 });
    expect(r.changed).toEqual([{ x: 0x0c * 8, y: 0x5f * 8, width: 8, height: 8 }]);
    expect(dec.vqCodebook).toEqual([
      [0x10, 0x80, 0x80],
      [0xa2, 0x80, 0x80],
      [0x80, 0x80, 0x80],
      [0xc0, 0x80, 0x80],
    ]);
    // Lookup [1, 0]: pixel index 0 is slot 1 (Y A2 → grey 170, VGA's console grey), index 1 slot 0 (Y 10 → black).
    // The 64 indices are 48 ones then 16 zeros: black with an underline cursor in its two bottom rows.
    for (let y = 0; y < 8; y++) expect(px(fb, 96, 760 + y)).toEqual(y < 6 ? [0, 0, 0] : [170, 170, 170]);
    // After the block comes the end-of-frame code; kelleyk's comment expects a second VQ block, but
    // the rest is zero words and one stray non-zero word (0x0a142850): a memory dump's leftovers.
    expect(r.endOfFrame).toBe(true);
    expect(r.endedExactly).toBe(false);
  });

  it('the frame vectors decode without error (4:2:0 positioned DCT blocks)', () => {
    for (const v of vectors.filter((x) => /^0[45]0[57]01a6/.test(x))) {
      const r = new Ast2100Decoder().decodeFrame(Buffer.from(v, 'hex'), new Framebuffer(1024, 768));
      expect(r.endOfFrame).toBe(true);
      expect(Object.keys(r.blocks)).toEqual(['dct-positioned']);
    }
  });
});
