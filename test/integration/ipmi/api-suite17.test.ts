import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { eqPhp, TEST_TOKEN } from '../../helpers/gateway.js';
import { startIpmiResponder, type IpmiResponder } from '../../helpers/ipmi-responder.js';
import { rest, startLoggedGateway, waitFor } from './gateway-helpers.js';

// Cipher suite 17 (HMAC-SHA256 / AES-CBC-128) through the API: ipmi_sim has no SHA-256, so the BMC is
// our responder, which test/integration/ipmi/responder-suite17.test.ts checks against ipmitool -C 17.
// The config's default suites (17 then 3) are used: the responder only accepts 17.

let bmc: IpmiResponder;
let gw: Awaited<ReturnType<typeof startLoggedGateway>>;

beforeAll(async () => {
  bmc = await startIpmiResponder({ user: 'admin', password: 'secret', suites: [17] });
  gw = await startLoggedGateway({
    tokens: [{ token: TEST_TOKEN, name: 'panel', servers: ['*'] }],
    servers: [
      { id: 'r17', ipmi: { host: '127.0.0.1', port: bmc.port, user: 'admin', password: 'secret' } },
      { id: 'r17-badpw', ipmi: { host: '127.0.0.1', port: bmc.port, user: 'admin', password: 'nope' } },
    ],
  });
}, 30_000);

afterAll(async () => {
  await gw?.close();
  await bmc?.stop();
});

describe('suite 17 through the API (our responder as the BMC)', () => {
  it('power status, on with a boot device, bootdev', async () => {
    expect((await eqPhp(gw, { action: 'ipmi_power', token: TEST_TOKEN, id: 'r17', cmd: 'status' })).body.power).toBe('off');
    expect(bmc.log).toContain('session open suite 17');
    const r = await rest(gw, 'POST', '/api/v1/servers/r17/power', TEST_TOKEN, { action: 'on', bootDevice: { device: 'pxe', persistent: true } });
    expect(r.status).toBe(200);
    // Boot flags (param 5: valid + persistent, PXE) right before Chassis Control "power up".
    expect(bmc.log.slice(-2)).toEqual(['boot 05c004000000', 'chassis control 1']);
    expect(bmc.state.power).toBe(true);
    expect((await rest(gw, 'GET', '/api/v1/servers/r17/power', TEST_TOKEN)).body.power).toBe('on');
    expect((await eqPhp(gw, { action: 'ipmi_bootdev', token: TEST_TOKEN, id: 'r17', dev: 'bios' })).body.result).toBe('OK');
    // Param 5, valid for the next boot only (0x80), BIOS setup (0110b in bits 5:2 = 0x18), IPMI v2.0 table 28-14.
    expect(bmc.log.at(-1)).toBe('boot 058018000000');
    expect((await eqPhp(gw, { action: 'ipmi_power', token: TEST_TOKEN, id: 'r17', cmd: 'off' })).body.result).toBe('OK');
    expect(bmc.state.power).toBe(false);
  });

  it('a wrong password is IPMI_ERR_BAD_PASSWORD', async () => {
    const r = await eqPhp(gw, { action: 'ipmi_power', token: TEST_TOKEN, id: 'r17-badpw', cmd: 'status' });
    expect(r.status).toBe(502);
    expect(r.body.error.code).toBe('IPMI_ERR_BAD_PASSWORD');
  });

  it('SOL both ways over the WebSocket', async () => {
    const { body } = await eqPhp(gw, { action: 'sol', token: TEST_TOKEN, id: 'r17' });
    const u = new URL(body.scope);
    const ws = new WebSocket(`ws://${u.host}/sol-ws/${u.pathname.split('/').pop()!}`);
    const got: Buffer[] = [];
    let active = false;
    ws.on('message', (d, isBinary) => {
      if (isBinary) got.push(Buffer.from(d as Buffer));
      else if (String(d).includes('"active"')) active = true;
    });
    await waitFor(
      () => active,
      (a) => a,
      10_000,
    );
    expect(bmc.solActive()).toBe(true);
    ws.send(Buffer.from('hello over suite 17\r'));
    await waitFor(
      () => bmc.solReceived().toString(),
      (s) => s.includes('hello over suite 17\r'),
      10_000,
    );
    expect(bmc.solReceived().toString()).toBe('hello over suite 17\r');
    bmc.solWrite(Buffer.from('login: '));
    await waitFor(
      () => Buffer.concat(got).toString(),
      (s) => s.includes('login: '),
      10_000,
    );
    expect(Buffer.concat(got).toString()).toBe('login: ');
    const closed = new Promise((r) => ws.on('close', r));
    ws.close();
    await closed;
    await waitFor(
      () => bmc.log.includes('sol deactivate'),
      (v) => v,
      10_000,
    );
    expect(bmc.log).toContain('sol deactivate');
  }, 60_000);
});
