import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eqPhp, TEST_TOKEN } from '../../helpers/gateway.js';
import { RedfishSimulator, SIM_ADMIN, SIM_READONLY } from '../../helpers/redfish/simulator.js';
import { simRedfishBlock } from '../../helpers/redfish/target.js';
import { rest, startLoggedGateway } from '../ipmi/gateway-helpers.js';

// Power, boot device and virtual media over Redfish through the gateway's API — eq.php (the
// existing ipmi_power / ipmi_bootdev actions and the new media action) and REST — with our
// simulator as the BMC. What the BMC did is read from the simulator's records.

const OTHER = 'other-token-0123456789';
const OPERATOR = 'operator-token-redfish-1';
let sim: RedfishSimulator;
let narrow: RedfishSimulator;
let quiet: RedfishSimulator;
let html: RedfishSimulator;
let gw: Awaited<ReturnType<typeof startLoggedGateway>>;

beforeAll(async () => {
  [sim, narrow, quiet, html] = await Promise.all([
    RedfishSimulator.start({ asyncActions: ['InsertMedia'], taskMs: 300 }),
    RedfishSimulator.start({ resetTypes: ['On', 'ForceOff'], resetTypesVia: 'actionInfo' }),
    RedfishSimulator.start({ resetTypes: ['On', 'ForceOff'], resetTypesVia: 'none' }),
    RedfishSimulator.start({ notRedfish: true }),
  ]);
  gw = await startLoggedGateway({
    tokens: [
      { token: TEST_TOKEN, name: 'panel', servers: ['r1', 'both', 'narrow', 'quiet', 'badpw', 'readonly', 'wrongpath', 'notrf', 'kvm-only', 'ipmi-only'] },
      { token: OTHER, name: 'other', servers: ['elsewhere'] },
    ],
    operators: [{ token: OPERATOR, name: 'ops' }],
    media: { allow: ['images.example'] },
    servers: [
      { id: 'r1', name: 'Redfish one', redfish: simRedfishBlock(sim) },
      // Both protocols; power: redfish picks Redfish (its IPMI port 1 answers nothing).
      { id: 'both', ipmi: { host: '127.0.0.1', port: 1, password: 'x', cipherSuite: 3 }, redfish: simRedfishBlock(sim), power: 'redfish' },
      { id: 'narrow', redfish: simRedfishBlock(narrow) },
      { id: 'quiet', redfish: simRedfishBlock(quiet) },
      { id: 'badpw', redfish: simRedfishBlock(sim, { password: 'not-the-password' }) },
      { id: 'readonly', redfish: simRedfishBlock(sim, { user: SIM_READONLY.name, password: SIM_READONLY.password }) },
      { id: 'wrongpath', redfish: simRedfishBlock(sim, { system: '/redfish/v1/Systems/Nope' }) },
      { id: 'notrf', redfish: simRedfishBlock(html) },
      { id: 'kvm-only', console: { type: 'vnc', host: '127.0.0.1', port: 5999 } },
      { id: 'ipmi-only', ipmi: { host: '127.0.0.1', port: 1, password: 'x', cipherSuite: 3 } },
    ],
  });
}, 30_000);

afterAll(async () => {
  await gw?.close();
  await Promise.all([sim?.stop(), narrow?.stop(), quiet?.stop(), html?.stop()]);
});

const power = (id: string, cmd: string, extra: Record<string, string> = {}) => eqPhp(gw, { action: 'ipmi_power', token: TEST_TOKEN, id, cmd, ...extra });

describe('eq.php ipmi_power / ipmi_bootdev over Redfish', () => {
  it('status, on, off, soft, cycle, reset: the same actions and answers, plus what was sent', async () => {
    expect((await power('r1', 'status')).body).toEqual({
      result: 'OK',
      context: { action: 'ipmi_power', id: 'r1', cmd: 'status' },
      power: 'off',
      protocol: 'redfish',
      powerState: 'Off',
    });
    const on = await power('r1', 'on');
    expect(on.status).toBe(200);
    expect(on.body).toEqual({ result: 'OK', context: { action: 'ipmi_power', id: 'r1', cmd: 'on' }, protocol: 'redfish', performed: ['On'] });
    expect((await power('r1', 'status')).body.power).toBe('on');
    for (const cmd of ['cycle', 'reset', 'soft', 'off']) expect((await power('r1', cmd)).body.result, cmd).toBe('OK');
    expect(sim.resets).toEqual(['On', 'PowerCycle', 'ForceRestart', 'GracefulShutdown', 'ForceOff']);
  });

  it('ipmi_bootdev and dev= beside a power command (the boot override is PATCHed right before the reset)', async () => {
    const r = await eqPhp(gw, { action: 'ipmi_bootdev', token: TEST_TOKEN, id: 'r1', dev: 'bios', persistent: '1' });
    expect(r.body).toEqual({ result: 'OK', context: { action: 'ipmi_bootdev', id: 'r1', dev: 'bios', persistent: true }, protocol: 'redfish' });
    expect(sim.bootChanges.at(-1)).toBe('Continuous BiosSetup');
    const before = sim.requests.length;
    expect((await power('both', 'on', { dev: 'pxe' })).body.result).toBe('OK');
    const writes = sim.requests
      .slice(before)
      .filter((x) => x.method !== 'GET')
      .map((x) => `${x.method} ${x.path}`);
    expect(writes).toEqual([`PATCH ${sim.paths.system}`, `POST ${sim.paths.reset}`]);
    expect(sim.bootChanges.at(-1)).toBe('Once Pxe');
    await power('r1', 'off');
  });

  it('the nearest allowed equivalent, said in the answer; no equivalent is its own error', async () => {
    narrow.state.powerState = 'On';
    const r = await power('narrow', 'cycle');
    expect(r.body).toEqual({
      result: 'OK',
      context: { action: 'ipmi_power', id: 'narrow', cmd: 'cycle' },
      protocol: 'redfish',
      performed: ['ForceOff', 'On'],
      note: 'the BMC does not allow ResetType PowerCycle; sent ForceOff, then On once the power was off',
    });
    expect(narrow.resets).toEqual(['ForceOff', 'On']);
    const soft = await power('narrow', 'soft');
    expect(soft.status).toBe(409);
    expect(soft.body.error).toEqual({
      code: 'GW_ERR_ACTION_NOT_ALLOWED',
      message: 'the BMC does not allow ResetType GracefulShutdown for "soft"; it allows: On, ForceOff',
    });
    // A BMC that does not list its allowed values refuses by itself: its MessageId and message reach the caller.
    const refused = await rest(gw, 'POST', '/api/v1/servers/quiet/power', TEST_TOKEN, { action: 'cycle' });
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('GW_ERR_ACTION_NOT_ALLOWED');
    expect(refused.body.error.message).toContain(
      'Base.1.8.1.ActionParameterValueNotInList: The value PowerCycle of parameter ResetType is not allowed for the action ComputerSystem.Reset.',
    );
  });
});

describe('REST power / bootdev over Redfish', () => {
  it('GET and POST /api/v1/servers/:id/power, POST bootdev', async () => {
    expect(await rest(gw, 'GET', '/api/v1/servers/r1/power', TEST_TOKEN)).toEqual({
      status: 200,
      body: { serverId: 'r1', power: 'off', protocol: 'redfish', powerState: 'Off' },
    });
    const r = await rest(gw, 'POST', '/api/v1/servers/r1/power', TEST_TOKEN, { action: 'on', bootDevice: { device: 'cdrom', persistent: false } });
    expect(r).toEqual({
      status: 200,
      body: { serverId: 'r1', action: 'on', bootDevice: { device: 'cdrom', persistent: false }, result: 'ok', protocol: 'redfish', performed: ['On'] },
    });
    expect(sim.bootChanges.at(-1)).toBe('Once Cd');
    expect(await rest(gw, 'POST', '/api/v1/servers/r1/bootdev', TEST_TOKEN, { device: 'disk', persistent: true })).toEqual({
      status: 200,
      body: { serverId: 'r1', bootDevice: { device: 'disk', persistent: true }, result: 'ok', protocol: 'redfish' },
    });
    const cycle = await rest(gw, 'POST', '/api/v1/servers/narrow/power', TEST_TOKEN, { action: 'reset' });
    expect(cycle.body).toMatchObject({
      result: 'ok',
      performed: ['ForceOff', 'On'],
      note: expect.stringContaining('neither ResetType ForceRestart nor PowerCycle'),
    });
    await rest(gw, 'POST', '/api/v1/servers/r1/power', TEST_TOKEN, { action: 'off' });
  });
});

describe('virtual media', () => {
  it('eq.php action=media status / insert / eject', async () => {
    let r = await eqPhp(gw, { action: 'media', token: TEST_TOKEN, id: 'r1', cmd: 'status' });
    expect(r.body).toEqual({
      result: 'OK',
      context: { action: 'media', id: 'r1', cmd: 'status' },
      media: { resource: sim.paths.cd, inserted: false, image: null, writeProtected: true, connectedVia: 'NotConnected' },
    });
    r = await eqPhp(gw, { action: 'media', token: TEST_TOKEN, id: 'r1', cmd: 'insert', url: 'https://images.example/debian-12.iso?expires=1&sig=abc' });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.media).toEqual({
      resource: sim.paths.cd,
      inserted: true,
      image: 'https://images.example/debian-12.iso',
      writeProtected: true,
      connectedVia: 'URI',
    });
    expect(sim.state.media).toMatchObject({ image: 'https://images.example/debian-12.iso?expires=1&sig=abc', inserted: true, protocol: 'HTTPS' });
    expect(sim.requests.some((x) => x.path.endsWith('/Monitor'))).toBe(true); // InsertMedia's 202 task was followed
    r = await eqPhp(gw, { action: 'media', token: TEST_TOKEN, id: 'r1', cmd: 'eject' });
    expect(r.body.media.inserted).toBe(false);
    expect(sim.mediaChanges.at(-1)).toBe('eject');
  });

  it('REST GET/POST /api/v1/servers/:id/media; the allow-list; malformed calls', async () => {
    const ins = await rest(gw, 'POST', '/api/v1/servers/r1/media', TEST_TOKEN, { action: 'insert', url: 'http://images.example/a.iso' });
    expect(ins).toEqual({
      status: 200,
      body: { serverId: 'r1', action: 'insert', media: expect.objectContaining({ inserted: true, image: 'http://images.example/a.iso' }), result: 'ok' },
    });
    const again = await rest(gw, 'POST', '/api/v1/servers/r1/media', TEST_TOKEN, { action: 'insert', url: 'http://images.example/b.iso' });
    expect(again.body.note).toBe('ejected http://images.example/a.iso first');
    expect((await rest(gw, 'GET', '/api/v1/servers/r1/media', TEST_TOKEN)).body).toEqual({
      serverId: 'r1',
      media: expect.objectContaining({ image: 'http://images.example/b.iso' }),
    });
    const changes = sim.mediaChanges.length;
    const denied = await rest(gw, 'POST', '/api/v1/servers/r1/media', TEST_TOKEN, { action: 'insert', url: 'http://10.0.0.1/evil.iso' });
    expect(denied.status).toBe(403);
    expect(denied.body.error).toEqual({
      code: 'GW_ERR_MEDIA_URL_NOT_ALLOWED',
      message: 'images may only come from images.example (media.allow); "10.0.0.1" is not one of them',
    });
    for (const body of [
      { action: 'insert' },
      { action: 'eject', url: 'http://images.example/a.iso' },
      { action: 'mount', url: 'x' },
      { action: 'insert', url: 'http://images.example/a.iso', extra: 1 },
    ]) {
      const bad = await rest(gw, 'POST', '/api/v1/servers/r1/media', TEST_TOKEN, body);
      expect(bad.status, JSON.stringify(body)).toBe(400);
    }
    expect((await eqPhp(gw, { action: 'media', token: TEST_TOKEN, id: 'r1', cmd: 'insert' })).body.error.code).toBe('GW_ERR_BAD_REQUEST');
    expect((await eqPhp(gw, { action: 'media', token: TEST_TOKEN, id: 'r1', cmd: 'burn' })).body.error.code).toBe('GW_ERR_BAD_REQUEST');
    expect(sim.mediaChanges.length).toBe(changes);
    expect((await rest(gw, 'POST', '/api/v1/servers/r1/media', TEST_TOKEN, { action: 'eject' })).body.media.inserted).toBe(false);
  });

  it('servers without redfish: GW_ERR_NO_REDFISH', async () => {
    for (const id of ['kvm-only', 'ipmi-only']) {
      const r = await eqPhp(gw, { action: 'media', token: TEST_TOKEN, id, cmd: 'status' });
      expect(r.status, id).toBe(409);
      expect(r.body.error.code).toBe('GW_ERR_NO_REDFISH');
    }
  });
});

describe('errors, each its own answer', () => {
  it('wrong credentials, a read-only account, a wrong system path, not Redfish, no power control, scoping', async () => {
    const pw = await power('badpw', 'status');
    expect(pw.status).toBe(502);
    expect(pw.body.error.code).toBe('GW_ERR_BMC_AUTH_FAILED');
    expect(pw.body.error.message).toMatch(/the Redfish login of user "root" .* HTTP 401/);
    const ro = await power('readonly', 'on');
    expect(ro.body.error.code).toBe('GW_ERR_BMC_FORBIDDEN');
    expect(ro.body.error.message).toContain('InsufficientPrivilege');
    const path = await rest(gw, 'GET', '/api/v1/servers/wrongpath/power', TEST_TOKEN);
    expect(path.status).toBe(502);
    expect(path.body.error.code).toBe('GW_ERR_REDFISH_NOT_FOUND');
    expect(path.body.error.message).toContain('/redfish/v1/Systems/Nope does not exist on the BMC (its systems: /redfish/v1/Systems/System.Embedded.1)');
    const notrf = await power('notrf', 'status');
    expect(notrf.body.error.code).toBe('GW_ERR_NOT_REDFISH');
    const none = await power('kvm-only', 'status');
    expect(none.status).toBe(409);
    expect(none.body.error.code).toBe('GW_ERR_NO_IPMI');
    expect((await eqPhp(gw, { action: 'ipmi_power', token: OTHER, id: 'r1', cmd: 'on' })).body.error.code).toBe('GW_ERR_FORBIDDEN_SERVER');
    expect((await rest(gw, 'GET', '/api/v1/servers/nope/media', TEST_TOKEN)).body.error.code).toBe('GW_ERR_UNKNOWN_SERVER');
  });
});

describe('request_id without dispatch', () => {
  it('a repeated request_id (eq.php) or Idempotency-Key (REST) is answered, not run again', async () => {
    const before = sim.resets.length;
    const a = await power('r1', 'cycle', { request_id: 'rf-cycle-1' });
    const b = await power('r1', 'cycle', { request_id: 'rf-cycle-1' });
    expect(b.body).toEqual(a.body);
    expect(sim.resets.slice(before)).toEqual(['PowerCycle']);
    // The same id for another call is a new call.
    await power('r1', 'off', { request_id: 'rf-cycle-1' });
    expect(sim.resets.slice(before)).toEqual(['PowerCycle', 'ForceOff']);
    const headers = { authorization: `Bearer ${TEST_TOKEN}`, 'content-type': 'application/json', 'idempotency-key': 'rf-rest-1' };
    const one = await fetch(`${gw.url}/api/v1/servers/r1/power`, { method: 'POST', headers, body: JSON.stringify({ action: 'on' }) });
    const two = await fetch(`${gw.url}/api/v1/servers/r1/power`, { method: 'POST', headers, body: JSON.stringify({ action: 'on' }) });
    expect(await two.json()).toEqual(await one.json());
    expect(sim.resets.slice(before)).toEqual(['PowerCycle', 'ForceOff', 'On']);
    await power('r1', 'off');
  });
});

describe('servers list, audit, secrets, shutdown', () => {
  it('GET /api/v1/servers: what each token may use, and which protocol its power uses', async () => {
    const all = await rest(gw, 'GET', '/api/v1/servers', OPERATOR);
    expect(all.body.servers.find((s: { id: string }) => s.id === 'r1')).toEqual({
      id: 'r1',
      name: 'Redfish one',
      location: null,
      console: false,
      consoleType: null,
      power: 'redfish',
      media: true,
      ipmi: false,
      redfish: true,
      sol: false,
      recorded: false,
    });
    expect(all.body.servers.find((s: { id: string }) => s.id === 'ipmi-only')).toMatchObject({ power: 'ipmi', media: false });
    expect(all.body.servers.find((s: { id: string }) => s.id === 'kvm-only')).toMatchObject({ power: null, console: true });
    expect((await rest(gw, 'GET', '/api/v1/servers', OTHER)).body).toEqual({ servers: [] });
    expect((await rest(gw, 'GET', '/api/v1/servers', undefined)).body.error.code).toBe('GW_ERR_BAD_TOKEN');
  });

  it('one audit line per action with the protocol and what was sent; no password, token or image query in the log', () => {
    const audit = gw.logLines.filter((l) => l.event === 'audit');
    expect(audit).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ who: 'panel', server: 'r1', action: 'power.on', result: 'ok', protocol: 'redfish', performed: ['On'] }),
        expect.objectContaining({
          who: 'panel',
          server: 'narrow',
          action: 'power.cycle',
          result: 'ok',
          protocol: 'redfish',
          performed: ['ForceOff', 'On'],
          note: expect.stringContaining('PowerCycle'),
        }),
        expect.objectContaining({ who: 'panel', server: 'both', action: 'power.on+bootdev.pxe', result: 'ok', protocol: 'redfish' }),
        expect.objectContaining({ who: 'panel', server: 'r1', action: 'bootdev.bios.persistent', result: 'ok' }),
        expect.objectContaining({ who: 'panel', server: 'r1', action: 'media.insert', result: 'ok', image: 'https://images.example/debian-12.iso' }),
        expect.objectContaining({ who: 'panel', server: 'r1', action: 'media.insert', result: 'error', code: 'GW_ERR_MEDIA_URL_NOT_ALLOWED' }),
        expect.objectContaining({ who: 'panel', server: 'badpw', action: 'power.status', result: 'error', code: 'GW_ERR_BMC_AUTH_FAILED' }),
        expect.objectContaining({ who: 'other', server: 'r1', action: 'power.on', result: 'error', code: 'GW_ERR_FORBIDDEN_SERVER' }),
      ]),
    );
    const text = gw.logText();
    const secrets = [
      SIM_ADMIN.password,
      SIM_READONLY.password,
      'not-the-password',
      TEST_TOKEN,
      OTHER,
      OPERATOR,
      'sig=abc',
      ...sim.issuedTokens,
      ...narrow.issuedTokens,
    ];
    expect(sim.issuedTokens.length).toBeGreaterThan(0);
    for (const secret of secrets) expect(text).not.toContain(secret);
  });

  it('logs out of every Redfish BMC when the gateway shuts down', async () => {
    expect(sim.sessions.length).toBeGreaterThan(0);
    await gw.close();
    expect(sim.sessions).toEqual([]);
    expect(narrow.sessions).toEqual([]);
  });
});
