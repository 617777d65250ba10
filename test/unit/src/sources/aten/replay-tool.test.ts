import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { AtenServerStream } from '../../../../../protocols/aten/server-stream.js';
import { PcapError } from '../../../../../protocols/errors.js';
import { bmcStreamOf } from '../../../../../src/sources/aten/capture-stream.js';
import { replayBmcStream } from '../../../../../src/sources/aten/replay-session.js';
import { atenReplayCommand } from '../../../../../src/sources/aten/replay-tool.js';
import { readPngRgbx } from '../../../../helpers/png.js';
import { prng } from '../../../../helpers/prng.js';
import { pcapFile, pcapngFile, pcapRecords, type TestPacket } from '../../../../helpers/pcap-files.js';

const FIX = resolve(dirname(fileURLToPath(import.meta.url)), '../../../../../../shared/fixtures/aten');
const X10 = join(FIX, 'sessions/X10SRi-F_1.89.pcap');
const dir = mkdtempSync(join(tmpdir(), 'aten-replay-'));

function capture() {
  let out = '';
  let err = '';
  return { io: { stdout: { write: (s: string) => (out += s) }, stderr: { write: (s: string) => (err += s) } }, out: () => out, err: () => err };
}

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const c = capture();
  const code = await atenReplayCommand(args, c.io);
  return { code, out: c.out(), err: c.err() };
}

/** The session's final picture, decoded straight from the BMC stream. */
const { linkType, packets } = pcapRecords(readFileSync(X10));
const finalPicture = (() => {
  const s = new AtenServerStream();
  s.push(bmcStreamOf(readFileSync(X10)).data);
  return Buffer.from(s.fb.data);
})();

function writeCapture(name: string, pkts: TestPacket[], ng = false): string {
  const f = join(dir, name);
  writeFileSync(f, ng ? pcapngFile(pkts, { linkType }) : pcapFile(pkts, { linkType }));
  return f;
}

/** TCP payload length of an Ethernet/IPv4 frame of the capture. */
const payloadLength = (f: Buffer) => f.readUInt16BE(16) - (f[14]! & 15) * 4 - (f[14 + (f[14]! & 15) * 4 + 12]! >> 4) * 4;
/** Indexes of the packets in which the BMC sent data (the first update's 46 KB arrive in 32 of them). */
const bmcDataPackets = packets
  .map((p, i) => ({ p, i }))
  .filter(({ p }) => p.frame.readUInt16BE(34) === 5900 && payloadLength(p.frame) > 0)
  .map(({ i }) => i);
/** The index of the BMC packet whose data ends at stream offset `end`. */
function bmcPacketEndingAt(end: number): number {
  let sum = 0;
  for (const i of bmcDataPackets) if ((sum += payloadLength(packets[i]!.frame)) === end) return i;
  throw new Error(`no packet ends at ${end}`);
}

describe('aten-replay on the X10SRi-F capture', () => {
  it('prints the handshake, every update with its counts, and writes the final picture and one PNG per update; exit 0', async () => {
    const out = join(dir, 'final.png');
    const frames = join(dir, 'frames');
    const r = await run(['aten-replay', X10, '--out', out, '--frames', frames]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toContain('pcap, link type 1, 391 packets, 1 TCP connection');
    expect(r.out).toContain('BMC stream 10.189.22.14:5900 → 172.19.0.26:52011 (starts with RFB and spoke first): 51215 bytes');
    expect(r.out).toContain('handshake: RFB 003.008, security type 16, ServerInit "ATEN iKVM Server" 480x640 (a placeholder), video on, keyboard/mouse on');
    expect(r.out).toMatch(/message at 0\.174 s: 0x39 session a=1 b=1/);
    expect(r.out).toContain(
      'update 1 at 0.341 s: 46380 bytes, 1280x1024 (new size), AST2100 11/11 4:4:4 46356 bytes: 20480 blocks (vq2 3393, vq1 17087), clean',
    );
    expect(r.out).toMatch(/update 46 at [\d.]+ s: 56 bytes, 1280x1024, AST2100 11\/11 4:4:4 32 bytes: 1 blocks \(vq2-positioned 1\), clean/);
    expect(r.out).toContain(
      '108 updates: 108 clean, 0 not clean; 1 with a new screen size; 0 no-signal; AST2100 blocks: vq2 3393, vq1 17087, vq2-positioned 10, vq1-positioned 9',
    );
    expect(r.out).toContain('screen 1280x1024');
    const png = readPngRgbx(out);
    expect([png.width, png.height]).toEqual([1280, 1024]);
    expect(png.rgbx.equals(finalPicture)).toBe(true);
    const files = readdirSync(frames).sort();
    expect(files).toHaveLength(108);
    expect(files[0]).toBe('update-00001.png');
    expect(readPngRgbx(join(frames, 'update-00108.png')).rgbx.equals(finalPicture)).toBe(true);
    expect(readPngRgbx(join(frames, 'update-00045.png')).rgbx.equals(finalPicture)).toBe(false); // the cursor was off then
  });

  it('the same session as pcapng, and as the raw BMC stream, gives the same updates and picture', async () => {
    const base = await run([X10, '--out', join(dir, 'a.png')]);
    const ng = await run([writeCapture('x10.pcapng', packets, true), '--out', join(dir, 'b.png')]);
    const rawFile = join(dir, 'x10.bmc.bin');
    writeFileSync(rawFile, bmcStreamOf(readFileSync(X10)).data);
    const raw = await run([rawFile, '--out', join(dir, 'c.png'), '--speed', 'original']);
    const updates = (s: string) => s.split('\n').filter((l) => l.startsWith('update ') || l.startsWith('108 updates'));
    expect(ng.code).toBe(0);
    expect(ng.out).toContain('pcapng, link type 1, 391 packets');
    expect(updates(ng.out)).toEqual(updates(base.out));
    expect(raw.code).toBe(0);
    expect(raw.out).toContain('raw server → client stream, 51215 bytes, no timing');
    expect(raw.out).toContain('a raw stream has no timing: replaying at max speed');
    expect(updates(raw.out).map((l) => l.replace(/ at [\d.]+ s/, ''))).toEqual(updates(base.out).map((l) => l.replace(/ at [\d.]+ s/, '')));
    for (const f of ['b.png', 'c.png']) expect(readPngRgbx(join(dir, f)).rgbx.equals(finalPicture)).toBe(true);
  });

  it('--speed original decodes each update when the capture saw it: the same lines as at max speed', async () => {
    // The first 1.4 s of the session: the handshake, the full frame and a few empty updates.
    const start = packets[0]!.timeUs;
    const slice = writeCapture(
      'first-1.4s.pcap',
      packets.filter((p) => p.timeUs - start < 1_400_000),
    );
    const original = await run([slice, '--out', join(dir, 'o.png'), '--speed', 'original']);
    const max = await run([slice, '--out', join(dir, 'm.png')]);
    expect(original.code).toBe(0);
    expect(original.out).toEqual(max.out.replaceAll('m.png', 'o.png'));
    expect(original.out).toMatch(/^5 updates: 5 clean/m);
  });

  it('retransmitted, duplicated and reordered packets change nothing', async () => {
    const rnd = prng(12);
    const pkts = [...packets];
    for (let k = 0; k < 20; k++) {
      const i = bmcDataPackets[Math.floor(rnd() * bmcDataPackets.length)]!;
      pkts.splice(i + 1 + Math.floor(rnd() * 3), 0, packets[i]!); // a retransmission a little later
    }
    for (let k = 0; k < 15; k++) {
      const i = 10 + Math.floor(rnd() * (pkts.length - 12));
      [pkts[i], pkts[i + 1]] = [pkts[i + 1]!, pkts[i]!];
    }
    const r = await run([writeCapture('messy.pcap', pkts), '--out', join(dir, 'messy.png')]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/\d+ duplicate\/retransmitted segments/);
    expect(r.out).toContain('108 updates: 108 clean');
    expect(readPngRgbx(join(dir, 'messy.png')).rgbx.equals(finalPicture)).toBe(true);
  });

  it('a lost packet inside the first frame: reported as a hole, the frame fails, the stream is found again; exit 1', async () => {
    const lost = bmcDataPackets[10]!;
    const r = await run([
      writeCapture(
        'hole.pcap',
        packets.filter((_, i) => i !== lost),
      ),
      '--out',
      join(dir, 'hole.png'),
    ]);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/1 hole\(s\), 1460 bytes never captured/);
    expect(r.out).toMatch(/HOLE at [\d.]+ s: 1460 bytes never captured before stream offset \d+/);
    expect(r.out).toMatch(/resynchronised at [\d.]+ s: skipped \d+ bytes, next update at stream offset 4\d{4}/);
    // The cut-short first update is lost; the 107 after it decode cleanly (the cursor deltas over a black screen).
    expect(r.out).toContain('107 updates: 107 clean');
  });

  it('a capture that starts mid-session (after the first frame, or inside it) and one cut off mid-write', async () => {
    // Starting right after update 1 (it ends at stream offset 359 + 46380): the rest are deltas over black.
    const afterFirst = bmcPacketEndingAt(359 + 46380);
    const late = await run([writeCapture('late.pcap', packets.slice(afterFirst + 1)), '--out', join(dir, 'late.png')]);
    expect(late.out).toContain('capture started mid-stream');
    expect(late.out).toContain('the stream does not start with the banner');
    expect(late.out).toContain('107 updates: 107 clean, 0 not clean');
    expect(late.code).toBe(0);
    const lit = readPngRgbx(join(dir, 'late.png')).rgbx.filter((v, i) => i % 4 === 0 && v > 100).length;
    expect(lit).toBe(16); // only the cursor, lit in the last picture
    // Starting inside update 1: its tail is skipped up to the next update header.
    const inside = await run([writeCapture('inside.pcap', packets.slice(bmcDataPackets[20])), '--out', join(dir, 'inside.png')]);
    expect(inside.out).toMatch(/resynchronised at [\d.]+ s: skipped \d+ bytes, next update at stream offset \d+/);
    expect(inside.out).toContain('107 updates: 107 clean, 0 not clean');
    expect(inside.code).toBe(0);
    const file = readFileSync(X10);
    const cut = join(dir, 'cut.pcap');
    writeFileSync(cut, file.subarray(0, Math.floor(file.length * 0.9)));
    const r = await run([cut, '--out', join(dir, 'cut.png')]);
    expect(r.out).toContain('the capture file is cut short: record: file ends inside a record');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^\d+ updates: \d+ clean, 0 not clean/m);
  });

  it("the five boards' handshake-only captures: the BMC side found, no picture, exit 0", async () => {
    for (const name of ['X10DRU-i+_2.12.pcap', 'X10SLL-F_1.35.pcap', 'X11SSH-F_1.11-2.pcap', 'X11SSH-F_1.11.pcap', 'X9SRW-F_3.39.pcap']) {
      const file = join(FIX, 'handshakes', name);
      const s = bmcStreamOf(readFileSync(file));
      // Banner, one security type (16), the 24-byte block: the capture ends where the client's credentials would go.
      expect(s.data.length, name).toBe(12 + 2 + 24);
      expect(s.data.subarray(0, 14).toString('latin1')).toBe('RFB 003.008\n\x01\x10');
      expect(s.notes.some((n) => /BMC stream .*:5900 → .* \(starts with RFB and spoke first\)/.test(n))).toBe(true);
      expect(s.notes.some((n) => /client stream .*: 13 bytes/.test(n))).toBe(true);
      const r = await run([file, '--out', join(dir, 'none.png')]);
      expect(r.code).toBe(0);
      expect(r.out).toContain('the capture ends inside a message: its last 38 bytes were not decoded');
      expect(r.out).toContain('no FramebufferUpdate in the stream: nothing to draw');
    }
    expect(existsSync(join(dir, 'none.png'))).toBe(false);
  });

  it('usage and I/O errors exit 2; a file that is no capture and holds no update exits 1', async () => {
    expect((await run([X10])).code).toBe(2);
    expect((await run([X10, '--out', 'x.png', '--speed', 'fast'])).code).toBe(2);
    expect((await run([join(dir, 'missing.pcap'), '--out', join(dir, 'x.png')])).code).toBe(2);
    const junk = join(dir, 'junk.bin');
    writeFileSync(junk, Buffer.from('this is not a capture nor a BMC stream'));
    const r = await run([junk, '--out', join(dir, 'junk.png')]);
    expect(r.code).toBe(1);
    expect(r.out).toContain('no further update found');
  });
});

describe('aten-replay on corrupted captures', () => {
  it('fuzz: truncated, bit-flipped, shuffled and thinned captures give PcapErrors or reports, never anything else', async () => {
    const rnd = prng(0xbad);
    const file = readFileSync(X10);
    for (let i = 0; i < 60; i++) {
      let bytes: Buffer;
      const kind = i % 4;
      if (kind === 0) bytes = file.subarray(0, Math.floor(rnd() * file.length));
      else if (kind === 1) {
        bytes = Buffer.from(file);
        for (let k = 0; k < 1 + Math.floor(rnd() * 30); k++) {
          const j = Math.floor(rnd() * bytes.length);
          bytes[j] = bytes[j]! ^ (1 << Math.floor(rnd() * 8));
        }
      } else {
        const pkts = [...packets];
        for (let k = 0; k < 10; k++) {
          const a = Math.floor(rnd() * pkts.length);
          const b = Math.floor(rnd() * pkts.length);
          if (kind === 2) [pkts[a], pkts[b]] = [pkts[b]!, pkts[a]!];
          else pkts.splice(a, 1);
        }
        bytes = pcapFile(pkts, { linkType });
      }
      let stream;
      try {
        stream = bmcStreamOf(bytes);
      } catch (e) {
        expect(e, `round ${i}`).toBeInstanceOf(PcapError);
        continue;
      }
      // Decoding reports every problem as an event: nothing may be thrown.
      const result = await replayBmcStream(stream, { speed: 'max' }, () => {});
      expect(result.fb.data.length).toBe(result.fb.width * result.fb.height * 4);
    }
    // And the command itself: exit 0 or 1, never an exception.
    for (let i = 0; i < 6; i++) {
      const bytes = Buffer.from(file);
      for (let k = 0; k < 50; k++) {
        const j = 24 + Math.floor(rnd() * (bytes.length - 24));
        bytes[j] = bytes[j]! ^ 0xff;
      }
      const f = join(dir, `fuzz${i}.pcap`);
      writeFileSync(f, bytes);
      const r = await run([f, '--out', join(dir, `fuzz${i}.png`)]);
      expect([0, 1]).toContain(r.code);
      expect(r.err).toBe('');
    }
  });
});
