import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ServerConfig } from '../../../../src/config/types.js';
import { Session, type SessionViewer } from '../../../../src/session/session.js';
import type { Source } from '../../../../src/sources/types.js';

/**
 * The "no viewer" clock against opens in progress (the 30-minute soak's lost viewers: a join during
 * the countdown got a URL to a session that ended moments later). Only the session's clocks are under
 * test here, so the BMC side is a source that never connects.
 */
const idleSource = (): Source => ({ kind: 'test', start() {}, input() {}, close() {} });

function session(ended: string[]): Session {
  return new Session({
    server: { id: 'srv' } as ServerConfig,
    source: idleSource(),
    log: pino({ level: 'silent' }),
    limits: { idleTimeoutMs: 5_000, inputIdleTimeoutMs: 0, inputIdleWarningMs: 0, maxLifetimeMs: 0 },
    hooks: { ended: (_s, code) => ended.push(code) },
  });
}

const viewer = (): SessionViewer => ({ id: 'v1', viewOnly: false, damage: { reset() {}, addAll() {} }, end() {}, state() {} }) as unknown as SessionViewer;

describe('Session idle end and opens in progress', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('without a viewer the session ends after idleTimeout', () => {
    const ended: string[] = [];
    session(ended);
    vi.advanceTimersByTime(5_001);
    expect(ended).toEqual(['idle']);
  });

  it('an open in progress holds the idle end, however long it waits; on release the URL gets the whole timeout', () => {
    const ended: string[] = [];
    const s = session(ended);
    vi.advanceTimersByTime(4_900); // the last viewer left 4.9 s ago: a join arrives
    const release = s.holdForViewer();
    vi.advanceTimersByTime(60_000); // a slow BMC: ready() takes a minute
    expect(ended).toEqual([]);
    release();
    vi.advanceTimersByTime(4_900);
    expect(ended).toEqual([]); // the issued URL still has 0.1 s
    s.attach(viewer());
    vi.advanceTimersByTime(60_000);
    expect(ended).toEqual([]);
    expect(s.state).not.toBe('ended');
  });

  it('two opens: the countdown starts when the last one is done; a release twice counts once; an unused URL still ends it', () => {
    const ended: string[] = [];
    const s = session(ended);
    const a = s.holdForViewer();
    const b = s.holdForViewer();
    a();
    a();
    vi.advanceTimersByTime(10_000);
    expect(ended).toEqual([]);
    b();
    vi.advanceTimersByTime(5_001);
    expect(ended).toEqual(['idle']);
  });
});
