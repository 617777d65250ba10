import type { UpstreamUpdate } from '../viewer/relay.js';
import type { Framebuffer, Rect } from '../../protocols/rfb/framebuffer.js';

/** Input events as viewers send them (RFB KeyEvent / PointerEvent / ClientCutText / QEMU extended key). */
export type InputEvent =
  | { type: 'key'; down: boolean; keysym: number; /** XT scancode from QEMU Extended Key Event, when the browser sent one */ scancode?: number }
  | { type: 'pointer'; x: number; y: number; buttonMask: number }
  | { type: 'cut-text'; text: string };

export interface CursorShape {
  hotX: number;
  hotY: number;
  width: number;
  height: number;
  /** RGBX pixels, width*height*4 bytes. */
  rgbx: Buffer;
  /** RFB Cursor bitmask: ceil(width/8) bytes a row. */
  mask: Buffer;
}

/**
 * What a Source reports to its Session. The Source writes pixels into `sink.fb` itself (decoders
 * write straight into the shadow framebuffer) and then says which area changed.
 */
export interface SourceSink {
  readonly fb: Framebuffer;
  /** The Session's id, for sources that name what they create after it (a Java sandbox's label). */
  readonly sessionId?: string;
  /** The BMC connection is up (first time or after a reconnect); fb has been resized to its size. */
  connected(info: { width: number; height: number; name: string }): void;
  /** fb has been resized (DesktopSize / ExtendedDesktopSize / ATEN resolution change). */
  resized(width: number, height: number): void;
  /** `encoding` is the RFB encoding the area arrived in, for statistics. */
  damage(rect: Rect, encoding?: number): void;
  copy(srcX: number, srcY: number, dst: Rect): void;
  /** The source asked the BMC for a whole-screen (non-incremental) update: counted, since viewers joining must not cause one. */
  fullRequest?(): void;
  /** One complete update from the BMC has been applied: a good moment to send viewers what changed. */
  updateEnd(): void;
  /**
   * An RFB source's next update as the BMC sent it, before it is decoded (undefined: one that cannot
   * be relayed; src/viewer/relay.ts), and the Tight streams later data of the same read touches.
   * Returns whether any viewer was sent it; the update's damage then skips those viewers.
   */
  relay?(update: UpstreamUpdate | undefined, restTouched: number): boolean;
  /** An update that relay() sent to viewers then failed to decode. */
  relayFailed?(error: Error): void;
  /**
   * Whether any viewer could be sent the BMC's next update as it comes (it has been shown everything,
   * or holds only relayed updates). When none could, an RFB source decodes without framing and
   * offering each read, and reports the Tight streams the decode touched with streamsMissed().
   */
  relayWanted?(): boolean;
  /** The BMC's Tight streams in `mask` (bit i: stream i) moved on in updates no viewer was sent as they came. */
  streamsMissed?(mask: number): void;
  cursor(shape: CursorShape): void;
  bell(): void;
  clipboard(text: string): void;
  /** The link dropped; the source is trying again (attempt counts from 1). */
  reconnecting(error: Error, attempt: number, delayMs: number): void;
  /** The source gave up for good (first connection failed, or the reconnect budget is spent). */
  failed(error: Error): void;
}

/** An upstream driver for one BMC console (vnc, aten, jnlp). One per Session. */
export interface Source {
  /** What serves the console now (`vnc`, `aten`, `jnlp`); an aten console that fell back to Java says `jnlp`. */
  readonly kind: string;
  /** Set once an `aten` console with `fallback: jnlp` went over to its Java viewer: from what, and why. */
  readonly fallback?: { from: string; code: string; reason: string } | undefined;
  start(sink: SourceSink): void;
  input(event: InputEvent): void;
  close(): void;
}
