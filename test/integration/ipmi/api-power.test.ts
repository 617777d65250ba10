import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eqPhp, TEST_TOKEN } from '../../helpers/gateway.js';
import { SIM_USERS, startIpmiSim, type IpmiSim } from '../../helpers/ipmi-sim.js';
import { rest, startLoggedGateway, waitFor } from './gateway-helpers.js';

// Power and boot device through the gateway's API (eq.php and REST) with OpenIPMI ipmi_sim as the
// BMC (suite 3: ipmi_sim has no SHA-256). What the BMC did is read from ipmi_sim's chassis_control
// hook record, not from our own client.

const OTHER_TOKEN = 'other-token-0123456789';
let sim: IpmiSim;
let gw: Awaited<ReturnType<typeof startLoggedGateway>>;

const ipmi = (over: Record<string, unknown> = {}) => ({ host: '127.0.0.1', port: sim.port, ...SIM_USERS.admin, cipherSuite: 3, ...over });

beforeAll(async () => {
  sim = await startIpmiSim();
  gw = await startLoggedGateway({
    tokens: [
      { token: TEST_TOKEN, name: 'panel', servers: ['s1', 'badpw', 'baduser', 'kvm-only', 'userpriv'] },
      { token: OTHER_TOKEN, name: 'other', servers: ['elsewhere'] },
    ],
    servers: [
      { id: 's1', ipmi: ipmi() },
      { id: 'badpw', ipmi: ipmi({ password: 'not-the-password' }) },
      { id: 'baduser', ipmi: ipmi({ user: 'nobody' }) },
      { id: 'userpriv', ipmi: ipmi({ ...SIM_USERS.user, privilege: 'USER' }) },
      { id: 'kvm-only', console: { type: 'vnc', host: '127.0.0.1', port: 5999 } },
    ],
  });
}, 30_000);

afterAll(async () => {
  await gw?.close();
  await sim?.stop();
});

const power = (cmd: string, extra: Record<string, string> = {}) => eqPhp(gw, { action: 'ipmi_power', token: TEST_TOKEN, id: 's1', cmd, ...extra });

describe('eq.php ipmi_power / ipmi_bootdev against ipmi_sim', () => {
  it('status, on, off', async () => {
    let r = await power('status');
    expect(r.body).toEqual({ result: 'OK', context: { action: 'ipmi_power', id: 's1', cmd: 'status' }, power: 'off' });
    r = await power('on');
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ result: 'OK', context: { action: 'ipmi_power', id: 's1', cmd: 'on' } });
    expect(await sim.powerState()).toBe('1');
    expect((await sim.hookLog()).at(-1)).toBe('0x20 set power 1');
    expect((await power('status')).body.power).toBe('on');
    await power('off');
    expect(await sim.powerState()).toBe('0');
    expect((await sim.hookLog()).at(-1)).toBe('0x20 set power 0');
  });

  it('cycle, reset, soft', async () => {
    await power('on');
    const before = (await sim.hookLog()).length;
    expect((await power('cycle')).body.result).toBe('OK');
    // ipmi_sim powers off, then on again from a 1 s timer (notes §4.3).
    const log = await waitFor(
      () => sim.hookLog(),
      (l) => l.slice(before).includes('0x20 set power 1'),
    );
    expect(log.slice(before)).toEqual(expect.arrayContaining(['0x20 set power 0', '0x20 set power 1']));
    expect((await power('reset')).body.result).toBe('OK');
    expect((await sim.hookLog()).slice(-3)).toContain('0x20 set reset 1');
    expect((await power('soft')).body.result).toBe('OK');
    expect((await sim.hookLog()).slice(-3)).toContain('0x20 set shutdown 1');
    expect(await sim.powerState()).toBe('0');
  });

  it('ipmi_bootdev, and dev= beside a power command sets the boot device right before it', async () => {
    let r = await eqPhp(gw, { action: 'ipmi_bootdev', token: TEST_TOKEN, id: 's1', dev: 'pxe', persistent: '0' });
    expect(r.body).toEqual({ result: 'OK', context: { action: 'ipmi_bootdev', id: 's1', dev: 'pxe', persistent: false } });
    expect(await sim.bootState()).toBe('pxe');
    r = await eqPhp(gw, { action: 'ipmi_bootdev', token: TEST_TOKEN, id: 's1', dev: 'cdrom', persistent: '1' });
    expect(r.body.context.persistent).toBe(true);
    expect(await sim.bootState()).toBe('cdrom');
    const before = (await sim.hookLog()).length;
    r = await power('on', { dev: 'bios' });
    expect(r.body.result).toBe('OK');
    const sets = (await sim.hookLog()).slice(before).filter((l) => l.includes(' set '));
    expect(sets).toEqual(['0x20 set boot bios', '0x20 set power 1']);
    await power('off');
  });

  it('rejects bad commands and devices before talking to the BMC', async () => {
    const before = (await sim.hookLog()).length;
    const bad: Record<string, string>[] = [{ cmd: 'explode' }, { cmd: 'on', dev: 'floppy' }, { cmd: 'status', dev: 'pxe' }, { cmd: 'on', persistent: '1' }];
    for (const fields of bad) {
      const r = await power(fields.cmd!, fields);
      expect(r.status, JSON.stringify(fields)).toBe(400);
      expect(r.body.error.code).toBe('GW_ERR_BAD_REQUEST');
    }
    const r = await eqPhp(gw, { action: 'ipmi_bootdev', token: TEST_TOKEN, id: 's1', dev: 'usb' });
    expect(r.body.error).toMatchObject({ code: 'GW_ERR_BAD_REQUEST' });
    expect(r.body.error.message).toContain('pxe, disk, cdrom, bios');
    expect((await sim.hookLog()).slice(before).filter((l) => l.includes(' set '))).toEqual([]);
  });
});

describe('REST power / bootdev against ipmi_sim', () => {
  it('GET and POST /api/v1/servers/:id/power, POST bootdev', async () => {
    expect(await rest(gw, 'GET', '/api/v1/servers/s1/power', TEST_TOKEN)).toEqual({ status: 200, body: { serverId: 's1', power: 'off' } });
    const before = (await sim.hookLog()).length;
    const r = await rest(gw, 'POST', '/api/v1/servers/s1/power', TEST_TOKEN, { action: 'cycle', bootDevice: { device: 'pxe', persistent: false } });
    expect(r).toEqual({ status: 200, body: { serverId: 's1', action: 'cycle', bootDevice: { device: 'pxe', persistent: false }, result: 'ok' } });
    const sets = (await sim.hookLog()).slice(before).filter((l) => l.includes(' set '));
    expect(sets.slice(0, 2)).toEqual(['0x20 set boot pxe', '0x20 set power 0']);
    expect((await rest(gw, 'POST', '/api/v1/servers/s1/power', TEST_TOKEN, { action: 'off' })).status).toBe(200);
    expect(await rest(gw, 'POST', '/api/v1/servers/s1/bootdev', TEST_TOKEN, { device: 'disk', persistent: true })).toEqual({
      status: 200,
      body: { serverId: 's1', bootDevice: { device: 'disk', persistent: true }, result: 'ok' },
    });
    expect(await sim.bootState()).toBe('default'); // ipmi_sim's name for "force default hard disk"
  });

  it('rejects malformed bodies', async () => {
    for (const body of [
      { action: 'status' },
      { action: 'on', extra: 1 },
      { action: 'on', bootDevice: { device: 'pxe', persistent: 'yes' } },
      { action: 'on', bootDevice: 'pxe' },
    ]) {
      const r = await rest(gw, 'POST', '/api/v1/servers/s1/power', TEST_TOKEN, body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.error.code).toBe('GW_ERR_BAD_REQUEST');
    }
    expect((await rest(gw, 'POST', '/api/v1/servers/s1/bootdev', TEST_TOKEN, {})).body.error.code).toBe('GW_ERR_BAD_REQUEST');
  });
});

describe('errors through the API', () => {
  it('a wrong password and a wrong user are distinct errors, in words', async () => {
    const pw = await eqPhp(gw, { action: 'ipmi_power', token: TEST_TOKEN, id: 'badpw', cmd: 'status' });
    expect(pw.status).toBe(502);
    expect(pw.body.result).toBe('ERROR');
    expect(pw.body.error.code).toBe('IPMI_ERR_BAD_PASSWORD');
    expect(pw.body.error.message).toMatch(/wrong password/);
    const user = await rest(gw, 'GET', '/api/v1/servers/baduser/power', TEST_TOKEN);
    expect(user.status).toBe(502);
    expect(user.body.error.code).toBe('IPMI_ERR_UNKNOWN_USER');
    expect(user.body.error.message).toMatch(/0x0D unauthorized name/);
  });

  it('a completion code comes back in words (0xD4 insufficient privilege)', async () => {
    const r = await eqPhp(gw, { action: 'ipmi_power', token: TEST_TOKEN, id: 'userpriv', cmd: 'on' });
    expect(r.body.error.code).toBe('IPMI_ERR_COMPLETION_CODE');
    expect(r.body.error.message).toContain('0xD4 insufficient privilege');
  });

  it('token scoping, unknown server, server without ipmi', async () => {
    const forbidden = await eqPhp(gw, { action: 'ipmi_power', token: OTHER_TOKEN, id: 's1', cmd: 'on' });
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.error.code).toBe('GW_ERR_FORBIDDEN_SERVER');
    expect((await rest(gw, 'POST', '/api/v1/servers/s1/bootdev', OTHER_TOKEN, { device: 'pxe' })).body.error.code).toBe('GW_ERR_FORBIDDEN_SERVER');
    expect((await rest(gw, 'GET', '/api/v1/servers/s1/power', undefined)).body.error.code).toBe('GW_ERR_BAD_TOKEN');
    expect((await rest(gw, 'GET', '/api/v1/servers/nope/power', TEST_TOKEN)).body.error.code).toBe('GW_ERR_UNKNOWN_SERVER');
    const noIpmi = await eqPhp(gw, { action: 'ipmi_power', token: TEST_TOKEN, id: 'kvm-only', cmd: 'status' });
    expect(noIpmi.status).toBe(409);
    expect(noIpmi.body.error.code).toBe('GW_ERR_NO_IPMI');
  });
});

describe('audit log', () => {
  it('one line per action with who, server, action and result; no secret anywhere in the log', () => {
    const audit = gw.logLines.filter((l) => l.event === 'audit');
    expect(audit).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ who: 'panel', server: 's1', action: 'power.on', result: 'ok' }),
        expect.objectContaining({ who: 'panel', server: 's1', action: 'power.on+bootdev.bios', result: 'ok' }),
        expect.objectContaining({ who: 'panel', server: 's1', action: 'bootdev.cdrom.persistent', result: 'ok' }),
        expect.objectContaining({ who: 'panel', server: 's1', action: 'power.cycle+bootdev.pxe', result: 'ok' }),
        expect.objectContaining({ who: 'panel', server: 'badpw', action: 'power.status', result: 'error', code: 'IPMI_ERR_BAD_PASSWORD' }),
        expect.objectContaining({ who: 'other', server: 's1', action: 'power.on', result: 'error', code: 'GW_ERR_FORBIDDEN_SERVER' }),
      ]),
    );
    const text = gw.logText();
    for (const secret of [SIM_USERS.admin.password, SIM_USERS.user.password, 'not-the-password', TEST_TOKEN, OTHER_TOKEN]) expect(text).not.toContain(secret);
  });
});
