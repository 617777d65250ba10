import { createReadStream } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { FbsError } from '../../protocols/errors.js';
import { FbsReader } from '../../protocols/fbs/index.js';

export interface PlayOptions {
  /** The .fbs file. */
  path: string;
  /** 1 = original timing, 4 = four times as fast, Infinity = as fast as `send` accepts. */
  speed: number;
  /** Blocks before this recording time are sent at once (seek); pacing starts from here. */
  startAtMs?: number;
  /** Sends one block's data; resolves when the peer can take more (backpressure). */
  send(data: Buffer, timestampMs: number): Promise<void> | void;
  signal: AbortSignal;
}

export interface PlayResult {
  blocks: number;
  bytes: number;
  /** Timestamp of the last block played. */
  lastMs: number;
  /** Why the file stopped early (truncated by a crash, corrupt), when it did. */
  error: FbsError | undefined;
  aborted: boolean;
}

/**
 * Plays a recording's RFB stream to a peer: reads the file incrementally (never whole into
 * memory), paces blocks by their timestamps divided by `speed`, and waits for `send` to resolve
 * before the next block, so a slow peer slows the replay instead of growing a queue.
 * A truncated file plays up to its last whole block, then reports the FbsError.
 */
export async function playFbs(o: PlayOptions): Promise<PlayResult> {
  const reader = new FbsReader();
  const res: PlayResult = { blocks: 0, bytes: 0, lastMs: 0, error: undefined, aborted: false };
  const startAt = o.startAtMs ?? 0;
  let t0: number | undefined;
  const stream = createReadStream(o.path, { highWaterMark: 256 * 1024 });
  try {
    for await (const chunk of stream) {
      reader.write(chunk as Buffer);
      for (let b = reader.next(); b; b = reader.next()) {
        if (o.signal.aborted) {
          res.aborted = true;
          return res;
        }
        if (Number.isFinite(o.speed) && b.timestampMs >= startAt) {
          t0 ??= performance.now();
          const due = t0 + (b.timestampMs - startAt) / o.speed;
          const wait = due - performance.now();
          if (wait > 1) await sleep(wait, undefined, { signal: o.signal });
        }
        await o.send(Buffer.from(b.data), b.timestampMs);
        res.blocks++;
        res.bytes += b.data.length;
        res.lastMs = b.timestampMs;
      }
    }
    reader.end();
  } catch (err) {
    if (err instanceof FbsError) res.error = err;
    else if ((err as Error).name === 'AbortError' || o.signal.aborted) res.aborted = true;
    else throw err;
  } finally {
    stream.destroy();
  }
  return res;
}

/** Duration and size of a recording, by reading its block headers (the whole file is read, not kept). */
export async function scanFbs(path: string): Promise<{ durationMs: number; blocks: number; error: FbsError | undefined }> {
  const ac = new AbortController();
  const r = await playFbs({ path, speed: Infinity, send: () => undefined, signal: ac.signal });
  return { durationMs: r.lastMs, blocks: r.blocks, error: r.error };
}
