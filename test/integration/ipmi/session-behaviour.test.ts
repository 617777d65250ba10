import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { IpmiError } from '../../../protocols/errors.js';
import { IpmiSession } from '../../../src/ipmi/ipmi-session.js';
import { IpmiService } from '../../../src/ipmi/ipmi-service.js';
import { IpmiSessionRegistry } from '../../../src/ipmi/session-registry.js';
import type { IpmiTarget } from '../../../src/ipmi/types.js';
import { startIpmiResponder, type IpmiResponder } from '../../helpers/ipmi-responder.js';

// Session behaviour on real UDP sockets against our responder with injected faults: retransmission,
// timeouts, forged and replayed datagrams, keep-alive, idle reaping, Kg, lossy SOL.

let bmc: IpmiResponder;
const fast = { timeoutMs: 150, retryBackoffMs: 50, attempts: 4 };
const open: { close(): Promise<void> }[] = [];
const target = (over: Partial<IpmiTarget> = {}): IpmiTarget => ({
  host: bmc.host,
  port: bmc.port,
  user: 'admin',
  password: 'secret',
  cipherSuites: [3],
  privilege: 'ADMINISTRATOR',
  ...over,
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const count = (what: string) => bmc.log.filter((l) => l === what).length;

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'no error';
  } catch (err) {
    expect(err).toBeInstanceOf(IpmiError);
    return (err as IpmiError).code;
  }
}

beforeAll(async () => {
  bmc = await startIpmiResponder({ user: 'admin', password: 'secret', suites: [3, 17] });
});
afterEach(async () => {
  bmc.faults.dropRequests = 0;
  bmc.faults.solLoss = 0;
  bmc.faults.solBanner = null;
  await Promise.all(open.splice(0).map((o) => o.close()));
});
afterAll(async () => {
  await bmc?.stop();
});

describe('IpmiSession on a faulty link', () => {
  it('retransmits a lost request and gets the answer', async () => {
    const s = await IpmiSession.open(target(), fast);
    open.push(s);
    bmc.faults.dropRequests = 2;
    const res = await s.request(0x00, 0x01);
    expect(res.completionCode).toBe(0);
    expect(bmc.faults.dropRequests).toBe(0);
  });

  it('times out with IPMI_ERR_TIMEOUT, closes the session, and the registry opens a fresh one', async () => {
    const service = new IpmiService({ ...fast, attempts: 2 });
    open.push(service);
    await service.status(target());
    const opened = count('session open suite 3');
    bmc.faults.dropRequests = 2;
    expect(await codeOf(service.status(target()))).toBe('IPMI_ERR_TIMEOUT');
    await sleep(20);
    expect((await service.status(target())).power).toMatch(/on|off/);
    expect(count('session open suite 3')).toBe(opened + 1);
  });

  it('ignores forged, garbage and replayed datagrams without ending the session', async () => {
    const s = await IpmiSession.open(target(), fast);
    open.push(s);
    await s.request(0x00, 0x01);
    const replay = bmc.lastSent()!;
    const forged = Buffer.from(replay);
    forged[forged.length - 1]! ^= 0xff;
    const before = s.droppedDatagrams;
    bmc.sendRaw(replay);
    bmc.sendRaw(forged);
    bmc.sendRaw(Buffer.from('not ipmi at all'));
    bmc.sendRaw(replay.subarray(0, 20));
    await sleep(50);
    expect(s.droppedDatagrams - before).toBe(4);
    expect(s.closed).toBe(false);
    expect((await s.request(0x00, 0x01)).completionCode).toBe(0);
  });

  it('sends Get Device ID as keep-alive while idle', async () => {
    const s = await IpmiSession.open(target(), { ...fast, keepAliveMs: 100 });
    open.push(s);
    const before = count('get device id');
    await sleep(450);
    expect(count('get device id') - before).toBeGreaterThanOrEqual(3);
  });

  it('serialises concurrent requests and refuses past the queue bound with IPMI_ERR_BUSY', async () => {
    const s = await IpmiSession.open(target(), { ...fast, maxQueuedRequests: 3 });
    open.push(s);
    const results = await Promise.allSettled(Array.from({ length: 6 }, () => s.request(0x00, 0x01)));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(3);
    const rejected = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(rejected.map((r) => (r.reason as IpmiError).code)).toEqual(['IPMI_ERR_BUSY', 'IPMI_ERR_BUSY', 'IPMI_ERR_BUSY']);
  });

  it('reaps idle sessions with Close Session', async () => {
    const registry = new IpmiSessionRegistry({ ...fast, idleCloseMs: 150 });
    open.push({ close: () => registry.closeAll() });
    const closes = count('close session');
    await registry.use(target(), (s) => s.request(0x00, 0x01));
    expect(registry.size).toBe(1);
    await sleep(500);
    expect(registry.size).toBe(0);
    expect(count('close session')).toBe(closes + 1);
  });

  it('refuses to start without a BMC that answers: IPMI_ERR_TIMEOUT', async () => {
    const dead = await startIpmiResponder({ user: 'admin', password: 'secret' });
    const port = dead.port;
    await dead.stop();
    expect(await codeOf(IpmiSession.open({ ...target(), port }, { timeoutMs: 50, retryBackoffMs: 0, attempts: 2 }))).toBe('IPMI_ERR_TIMEOUT');
  });

  it('checks the target before touching the network', async () => {
    expect(await codeOf(IpmiSession.open(target({ port: 0 })))).toBe('IPMI_ERR_BAD_CONFIG');
    expect(await codeOf(IpmiSession.open(target({ privilege: 'ROOT' as never })))).toBe('IPMI_ERR_BAD_CONFIG');
    expect(await codeOf(IpmiSession.open(target({ kg: 'xyz' })))).toBe('IPMI_ERR_BAD_CONFIG');
    expect(await codeOf(IpmiSession.open(target({ cipherSuites: [0] })))).toBe('IPMI_ERR_WEAK_CIPHER_SUITE');
  });
});

describe('logging', () => {
  it('never logs the password or Kg, at any level, through setup, requests, failures and SOL', async () => {
    const lines: string[] = [];
    const capture = (level: string) => (obj: object, msg?: string) => lines.push(`${level} ${msg ?? ''} ${JSON.stringify(obj)}`);
    const logger = { debug: capture('debug'), info: capture('info'), warn: capture('warn'), error: capture('error') };
    const service = new IpmiService({ ...fast, logger, audit: (e) => lines.push(JSON.stringify(e)) });
    open.push(service);
    const kg = 'deadbeefcafe0123456789';
    await service.power(target({ cipherSuites: [17, 3] }), 'on', { actor: 'tester' });
    await codeOf(service.status(target({ password: 'hunter2-wrong' })));
    await codeOf(service.status(target({ kg })));
    const sol = await service.openSol(target());
    sol.write(Buffer.from('x'));
    await sol.close();
    bmc.faults.dropRequests = 4;
    await codeOf(service.status(target()));
    expect(lines.length).toBeGreaterThan(5);
    const all = lines.join('\n');
    for (const secret of ['secret', 'hunter2-wrong', kg, kg.toUpperCase()]) expect(all).not.toContain(secret);
  });
});

describe('Kg (two-key login)', () => {
  let kgBmc: IpmiResponder;
  beforeAll(async () => {
    kgBmc = await startIpmiResponder({ user: 'admin', password: 'secret', kg: Buffer.from('00112233445566778899aabbccddeeff01020304', 'hex') });
  });
  afterAll(async () => kgBmc?.stop());
  const t = (kg?: string): IpmiTarget => ({
    host: kgBmc.host,
    port: kgBmc.port,
    user: 'admin',
    password: 'secret',
    cipherSuites: [17],
    privilege: 'ADMINISTRATOR',
    ...(kg ? { kg } : {}),
  });

  it('needs the BMC key when the BMC has one, and keys SIK with it', async () => {
    expect(await codeOf(IpmiSession.open(t(), fast))).toBe('IPMI_ERR_KG_REQUIRED');
    expect(await codeOf(IpmiSession.open(t('0x00112233445566778899aabbccddeeff01020305'), fast))).toBe('IPMI_ERR_BAD_RAKP4');
    const s = await IpmiSession.open(t('00112233445566778899AABBCCDDEEFF01020304'), fast);
    expect((await s.request(0x00, 0x01)).completionCode).toBe(0);
    await s.close();
  });
});

describe('SOL on a lossy link', () => {
  it('carries 16 KiB each way with 15 % of SOL packets lost in both directions', async () => {
    const service = new IpmiService(fast);
    open.push(service);
    const sol = await service.openSol(target({ cipherSuites: [17] }), { retransmitMs: 40, maxAttempts: 50 });
    bmc.faults.solLoss = 0.15;
    const toBmc = randomBytes(16 * 1024);
    const fromBmc = randomBytes(16 * 1024 + 3);
    const got: Buffer[] = [];
    let gotLength = 0;
    sol.onData((d) => {
      got.push(Buffer.from(d));
      gotLength += d.length;
    });
    sol.write(toBmc);
    bmc.solWrite(fromBmc);
    const end = Date.now() + 60_000;
    while ((bmc.solReceived().length < toBmc.length || gotLength < fromBmc.length) && Date.now() < end) await sleep(50);
    expect(bmc.solReceived().equals(toBmc)).toBe(true);
    expect(Buffer.concat(got).equals(fromBmc)).toBe(true);
    bmc.faults.solLoss = 0;
    await sol.close();
  }, 90_000);

  it('ends the console with reason session-lost when its session goes away', async () => {
    const s = await IpmiSession.open(target(), fast);
    const { SolConnection } = await import('../../../src/ipmi/sol-connection.js');
    const sol = await SolConnection.open(s);
    const reason = new Promise((r) => sol.onClose(r));
    await s.close();
    expect(await reason).toEqual({ type: 'session-lost', error: null });
    expect(sol.write(Buffer.from('x'))).toBe(false);
  });

  it('hands characters sent before the Activate Payload reply (a banner) to the first listener', async () => {
    const service = new IpmiService(fast);
    open.push(service);
    bmc.faults.solBanner = Buffer.from('login: ');
    const sol = await service.openSol(target());
    const got: Buffer[] = [];
    sol.onData((d) => got.push(Buffer.from(d)));
    await sleep(100);
    expect(Buffer.concat(got).toString()).toBe('login: ');
    await sol.close();
  });

  it('IpmiService.close() deactivates open consoles before closing their sessions', async () => {
    const service = new IpmiService(fast);
    const sol = await service.openSol(target());
    const reason = new Promise((r) => sol.onClose(r));
    const mark = bmc.log.length;
    await service.close();
    expect(await reason).toEqual({ type: 'closed' });
    expect(bmc.log.slice(mark)).toEqual(['sol deactivate', 'close session']);
    expect(bmc.solActive()).toBe(false);
  });

  it('applies backpressure: write() returns false above the high-water mark and drain follows', async () => {
    const service = new IpmiService(fast);
    open.push(service);
    const sol = await service.openSol(target(), { highWaterMark: 1024 });
    const drained = new Promise<void>((r) => sol.onDrain(r));
    expect(sol.write(Buffer.alloc(4096, 0x61))).toBe(false);
    await drained;
    await sleep(20);
    expect(bmc.solReceived().length).toBe(4096);
    await sol.close();
  });
});
