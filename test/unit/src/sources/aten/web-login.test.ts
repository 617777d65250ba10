import { connect } from 'node:net';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AtenClientHandshake } from '../../../../../protocols/aten/handshake.js';
import { AtenServerMessageReader } from '../../../../../protocols/aten/server-messages.js';
import { GatewayError } from '../../../../../src/errors.js';
import { Html5UnavailableError } from '../../../../../src/sources/aten/html5-bootstrap.js';
import { AtenWebSession } from '../../../../../src/sources/aten/web-login.js';
import { selfSignedCertificate } from '../../../../helpers/aten/self-signed.js';
import { AtenSimulator } from '../../../../helpers/aten/simulator.js';
import { AtenSimulatorWeb, type SimulatorWebOptions } from '../../../../helpers/aten/simulator-web.js';

let cert: { key: string; cert: string };
beforeAll(() => {
  cert = selfSignedCertificate();
});

const started: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const s of started.splice(0).reverse()) await s.close();
});

async function bmc(web: Partial<SimulatorWebOptions> & { https?: boolean } = {}): Promise<{ kvm: AtenSimulator; web: AtenSimulatorWeb }> {
  const kvm = new AtenSimulator();
  await kvm.listen();
  started.push(kvm);
  const { https = true, ...rest } = web;
  const w = new AtenSimulatorWeb(kvm, { username: 'ADMIN', password: 'p@ss&word', ...(https ? { tls: { key: cert.key, cert: cert.cert } } : {}), ...rest });
  await w.listen();
  started.push(w);
  return { kvm, web: w };
}

/** Runs the ATEN handshake with the credentials; resolves to the 0x39 messages seen, or the error code. */
async function kvmLogin(port: number, user: string, password: string): Promise<string> {
  return new Promise((resolve) => {
    const hs = new AtenClientHandshake({ username: user, password });
    const reader = new AtenServerMessageReader();
    const s = connect(port, '127.0.0.1');
    const timer = setTimeout(() => (s.destroy(), resolve('timeout')), 5000);
    s.on('data', (d) => {
      try {
        if (!hs.done) {
          const step = hs.receive(d);
          for (const b of step.send) s.write(b);
          if (step.serverInit) {
            clearTimeout(timer);
            if (step.rest) reader.push(step.rest);
            s.destroy();
            resolve('ok');
          }
        }
      } catch (e) {
        clearTimeout(timer);
        s.destroy();
        resolve((e as { code: string }).code);
      }
    });
    s.on('error', () => {});
  });
}

describe('AtenWebSession against the simulator over HTTPS with a self-signed certificate', () => {
  it('logs in, fetches a JNLP with one-time credentials that open the KVM once, and logs out', async () => {
    const { kvm, web } = await bmc();
    const session = await AtenWebSession.login({ host: `127.0.0.1:${web.port}`, username: 'ADMIN', password: 'p@ss&word', insecureTls: true });
    started.push(session);
    expect(session.baseUrl).toBe(`https://127.0.0.1:${web.port}/`);
    const cred = await session.fetchKvmCredentials();
    expect(cred).toMatchObject({ port: kvm.port, tls: false, jnlpHost: '127.0.0.1' });
    expect(web.requests[0]).toMatchObject({ method: 'POST', url: '/cgi/login.cgi', body: 'name=ADMIN&pwd=p%40ss%26word' });
    expect(web.requests[1]!.url).toBe('/cgi/url_redirect.cgi?url_name=ikvm&url_type=jwsk');
    expect(await kvmLogin(kvm.port, cred.username, cred.password)).toBe('ok');
    expect(await kvmLogin(kvm.port, cred.username, cred.password)).toBe('ATEN_ERR_AUTH_FAILED'); // single-use
    const fresh = await session.fetchKvmCredentials();
    expect(fresh.username).not.toBe(cred.username);
    expect(await session.logout()).toBe(true);
    expect(web.logouts).toBe(1);
  });

  it('refuses the self-signed certificate unless insecureTls (or allow_insecure_ssl) is set', async () => {
    const { web } = await bmc();
    await expect(AtenWebSession.login({ host: `127.0.0.1:${web.port}`, username: 'ADMIN', password: 'p@ss&word' })).rejects.toMatchObject({
      code: 'GW_ERR_BMC_UNREACHABLE',
    });
    const s = await AtenWebSession.login({ host: `127.0.0.1:${web.port}`, username: 'ADMIN', password: 'p@ss&word', overrides: { allow_insecure_ssl: true } });
    started.push(s);
  });

  it('wrong password → GW_ERR_BMC_AUTH_FAILED', async () => {
    const { web } = await bmc();
    const err = await AtenWebSession.login({ host: `127.0.0.1:${web.port}`, username: 'ADMIN', password: 'nope', insecureTls: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GatewayError);
    expect(err).toMatchObject({ code: 'GW_ERR_BMC_AUTH_FAILED' });
  });

  it('falls back to the man_ikvm JNLP, and reads the TLS-era 10-argument form', async () => {
    const { kvm, web } = await bmc({ jnlpUrlNames: ['man_ikvm'], tlsJnlp: true });
    const s = await AtenWebSession.login({ host: `127.0.0.1:${web.port}`, username: 'ADMIN', password: 'p@ss&word', insecureTls: true });
    started.push(s);
    expect(await s.fetchKvmCredentials()).toMatchObject({ tls: true, port: kvm.port });
    expect(web.requests.map((r) => r.url)).toContain('/cgi/url_redirect.cgi?url_name=man_ikvm&url_type=jwsk');
  });

  it('no JNLP at all (HTML5-only firmware) → GW_ERR_BMC_PROTOCOL', async () => {
    const { web } = await bmc({ jnlpUrlNames: [] });
    const s = await AtenWebSession.login({ host: `127.0.0.1:${web.port}`, username: 'ADMIN', password: 'p@ss&word', insecureTls: true });
    started.push(s);
    await expect(s.fetchKvmCredentials()).rejects.toMatchObject({ code: 'GW_ERR_BMC_PROTOCOL' });
  });

  it('nojava-ipmi-kvm keys: field names, extra fields, JSON body, endpoints, cookie from the body', async () => {
    const { web } = await bmc({ userField: 'user', passwordField: 'password', requiredExtraFields: { method: 'login', check: '00' }, cookieInBody: true });
    const s = await AtenWebSession.login({
      host: `127.0.0.1:${web.port}`,
      username: 'ADMIN',
      password: 'p@ss&word',
      insecureTls: true,
      overrides: {
        user_login_attribute_name: 'user',
        password_login_attribute_name: 'password',
        extra_login_form_fields: 'method:login, check:00',
        send_post_data_as_json: true,
        login_endpoint: '/cgi/login.cgi',
        download_endpoint: 'cgi/url_redirect.cgi?url_name=man_ikvm&url_type=jwsk',
        session_cookie_key: 'SID',
      },
    });
    started.push(s);
    expect(JSON.parse(web.requests[0]!.body)).toEqual({ user: 'ADMIN', password: 'p@ss&word', method: 'login', check: '00' });
    await s.fetchKvmCredentials();
    expect(web.requests[1]!.url).toBe('/cgi/url_redirect.cgi?url_name=man_ikvm&url_type=jwsk');
  });

  it('falls back to HTTP when HTTPS cannot connect and httpFallback is set', async () => {
    const { web } = await bmc({ https: false });
    await expect(AtenWebSession.login({ host: `127.0.0.1:${web.port}`, username: 'ADMIN', password: 'p@ss&word', timeoutMs: 3000 })).rejects.toMatchObject({
      code: 'GW_ERR_BMC_UNREACHABLE',
    });
    const s = await AtenWebSession.login({ host: `127.0.0.1:${web.port}`, username: 'ADMIN', password: 'p@ss&word', httpFallback: true, timeoutMs: 3000 });
    started.push(s);
    expect(s.baseUrl).toBe(`http://127.0.0.1:${web.port}/`);
  });

  it('reaches a TLS 1.1-only BMC only with legacyTls', async () => {
    const { web } = await bmc({ tls: { key: cert.key, cert: cert.cert, minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT:@SECLEVEL=0' } });
    await expect(AtenWebSession.login({ host: `127.0.0.1:${web.port}`, username: 'ADMIN', password: 'p@ss&word', insecureTls: true })).rejects.toMatchObject({
      code: 'GW_ERR_BMC_UNREACHABLE',
    });
    const s = await AtenWebSession.login({ host: `127.0.0.1:${web.port}`, username: 'ADMIN', password: 'p@ss&word', insecureTls: true, legacyTls: true });
    started.push(s);
  });
});

describe('AtenWebSession.fetchHtml5Console (the HTML5 bootstrap page)', () => {
  it("mints a ticket per fetch and names the console: wss:// on the web port's root, the web origin, the SID cookie; the CSRF header goes with the logout", async () => {
    const { web } = await bmc({ html5: true });
    const s = await AtenWebSession.login({ host: `127.0.0.1:${web.port}`, username: 'ADMIN', password: 'p@ss&word', insecureTls: true });
    started.push(s);
    const a = await s.fetchHtml5Console();
    expect(a).toEqual({
      entryValue: expect.stringMatching(/^[A-Za-z0-9+/]{22}==$/),
      url: `wss://127.0.0.1:${web.port}/`,
      origin: `https://127.0.0.1:${web.port}`,
      cookie: expect.stringMatching(/^SID=[0-9a-f]{32}$/),
    });
    expect((await s.fetchHtml5Console()).entryValue).not.toBe(a.entryValue);
    expect(web.requests[1]!.url).toBe('/cgi/url_redirect.cgi?url_name=man_ikvm_html5_bootstrap');
    expect(await s.logout()).toBe(true);
    expect(web.logoutsWithCsrf).toBe(1);
  });

  it('html5_endpoint moves the page', async () => {
    const { web } = await bmc({ html5: true });
    const s = await AtenWebSession.login({
      host: `127.0.0.1:${web.port}`,
      username: 'ADMIN',
      password: 'p@ss&word',
      insecureTls: true,
      overrides: { html5_endpoint: 'cgi/url_redirect.cgi?url_name=man_ikvm_html5_bootstrap&x=1' },
    });
    started.push(s);
    await s.fetchHtml5Console();
    expect(web.requests[1]!.url).toBe('/cgi/url_redirect.cgi?url_name=man_ikvm_html5_bootstrap&x=1');
  });

  it('a BMC without the page (X9: 404) or with a page holding no ticket → Html5UnavailableError, GW_ERR_BMC_PROTOCOL', async () => {
    const { web } = await bmc();
    const s = await AtenWebSession.login({ host: `127.0.0.1:${web.port}`, username: 'ADMIN', password: 'p@ss&word', insecureTls: true });
    started.push(s);
    const err = await s.fetchHtml5Console().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Html5UnavailableError);
    expect(err).toMatchObject({ code: 'GW_ERR_BMC_PROTOCOL', message: expect.stringMatching(/serves no HTML5 iKVM page \(.*HTTP 404\)/) });
    const other = await AtenWebSession.login({
      host: `127.0.0.1:${web.port}`,
      username: 'ADMIN',
      password: 'p@ss&word',
      insecureTls: true,
      overrides: { html5_endpoint: 'cgi/logout.cgi' },
    });
    started.push(other);
    await expect(other.fetchHtml5Console()).rejects.toMatchObject({
      code: 'GW_ERR_BMC_PROTOCOL',
      message: expect.stringMatching(/holds no HTML5 console ticket/),
    });
  });
});
