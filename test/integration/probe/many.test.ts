import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startIpmiResponder, type IpmiResponder } from '../../helpers/ipmi-responder.js';
import { startXvnc, type XvncServer } from '../../helpers/xvnc.js';
import { BMC_PASSWORD, BMC_USER, startAtenBmc, type AtenBmc } from '../aten/helpers.js';
import { closedPort, fillAndCheck, findingAt, ports, probeJson, runProbeCli, secretFiles, silentPort } from './helpers.js';

// One probe of a host where several things answer at once, all on 127.0.0.1: a VNC server with a
// password (TigerVNC Xvnc), a Supermicro board (ATEN simulator: TCP iKVM port and web with the HTML5
// console), IPMI (our responder, suite 17), a closed port and a silent one. Every probe runs at the
// same time; the printed configuration holds the best console, the IPMI block, and the VNC console
// as a commented alternative.

describe('probe: a host where several things answer', () => {
  let xvnc: XvncServer;
  let aten: AtenBmc;
  let ipmi: IpmiResponder;
  let silent: { port: number; close(): Promise<void> };
  let args: string[];
  const cleanups: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    xvnc = await startXvnc({ password: 'vnc-only-pw', geometry: '640x480' });
    aten = await startAtenBmc({ kvm: { width: 800, height: 600 }, web: { html5: true } });
    ipmi = await startIpmiResponder({ user: BMC_USER, password: BMC_PASSWORD });
    silent = await silentPort();
    const secrets = secretFiles();
    const pw = await secrets.file(BMC_PASSWORD);
    const vncPw = await secrets.file('vnc-only-pw');
    cleanups.push(() => secrets.remove());
    args = [
      '127.0.0.1',
      '--user',
      BMC_USER,
      '--password-file',
      pw,
      '--vnc-password-file',
      vncPw,
      '--insecure-tls',
      ...(await ports({ rfb: [xvnc.port, aten.kvm.port, await closedPort(), silent.port], web: aten.web.port, ipmi: ipmi.port })),
    ];
  }, 60_000);

  afterAll(async () => {
    await xvnc?.stop();
    await aten?.close();
    await ipmi?.stop();
    await silent?.close();
    for (const c of cleanups) await c();
  });

  it('finds each, chooses ATEN (with IPMI), keeps VNC as an alternative; the YAML passes check-config once filled in', async () => {
    const { code, report } = await probeJson(args);
    expect(code).toBe(0);
    expect(findingAt(report, `tcp/${xvnc.port}`)).toMatchObject({ outcome: 'found', facts: { kind: 'rfb', passwordAccepted: true } });
    expect(findingAt(report, `tcp/${aten.kvm.port}`)).toMatchObject({ probe: 'aten-tcp', outcome: 'found' });
    expect(findingAt(report, `tcp/${silent.port}`)).toMatchObject({ outcome: 'absent' });
    expect(findingAt(report, `https/${aten.web.port}`, 'supermicro-web')).toMatchObject({ facts: { login: 'ok' } });
    expect(findingAt(report, `udp/${ipmi.port}`)).toMatchObject({ facts: { session: { cipherSuite: 17, privilege: 'ADMINISTRATOR' } } });
    expect(report.chosen.map((c) => `${c.block}:${c.confidence}:${String(c.config['type'] ?? '')}`)).toEqual(['console:verified:aten', 'ipmi:verified:']);
    expect(report.alternatives.map((a) => a.config['type'] ?? a.config['transport'])).toEqual(expect.arrayContaining(['vnc']));
    const { config } = await fillAndCheck(report.yaml!, { password: BMC_PASSWORD });
    expect(config.servers[0]).toMatchObject({
      id: '127.0.0.1',
      console: { type: 'aten', transport: 'tcp', webPort: aten.web.port },
      ipmi: { host: '127.0.0.1', port: ipmi.port, user: BMC_USER },
    });
    expect(ipmi.log.filter((l) => l.startsWith('chassis control'))).toEqual([]);
  });

  it('the text report: one line per thing probed, what was sent, the YAML with the alternatives as comments, no secret', async () => {
    const r = await runProbeCli(args);
    expect(r.code).toBe(0);
    for (const where of [`tcp/${xvnc.port}`, `tcp/${aten.kvm.port}`, `tcp/${silent.port}`, `https/${aten.web.port}`, `udp/${ipmi.port}`])
      expect(r.out).toContain(where);
    expect(r.out).toMatch(/^\+ tcp\/\d+ +aten-tcp +Supermicro ATEN iKVM/m);
    expect(r.out).toContain('> POST /cgi/login.cgi');
    expect(r.out).toMatch(/^servers:\n {2}- id: 127\.0\.0\.1\n {4}# verified: web login OK/m);
    expect(r.out).toMatch(
      /^# Also possible \(instead of the block of the same name above\):\n(#.*\n)*# {3}console: \{ type: vnc, host: 127\.0\.0\.1, port: \d+, password: null \}\n/m,
    );
    expect(r.out + r.err).not.toContain(BMC_PASSWORD);
    expect(r.out + r.err).not.toContain('vnc-only-pw');
  });
});
