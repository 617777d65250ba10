import { readFileSync, writeFileSync } from 'node:fs';
import { FBS_SIGNATURE, encodeFbsBlock, encodeRfb33ServerPreamble, readFbs } from '../protocols/fbs/index.js';
import { RGBX_PIXEL_FORMAT } from '../protocols/rfb/constants.js';
import { TightEncoder } from '../protocols/rfb/encodings/tight.js';
import { Framebuffer } from '../protocols/rfb/framebuffer.js';
import { encodeFramebufferUpdateHeader } from '../protocols/rfb/server-messages.js';

/**
 * An idle 1024x768 console as a recording: the handshake and one full-screen update (a BIOS-like
 * picture: dark background, a light text-ish band), then nothing. The memory rows hold hundreds of
 * these open; our fixtures are smaller screens, and idle BMCs at 1024x768 are the common case.
 */
export function writeIdleRecording(path: string, width = 1024, height = 768): void {
  const fb = new Framebuffer(width, height);
  fb.fillRect(0, 0, width, height, 0x10, 0x10, 0x40);
  for (let y = 40; y < height - 40; y += 16) fb.fillRect(32, y, ((y * 7) % (width - 64)) + 8, 8, 0xc0, 0xc0, 0xc0);
  const rects = new TightEncoder().encodeRect(fb, { x: 0, y: 0, width, height });
  const update = Buffer.concat([encodeFramebufferUpdateHeader(rects.length), ...rects]);
  writeFileSync(
    path,
    Buffer.concat([
      FBS_SIGNATURE,
      encodeFbsBlock(encodeRfb33ServerPreamble({ width, height, pixelFormat: RGBX_PIXEL_FORMAT, name: 'idle' }), 0),
      encodeFbsBlock(update, 10),
    ]),
  );
}

/** The idle picture of writeIdleRecording, as a framebuffer (the scale row's consoles start from it). */
function idlePicture(width: number, height: number): Framebuffer {
  const fb = new Framebuffer(width, height);
  fb.fillRect(0, 0, width, height, 0x10, 0x10, 0x40);
  for (let y = 40; y < height - 40; y += 16) fb.fillRect(32, y, ((y * 7) % (width - 64)) + 8, 8, 0xc0, 0xc0, 0xc0);
  return fb;
}

/** Where the blinking cursor of writeBlinkRecording sits: a text cell under the last line. */
export const BLINK_CURSOR = { x: 32, y: 720, width: 8, height: 16 };

/**
 * An idle 1024x768 console with a blinking text cursor: the idle picture at 10 ms, then every
 * `periodMs` the cursor cell alternately drawn and erased (one small Tight fill each, as a BMC's
 * text console sends it), for `durationMs`. The scale row's 900 idle consoles play this.
 * Returns the two screens a viewer may end on (cursor off, cursor on).
 */
export function writeBlinkRecording(path: string, durationMs: number, periodMs = 500, width = 1024, height = 768): { off: Framebuffer; on: Framebuffer } {
  const fb = idlePicture(width, height);
  const enc = new TightEncoder();
  const full = enc.encodeRect(fb, { x: 0, y: 0, width, height });
  const blocks = [
    encodeFbsBlock(encodeRfb33ServerPreamble({ width, height, pixelFormat: RGBX_PIXEL_FORMAT, name: 'idle-blink' }), 0),
    encodeFbsBlock(Buffer.concat([encodeFramebufferUpdateHeader(full.length), ...full]), 10),
  ];
  const off = idlePicture(width, height);
  const on = idlePicture(width, height);
  on.fillRect(BLINK_CURSOR.x, BLINK_CURSOR.y, BLINK_CURSOR.width, BLINK_CURSOR.height, 0xc0, 0xc0, 0xc0);
  for (let t = periodMs, k = 0; t <= durationMs; t += periodMs, k++) {
    const rects = enc.encodeRect(k % 2 === 0 ? on : off, BLINK_CURSOR);
    blocks.push(encodeFbsBlock(Buffer.concat([encodeFramebufferUpdateHeader(rects.length), ...rects]), t));
  }
  writeFileSync(path, Buffer.concat([FBS_SIGNATURE, ...blocks]));
  return { off, on };
}

/**
 * A recording made for a bigger screen: `source`'s updates (all inside its own, smaller screen)
 * played on a width x height console whose first update is the idle picture. The scale row's 100
 * active consoles play the xterm recording (800x600) this way on 1024x768 consoles, at its timing.
 */
export function writeEnlargedRecording(source: string, path: string, width = 1024, height = 768): void {
  const { blocks, error } = readFbs(readFileSync(source));
  if (error) throw error;
  const fb = idlePicture(width, height);
  const full = new TightEncoder().encodeRect(fb, { x: 0, y: 0, width, height });
  // Block 0 of our recordings is the 3.3 handshake alone (see fixtures/recordings/README.md); the
  // updates after it are replaced under a ServerInit of the new size, and the first one starts
  // after the whole-screen picture.
  const out = [
    encodeFbsBlock(encodeRfb33ServerPreamble({ width, height, pixelFormat: RGBX_PIXEL_FORMAT, name: 'enlarged' }), 0),
    encodeFbsBlock(Buffer.concat([encodeFramebufferUpdateHeader(full.length), ...full]), 0),
  ];
  for (const b of blocks.slice(1)) out.push(encodeFbsBlock(b.data, b.timestampMs));
  writeFileSync(path, Buffer.concat([FBS_SIGNATURE, ...out]));
}
