import { createServer as createTlsServer, type Server as TlsServer } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selfSignedCertificate } from '../../helpers/aten/self-signed.js';
import { BMC_PASSWORD, BMC_USER, meanAbsError, startAtenBmc, type AtenBmc } from '../aten/helpers.js';
import { fillAndCheck, findingAt, openConsoleOf, ports, probeJson, secretFiles } from './helpers.js';

// `bmc-gateway probe` against our ATEN BMC simulator (TCP iKVM port, web login, JNLP, HTML5 front):
// what it sees without and with credentials, what it never does (log in to the KVM, send a ticket),
// and that the YAML it prints opens the console in a gateway.

const JPEG_TOLERANCE = 12;

/** The console a gateway opens from `server` shows the simulator's screen. */
const openConsole = (server: Record<string, unknown>, bmc: AtenBmc) =>
  openConsoleOf(server, (v) => v.waitFor(() => v.fb!.width === bmc.kvm.screen.width && meanAbsError(v.fb!.data, bmc.kvm.screen.rgbx) < JPEG_TOLERANCE));

describe('probe: a Supermicro board (ATEN simulator: TCP iKVM, web login, JNLP and the HTML5 console)', () => {
  let bmc: AtenBmc;
  const secrets = secretFiles();
  let pw: string;
  let web: string[];

  beforeAll(async () => {
    bmc = await startAtenBmc({ kvm: { width: 800, height: 600 }, web: { html5: true } });
    pw = await secrets.file(BMC_PASSWORD);
    web = await ports({ rfb: [bmc.kvm.port], web: bmc.web.port });
  }, 30_000);
  afterAll(async () => {
    await bmc?.close();
    await secrets.remove();
  });

  it('without credentials: the ATEN port (banner, type 16, 24-byte block; no credentials sent), the login page hint, a self-signed certificate', async () => {
    const requestsBefore = bmc.web.requests.length;
    const { code, report } = await probeJson(['127.0.0.1', ...web]);
    expect(code).toBe(0);
    const aten = findingAt(report, `tcp/${bmc.kvm.port}`);
    expect(aten).toMatchObject({
      probe: 'aten-tcp',
      outcome: 'found',
      facts: { kind: 'aten', banner: 'RFB 003.008', securityTypes: [16], challengeBytes: 24 },
    });
    expect(aten.requests.join('\n')).toContain('no credentials sent');
    expect(bmc.kvm.logins).toEqual([]); // the simulator saw no 48 credential bytes
    expect(findingAt(report, `https/${bmc.web.port}`, 'web-tls')).toMatchObject({
      outcome: 'found',
      facts: { verified: false, selfSigned: true, subject: 'ATEN simulator' },
    });
    expect(findingAt(report, `https/${bmc.web.port}`, 'supermicro-web')).toMatchObject({
      outcome: 'found',
      facts: { loginPageHint: true, notTried: 'no credentials given' },
    });
    expect(findingAt(report, `https/${bmc.web.port}`, 'redfish')).toMatchObject({ outcome: 'absent' });
    // Only unauthenticated GETs reached the web side.
    expect(
      bmc.web.requests
        .slice(requestsBefore)
        .map((r) => `${r.method} ${r.url}`)
        .sort(),
    ).toEqual(['GET /', 'GET /redfish/v1/']);
    expect(report.chosen).toEqual([
      expect.objectContaining({
        block: 'console',
        confidence: 'seen',
        config: { type: 'aten', host: '127.0.0.1', user: null, password: null, webPort: bmc.web.port, insecureTls: true, transport: 'tcp' },
      }),
    ]);
    await expect(fillAndCheck(report.yaml!, {})).rejects.toThrow(/console\.user: is required[\s\S]*console\.password: is required/);
  });

  it('with credentials but without --insecure-tls: the password is not sent to the unverified certificate', async () => {
    const requestsBefore = bmc.web.requests.length;
    const { report } = await probeJson(['127.0.0.1', '--user', BMC_USER, '--password-file', pw, ...web]);
    expect(findingAt(report, `https/${bmc.web.port}`, 'supermicro-web').summary).toContain('rerun with --insecure-tls');
    expect(bmc.web.requests.slice(requestsBefore).some((r) => r.method === 'POST')).toBe(false);
  });

  it('with credentials: web login, the HTML5 console answers 055.008, the JNLP names the KVM port, logout; the YAML opens the console', async () => {
    const requestsBefore = bmc.web.requests.length;
    const logoutsBefore = bmc.web.logouts;
    const { code, report, err } = await probeJson(['127.0.0.1', '--user', BMC_USER, '--password-file', pw, '--insecure-tls', ...web]);
    expect(code, err).toBe(0);
    const sm = findingAt(report, `https/${bmc.web.port}`, 'supermicro-web');
    expect(sm).toMatchObject({
      outcome: 'found',
      facts: { login: 'ok', loggedOut: true, html5: { ticket: true, banner: 'RFB 055.008' }, jnlp: { kvmPort: bmc.kvm.port, tls: false } },
    });
    // What the BMC saw: the login, the two pages, one WebSocket upgrade (accepted), the logout. No KVM login anywhere.
    const seen = bmc.web.requests.slice(requestsBefore).map((r) => `${r.method} ${r.url.replace(/\?.*/, '')}`);
    expect(seen).toEqual(expect.arrayContaining(['POST /cgi/login.cgi', 'GET /cgi/url_redirect.cgi', 'UPGRADE /', 'GET /cgi/logout.cgi']));
    expect(bmc.web.logouts).toBe(logoutsBefore + 1);
    expect(bmc.web.html5!.upgrades.at(-1)).toMatchObject({ path: '/' });
    expect(bmc.web.html5!.upgrades.at(-1)!.refused).toBeUndefined();
    expect(bmc.kvm.logins).toEqual([]);
    expect(JSON.stringify(report)).not.toContain(BMC_PASSWORD);

    expect(report.chosen[0]).toMatchObject({
      block: 'console',
      confidence: 'verified',
      config: { type: 'aten', user: BMC_USER, password: null, transport: 'tcp', insecureTls: true, webPort: bmc.web.port },
    });
    expect(report.alternatives).toEqual([expect.objectContaining({ confidence: 'verified', config: expect.objectContaining({ transport: 'html5' }) })]);
    const { server } = await fillAndCheck(report.yaml!, { password: BMC_PASSWORD });
    await openConsole(server, bmc);
    // The alternative works too.
    await openConsole({ id: '127.0.0.1', console: { ...report.alternatives[0]!.config, password: BMC_PASSWORD } }, bmc);
  });
});

describe('probe: other Supermicro generations', () => {
  const cleanups: (() => Promise<void>)[] = [];
  const secrets = secretFiles();
  let pw: string;
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c();
    await secrets.remove();
  });
  beforeAll(async () => {
    pw = await secrets.file(BMC_PASSWORD);
  });

  it('an HTML5-only board (no JNLP, no TCP port): transport html5, verified, and the YAML opens the console', async () => {
    const bmc = await startAtenBmc({ kvm: { width: 800, height: 600 }, web: { html5: true, jnlpUrlNames: [] } });
    cleanups.push(() => bmc.close());
    const { report } = await probeJson(['127.0.0.1', '--user', BMC_USER, '--password-file', pw, '--insecure-tls', ...(await ports({ web: bmc.web.port }))]);
    const sm = findingAt(report, `https/${bmc.web.port}`, 'supermicro-web');
    expect(sm.facts).toMatchObject({ login: 'ok', html5: { banner: 'RFB 055.008' }, jnlp: { error: expect.stringContaining('gave no iKVM JNLP') } });
    expect(report.chosen[0]).toMatchObject({ block: 'console', confidence: 'verified', config: { type: 'aten', transport: 'html5' } });
    const { server } = await fillAndCheck(report.yaml!, { password: BMC_PASSWORD });
    await openConsole(server, bmc);
  });

  it('firmware whose HTML5 WebSocket stays silent: reported, and the Java port is chosen', async () => {
    const bmc = await startAtenBmc({ web: { html5: 'silent' } });
    cleanups.push(() => bmc.close());
    const { report } = await probeJson([
      '127.0.0.1',
      '--user',
      BMC_USER,
      '--password-file',
      pw,
      '--insecure-tls',
      ...(await ports({ rfb: [bmc.kvm.port], web: bmc.web.port, timeout: '1s' })),
    ]);
    const sm = findingAt(report, `https/${bmc.web.port}`, 'supermicro-web');
    expect(sm.facts).toMatchObject({ html5: { ticket: true, error: expect.stringContaining('nothing within 1000 ms') } });
    expect(report.chosen[0]).toMatchObject({ config: { type: 'aten', transport: 'tcp' } });
    expect(report.alternatives).toEqual([]);
  });

  it('"KVM SSL": a TLS-only port that wants a client certificate, plain ATEN on another; with the JNLP, kvmPort is the plain one and the console opens', async () => {
    const cert = selfSignedCertificate();
    const stunnel: TlsServer = createTlsServer({ key: cert.key, cert: cert.cert, requestCert: true, rejectUnauthorized: true }, (s) => s.end());
    stunnel.on('tlsClientError', () => {});
    await new Promise<void>((resolve) => stunnel.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => stunnel.close(() => resolve())));
    const sslPort = (stunnel.address() as { port: number }).port;
    const bmc = await startAtenBmc({ kvm: { width: 800, height: 600 }, web: { tlsJnlp: { tlsPort: sslPort, plainPort: 0 } } });
    cleanups.push(() => bmc.close());
    // The JNLP's plaintext port is the simulator's KVM port (known only once it listens).
    (bmc.web.options.tlsJnlp as { plainPort: number }).plainPort = bmc.kvm.port;
    const common = await ports({ rfb: [sslPort, bmc.kvm.port], web: bmc.web.port });

    const look = await probeJson(['127.0.0.1', ...common]);
    const wrapped = findingAt(look.report, `tcp/${sslPort}`);
    expect(wrapped).toMatchObject({ outcome: 'problem', facts: { kind: 'tls-wrapped', clientCertificateRequired: true } });
    expect(wrapped.summary).toContain('KVM SSL');
    expect(look.report.chosen[0]).toMatchObject({ confidence: 'seen', config: { transport: 'tcp', kvmPort: bmc.kvm.port } });

    const { report } = await probeJson(['127.0.0.1', '--user', BMC_USER, '--password-file', pw, '--insecure-tls', ...common]);
    expect(findingAt(report, `https/${bmc.web.port}`, 'supermicro-web').facts).toMatchObject({
      jnlp: { kvmPort: sslPort, tls: true, plaintextPort: bmc.kvm.port },
    });
    expect(report.chosen[0]).toMatchObject({ confidence: 'verified', config: { type: 'aten', transport: 'tcp', kvmPort: bmc.kvm.port } });
    const { server } = await fillAndCheck(report.yaml!, { password: BMC_PASSWORD });
    await openConsole(server, bmc);
  });
});
