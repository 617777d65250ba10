import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../../src/config/load.js';
import { configProblems } from '../../../helpers/config-problems.js';

const base = (dispatch: string) => `
tokens: [{ token: "panel-secret", servers: ["*"] }]
servers: [{ id: "a", location: "NL" }]
dispatch:
${dispatch}
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
});
