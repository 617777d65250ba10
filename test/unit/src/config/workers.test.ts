import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../../src/config/load.js';
import { configProblems } from '../../../helpers/config-problems.js';

const BASE = `
listen: "127.0.0.1:8080"
publicUrl: "http://127.0.0.1:8080"
tokens: [{ token: "t-0123456789abcdef", servers: ["*"] }]
servers:
  - id: a
    console: { type: vnc, host: 10.0.0.1 }
`;

describe('config: workers', () => {
  it('defaults to one worker per core with a 5 s heartbeat timeout', () => {
    expect(parseConfig(BASE, 't.yaml').workers).toEqual({ count: availableParallelism(), heartbeatTimeoutMs: 5000 });
    expect(parseConfig(`${BASE}workers: 0\n`, 't.yaml').workers.count).toBe(0);
  });

  it('takes a number, auto (one per core) or { count, heartbeatTimeout }', () => {
    expect(parseConfig(`${BASE}workers: 3\n`, 't.yaml').workers).toEqual({ count: 3, heartbeatTimeoutMs: 5000 });
    expect(parseConfig(`${BASE}workers: auto\n`, 't.yaml').workers.count).toBe(availableParallelism());
    expect(parseConfig(`${BASE}workers: { count: 2, heartbeatTimeout: 2s }\n`, 't.yaml').workers).toEqual({ count: 2, heartbeatTimeoutMs: 2000 });
    expect(parseConfig(`${BASE}workers: { heartbeatTimeout: 10s }\n`, 't.yaml').workers).toEqual({ count: availableParallelism(), heartbeatTimeoutMs: 10_000 });
  });

  it('refuses what it cannot do, naming the key', () => {
    expect(configProblems(`${BASE}workers: many\n`).join('\n')).toMatch(/workers.*"auto".*got "many"/);
    expect(configProblems(`${BASE}workers: -1\n`).join('\n')).toMatch(/workers/);
    expect(configProblems(`${BASE}workers: { count: 2, heartbeatTimeout: 100ms }\n`).join('\n')).toMatch(/workers\.heartbeatTimeout.*at least 1s/);
    expect(configProblems(`${BASE}workers: { count: 2, beat: 1 }\n`).join('\n')).toMatch(/workers.*beat/);
  });

  it('takes TLS and Java viewer consoles with workers (the front relays TLS viewers and holds Java consoles)', () => {
    const tls = `${BASE}workers: 2\ntls: self-signed\nstateDir: /tmp/x\n`.replace('http://127.0.0.1:8080', 'https://127.0.0.1:8080');
    expect(parseConfig(tls, 't.yaml').workers.count).toBe(2);
    const java = BASE.replace('console: { type: vnc, host: 10.0.0.1 }', 'console: { type: aten, host: 10.0.0.1, user: u, password: p, fallback: jnlp }');
    expect(parseConfig(`${java}workers: 2\n`, 't.yaml').workers.count).toBe(2);
  });
});
