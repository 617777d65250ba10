import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { probeCommand } from '../../../../src/probe/probe-command.js';
import { renderYaml, serverId } from '../../../../src/probe/report.js';
import type { ProbeReport } from '../../../../src/probe/types.js';
import { captureIo } from '../../../helpers/cli-io.js';
import { closedPort } from '../../../helpers/ports.js';

// `bmc-gateway probe`'s command line: usage errors, where the password may come from (never argv),
// and the printed configuration's shape. The probes themselves: test/integration/probe/.

const run = async (args: string[], o: { env?: NodeJS.ProcessEnv; stdin?: PassThrough } = {}) => {
  const stdin = o.stdin ?? new PassThrough();
  if (!o.stdin) stdin.end();
  const io = captureIo(stdin, 'utf8');
  const code = await probeCommand(args, io, o.env ?? {});
  return { code, out: io.out(), err: io.err() };
};

/** Every port closed, short timeouts: a probe that finds nothing, quickly. */
const nothingThere = async () => [
  '--rfb-ports',
  String(await closedPort()),
  '--web-port',
  String(await closedPort()),
  '--ipmi-port',
  String(await closedPort()),
  '--timeout',
  '200ms',
  '--json',
];

describe('bmc-gateway probe: usage', () => {
  it('refuses --password (the command line is readable by every user), naming the other ways', async () => {
    const r = await run(['10.0.0.5', '--user', 'ADMIN', '--password', 'hunter2']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--password would put the password on the command line.*\(ps\); use --password-file FILE, --password-file - \(stdin\), BMC_PASSWORD/);
    expect(r.err).not.toContain('hunter2');
  });

  it('needs one host, a bare address, valid ports and timeout; a password needs a user', async () => {
    for (const [args, why] of [
      [[], /needs a HOST/],
      [['a', 'b'], /unexpected arguments: b/],
      [['10.0.0.5:443'], /not a host name or address/],
      [['10.0.0.5', '--web-port', '0'], /--web-port must be a port/],
      [['10.0.0.5', '--rfb-ports', '5900,x'], /--rfb-ports must be a port/],
      [['10.0.0.5', '--timeout', 'soon'], /--timeout must be a duration/],
      [['10.0.0.5', '--bogus'], /Unknown option '--bogus'/],
    ] as const) {
      const r = await run([...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err).toMatch(why);
      expect(r.err).toContain('Usage:');
    }
    const noUser = await run(['10.0.0.5'], { env: { BMC_PASSWORD: 'pw' } });
    expect(noUser.code).toBe(2);
    expect(noUser.err).toMatch(/a password needs --user/);
    const help = await run(['--help']);
    expect(help.code).toBe(0);
    expect(help.out).toContain('bmc-gateway probe HOST');
  });
});

describe('bmc-gateway probe: where the password comes from', () => {
  it('--password-file - reads the first line of stdin; BMC_PASSWORD; nothing found is exit 1', async () => {
    const stdin = new PassThrough();
    stdin.end('from-stdin\nignored\n');
    const a = await run(['127.0.0.1', '--user', 'ADMIN', '--password-file', '-', ...(await nothingThere())], { stdin });
    expect(a.code).toBe(1);
    expect(JSON.parse(a.out)).toMatchObject({ withCredentials: true, chosen: [], yaml: null });
    expect(a.out).not.toContain('from-stdin');
    const b = await run(['::1', '--user', 'ADMIN', ...(await nothingThere())], { env: { BMC_PASSWORD: 'from-env' } });
    expect(JSON.parse(b.out)).toMatchObject({ host: '::1', withCredentials: true });
  });

  it('--user without a password: a prompt on a terminal (no echo); off a terminal, no credentials', async () => {
    const off = await run(['127.0.0.1', '--user', 'ADMIN', ...(await nothingThere())]);
    expect(JSON.parse(off.out)).toMatchObject({ withCredentials: false });

    const tty = Object.assign(new PassThrough(), {
      isTTY: true,
      rawModes: [] as boolean[],
      setRawMode(raw: boolean) {
        this.rawModes.push(raw);
        return this;
      },
    });
    const pending = run(['127.0.0.1', '--user', 'ADMIN', ...(await nothingThere())], { stdin: tty });
    await new Promise((r) => setTimeout(r, 50));
    tty.write('typo\u007f\u007f\u007f\u007fsecret\r');
    const r = await pending;
    expect(r.err).toContain('password for ADMIN@127.0.0.1: ');
    expect(r.err).not.toContain('secret');
    expect(tty.rawModes).toEqual([true, false]);
    expect(JSON.parse(r.out)).toMatchObject({ withCredentials: true });
  });
});

describe('the printed configuration', () => {
  const report = (over: Partial<ProbeReport>): ProbeReport => ({
    host: '10.0.0.5',
    startedAt: '2026-01-01T00:00:00.000Z',
    durationMs: 1,
    withCredentials: false,
    findings: [],
    chosen: [],
    alternatives: [],
    ...over,
  });

  it('one server entry, each block with why above it, runners-up as comments; ids from any host', () => {
    const text = renderYaml(
      report({
        chosen: [{ block: 'console', confidence: 'seen', config: { type: 'vnc', host: '10.0.0.5', password: null }, because: 'RFB 3.8' }],
        alternatives: [{ block: 'console', confidence: 'guess', config: { type: 'aten', host: '10.0.0.5', transport: 'auto' }, because: 'a login page' }],
      }),
    );
    expect(text).toBe(`# bmc-gateway probe 10.0.0.5, 2026-01-01T00:00:00.000Z. Every null is a value to fill in (passwords are never printed).

servers:
  - id: 10.0.0.5
    # seen: RFB 3.8
    console:
      type: vnc
      host: 10.0.0.5
      password: null
# Also possible (instead of the block of the same name above):
#   console: { type: aten, host: 10.0.0.5, transport: auto }
#     (guess: a login page)
`);
    expect(serverId('fe80::1')).toBe('fe80::1');
    expect(serverId('bmc_7.example.org')).toBe('bmc_7.example.org');
    expect(serverId('weird name/x')).toBe('weird-name-x');
  });
});
