import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { parseArgs } from 'node:util';
import { parseDuration } from '../config/duration.js';
import { PROCESS_IO, type CliIo } from '../power/cli-common.js';
import { renderJson, renderText, usable } from './report.js';
import { runProbe } from './run-probe.js';
import type { ProbeOptions } from './types.js';

export const PROBE_USAGE = `  bmc-gateway probe HOST [--user U [--password-file FILE|-]] [--vnc-password-file FILE]
        [--rfb-ports 5900,5901,63630] [--web-port 443] [--ipmi-port 623] [--timeout 5s]
        [--insecure-tls] [--json]
      Look at what a BMC offers (RFB/VNC, ATEN iKVM, Supermicro web and HTML5 console, Redfish,
      IPMI) and print the console/ipmi/redfish config that would work. Writes nothing to the BMC.
      The password comes from --password-file (- = the first line of stdin), the BMC_PASSWORD
      environment variable, or a prompt; never from the command line.
`;

const DEFAULT_RFB_PORTS = [5900, 5901, 63630];

/**
 * `bmc-gateway probe HOST`: parses the options, gets the password without putting it on the
 * command line (`ps` shows argv to every user), runs the probes, prints the report.
 * Exit codes: 0 a console, IPMI or Redfish block is suggested, 1 nothing usable answered, 2 usage.
 */
export async function probeCommand(args: string[], io: CliIo = PROCESS_IO, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: {
        user: { type: 'string', short: 'u' },
        password: { type: 'string' },
        'password-file': { type: 'string' },
        'vnc-password-file': { type: 'string' },
        'rfb-ports': { type: 'string' },
        'web-port': { type: 'string' },
        'ipmi-port': { type: 'string' },
        timeout: { type: 'string' },
        'insecure-tls': { type: 'boolean' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    return usage(io, (err as Error).message);
  }
  const v = parsed.values;
  if (v.help) {
    io.stdout.write(`Usage:\n${PROBE_USAGE}`);
    return 0;
  }
  if (v.password !== undefined) {
    return usage(
      io,
      '--password would put the password on the command line, where every user of this host can read it (ps); use --password-file FILE, --password-file - (stdin), BMC_PASSWORD in the environment, or the prompt',
    );
  }
  const [host, ...extra] = parsed.positionals;
  if (!host) return usage(io, 'probe needs a HOST');
  if (extra.length > 0) return usage(io, `unexpected arguments: ${extra.join(' ')}`);
  const bare = host.replace(/^\[(.*)\]$/, '$1');
  if (!/^[A-Za-z0-9.-]+$/.test(bare) && isIP(bare) === 0)
    return usage(io, `"${host}" is not a host name or address (give the address alone; ports have their own options)`);

  const port = (name: string, text: string | undefined, dflt: number): number | string => {
    if (text === undefined) return dflt;
    const n = Number(text);
    return Number.isInteger(n) && n >= 1 && n <= 65535 ? n : `--${name} must be a port (1-65535), got "${text}"`;
  };
  const webPort = port('web-port', v['web-port'], 443);
  const ipmiPort = port('ipmi-port', v['ipmi-port'], 623);
  if (typeof webPort === 'string') return usage(io, webPort);
  if (typeof ipmiPort === 'string') return usage(io, ipmiPort);
  let rfbPorts = DEFAULT_RFB_PORTS;
  if (v['rfb-ports'] !== undefined) {
    const list = v['rfb-ports'] === '' ? [] : v['rfb-ports'].split(',').map((p) => port('rfb-ports', p.trim(), 0));
    const bad = list.find((p) => typeof p === 'string');
    if (bad !== undefined) return usage(io, bad);
    rfbPorts = [...new Set(list as number[])];
  }
  const timeoutMs = v.timeout === undefined ? 5000 : parseDuration(v.timeout);
  if (timeoutMs === undefined || timeoutMs < 100 || timeoutMs > 120_000)
    return usage(io, `--timeout must be a duration between 100ms and 2m, such as "5s", got "${v.timeout}"`);

  let password: string | undefined;
  let vncPassword: string | undefined;
  try {
    if (v['password-file'] !== undefined) password = await readSecret(v['password-file'], io);
    else if (env['BMC_PASSWORD'] !== undefined) password = env['BMC_PASSWORD'];
    else if (v.user !== undefined) password = await prompt(io, `password for ${v.user}@${bare}: `);
    if (v['vnc-password-file'] !== undefined) vncPassword = await readSecret(v['vnc-password-file'], io);
  } catch (err) {
    io.stderr.write(`error: ${(err as Error).message}\n`);
    return 2;
  }
  if (password !== undefined && v.user === undefined) return usage(io, 'a password needs --user (the BMC user it belongs to)');

  const options: ProbeOptions = {
    host: bare,
    rfbPorts,
    webPort,
    ipmiPort,
    timeoutMs,
    insecureTls: v['insecure-tls'] === true,
    ...(v.user !== undefined ? { user: v.user } : {}),
    ...(password !== undefined ? { password } : {}),
    ...(vncPassword !== undefined ? { vncPassword } : {}),
  };
  const report = await runProbe(options);
  io.stdout.write(v.json ? renderJson(report) : renderText(report));
  return usable(report) ? 0 : 1;
}

function usage(io: CliIo, why: string): number {
  io.stderr.write(`${why}\n\nUsage:\n${PROBE_USAGE}`);
  return 2;
}

/** The first line of a file, or of stdin for `-`. */
async function readSecret(file: string, io: CliIo): Promise<string> {
  if (file !== '-')
    return firstLine(await readFile(file, 'utf8').catch((e: Error) => Promise.reject(new Error(`cannot read the password file: ${e.message}`))));
  const chunks: Buffer[] = [];
  for await (const c of io.stdin) chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(String(c)));
  return firstLine(Buffer.concat(chunks).toString('utf8'));
}

function firstLine(text: string): string {
  return text.split(/\r?\n/, 1)[0]!;
}

/** Asks on a terminal, without echo. Not a terminal: no password (the probe then looks without logging in). */
function prompt(io: CliIo, question: string): Promise<string | undefined> {
  const stdin = io.stdin;
  if (stdin.isTTY !== true || typeof stdin.setRawMode !== 'function') return Promise.resolve(undefined);
  io.stderr.write(question);
  stdin.setRawMode(true);
  return new Promise((resolve, reject) => {
    let text = '';
    const done = (value: string | undefined, err?: Error) => {
      stdin.setRawMode!(false);
      stdin.off('data', onData);
      stdin.pause();
      io.stderr.write('\n');
      if (err) reject(err);
      else resolve(value);
    };
    const onData = (d: Buffer | string) => {
      for (const ch of String(d)) {
        if (ch === '\r' || ch === '\n') return done(text);
        if (ch === '\u0003') return done(undefined, new Error('interrupted'));
        if (ch === '\u007f' || ch === '\b') text = text.slice(0, -1);
        else text += ch;
      }
    };
    stdin.on('data', onData);
    stdin.resume();
  });
}
