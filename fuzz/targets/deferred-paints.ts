import { isDeepStrictEqual } from 'node:util';
import { ProtocolError } from '../../protocols/errors.js';
import { Framebuffer, ServerMessageReader, type ServerMessage } from '../../protocols/rfb/index.js';
import { createDecoders } from '../../protocols/rfb/encodings/index.js';
import { sameScreen } from '../../test/helpers/converge.js';
import { paintMixUpdates, xtermUpdates } from '../../test/helpers/paint-updates.js';
import type { FuzzTarget } from '../types.js';

/** The screen both readers draw on: the TigerVNC recording's updates fit in it. */
const WIDTH = 1024;
const HEIGHT = 768;
/**
 * Errors in compressed data that a reader deferring paints may find later than one drawing at once,
 * or not at all: a two-colour Tight rectangle's zlib data is inflated only if its paint runs.
 */
const CHECKED_WHEN_RUN = new Set(['RFB_ERR_ZLIB_DATA', 'RFB_ERR_ZLIB_OVERFLOW', 'RFB_ERR_ZLIB_TRUNCATED']);
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
 * whenever they are read; except that bad zlib data the deferring reader holds unchecked may fail
 * it later or never (CHECKED_WHEN_RUN), after which only its not escaping is checked. A difference
 * escapes (a plain Error): it would be a wrong picture on a viewer's screen.
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
      withControl(3, 1, paintMixUpdates()),
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
      if (!sameScreen(deferredFb, drawnFb)) throw new Error(`deferred paints: the framebuffers differ after push ${at}`);
    };
    let updates = 0;
    for (let i = 0; i < pushes; i++) {
      const chunk = data.subarray(i * size, (i + 1) * size);
      const a = push(drawn, chunk);
      const b = push(deferred, chunk);
      if (a.error !== undefined && CHECKED_WHEN_RUN.has(a.error)) {
        // Bad zlib data the deferring reader may hold unchecked (tight.ts #holdCompressed): it fails
        // when that paint runs, later (having drawn what came after: a CopyRect that made the paint
        // run, say), or never if the paint is covered. The screens part here; the deferring reader
        // takes the rest of the input and a read of its pixels without escaping.
        for (let k = i + 1; k < pushes && !b.error; k++) b.error = push(deferred, data.subarray(k * size, (k + 1) * size)).error;
        void deferredFb.data;
        return `err:${a.error}:held`;
      }
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
