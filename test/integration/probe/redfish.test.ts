import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { powerCommand } from '../../../src/power/power-cli.js';
import { captureIo } from '../../helpers/cli-io.js';
import { RedfishSimulator, SIM_ADMIN } from '../../helpers/redfish/simulator.js';
import { fillAndCheck, findingAt, ports, probeJson, secretFiles } from './helpers.js';

// `bmc-gateway probe`'s Redfish part against our Redfish simulator (itself checked against
// redfishtool, sushy and fence_redfish): the service root without credentials, a read-only look at
// the system with them (session deleted), HTTP Basic where there is no SessionService, and a
// `redfish:` block that `bmc-gateway power` then uses.

describe('probe: a Redfish service (simulator)', () => {
  let sim: RedfishSimulator;
  let basicOnly: RedfishSimulator;
  let noTcp: (port: number) => Promise<string[]>;
  const secrets = secretFiles();
  const pw = (p: string) => secrets.file(p);

  beforeAll(async () => {
    [sim, basicOnly] = await Promise.all([
      RedfishSimulator.start({ resetTypes: ['On', 'ForceOff', 'GracefulShutdown'], resetTypesVia: 'actionInfo' }),
      RedfishSimulator.start({ sessionService: false }),
    ]);
    noTcp = (port) => ports({ web: port, timeout: '3s' });
  }, 30_000);
  afterAll(async () => {
    await sim?.stop();
    await basicOnly?.stop();
    await secrets.remove();
  });

  it('without credentials: the service root (GET only), a redfish block to fill in', async () => {
    const before = sim.requests.length;
    const { code, report } = await probeJson(['127.0.0.1', ...(await noTcp(sim.port))]);
    expect(code).toBe(0);
    expect(findingAt(report, `https/${sim.port}`, 'redfish')).toMatchObject({
      outcome: 'found',
      facts: { redfishVersion: '1.11.0', systems: '/redfish/v1/Systems', bmcweb: false },
    });
    expect(sim.requests.slice(before).every((r) => r.method === 'GET')).toBe(true);
    expect(report.chosen).toEqual([
      expect.objectContaining({
        block: 'redfish',
        confidence: 'seen',
        config: { host: '127.0.0.1', port: sim.port, user: null, password: null, insecureTls: true },
      }),
    ]);
    await expect(fillAndCheck(report.yaml!, {})).rejects.toThrow(/redfish\.user: is required/);
  });

  it('with credentials: session login, the system and its allowed ResetTypes read (ActionInfo), session deleted; nothing changed; the block drives `bmc-gateway power`', async () => {
    const before = sim.requests.length;
    const { report } = await probeJson([
      '127.0.0.1',
      '--user',
      SIM_ADMIN.name,
      '--password-file',
      await pw(SIM_ADMIN.password),
      '--insecure-tls',
      ...(await noTcp(sim.port)),
    ]);
    const f = findingAt(report, `https/${sim.port}`, 'redfish-system');
    expect(f).toMatchObject({
      outcome: 'found',
      facts: {
        login: 'ok',
        auth: 'session',
        systems: ['/redfish/v1/Systems/System.Embedded.1'],
        powerState: 'Off',
        resetTypes: ['On', 'ForceOff', 'GracefulShutdown'],
        canReset: true,
      },
    });
    const seen = sim.requests.slice(before).map((r) => r.method);
    expect(seen.filter((m) => m === 'POST')).toHaveLength(1); // the login, nothing else
    expect(seen.filter((m) => m === 'DELETE')).toHaveLength(1);
    expect(seen.filter((m) => m === 'PATCH')).toHaveLength(0);
    expect(sim.resets).toEqual([]);
    const text = JSON.stringify(report);
    expect(text).not.toContain(SIM_ADMIN.password);
    for (const token of sim.issuedTokens) expect(text).not.toContain(token);
    expect(report.chosen).toEqual([
      expect.objectContaining({
        block: 'redfish',
        confidence: 'verified',
        config: { host: '127.0.0.1', port: sim.port, user: SIM_ADMIN.name, password: null, insecureTls: true },
      }),
    ]);

    const dir = await mkdtemp(join(tmpdir(), 'bmcgw-probe-rf-'));
    try {
      const file = join(dir, 'gw.yaml');
      await fillAndCheck(report.yaml!, { password: SIM_ADMIN.password });
      await writeFile(file, report.yaml!.replace('password: null', `password: ${SIM_ADMIN.password}`));
      const t = captureIo(undefined, 'utf8');
      expect(await powerCommand(['127.0.0.1', 'status', '--config', file], t), t.err()).toBe(0);
      expect(t.out()).toContain('Chassis Power is off');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('no SessionService: HTTP Basic, no session to delete; a wrong password: refused and no block', async () => {
    const { report } = await probeJson([
      '127.0.0.1',
      '--user',
      SIM_ADMIN.name,
      '--password-file',
      await pw(SIM_ADMIN.password),
      '--insecure-tls',
      ...(await noTcp(basicOnly.port)),
    ]);
    expect(findingAt(report, `https/${basicOnly.port}`, 'redfish-system')).toMatchObject({ outcome: 'found', facts: { auth: 'basic', canReset: true } });
    expect(basicOnly.requests.some((r) => r.method === 'DELETE' || r.method === 'POST')).toBe(false);

    const bad = await probeJson(['127.0.0.1', '--user', SIM_ADMIN.name, '--password-file', await pw('wrong-pw'), '--insecure-tls', ...(await noTcp(sim.port))]);
    expect(findingAt(bad.report, `https/${sim.port}`, 'redfish-system')).toMatchObject({ outcome: 'problem', facts: { login: 'refused' } });
    expect(bad.report.chosen).toEqual([]);
    expect(bad.code).toBe(1);
  });

  it('without --insecure-tls the password is not sent to the self-signed certificate', async () => {
    const before = sim.requests.length;
    const { report } = await probeJson(['127.0.0.1', '--user', SIM_ADMIN.name, '--password-file', await pw(SIM_ADMIN.password), ...(await noTcp(sim.port))]);
    expect(findingAt(report, `https/${sim.port}`, 'redfish-system').summary).toContain('rerun with --insecure-tls');
    expect(sim.requests.slice(before).some((r) => r.method === 'POST')).toBe(false);
  });
});
