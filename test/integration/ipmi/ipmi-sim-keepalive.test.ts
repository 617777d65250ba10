import { afterAll, beforeAll, expect, it } from 'vitest';
import { IpmiError } from '../../../protocols/errors.js';
import { IpmiSession } from '../../../src/ipmi/ipmi-session.js';
import { SIM_USERS, startIpmiSim, type IpmiSim } from '../../helpers/ipmi-sim.js';

// ipmi_sim drops a session after 30 s without traffic (notes §1.8, §4.2). With keep-alive on, a session
// stays usable past that; with keep-alive effectively off, the same idle time kills it. Slow (~36 s)
// but mostly idle.

let sim: IpmiSim;
beforeAll(async () => {
  sim = await startIpmiSim();
});
afterAll(async () => {
  await sim?.stop();
});

it("Get Device ID keep-alive keeps a session past ipmi_sim's 30 s idle timeout", async () => {
  const t = { host: sim.host, port: sim.port, ...SIM_USERS.admin, cipherSuites: [3], privilege: 'ADMINISTRATOR' as const };
  const timing = { timeoutMs: 300, retryBackoffMs: 100, attempts: 3 };
  const kept = await IpmiSession.open(t, { ...timing, keepAliveMs: 10_000 });
  const idle = await IpmiSession.open(t, { ...timing, keepAliveMs: 3_600_000 });
  await new Promise((r) => setTimeout(r, 36_000));
  expect((await kept.request(0x00, 0x01)).completionCode).toBe(0);
  const err = await idle.request(0x00, 0x01).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(IpmiError);
  expect((err as IpmiError).code).toBe('IPMI_ERR_TIMEOUT');
  expect(idle.closed).toBe(true);
  await kept.close();
}, 60_000);
