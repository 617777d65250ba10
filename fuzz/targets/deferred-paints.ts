import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { ProtocolError } from '../../protocols/errors.js';
import { readFbs } from '../../protocols/fbs/index.js';
import {
  Encoding,
  encodeFramebufferUpdateHeader,
  encodeRectHeader,
  Framebuffer,
  ServerMessageReader,
  type Rect,
  type ServerMessage,
} from '../../protocols/rfb/index.js';
import { createDecoders } from '../../protocols/rfb/encodings/index.js';
import { RawEncoder } from '../../protocols/rfb/encodings/raw.js';
import { TightEncoder } from '../../protocols/rfb/encodings/tight.js';
import { RECORDINGS } from '../seeds.js';
import type { FuzzTarget } from '../types.js';

/** The screen both readers draw on: the TigerVNC recording's updates fit in it. */
const WIDTH = 1024;
const HEIGHT = 768;
/** Framebuffer comparisons an input gets at most (each reads 3 MB twice). */
const MAX_COMPARES = 8;

/**
 * An input is two control bytes, then server messages after ServerInit: byte 0 sets the size of each
 * push (1 + 16 × byte bytes), byte 1 how often the framebuffers are compared (after every
 * (byte mod 16) + 1 pushes, at most MAX_COMPARES times, and after the last).
 */
function withControl(size: number, every: number, data: Buffer): Buffer {
  return Buffer.concat([Buffer.of(size, every), data]);
}

/** The TigerVNC xterm recording's FramebufferUpdates (Tight fills and two-colour rectangles over one column of text). */
function xtermUpdates(): Buffer {
  const { blocks } = readFbs(readFileSync(join(RECORDINGS, 'tigervnc-xterm-scroll.fbs')));
  return Buffer.concat(blocks.slice(1).map((b) => Buffer.from(b.data)));
}

/** Deferred paints beside what must not wait for them: CopyRect from a waiting paint, Raw and many-colour Tight over one, a resize, covering in one push. */
function mixedUpdates(): Buffer {
  const src = new Framebuffer(64, 48);
  for (let y = 0; y < 48; y++)
    for (let x = 0; x < 64; x++) {
      const o = (y * 64 + x) * 4;
      if (x < 32) src.data.set((x * 3 + y) % 5 === 0 ? [250, 250, 250, 0] : [0, 0, 80, 0], o);
      else if (y < 24) src.data.set([10, 200, 30, 0], o);
      else src.data.set([(x * 37) & 0xff, (y * 11) & 0xff, (x * y) & 0xff, 0], o);
    }
  // The same text in other colours: what it paints differs from what src painted there.
  const other = new Framebuffer(64, 48);
  for (let i = 0; i < src.data.length; i += 4) other.data.set([255 - src.data[i]!, 128, src.data[i + 2]! ^ 0x55, 0], i);
  const tight = new TightEncoder();
  const raw = new RawEncoder();
  const rect = (x: number, y: number, width: number, height: number): Rect => ({ x, y, width, height });
  const upd = (parts: Buffer[]): Buffer => Buffer.concat([encodeFramebufferUpdateHeader(parts.length), ...parts]);
  const copy = (to: Rect, sx: number, sy: number): Buffer =>
    Buffer.concat([encodeRectHeader(to, Encoding.CopyRect), Buffer.of(sx >> 8, sx & 0xff, sy >> 8, sy & 0xff)]);
  return Buffer.concat([
    upd(tight.encodeRect(src, rect(0, 0, 32, 48))),
    upd(tight.encodeRect(src, rect(32, 0, 32, 24))),
    upd([...tight.encodeRect(src, rect(0, 0, 16, 16)), copy(rect(40, 30, 16, 16), 0, 0)]),
    upd([...tight.encodeRect(src, rect(0, 0, 32, 48)), ...raw.encodeRect(src, rect(4, 4, 8, 8))]),
    upd([...tight.encodeRect(src, rect(0, 16, 32, 16)), ...tight.encodeRect(src, rect(32, 24, 32, 24))]),
    upd([encodeRectHeader(rect(0, 0, 640, 480), Encoding.DesktopSize), ...tight.encodeRect(src, rect(0, 0, 32, 48))]),
    upd(tight.encodeRect(src, rect(0, 0, 32, 48))),
    // Narrow rectangles of another picture that later ones overlap but do not cover: they must still be drawn.
    upd([...tight.encodeRect(other, rect(0, 0, 1, 24)), ...tight.encodeRect(src, rect(0, 12, 8, 24)), ...tight.encodeRect(other, rect(8, 0, 8, 16))]),
    upd(tight.encodeRect(src, rect(7, 0, 8, 16))),
  ]);
}

function push(reader: ServerMessageReader, chunk: Buffer): { messages?: ServerMessage[]; error?: string } {
  try {
    return { messages: reader.push(chunk) };
  } catch (err) {
    if (!(err instanceof ProtocolError)) throw err;
    return { error: err.code };
  }
}

/**
 * Deferred paints (`PaintQueue`, which the vnc source's reader uses): the same bytes decoded by a
 * reader that draws every rectangle at once and by one that defers, push by push. The two must
 * give the same messages and the same errors, and their framebuffers must be byte-identical
 * whenever they are read. A difference escapes (a plain Error): it would be a wrong picture on a
 * viewer's screen.
 */
export const deferredPaints: FuzzTarget = {
  name: 'deferred-paints',
  description:
    'deferred paints: ServerMessageReader with deferPaints against one drawing every rectangle at once, push by push: same messages, same errors, byte-identical framebuffers when read',
  coverage: ['/protocols/rfb/encodings/paint-queue', '/protocols/rfb/encodings/tight', '/protocols/rfb/framebuffer'],
  seeds: () => {
    const xterm = xtermUpdates();
    return [
      withControl(0x20, 3, xterm.subarray(0, 8 * 1024)),
      withControl(2, 0, xterm.subarray(0, 3000)),
      withControl(0xff, 7, xterm.subarray(0, 30_000)),
      withControl(3, 1, mixedUpdates()),
    ];
  },
  maxInputBytes: 32 * 1024 + 2,
  suiteInputs: 200,
  run(input) {
    const size = 1 + (input[0] ?? 0) * 16;
    const data = input.subarray(2);
    const pushes = Math.ceil(data.length / size);
    const every = Math.max(1 + ((input[1] ?? 0) % 16), Math.ceil(pushes / MAX_COMPARES));
    const drawnFb = new Framebuffer(WIDTH, HEIGHT);
    const deferredFb = new Framebuffer(WIDTH, HEIGHT);
    const drawn = new ServerMessageReader({ fb: drawnFb, decoders: createDecoders() });
    const deferred = new ServerMessageReader({ fb: deferredFb, decoders: createDecoders(), deferPaints: true });
    const same = (at: number): void => {
      if (deferredFb.width !== drawnFb.width || deferredFb.height !== drawnFb.height || !deferredFb.data.equals(drawnFb.data))
        throw new Error(`deferred paints: the framebuffers differ after push ${at}`);
    };
    let updates = 0;
    for (let i = 0; i < pushes; i++) {
      const chunk = data.subarray(i * size, (i + 1) * size);
      const a = push(drawn, chunk);
      const b = push(deferred, chunk);
      if (a.error !== b.error) throw new Error(`deferred paints: push ${i} ended ${b.error ?? 'without error'}, drawing at once ${a.error ?? 'without error'}`);
      if (!isDeepStrictEqual(a.messages, b.messages)) throw new Error(`deferred paints: push ${i} gave other messages`);
      if (a.error || (i + 1) % every === 0 || i === pushes - 1) same(i);
      if (a.error) return `err:${a.error}`;
      updates += a.messages!.filter((m) => m.type === 'update-end').length;
    }
    return `updates:${Math.min(updates, 8)}`;
  },
  expected: (err) => err instanceof ProtocolError,
};
