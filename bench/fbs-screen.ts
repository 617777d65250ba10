import { readFileSync } from 'node:fs';
import { readFbs } from '../protocols/fbs/index.js';
import { ClientHandshake } from '../protocols/rfb/client-handshake.js';
import { Encoding } from '../protocols/rfb/constants.js';
import { createDecoders } from '../protocols/rfb/encodings/index.js';
import { Framebuffer } from '../protocols/rfb/framebuffer.js';
import { ServerMessageReader } from '../protocols/rfb/server-message-reader.js';
import { encodeFramebufferUpdateHeader, encodeRectHeader } from '../protocols/rfb/server-messages.js';

/** What a recording shows: its final screen, how many updates it holds, and its length. */
export interface RecordingSummary {
  fb: Framebuffer;
  name: string;
  updates: number;
  durationMs: number;
  /** Bytes of RFB stream (block data), the "upstream" volume of replaying it. */
  streamBytes: number;
}

/**
 * Decodes a whole FBS recording with our own RFB client role (3.3 handshake, then the message
 * reader) into a framebuffer. Used to know the screen a replay must end on. Throws on a file that
 * is not a clean recording (a benchmark or test wants a good fixture, not a best effort).
 */
export function summarizeRecording(path: string): RecordingSummary {
  const { blocks, error } = readFbs(readFileSync(path));
  if (error) throw error;
  const hs = new ClientHandshake({ shared: true, maxVersion: '3.3' });
  let reader: ServerMessageReader | undefined;
  let fb: Framebuffer | undefined;
  let name = '';
  let updates = 0;
  let streamBytes = 0;
  for (const b of blocks) {
    streamBytes += b.data.length;
    let data: Buffer | undefined = b.data;
    if (!reader) {
      const step = hs.receive(data);
      if (!step.serverInit) continue;
      fb = new Framebuffer(step.serverInit.width, step.serverInit.height);
      name = step.serverInit.name;
      reader = new ServerMessageReader({ fb, decoders: createDecoders() });
      data = step.rest;
      if (!data?.length) continue;
    }
    for (const m of reader.push(data)) if (m.type === 'update-end') updates++;
  }
  if (!fb) throw new Error(`${path}: no ServerInit in the recording`);
  return { fb, name, updates, durationMs: blocks.at(-1)?.timestampMs ?? 0, streamBytes };
}

/**
 * The end marker of a max-speed replay: one FramebufferUpdate the replay server sends after the last
 * loop, and the screen a viewer shows once it has had it. Every loop of a recording ends on the
 * same screen, so without it a pipe's viewer "showed the final screen" at the end of the first
 * loop it decoded while the rest of the loops were still buffered on their way (seen once the replay
 * server wrote in batches: websockify's N = 1 row converged in 26 ms). The marker is a 32x2 Raw
 * rectangle at the top left in the recording's own pixel format (32 bpp RGBX, the format the
 * recordings were made in), in colours the final screen does not have there.
 */
export function endMarker(summary: RecordingSummary): { bytes: Buffer; fb: Framebuffer } {
  const w = 32;
  const h = 2;
  const pixels = Buffer.alloc(w * h * 4);
  for (let i = 0; i < w * h; i++) pixels.set([(0x5a + i * 4) & 0xff, (7 + i * 3) & 0xff, (0xa5 - i) & 0xff, 0], i * 4);
  const bytes = Buffer.concat([encodeFramebufferUpdateHeader(1), encodeRectHeader({ x: 0, y: 0, width: w, height: h }, Encoding.Raw), pixels]);
  const fb = new Framebuffer(summary.fb.width, summary.fb.height);
  fb.data.set(summary.fb.data);
  const reader = new ServerMessageReader({ fb, decoders: createDecoders() });
  if (!reader.push(bytes).some((m) => m.type === 'update-end')) throw new Error('the end marker did not decode as one update');
  if (fb.getRgbx(0, 0, w, h).equals(summary.fb.getRgbx(0, 0, w, h))) throw new Error('the end marker is what the final screen already shows');
  return { bytes, fb };
}
