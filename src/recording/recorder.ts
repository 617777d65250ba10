import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { FBS_SIGNATURE, encodeFbsBlocks, encodeRfb33ServerPreamble } from '../../protocols/fbs/index.js';
import { Encoding, RGBX_PIXEL_FORMAT } from '../../protocols/rfb/constants.js';
import { TightEncoder } from '../../protocols/rfb/encodings/tight.js';
import { encodeBell, encodeServerCutText } from '../../protocols/rfb/server-messages.js';
import type { Logger } from '../log.js';
import { Damage } from '../session/damage.js';
import type { Session, SessionState, SessionViewer } from '../session/session.js';
import type { CursorShape, InputEvent } from '../sources/types.js';
import { buildUpdate } from '../viewer/update-builder.js';
import { AppendFile } from './append-file.js';

/**
 * What the recording "viewer" claims to understand. Tight (lossless here: our encoder never uses
 * JPEG) keeps files small; CopyRect, DesktopSize and Cursor let the file say what a browser saw.
 */
const CAPS = { encodings: new Set<number>([Encoding.Tight, Encoding.CopyRect, Encoding.DesktopSize, Encoding.Cursor]) };
const ENCODER = new TightEncoder();

/** A recording's id: `<server>_<UTC start, compact ISO>_<random>`; also its file names' stem. */
export function newRecordingId(serverId: string, now: Date): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `${serverId}_${stamp}_${randomBytes(4).toString('hex')}`;
}

/** `<id>.live` while a recording runs; renamed to `<id>.cut` when the gateway died before it stopped. */
export const LIVE_MARKER = '.live';
export const CUT_MARKER = '.cut';

/** Recording ids as file names: what newRecordingId makes (server ids are [A-Za-z0-9._:-]). */
export const RECORDING_ID = /^[A-Za-z0-9._:-]{1,128}_\d{8}T\d{6}Z_[0-9a-f]{8}$/;

/**
 * Records one Session to `<dir>/<id>.fbs` (FBS 001.000: what viewers were shown, re-encoded from
 * the shadow framebuffer, so every source — VNC, ATEN — records the same way) and its viewers'
 * input to `<dir>/<id>.input.jsonl`.
 *
 * It is a passive viewer: it gets damage like a browser and pulls like one — a new update is
 * encoded only once the previous one has been written, so a slow disk coalesces frames instead of
 * queueing them (bounded memory), exactly as a slow browser does. A write error (disk full…) stops
 * the recording with one logged error; the session is never touched.
 */
export class Recorder implements SessionViewer {
  readonly id: string;
  readonly viewOnly = true;
  readonly damage = new Damage(1, 1);
  readonly startedAt = Date.now();
  /** Block timestamps come from the monotonic clock, so a wall-clock step cannot reorder them. */
  readonly #t0 = performance.now();
  readonly #session: Session;
  readonly #log: Logger;
  readonly #fbs: AppendFile;
  readonly #input: AppendFile;
  #started = false;
  #stopped = false;
  #resizePending = false;
  #cursorPending: CursorShape | undefined;
  #removed = false;
  #liveMarker: string | undefined;

  /** `openFile` is for tests (e.g. a file on /dev/full); by default a new file in `dir`. */
  constructor(opts: { session: Session; dir: string; log: Logger; openFile?: (path: string, onError: (err: Error) => void) => AppendFile }) {
    this.#session = opts.session;
    this.id = newRecordingId(opts.session.server.id, new Date(this.startedAt));
    this.#log = opts.log.child({ recording: this.id, session: opts.session.id });
    const onError = (which: string) => (err: Error) => this.#failed(which, err);
    const open = opts.openFile ?? ((path, cb) => new AppendFile(path, { onError: cb }));
    this.#fbs = open(join(opts.dir, `${this.id}.fbs`), onError('fbs'));
    this.#input = open(join(opts.dir, `${this.id}.input.jsonl`), onError('input'));
    this.#fbs.onDrain = () => this.#pump();
    // Present while the recording runs, removed when it stops: one left at the next start means the
    // gateway died with the recording open (see recoverCutShort).
    this.#liveMarker = join(opts.dir, `${this.id}${LIVE_MARKER}`);
    try {
      writeFileSync(this.#liveMarker, JSON.stringify({ session: opts.session.id, startedAt: new Date(this.startedAt).toISOString() }), { mode: 0o600 });
    } catch {
      this.#liveMarker = undefined; // e.g. a test's /dev/full; the recording itself decides
    }
    this.#log.info({ event: 'recording-start', file: this.#fbs.path }, 'recording started');
  }

  /** True once the recording has stopped (session end or a write error). */
  get stopped(): boolean {
    return this.#stopped;
  }

  get bytesWritten(): number {
    return this.#fbs.bytesWritten;
  }

  frame(): void {
    this.#pump();
  }

  resized(): void {
    if (this.#started) this.#resizePending = true;
    this.#pump();
  }

  cursor(shape: CursorShape): void {
    this.#cursorPending = shape;
  }

  bell(): void {
    if (this.#started) this.#write(encodeBell());
  }

  clipboard(text: string): void {
    if (this.#started) this.#write(encodeServerCutText(text));
  }

  state(_state: SessionState, _detail: string | undefined): void {}

  end(reason: string): void {
    void this.stop(reason);
  }

  /** An input event a viewer sent (from the registry's input hook), as one JSON line. */
  input(viewer: SessionViewer, ev: InputEvent): void {
    if (this.#stopped) return;
    const line = { t: Math.round(performance.now() - this.#t0), at: new Date().toISOString(), viewer: viewer.id, ...ev };
    this.#input.append(Buffer.from(`${JSON.stringify(line)}\n`, 'utf8'));
  }

  /** Flushes, fsyncs and closes both files. */
  async stop(reason: string): Promise<void> {
    if (!this.#stopped) {
      this.#stopped = true;
      this.#session.detach(this);
      // What changed since the last written update is the end of the story: write it too.
      if (this.#started && !this.#fbs.failed) {
        await this.#fbs.idle();
        this.#encodeNext();
      }
      this.#log.info({ event: 'recording-stop', reason, bytes: this.#fbs.bytesWritten }, 'recording stopped');
    }
    await Promise.all([this.#fbs.close(), this.#input.close()]);
    if (this.#liveMarker) await rm(this.#liveMarker, { force: true }).catch(() => undefined);
    // A session that never had a picture (BMC unreachable) leaves no empty recording behind.
    if (!this.#started && this.#fbs.bytesWritten === 0 && this.#input.bytesWritten === 0 && !this.#removed) {
      this.#removed = true;
      await Promise.all([rm(this.#fbs.path, { force: true }), rm(this.#input.path, { force: true })]).catch(() => undefined);
    }
  }

  /** Encodes and writes the next update if the previous one has been written (pull model). */
  #pump(): void {
    if (this.#stopped || !this.#session.hasPicture || this.#fbs.busy) return;
    this.#encodeNext();
  }

  #encodeNext(): void {
    const fb = this.#session.fb;
    if (!this.#started) {
      this.#started = true;
      // The file starts like a 3.3 server talking to a client (vnc-reflector's layout).
      this.#fbs.append(FBS_SIGNATURE);
      this.#write(encodeRfb33ServerPreamble({ width: fb.width, height: fb.height, pixelFormat: RGBX_PIXEL_FORMAT, name: this.#session.name }));
      this.damage.reset(fb.width, fb.height);
      this.damage.addAll();
      this.#resizePending = false;
    }
    const msg = buildUpdate({
      fb,
      damage: this.damage,
      caps: CAPS,
      pf: RGBX_PIXEL_FORMAT,
      encoder: ENCODER,
      resize: this.#resizePending,
      cursor: this.#cursorPending,
    });
    this.#resizePending = false;
    this.#cursorPending = undefined;
    if (msg) this.#write(msg);
  }

  #write(data: Buffer): void {
    for (const block of encodeFbsBlocks(data, Math.round(performance.now() - this.#t0))) this.#fbs.append(block);
  }

  #failed(which: string, err: Error): void {
    this.#log.error(
      { event: 'recording-failed', file: which, err: err.message, code: (err as NodeJS.ErrnoException).code },
      'recording stopped by a write error; the session goes on',
    );
    void this.stop(`write error: ${err.message}`);
  }
}
