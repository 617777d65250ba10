import { Framebuffer } from '../../protocols/rfb/framebuffer.js';
import type { SourceSink } from '../../src/sources/types.js';

/** A sink that records what the Session would be told: `connected WxH`, `resized WxH`, `reconnecting …`, `failed CODE`. */
export function recordingSink(width = 640, height = 480): SourceSink & { events: string[]; error: Error | undefined } {
  const events: string[] = [];
  const s = {
    fb: new Framebuffer(width, height),
    events,
    error: undefined as Error | undefined,
    connected: (i: { width: number; height: number }) => void events.push(`connected ${i.width}x${i.height}`),
    resized: (w: number, h: number) => void events.push(`resized ${w}x${h}`),
    damage: () => {},
    copy: () => {},
    updateEnd: () => {},
    cursor: () => {},
    bell: () => {},
    clipboard: () => {},
    reconnecting: (e: Error) => void events.push(`reconnecting ${e.message}`),
    failed: (e: Error) => {
      s.error = e;
      events.push(`failed ${(e as { code?: string }).code}`);
    },
  };
  return s;
}
