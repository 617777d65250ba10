import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selfSignedCertificate } from '../../helpers/aten/self-signed.js';
import { startX11vnc, type X11vncServer } from '../../helpers/x11vnc.js';
import { startXvnc, type XvncOptions, type XvncServer } from '../../helpers/xvnc.js';
import { fillAndCheck, findingAt, openConsoleOf, ports, probeJson, secretFiles } from './helpers.js';

// `bmc-gateway probe` on RFB ports with TLS security types, against TigerVNC's Xvnc (TLSNone, TLSVnc,
// X509Vnc with a self-signed certificate, VeNCrypt X509Plain through PAM) and x11vnc's type 18: the
// types and VeNCrypt subtypes offered, the certificate, credentials withheld from an unverified
// certificate, and YAML that opens the console.

const PASSWORD = 'probe-tls-pw';
const PLAIN_USER = 'alice';
const PLAIN_PASSWORD = 'wonder-land-pw';

const opens = (server: Record<string, unknown>, width: number) => openConsoleOf(server, (v) => expect(v.fb!.width).toBe(width));

describe('probe: RFB with TLS security types', () => {
  const x: Record<string, XvncServer> = {};
  let type18: X11vncServer | undefined;
  const cert = selfSignedCertificate({ commonName: 'probe-xvnc', names: ['127.0.0.1'] });
  let others: string[];
  const secrets = secretFiles();
  const secret = (s: string) => secrets.file(s);
  const args = (port: number, ...more: string[]) => ['127.0.0.1', '--rfb-ports', String(port), ...others, ...more];

  beforeAll(async () => {
    const start = async (name: string, o: XvncOptions) => {
      x[name] = await startXvnc({ geometry: '640x400', ...o });
    };
    // One at a time: the machine is shared.
    await start('tlsNone', { securityTypes: ['TLSNone'] });
    await start('tlsVnc', { password: PASSWORD, securityTypes: ['TLSVnc'] });
    await start('x509Vnc', { password: PASSWORD, securityTypes: ['X509Vnc'], x509: cert });
    await start('plain', { securityTypes: ['VeNCrypt', 'X509Plain'], x509: cert, plainUsers: { [PLAIN_USER]: PLAIN_PASSWORD } });
    type18 = await startX11vnc(x['tlsNone']!.display, { anonTls: cert });
    // x11vnc with -ssl holds its RFB greeting back for about 2 s (1.86 s measured: it first waits to see
    // whether the client opens with TLS), so a 3 s wait was one loaded second from the probe deciding
    // the port is silent and trying TLS first (seen with four test workers). Only silent ports wait this long.
    others = (await ports({ timeout: '8s' })).slice(2);
  }, 120_000);

  afterAll(async () => {
    await type18?.stop();
    for (const s of Object.values(x)) await s.stop();
    await secrets.remove();
  });

  it('TLSNone: VeNCrypt, anonymous TLS, no password; the YAML (no TLS keys: prefer is the default) opens the console', async () => {
    const { report } = await probeJson(args(x['tlsNone']!.port));
    const f = findingAt(report, `tcp/${x['tlsNone']!.port}`);
    expect(f).toMatchObject({
      outcome: 'found',
      facts: { securityTypes: [19], vencryptSubtypes: [257], tls: { securityType: 19, subtype: 257, kind: 'anonymous' }, auth: 'none', width: 640 },
    });
    expect(f.summary).toContain('VeNCrypt TLSNone (257), anonymous TLSv1.2');
    expect(report.chosen[0]).toMatchObject({ confidence: 'verified', config: { type: 'vnc', host: '127.0.0.1', port: x['tlsNone']!.port } });
    const { server } = await fillAndCheck(report.yaml!, {});
    await opens(server, 640);
  });

  it('type 18 (x11vnc ANONTLS): anonymous TLS, the list inside it, verified', async () => {
    const { report } = await probeJson(args(type18!.port));
    const f = findingAt(report, `tcp/${type18!.port}`);
    expect(f).toMatchObject({ outcome: 'found', facts: { securityTypes: [18], tls: { securityType: 18, kind: 'anonymous' }, auth: 'none' } });
    expect(report.chosen[0]).toMatchObject({ confidence: 'verified', config: { type: 'vnc', port: type18!.port } });
  });

  it('TLSVnc: the subtype seen without a password, verified with it', async () => {
    const seen = await probeJson(args(x['tlsVnc']!.port));
    expect(findingAt(seen.report, `tcp/${x['tlsVnc']!.port}`)).toMatchObject({ outcome: 'found', facts: { vencryptSubtypes: [258], auth: 'vnc' } });
    expect(seen.report.chosen[0]).toMatchObject({ confidence: 'seen', config: { type: 'vnc', password: null } });
    const { report } = await probeJson(args(x['tlsVnc']!.port, '--user', 'x', '--password-file', await secret(PASSWORD)));
    expect(findingAt(report, `tcp/${x['tlsVnc']!.port}`)).toMatchObject({ outcome: 'found', facts: { tls: { subtype: 258 }, passwordAccepted: true } });
    const { server } = await fillAndCheck(report.yaml!, { password: PASSWORD });
    await opens(server, 640);
  });

  it('X509Vnc with a self-signed certificate: the password is withheld without --insecure-tls; with it, verified and insecureTls in the YAML', async () => {
    const port = x['x509Vnc']!.port;
    const withheld = await probeJson(args(port, '--user', 'x', '--password-file', await secret(PASSWORD)));
    const f = findingAt(withheld.report, `tcp/${port}`);
    expect(f).toMatchObject({
      outcome: 'found',
      facts: { tls: { subtype: 261, kind: 'x509', certificate: { verified: false, subject: 'probe-xvnc', selfSigned: true } } },
    });
    expect(f.summary).toContain('credentials not sent');
    expect(withheld.report.chosen[0]).toMatchObject({ confidence: 'seen', config: { type: 'vnc', password: null, insecureTls: true } });

    const { report } = await probeJson(args(port, '--user', 'x', '--password-file', await secret(PASSWORD), '--insecure-tls'));
    expect(findingAt(report, `tcp/${port}`)).toMatchObject({ outcome: 'found', facts: { passwordAccepted: true, tls: { certificate: { verified: false } } } });
    expect(report.chosen[0]).toMatchObject({ confidence: 'verified', config: { type: 'vnc', port, password: null, insecureTls: true } });
    const { server } = await fillAndCheck(report.yaml!, { password: PASSWORD });
    await opens(server, 640);
  });

  it('VeNCrypt X509Plain (PAM): user and password are needed; with them (and --insecure-tls) verified, user in the YAML', async () => {
    const port = x['plain']!.port;
    const seen = await probeJson(args(port));
    expect(findingAt(seen.report, `tcp/${port}`)).toMatchObject({ facts: { vencryptSubtypes: [262], auth: 'plain' } });
    expect(findingAt(seen.report, `tcp/${port}`).summary).toContain('a user and password are needed');
    expect(seen.report.chosen[0]).toMatchObject({ config: { type: 'vnc', user: null, password: null } });
    const refused = await fillAndCheck(seen.report.yaml!, {}).then(
      () => '',
      (e: Error) => e.message,
    );
    expect(refused).toMatch(/console\.user: is null/);
    expect(refused).toMatch(/console\.password: is null/);

    const { report, err } = await probeJson(args(port, '--user', PLAIN_USER, '--password-file', await secret(PLAIN_PASSWORD), '--insecure-tls'));
    expect(findingAt(report, `tcp/${port}`), err).toMatchObject({ outcome: 'found', facts: { auth: 'plain', passwordAccepted: true } });
    expect(JSON.stringify(report)).not.toContain(PLAIN_PASSWORD);
    expect(report.chosen[0]).toMatchObject({ confidence: 'verified', config: { type: 'vnc', user: PLAIN_USER, password: null, insecureTls: true } });
    const { server } = await fillAndCheck(report.yaml!, { password: PLAIN_PASSWORD });
    await opens(server, 640);
  });
});
