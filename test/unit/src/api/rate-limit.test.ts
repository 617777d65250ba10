import { describe, expect, it } from 'vitest';
import { AuthRateLimiter, FailureCounter } from '../../../../src/api/rate-limit.js';

describe('FailureCounter', () => {
  it('allows `failures` at once, then one every window/failures; bounded', () => {
    let now = 1_000_000;
    const c = new FailureCounter({ failures: 3, windowMs: 30_000 }, 2, () => now);
    expect([c.fail('a'), c.fail('a')]).toEqual([false, false]);
    expect(c.blockedFor('a')).toBe(0);
    expect(c.fail('a')).toBe(true);
    expect(c.blockedFor('a')).toBe(10_000);
    now += 10_000;
    expect(c.blockedFor('a')).toBe(0);
    expect(c.fail('a')).toBe(true);
    now += 30_000;
    expect(c.blockedFor('a')).toBe(0);
    c.fail('b');
    c.fail('c');
    expect(c.size).toBe(2);
  });
});

describe('AuthRateLimiter', () => {
  it('blocks an address with 429 + Retry-After, and a token on wrong PINs; success clears only the token', () => {
    let now = 0;
    const l = new AuthRateLimiter({ perAddress: { failures: 2, windowMs: 60_000 }, perToken: { failures: 2, windowMs: 120_000 }, maxTracked: 100 }, () => now);
    expect(l.fail('192.0.2.1', undefined)).toEqual([]);
    expect(l.fail('192.0.2.1', undefined)).toEqual(['address']);
    const err = (() => {
      try {
        l.checkAddress('192.0.2.1');
      } catch (e) {
        return e as { code: string; status: number; headers: Record<string, string> };
      }
      return undefined;
    })();
    expect(err).toMatchObject({ code: 'GW_ERR_RATE_LIMITED', status: 429, headers: { 'retry-after': '30' } });
    expect(() => l.checkAddress('192.0.2.2')).not.toThrow();
    // Wrong PINs from many addresses still add up on the token.
    l.fail('198.51.100.1', 'token#0');
    l.fail('198.51.100.2', 'token#0');
    expect(() => l.checkToken('token#0')).toThrow(/wrong PINs/);
    now += 60_000;
    expect(() => l.checkToken('token#0')).not.toThrow();
    l.succeeded('token#0');
    expect(() => l.checkToken('token#0')).not.toThrow();
    // IPv6: one /64 is one client.
    l.fail('2001:db8::1', undefined);
    l.fail('2001:db8::2', undefined);
    expect(() => l.checkAddress('2001:db8::ffff')).toThrow(/this address/);
  });
});
