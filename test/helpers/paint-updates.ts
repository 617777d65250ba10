import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readFbs } from '../../protocols/fbs/index.js';
import { Encoding } from '../../protocols/rfb/constants.js';
import { RawEncoder } from '../../protocols/rfb/encodings/raw.js';
import { TightEncoder } from '../../protocols/rfb/encodings/tight.js';
import { Framebuffer, type Rect } from '../../protocols/rfb/framebuffer.js';
import { encodeFramebufferUpdateHeader, encodeRectHeader } from '../../protocols/rfb/server-messages.js';
import { PROJECT_ROOT } from '../../src/paths.js';

/** TigerVNC's xterm recording (fixtures/recordings/README.md): an RFB 3.3 handshake for 1024x768, then Tight updates. */
export const XTERM_RECORDING = join(PROJECT_ROOT, 'fixtures', 'recordings', 'tigervnc-xterm-scroll.fbs');

/** The xterm recording's server messages after the handshake block: Tight fills and two-colour rectangles over one column of text. */
export function xtermUpdates(): Buffer {
  const { blocks, error } = readFbs(readFileSync(XTERM_RECORDING));
  if (error) throw error;
  return Buffer.concat(blocks.slice(1).map((b) => Buffer.from(b.data)));
}

/**
 * FramebufferUpdates for a 64x48 screen that mix paints a reader may put off (Tight fills and
 * two-colour rectangles) with what must not wait for them: CopyRect from a waiting paint, Raw and
 * many-colour Tight over one, a resize, a paint covered in the same push, and narrow rectangles of
 * another picture that later ones overlap but do not cover (a skipped one would leave the first
 * picture's pixels showing).
 */
export function paintMixUpdates(): Buffer {
  const src = new Framebuffer(64, 48);
  // Two-colour text-like areas, a solid area and a many-colour area.
  for (let y = 0; y < 48; y++)
    for (let x = 0; x < 64; x++) {
      const o = (y * 64 + x) * 4;
      if (x < 32) src.data.set((x * 3 + y) % 5 === 0 ? [250, 250, 250, 0] : [0, 0, 80, 0], o);
      else if (y < 24) src.data.set([10, 200, 30, 0], o);
      else src.data.set([(x * 37) & 0xff, (y * 11) & 0xff, (x * y) & 0xff, 0], o);
    }
  // The same text in other colours.
  const other = new Framebuffer(64, 48);
  for (let i = 0; i < src.data.length; i += 4) other.data.set([255 - src.data[i]!, 128, src.data[i + 2]! ^ 0x55, 0], i);
  const tight = new TightEncoder();
  const raw = new RawEncoder();
  const rect = (x: number, y: number, width: number, height: number): Rect => ({ x, y, width, height });
  const upd = (parts: Buffer[]): Buffer => Buffer.concat([encodeFramebufferUpdateHeader(parts.length), ...parts]);
  const copy = (to: Rect, sx: number, sy: number): Buffer =>
    Buffer.concat([encodeRectHeader(to, Encoding.CopyRect), Buffer.of(sx >> 8, sx & 0xff, sy >> 8, sy & 0xff)]);
  const resize = (w: number, h: number): Buffer => encodeRectHeader({ x: 0, y: 0, width: w, height: h }, Encoding.DesktopSize);
  return Buffer.concat([
    upd(tight.encodeRect(src, rect(0, 0, 32, 48))), // two colours
    upd(tight.encodeRect(src, rect(32, 0, 32, 24))), // solid
    upd([...tight.encodeRect(src, rect(0, 0, 16, 16)), copy(rect(40, 30, 16, 16), 0, 0)]), // CopyRect of a deferred paint
    upd([...tight.encodeRect(src, rect(0, 0, 32, 48)), ...raw.encodeRect(src, rect(4, 4, 8, 8))]), // Raw over a deferred paint
    upd([...tight.encodeRect(src, rect(0, 16, 32, 16)), ...tight.encodeRect(src, rect(32, 24, 32, 24))]), // many colours after two
    upd(tight.encodeRect(src, rect(0, 0, 32, 48))),
    upd([resize(64, 48), ...tight.encodeRect(src, rect(0, 0, 32, 48))]),
    upd(tight.encodeRect(src, rect(0, 0, 32, 48))), // covers the one before it in the same push
    // Narrow rectangles of the other picture, overlapped but not covered by what follows.
    upd([...tight.encodeRect(other, rect(0, 0, 1, 24)), ...tight.encodeRect(src, rect(0, 12, 8, 24)), ...tight.encodeRect(other, rect(8, 0, 8, 16))]),
    upd(tight.encodeRect(src, rect(7, 0, 8, 16))),
  ]);
}
