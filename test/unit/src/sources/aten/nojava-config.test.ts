import { describe, expect, it } from 'vitest';
import { convertNojavaConfig, NojavaConfigError } from '../../../../../src/sources/aten/nojava-config.js';

// The shape of sciapp/nojava-ipmi-kvm's ~/.nojava-ipmi-kvmrc.yaml (templates + hosts with based_on).
const RC = `
general:
  run_docker_with_sudo: false
  x_resolution: 1600x1200
templates:
  supermicro:
    login_user: ADMIN
    login_endpoint: cgi/login.cgi
    download_endpoint: cgi/url_redirect.cgi?url_name=ikvm&url_type=jwsk
    allow_insecure_ssl: true
    user_login_attribute_name: name
    password_login_attribute_name: pwd
    java_version: 7u181
  html5:
    html5_endpoint: cgi/url_redirect.cgi?url_name=man_ikvm_html5_bootstrap
    allow_insecure_ssl: true
hosts:
  node1:
    based_on: supermicro
    full_hostname: node1-ipmi.example.org
  node2:
    based_on: supermicro
    full_hostname: node2-ipmi.example.org
    login_user: operator
    extra_login_form_fields: "method:login,check:00"
    send_post_data_as_json: false
  x11:
    based_on: html5
    full_hostname: x11-ipmi.example.org
`;

describe('convertNojavaConfig', () => {
  it('maps hosts and templates onto web-login options with the same key names', () => {
    const hosts = convertNojavaConfig(RC);
    expect(hosts).toHaveLength(3);
    expect(hosts[0]).toEqual({
      id: 'node1',
      host: 'node1-ipmi.example.org',
      username: 'ADMIN',
      html5: false,
      dropped: ['templates.supermicro.java_version'],
      overrides: {
        login_endpoint: 'cgi/login.cgi',
        download_endpoint: 'cgi/url_redirect.cgi?url_name=ikvm&url_type=jwsk',
        allow_insecure_ssl: true,
        user_login_attribute_name: 'name',
        password_login_attribute_name: 'pwd',
      },
    });
    expect(hosts[1]).toMatchObject({ username: 'operator', overrides: { extra_login_form_fields: 'method:login,check:00', send_post_data_as_json: false } });
    expect(hosts[2]).toMatchObject({
      id: 'x11',
      html5: true,
      dropped: [],
      overrides: { html5_endpoint: 'cgi/url_redirect.cgi?url_name=man_ikvm_html5_bootstrap', allow_insecure_ssl: true },
    });
    // nojava-ipmi-kvm's page rewriting for its own browser has no counterpart here.
    expect(convertNojavaConfig('hosts:\n  a: { full_hostname: h, html5_endpoint: p, rewrites: [] }\n')[0]).toMatchObject({
      html5: true,
      dropped: ['hosts.a.rewrites'],
    });
  });

  it('reports errors with the key path', () => {
    expect(() => convertNojavaConfig('hosts:\n  a:\n    login_user: x\n')).toThrow(/hosts\.a\.full_hostname/);
    expect(() => convertNojavaConfig('hosts:\n  a:\n    full_hostname: h\n    allow_insecure_ssl: "yes"\n')).toThrow(/hosts\.a\.allow_insecure_ssl/);
    expect(() => convertNojavaConfig('hosts:\n  a:\n    full_hostname: h\n    bogus: 1\n')).toThrow(/hosts\.a\.bogus: unknown/);
    expect(() => convertNojavaConfig('hosts:\n  a:\n    based_on: nope\n    full_hostname: h\n')).toThrow(NojavaConfigError);
    expect(() => convertNojavaConfig('hosts: [1, 2]')).toThrow(/hosts: must be a mapping/);
    expect(() => convertNojavaConfig('{')).toThrow(NojavaConfigError);
  });
});
