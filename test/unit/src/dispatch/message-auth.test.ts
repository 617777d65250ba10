import { describe, expect, it } from 'vitest';
import { AUTH_HEADERS, MessageVerifier, RejectionReporter, signHeaders, type Delivered, type HmacKey } from '../../../../src/dispatch/message-auth.js';

const K1: HmacKey = { id: 'k1', secret: 'a'.repeat(32) };
const K2: HmacKey = { id: 'k2', secret: 'b'.repeat(32) };
const env = { type: 'bmcgw.request', exchange: 'bmcgw', routingKey: 'location.NL', messageId: 'req-1', correlationId: 'c-1', replyTo: 'amq.gen-1' };
const body = Buffer.from('{"v":1}');

function deliveredWith(headers: Record<string, unknown> | undefined, over: Partial<Delivered> = {}): Delivered {
  return { ...env, headers, redelivered: false, ...over };
}

describe('dispatch message authentication', () => {
  it('accepts a signed message once; refuses unsigned, forged, re-routed, replayed and stale ones', () => {
    let now = 1_000_000;
    const v = new MessageVerifier({ maxAgeMs: 30_000, clockSkewMs: 5_000, now: () => now });
    const h = signHeaders([K1], env, body, now);
    expect(v.verify([K1], deliveredWith(h), body)).toBeUndefined();
    expect(v.verify([K1], deliveredWith(h), body)).toBe('replayed');
    // The broker's redelivery of the same message goes on to the idempotency cache.
    expect(v.verify([K1], deliveredWith(h, { redelivered: true }), body)).toBeUndefined();
    expect(v.verify([K1], deliveredWith(undefined), body)).toBe('unsigned');
    expect(v.verify([K1], deliveredWith({}), body)).toBe('unsigned');
    const fresh = signHeaders([K1], env, body, now);
    expect(v.verify([K1], deliveredWith(fresh), Buffer.from('{"v":2}'))).toBe('forged');
    expect(v.verify([K1], deliveredWith(fresh, { routingKey: 'location.US' }), body)).toBe('forged');
    expect(v.verify([K1], deliveredWith(fresh, { replyTo: 'amq.gen-attacker' }), body)).toBe('forged');
    expect(v.verify([K2], deliveredWith(fresh), body)).toBe('forged');
    expect(v.verify([K1], deliveredWith({ ...fresh, [AUTH_HEADERS.signature]: 'x'.repeat(43) }), body)).toBe('forged');
    expect(v.verify([K1], deliveredWith(signHeaders([K1], env, body, now - 40_000)), body)).toBe('stale');
    expect(v.verify([K1], deliveredWith(signHeaders([K1], env, body, now + 10_000)), body)).toBe('stale');
    // A message signed 30 s ago (it waited in its queue) is still good.
    expect(v.verify([K1], deliveredWith(signHeaders([K1], env, body, now - 30_000)), body)).toBeUndefined();
    // Remembered signatures are forgotten once they would be stale anyway.
    now += 60_000;
    expect(v.verify([K1], deliveredWith(signHeaders([K1], env, body, now)), body)).toBeUndefined();
    expect(v.size).toBe(1);
  });

  it('rotation: a receiver holding both keys takes messages signed with either', () => {
    const v = new MessageVerifier({ maxAgeMs: 30_000, clockSkewMs: 5_000 });
    expect(v.verify([K2, K1], deliveredWith(signHeaders([K1], env, body)), body)).toBeUndefined();
    expect(v.verify([K2, K1], deliveredWith(signHeaders([K2, K1], env, body)), body)).toBeUndefined();
    expect(v.verify([K2], deliveredWith(signHeaders([K1], env, body)), body)).toBe('forged');
  });

  it('a full replay memory refuses everything up to the oldest it forgot (no replay slips through)', () => {
    let now = 1_000_000;
    const v = new MessageVerifier({ maxAgeMs: 30_000, clockSkewMs: 0, maxSeen: 2, now: () => now });
    const first = signHeaders([K1], { ...env, messageId: 'a' }, body, now);
    expect(v.verify([K1], deliveredWith(first, { messageId: 'a' }), body)).toBeUndefined();
    now += 1;
    expect(v.verify([K1], deliveredWith(signHeaders([K1], { ...env, messageId: 'b' }, body, now), { messageId: 'b' }), body)).toBeUndefined();
    now += 1;
    expect(v.verify([K1], deliveredWith(signHeaders([K1], { ...env, messageId: 'c' }, body, now), { messageId: 'c' }), body)).toBeUndefined();
    expect(v.verify([K1], deliveredWith(first, { messageId: 'a' }), body)).toBe('stale');
  });

  it('reports at most once per kind and reason every 10 s, with the count; counts every one', () => {
    let now = 0;
    const counted: string[] = [];
    const reported: string[] = [];
    const r = new RejectionReporter({
      now: () => now,
      count: (k, why) => counted.push(`${k}/${why}`),
      report: (k, why, n) => reported.push(`${k}/${why}x${n}`),
    });
    for (let i = 0; i < 5; i++) r.rejected('request', 'forged');
    r.rejected('reply', 'unsigned');
    now = 10_000;
    r.rejected('request', 'forged');
    expect(counted).toHaveLength(7);
    expect(reported).toEqual(['request/forgedx1', 'reply/unsignedx1', 'request/forgedx5']);
  });
});
