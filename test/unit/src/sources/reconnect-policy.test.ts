import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../../../src/errors.js';
import { ReconnectPolicy } from '../../../../src/sources/reconnect-policy.js';

describe('ReconnectPolicy', () => {
  it('fails at once when the link never worked', () => {
    const p = new ReconnectPolicy({ budgetMs: 60_000, firstDelayMs: 500 });
    const err = new Error('ECONNREFUSED');
    expect(p.lost(err)).toEqual({ kind: 'fail', error: err });
  });

  it('fails at once when the board speaks something the gateway cannot (GW_ERR_BMC_UNSUPPORTED), even after a working link', () => {
    const p = new ReconnectPolicy({ budgetMs: 60_000, firstDelayMs: 500 });
    p.connected();
    const err = new GatewayError('GW_ERR_BMC_UNSUPPORTED', 'video in 0x58');
    expect(p.lost(err)).toEqual({ kind: 'fail', error: err });
    expect(p.lost(new Error('reset')).kind).toBe('retry');
  });

  it('backs off exponentially, capped at 10 s, until the budget is spent', () => {
    const p = new ReconnectPolicy({ budgetMs: 30_000, firstDelayMs: 500 });
    p.connected();
    const t0 = 1_000_000;
    const delays: number[] = [];
    let now = t0;
    for (;;) {
      const d = p.lost(new Error('reset'), now);
      if (d.kind === 'fail') {
        expect(d.error.message).toMatch(/longer than the reconnect budget \(30 s\): reset/);
        break;
      }
      delays.push(d.delayMs);
      now += d.delayMs;
    }
    expect(delays).toEqual([500, 1000, 2000, 4000, 8000, 10_000]);
  });

  it('a link that handshakes but never delivers an update does not reset the budget', () => {
    const p = new ReconnectPolicy({ budgetMs: 5_000, firstDelayMs: 500 });
    let now = 0;
    let outcome;
    for (let i = 0; i < 20; i++) {
      p.connected(); // handshake succeeds every time, then the BMC sends garbage
      outcome = p.lost(new Error('garbage'), now);
      if (outcome.kind === 'fail') break;
      now += outcome.delayMs;
    }
    expect(outcome?.kind).toBe('fail');
  });

  it('a healthy link starts a fresh budget after the next drop', () => {
    const p = new ReconnectPolicy({ budgetMs: 5_000, firstDelayMs: 1000 });
    p.connected();
    expect(p.lost(new Error('x'), 0)).toMatchObject({ kind: 'retry', attempt: 1, delayMs: 1000 });
    expect(p.lost(new Error('x'), 1000)).toMatchObject({ kind: 'retry', attempt: 2, delayMs: 2000 });
    p.healthy();
    expect(p.lost(new Error('x'), 100_000)).toMatchObject({ kind: 'retry', attempt: 1, delayMs: 1000 });
  });
});
