import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EscapeReader, ipmiCommand } from '../../../src/ipmi/ipmi-cli.js';
import { captureIo } from '../../helpers/cli-io.js';
import { SIM_USERS, startIpmiSim, type IpmiSim } from '../../helpers/ipmi-sim.js';
import { waitFor } from './gateway-helpers.js';

// `bmc-gateway ipmi …` (src/ipmi/ipmi-cli.ts, the function src/cli.ts's COMMANDS table calls) against
// OpenIPMI ipmi_sim with suite 3, reading a real config file.

let sim: IpmiSim;
let dir: string;
let configFile: string;

const io = captureIo;

beforeAll(async () => {
  sim = await startIpmiSim();
  dir = await mkdtemp(join(tmpdir(), 'bmcgw-cli-'));
  configFile = join(dir, 'gateway.yaml');
  await writeFile(
    configFile,
    `servers:
  - id: s1
    ipmi: { host: 127.0.0.1, port: ${sim.port}, user: ${SIM_USERS.admin.user}, password: ${SIM_USERS.admin.password}, cipherSuite: 3 }
  - id: badpw
    ipmi: { host: 127.0.0.1, port: ${sim.port}, user: admin, password: wrong-pw, cipherSuite: 3 }
  - id: kvm
    console: { type: vnc, host: 127.0.0.1, port: 5999 }
`,
  );
}, 30_000);

afterAll(async () => {
  await sim?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('bmc-gateway ipmi against ipmi_sim', () => {
  it('power status / on / off', async () => {
    let t = io();
    expect(await ipmiCommand(['s1', 'power', 'status', '--config', configFile], t)).toBe(0);
    expect(t.out()).toBe('Chassis Power is off\n');
    t = io();
    expect(await ipmiCommand(['s1', 'power', 'on', '-c', configFile], t)).toBe(0);
    expect(await sim.powerState()).toBe('1');
    expect((await sim.hookLog()).at(-1)).toBe('0x20 set power 1');
    const audit = t
      .err()
      .split('\n')
      .filter((l) => l.includes('"audit"'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(audit).toEqual([
      expect.objectContaining({ event: 'audit', server: 's1', action: 'ipmi.power', detail: 'on', result: 'ok', who: expect.stringMatching(/^cli:/) }),
    ]);
    expect(t.err()).not.toContain(SIM_USERS.admin.password);
    t = io();
    expect(await ipmiCommand(['s1', 'power', 'status', '--config', configFile], t)).toBe(0);
    expect(t.out()).toBe('Chassis Power is on\n');
    expect(await ipmiCommand(['s1', 'power', 'off', '--config', configFile], io())).toBe(0);
    expect(await sim.powerState()).toBe('0');
  });

  it('bootdev', async () => {
    const t = io();
    expect(await ipmiCommand(['s1', 'bootdev', 'pxe', '--persistent', '--config', configFile], t)).toBe(0);
    expect(t.out()).toBe('Boot device set to pxe (persistent)\n');
    expect(await sim.bootState()).toBe('pxe');
  });

  it('errors and usage', async () => {
    let t = io();
    expect(await ipmiCommand(['badpw', 'power', 'status', '--config', configFile], t)).toBe(1);
    expect(t.err()).toMatch(/error: IPMI_ERR_BAD_PASSWORD: .*wrong password/);
    t = io();
    expect(await ipmiCommand(['kvm', 'power', 'status', '--config', configFile], t)).toBe(1);
    expect(t.err()).toContain('has no ipmi configured');
    for (const args of [
      ['s1', 'power', 'explode', '--config', configFile],
      ['s1', 'power', 'status'],
      ['s1'],
      ['s1', 'bootdev', 'floppy', '--config', configFile],
      ['s1', 'power', 'on', '--bogus'],
    ]) {
      t = io();
      expect(await ipmiCommand(args, t), args.join(' ')).toBe(2);
      expect(t.err()).toContain('Usage:');
    }
  });

  it('sol: typed bytes reach the serial port, its answer reaches stdout, ~. quits', async () => {
    const serial = await sim.serial();
    let atSerial = '';
    const onSerial = (d: Buffer) => {
      atSerial += d.toString('latin1');
      if (atSerial.endsWith('\r')) serial.write('pong~from host\r\n');
    };
    serial.on('data', onSerial);
    try {
      const t = io();
      const done = ipmiCommand(['s1', 'sol', '--config', configFile], t);
      await waitFor(
        () => t.err(),
        (e) => e.includes('SOL Session operational'),
        10_000,
      );
      t.input.write('ping ~x\r');
      await waitFor(
        () => t.out(),
        (o) => o.includes('pong~from host'),
        10_000,
      );
      expect(t.out()).toBe('pong~from host\r\n');
      t.input.write('~.');
      expect(await done).toBe(0);
      expect(atSerial).toBe('ping ~x\r');
      expect(t.err()).toContain('[SOL Session closed]');
    } finally {
      serial.off('data', onSerial);
    }
  }, 30_000);
});

describe('EscapeReader (ipmitool/ssh escapes, only at the start of a line)', () => {
  const run = (chunks: string[]) => {
    const r = new EscapeReader();
    let data = '';
    const commands: string[] = [];
    for (const c of chunks) {
      const res = r.feed(Buffer.from(c, 'latin1'));
      data += res.data.toString('latin1');
      commands.push(...res.commands);
    }
    return { data, commands };
  };

  it('recognises ~. ~B ~? ~~ after a newline, split anywhere', () => {
    const text = 'ls ~/x\r~B~?\r~~y\n~.ignored';
    const whole = run([text]);
    // An escape keeps the line start, so "~B~?" is two escapes (a BREAK, then the help).
    expect(whole).toEqual({ data: 'ls ~/x\r\r~y\n', commands: ['break', 'help', 'quit'] });
    for (let i = 0; i <= text.length; i++) expect(run([text.slice(0, i), text.slice(i)]), `split at ${i}`).toEqual(whole);
    expect(run([...text])).toEqual(whole);
  });

  it('a tilde followed by another character is passed on', () => {
    expect(run(['~x'])).toEqual({ data: '~x', commands: [] });
    expect(run(['\r~?'])).toEqual({ data: '\r', commands: ['help'] });
  });
});
