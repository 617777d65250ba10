import { writeFileSync } from 'node:fs';
import { FBS_SIGNATURE, encodeFbsBlock, encodeRfb33ServerPreamble } from '../protocols/fbs/index.js';
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
