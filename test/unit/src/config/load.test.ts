import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfigFile, parseConfig, parseListen } from '../../../../src/config/load.js';
import { configProblems } from '../../../helpers/config-problems.js';

const GOOD = `
listen: "127.0.0.1:8080"
publicUrl: "http://127.0.0.1:8080/"
tokens:
  - token: "panel-secret"
    pin: "0000"
    servers: ["*"]
servers:
  - id: "25250"
    location: "NL"
    console: { type: vnc, host: "127.0.0.1", port: 5901, password: "secret" }
`;

const problems = (text: string): string[] => configProblems(text, 'test.yaml');

describe('config', () => {
  it('reads the documented example, with defaults', () => {
    const c = parseConfig(GOOD, 'test.yaml');
    expect(c.listen).toEqual({ host: '127.0.0.1', port: 8080 });
    expect(c.publicUrl).toBe('http://127.0.0.1:8080');
    expect(c.tokens[0]).toMatchObject({ token: 'panel-secret', pin: '0000', servers: ['*'] });
    expect(c.servers[0]!.console).toMatchObject({
      type: 'vnc',
      host: '127.0.0.1',
      port: 5901,
      password: 'secret',
      shared: true,
      encodings: [],
      tls: 'prefer',
      insecureTls: false,
      legacyTls: false,
      ca: undefined,
      user: undefined,
    });
    expect(c.sessions).toEqual({
      idleTimeoutMs: 300_000,
      inputIdleTimeoutMs: 1_800_000,
      inputIdleWarningMs: 60_000,
      maxLifetimeMs: 86_400_000,
      maxViewers: 8,
      maxSessions: 500,
      urlTtlMs: 60_000,
      reconnectBudgetMs: 120_000,
      relay: true,
      closeUrlAttempts: 4,
      closeUrlTimeoutMs: 5_000,
      pingIntervalMs: 20_000,
      closeUrlAllow: ['public'],
    });
    expect(Object.isFrozen(c.servers[0]!.console)).toBe(true);
  });

  it('vnc TLS keys: tls, insecureTls, legacyTls, ca (read at load), user', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bmcgw-ca-'));
    const ca = join(dir, 'ca.pem');
    writeFileSync(ca, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
    const c = parseConfig(GOOD.replace('password: "secret" }', `password: "secret", tls: require, legacyTls: true, ca: "${ca}", user: admin }`), 't');
    expect(c.servers[0]!.console).toMatchObject({ tls: 'require', insecureTls: false, legacyTls: true, user: 'admin' });
    expect((c.servers[0]!.console as { ca?: string }).ca).toMatch(/^-----BEGIN CERTIFICATE-----/);
    const notPem = join(dir, 'key.txt');
    writeFileSync(notPem, 'hello');
    const p = problems(GOOD.replace('password: "secret" }', `tls: sometimes, ca: "${notPem}" }`)).join('\n');
    expect(p).toMatch(/servers\[0\]\.console\.tls: .*prefer.*require.*off/);
    expect(p).toMatch(/servers\[0\]\.console\.ca: .*holds no PEM certificate/);
    expect(problems(GOOD.replace('password: "secret" }', `ca: "${join(dir, 'missing.pem')}" }`)).join()).toMatch(/cannot read the CA file .*ENOENT/);
    expect(problems(GOOD.replace('password: "secret" }', 'tls: off, insecureTls: true }')).join()).toMatch(/console\.tls: is "off"/);
  });

  it('takes ids and PINs written as numbers as text', () => {
    const c = parseConfig(GOOD.replace('pin: "0000"', 'pin: 1234').replace('id: "25250"', 'id: 25250'), 't');
    expect(c.tokens[0]!.pin).toBe('1234');
    expect(c.servers[0]!.id).toBe('25250');
  });

  it('names an unknown key with its path and line', () => {
    const p = problems(GOOD.replace('port: 5901', 'prot: 5901'));
    expect(p).toHaveLength(1);
    expect(p[0]).toMatch(/^servers\[0\]\.console\.prot: unknown key .*\(line 11, column \d+\)$/);
  });

  it('reports every problem at once, each with its line', () => {
    const p = problems(`
listen: "nowhere"
tokens:
  - token: "short"
servers:
  - id: "a b"
    console: { type: telnet, host: "h", port: 70000 }
  - id: "x"
    console: { host: "h" }
  - id: "x"
sessions: { idleTimeout: "5 minutes" }
`);
    expect(p.join('\n')).toMatch(/listen: must be "host:port".*line 2/);
    expect(p.join('\n')).toMatch(/tokens\[0\]\.token: must be at least 8 characters.*line 4/);
    expect(p.join('\n')).toMatch(/servers\[0\]\.id: may only hold/);
    expect(p.join('\n')).toMatch(/servers\[0\]\.console\.type: must be one of vnc(, \w+)*, got "telnet".*line 7/);
    expect(p.join('\n')).toMatch(/servers\[0\]\.console\.port: must be between 1 and 65535, got 70000/);
    expect(p.join('\n')).toMatch(/servers\[2\]\.id: duplicate server id "x" \(also servers\[1\]\)/);
    expect(p.join('\n')).toMatch(/sessions\.idleTimeout: must be a duration/);
  });

  it('refuses weak IPMI cipher suites unless allowed', () => {
    const base = `servers:\n  - id: a\n    ipmi: { host: h, user: u, password: p, cipherSuite: 2 }\n`;
    expect(problems(base).join()).toMatch(/cipher suite 2 has no or weak authentication/);
    const c = parseConfig(base.replace('cipherSuite: 2', 'cipherSuite: 2, allowWeakCipherSuites: true'), 't');
    expect(c.servers[0]!.ipmi!.cipherSuites).toEqual([2]);
  });

  it('an explicit null is a value left to fill in (what probe and convert-nojava print), not "absent", for the VNC password and user and the IPMI user', () => {
    expect(problems(GOOD.replace('password: "secret"', 'password: null'))).toEqual([
      expect.stringMatching(/^servers\[0\]\.console\.password: is null: write the VNC password, or leave the key out/),
    ]);
    expect(parseConfig(GOOD.replace(', password: "secret"', ''), 't').servers[0]!.console).toMatchObject({ password: undefined });
    expect(problems(GOOD.replace('password: "secret"', 'password: "secret", user: null'))).toEqual([
      expect.stringMatching(/console\.user: is null: write the user name for VeNCrypt's Plain subtypes/),
    ]);
    const ipmi = `servers:\n  - id: a\n    ipmi: { host: h, user: null, password: p }\n`;
    expect(problems(ipmi)).toEqual([expect.stringMatching(/^servers\[0\]\.ipmi\.user: is null: write the IPMI user name \("" for the anonymous user\)/)]);
    expect(parseConfig(ipmi.replace('user: null, ', ''), 't').servers[0]!.ipmi!.user).toBe('');
  });

  it('reports YAML syntax errors and duplicate keys', () => {
    expect(problems('listen: [')[0]).toMatch(/YAML syntax/);
    expect(problems('listen: "a:1"\nlisten: "b:2"\n')[0]).toMatch(/YAML syntax.*unique/i);
  });

  it('never echoes a password value in a problem', () => {
    const p = problems(GOOD.replace('password: "secret"', 'password: ["secret-value"]'));
    expect(p.join()).toMatch(/console\.password: must be a string, got a list/);
    expect(p.join()).not.toContain('secret-value');
  });

  it('loads from a file, and --listen overrides listen', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bmcgw-cfg-'));
    const f = join(dir, 'gateway.yaml');
    writeFileSync(f, GOOD);
    expect(loadConfigFile(f, { listen: '0.0.0.0:9000' }).listen).toEqual({ host: '0.0.0.0', port: 9000 });
    expect(() => loadConfigFile(join(dir, 'missing.yaml'))).toThrow(/cannot read the file/);
  });

  it('reads an openbmc console, with defaults, and names what is wrong in one', () => {
    const obmc = GOOD.replace(
      'console: { type: vnc, host: "127.0.0.1", port: 5901, password: "secret" }',
      'console: { type: openbmc, host: "[fd00::5]", user: root, password: "obmc-pw" }',
    );
    expect(parseConfig(obmc, 'test.yaml').servers[0]!.console).toEqual({
      type: 'openbmc',
      host: 'fd00::5',
      port: 443,
      user: 'root',
      password: 'obmc-pw',
      insecureTls: false,
      legacyTls: false,
      connectTimeoutMs: 10_000,
      webTimeoutMs: 10_000,
    });
    const p = problems(
      GOOD.replace(
        'console: { type: vnc, host: "127.0.0.1", port: 5901, password: "secret" }',
        'console: { type: openbmc, host: "10.0.0.5:443", encodings: [tight], insecureTls: "yes" }',
      ),
    );
    expect(p.join('\n')).toMatch(/console\.host: give the address alone and the port as port/);
    expect(p.join('\n')).toMatch(/console\.encodings: unknown key/);
    expect(p.join('\n')).toMatch(/console\.insecureTls: must be true or false/);
    expect(p.join('\n')).toMatch(/console\.user: .*required/);
    expect(p.join('\n')).toMatch(/console\.password: .*required/);
  });

  it('parses listen addresses', () => {
    expect(parseListen('[::1]:8080')).toEqual({ host: '::1', port: 8080 });
    expect(parseListen(':8080')).toEqual({ host: '0.0.0.0', port: 8080 });
    expect(parseListen('host:99999')).toBeUndefined();
    expect(parseListen('host')).toBeUndefined();
  });
});

describe('config: YAML the parser accepts but cannot resolve', () => {
  it('an alias without its anchor is a config error, not a crash (found by the fuzz campaign)', () => {
    expect(() => parseConfig('listen: *nope\n', 'a.yaml')).toThrow(
      expect.objectContaining({ code: 'GW_ERR_CONFIG', problems: [expect.stringMatching(/^YAML: Unresolved alias/)] }),
    );
    expect(() => parseConfig('a: &a [*a, *a]\nlisten: *a\n', 'b.yaml')).toThrow(expect.objectContaining({ code: 'GW_ERR_CONFIG' }));
  });
});
