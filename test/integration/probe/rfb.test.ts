import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startXvnc, type XvncServer } from '../../helpers/xvnc.js';
import { closedPort, fillAndCheck, findingAt, openConsoleOf, ports, probeJson, runProbeCli, secretFiles, silentPort, talkingPort } from './helpers.js';

// `bmc-gateway probe` against TigerVNC's Xvnc (VncAuth and None), a closed port, a silent port and
// a port speaking another protocol; the YAML it prints passes check-config and opens the console.

const PASSWORD = 'probe-pw';

describe('probe: RFB ports against TigerVNC Xvnc', () => {
  let withAuth: XvncServer;
  let noAuth: XvncServer;
  let closed: number;
  const secrets = secretFiles();
  let pw: string;
  let wrong: string;
  /** Ports nothing listens on, for the probes this file is not about. */
  let others: string[];

  beforeAll(async () => {
    [withAuth, noAuth] = await Promise.all([
      startXvnc({ password: PASSWORD, geometry: '800x600', desktopName: 'probe-auth' }),
      startXvnc({ geometry: '640x480', desktopName: 'probe-none' }),
    ]);
    closed = await closedPort();
    pw = await secrets.file(PASSWORD);
    wrong = await secrets.file('not-it');
    others = (await ports({})).slice(2);
  }, 60_000);

  afterAll(async () => {
    await withAuth?.stop();
    await noAuth?.stop();
    await secrets.remove();
  });

  it('without a password: VNC Authentication seen on one port, None verified on the other, the closed port is nothing; the None one is chosen', async () => {
    const { code, report } = await probeJson(['127.0.0.1', '--rfb-ports', `${withAuth.port},${noAuth.port},${closed}`, ...others]);
    expect(code).toBe(0);
    const auth = findingAt(report, `tcp/${withAuth.port}`);
    expect(auth).toMatchObject({ probe: 'rfb', outcome: 'found', facts: { kind: 'rfb', version: '3.8', securityTypes: [2], auth: 'vnc' } });
    expect(auth.summary).toContain('VNC Authentication (2)');
    expect(auth.requests.join(' ')).toContain('closed without choosing');
    const none = findingAt(report, `tcp/${noAuth.port}`);
    expect(none).toMatchObject({ outcome: 'found', facts: { kind: 'rfb', securityTypes: [1], auth: 'none', name: 'probe-none', width: 640, height: 480 } });
    expect(findingAt(report, `tcp/${closed}`)).toMatchObject({ outcome: 'absent', summary: 'closed (connection refused)' });
    expect(report.chosen).toEqual([
      expect.objectContaining({ block: 'console', confidence: 'verified', config: { type: 'vnc', host: '127.0.0.1', port: noAuth.port } }),
    ]);
    expect(report.alternatives).toEqual([
      expect.objectContaining({ block: 'console', confidence: 'seen', config: { type: 'vnc', host: '127.0.0.1', port: withAuth.port, password: null } }),
    ]);
    // The YAML is a whole config check-config accepts as it is (None needs nothing filled in).
    const { config } = await fillAndCheck(report.yaml!, {});
    expect(config.servers[0]!.console).toMatchObject({ type: 'vnc', host: '127.0.0.1', port: noAuth.port, password: undefined });
  });

  it('with the password: verified (ServerInit read), the YAML opens the console in a gateway; the password is never printed', async () => {
    const r = await runProbeCli(['127.0.0.1', '--user', 'ignored', '--password-file', pw, '--rfb-ports', String(withAuth.port), ...others]);
    expect(r.code).toBe(0);
    expect(r.out).toContain('the password was accepted; desktop "probe-auth" 800x600');
    expect(r.out).toContain(`port: ${withAuth.port}`);
    expect(r.out + r.err).not.toContain(PASSWORD);
    const { report } = await probeJson(['127.0.0.1', '--user', 'ignored', '--rfb-ports', String(withAuth.port), ...others], {
      env: { BMC_PASSWORD: PASSWORD },
    });
    expect(report.chosen[0]).toMatchObject({ block: 'console', confidence: 'verified', config: { type: 'vnc', port: withAuth.port, password: null } });
    expect(JSON.stringify(report)).not.toContain(PASSWORD);

    // check-config refuses the null until it is filled in, then the entry opens the console.
    await expect(fillAndCheck(report.yaml!, {})).rejects.toThrow(/servers\[0\]\.console\.password/);
    const { server } = await fillAndCheck(report.yaml!, { password: PASSWORD });
    await openConsoleOf(server, (v) => {
      expect(v.name).toBe('probe-auth');
      expect(v.fb!.width).toBe(800);
    });
  });

  it('a wrong VNC password is a problem, and nothing is suggested for it', async () => {
    const { code, report } = await probeJson(['127.0.0.1', '--user', 'x', '--password-file', wrong, '--rfb-ports', String(withAuth.port), ...others]);
    expect(code).toBe(1);
    expect(findingAt(report, `tcp/${withAuth.port}`)).toMatchObject({ outcome: 'problem', facts: { passwordRefused: true } });
    expect(findingAt(report, `tcp/${withAuth.port}`).summary).toContain('the password was refused');
    expect(report.chosen).toEqual([]);
  });

  it('--vnc-password-file is used for VNC Authentication instead of the login password', async () => {
    const { report } = await probeJson([
      '127.0.0.1',
      '--user',
      'x',
      '--password-file',
      wrong,
      '--vnc-password-file',
      pw,
      '--rfb-ports',
      String(withAuth.port),
      ...others,
    ]);
    expect(findingAt(report, `tcp/${withAuth.port}`)).toMatchObject({ outcome: 'found', facts: { passwordAccepted: true } });
  });
});

describe('probe: ports where no RFB answers', () => {
  it('a silent port (and no TLS on it) and a port speaking another protocol are "nothing there", within the bounds', async () => {
    const silent = await silentPort();
    const http = await talkingPort('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n');
    try {
      const { code, report } = await probeJson(['127.0.0.1', ...(await ports({ rfb: [silent.port, http.port], timeout: '500ms' }))]);
      expect(code).toBe(1);
      const s = findingAt(report, `tcp/${silent.port}`);
      expect(s.outcome).toBe('absent');
      expect(s.summary).toMatch(/nothing was sent within 500 ms, and no TLS either/);
      expect(s.requests.join(' ')).toContain('TLS handshake');
      const h = findingAt(report, `tcp/${http.port}`);
      expect(h.outcome).toBe('absent');
      expect(h.summary).toMatch(/^not RFB: .*HTTP\/1\.1 400/);
      expect(report.chosen).toEqual([]);
    } finally {
      await silent.close();
      await http.close();
    }
  });
});
