import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../../src/config/load.js';
import { configProblems } from '../../../helpers/config-problems.js';

const SECRET = 'k'.repeat(32);
const KEYS = `  keys: [{ id: k1, secret: "${SECRET}" }]`;
const base = (dispatch: string, keys = KEYS) => `
tokens: [{ token: "panel-secret", servers: ["*"] }]
servers: [{ id: "a", location: "NL" }]
dispatch:
${dispatch}
${keys}
`;

const problems = (text: string): string[] => configProblems(text, 't.yaml');

describe('config: dispatch', () => {
  it('fills defaults; no dispatch key keeps the in-process dispatcher', () => {
    expect(parseConfig(base('  amqp: "amqp://guest:guest@127.0.0.1/"'), 't').dispatch).toEqual({
      amqp: 'amqp://guest:guest@127.0.0.1/',
      role: 'front',
      location: undefined,
      exchange: 'bmcgw',
      requestTimeoutMs: 30_000,
      prefetch: 4,
      announceIntervalMs: 5_000,
      agentId: undefined,
      keys: { shared: [{ id: 'k1', secret: SECRET }], byLocation: {} },
      clockSkewMs: 30_000,
    });
    expect(parseConfig('servers: []', 't').dispatch).toBeUndefined();
    const agent = parseConfig(base('  amqp: "amqp://h/"\n  role: agent\n  location: NL\n  requestTimeout: 10s\n  prefetch: 2\n  agentId: nl-1'), 't').dispatch!;
    expect([agent.role, agent.location, agent.requestTimeoutMs, agent.prefetch, agent.agentId]).toEqual(['agent', 'NL', 10_000, 2, 'nl-1']);
  });

  it('reports every mistake with its key path', () => {
    const p = problems(base('  amqp: "http://h/"\n  role: agent\n  prefetch: 0\n  exhange: x\n  requestTimeout: 5'));
    expect(p.some((m) => m.startsWith('dispatch.amqp: must be an amqp://'))).toBe(true);
    expect(p.some((m) => m.startsWith('dispatch.location: is required for role "agent"'))).toBe(true);
    expect(p.some((m) => m.startsWith('dispatch.prefetch'))).toBe(true);
    expect(p.some((m) => m.startsWith('dispatch.exhange: unknown key'))).toBe(true);
    expect(p.some((m) => m.startsWith('dispatch.requestTimeout'))).toBe(true);
    expect(problems(base('  role: front')).some((m) => m.startsWith('dispatch.amqp: is required'))).toBe(true);
    expect(problems(base('  amqp: "amqp://h/"\n  role: both\n  location: "N L"')).some((m) => m.startsWith('dispatch.location: may only'))).toBe(true);
  });

  it('needs HMAC keys: shared or per location, at most two (rotation), long secrets, one for every location it serves', () => {
    expect(problems(base('  amqp: "amqp://h/"', '')).some((m) => m.startsWith('dispatch.keys: is required'))).toBe(true);
    expect(
      problems(base('  amqp: "amqp://h/"', '  keys: [{ id: k1, secret: short }]')).some((m) => m.startsWith('dispatch.keys[0].secret: must be at least 32')),
    ).toBe(true);
    const three = `  keys: [{ id: a, secret: "${SECRET}" }, { id: b, secret: "${SECRET}" }, { id: c, secret: "${SECRET}" }]`;
    expect(problems(base('  amqp: "amqp://h/"', three)).some((m) => m.startsWith('dispatch.keys: holds at most two'))).toBe(true);
    const same = `  keys: [{ id: a, secret: "${SECRET}" }, { id: a, secret: "${SECRET}" }]`;
    expect(problems(base('  amqp: "amqp://h/"', same)).some((m) => m.startsWith('dispatch.keys: the two keys need different ids'))).toBe(true);
    // A front must hold a key for NL (servers[] names it); an agent of US one for US.
    const usOnly = `  locationKeys: { US: [{ id: u1, secret: "${SECRET}" }] }`;
    expect(problems(base('  amqp: "amqp://h/"', usOnly)).some((m) => m.startsWith('dispatch.locationKeys.NL: no key for location "NL"'))).toBe(true);
    expect(
      problems(base('  amqp: "amqp://h/"\n  role: agent\n  location: DE', usOnly)).some((m) => m.startsWith('dispatch.locationKeys.DE: no key for this agent')),
    ).toBe(true);
    const rotated = parseConfig(
      base('  amqp: "amqp://h/"\n  role: agent\n  location: US', `${usOnly.replace('}] }', `}, { id: u0, secret: "${'o'.repeat(40)}" }] }`)}`),
      't',
    ).dispatch!;
    expect(rotated.keys.byLocation.US!.map((k) => k.id)).toEqual(['u1', 'u0']);
  });
});
