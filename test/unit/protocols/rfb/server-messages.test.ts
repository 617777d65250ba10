import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { ByteQueue } from '../../../../protocols/byte-queue.js';
import { LIMITS, RFB_LIMITS } from '../../../../protocols/limits.js';
import { RawDecoder } from '../../../../protocols/rfb/encodings/raw.js';
import type { RectDecoder, RectHeader } from '../../../../protocols/rfb/encodings/types.js';
import { Framebuffer } from '../../../../protocols/rfb/framebuffer.js';
import {
  RECT_COUNT_UNTIL_LAST_RECT,
  ServerMessageReader,
  encodeBell,
  encodeCursorRect,
  encodeDesktopNameRect,
  encodeDesktopSizeRect,
  encodeEndOfContinuousUpdates,
  encodeExtendedDesktopSizeRect,
  encodeFramebufferUpdateHeader,
  encodeLastRect,
  encodeQemuExtendedKeyEventRect,
  encodeQemuLedStateRect,
  READER_PSEUDO_ENCODINGS,
  encodeRectHeader,
  encodeServerCutText,
  encodeSetColourMapEntries,
  type ServerMessage,
} from '../../../../protocols/rfb/server-messages.js';
import { bytes, mutate, onlyProtocolErrors, prng, randomChunks, s32, sameForEverySplit, throwsForEverySplit, u16, u32 } from './rfb-test-helpers.js';

/** The smallest Raw decoder: waits for the whole rectangle, then copies it in (RGBX, 4 bytes a pixel). */
class TinyRawDecoder implements RectDecoder {
  decodeRect(q: ByteQueue, rect: RectHeader, fb: Framebuffer): boolean {
    const n = rect.width * rect.height * 4;
    if (!q.has(n)) return false;
    fb.putRgbx(rect.x, rect.y, rect.width, rect.height, q.consume(n));
    return true;
  }
}

interface Outcome {
  events: ServerMessage[];
  size: string;
  pixels: string;
}

/** Feeds the chunks to a reader over a fresh 4x4 framebuffer; returns the events and the framebuffer. */
function readWith(decoders: () => Map<number, RectDecoder>, setup?: (fb: Framebuffer) => void) {
  return (chunks: Buffer[]): Outcome => {
    const fb = new Framebuffer(4, 4);
    setup?.(fb);
    const reader = new ServerMessageReader({ fb, decoders: decoders() });
    const events = chunks.flatMap((c) => reader.push(c));
    expect(reader.inUpdate, 'no update left open').toBe(false);
    return { events, size: `${fb.width}x${fb.height}`, pixels: createHash('sha256').update(fb.data).digest('hex') };
  };
}
const tiny = () => new Map<number, RectDecoder>([[0, new TinyRawDecoder()]]);
const read = readWith(tiny);

/** Rect header bytes, hand-built: x, y, w, h U16, encoding S32 (§7.6.1). */
const rect = (x: number, y: number, w: number, h: number, enc: number): number[] => [...u16(x), ...u16(y), ...u16(w), ...u16(h), ...s32(enc)];
const fbu = (count: number): number[] => [0, 0, ...u16(count)];
const px = (r: number, g: number, b: number): number[] => [r, g, b, 0];

/** What a 4x4 framebuffer holds after `paint`, for comparing pixels. */
function expectedPixels(paint: (fb: Framebuffer) => void, w = 4, h = 4): string {
  const fb = new Framebuffer(w, h);
  paint(fb);
  return createHash('sha256').update(fb.data).digest('hex');
}

describe('ServerMessageReader: hand-built vectors (every split)', () => {
  it('Raw then CopyRect: the reader itself does CopyRect and reports its source', () => {
    const wire = bytes(fbu(2), rect(1, 1, 2, 1, 0), px(1, 2, 3), px(4, 5, 6), rect(0, 3, 2, 1, 1), u16(1), u16(1));
    const r = sameForEverySplit(wire, read);
    expect(r.events).toEqual([
      { type: 'rect', encoding: 0, x: 1, y: 1, width: 2, height: 1 },
      { type: 'rect', encoding: 1, x: 0, y: 3, width: 2, height: 1, srcX: 1, srcY: 1 },
      { type: 'update-end' },
    ]);
    const two = Buffer.from([...px(1, 2, 3), ...px(4, 5, 6)]);
    expect(r.pixels).toBe(expectedPixels((fb) => (fb.putRgbx(1, 1, 2, 1, two), fb.putRgbx(0, 3, 2, 1, two))));
  });

  it('count 65535 ended by LastRect, followed by Bell', () => {
    const wire = bytes(fbu(0xffff), rect(3, 3, 1, 1, 0), px(9, 9, 9), rect(0, 0, 0, 0, -224), [2]);
    expect(sameForEverySplit(wire, read).events).toEqual([
      { type: 'rect', encoding: 0, x: 3, y: 3, width: 1, height: 1 },
      { type: 'update-end' },
      { type: 'bell' },
    ]);
  });

  it('FramebufferUpdate with no rectangles is just an update-end', () => {
    expect(sameForEverySplit(bytes(fbu(0)), read).events).toEqual([{ type: 'update-end' }]);
  });

  it('DesktopSize resizes fb at once: the next rect is checked against the new size', () => {
    const wire = bytes(fbu(2), rect(99, 99, 8, 2, -223), rect(6, 1, 2, 1, 0), px(1, 1, 1), px(2, 2, 2));
    const r = sameForEverySplit(wire, read);
    expect(r.events).toEqual([
      { type: 'desktop-size', width: 8, height: 2 },
      { type: 'rect', encoding: 0, x: 6, y: 1, width: 2, height: 1 },
      { type: 'update-end' },
    ]);
    expect(r.size).toBe('8x2');
  });

  it('ExtendedDesktopSize: resize with the screen layout', () => {
    const wire = bytes(fbu(1), rect(0, 0, 6, 5, -308), [1, 0, 0, 0], u32(0x1234), u16(0), u16(0), u16(6), u16(5), u32(0));
    const r = sameForEverySplit(wire, read);
    expect(r.events).toEqual([
      { type: 'desktop-size', width: 6, height: 5, extended: { reason: 0, status: 0, screens: [{ id: 0x1234, x: 0, y: 0, width: 6, height: 5, flags: 0 }] } },
      { type: 'update-end' },
    ]);
    expect(r.size).toBe('6x5');
  });

  it('ExtendedDesktopSize refusing our SetDesktopSize (reason 1, status 3): fb untouched even with junk sizes', () => {
    const wire = bytes(fbu(1), rect(1, 3, 0, 0, -308), [0, 0, 0, 0]);
    const r = sameForEverySplit(wire, read);
    expect(r.events).toEqual([{ type: 'desktop-size-refused', status: 3 }, { type: 'update-end' }]);
    expect(r.size).toBe('4x4');
  });

  it('Cursor: hotspot, RGBX pixels and mask, copied out', () => {
    const pixels = [...px(1, 2, 3), ...px(4, 5, 6), ...px(7, 8, 9), ...px(10, 11, 12)];
    const wire = bytes(fbu(1), rect(1, 0, 2, 2, -239), pixels, [0x80, 0x40]);
    expect(sameForEverySplit(wire, read).events).toEqual([
      { type: 'cursor', x: 1, y: 0, width: 2, height: 2, rgbx: Buffer.from(pixels), mask: Buffer.from([0x80, 0x40]) },
      { type: 'update-end' },
    ]);
  });

  it('a 0x0 Cursor (hidden) has no data', () => {
    expect(sameForEverySplit(bytes(fbu(1), rect(0, 0, 0, 0, -239)), read).events[0]).toEqual({
      type: 'cursor',
      x: 0,
      y: 0,
      width: 0,
      height: 0,
      rgbx: Buffer.alloc(0),
      mask: Buffer.alloc(0),
    });
  });

  it('DesktopName (UTF-8) and the QEMU Extended Key Event confirmation', () => {
    const name = Buffer.from('Büro', 'utf8');
    const wire = bytes(fbu(2), rect(0, 0, 0, 0, -307), u32(name.length), name, rect(0, 0, 0, 0, -258));
    expect(sameForEverySplit(wire, read).events).toEqual([{ type: 'desktop-name', name: 'Büro' }, { type: 'qemu-extended-key-event' }, { type: 'update-end' }]);
  });

  it('QEMU LED State: one byte of lock-key state', () => {
    const wire = bytes(fbu(2), rect(0, 0, 0, 0, -261), [0x06], rect(0, 0, 0, 0, -261), [0xf9]);
    expect(sameForEverySplit(wire, read).events).toEqual([{ type: 'led-state', state: 6 }, { type: 'led-state', state: 0xf9 }, { type: 'update-end' }]);
  });

  it('every pseudo-encoding in READER_PSEUDO_ENCODINGS is understood (none is RFB_ERR_UNKNOWN_ENCODING)', () => {
    expect([...READER_PSEUDO_ENCODINGS].sort((a, b) => a - b)).toEqual([-308, -307, -261, -258, -239, -224, -223]);
    for (const enc of READER_PSEUDO_ENCODINGS) {
      // Enough zero bytes after the header for any of them (a 0x0 cursor has no data; LastRect ends the update).
      const size = enc === -223 || enc === -308 ? 2 : 0;
      const events = read([bytes(fbu(1), rect(0, 0, size, size, enc), enc === -261 ? [0] : enc === -308 || enc === -307 ? [0, 0, 0, 0] : [])]).events;
      expect(events.at(-1), String(enc)).toEqual({ type: 'update-end' });
    }
  });

  it('SetColourMapEntries, ServerCutText (Latin-1), EndOfContinuousUpdates', () => {
    const wire = bytes([1, 0], u16(5), u16(2), u16(0xffff), u16(0), u16(0x8000), u16(1), u16(2), u16(3), [3, 0, 0, 0], u32(4), [0x63, 0x61, 0x66, 0xe9], [150]);
    expect(sameForEverySplit(wire, read).events).toEqual([
      {
        type: 'colour-map',
        first: 5,
        colours: [
          { red: 0xffff, green: 0, blue: 0x8000 },
          { red: 1, green: 2, blue: 3 },
        ],
      },
      { type: 'cut-text', text: 'café' },
      { type: 'end-of-continuous-updates' },
    ]);
  });

  it('works the same with the encodings engineer’s row-by-row RawDecoder', () => {
    const pixels = Array.from({ length: 16 }, (_, i) => px(i, i * 2, i * 3)).flat();
    const wire = bytes(fbu(1), rect(0, 0, 4, 4, 0), pixels);
    const real = sameForEverySplit(
      wire,
      readWith(() => new Map<number, RectDecoder>([[0, new RawDecoder()]])),
    );
    expect(real).toEqual(read([wire]));
    expect(real.pixels).toBe(expectedPixels((fb) => fb.putRgbx(0, 0, 4, 4, Buffer.from(pixels))));
  });
});

describe('ServerMessageReader errors (every split)', () => {
  it('unknown message type: RFB_ERR_UNKNOWN_MESSAGE', () => {
    const err = throwsForEverySplit(bytes([248, 0, 0, 0]), read, 'RFB_ERR_UNKNOWN_MESSAGE');
    expect(err.message).toContain('248');
  });

  it('after an error the reader stays failed: later pushes throw the same error', () => {
    const reader = new ServerMessageReader({ fb: new Framebuffer(4, 4), decoders: tiny() });
    let first: unknown;
    try {
      reader.push(bytes([77]));
    } catch (err) {
      first = err;
    }
    expect(first).toBeDefined();
    expect(() => reader.push(bytes([2]))).toThrow(first);
  });

  it('an encoding without a decoder: RFB_ERR_UNKNOWN_ENCODING naming it', () => {
    const err = throwsForEverySplit(bytes(fbu(1), rect(0, 0, 1, 1, 7)), read, 'RFB_ERR_UNKNOWN_ENCODING');
    expect(err.message).toContain('7 (Tight)');
    const pseudo = throwsForEverySplit(bytes(fbu(1), rect(0, 0, 0, 0, -312)), read, 'RFB_ERR_UNKNOWN_ENCODING');
    expect(pseudo.message).toContain('-312');
  });

  it('a rect outside fb is refused from its header, before the decoder runs', () => {
    let called = false;
    const spy = () => new Map<number, RectDecoder>([[0, { decodeRect: () => ((called = true), true) }]]);
    const err = throwsForEverySplit(bytes(fbu(1), rect(1, 0, 4, 4, 0)), readWith(spy), 'RFB_ERR_RECT_OUT_OF_BOUNDS');
    expect(err.field).toBe('FramebufferUpdate.rectangle');
    expect(called).toBe(false);
  });

  it('CopyRect with its destination or its source outside fb', () => {
    throwsForEverySplit(bytes(fbu(1), rect(3, 3, 2, 2, 1)), read, 'RFB_ERR_RECT_OUT_OF_BOUNDS');
    const err = throwsForEverySplit(bytes(fbu(1), rect(0, 0, 2, 2, 1), u16(3), u16(0)), read, 'RFB_ERR_RECT_OUT_OF_BOUNDS');
    expect(err.field).toBe('CopyRect.src');
  });

  it('DesktopSize to an unusable size', () => {
    throwsForEverySplit(bytes(fbu(1), rect(0, 0, 0, 0, -223)), read, 'RFB_ERR_FRAMEBUFFER_SIZE');
    throwsForEverySplit(bytes(fbu(1), rect(0, 0, LIMITS.maxFramebufferWidth + 1, 10, -223)), read, 'RFB_ERR_FRAMEBUFFER_SIZE');
  });

  it('bounds checked before waiting: cursor, cut text, name, colour map', () => {
    throwsForEverySplit(bytes(fbu(1), rect(0, 0, RFB_LIMITS.maxCursorWidth + 1, 1, -239)), read, 'RFB_ERR_TOO_LARGE');
    throwsForEverySplit(bytes([3, 0, 0, 0], u32(LIMITS.maxCutTextBytes + 1)), read, 'RFB_ERR_TOO_LARGE');
    throwsForEverySplit(bytes([3, 0, 0, 0], u32(0xfffffff0)), read, 'RFB_ERR_BAD_VALUE'); // Extended Clipboard form
    throwsForEverySplit(bytes(fbu(1), rect(0, 0, 0, 0, -307), u32(LIMITS.maxNameBytes + 1)), read, 'RFB_ERR_TOO_LARGE');
    throwsForEverySplit(bytes([1, 0], u16(65535), u16(2)), read, 'RFB_ERR_BAD_VALUE');
  });
});

describe('server message encoders', () => {
  it('write exactly the hand-built bytes', () => {
    expect(encodeFramebufferUpdateHeader(3)).toEqual(bytes(fbu(3)));
    expect(encodeFramebufferUpdateHeader(RECT_COUNT_UNTIL_LAST_RECT)).toEqual(bytes([0, 0, 0xff, 0xff]));
    expect(encodeRectHeader({ x: 1, y: 2, width: 300, height: 4 }, 16)).toEqual(bytes(rect(1, 2, 300, 4, 16)));
    expect(encodeLastRect()).toEqual(bytes(rect(0, 0, 0, 0, -224)));
    expect(encodeDesktopSizeRect(1920, 1080)).toEqual(bytes(rect(0, 0, 1920, 1080, -223)));
    expect(
      encodeExtendedDesktopSizeRect({ reason: 2, status: 0, width: 800, height: 600, screens: [{ id: 1, x: 0, y: 0, width: 800, height: 600, flags: 0 }] }),
    ).toEqual(bytes(rect(2, 0, 800, 600, -308), [1, 0, 0, 0], u32(1), u16(0), u16(0), u16(800), u16(600), u32(0)));
    expect(
      encodeCursorRect({ hotX: 1, hotY: 1, width: 2, height: 1, pixels: Buffer.from([...px(1, 2, 3), ...px(4, 5, 6)]), mask: Buffer.from([0xc0]) }),
    ).toEqual(bytes(rect(1, 1, 2, 1, -239), px(1, 2, 3), px(4, 5, 6), [0xc0]));
    expect(encodeDesktopNameRect('ü')).toEqual(bytes(rect(0, 0, 0, 0, -307), u32(2), [0xc3, 0xbc]));
    expect(encodeQemuExtendedKeyEventRect()).toEqual(bytes(rect(0, 0, 0, 0, -258)));
    expect(encodeQemuLedStateRect(4)).toEqual(bytes(rect(0, 0, 0, 0, -261), [4]));
    expect(encodeSetColourMapEntries(7, [{ red: 1, green: 2, blue: 0xffff }])).toEqual(bytes([1, 0], u16(7), u16(1), u16(1), u16(2), u16(0xffff)));
    expect(encodeBell()).toEqual(Buffer.from([2]));
    expect(encodeServerCutText('né€')).toEqual(bytes([3, 0, 0, 0], u32(3), [0x6e, 0xe9, 0x3f]));
    expect(encodeEndOfContinuousUpdates()).toEqual(Buffer.from([150]));
  });

  it('encodeCursorRect asserts on pixel/mask lengths that do not match the size', () => {
    expect(() => encodeCursorRect({ hotX: 0, hotY: 0, width: 9, height: 1, pixels: Buffer.alloc(36), mask: Buffer.alloc(1) })).toThrow(/mask/);
  });

  it('what we encode, the reader reads back (a whole LastRect-terminated update)', () => {
    const cursorPixels = Buffer.from(Array.from({ length: 9 * 2 * 4 }, (_, i) => i & 0xff));
    const wire = Buffer.concat([
      encodeFramebufferUpdateHeader(RECT_COUNT_UNTIL_LAST_RECT),
      encodeDesktopSizeRect(5, 5),
      encodeRectHeader({ x: 4, y: 4, width: 1, height: 1 }, 0),
      Buffer.from(px(1, 2, 3)),
      encodeCursorRect({ hotX: 8, hotY: 1, width: 9, height: 2, pixels: cursorPixels, mask: Buffer.from([0xff, 0x80, 0x00, 0x00]) }),
      encodeDesktopNameRect('gateway'),
      encodeQemuExtendedKeyEventRect(),
      encodeQemuLedStateRect(2),
      encodeLastRect(),
      encodeServerCutText('x'),
      encodeBell(),
      encodeEndOfContinuousUpdates(),
    ]);
    const r = sameForEverySplit(wire, read);
    expect(r.events.map((e) => e.type)).toEqual([
      'desktop-size',
      'rect',
      'cursor',
      'desktop-name',
      'qemu-extended-key-event',
      'led-state',
      'update-end',
      'cut-text',
      'bell',
      'end-of-continuous-updates',
    ]);
    expect(r.events[2]).toMatchObject({ x: 8, y: 1, width: 9, height: 2, rgbx: cursorPixels });
    expect(r.size).toBe('5x5');
  });
});

describe('ServerMessageReader fuzz', () => {
  it('random and mutated streams only ever raise ProtocolError', () => {
    const rnd = prng(99);
    const seeds = [
      bytes(fbu(2), rect(1, 1, 2, 1, 0), px(1, 2, 3), px(4, 5, 6), rect(0, 3, 2, 1, 1), u16(1), u16(1)),
      bytes(fbu(0xffff), rect(3, 3, 1, 1, 0), px(9, 9, 9), rect(0, 0, 0, 0, -224), [2]),
      bytes(fbu(2), rect(0, 0, 8, 2, -223), rect(6, 1, 2, 1, 0), px(1, 1, 1), px(2, 2, 2)),
      bytes(fbu(1), rect(0, 0, 6, 5, -308), [1, 0, 0, 0], u32(0x1234), u16(0), u16(0), u16(6), u16(5), u32(0)),
      bytes(
        fbu(1),
        rect(1, 0, 2, 2, -239),
        Array.from({ length: 16 }, () => 7),
        [0x80, 0x40],
      ),
      bytes([1, 0], u16(5), u16(1), u16(1), u16(2), u16(3), [3, 0, 0, 0], u32(2), 'hi', [150], [2]),
      bytes(fbu(3), rect(0, 0, 0, 0, -261), [4], rect(0, 0, 0, 0, -307), u32(2), 'ab', rect(0, 0, 0, 0, -258)),
    ];
    const decoders = () => new Map<number, RectDecoder>([[0, new RawDecoder()]]);
    for (let i = 0; i < 4000; i++) {
      const input =
        i % 5 === 0 ? Buffer.from(Array.from({ length: Math.floor(rnd() * 120) }, () => Math.floor(rnd() * 256))) : mutate(seeds[i % seeds.length]!, rnd);
      onlyProtocolErrors(
        () => {
          const reader = new ServerMessageReader({ fb: new Framebuffer(16, 16), decoders: i % 2 ? tiny() : decoders() });
          for (const c of randomChunks(input, rnd, 24)) reader.push(c);
        },
        `case ${i}: ${input.toString('hex')}`,
      );
    }
  });
});
