import { parseArgs } from 'node:util';
import { cliActor, cliPowerService, describeError, fail, loadCliServer, PROCESS_IO, type CliIo } from '../power/cli-common.js';
import { runPowerVerb } from '../power/power-cli.js';
import { ipmiTargetOf } from './config-target.js';
import type { IpmiService } from './ipmi-service.js';
import type { SolCloseReason, SolConnection } from './sol-connection.js';
import type { IpmiTarget } from './types.js';

export type { CliIo } from '../power/cli-common.js';

export const IPMI_USAGE = `  bmc-gateway ipmi SERVER power status|on|off|soft|cycle|reset --config FILE
  bmc-gateway ipmi SERVER bootdev pxe|disk|cdrom|bios [--persistent] --config FILE
  bmc-gateway ipmi SERVER sol --config FILE
      Power, boot device or the serial console of a configured server, straight from this host.
      Power and bootdev use the server's power: protocol (ipmi, or redfish), like "bmc-gateway power".
      In sol: "~." at the start of a line quits, "~B" sends a BREAK, "~~" sends "~", "~?" helps.
`;

/**
 * `bmc-gateway ipmi …`: the operator's tool (issue 5, "CLI for operators"). Uses the same config
 * file, services and audit as the gateway; audit lines (JSON, event "audit") go to stderr. Power and
 * boot device go through the PowerService, so a server whose `power:` is redfish is driven over
 * Redfish here too; SOL is IPMI only. Exit codes: 0 done, 1 the BMC or the config failed, 2 usage.
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
  if (what !== 'power' && what !== 'bootdev' && what !== 'sol') return usage(`unknown ipmi command "${what}"`);
  if (what === 'sol' && arg !== undefined) return usage('sol takes no argument');

  const loaded = loadCliServer(io, parsed.values.config, serverId);
  if (typeof loaded === 'number') return loaded;
  const { config, server } = loaded;
  if (what === 'sol' && !server.ipmi) return fail(io, `server "${serverId}" has no ipmi configured`);
  const actor = cliActor();
  const power = cliPowerService(io, config, serverId, actor);
  try {
    if (what === 'sol') return await runSol(power.ipmi, ipmiTargetOf(server.ipmi!), actor, io);
    return await runPowerVerb(power, server, what, arg, parsed.values.persistent === true, actor, io, usage);
  } catch (err) {
    return fail(io, describeError(err));
  } finally {
    await power.close();
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
        if (b === 0x2e) {
          commands.push('quit');
          this.#quit = true;
          break;
        }
        if (b === 0x42 || b === 0x62) {
          commands.push('break');
          continue;
        }
        if (b === 0x3f) {
          commands.push('help');
          continue;
        }
        out.push(TILDE);
        if (b === TILDE) {
          this.#lineStart = false;
          continue;
        }
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
      const why =
        reason.type === 'closed'
          ? 'closed'
          : reason.type === 'bmc-deactivated'
            ? 'deactivated by the BMC'
            : `lost: ${reason.error?.message ?? 'session closed'}`;
      io.stderr.write(`\r\n[SOL Session ${why}]\r\n`);
      resolve(reason.type === 'closed' || quitting ? 0 : 1);
    };
    const onEnd = () => {
      void flushThenClose(sol);
    };
    sol.onData((bytes) => io.stdout.write(bytes));
    sol.onDrain(() => io.stdin.resume());
    sol.onClose(finish);
    io.stdin.on('data', onInput);
    io.stdin.on('end', onEnd);
    io.stdin.resume();
  });
}
