import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../../../src/config/load.js';
import { JAVA_DEFAULTS } from '../../../../../src/sources/jnlp/java-config.js';
import { needsJava, usesJava } from '../../../../../src/sources/jnlp/java-viewers.js';
import { configProblems } from '../../../../helpers/config-problems.js';

const problems = configProblems;

describe('java: and console type jnlp in the config file', () => {
  it('reads the documented example keys', () => {
    const cfg = parseConfig(
      `
java:
  runtime: docker
  docker: { socket: "/var/run/docker.sock", image: "bmc-gateway-java:1", memory: "768m", cpus: 1 }
  maxSessions: 20
  startTimeout: "60s"
servers:
  - id: x8
    console:
      type: jnlp
      jnlpUrl: "https://10.0.3.20/viewer.jnlp"
      host: "10.0.3.20"
      user: "ADMIN"
      password: "pw"
      insecureTls: true
      legacyTls: true
  - id: x9
    console: { type: aten, host: "10.0.3.21", user: "ADMIN", password: "pw", fallback: jnlp }
  - id: x10
    console: { type: jnlp, template: supermicro, host: "10.0.3.22", user: ADMIN, password: pw, webPort: 8443 }
`,
      't',
    );
    expect(cfg.java).toEqual({
      runtime: 'docker',
      docker: { socket: '/var/run/docker.sock', image: 'bmc-gateway-java:1', memoryBytes: 768 * 1024 ** 2, cpus: 1 },
      process: { user: 'nobody' },
      maxSessions: 20,
      startTimeoutMs: 60_000,
      instanceId: undefined,
      jarCache: { dir: undefined, maxBytes: JAVA_DEFAULTS.jarCacheMaxBytes },
    });
    const [x8, x9, x10] = cfg.servers.map((s) => s.console!);
    expect(x8).toMatchObject({
      type: 'jnlp',
      host: '10.0.3.20',
      origin: { kind: 'url', user: 'ADMIN', password: 'pw', insecureTls: true, legacyTls: true, timeoutMs: 10_000 },
    });
    if (x8!.type !== 'jnlp' || x8!.origin.kind !== 'url') throw new Error('not a url jnlp');
    expect(x8!.origin.url.href).toBe('https://10.0.3.20/viewer.jnlp');
    expect(x9).toMatchObject({ type: 'aten', fallback: 'jnlp' });
    expect(x10).toMatchObject({
      type: 'jnlp',
      host: '10.0.3.22',
      origin: { kind: 'web-login', web: { host: '10.0.3.22:8443', username: 'ADMIN', password: 'pw' } },
    });
    expect(cfg.servers.map((s) => usesJava(s.console))).toEqual([true, true, true]);
    expect(needsJava(cfg)).toBe(true);
  });

  it('has a default for every java key, and no java at all without a console that uses it', () => {
    const cfg = parseConfig('servers: [{ id: a, console: { type: aten, host: h, user: u, password: p } }]\n', 't');
    expect(cfg.java).toMatchObject({ runtime: 'docker', maxSessions: 20, startTimeoutMs: 60_000, process: { user: 'nobody' } });
    expect(needsJava(cfg)).toBe(false);
  });

  it('takes the JNLP host from jnlpUrl when host is not given, and a template from atenTemplates', () => {
    const cfg = parseConfig(
      `
atenTemplates:
  x11: { webPort: 8443, login_endpoint: "cgi/login2.cgi", insecureTls: true }
servers:
  - { id: a, console: { type: jnlp, jnlpUrl: "http://[fd00::5]:8080/a.jnlp" } }
  - { id: b, console: { type: jnlp, template: x11, host: b.example, user: u, password: p } }
`,
      't',
    );
    expect(cfg.servers[0]!.console).toMatchObject({ host: 'fd00::5', origin: { kind: 'url', user: undefined, password: undefined } });
    expect(cfg.servers[1]!.console).toMatchObject({
      origin: { web: { host: 'b.example:8443', insecureTls: true, overrides: { login_endpoint: 'cgi/login2.cgi' } } },
    });
  });

  it('refuses unknown keys, both or neither JNLP source, half a Basic auth, bad values, with their paths', () => {
    const p = problems(`
java:
  runtime: podman
  docker: { memory: "lots", cpus: 100, volume: x }
  maxSessions: 0
  instanceId: "has space"
  process: { user: "Robert'); DROP" }
  jarCache: { maxSize: "1k" }
servers:
  - { id: a, console: { type: jnlp, jnlpUrl: "https://h/a.jnlp", template: supermicro } }
  - { id: b, console: { type: jnlp, host: h } }
  - { id: c, console: { type: jnlp, jnlpUrl: "https://h/a.jnlp", user: u, kvmPort: 1 } }
  - { id: d, console: { type: jnlp, jnlpUrl: "ftp://h/a.jnlp" } }
  - { id: e, console: { type: jnlp, jnlpUrl: "https://u:p@h/a.jnlp" } }
  - { id: f, console: { type: jnlp, template: supermicro, host: h, user: u, password: p, kvmPort: 5900 } }
  - { id: g, console: { type: jnlp, template: nope, host: h, user: u, password: p } }
  - { id: h, console: { type: aten, host: h, user: u, password: p, fallback: java } }
`);
    const expected = [
      /^java\.runtime: must be one of docker, process/,
      /^java\.docker\.volume: unknown key/,
      /^java\.docker\.memory: must be a size/,
      /^java\.docker\.cpus: must be a number of CPUs/,
      /^java\.maxSessions: must be between 1/,
      /^java\.instanceId: may only hold/,
      /^java\.process\.user: is not a user name/,
      /^java\.jarCache\.maxSize: must be a size/,
      /^servers\[0\]\.console: a jnlp console needs exactly one of jnlpUrl/,
      /^servers\[1\]\.console: a jnlp console needs exactly one of jnlpUrl/,
      /^servers\[2\]\.console\.kvmPort: unknown key/,
      /^servers\[2\]\.console\.password: user and password go together/,
      /^servers\[3\]\.console\.jnlpUrl: must be an http/,
      /^servers\[4\]\.console\.jnlpUrl: must not hold credentials/,
      /^servers\[5\]\.console\.kvmPort: unknown key/,
      /^servers\[6\]\.console\.template: no atenTemplates entry "nope"/,
      /^servers\[7\]\.console\.fallback: must be one of jnlp/,
    ];
    for (const re of expected)
      expect(
        p.some((x) => re.test(x)),
        `${re} in\n${p.join('\n')}`,
      ).toBe(true);
  });
});
