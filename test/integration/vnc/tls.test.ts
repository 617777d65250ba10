import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selfSignedCertificate } from '../../helpers/aten/self-signed.js';
import { expectConverges, fbImage } from '../../helpers/converge.js';
import { logCollector, eqPhp, startTestGateway, TEST_TOKEN, type TestGateway } from '../../helpers/gateway.js';
import { startX11vnc, type X11vncServer } from '../../helpers/x11vnc.js';
import { startXvnc, type XvncOptions, type XvncServer } from '../../helpers/xvnc.js';

const PASSWORD = 'tls-pw';
const PLAIN_USER = 'alice';
const PLAIN_PASSWORD = 'wonder-land-pw';
/**
 * X may draw its pointer (at the screen's centre until something moves it) into what xwd sees, while
 * VNC clients get it as a cursor shape: the comparison covers the top of the screen with the xterm.
 */
const COMPARED = { x: 0, y: 0, width: 640, height: 180 };

/**
 * The `vnc` source's TLS security types against TigerVNC's Xvnc (GnuTLS): every VeNCrypt subtype
 * family it offers, certificate checking with a certificate made here, and the `tls` modes. Each
 * connection must show the X screen pixel for pixel, and neither the VNC nor the Plain password
 * may reach the log.
 */
describe('vnc source over TLS against TigerVNC Xvnc', () => {
  const servers: Record<string, XvncServer> = {};
  let anonTls: X11vncServer | undefined;
  const log = logCollector();
  let gw: TestGateway;
  let dir: string;
  const cert = selfSignedCertificate({ commonName: 'xvnc-test', names: ['127.0.0.1', 'localhost'] });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bmcgw-vnctls-'));
    const caFile = join(dir, 'ca.pem');
    writeFileSync(caFile, cert.cert);
    const otherCaFile = join(dir, 'other-ca.pem');
    writeFileSync(otherCaFile, selfSignedCertificate({ commonName: 'someone else', names: ['127.0.0.1'] }).cert);
    const wrongName = selfSignedCertificate({ commonName: 'bmc.example', names: ['bmc.example'] });
    const wrongNameCaFile = join(dir, 'wrong-name-ca.pem');
    writeFileSync(wrongNameCaFile, wrongName.cert);

    const start = async (name: string, opts: XvncOptions): Promise<number> => {
      const x = await startXvnc({ geometry: '640x400', ...opts });
      servers[name] = x;
      x.startXterm(['-geometry', '60x10+10+10', '-e', '/bin/sh']);
      return x.port;
    };
    // One at a time: the machine is shared.
    const tlsNone = await start('tlsNone', { securityTypes: ['TLSNone'] });
    const tlsVnc = await start('tlsVnc', { password: PASSWORD, securityTypes: ['TLSVnc'] });
    const x509Vnc = await start('x509Vnc', { password: PASSWORD, securityTypes: ['X509Vnc'], x509: cert });
    const vencrypt = await start('vencrypt', {
      password: PASSWORD,
      securityTypes: ['VeNCrypt', 'X509Plain', 'TLSVnc', 'VncAuth'],
      x509: cert,
      plainUsers: { [PLAIN_USER]: PLAIN_PASSWORD },
    });
    const tigerDefault = await start('tigerDefault', { password: PASSWORD, securityTypes: ['TLSVnc', 'VncAuth'] });
    const noneOnly = await start('noneOnly', {});
    const tlsOrNone = await start('tlsOrNone', { securityTypes: ['None', 'TLSNone'] });
    const wrongNameX509 = await start('wrongName', { securityTypes: ['X509None'], x509: wrongName });
    // Type 18 comes from x11vnc serving the TLSNone server's X display.
    anonTls = await startX11vnc(servers['tlsNone']!.display, { anonTls: cert });

    const vnc = (port: number, extra: Record<string, unknown> = {}) => ({ type: 'vnc', host: '127.0.0.1', port, connectTimeout: '20s', ...extra });
    gw = await startTestGateway(
      {
        tokens: [{ token: TEST_TOKEN, servers: ['*'] }],
        servers: [
          { id: 'tls-none', console: vnc(tlsNone) },
          { id: 'tls-vnc', console: vnc(tlsVnc, { password: PASSWORD }) },
          { id: 'tls-vnc-wrong-pw', console: vnc(tlsVnc, { password: 'nope' }) },
          { id: 'x509-selfsigned', console: vnc(x509Vnc, { password: PASSWORD }) },
          { id: 'x509-insecure', console: vnc(x509Vnc, { password: PASSWORD, insecureTls: true }) },
          { id: 'x509-ca', console: vnc(x509Vnc, { password: PASSWORD, ca: caFile }) },
          { id: 'x509-other-ca', console: vnc(x509Vnc, { password: PASSWORD, ca: otherCaFile }) },
          { id: 'x509-localhost', console: vnc(x509Vnc, { password: PASSWORD, ca: caFile, host: 'localhost' }) },
          { id: 'x509-wrong-name', console: vnc(wrongNameX509, { ca: wrongNameCaFile }) },
          { id: 'x509-wrong-name-insecure', console: vnc(wrongNameX509, { insecureTls: true }) },
          { id: 'vencrypt-plain', console: vnc(vencrypt, { user: PLAIN_USER, password: PLAIN_PASSWORD, ca: caFile }) },
          { id: 'vencrypt-no-user', console: vnc(vencrypt, { password: PASSWORD, ca: caFile }) },
          { id: 'tiger-default', console: vnc(tigerDefault, { password: PASSWORD }) },
          { id: 'tiger-default-off', console: vnc(tigerDefault, { password: PASSWORD, tls: 'off' }) },
          { id: 'tls-only-off', console: vnc(tlsVnc, { password: PASSWORD, tls: 'off' }) },
          { id: 'none-require', console: vnc(noneOnly, { tls: 'require' }) },
          { id: 'none-prefer', console: vnc(noneOnly) },
          { id: 'tls-or-none', console: vnc(tlsOrNone) },
          { id: 'anon-tls-18', console: vnc(anonTls.port, { tls: 'require' }) },
        ],
      },
      { log: { level: 'trace', stream: log.stream } },
    );
  }, 180_000);

  afterAll(async () => {
    await gw?.close();
    await anonTls?.stop();
    for (const x of Object.values(servers)) await x.stop();
    rmSync(dir, { recursive: true, force: true });
    // Whatever happened above, no password was logged.
    const all = log.text();
    for (const secret of [PASSWORD, PLAIN_PASSWORD, 'nope']) expect(all.includes(secret), `"${secret}" in the log`).toBe(false);
  });

  /** Opens the console; returns the connection's log line (TLS parameters, pixel formats). */
  async function open(id: string, server: string, port = servers[server]!.port): Promise<Record<string, any>> {
    const { body } = await eqPhp(gw, { action: 'novnc', token: TEST_TOKEN, id });
    expect(body.result, JSON.stringify(body)).toBe('OK');
    const session = gw.registry.get(body.key)!;
    const x = servers[server]!;
    await expectConverges(
      () => fbImage(session.fb),
      () => x.screenshot(),
      `${id}: shadow framebuffer vs Xvnc's screen`,
      { region: COMPARED },
    );
    const line = log
      .text()
      .split('\n')
      .filter((l) => l.includes('"rfb-connected"') && l.includes(`:${port}"`))
      .pop();
    expect(line, `rfb-connected log line for ${id}`).toBeDefined();
    session.end('test done');
    return JSON.parse(line!);
  }

  async function refused(id: string): Promise<{ code: string; message: string }> {
    const { status, body } = await eqPhp(gw, { action: 'novnc', token: TEST_TOKEN, id });
    expect(status, JSON.stringify(body)).toBeGreaterThanOrEqual(400);
    return body.error;
  }

  it('TLSNone: anonymous TLS 1.2 with an anonymous ECDH/DH suite, pixels equal the X screen', async () => {
    const l = await open('tls-none', 'tlsNone');
    expect(l.tls).toMatchObject({ protocol: 'TLSv1.2', securityType: 19, subtype: 257 });
    expect(l.tls.cipher).toMatch(/^A(EC)?DH-/);
  });

  it('TLS (18), anonymous, from x11vnc: a second security-type list inside TLS, pixels equal the X screen', async () => {
    const l = await open('anon-tls-18', 'tlsNone', anonTls!.port);
    expect(l.tls).toMatchObject({ protocol: 'TLSv1.2', securityType: 18 });
    expect(l.tls.cipher).toMatch(/^A(EC)?DH-/);
  });

  it('TLSVnc: VNC Authentication inside anonymous TLS; a wrong password is GW_ERR_BMC_AUTH_FAILED', async () => {
    expect((await open('tls-vnc', 'tlsVnc')).tls).toMatchObject({ securityType: 19, subtype: 258 });
    const e = await refused('tls-vnc-wrong-pw');
    expect(e.code).toBe('GW_ERR_BMC_AUTH_FAILED');
  });

  it('X509Vnc with a self-signed certificate: refused without insecureTls or ca, accepted with either', async () => {
    const e = await refused('x509-selfsigned');
    expect(e.code).toBe('GW_ERR_BMC_TLS');
    expect(e.message).toMatch(/X509Vnc \(261\).*SELF_SIGNED.*set console\.ca/);
    expect((await open('x509-insecure', 'x509Vnc')).tls).toMatchObject({ securityType: 19, subtype: 261, protocol: 'TLSv1.3' });
    expect((await open('x509-ca', 'x509Vnc')).tls).toMatchObject({ subtype: 261 });
    // The host name is checked too: the certificate carries localhost as well.
    expect((await open('x509-localhost', 'x509Vnc')).tls).toMatchObject({ subtype: 261 });
  });

  it('X509: a ca that did not issue the certificate, or a certificate for another name, is refused (the latter accepted with insecureTls)', async () => {
    const other = await refused('x509-other-ca');
    expect(other.code).toBe('GW_ERR_BMC_TLS');
    expect(other.message).toMatch(/does not verify against console\.ca/);
    const name = await refused('x509-wrong-name');
    expect(name.code).toBe('GW_ERR_BMC_TLS');
    expect(name.message).toMatch(/ERR_TLS_CERT_ALTNAME_INVALID/);
    expect((await open('x509-wrong-name-insecure', 'wrongName')).tls).toMatchObject({ subtype: 260 });
  });

  it('VeNCrypt with X509Plain, TLSVnc and VncAuth on offer: user + password go over X509Plain (PAM via pam_wrapper); without a user TLSVnc is taken', async () => {
    expect((await open('vencrypt-plain', 'vencrypt')).tls).toMatchObject({ securityType: 19, subtype: 262 });
    expect((await open('vencrypt-no-user', 'vencrypt')).tls).toMatchObject({ securityType: 19, subtype: 258 });
  });

  it("tls prefer takes TLS from a server offering TLS and VncAuth (TigerVNC's default); tls off takes VncAuth", async () => {
    expect((await open('tiger-default', 'tigerDefault')).tls).toMatchObject({ subtype: 258 });
    expect((await open('tiger-default-off', 'tigerDefault')).tls).toBeUndefined();
    const e = await refused('tls-only-off');
    expect(e.code).toBe('GW_ERR_BMC_PROTOCOL');
    expect(e.message).toMatch(/RFB_ERR_NO_SECURITY_TYPE/);
  });

  it('tls prefer takes TLS from a server that also offers None', async () => {
    expect((await open('tls-or-none', 'tlsOrNone')).tls).toMatchObject({ securityType: 19, subtype: 257 });
  });

  it('tls require refuses a server without TLS types with a clear error; prefer connects to it without TLS', async () => {
    const e = await refused('none-require');
    expect(e.code).toBe('GW_ERR_BMC_TLS');
    expect(e.message).toMatch(/tls is "require" but the server offers no TLS security type \(it offers \[1\]/);
    expect((await open('none-prefer', 'noneOnly')).tls).toBeUndefined();
  });
});
