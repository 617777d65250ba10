import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import { loadConfigFile } from '../config/load.js';
import { ConfigError } from '../config/reader.js';
import type { GatewayConfig } from '../config/types.js';
import { createLogger } from '../log.js';
import { BOOT_DEVICES, POWER_COMMANDS, type BootDeviceChoice, type PowerCommand } from './chassis-commands.js';
import { ipmiTargetOf } from './config-target.js';
import { IpmiService } from './ipmi-service.js';
import type { SolCloseReason, SolConnection } from './sol-connection.js';
import type { IpmiTarget } from './types.js';

export const IPMI_USAGE = `  bmc-gateway ipmi SERVER power status|on|off|soft|cycle|reset --config FILE
  bmc-gateway ipmi SERVER bootdev pxe|disk|cdrom|bios [--persistent] --config FILE
  bmc-gateway ipmi SERVER sol --config FILE
      Power, boot device or the serial console of a configured server, straight from this host.
      In sol: "~." at the start of a line quits, "~B" sends a BREAK, "~~" sends "~", "~?" helps.
`;

/** What the command reads and writes; the process's own streams unless a test passes others. */
export interface CliIo {
  readonly stdin: NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (raw: boolean) => unknown };
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
}

const PROCESS_IO: CliIo = { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr };

/**
 * `bmc-gateway ipmi …`: the operator's tool (issue 5, "CLI for operators"). Uses the same config
 * file, IpmiService and audit as the gateway; audit lines (JSON, event "audit") go to stderr.
 * Exit codes: 0 done, 1 the BMC or the config failed, 2 usage.
 */
export async function ipmiCommand(args: string[], io: CliIo = PROCESS_IO): Promise<number> {
  let parsed: { values: { config?: string | undefined; persistent?: boolean | undefined }; positionals: string[] };
  try {
    parsed = parseArgs({ args, options: { config: { type: 'string', short: 'c' }, persistent: { type: 'boolean' } }, allowPositionals: true, strict: true });
  } catch (err) {
    io.stderr.write(`${(err as Error).message}\n\nUsage:\n${IPMI_USAGE}`);
    return 2;
  }
  const [serverId, what, arg, ...extra] = parsed.positionals;
  const usage = (why: string) => {
    io.stderr.write(`${why}\n\nUsage:\n${IPMI_USAGE}`);
    return 2;
  };
  if (!serverId || !what) return usage('ipmi needs a SERVER and a command (power, bootdev, sol)');
  if (extra.length > 0) return usage(`unexpected arguments: ${extra.join(' ')}`);
  if (!parsed.values.config) return usage('ipmi needs --config FILE (the gateway configuration that lists the server)');

  let config: GatewayConfig;
  try {
    config = loadConfigFile(parsed.values.config);
  } catch (err) {
    if (err instanceof ConfigError) {
      io.stderr.write(`${err.message}\n`);
      return 1;
    }
    throw err;
  }
  const server = config.servers.find((s) => s.id === serverId);
  if (!server) return fail(io, `no server "${serverId}" in ${parsed.values.config}`);
  if (!server.ipmi) return fail(io, `server "${serverId}" has no ipmi configured`);
  const target = ipmiTargetOf(server.ipmi);
  const actor = `cli:${safeUserName()}`;
  const audit = createLogger(config.log.level === 'silent' ? 'silent' : 'info', io.stderr).child({ component: 'audit' });
  const service = new IpmiService({
    audit: (e) => audit.info({ event: 'audit', who: actor, server: serverId, action: e.type, detail: e.detail, result: e.outcome, ...(e.error ? { code: e.error.code } : {}) }, `${e.type} on ${serverId}`),
  });

  try {
    switch (what) {
      case 'power': {
        if (arg === 'status') {
          const st = await service.status(target);
          io.stdout.write(`Chassis Power is ${st.power}\n`);
          return 0;
        }
        if (!arg || !(POWER_COMMANDS as readonly string[]).includes(arg)) return usage(`power needs one of status, ${POWER_COMMANDS.join(', ')}`);
        await service.power(target, arg as PowerCommand, { actor });
        io.stdout.write(`Chassis Power Control: ${arg}\n`);
        return 0;
      }
      case 'bootdev': {
        if (!arg || !(BOOT_DEVICES as readonly string[]).includes(arg)) return usage(`bootdev needs one of ${BOOT_DEVICES.join(', ')}`);
        const persistent = parsed.values.persistent === true;
        await service.setBootDevice(target, arg as BootDeviceChoice, persistent, actor);
        io.stdout.write(`Boot device set to ${arg}${persistent ? ' (persistent)' : ' (next boot only)'}\n`);
        return 0;
      }
      case 'sol':
        if (arg !== undefined) return usage('sol takes no argument');
        return await runSol(service, target, actor, io);
      default:
        return usage(`unknown ipmi command "${what}"`);
    }
  } catch (err) {
    const e = err as { code?: unknown; message?: unknown };
    return fail(io, typeof e.code === 'string' ? `${e.code}: ${String(e.message)}` : String(e.message ?? err));
  } finally {
    await service.close();
  }
}

function fail(io: CliIo, message: string): number {
  io.stderr.write(`error: ${message}\n`);
  return 1;
}

function safeUserName(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}

const TILDE = 0x7e;

/**
 * The escape sequences of ipmitool's and ssh's consoles: recognised only right after a newline (or
 * at the start), so a "~" inside a line reaches the host unchanged.
 */
export class EscapeReader {
  #lineStart = true;
  #pendingTilde = false;
  #quit = false;

  /** Splits typed bytes into bytes for the host and escape commands ('quit' | 'break' | 'help'). */
  feed(chunk: Uint8Array): { data: Buffer; commands: ('quit' | 'break' | 'help')[] } {
    const out: number[] = [];
    const commands: ('quit' | 'break' | 'help')[] = [];
    // Nothing typed after "~." goes anywhere, whichever chunk it came in.
    if (this.#quit) return { data: Buffer.alloc(0), commands };
    for (const b of chunk) {
      if (this.#pendingTilde) {
        this.#pendingTilde = false;
        if (b === 0x2e) { commands.push('quit'); this.#quit = true; break; }
        if (b === 0x42 || b === 0x62) { commands.push('break'); continue; }
        if (b === 0x3f) { commands.push('help'); continue; }
        out.push(TILDE);
        if (b === TILDE) { this.#lineStart = false; continue; }
      } else if (this.#lineStart && b === TILDE) {
        this.#pendingTilde = true;
        continue;
      }
      out.push(b);
      this.#lineStart = b === 0x0d || b === 0x0a;
    }
    return { data: Buffer.from(out), commands };
  }
}

/**
 * Closes SOL once what was typed has been acknowledged (at most `maxMs`): "~." or the end of piped
 * input right after a command must not cut the command off.
 */
async function flushThenClose(sol: SolConnection, maxMs = 5000): Promise<void> {
  const end = Date.now() + maxMs;
  while (!sol.closed && sol.unacknowledgedBytes > 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  await sol.close();
}

async function runSol(service: IpmiService, target: IpmiTarget, actor: string, io: CliIo): Promise<number> {
  const sol: SolConnection = await service.openSol(target, { actor });
  const raw = io.stdin.isTTY === true && typeof io.stdin.setRawMode === 'function';
  io.stderr.write('[SOL Session operational.  Use ~? for help]\r\n');
  if (raw) io.stdin.setRawMode!(true);
  const escapes = new EscapeReader();
  return new Promise<number>((resolve) => {
    let quitting = false;
    const onInput = (chunk: Buffer | string) => {
      const { data, commands } = escapes.feed(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
      if (data.length > 0 && !sol.write(data)) io.stdin.pause(); // backpressure: resumed by onDrain
      for (const c of commands) {
        if (c === 'break') sol.sendBreak();
        else if (c === 'help') io.stderr.write('\r\n~.  quit\r\n~B  send BREAK\r\n~~  send ~\r\n~?  this help\r\n');
        else if (c === 'quit') {
          quitting = true;
          void flushThenClose(sol);
        }
      }
    };
    const finish = (reason: SolCloseReason) => {
      io.stdin.off('data', onInput);
      io.stdin.off('end', onEnd);
      if (raw) io.stdin.setRawMode!(false);
      io.stdin.pause();
      const why = reason.type === 'closed' ? 'closed' : reason.type === 'bmc-deactivated' ? 'deactivated by the BMC' : `lost: ${reason.error?.message ?? 'session closed'}`;
      io.stderr.write(`\r\n[SOL Session ${why}]\r\n`);
      resolve(reason.type === 'closed' || quitting ? 0 : 1);
    };
    const onEnd = () => { void flushThenClose(sol); };
    sol.onData((bytes) => io.stdout.write(bytes));
    sol.onDrain(() => io.stdin.resume());
    sol.onClose(finish);
    io.stdin.on('data', onInput);
    io.stdin.on('end', onEnd);
    io.stdin.resume();
  });
}
