import type { SourceSink } from './types.js';

/**
 * A sink that passes everything on to `sink` except what `overrides` replaces: how a source that
 * runs another source (the Java source its RFB client, the fallback its native path) watches the
 * moments it cares about.
 */
export function forwardingSink(sink: SourceSink, overrides: Partial<Pick<SourceSink, 'connected' | 'failed'>>): SourceSink {
  return {
    ...(sink.sessionId !== undefined ? { sessionId: sink.sessionId } : {}),
    fb: sink.fb,
    connected: overrides.connected ?? ((info) => sink.connected(info)),
    resized: (w, h) => sink.resized(w, h),
    damage: (rect, encoding) => sink.damage(rect, encoding),
    copy: (x, y, dst) => sink.copy(x, y, dst),
    fullRequest: () => sink.fullRequest?.(),
    updateEnd: () => sink.updateEnd(),
    cursor: (shape) => sink.cursor(shape),
    bell: () => sink.bell(),
    clipboard: (text) => sink.clipboard(text),
    reconnecting: (err, attempt, delayMs) => sink.reconnecting(err, attempt, delayMs),
    failed: overrides.failed ?? ((err) => sink.failed(err)),
  };
}
