import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IpmiError } from '../../../protocols/errors.js';
import { IpmiSession } from '../../../src/ipmi/ipmi-session.js';
import { IpmiService, type IpmiAuditEvent } from '../../../src/ipmi/ipmi-service.js';
import type { IpmiTarget } from '../../../src/ipmi/types.js';
import { SolConnection } from '../../../src/ipmi/sol-connection.js';
import { SIM_USERS, startIpmiSim, type IpmiSim } from '../../helpers/ipmi-sim.js';

// OpenIPMI ipmi_sim as the BMC (no SHA-256, so cipher suite 3); power is checked through what its
// chassis_control hook was told (notes §4.3).

let sim: IpmiSim;
let service: IpmiService;
const audit: IpmiAuditEvent[] = [];
const fast = { timeoutMs: 300, retryBackoffMs: 100, attempts: 3 };

function target(over: Partial<IpmiTarget> = {}): IpmiTarget {
  return { host: sim.host, port: sim.port, ...SIM_USERS.admin, cipherSuites: [3], privilege: 'ADMINISTRATOR', ...over };
}

async function waitFor<T>(fn: () => Promise<T>, ok: (v: T) => boolean, ms = 5000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (ok(v) || Date.now() > end) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function caught(p: Promise<unknown>): Promise<IpmiError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(IpmiError);
    return err as IpmiError;
  }
  throw new Error('expected an IpmiError');
}

beforeAll(async () => {
  sim = await startIpmiSim();
  service = new IpmiService({ ...fast, audit: (e) => audit.push(e) });
});

afterAll(async () => {
  await service?.close();
  await sim?.stop();
});

describe('power and boot device against ipmi_sim (suite 3)', () => {
  it('reads chassis status, powers on and off', async () => {
    expect((await service.status(target())).power).toBe('off');
    await service.power(target(), 'on', { actor: 'alice' });
    expect(await sim.powerState()).toBe('1');
    expect(await sim.hookLog()).toContain('0x20 set power 1');
    expect((await service.status(target())).power).toBe('on');
    await service.power(target(), 'off', { actor: 'alice' });
    expect(await sim.powerState()).toBe('0');
    expect((await service.status(target())).chassis.powerOn).toBe(false);
  });

  it('confirms the power state by polling when asked', async () => {
    await service.power(target(), 'on', { confirmWithinMs: 3000, confirmPollMs: 100 });
    await service.power(target(), 'off', { confirmWithinMs: 3000, confirmPollMs: 100 });
    expect(await sim.powerState()).toBe('0');
  });

  it('cycles, resets and soft-stops', async () => {
    await service.power(target(), 'on');
    const before = (await sim.hookLog()).length;
    await service.power(target(), 'cycle');
    // ipmi_sim powers off, then on again from a 1 s timer.
    const log = await waitFor(
      () => sim.hookLog(),
      (l) => l.slice(before).includes('0x20 set power 1'),
    );
    expect(log.slice(before)).toEqual(expect.arrayContaining(['0x20 set power 0', '0x20 set power 1']));
    await service.power(target(), 'reset');
    expect((await sim.hookLog()).slice(-3)).toContain('0x20 set reset 1');
    await service.power(target(), 'soft');
    expect((await sim.hookLog()).slice(-3)).toContain('0x20 set shutdown 1');
    expect(await sim.powerState()).toBe('0');
  });

  it('sets the boot device, and sets it right before a power action when both are asked', async () => {
    await service.setBootDevice(target(), 'pxe', false, 'bob');
    expect(await sim.bootState()).toBe('pxe');
    await service.setBootDevice(target(), 'bios', true);
    expect(await sim.bootState()).toBe('bios');
    const before = (await sim.hookLog()).length;
    await service.power(target(), 'on', { bootDevice: { device: 'cdrom', persistent: false } });
    const sets = (await sim.hookLog()).slice(before).filter((l) => l.includes(' set '));
    expect(sets).toEqual(['0x20 set boot cdrom', '0x20 set power 1']);
    await service.setBootDevice(target(), 'disk', false);
    expect(await sim.bootState()).toBe('default'); // ipmi_sim's name for "force default hard disk"
  });

  it('shares one session between concurrent calls', async () => {
    const results = await Promise.all(Array.from({ length: 8 }, () => service.status(target())));
    expect(results.every((r) => r.power === results[0]!.power)).toBe(true);
    expect(service.registry.size).toBe(1);
  });

  it('audits each action with who asked', () => {
    const on = audit.find((e) => e.type === 'ipmi.power' && e.detail === 'on' && e.actor === 'alice');
    expect(on).toMatchObject({ outcome: 'ok', host: sim.host, port: sim.port, user: 'admin' });
    expect(audit.find((e) => e.type === 'ipmi.bootdev' && e.actor === 'bob')).toMatchObject({ detail: 'pxe', outcome: 'ok' });
    expect(JSON.stringify(audit)).not.toContain(SIM_USERS.admin.password);
  });
});

describe('errors against ipmi_sim', () => {
  it('a wrong password is IPMI_ERR_BAD_PASSWORD', async () => {
    const err = await caught(IpmiSession.open(target({ password: 'not-the-password' }), fast));
    expect(err.code).toBe('IPMI_ERR_BAD_PASSWORD');
    expect(err.message).toMatch(/wrong password/);
  });

  it('an unknown user is IPMI_ERR_UNKNOWN_USER', async () => {
    const err = await caught(IpmiSession.open(target({ user: 'nobody' }), fast));
    expect(err.code).toBe('IPMI_ERR_UNKNOWN_USER');
    expect(err.message).toMatch(/0x0D unauthorized name/);
  });

  it('suite 17 is refused by ipmi_sim, and 17-then-3 falls back to 3', async () => {
    const only17 = await caught(IpmiSession.open(target({ cipherSuites: [17] }), fast));
    expect(only17.code).toBe('IPMI_ERR_CIPHER_SUITE_REJECTED');
    const s = await IpmiSession.open(target({ cipherSuites: [17, 3] }), fast);
    expect(s.cipherSuite).toBe(3);
    await s.close();
  });

  it('weak suites are refused before any packet is sent, and work when explicitly allowed', async () => {
    for (const id of [0, 1, 2]) {
      const err = await caught(IpmiSession.open(target({ cipherSuites: [id] }), fast));
      expect(err.code).toBe('IPMI_ERR_WEAK_CIPHER_SUITE');
    }
    for (const id of [1, 2]) {
      const s = await IpmiSession.open(target({ cipherSuites: [id], allowWeakCipherSuites: true }), fast);
      expect(s.cipherSuite).toBe(id);
      await s.request(0x00, 0x01);
      await s.close();
    }
    // Why suite 0 is refused by default: ipmi_sim lets a wrong password in (notes §4.2).
    const open0 = await IpmiSession.open(target({ cipherSuites: [0], allowWeakCipherSuites: true, password: 'totally-wrong' }), fast);
    expect(open0.cipherSuite).toBe(0);
    expect((await open0.request(0x00, 0x01)).completionCode).toBe(0);
    await open0.close();
  });

  it('a USER-level session may not power on: 0xD4 insufficient privilege, in words', async () => {
    const t = target({ ...SIM_USERS.user, privilege: 'USER' });
    expect((await service.status(t)).power).toMatch(/on|off/);
    const err = await caught(service.power(t, 'on'));
    expect(err.code).toBe('IPMI_ERR_COMPLETION_CODE');
    expect(err.message).toContain('0xD4 insufficient privilege');
  });

  it('closes sessions cleanly: more open/close rounds than ipmi_sim has session slots', async () => {
    for (let i = 0; i < 14; i++) {
      const s = await IpmiSession.open(target(), fast);
      await s.request(0x06, 0x01);
      await s.close();
    }
  });

  it('a request on a closed session is IPMI_ERR_SESSION_CLOSED', async () => {
    const s = await IpmiSession.open(target(), fast);
    await s.close();
    expect((await caught(s.request(0x00, 0x01))).code).toBe('IPMI_ERR_SESSION_CLOSED');
  });
});

describe('SOL against ipmi_sim', () => {
  it('carries 64 KiB of mixed bytes each way, nothing lost or reordered', async () => {
    const serial = await sim.serial();
    const sol = await service.openSol(target(), { actor: 'carol' });
    const toBmc = randomBytes(64 * 1024 + 123);
    const fromBmc = randomBytes(64 * 1024 + 77);
    const atSerial: Buffer[] = [];
    let atSerialLength = 0;
    serial.on('data', (d: Buffer) => {
      atSerial.push(d);
      atSerialLength += d.length;
    });
    const atConsole: Buffer[] = [];
    let atConsoleLength = 0;
    sol.onData((d) => {
      atConsole.push(Buffer.from(d));
      atConsoleLength += d.length;
    });

    sol.write(toBmc);
    serial.write(fromBmc);
    const end = Date.now() + 90_000;
    while ((atSerialLength < toBmc.length || atConsoleLength < fromBmc.length) && Date.now() < end) {
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(atSerialLength).toBe(toBmc.length);
    expect(Buffer.concat(atSerial).equals(toBmc)).toBe(true);
    expect(atConsoleLength).toBe(fromBmc.length);
    expect(Buffer.concat(atConsole).equals(fromBmc)).toBe(true);

    const closed = new Promise((r) => sol.onClose(r));
    await sol.close();
    expect(await closed).toEqual({ type: 'closed' });
  }, 120_000);

  it('delivers the first characters of every new SOL activation (ipmi_sim stale-sequence quirk, notes §4.5)', async () => {
    const serial = await sim.serial();
    let got = '';
    const onSerial = (d: Buffer) => {
      got += d.toString('latin1');
    };
    serial.on('data', onSerial);
    for (let round = 1; round <= 4; round++) {
      const sol = await service.openSol(target());
      sol.write(Buffer.from(`r${round}`));
      await waitFor(
        async () => got,
        (g) => g.includes(`r${round}`),
        3000,
      );
      await sol.close();
    }
    serial.off('data', onSerial);
    expect(got).toBe('r1r2r3r4');
  });

  it('refuses a second activation while SOL is held elsewhere, and takes it over when allowed', async () => {
    const other = await IpmiSession.open(target(), fast);
    const first = await SolConnection.open(other, { retransmitMs: 50, maxAttempts: 3 });
    const firstClosed = new Promise((r) => first.onClose(r));
    const err = await caught(service.openSol(target()));
    expect(err.code).toBe('IPMI_ERR_SOL_ALREADY_ACTIVE');
    const taken = await service.openSol(target({ solTakeover: true }));
    const serial = await sim.serial();
    const got: Buffer[] = [];
    serial.on('data', (d: Buffer) => got.push(d));
    taken.write(Buffer.from('after takeover\r'));
    await waitFor(
      async () => Buffer.concat(got).toString(),
      (s) => s.includes('after takeover\r'),
    );
    expect(Buffer.concat(got).toString()).toBe('after takeover\r');
    // ipmi_sim does not tell the old holder; its next write goes unanswered and ends it with an error.
    first.write(Buffer.from('lost'));
    const reason = (await Promise.race([firstClosed, new Promise((r) => setTimeout(() => r('still open'), 5000))])) as { type: string; error?: IpmiError };
    expect(reason.type).toBe('error');
    expect(reason.error?.code).toBe('IPMI_ERR_SOL_NO_ACK');
    await taken.close();
    await other.close();
  });
});
