import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ipmiCommand } from '../../../src/ipmi/ipmi-cli.js';
import { captureIo } from '../../helpers/cli-io.js';
import { startIpmiResponder } from '../../helpers/ipmi-responder.js';
import { SIM_USERS, startIpmiSim, type IpmiSim } from '../../helpers/ipmi-sim.js';
import { fillAndCheck, findingAt, ports, probeJson, secretFiles } from './helpers.js';

// `bmc-gateway probe`'s IPMI part against OpenIPMI's ipmi_sim: Get Channel Authentication
// Capabilities without credentials (no session), a read-only session with them, the privilege the
// user really gets, and the YAML it prints working with `bmc-gateway ipmi`.

describe('probe: IPMI against ipmi_sim', () => {
  let sim: IpmiSim;
  let noTcp: string[];
  const secrets = secretFiles();
  const pwFile = (pw: string) => secrets.file(pw);

  beforeAll(async () => {
    sim = await startIpmiSim();
    noTcp = await ports({ ipmi: sim.port });
  }, 30_000);
  afterAll(async () => {
    await sim?.stop();
    await secrets.remove();
  });

  it('without credentials: RMCP+ and no Kg seen, no session opened (the chassis was never asked)', async () => {
    const before = (await sim.hookLog()).length;
    const { code, report } = await probeJson(['127.0.0.1', ...noTcp]);
    expect(code).toBe(0);
    const f = findingAt(report, `udp/${sim.port}`);
    expect(f).toMatchObject({ probe: 'ipmi', outcome: 'found', facts: { supportsIpmi20: true, kgSet: false } });
    expect(f.summary).toContain('no session opened');
    expect(f.requests).toEqual(['Get Channel Authentication Capabilities (IPMI v1.5 framing, outside a session), up to 2 tries']);
    expect((await sim.hookLog()).length).toBe(before);
    expect(report.chosen).toEqual([
      expect.objectContaining({ block: 'ipmi', confidence: 'seen', config: { host: '127.0.0.1', port: sim.port, user: null, password: null } }),
    ]);
    await expect(fillAndCheck(report.yaml!, {})).rejects.toThrow(/ipmi\.user: is null[\s\S]*ipmi\.password: is required/);
  });

  it('with the admin credentials: a session (suite 3: ipmi_sim has no 17), reads only, closed; the YAML drives `bmc-gateway ipmi`', async () => {
    const before = await sim.hookLog();
    const { report } = await probeJson(['127.0.0.1', '--user', SIM_USERS.admin.user, '--password-file', await pwFile(SIM_USERS.admin.password), ...noTcp]);
    const f = findingAt(report, `udp/${sim.port}`);
    expect(f).toMatchObject({
      outcome: 'found',
      facts: {
        session: { cipherSuite: 3, privilege: 'ADMINISTRATOR', powerOn: false, device: { manufacturerId: 0x1291, productId: 0xf02, firmware: '9.08' } },
      },
    });
    // Only reads reached the chassis hook.
    const added = (await sim.hookLog()).slice(before.length);
    expect(
      added.every((l) => / get /.test(l)),
      added.join('\n'),
    ).toBe(true);
    expect(await sim.powerState()).toBe('0');
    expect(JSON.stringify(report)).not.toContain(SIM_USERS.admin.password);
    expect(report.chosen[0]).toMatchObject({
      block: 'ipmi',
      confidence: 'verified',
      config: { host: '127.0.0.1', port: sim.port, user: SIM_USERS.admin.user, password: null },
    });

    const { config } = await fillAndCheck(report.yaml!, { password: SIM_USERS.admin.password });
    expect(config.servers[0]!.ipmi).toMatchObject({ user: 'admin', privilege: 'ADMINISTRATOR', cipherSuites: [17, 3] });
    const dir = await mkdtemp(join(tmpdir(), 'bmcgw-probe-ipmi-'));
    try {
      const file = join(dir, 'gw.yaml');
      await writeFile(file, report.yaml!.replace('password: null', `password: ${SIM_USERS.admin.password}`));
      const t = captureIo(undefined, 'utf8');
      expect(await ipmiCommand(['127.0.0.1', 'power', 'status', '--config', file], t)).toBe(0);
      expect(t.out()).toBe('Chassis Power is off\n');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a plain user: ipmi_sim grants the ADMINISTRATOR asked for (it does not hold users to their limit; see the responder test below)', async () => {
    const { report } = await probeJson(['127.0.0.1', '--user', SIM_USERS.user.user, '--password-file', await pwFile(SIM_USERS.user.password), ...noTcp]);
    expect(findingAt(report, `udp/${sim.port}`).facts).toMatchObject({ session: { privilege: 'ADMINISTRATOR' } });
  });

  it('a wrong password is a problem with the IPMI error code, and no block is suggested as verified', async () => {
    const { report } = await probeJson(['127.0.0.1', '--user', SIM_USERS.admin.user, '--password-file', await pwFile('wrong-pw'), ...noTcp]);
    const f = findingAt(report, `udp/${sim.port}`);
    expect(f).toMatchObject({ outcome: 'problem', facts: { sessionError: { code: 'IPMI_ERR_BAD_PASSWORD' } } });
    expect(report.chosen[0]).toMatchObject({ block: 'ipmi', confidence: 'seen' });
  });
});

describe('probe: IPMI against our responder (cipher suite 17, a user limited to OPERATOR, a Kg)', () => {
  const cleanups: (() => Promise<void>)[] = [];
  const secrets = secretFiles();
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c();
    await secrets.remove();
  });
  const args = async (port: number, password?: string) => {
    const common = await ports({ ipmi: port });
    if (password === undefined) return common;
    return ['--user', 'fence', '--password-file', await secrets.file(password), ...common];
  };

  it('suite 17 is used; ADMINISTRATOR refused (RAKP2 0x0A), OPERATOR taken, and the YAML says privilege: OPERATOR', async () => {
    const bmc = await startIpmiResponder({ user: 'fence', password: 'fence-pw', maxPrivilege: 3 });
    cleanups.push(() => bmc.stop());
    const { report } = await probeJson(['127.0.0.1', ...(await args(bmc.port, 'fence-pw'))]);
    const f = findingAt(report, `udp/${bmc.port}`);
    expect(f.facts).toMatchObject({ session: { cipherSuite: 17, privilege: 'OPERATOR' } });
    expect(f.requests.filter((r) => r.startsWith('RMCP+ session setup'))).toHaveLength(2);
    expect(bmc.log.filter((l) => l.startsWith('chassis control'))).toEqual([]);
    expect(report.chosen[0]).toMatchObject({ block: 'ipmi', confidence: 'verified', config: { user: 'fence', password: null, privilege: 'OPERATOR' } });
    const { config } = await fillAndCheck(report.yaml!, { password: 'fence-pw' });
    expect(config.servers[0]!.ipmi).toMatchObject({ privilege: 'OPERATOR', cipherSuites: [17, 3] });
  });

  it('a user limited to USER: taken, with the warning that it cannot control power', async () => {
    const bmc = await startIpmiResponder({ user: 'fence', password: 'fence-pw', maxPrivilege: 2 });
    cleanups.push(() => bmc.stop());
    const { report } = await probeJson(['127.0.0.1', ...(await args(bmc.port, 'fence-pw'))]);
    const f = findingAt(report, `udp/${bmc.port}`);
    expect(f.facts).toMatchObject({ session: { privilege: 'USER' } });
    expect(f.summary).toContain('USER cannot control power');
    expect(report.chosen[0]).toMatchObject({ config: { privilege: 'USER' } });
  });

  it('a BMC with a Kg: said so, and no session is tried', async () => {
    const bmc = await startIpmiResponder({ user: 'fence', password: 'fence-pw', kg: Buffer.from('0123456789abcdef0123', 'latin1') });
    cleanups.push(() => bmc.stop());
    const { report } = await probeJson(['127.0.0.1', ...(await args(bmc.port, 'fence-pw'))]);
    const f = findingAt(report, `udp/${bmc.port}`);
    expect(f).toMatchObject({ outcome: 'found', facts: { kgSet: true } });
    expect(f.summary).toContain('Kg set');
    expect(bmc.log.filter((l) => l.startsWith('session open'))).toEqual([]);
    expect(report.chosen[0]!.because).toContain('add kg');
  });
});
