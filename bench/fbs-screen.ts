import { readFileSync } from 'node:fs';
import { readFbs } from '../protocols/fbs/index.js';
import { ClientHandshake } from '../protocols/rfb/client-handshake.js';
import { createDecoders } from '../protocols/rfb/encodings/index.js';
import { Framebuffer } from '../protocols/rfb/framebuffer.js';
import { ServerMessageReader } from '../protocols/rfb/server-message-reader.js';

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
