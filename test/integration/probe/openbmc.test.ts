import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OPENBMC_USERS, startOpenBmcBmc, type OpenBmcBmc } from '../../helpers/openbmc/openbmc-bmc.js';
import { fillAndCheck, findingAt, openConsoleOf, ports, probeJson, secretFiles } from './helpers.js';

// `bmc-gateway probe` against the OpenBMC simulator (bmcweb's Redfish root and sessions, /kvm/0 piped
// to TigerVNC Xvnc): the service root says bmcweb, the KVM is checked only with credentials, the
// Redfish session is deleted, and the printed openbmc console opens in a gateway.

describe('probe: an OpenBMC board (simulator with Xvnc behind /kvm/0)', () => {
  let bmc: OpenBmcBmc;
  let common: string[];
  const secrets = secretFiles();
  const pw = (p: string) => secrets.file(p);

  beforeAll(async () => {
    bmc = await startOpenBmcBmc();
    common = await ports({ web: bmc.sim.port, timeout: '3s' });
  }, 60_000);
  afterAll(async () => {
    await bmc?.close();
    await secrets.remove();
  });

  it('without credentials: the service root looks like bmcweb; /kvm/0 is not touched; openbmc is suggested as seen', async () => {
    const before = bmc.sim.requests.length;
    const { code, report } = await probeJson(['127.0.0.1', ...common]);
    expect(code).toBe(0);
    const root = findingAt(report, `https/${bmc.sim.port}`, 'redfish');
    expect(root).toMatchObject({ outcome: 'found', facts: { bmcweb: true, redfishVersion: '1.17.0', managerProvidingService: '/redfish/v1/Managers/bmc' } });
    expect(root.summary).toContain('needs a login to check');
    expect(
      bmc.sim.requests
        .slice(before)
        .map((r) => `${r.method} ${r.path}`)
        .sort(),
    ).toEqual(['GET /', 'GET /redfish/v1/']);
    expect(report.chosen[0]).toMatchObject({
      block: 'console',
      confidence: 'seen',
      config: { type: 'openbmc', host: '127.0.0.1', port: bmc.sim.port, user: null, password: null, insecureTls: true },
    });
  });

  it('with an administrator: /kvm/0 answers RFB (None, "OpenBMC IKVM"), the session is deleted, and the YAML opens the console', async () => {
    const deletedBefore = bmc.sim.deleted.length;
    const u = OPENBMC_USERS.admin;
    const { report } = await probeJson(['127.0.0.1', '--user', u.name, '--password-file', await pw(u.password), '--insecure-tls', ...common]);
    const kvm = findingAt(report, `https/${bmc.sim.port}`, 'bmcweb-kvm');
    expect(kvm).toMatchObject({
      outcome: 'found',
      facts: { login: 'ok', rfb: { version: '3.8', securityTypes: [1], name: 'OpenBMC IKVM', width: 800, height: 600 } },
    });
    // Two Redfish sessions, both deleted: the KVM check's and the Redfish system check's (the
    // simulator has no Systems collection behind its root's link: that check fails, no redfish block).
    expect(bmc.sim.deleted.length).toBe(deletedBefore + 2);
    expect(bmc.sim.sessions.size).toBe(0);
    expect(findingAt(report, `https/${bmc.sim.port}`, 'redfish-system')).toMatchObject({ outcome: 'problem', facts: { login: 'ok' } });
    expect(report.chosen.map((c) => c.block)).toEqual(['console']);
    expect(bmc.sim.overruns).toBe(0);
    const text = JSON.stringify(report);
    expect(text).not.toContain(u.password);
    for (const token of bmc.sim.tokens) expect(text).not.toContain(token);
    expect(report.chosen[0]).toMatchObject({ block: 'console', confidence: 'verified', config: { type: 'openbmc', user: u.name, password: null } });

    const { server } = await fillAndCheck(report.yaml!, { password: u.password });
    await openConsoleOf(server, (v) => expect(v.fb!.width).toBe(800));
  });

  it('a read-only user: logged in, /kvm/0 refused (403), no openbmc console suggested; a wrong password: refused', async () => {
    const ro = OPENBMC_USERS.readonly;
    const { report } = await probeJson(['127.0.0.1', '--user', ro.name, '--password-file', await pw(ro.password), '--insecure-tls', ...common]);
    const kvm = findingAt(report, `https/${bmc.sim.port}`, 'bmcweb-kvm');
    expect(kvm.outcome).toBe('problem');
    expect(kvm.summary).toMatch(/\/kvm\/0 did not open: .*HTTP 403/);
    expect(report.chosen.filter((c) => c.block === 'console')).toEqual([]);
    expect(bmc.sim.sessions.size).toBe(0);

    const bad = await probeJson(['127.0.0.1', '--user', 'root', '--password-file', await pw('nope'), '--insecure-tls', ...common]);
    expect(findingAt(bad.report, `https/${bmc.sim.port}`, 'bmcweb-kvm')).toMatchObject({ outcome: 'problem', facts: { login: 'refused' } });
  });
});
