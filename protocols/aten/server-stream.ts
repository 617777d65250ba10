import { AtenError, ProtocolError } from '../errors.js';
import { Framebuffer, type Rect } from '../rfb/framebuffer.js';
import type { Ast2100FrameResult, Ast2100HeaderByte1 } from './ast2100/decoder.js';
import { AtenEncoding } from './constants.js';
import { AtenClientHandshake, type AtenServerInit } from './handshake.js';
import type { HermonResult } from './hermon.js';
import { AtenServerMessageReader, type AtenServerMessage } from './server-messages.js';
import { AtenVideoDecoder } from './video-decoder.js';

/** How one video rectangle of an update decoded. */
export interface AtenRectReport {
  encoding: number;
  width: number;
  height: number;
  dataBytes: number;
  ast2100?: Ast2100FrameResult;
  hermon?: HermonResult;
  error?: AtenError;
  /**
   * Decoded without error; for AST2100 also ended at its end-of-frame code with nothing but zero
   * padding after it (a frame with data after its end code was cut or misread).
   */
  clean: boolean;
}

export interface AtenUpdateReport {
  /** 1 for the session's first FramebufferUpdate. */
  index: number;
  /** The message's length on the wire. */
  bytes: number;
  rects: AtenRectReport[];
  /** A no-signal sentinel (or an empty AST2100 rectangle) was in it: the host shows no picture. */
  noSignal: boolean;
  /** The screen size changed with it (also true for the first picture of the session). */
  resized: boolean;
  width: number;
  height: number;
  /** Areas drawn (the whole screen after a resize). */
  changed: Rect[];
  clean: boolean;
}

/** `end`: the stream position just after the handshake or message (see `position`). */
export type AtenStreamEvent =
  | { type: 'server-init'; serverInit: AtenServerInit; end: number }
  | { type: 'update'; update: AtenUpdateReport; end: number }
  | { type: 'message'; message: Exclude<AtenServerMessage, { type: 'framebuffer-update' }>; end: number }
  /**
   * A malformed handshake or message at `position` (see `position`). Always the last event of a
   * push; the stream reads nothing more until `restart()`.
   */
  | { type: 'error'; error: ProtocolError; position: number };

export interface AtenServerStreamOptions {
  /** 'handshake' (default): the stream starts with the server's banner. 'messages': after the ServerInit (a capture that started mid-stream, or after a resync). */
  startWith?: 'handshake' | 'messages';
  mouseInfoBodyBytes?: 2 | 3;
  headerByte1?: Ast2100HeaderByte1;
}

/**
 * Decodes what an ATEN BMC sent to its client — the server → client half of a session, e.g. from a
 * capture — the way our source would have: the handshake (only its server side: it needs no
 * client), then every message, with every video rectangle drawn into one framebuffer by one
 * AtenVideoDecoder, so AST2100 deltas land on the previous picture and the VQ codebook carries over.
 * Incremental: push chunks of any size.
 *
 * A rectangle that fails to decode is reported in its update (its bytes were consumed whole, so the
 * stream stays aligned, as in AtenSource). A malformed handshake or message ends the push with an
 * `error` event (every message before it is delivered): ATEN messages have no length, so the caller
 * must find the next update (resync.ts), `restart()` and push from there; the picture and the
 * decoder's state are kept. Nothing is thrown for bad input.
 */
export class AtenServerStream {
  readonly fb = new Framebuffer(1, 1);
  readonly #video: AtenVideoDecoder;
  readonly #mouseInfo: 2 | 3;
  #handshake: AtenClientHandshake | undefined;
  #reader: AtenServerMessageReader;
  #updates = 0;
  #pushed = 0;
  #sawPicture = false;
  #failed = false;

  constructor(options: AtenServerStreamOptions = {}) {
    this.#mouseInfo = options.mouseInfoBodyBytes ?? 2;
    this.#video = new AtenVideoDecoder({ ast2100: { headerByte1: options.headerByte1 ?? 'chroma' } });
    this.#reader = new AtenServerMessageReader({ mouseInfoBodyBytes: this.#mouseInfo });
    // Only the server's bytes are seen, so the credentials are placeholders that are never sent anywhere.
    if ((options.startWith ?? 'handshake') === 'handshake') this.#handshake = new AtenClientHandshake({ username: '', password: '' });
  }

  /** FramebufferUpdates decoded so far. */
  get updates(): number {
    return this.#updates;
  }

  /** Bytes of an unfinished message (or of the unfinished handshake) waiting for more input. */
  get pending(): number {
    return this.#handshake ? this.#pushed : this.#reader.buffered;
  }

  /** True while the handshake is being read. */
  get inHandshake(): boolean {
    return this.#handshake !== undefined;
  }

  /**
   * Where, in the bytes pushed since construction, the message being read starts: everything before
   * it was consumed by whole messages (or the handshake). 0 during the handshake. After an error
   * event, where the malformed message starts.
   */
  get position(): number {
    return this.#handshake ? 0 : this.#pushed - this.#reader.buffered;
  }

  /** Keeps a reference to `chunk` until it is consumed. */
  push(chunk: Uint8Array): AtenStreamEvent[] {
    const events: AtenStreamEvent[] = [];
    if (this.#failed) return events;
    this.#pushed += chunk.length;
    let rest: Uint8Array | undefined = chunk;
    try {
      if (this.#handshake) {
        const step = this.#handshake.receive(chunk);
        if (!step.serverInit) return events;
        this.#handshake = undefined;
        // The placeholder size (often portrait 480x640) until the first rectangle brings the screen's.
        this.fb.resize(Math.max(1, step.serverInit.width), Math.max(1, step.serverInit.height));
        events.push({ type: 'server-init', serverInit: step.serverInit, end: this.#pushed - (step.rest?.length ?? 0) });
        rest = step.rest;
      }
      if (rest?.length) this.#reader.write(rest);
      for (let m = this.#reader.next(); m; m = this.#reader.next()) events.push(this.#handle(m, this.position));
    } catch (e) {
      if (!(e instanceof ProtocolError)) throw e;
      this.#failed = true;
      events.push({ type: 'error', error: e, position: this.position });
    }
    return events;
  }

  /**
   * Forgets the unfinished message and reads the next bytes pushed as the start of a new message
   * (after a hole or an error, once the caller found the next update with findAtenUpdate).
   */
  restart(): void {
    this.#failed = false;
    this.#handshake = undefined;
    this.#reader = new AtenServerMessageReader({ mouseInfoBodyBytes: this.#mouseInfo });
  }

  #handle(m: AtenServerMessage, end: number): AtenStreamEvent {
    if (m.type !== 'framebuffer-update') return { type: 'message', message: m, end };
    const rects: AtenRectReport[] = [];
    let resized = false;
    let changed: Rect[] = [];
    for (const rect of m.rects) {
      const report: AtenRectReport = { encoding: rect.encoding, width: rect.width, height: rect.height, dataBytes: rect.data.length, clean: false };
      const sized = this.fb.width === rect.width && this.fb.height === rect.height;
      try {
        const r = this.#video.decodeRect(rect, this.fb);
        if (r.encoding === 'ast2100') {
          report.ast2100 = r.ast2100;
          report.clean = r.ast2100.endedExactly;
        } else {
          report.hermon = r.hermon;
          report.clean = true;
        }
        if (r.resized || !this.#sawPicture) resized = true;
        changed = changed.concat(r.changed);
      } catch (e) {
        if (!(e instanceof AtenError)) throw e;
        report.error = e;
        // What the decoder drew before failing is on the screen: all of it may have changed.
        if (rect.encoding === AtenEncoding.Ast2100) report.ast2100 = this.#video.lastAst2100Result;
        changed = [{ x: 0, y: 0, width: this.fb.width, height: this.fb.height }];
        if (!sized) resized = true;
      }
      this.#sawPicture = true;
      rects.push(report);
    }
    if (resized) changed = [{ x: 0, y: 0, width: this.fb.width, height: this.fb.height }];
    this.#updates++;
    return {
      type: 'update',
      end,
      update: {
        index: this.#updates,
        bytes: m.bytes,
        rects,
        noSignal: m.noSignal,
        resized,
        width: this.fb.width,
        height: this.fb.height,
        changed,
        clean: rects.every((r) => r.clean),
      },
    };
  }
}
