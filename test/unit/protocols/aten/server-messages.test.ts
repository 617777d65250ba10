import { describe, expect, it } from 'vitest';
import { AtenServerMessageReader, type AtenServerMessage } from '../../../../protocols/aten/server-messages.js';
import { ProtocolError } from '../../../../protocols/errors.js';
import { prng, splits } from '../../../helpers/aten/feed.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

// Hand-written vectors (layouts: notes §3.1 and §5).
const sessionBody = Buffer.alloc(264);
sessionBody.writeUInt32BE(1, 0);
sessionBody.writeUInt32BE(4, 4);
sessionBody.write('ab12 Administrator 10.0.0.5', 8, 'latin1');
const cursorPixels = Buffer.from([0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88]); // 2x2 × 2 bytes

const VECTORS: { name: string; bytes: Buffer; expected: AtenServerMessage[]; options?: { mouseInfoBodyBytes: 2 | 3 } }[] = [
  { name: 'bell', bytes: hex('02'), expected: [{ type: 'bell' }] },
  { name: 'keep-alive 0x16', bytes: hex('16 01'), expected: [{ type: 'keep-alive', value: 1 }] },
  { name: 'video info 0x33', bytes: hex('33 01020304'), expected: [{ type: 'video-info', data: hex('01020304') }] },
  { name: 'kb/mouse status 0x35', bytes: hex('35 0102030405'), expected: [{ type: 'keyboard-mouse-status', data: hex('0102030405') }] },
  {
    name: 'mouse info 0x37, 2-byte firmware',
    bytes: hex('37 0001 16 00'),
    expected: [
      { type: 'mouse-info', data: hex('0001') },
      { type: 'keep-alive', value: 0 },
    ],
  },
  {
    name: 'mouse info 0x37, 3-byte firmware',
    bytes: hex('37 000102 02'),
    expected: [{ type: 'mouse-info', data: hex('000102') }, { type: 'bell' }],
    options: { mouseInfoBodyBytes: 3 },
  },
  { name: 'session 0x39', bytes: Buffer.concat([hex('39'), sessionBody]), expected: [{ type: 'session', a: 1, b: 4, text: 'ab12 Administrator 10.0.0.5' }] },
  { name: 'viewer lang 0x3c', bytes: hex('3c 0000000100000002'), expected: [{ type: 'viewer-lang', data: hex('0000000100000002') }] },
  {
    name: 'cursor, fixed form (flag 0)',
    bytes: hex('04 00000010 00000020 00000040 00000040 00000000'),
    expected: [{ type: 'cursor', x: 16, y: 32, width: 64, height: 64, flag: 0 }],
  },
  {
    name: 'cursor, with bitmap (flag 1)',
    bytes: Buffer.concat([hex('04 00000001 00000002 00000002 00000002 00000001 00000008'), cursorPixels]),
    expected: [{ type: 'cursor', x: 1, y: 2, width: 2, height: 2, flag: 1, extra: 8, pixels: cursorPixels }],
  },
  {
    // GW M0 first rect: 1024x768, enc 0x57, mode 0, then a short payload starting with the AST header.
    name: 'framebuffer update, one AST2100 rect',
    bytes: hex('00 00 0001  0000 0000 0400 0300 00000057 00000000 00000008  040701a6 90000000'),
    expected: [
      {
        type: 'framebuffer-update',
        noSignal: false,
        bytes: 32,
        rects: [{ x: 0, y: 0, width: 1024, height: 768, encoding: 0x57, mode: 0, data: hex('040701a6 90000000') }],
      },
    ],
  },
  {
    name: 'framebuffer update, no-signal sentinel with 10 data bytes',
    bytes: hex('00 00 0001  0000 0000 fd80 fe20 00000059 00000000 0000000a  00000000000000000000'),
    expected: [{ type: 'framebuffer-update', noSignal: true, bytes: 34, rects: [] }],
  },
  {
    name: 'framebuffer update, AST rect with no data (host off), then a Hermon rect in encoding 0',
    bytes: hex('00 00 0002  0000 0000 0320 0258 00000057 00000001 00000000  0000 0000 0320 0258 00000000 00000000 00000002 abcd'),
    expected: [
      { type: 'framebuffer-update', noSignal: true, bytes: 46, rects: [{ x: 0, y: 0, width: 800, height: 600, encoding: 0, mode: 0, data: hex('abcd') }] },
    ],
  },
  {
    name: 'framebuffer update with zero rectangles',
    bytes: hex('00 00 0000'),
    expected: [{ type: 'framebuffer-update', noSignal: false, bytes: 4, rects: [] }],
  },
];

function feed(chunks: Buffer[], options?: { mouseInfoBodyBytes: 2 | 3 }): AtenServerMessage[] {
  const r = new AtenServerMessageReader(options);
  const out: AtenServerMessage[] = [];
  for (const c of chunks) out.push(...r.push(c));
  expect(r.buffered).toBe(0);
  return out;
}

describe('AtenServerMessageReader', () => {
  for (const v of VECTORS) {
    it(`${v.name}: whole, split at every offset, bytewise`, () => {
      for (const { name, chunks } of splits(v.bytes)) {
        expect(feed(chunks, v.options), name).toEqual(v.expected);
      }
    });
  }

  it('all vectors back to back in one stream, split at every offset', () => {
    const two = VECTORS.filter((v) => !v.options);
    const all = Buffer.concat(two.map((v) => v.bytes));
    const expected = two.flatMap((v) => v.expected);
    for (const { name, chunks } of splits(all)) expect(feed(chunks), name).toEqual(expected);
  });

  it('copies rect data, so later mutation of the input chunk does not change it', () => {
    const bytes = Buffer.from(VECTORS.find((v) => v.name.startsWith('framebuffer update, one'))!.bytes);
    const [msg] = new AtenServerMessageReader().push(bytes);
    bytes.fill(0);
    expect(msg).toMatchObject({ rects: [{ data: hex('040701a6 90000000') }] });
  });

  it('refuses an unknown message type instead of guessing its length, and stays failed', () => {
    const r = new AtenServerMessageReader();
    expect(r.push(hex('16 01'))).toHaveLength(1);
    expect(() => r.push(hex('01 00'))).toThrow(expect.objectContaining({ code: 'ATEN_ERR_UNKNOWN_MESSAGE', field: 'message-type' }));
    expect(() => r.push(hex('16 01'))).toThrow(expect.objectContaining({ code: 'ATEN_ERR_UNKNOWN_MESSAGE' }));
  });

  it('bounds rect count, data length and cursor size before waiting for the bytes', () => {
    expect(() => new AtenServerMessageReader().push(hex('00 00 ffff'))).toThrow(expect.objectContaining({ code: 'ATEN_ERR_LIMIT' }));
    expect(() => new AtenServerMessageReader().push(hex('00 00 0001 0000 0000 0400 0300 00000057 00000000 7fffffff'))).toThrow(
      expect.objectContaining({ code: 'ATEN_ERR_LIMIT', field: 'FramebufferUpdate.data-length' }),
    );
    expect(() => new AtenServerMessageReader().push(hex('04 00000000 00000000 00010000 00000002 00000001'))).toThrow(
      expect.objectContaining({ code: 'ATEN_ERR_LIMIT', field: 'Cursor.size' }),
    );
    expect(() => new AtenServerMessageReader().push(hex('00 00 0001 0000 0000 0000 0300 00000057 00000000 00000001 00'))).toThrow(
      expect.objectContaining({ code: 'ATEN_ERR_RESOLUTION' }),
    );
  });

  it('fuzz: random and mutated streams only ever raise ProtocolError', () => {
    const rnd = prng(7);
    const base = Buffer.concat(VECTORS.filter((v) => !v.options).map((v) => v.bytes));
    for (let i = 0; i < 2000; i++) {
      const b = i % 2 ? Buffer.from(base) : Buffer.from(Array.from({ length: 64 }, () => Math.floor(rnd() * 256)));
      for (let k = 0; k < 3; k++) b[Math.floor(rnd() * b.length)] = Math.floor(rnd() * 256);
      const r = new AtenServerMessageReader();
      try {
        for (let off = 0; off < b.length;) {
          const len = 1 + Math.floor(rnd() * 16);
          r.push(b.subarray(off, off + len));
          off += len;
        }
      } catch (e) {
        expect(e).toBeInstanceOf(ProtocolError);
      }
    }
  });
});
