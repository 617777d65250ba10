import { Framebuffer, type Rect } from '../../../protocols/rfb/framebuffer.js';
import type { SourceSink } from '../../../src/sources/types.js';

/** A Session stand-in for driving a Source alone: records what the source reports. */
export class FakeSink implements SourceSink {
  readonly fb = new Framebuffer(640, 480);
  readonly events: string[] = [];
  damaged: Rect[] = [];
  updates = 0;
  /** The error given to failed(). */
  error: Error | undefined;
  /** Every error given to reconnecting() or failed(), in order. */
  readonly errors: Error[] = [];
  connected(info: { width: number; height: number }): void {
    this.events.push(`connected ${info.width}x${info.height}`);
  }
  resized(w: number, h: number): void {
    this.events.push(`resized ${w}x${h}`);
  }
  damage(r: Rect): void {
    this.damaged.push(r);
  }
  copy(): void {}
  updateEnd(): void {
    this.updates++;
  }
  cursor(): void {}
  bell(): void {}
  clipboard(): void {}
  reconnecting(err: Error): void {
    this.errors.push(err);
    this.events.push(`reconnecting ${err.message}`);
  }
  failed(err: Error): void {
    this.error = err;
    this.errors.push(err);
    this.events.push(`failed ${(err as { code?: string }).code}`);
  }
}
