import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../../../src/config/load.js';
import { atenSourceOptions } from '../../../../../src/sources/aten/aten-config.js';
import { configProblems } from '../../../../helpers/config-problems.js';

const problems = (text: string): string[] => configProblems(text, 'test.yaml');

describe('console type aten in the config file', () => {
  it('reads the keys with their defaults and maps them onto AtenSource options', () => {
    const cfg = parseConfig(
      `
servers:
  - id: x9
    console: { type: aten, host: bmc1.example, user: ADMIN, password: "s3cret" }
`,
      't',
    );
    const c = cfg.servers[0]!.console!;
    expect(c).toEqual({
      type: 'aten',
      host: 'bmc1.example',
      webPort: undefined,
      scheme: 'https',
      httpFallback: false,
      insecureTls: false,
      legacyTls: false,
      base64Credentials: false,
      user: 'ADMIN',
      password: 's3cret',
      transport: 'tcp',
      html5TicketLayout: 'whole',
      kvmPort: undefined,
      connectTimeoutMs: 10_000,
      webTimeoutMs: 10_000,
      mouseInfoBytes: undefined,
      ast2100HeaderByte1: 'chroma',
      webLogin: {},
    });
    expect(Object.isFrozen(c)).toBe(true);
    if (c.type !== 'aten') throw new Error('not aten');
    const o = atenSourceOptions(c, { reconnectBudgetMs: 5000 });
    expect(o.web).toMatchObject({ host: 'bmc1.example', username: 'ADMIN', password: 's3cret', httpOnly: false, httpFallback: false, insecureTls: false });
    expect(o).toMatchObject({
      kvmHost: 'bmc1.example',
      connectTimeoutMs: 10_000,
      reconnectBudgetMs: 5000,
      transport: 'tcp',
      html5TicketLayout: 'whole',
      headerByte1: 'chroma',
    });
    expect(o.kvmPort).toBeUndefined();
    // The 0x37 length follows the transport unless configured (tcp 2, html5 3).
    expect(o.mouseInfoBodyBytes).toBeUndefined();
  });

  it('merges a template under the console keys (nojava-ipmi-kvm based_on), the console winning', () => {
    const cfg = parseConfig(
      `
atenTemplates:
  x9-legacy:
    user: ADMIN
    password: fleet-pw
    legacyTls: true
    allow_insecure_ssl: true
    login_endpoint: cgi/login.cgi
    extra_login_form_fields: "method:login,check:1"
    connectTimeout: 20s
servers:
  - id: a
    console: { type: aten, host: "::1", webPort: 8443, template: x9-legacy, password: own-pw, session_cookie_key: SESSION, kvmPort: 63630, scheme: https, httpFallback: true }
`,
      't',
    );
    const c = cfg.servers[0]!.console!;
    if (c.type !== 'aten') throw new Error('not aten');
    expect(c).toMatchObject({
      host: '::1',
      webPort: 8443,
      user: 'ADMIN',
      password: 'own-pw',
      legacyTls: true,
      insecureTls: true,
      kvmPort: 63630,
      connectTimeoutMs: 20_000,
      httpFallback: true,
      webLogin: { allow_insecure_ssl: true, login_endpoint: 'cgi/login.cgi', extra_login_form_fields: 'method:login,check:1', session_cookie_key: 'SESSION' },
    });
    const o = atenSourceOptions(c, { reconnectBudgetMs: 1 });
    expect(o.web.host).toBe('[::1]:8443');
    expect(o.kvmHost).toBe('::1');
    expect(o.kvmPort).toBe(63630);
    expect(o.web.overrides).toMatchObject({ session_cookie_key: 'SESSION', extra_login_form_fields: 'method:login,check:1' });
  });

  it('reports every mistake with its key path', () => {
    const p = problems(`
atenTemplates:
  t1: { pasword: x, mouseInfoBytes: 4 }
servers:
  - id: a
    console: { type: aten, host: "bmc:443", template: nope, scheme: ftp, login_endpoint: "https://evil/login", extra_login_form_fields: "method" }
  - id: b
    console: { type: aten, host: bmc, kvmport: 1 }
  - id: c
    console: { type: aten, host: bmc, user: u, password: p, scheme: http, httpFallback: true }
`).join('\n');
    expect(p).toMatch(/atenTemplates\.t1\.pasword: unknown key/);
    expect(p).toMatch(/atenTemplates\.t1\.mouseInfoBytes: must be between 2 and 3, got 4/);
    expect(p).toMatch(/servers\[0\]\.console\.host: give the address alone and the web port as webPort/);
    expect(p).toMatch(/servers\[0\]\.console\.template: no atenTemplates entry "nope" \(known: t1\)/);
    expect(p).toMatch(/servers\[0\]\.console\.scheme: must be one of https, http, got "ftp"/);
    expect(p).toMatch(/servers\[0\]\.console\.login_endpoint: must be a path on the BMC/);
    expect(p).toMatch(/servers\[0\]\.console\.extra_login_form_fields: "method" is not key:value/);
    expect(p).toMatch(/servers\[0\]\.console\.user: is required/);
    expect(p).toMatch(/servers\[1\]\.console\.kvmport: unknown key \(allowed here: type, host, template, webPort/);
    expect(p).toMatch(/servers\[1\]\.console\.password: is required/);
    expect(p).toMatch(/servers\[2\]\.console\.httpFallback: only means something with scheme https/);
  });

  it('transport, html5TicketLayout and html5_endpoint: read, passed on, checked', () => {
    const cfg = parseConfig(
      `
atenTemplates:
  x11: { transport: html5, html5TicketLayout: split, mouseInfoBytes: 2, html5_endpoint: "cgi/url_redirect.cgi?url_name=man_ikvm_html5_bootstrap" }
servers:
  - { id: a, console: { type: aten, host: bmc-a, user: u, password: p, template: x11 } }
  - { id: b, console: { type: aten, host: bmc-b, user: u, password: p, transport: auto, kvmPort: 63630 } }
`,
      't',
    );
    const [a, b] = cfg.servers.map((s) => s.console!);
    if (a?.type !== 'aten' || b?.type !== 'aten') throw new Error('not aten');
    expect(a).toMatchObject({
      transport: 'html5',
      html5TicketLayout: 'split',
      mouseInfoBytes: 2,
      webLogin: { html5_endpoint: 'cgi/url_redirect.cgi?url_name=man_ikvm_html5_bootstrap' },
    });
    expect(atenSourceOptions(a, { reconnectBudgetMs: 1 })).toMatchObject({ transport: 'html5', html5TicketLayout: 'split', mouseInfoBodyBytes: 2 });
    // auto keeps kvmPort for its TCP fallback.
    expect(atenSourceOptions(b, { reconnectBudgetMs: 1 })).toMatchObject({ transport: 'auto', kvmPort: 63630 });

    const p = problems(`
servers:
  - { id: a, console: { type: aten, host: h, user: u, password: p, transport: websocket, html5TicketLayout: halves } }
  - { id: b, console: { type: aten, host: h, user: u, password: p, transport: html5, kvmPort: 5900 } }
  - { id: c, console: { type: aten, host: h, user: u, password: p, html5_endpoint: "https://elsewhere/page" } }
`).join('\n');
    expect(p).toMatch(/servers\[0\]\.console\.transport: must be one of tcp, html5, auto, got "websocket"/);
    expect(p).toMatch(/servers\[0\]\.console\.html5TicketLayout: must be one of whole, split, got "halves"/);
    expect(p).toMatch(/servers\[1\]\.console\.kvmPort: is the TCP iKVM port: it means nothing with transport html5/);
    expect(p).toMatch(/servers\[2\]\.console\.html5_endpoint: must be a path on the BMC/);
  });

  it('a vnc console still rejects aten-only keys', () => {
    expect(problems(`servers:\n  - id: a\n    console: { type: vnc, host: h, webPort: 443 }\n`).join()).toMatch(/servers\[0\]\.console\.webPort: unknown key/);
  });
});
