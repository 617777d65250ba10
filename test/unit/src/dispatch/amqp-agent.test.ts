import { describe, expect, it } from 'vitest';
import { parseRequest, rebuildPrincipal } from '../../../../src/dispatch/amqp-agent.js';

const good = {
  v: 1,
  id: 'r1',
  deadline: 1,
  principal: { kind: 'token', name: 'panel', servers: ['a'] },
  call: { type: 'eq', action: 'novnc', fields: { id: 'a' } },
};
const buf = (o: unknown) => Buffer.from(JSON.stringify(o));

describe('agent: request messages', () => {
  it('accepts every call type and rebuilds the principal from the message', () => {
    expect(parseRequest(buf(good)).call).toEqual(good.call);
    for (const call of [
      { type: 'open', serverId: 'a', viewOnly: false },
      { type: 'open', serverId: 'a', viewOnly: true, closeUrl: null },
      { type: 'list' },
      { type: 'get', sessionId: 'x~1' },
      { type: 'end', sessionId: '1' },
    ]) {
      expect(() => parseRequest(buf({ ...good, call }))).not.toThrow();
    }
    const p = rebuildPrincipal({ kind: 'token', name: 'panel', servers: ['a'] });
    expect([p.mayOpen('a'), p.mayOpen('b'), p.name, p.kind]).toEqual([true, false, 'panel', 'token']);
    expect(rebuildPrincipal({ kind: 'operator', name: 'ops', servers: '*' }).mayOpen('anything')).toBe(true);
  });

  it('refuses malformed messages with an Error (never a TypeError from a missing field)', () => {
    const bad: unknown[] = [
      null,
      1,
      'x',
      {},
      { ...good, v: 2 },
      { ...good, id: 1 },
      { ...good, principal: null },
      { ...good, principal: { kind: 'admin', name: 'x', servers: [] } },
      { ...good, principal: { kind: 'token', name: 'x', servers: [1] } },
      { ...good, call: null },
      { ...good, call: { type: 'eq', action: 'novnc', fields: { id: 1 } } },
      { ...good, call: { type: 'eq', action: 'novnc' } },
      { ...good, call: { type: 'open', serverId: 'a' } },
      { ...good, call: { type: 'get' } },
      { ...good, call: { type: 'shell', cmd: 'rm' } },
    ];
    for (const b of bad) {
      let err: unknown;
      try {
        parseRequest(buf(b));
      } catch (e) {
        err = e;
      }
      expect(err, JSON.stringify(b)).toBeInstanceOf(Error);
      expect(err, JSON.stringify(b)).not.toBeInstanceOf(TypeError);
    }
    expect(() => parseRequest(Buffer.from('{'))).toThrow(SyntaxError);
    expect(() => parseRequest(Buffer.alloc(300 * 1024, 0x20))).toThrow(/256 KiB/);
  });
});

describe('agent: fuzzed request messages', () => {
  it('mutated and random bytes only ever give a plain Error or SyntaxError, never a TypeError/RangeError', () => {
    // Deterministic PRNG (xorshift32) so a failure can be replayed.
    let x = 0x9e3779b9;
    const rnd = (n: number) => {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      return (x >>> 0) % n;
    };
    const seed = buf(good);
    for (let i = 0; i < 3000; i++) {
      const b = i % 3 === 0 ? Buffer.from(Array.from({ length: rnd(64) }, () => rnd(256))) : Buffer.from(seed);
      if (i % 3 !== 0) for (let k = 0; k <= rnd(4); k++) b[rnd(b.length)] = rnd(256);
      try {
        parseRequest(b);
      } catch (e) {
        expect(e instanceof TypeError || e instanceof RangeError, `${String(e)} for ${b.toString('hex')}`).toBe(false);
        expect(e).toBeInstanceOf(Error);
      }
    }
  });
});
