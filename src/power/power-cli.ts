import { parseArgs } from 'node:util';
import type { ServerConfig } from '../config/types.js';
import { BOOT_DEVICES, POWER_COMMANDS, type BootDeviceChoice, type PowerCommand } from '../ipmi/chassis-commands.js';
import { cliActor, cliPowerService, describeError, fail, loadCliServer, PROCESS_IO, type CliIo } from './cli-common.js';
import type { PowerService } from './power-service.js';

export const POWER_USAGE = `  bmc-gateway power SERVER status|on|off|soft|cycle|reset --config FILE
  bmc-gateway power SERVER bootdev pxe|disk|cdrom|bios [--persistent] --config FILE
      Power and boot device of a configured server over its power: protocol (ipmi or redfish).
  bmc-gateway media SERVER status|insert URL|eject --config FILE
      The server's virtual CD over Redfish (URL hosts must be on media.allow).
`;

/**
 * `power ACTION` and `bootdev DEVICE` on one server through the PowerService (whichever protocol the
 * server's `power:` picks); shared by `bmc-gateway power` and `bmc-gateway ipmi`. Prints what
 * ipmitool prints for IPMI, plus what was sent over Redfish. Returns the exit code, or 2 with
 * `usage` for a bad verb.
 */
export async function runPowerVerb(
  power: PowerService,
  server: ServerConfig,
  verb: string,
  arg: string | undefined,
  persistent: boolean,
  actor: string,
  io: CliIo,
  usage: (why: string) => number,
): Promise<number> {
  if (verb === 'bootdev') {
    if (!arg || !(BOOT_DEVICES as readonly string[]).includes(arg)) return usage(`bootdev needs one of ${BOOT_DEVICES.join(', ')}`);
    await power.forServer(server).setBootDevice({ device: arg as BootDeviceChoice, persistent }, actor);
    io.stdout.write(`Boot device set to ${arg}${persistent ? ' (persistent)' : ' (next boot only)'}\n`);
    return 0;
  }
  if (arg === 'status') {
    const st = await power.forServer(server).status();
    io.stdout.write(`Chassis Power is ${st.power}${st.powerState ? ` (Redfish PowerState ${st.powerState})` : ''}\n`);
    return 0;
  }
  if (!arg || !(POWER_COMMANDS as readonly string[]).includes(arg)) return usage(`power needs one of status, ${POWER_COMMANDS.join(', ')}`);
  const out = await power.forServer(server).power(arg as PowerCommand, { actor });
  const sent = out.performed ? ` (Redfish ResetType ${out.performed.join(', then ')}${out.note ? `: ${out.note}` : ''})` : '';
  io.stdout.write(`Chassis Power Control: ${arg}${sent}\n`);
  return 0;
}

/** `bmc-gateway power SERVER …` — the protocol-neutral name of `bmc-gateway ipmi SERVER power|bootdev …`. */
export async function powerCommand(args: string[], io: CliIo = PROCESS_IO): Promise<number> {
  const usage = (why: string) => {
    io.stderr.write(`${why}\n\nUsage:\n${POWER_USAGE}`);
    return 2;
  };
  let parsed: { values: { config?: string | undefined; persistent?: boolean | undefined }; positionals: string[] };
  try {
    parsed = parseArgs({ args, options: { config: { type: 'string', short: 'c' }, persistent: { type: 'boolean' } }, allowPositionals: true, strict: true });
  } catch (err) {
    return usage((err as Error).message);
  }
  const [serverId, first, second, ...extra] = parsed.positionals;
  if (!serverId || !first) return usage('power needs a SERVER and an action');
  if (extra.length > 0 || (first !== 'bootdev' && second !== undefined)) return usage(`unexpected arguments: ${[second, ...extra].filter(Boolean).join(' ')}`);
  if (!parsed.values.config) return usage('power needs --config FILE (the gateway configuration that lists the server)');
  if (first !== 'bootdev' && parsed.values.persistent) return usage('--persistent goes with bootdev');
  const loaded = loadCliServer(io, parsed.values.config, serverId);
  if (typeof loaded === 'number') return loaded;
  const actor = cliActor();
  const power = cliPowerService(io, loaded.config, serverId, actor);
  try {
    return first === 'bootdev'
      ? await runPowerVerb(power, loaded.server, 'bootdev', second, parsed.values.persistent === true, actor, io, usage)
      : await runPowerVerb(power, loaded.server, 'power', first, false, actor, io, usage);
  } catch (err) {
    return fail(io, describeError(err));
  } finally {
    await power.close();
  }
}

/** `bmc-gateway media SERVER status|insert URL|eject`. */
export async function mediaCommand(args: string[], io: CliIo = PROCESS_IO): Promise<number> {
  const usage = (why: string) => {
    io.stderr.write(`${why}\n\nUsage:\n${POWER_USAGE}`);
    return 2;
  };
  let parsed: { values: { config?: string | undefined }; positionals: string[] };
  try {
    parsed = parseArgs({ args, options: { config: { type: 'string', short: 'c' } }, allowPositionals: true, strict: true });
  } catch (err) {
    return usage((err as Error).message);
  }
  const [serverId, cmd, url, ...extra] = parsed.positionals;
  if (!serverId || !cmd) return usage('media needs a SERVER and status, insert URL or eject');
  if (cmd !== 'status' && cmd !== 'insert' && cmd !== 'eject') return usage(`unknown media command "${cmd}"`);
  if ((cmd === 'insert') !== (url !== undefined) || extra.length > 0) return usage(cmd === 'insert' ? 'insert needs one URL' : `${cmd} takes no argument`);
  if (!parsed.values.config) return usage('media needs --config FILE (the gateway configuration that lists the server)');
  const loaded = loadCliServer(io, parsed.values.config, serverId);
  if (typeof loaded === 'number') return loaded;
  const actor = cliActor();
  const power = cliPowerService(io, loaded.config, serverId, actor);
  try {
    const target = power.redfishOf(loaded.server);
    if (cmd === 'status') {
      const m = await power.redfish.mediaStatus(target);
      io.stdout.write(
        m.inserted || m.image
          ? `${m.resource}: ${m.inserted ? 'inserted' : 'not inserted'} ${m.image ?? ''}${m.writeProtected ? ' (write-protected)' : ''}\n`
          : `${m.resource}: empty\n`,
      );
      return 0;
    }
    const done = cmd === 'insert' ? await power.redfish.insertMedia(target, url!, loaded.config.media, actor) : await power.redfish.ejectMedia(target, actor);
    const what = cmd === 'insert' ? `Inserted ${done.media.image ?? url}` : 'Ejected';
    io.stdout.write(`${what}${done.note ? ` (${done.note})` : ''}\n`);
    return 0;
  } catch (err) {
    return fail(io, describeError(err));
  } finally {
    await power.close();
  }
}
