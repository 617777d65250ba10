import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ServerConfig } from '../../../../src/config/types.js';
import { Session } from '../../../../src/session/session.js';
import type { Source, SourceSink } from '../../../../src/sources/types.js';

/** Session.firstUpdate (the console page's preview waits on it): a source driven by the test. */
function session(): { s: Session; sink: () => SourceSink } {
  let sink: SourceSink | undefined;
  const source: Source = { kind: 'test', start: (k) => (sink = k), input() {}, close() {} };
  const s = new Session({
    server: { id: 'srv' } as ServerConfig,
    source,
    log: pino({ level: 'silent' }),
    limits: { idleTimeoutMs: 60_000, inputIdleTimeoutMs: 0, inputIdleWarningMs: 0, maxLifetimeMs: 0 },
    hooks: {},
  });
  s.start();
  return { s, sink: () => sink! };
}

describe('Session.firstUpdate', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("resolves when the BMC's first complete update is in, not at its ServerInit", async () => {
    const { s, sink } = session();
    sink().connected({ width: 64, height: 48, name: 'x' });
    let done = false;
    void s.firstUpdate(10_000).then(() => (done = true));
    sink().damage({ x: 0, y: 0, width: 64, height: 48 });
    await vi.advanceTimersByTimeAsync(1);
    expect(done, 'a rectangle is not a whole update').toBe(false);
    sink().updateEnd();
    await vi.advanceTimersByTimeAsync(0);
    expect(done).toBe(true);
    expect(s.updatesIn).toBe(1);
    await expect(s.firstUpdate(10_000)).resolves.toBeUndefined(); // at once from then on
    s.end('test');
  });

  it('gives up after its time, and when the session ends', async () => {
    const { s, sink } = session();
    sink().connected({ width: 64, height: 48, name: 'x' });
    let first = false;
    void s.firstUpdate(500).then(() => (first = true));
    await vi.advanceTimersByTimeAsync(499);
    expect(first).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(first).toBe(true);
    let second = false;
    void s.firstUpdate(60_000).then(() => (second = true));
    s.end('test');
    await vi.advanceTimersByTimeAsync(0);
    expect(second).toBe(true);
    expect(s.updatesIn).toBe(0);
  });
});
