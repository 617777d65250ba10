import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IpmiError } from '../../../protocols/errors.js';
import { IpmiSession } from '../../../src/ipmi/ipmi-session.js';
import { IpmiService } from '../../../src/ipmi/ipmi-service.js';
import type { IpmiTarget } from '../../../src/ipmi/types.js';
import { startIpmiResponder, type IpmiResponder } from '../../helpers/ipmi-responder.js';
import { requirePeer } from '../../helpers/require-peer.js';

// Suite 17 (HMAC-SHA256 / HMAC-SHA256-128 / AES-CBC-128): ipmi_sim has no SHA-256, so our responder
// plays the BMC. First ipmitool (an independent implementation) must accept it, then our client runs
// against it.

let bmc: IpmiResponder;
const fast = { timeoutMs: 300, retryBackoffMs: 100, attempts: 3 };

function ipmitool(args: string[], password = 'secret'): Promise<{ code: number; out: string }> {
  return new Promise((resolve, reject) => {
    execFile(
      'ipmitool',
      ['-I', 'lanplus', '-C', '17', '-H', bmc.host, '-p', String(bmc.port), '-U', 'admin', '-P', password, '-R', '2', '-N', '1', ...args],
      { timeout: 30_000 },
      (err, stdout, stderr) => {
        if (err && (err as NodeJS.ErrnoException).code === 'ENOENT') return reject(new Error('ipmitool is not installed (Debian package ipmitool)'));
        resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, out: stdout + stderr });
      },
    );
  });
}

async function waitUntil(cond: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
}

beforeAll(async () => {
  // The oracle must be there: a missing ipmitool (or script(1) for its SOL terminal) fails the file.
  requirePeer('ipmitool', 'ipmitool');
  requirePeer('script', 'bsdutils');
  bmc = await startIpmiResponder({ user: 'admin', password: 'secret', suites: [17] });
});

afterAll(async () => {
  await bmc?.stop();
});

describe('ipmitool -C 17 accepts our responder', () => {
  it('power status and power on', async () => {
    expect((await ipmitool(['chassis', 'power', 'status'])).out).toContain('Chassis Power is off');
    const on = await ipmitool(['chassis', 'power', 'on']);
    expect(on.out).toContain('Chassis Power Control: Up/On');
    expect(bmc.state.power).toBe(true);
    expect((await ipmitool(['chassis', 'power', 'status'])).out).toContain('Chassis Power is on');
    expect(bmc.log).toContain('session open suite 17');
    expect(bmc.log).toContain('chassis control 1');
  });

  it('boot device pxe persistent is the same bytes ipmitool sends to any BMC', async () => {
    await ipmitool(['chassis', 'bootdev', 'pxe', 'options=persistent']);
    // ipmitool writes param 0 (set in progress), 4 (ack), 5 (flags), 0 (commit write / complete);
    // our client sends the same param-5 bytes on their own (see the client test below).
    expect(bmc.log).toContain('boot 05c004000000');
  });

  it('rejects a wrong password (the responder really checks RAKP3)', async () => {
    const r = await ipmitool(['chassis', 'power', 'status'], 'wrong');
    expect(r.code).not.toBe(0);
    expect(r.out).toMatch(/RAKP 2 HMAC is invalid|Unable to establish/);
  });

  it('SOL both ways with ipmitool sol activate', async () => {
    // ipmitool needs a terminal for SOL (notes §4.3): script(1) gives it one, stdin stays a pipe we write to.
    const child = spawn('script', ['-qfec', `ipmitool -I lanplus -C 17 -H ${bmc.host} -p ${bmc.port} -U admin -P secret sol activate`, '/dev/null'], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString('latin1');
    });
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    await waitUntil(() => out.includes('SOL Session operational'), 10_000);
    expect(out).toContain('SOL Session operational');
    child.stdin.write('hello from ipmitool\r');
    await waitUntil(() => bmc.solReceived().toString().includes('hello from ipmitool'), 10_000);
    expect(bmc.solReceived().toString()).toContain('hello from ipmitool\r');
    bmc.solWrite(Buffer.from('ANSWER FROM BMC\r\n'));
    await waitUntil(() => out.includes('ANSWER FROM BMC'), 10_000);
    expect(out).toContain('ANSWER FROM BMC');
    child.stdin.write('\r~.');
    const code = await Promise.race([exited, new Promise<string>((r) => setTimeout(() => r('timeout'), 10_000))]);
    if (code === 'timeout') child.kill('SIGKILL');
    expect(code).toBe(0);
    expect(bmc.log).toContain('sol deactivate');
  }, 60_000);
});

describe('our client against the responder with suite 17', () => {
  let service: IpmiService;
  const target = (): IpmiTarget => ({ host: bmc.host, port: bmc.port, user: 'admin', password: 'secret', cipherSuites: [17, 3], privilege: 'ADMINISTRATOR' });

  beforeAll(() => {
    service = new IpmiService(fast);
  });
  afterAll(async () => {
    await service.close();
  });

  it('negotiates suite 17 and controls power and boot device', async () => {
    const s = await IpmiSession.open(target(), fast);
    expect(s.cipherSuite).toBe(17);
    await s.close();
    await service.power(target(), 'off');
    expect((await service.status(target())).power).toBe('off');
    await service.power(target(), 'on', { bootDevice: { device: 'pxe', persistent: true } });
    expect(bmc.log.slice(-2)).toEqual(['boot 05c004000000', 'chassis control 1']);
    expect((await service.status(target())).power).toBe('on');
  });

  it('reports a power state that never comes as IPMI_ERR_POWER_NOT_CONFIRMED', async () => {
    bmc.state.power = false;
    bmc.faults.powerStuck = true;
    const err = await service.power(target(), 'on', { confirmWithinMs: 300, confirmPollMs: 50 }).then(
      () => null,
      (e: unknown) => e,
    );
    bmc.faults.powerStuck = false;
    expect((err as IpmiError).code).toBe('IPMI_ERR_POWER_NOT_CONFIRMED');
  });

  it('a wrong password and an unknown user give their own errors', async () => {
    const codes = [];
    for (const t of [
      { ...target(), password: 'nope' },
      { ...target(), user: 'ghost' },
    ]) {
      try {
        await IpmiSession.open(t, fast);
        codes.push('opened');
      } catch (err) {
        expect(err).toBeInstanceOf(IpmiError);
        codes.push((err as IpmiError).code);
      }
    }
    expect(codes).toEqual(['IPMI_ERR_BAD_PASSWORD', 'IPMI_ERR_UNKNOWN_USER']);
  });

  it('carries 64 KiB each way over SOL', async () => {
    const sol = await service.openSol(target());
    const toBmc = randomBytes(64 * 1024 + 5);
    const fromBmc = randomBytes(64 * 1024 + 9);
    const got: Buffer[] = [];
    let gotLength = 0;
    sol.onData((d) => {
      got.push(Buffer.from(d));
      gotLength += d.length;
    });
    sol.write(toBmc);
    bmc.solWrite(fromBmc);
    await waitUntil(() => bmc.solReceived().length >= toBmc.length && gotLength >= fromBmc.length, 60_000);
    expect(bmc.solReceived().equals(toBmc)).toBe(true);
    expect(Buffer.concat(got).equals(fromBmc)).toBe(true);
    sol.sendBreak();
    await waitUntil(() => bmc.log.includes('sol break'), 5000);
    expect(bmc.log).toContain('sol break');
    await sol.close();
    expect(bmc.solActive()).toBe(false);
  }, 90_000);
});
