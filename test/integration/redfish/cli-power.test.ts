import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ipmiCommand } from '../../../src/ipmi/ipmi-cli.js';
import { mediaCommand, powerCommand } from '../../../src/power/power-cli.js';
import { captureIo } from '../../helpers/cli-io.js';
import { RedfishSimulator, SIM_ADMIN } from '../../helpers/redfish/simulator.js';

// `bmc-gateway power …`, `bmc-gateway media …` and `bmc-gateway ipmi … power|bootdev` (the functions
// src/cli.ts's COMMANDS table calls) against the Redfish simulator, reading a real config file.

let sim: RedfishSimulator;
let narrow: RedfishSimulator;
let dir: string;
let config: string;

const io = () => captureIo(undefined, 'utf8');

const audit = (t: { err: () => string }) =>
  t
    .err()
    .split('\n')
    .filter((l) => l.includes('"audit"'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);

beforeAll(async () => {
  [sim, narrow] = await Promise.all([RedfishSimulator.start({ asyncActions: [] }), RedfishSimulator.start({ resetTypes: ['On', 'ForceOff'] })]);
  dir = await mkdtemp(join(tmpdir(), 'bmcgw-rf-cli-'));
  config = join(dir, 'gateway.yaml');
  const rf = (s: RedfishSimulator, extra = '') =>
    `{ host: 127.0.0.1, port: ${s.port}, user: ${SIM_ADMIN.name}, password: ${SIM_ADMIN.password}, insecureTls: true${extra} }`;
  await writeFile(
    config,
    `media: { allow: [images.example] }
servers:
  - id: r1
    redfish: ${rf(sim)}
  - id: narrow
    redfish: ${rf(narrow)}
  - id: badpw
    redfish: { host: 127.0.0.1, port: ${sim.port}, user: root, password: wrong-pw, insecureTls: true }
  - id: kvm
    console: { type: vnc, host: 127.0.0.1, port: 5999 }
`,
  );
}, 30_000);

afterAll(async () => {
  await Promise.all([sim?.stop(), narrow?.stop()]);
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('bmc-gateway power over Redfish', () => {
  it('status / on / cycle, bootdev; audit lines on stderr; logged out at the end', async () => {
    let t = io();
    expect(await powerCommand(['r1', 'status', '--config', config], t)).toBe(0);
    expect(t.out()).toBe('Chassis Power is off (Redfish PowerState Off)\n');
    t = io();
    expect(await powerCommand(['r1', 'on', '-c', config], t)).toBe(0);
    expect(t.out()).toBe('Chassis Power Control: on (Redfish ResetType On)\n');
    expect(sim.resets).toEqual(['On']);
    expect(audit(t)).toEqual([
      expect.objectContaining({ event: 'audit', server: 'r1', action: 'redfish.power', detail: 'on → On', result: 'ok', who: expect.stringMatching(/^cli:/) }),
    ]);
    expect(t.err()).not.toContain(SIM_ADMIN.password);
    t = io();
    expect(await powerCommand(['narrow', 'cycle', '--config', config], t)).toBe(0);
    expect(t.out()).toBe(
      'Chassis Power Control: cycle (Redfish ResetType ForceOff, then On: the BMC does not allow ResetType PowerCycle; sent ForceOff, then On once the power was off)\n',
    );
    t = io();
    expect(await powerCommand(['r1', 'bootdev', 'pxe', '--persistent', '--config', config], t)).toBe(0);
    expect(t.out()).toBe('Boot device set to pxe (persistent)\n');
    expect(sim.bootChanges).toEqual(['Continuous Pxe']);
    expect(sim.sessions).toEqual([]);
    expect(narrow.sessions).toEqual([]);
  });

  it("bmc-gateway ipmi SERVER power|bootdev follows the server's power: protocol", async () => {
    const t = io();
    expect(await ipmiCommand(['r1', 'power', 'off', '--config', config], t)).toBe(0);
    expect(t.out()).toBe('Chassis Power Control: off (Redfish ResetType ForceOff)\n');
    expect(sim.resets.at(-1)).toBe('ForceOff');
    expect(await ipmiCommand(['r1', 'bootdev', 'cdrom', '--config', config], io())).toBe(0);
    expect(sim.bootChanges.at(-1)).toBe('Once Cd');
    const sol = io();
    expect(await ipmiCommand(['r1', 'sol', '--config', config], sol)).toBe(1);
    expect(sol.err()).toContain('has no ipmi configured');
  });

  it('errors and usage', async () => {
    let t = io();
    expect(await powerCommand(['badpw', 'status', '--config', config], t)).toBe(1);
    expect(t.err()).toMatch(/^error: GW_ERR_BMC_AUTH_FAILED: the Redfish login of user "root"/m);
    expect(t.err()).not.toContain('wrong-pw');
    t = io();
    expect(await powerCommand(['narrow', 'soft', '--config', config], t)).toBe(1);
    expect(t.err()).toContain('GW_ERR_ACTION_NOT_ALLOWED: the BMC does not allow ResetType GracefulShutdown');
    t = io();
    expect(await powerCommand(['kvm', 'status', '--config', config], t)).toBe(1);
    expect(t.err()).toContain('has no ipmi configured (nor redfish)');
    t = io();
    expect(await powerCommand(['nope', 'status', '--config', config], t)).toBe(1);
    for (const args of [
      ['r1', 'explode', '--config', config],
      ['r1', 'status'],
      ['r1'],
      ['r1', 'bootdev', 'floppy', '--config', config],
      ['r1', 'on', 'now', '--config', config],
      ['r1', 'on', '--persistent', '--config', config],
      ['r1', 'on', '--bogus'],
    ]) {
      t = io();
      expect(await powerCommand(args, t), args.join(' ')).toBe(2);
      expect(t.err()).toContain('Usage:');
    }
  });
});

describe('bmc-gateway media', () => {
  it('status, insert (allow-listed), eject; refusals', async () => {
    let t = io();
    expect(await mediaCommand(['r1', 'status', '--config', config], t)).toBe(0);
    expect(t.out()).toBe(`${sim.paths.cd}: empty\n`);
    t = io();
    expect(await mediaCommand(['r1', 'insert', 'https://images.example/rescue.iso', '--config', config], t)).toBe(0);
    expect(t.out()).toBe('Inserted https://images.example/rescue.iso\n');
    expect(audit(t)).toEqual([expect.objectContaining({ action: 'redfish.media', detail: 'insert https://images.example/rescue.iso', result: 'ok' })]);
    t = io();
    expect(await mediaCommand(['r1', 'status', '--config', config], t)).toBe(0);
    expect(t.out()).toBe(`${sim.paths.cd}: inserted https://images.example/rescue.iso (write-protected)\n`);
    t = io();
    expect(await mediaCommand(['r1', 'insert', 'https://elsewhere.example/x.iso', '--config', config], t)).toBe(1);
    expect(t.err()).toContain('GW_ERR_MEDIA_URL_NOT_ALLOWED');
    expect(audit(t)).toEqual([
      expect.objectContaining({ action: 'redfish.media', detail: 'insert a refused URL', result: 'error', code: 'GW_ERR_MEDIA_URL_NOT_ALLOWED' }),
    ]);
    t = io();
    expect(await mediaCommand(['r1', 'eject', '--config', config], t)).toBe(0);
    expect(t.out()).toBe('Ejected\n');
    expect(sim.mediaChanges).toEqual(['https://images.example/rescue.iso', 'eject']);
    t = io();
    expect(await mediaCommand(['kvm', 'status', '--config', config], t)).toBe(1);
    expect(t.err()).toContain('GW_ERR_NO_REDFISH');
    for (const args of [
      ['r1', 'insert', '--config', config],
      ['r1', 'eject', 'x', '--config', config],
      ['r1', 'burn', '--config', config],
      ['r1', 'status'],
    ]) {
      t = io();
      expect(await mediaCommand(args, t), args.join(' ')).toBe(2);
    }
  });
});
