import { afterEach, describe, expect, it, vi } from 'vitest';
import type { PowerReading } from '../../../../src/api/api-types.js';
import { PowerPoller } from '../../../../src/api/fleet/power-poller.js';
import { GatewayError } from '../../../../src/errors.js';

// Fake timers: the rate bound is a property of the schedule, not of the machine's speed.
afterEach(() => {
  vi.useRealTimers();
});

function poller(ids: string[], read: (id: string) => Promise<{ power: 'on' | 'off' }>, onReading = (_r: PowerReading): void => {}) {
  const readings: PowerReading[] = [];
  const errors: unknown[] = [];
  const p = new PowerPoller({
    serverIds: ids,
    read,
    onReading: (r) => {
      readings.push(r);
      onReading(r);
    },
    onError: (err) => errors.push(err),
    refreshMs: 60_000,
    readsPerSecond: 2,
    concurrency: 2,
  });
  return { p, readings, errors };
}

describe('PowerPoller', () => {
  it('hands the error of a throwing listener to onError (no unhandled rejection) and goes on reading', async () => {
    vi.useFakeTimers();
    const { p, readings, errors } = poller(
      ['a', 'b', 'c'],
      async () => ({ power: 'on' }),
      (r) => {
        if (r.serverId === 'a') throw new Error('listener broke');
      },
    );
    p.start();
    await vi.advanceTimersByTimeAsync(3000);
    p.stop();
    expect(errors.map((e) => (e as Error).message)).toEqual(['listener broke']);
    expect(readings.map((r) => r.serverId).sort()).toEqual(['a', 'b', 'c']);
  });

  it('starts at most readsPerSecond reads a second and never more than `concurrency` at once, oldest first', async () => {
    vi.useFakeTimers();
    const started: { id: string; at: number }[] = [];
    let inFlight = 0;
    let maxInFlight = 0;
    const { p, readings } = poller(
      Array.from({ length: 10 }, (_, i) => `s${i}`),
      async (id) => {
        started.push({ id, at: Date.now() });
        maxInFlight = Math.max(maxInFlight, ++inFlight);
        await new Promise((r) => setTimeout(r, 1200)); // a slow BMC
        inFlight--;
        return { power: 'on' };
      },
    );
    const t0 = Date.now();
    p.start();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(maxInFlight).toBe(2);
    for (let s = 0; s < 10; s++) expect(started.filter((x) => x.at >= t0 + s * 1000 && x.at < t0 + (s + 1) * 1000).length).toBeLessThanOrEqual(2);
    expect(new Set(started.map((x) => x.id)).size).toBe(started.length); // nobody read twice before all were read once
    expect(readings.length).toBeGreaterThan(4);
    p.stop();
  });

  it('reads nothing while stopped, and re-reads a server soon after an action', async () => {
    vi.useFakeTimers();
    const reads: string[] = [];
    const { p } = poller(['a', 'b'], async (id) => {
      reads.push(id);
      return { power: 'off' };
    });
    await vi.advanceTimersByTimeAsync(5000);
    expect(reads).toEqual([]);
    p.start();
    await vi.advanceTimersByTimeAsync(2000);
    expect(reads.sort()).toEqual(['a', 'b']);
    p.soon('b', 1500);
    p.soon('not-a-power-server', 0);
    await vi.advanceTimersByTimeAsync(2000);
    expect(reads).toEqual(['a', 'b', 'b']);
    p.stop();
    p.soon('a', 0);
    await vi.advanceTimersByTimeAsync(5000);
    expect(reads).toHaveLength(3);
  });

  it('keeps a failed read as a reading with the API error, and a reading noted from elsewhere', async () => {
    vi.useFakeTimers();
    const { p, readings } = poller(['a'], async () => {
      throw new GatewayError('GW_ERR_BMC_UNREACHABLE', 'no answer');
    });
    p.start();
    await vi.advanceTimersByTimeAsync(1000);
    expect(readings[0]).toMatchObject({ serverId: 'a', power: null, error: { code: 'GW_ERR_BMC_UNREACHABLE', message: 'no answer' } });
    p.note({ serverId: 'a', power: 'on', at: new Date().toISOString() });
    expect(p.readings()).toEqual([expect.objectContaining({ serverId: 'a', power: 'on' })]);
    p.stop();
  });
});
