import { setTimeout as sleep } from 'node:timers/promises';
import type { Ast2100HeaderByte1 } from '../../../protocols/aten/ast2100/decoder.js';
import { findAtenUpdate } from '../../../protocols/aten/resync.js';
import { AtenServerStream, type AtenStreamEvent, type AtenUpdateReport } from '../../../protocols/aten/server-stream.js';
import { ProtocolError } from '../../../protocols/errors.js';
import type { Framebuffer } from '../../../protocols/rfb/framebuffer.js';
import { drawNoSignal } from './aten-source.js';
import type { BmcStream } from './capture-stream.js';

export interface ReplayOptions {
  /** 'original': decode each piece when the capture saw it arrive; 'max': as fast as we can. */
  speed: 'max' | 'original';
  mouseInfoBodyBytes?: 2 | 3;
  headerByte1?: Ast2100HeaderByte1;
}

/** What happened while replaying, in stream order, with the capture time (µs) of the piece that completed it. */
export type ReplayEvent =
  | (Exclude<AtenStreamEvent, { type: 'error' }> & { timeUs: number })
  | { type: 'stream-error'; timeUs: number; offset: number; error: ProtocolError }
  | { type: 'hole'; timeUs: number; offset: number; missingBytes: number }
  | { type: 'resync'; timeUs: number; offset: number; skipped: number }
  | { type: 'lost-sync'; timeUs: number; offset: number; skipped: number };

export interface ReplayResult {
  fb: Framebuffer;
  updates: number;
  /** Bytes at the end that did not make a whole message (a capture stopped mid-message). */
  unfinishedBytes: number;
  /** Holes, malformed messages, or bytes in which no update could be found: the session was not decoded whole. */
  incomplete: boolean;
}

/**
 * Decodes a BMC stream the way the `aten` source would have seen it (AtenServerStream), and finds
 * its way back after whatever the capture did to it: a stream that starts mid-session begins at the
 * first FramebufferUpdate header (findAtenUpdate); a hole (bytes never captured) or a malformed
 * message ends the message being read and the next update header is searched for after it. The
 * picture and the decoder's state (VQ codebook, previous frame) carry on across all of that, as they
 * would in a viewer that missed some bytes, so what follows a loss may be drawn on a stale picture.
 */
export async function replayBmcStream(
  stream: BmcStream,
  opts: ReplayOptions,
  onEvent: (e: ReplayEvent, fb: Framebuffer) => void | Promise<void>,
): Promise<ReplayResult> {
  const s = new AtenServerStream({
    startWith: stream.startsWithBanner ? 'handshake' : 'messages',
    ...(opts.mouseInfoBodyBytes ? { mouseInfoBodyBytes: opts.mouseInfoBodyBytes } : {}),
    ...(opts.headerByte1 ? { headerByte1: opts.headerByte1 } : {}),
  });
  const data = stream.data;
  const holes = new Map(stream.holes.map((h) => [h.offset, h.missingBytes]));
  let syncing = !stream.startsWithBanner;
  let incomplete = false; // a capture that starts mid-session loses nothing it could have shown
  // Data offset minus the stream's own position: constant while it reads one contiguous run.
  let delta = 0;
  let skipFrom = syncing ? 0 : Infinity;
  const finish = (): ReplayResult => ({ fb: s.fb, updates: s.updates, unfinishedBytes: s.pending, incomplete: incomplete || stream.holes.length > 0 });
  const started = performance.now();

  for (const c of stream.chunks) {
    const missing = holes.get(c.offset);
    if (missing !== undefined) {
      await onEvent({ type: 'hole', timeUs: c.timeUs, offset: c.offset, missingBytes: missing }, s.fb);
      incomplete = true;
      syncing = true;
      skipFrom = Math.min(skipFrom, c.offset);
    }
    if (opts.speed === 'original') {
      const wait = c.timeUs / 1000 - (performance.now() - started);
      if (wait > 1) await sleep(wait);
    }
    let pos = c.offset;
    const end = c.offset + c.length;
    while (pos < end) {
      if (syncing) {
        skipFrom = Math.min(skipFrom, pos);
        const next = findAtenUpdate(data, pos);
        if (next < 0) {
          incomplete ||= data.length > skipFrom;
          await onEvent({ type: 'lost-sync', timeUs: c.timeUs, offset: skipFrom, skipped: data.length - skipFrom }, s.fb);
          return finish();
        }
        if (next >= end) {
          pos = end; // no update starts in this piece: the search goes on in the next one
          continue;
        }
        if (next > skipFrom || s.pending > 0 || s.inHandshake)
          await onEvent({ type: 'resync', timeUs: c.timeUs, offset: next, skipped: next - skipFrom }, s.fb);
        s.restart();
        delta = next - s.position;
        pos = next;
        syncing = false;
        skipFrom = Infinity;
      }
      const events = s.push(data.subarray(pos, end));
      pos = end;
      for (const e of events) {
        if (e.type === 'error') {
          // The bad message's start; the search for the next update begins one byte after it.
          const offset = e.position + delta;
          await onEvent({ type: 'stream-error', timeUs: c.timeUs, offset, error: e.error }, s.fb);
          incomplete = true;
          syncing = true;
          pos = offset + 1; // may lie in an earlier piece: the search reads the whole stream
          skipFrom = offset;
          break;
        }
        if (e.type === 'update') drawNoSignalIfBlank(e.update, s.fb);
        await onEvent({ ...e, timeUs: c.timeUs }, s.fb);
      }
    }
  }
  return finish();
}

/** As the source does: an update that says "no signal" and draws nothing shows NO SIGNAL. */
function drawNoSignalIfBlank(u: AtenUpdateReport, fb: Framebuffer): void {
  if (u.noSignal && u.rects.length === 0) drawNoSignal({ fb, damage: () => {} });
}
