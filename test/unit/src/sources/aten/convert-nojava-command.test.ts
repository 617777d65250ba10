import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../../../src/config/load.js';
import { ConfigError } from '../../../../../src/config/reader.js';
import { convertNojavaCommand } from '../../../../../src/sources/aten/convert-nojava-command.js';

// The shape of sciapp/nojava-ipmi-kvm's ~/.nojava-ipmi-kvmrc.yaml (README "Configuration").
const RC = `
general:
  run_docker_with_sudo: false
templates:
  supermicro:
    login_user: ADMIN
    login_endpoint: cgi/login.cgi
    allow_insecure_ssl: true
    java_version: 7u181
  html5:
    html5_endpoint: cgi/url_redirect.cgi?url_name=man_ikvm_html5_bootstrap
hosts:
  node 1:
    based_on: supermicro
    full_hostname: node1-ipmi.example.org:8443
  node2:
    based_on: supermicro
    full_hostname: node2-ipmi.example.org
    login_user: operator
    extra_login_form_fields: "method:login,check:00"
  x11:
    based_on: html5
    full_hostname: x11-ipmi.example.org
`;

function io() {
  const out = { stdout: '', stderr: '' };
  return { out, io: { stdout: { write: (s: string) => (out.stdout += s) }, stderr: { write: (s: string) => (out.stderr += s) } } };
}

function file(text: string): string {
  const p = join(mkdtempSync(join(tmpdir(), 'nojava-')), 'rc.yaml');
  writeFileSync(p, text);
  return p;
}

describe('bmc-gateway convert-nojava', () => {
  it('prints aten servers that check-config accepts once the passwords are filled in', async () => {
    const { out, io: i } = io();
    expect(await convertNojavaCommand(['convert-nojava', file(RC)], i)).toBe(0);
    expect(out.stderr).toMatch(/templates\.supermicro\.java_version dropped/);
    expect(out.stderr).toMatch(/hosts\.x11 has an HTML5 console \(html5_endpoint\): transport: html5/);
    expect(out.stderr).toMatch(/3 server\(s\) converted/);
    // As printed, the passwords are missing: check-config must refuse it.
    expect(() => parseConfig(out.stdout, 'converted.yaml')).toThrow(ConfigError);
    try {
      parseConfig(out.stdout, 'converted.yaml');
    } catch (e) {
      expect((e as ConfigError).problems.join('\n')).toMatch(/servers\[0\]\.console\.password: is required/);
    }
    const cfg = parseConfig(out.stdout.replace(/password: null/g, 'password: pw'), 'converted.yaml');
    expect(cfg.servers.map((s) => s.id)).toEqual(['node-1', 'node2', 'x11']);
    expect(cfg.servers[0]!.console).toMatchObject({
      type: 'aten',
      host: 'node1-ipmi.example.org',
      webPort: 8443,
      user: 'ADMIN',
      insecureTls: true,
      webLogin: { login_endpoint: 'cgi/login.cgi', allow_insecure_ssl: true },
    });
    expect(cfg.servers[1]!.console).toMatchObject({
      host: 'node2-ipmi.example.org',
      webPort: undefined,
      user: 'operator',
      webLogin: { extra_login_form_fields: 'method:login,check:00' },
    });
    expect(cfg.servers[0]!.console).toMatchObject({ transport: 'tcp' });
    expect(cfg.servers[2]!.console).toMatchObject({
      transport: 'html5',
      host: 'x11-ipmi.example.org',
      webLogin: { html5_endpoint: 'cgi/url_redirect.cgi?url_name=man_ikvm_html5_bootstrap' },
    });
  });

  it('exits 1 naming the key path for an invalid file, 2 for a missing file or bad usage', async () => {
    const a = io();
    expect(await convertNojavaCommand([file('hosts:\n  h: { based_on: nope, full_hostname: x }\n')], a.io)).toBe(1);
    expect(a.out.stderr).toMatch(/hosts\.h\.based_on: no template "nope"/);
    const b = io();
    expect(await convertNojavaCommand(['/nonexistent/rc.yaml'], b.io)).toBe(2);
    expect(b.out.stderr).toMatch(/cannot read/);
    const c = io();
    expect(await convertNojavaCommand(['a', 'b'], c.io)).toBe(2);
  });
});
