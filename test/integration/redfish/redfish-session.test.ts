import { createServer, type AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { REDFISH_LIMITS } from '../../../src/redfish/redfish-json.js';
import type { RedfishServiceOptions } from '../../../src/redfish/redfish-service.js';
import { RedfishSession } from '../../../src/redfish/redfish-session.js';
import { RedfishSimulator, SIM_ADMIN, SIM_READONLY, type RedfishSimulatorOptions } from '../../helpers/redfish/simulator.js';
import { failure, RedfishTestPool } from '../../helpers/redfish/pool.js';
import { simTarget } from '../../helpers/redfish/target.js';

// The gateway's Redfish session and client (src/redfish/) against our simulator, which redfishtool,
// sushy and fence_redfish accepted first (reference-clients.test.ts): login, token reuse and
// refresh, logout, Basic fallback, and every way a BMC can be wrong — each its own clear error.

const pool = new RedfishTestPool();
const sim = (o: RedfishSimulatorOptions = {}) => pool.sim(o);
const service = (o: RedfishServiceOptions = {}) => pool.service(o);
afterEach(() => pool.cleanup());

describe('RedfishSession', () => {
  it('logs in through the SessionService, reuses the token, logs in again after a 401, DELETEs at logout', async () => {
    const s = await sim();
    const session = new RedfishSession(simTarget(s));
    await session.login();
    expect(session.authMode).toBe('session');
    expect(session.token).toMatch(/^[0-9a-f]{48}$/);
    expect(session.sessionUri).toBe(`${s.paths.sessions}/1`);
    for (let i = 0; i < 3; i++) expect((await session.request({ method: 'GET', path: s.paths.system })).status).toBe(200);
    expect(s.requests.filter((r) => r.method === 'POST' && r.path === s.paths.sessions)).toHaveLength(1);
    expect(s.requests.filter((r) => r.path === s.paths.system).every((r) => r.auth === 'token')).toBe(true);

    s.expireAllSessions(); // as after SessionTimeout or a BMC reboot
    const res = await session.request({ method: 'GET', path: s.paths.system });
    expect(res.status).toBe(200);
    expect(s.requests.filter((r) => r.method === 'POST' && r.path === s.paths.sessions)).toHaveLength(2);
    expect(
      s.requests
        .filter((r) => r.path === s.paths.system)
        .map((r) => r.auth)
        .slice(-2),
    ).toEqual(['bad', 'token']);
    expect(s.sessions).toEqual([SIM_ADMIN.name]);

    await session.close();
    expect(s.sessions).toEqual([]);
    expect(s.requests.at(-1)).toMatchObject({ method: 'DELETE', path: `${s.paths.sessions}/2`, auth: 'token' });
  });

  it('concurrent requests after an expiry share one new login', async () => {
    const s = await sim();
    const session = new RedfishSession(simTarget(s));
    await session.login();
    s.expireAllSessions();
    const all = await Promise.all(Array.from({ length: 6 }, () => session.request({ method: 'GET', path: s.paths.system })));
    expect(all.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 200]);
    expect(s.requests.filter((r) => r.method === 'POST' && r.path === s.paths.sessions)).toHaveLength(2);
    await session.close();
  });

  it('uses HTTP Basic where the service has no SessionService', async () => {
    const s = await sim({ sessionService: false });
    const session = new RedfishSession(simTarget(s));
    await session.login();
    expect(session.authMode).toBe('basic');
    expect(session.token).toBeUndefined();
    expect((await session.request({ method: 'GET', path: s.paths.system })).status).toBe(200);
    expect(s.requests.filter((r) => r.method === 'POST')).toEqual([]);
    await session.close();
  });

  it('wrong credentials are GW_ERR_BMC_AUTH_FAILED, with a session and with Basic', async () => {
    for (const sessionService of [true, false]) {
      const s = await sim({ sessionService });
      const e = await failure(new RedfishSession(simTarget(s, { password: 'not-the-password' })).login());
      expect(e.code).toBe('GW_ERR_BMC_AUTH_FAILED');
      expect(e.message).toContain(`user "${SIM_ADMIN.name}"`);
      expect(e.message).not.toContain('not-the-password');
    }
  });

  it('a BMC that is not Redfish, a refused certificate, nothing listening: each its own error', async () => {
    const html = await sim({ notRedfish: true });
    const notRf = await failure(new RedfishSession(simTarget(html)).login());
    expect(notRf.code).toBe('GW_ERR_NOT_REDFISH');
    expect(notRf.message).toMatch(/not a Redfish service root/);

    const s = await sim();
    const cert = await failure(new RedfishSession(simTarget(s, { insecureTls: false })).login());
    expect(cert.code).toBe('GW_ERR_BMC_UNREACHABLE');
    expect(cert.message).toContain('insecureTls: true');

    const gone = simTarget(s);
    await pool.stop(s);
    const down = await failure(new RedfishSession(gone).login());
    expect(down.code).toBe('GW_ERR_BMC_UNREACHABLE');
    expect(down.message).toMatch(/ECONNREFUSED/);
  });

  it('a BMC that never answers is GW_ERR_BMC_TIMEOUT within the request timeout', async () => {
    // A port that accepts the connection and then says nothing (not even the TLS handshake).
    const silent = createServer(() => {});
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
    try {
      const s = await sim();
      const quiet = new RedfishSession(simTarget(s, { port: (silent.address() as AddressInfo).port, timeoutMs: 300 }));
      const e = await failure(quiet.login());
      expect(e.code).toBe('GW_ERR_BMC_TIMEOUT');
      await quiet.close();
    } finally {
      silent.close();
    }
  });
});

describe('untrusted JSON from the BMC', () => {
  const cases: { name: string; hook: (s: RedfishSimulator) => RedfishSimulator['hook']; code: string; message: RegExp }[] = [
    {
      name: 'a body over the limit',
      hook: (s) => (r) => (r.path === s.paths.system ? { status: 200, raw: `{"x":"${'a'.repeat(REDFISH_LIMITS.maxBodyBytes)}"}` } : undefined),
      code: 'GW_ERR_BMC_PROTOCOL',
      message: /reply body over 1048576 bytes|announced a \d+-byte reply body/,
    },
    {
      name: 'PowerState of the wrong type',
      hook: (s) => (r) => (r.path === s.paths.system ? { status: 200, body: { '@odata.id': s.paths.system, PowerState: 7 } } : undefined),
      code: 'GW_ERR_BMC_PROTOCOL',
      message: /PowerState is not a string/,
    },
    {
      name: 'Members that is not a list',
      hook: (s) => (r) => (r.path === s.paths.systems ? { status: 200, body: { Members: 'all' } } : undefined),
      code: 'GW_ERR_BMC_PROTOCOL',
      message: /Members is not a list/,
    },
    {
      name: 'a member path outside /redfish/v1',
      hook: (s) => (r) => (r.path === s.paths.systems ? { status: 200, body: { Members: [{ '@odata.id': '/etc/passwd' }] } } : undefined),
      code: 'GW_ERR_BMC_PROTOCOL',
      message: /not a Redfish path/,
    },
    {
      name: 'a path with ..',
      hook: (s) => (r) => (r.path === s.paths.systems ? { status: 200, body: { Members: [{ '@odata.id': '/redfish/v1/../../x' }] } } : undefined),
      code: 'GW_ERR_BMC_PROTOCOL',
      message: /not a Redfish path/,
    },
    {
      name: 'a 200 that is not JSON',
      hook: (s) => (r) => (r.path === s.paths.system ? { status: 200, raw: '<html>hello</html>' } : undefined),
      code: 'GW_ERR_BMC_PROTOCOL',
      message: /without a JSON body|not a JSON object/,
    },
    {
      name: 'a JSON array where an object belongs',
      hook: (s) => (r) => (r.path === s.paths.system ? { status: 200, body: [1, 2] } : undefined),
      code: 'GW_ERR_BMC_PROTOCOL',
      message: /not a JSON object/,
    },
    {
      name: 'an AllowableValues list of 10 000',
      hook: (s) => (r) =>
        r.path === s.paths.system
          ? {
              status: 200,
              body: { Actions: { '#ComputerSystem.Reset': { target: s.paths.reset, 'ResetType@Redfish.AllowableValues': Array(10_000).fill('On') } } },
            }
          : undefined,
      code: 'GW_ERR_BMC_PROTOCOL',
      message: /more than 256 entries/,
    },
  ];
  for (const c of cases) {
    it(`${c.name}: ${c.code}, and the next request works`, async () => {
      const s = await sim();
      const svc = service();
      s.hook = c.hook(s);
      const e = await failure(svc.power(simTarget(s), 'on'));
      expect(e.code).toBe(c.code);
      expect(e.message).toMatch(c.message);
      expect(s.resets).toEqual([]);
      s.hook = undefined;
      await svc.power(simTarget(s), 'on');
      expect(s.resets).toEqual(['On']);
    });
  }

  it('an absolute @odata.id naming another host is used as a path on the configured BMC only', async () => {
    const s = await sim();
    s.hook = (r) =>
      r.path === s.paths.systems ? { status: 200, body: { Members: [{ '@odata.id': `https://evil.example:8443${s.paths.system}` }] } } : undefined;
    const svc = service();
    expect((await svc.status(simTarget(s))).powerState).toBe('Off');
    expect(s.requests.some((r) => r.path === s.paths.system)).toBe(true);
  });
});

describe('privileges and paths', () => {
  it('a read-only account reads the power but may not change it: GW_ERR_BMC_FORBIDDEN with the BMC message', async () => {
    const s = await sim();
    const svc = service();
    const t = simTarget(s, { user: SIM_READONLY.name, password: SIM_READONLY.password });
    expect(await svc.status(t)).toEqual({ power: 'off', powerState: 'Off' });
    const e = await failure(svc.power(t, 'on'));
    expect(e.code).toBe('GW_ERR_BMC_FORBIDDEN');
    expect(e.message).toContain('Base.1.8.1.InsufficientPrivilege');
  });

  it('a configured system path that does not exist names the systems that do', async () => {
    const s = await sim();
    const svc = service();
    const e = await failure(svc.status(simTarget(s, { system: '/redfish/v1/Systems/1' })));
    expect(e.code).toBe('GW_ERR_REDFISH_NOT_FOUND');
    expect(e.message).toContain('/redfish/v1/Systems/1 does not exist');
    expect(e.message).toContain(s.paths.system);
    const manager = await failure(svc.status(simTarget(s, { system: s.paths.manager })));
    expect(manager.code).toBe('GW_ERR_REDFISH_NOT_FOUND');
    expect(manager.message).toContain('not a ComputerSystem');
    expect((await svc.status(simTarget(s, { system: s.paths.system }))).power).toBe('off');
  });

  it('logs out of a BMC it has not used for idleCloseMs, and of every BMC at close', async () => {
    const s = await sim();
    const svc = service({ idleCloseMs: 300 });
    await svc.status(simTarget(s));
    expect(s.sessions).toEqual([SIM_ADMIN.name]);
    await expect.poll(() => s.sessions, { timeout: 5_000 }).toEqual([]);
    expect(svc.size).toBe(0);
    await svc.status(simTarget(s));
    expect(s.sessions).toHaveLength(1);
    await svc.close();
    expect(s.sessions).toEqual([]);
  });
});
