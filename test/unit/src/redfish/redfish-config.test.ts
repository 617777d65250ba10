import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../../src/config/load.js';
import { configProblems } from '../../../helpers/config-problems.js';

const problems = (text: string): string[] => configProblems(text, 't.yaml');

describe('servers[].redfish, servers[].power, media', () => {
  it("reads the issue's example with defaults; power picks redfish over ipmi when told", () => {
    const c = parseConfig(
      `
media: { allow: ["Images.Example", "*.mirror.example", "10.0.9.5"] }
servers:
  - id: "r9"
    redfish: { host: "10.0.5.9", port: 443, user: "root", password: "pw", insecureTls: true, system: "/redfish/v1/Systems/System.Embedded.1/" }
    ipmi: { host: "10.0.5.9", password: "pw" }
    power: redfish
  - id: "r10"
    redfish: { host: "10.0.5.10", user: "root", password: "pw" }
  - id: "i1"
    ipmi: { host: "10.0.5.11", password: "pw" }
    redfish: { host: "10.0.5.11", user: "root", password: "pw", timeout: 5s, taskTimeout: 2m }
  - id: "k1"
    console: { type: vnc, host: "10.0.5.12" }
`,
      't.yaml',
    );
    expect(c.media).toEqual({ allow: ['images.example', '*.mirror.example', '10.0.9.5'] });
    expect(c.servers[0]).toMatchObject({
      power: 'redfish',
      redfish: {
        host: '10.0.5.9',
        port: 443,
        user: 'root',
        insecureTls: true,
        system: '/redfish/v1/Systems/System.Embedded.1',
        timeoutMs: 15_000,
        taskTimeoutMs: 25_000,
      },
    });
    expect(c.servers[1]).toMatchObject({ power: 'redfish', redfish: { port: 443, insecureTls: false, system: undefined } });
    expect(c.servers[2]).toMatchObject({ power: 'ipmi', redfish: { timeoutMs: 5_000, taskTimeoutMs: 120_000 } });
    expect(c.servers[3]!.power).toBeUndefined();
    expect(Object.isFrozen(c.servers[0]!.redfish)).toBe(true);
  });

  it('names each mistake with its path', () => {
    const p = problems(`
media: { allow: ["https://images.example/", "a/b"], deny: [] }
servers:
  - id: a
    redfish: { host: h, user: u, password: p, sytem: "/x" }
  - id: b
    redfish: { host: h, password: p, system: "/Systems/1" }
  - id: c
    ipmi: { host: h, password: p }
    power: redfish
  - id: d
    power: snmp
`);
    expect(p).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^media\.allow\[0\]: must be a host name/),
        expect.stringMatching(/^media\.allow\[1\]: must be a host name/),
        expect.stringMatching(/^media\.deny: unknown key/),
        expect.stringMatching(
          /^servers\[0\]\.redfish\.sytem: unknown key \(allowed here: host, port, user, password, insecureTls, system, timeout, taskTimeout\)/,
        ),
        expect.stringMatching(/^servers\[1\]\.redfish\.user: is required/),
        expect.stringMatching(/^servers\[1\]\.redfish\.system: must be a path on the BMC/),
        expect.stringMatching(/^servers\[2\]\.power: is "redfish" but the server has no redfish block/),
        expect.stringMatching(/^servers\[3\]\.power: must be one of ipmi, redfish/),
      ]),
    );
  });

  it('a server with a location may name its protocol without the block (a front whose agent holds it)', () => {
    const c = parseConfig('servers:\n  - { id: remote, location: NL, power: redfish }\n', 't');
    expect(c.servers[0]).toMatchObject({ power: 'redfish', redfish: undefined });
  });

  it('gateway.example.yaml stays valid and shows a redfish server', () => {
    const text = readFileSync(new URL('../../../../gateway.example.yaml', import.meta.url), 'utf8');
    const c = parseConfig(text, 'gateway.example.yaml');
    expect(c.servers.some((s) => s.power === 'redfish' && s.redfish)).toBe(true);
    expect(c.media?.allow.length).toBeGreaterThan(0);
  });
});
