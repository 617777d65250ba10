import { describe, expect, it } from 'vitest';
import { IdempotencyCache } from '../../../../src/dispatch/idempotency-cache.js';

describe('IdempotencyCache', () => {
  it('runs a request once and answers a duplicate with the first result, also while it still runs', async () => {
    const c = new IdempotencyCache<number>({ max: 10, ttlMs: 1000 });
    let runs = 0;
    let release!: (v: number) => void;
    const first = c.run('a', () => {
      runs++;
      return new Promise<number>((r) => (release = r));
    });
    const second = c.run('a', async () => {
      runs++;
      return 2;
    });
    expect(first.duplicate).toBe(false);
    expect(second.duplicate).toBe(true);
    release(1);
    expect(await second.value).toBe(1);
    expect(runs).toBe(1);
  });

  it('forgets after the TTL, and keeps at most `max` ids (oldest go first)', async () => {
    let now = 0;
    const c = new IdempotencyCache<string>({ max: 2, ttlMs: 100, now: () => now });
    c.run('a', async () => 'a1');
    now = 50;
    c.run('b', async () => 'b1');
    now = 120; // a expired, b not
    expect(c.run('a', async () => 'a2').duplicate).toBe(false);
    expect(c.run('b', async () => 'b2').duplicate).toBe(true);
    c.run('c', async () => 'c1'); // over max: the oldest (b) goes
    expect(c.size).toBe(2);
    expect(c.run('b', async () => 'b3').duplicate).toBe(false);
  });
});
