#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { loadConfigFile } from './config/load.js';
import { ConfigError } from './config/reader.js';
import { createLogger } from './log.js';
import { ipmiCommand, IPMI_USAGE } from './ipmi/ipmi-cli.js';
import { startGateway } from './main.js';
import { mediaCommand, powerCommand, POWER_USAGE } from './power/power-cli.js';
import { probeCommand, PROBE_USAGE } from './probe/probe-command.js';
import { convertNojavaCommand } from './sources/aten/convert-nojava-command.js';
import { atenFrameCommand } from './sources/aten/frame-tool.js';
import { atenReplayCommand } from './sources/aten/replay-tool.js';
import { javaProblem } from './sources/jnlp/java-viewers.js';
import { CONFIG_SCHEMA } from './config/schema.js';

const USAGE = `bmc-gateway — BMC consoles (KVM), power and serial console in a browser tab

Usage:
  bmc-gateway serve [--config FILE] [--listen HOST:PORT]
      Run the gateway. Without --config: a built-in demo console (server "demo").
  bmc-gateway check-config FILE
      Validate a configuration file and exit (0 = valid).
  bmc-gateway config-schema
      Print the JSON Schema of the configuration file (for editors; the gateway checks files against it too).
  bmc-gateway aten-frame FILE [--width W --height H] --out frame.png
      Decode one captured ATEN AST2100/Hermon frame to PNG (bug reports from the field).
  bmc-gateway aten-replay FILE --out final.png [--frames DIR] [--speed max|original]
      Replay a captured ATEN session (pcap/pcapng or raw BMC stream): every update decoded, per-update counts.
  bmc-gateway convert-nojava [~/.nojava-ipmi-kvmrc.yaml]
      Print nojava-ipmi-kvm hosts as aten servers for the gateway's config.
${POWER_USAGE}${PROBE_USAGE}${IPMI_USAGE}  bmc-gateway help
`;

/** Commands by name: each returns an exit code, or -1 to keep the process running (serve). */
const COMMANDS: Record<string, (args: string[]) => Promise<number> | number> = {
  serve,
  'check-config': checkConfig,
  'config-schema': () => {
    process.stdout.write(`${JSON.stringify(CONFIG_SCHEMA, null, 2)}\n`);
    return 0;
  },
  power: (args) => powerCommand(args),
  media: (args) => mediaCommand(args),
  ipmi: (args) => ipmiCommand(args),
  'aten-frame': (args) => atenFrameCommand(args),
  'aten-replay': (args) => atenReplayCommand(args),
  'convert-nojava': (args) => convertNojavaCommand(args),
  probe: (args) => probeCommand(args),
  help: () => {
    process.stdout.write(USAGE);
    return 0;
  },
};

async function main(argv: string[]): Promise<number> {
  const [command = 'help', ...rest] = argv;
  const run = COMMANDS[command === '--help' || command === '-h' ? 'help' : command];
  if (!run) {
    process.stderr.write(`unknown command "${command}"\n\n${USAGE}`);
    return 2;
  }
  return run(rest);
}

async function checkConfig(args: string[]): Promise<number> {
  const file = args[0];
  if (!file) {
    process.stderr.write('check-config needs a FILE\n');
    return 2;
  }
  try {
    const cfg = loadConfigFile(file);
    process.stdout.write(`${file}: valid (${cfg.servers.length} servers, ${cfg.tokens.length} tokens, ${cfg.operators.length} operators)\n`);
    // Valid, but consoles that need Java will not open here: say why (docker engine, image, programs).
    const java = await javaProblem(cfg, createLogger('silent'));
    if (java) process.stderr.write(`warning: ${java}\n`);
    return 0;
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      return 1;
    }
    throw err;
  }
}

async function serve(args: string[]): Promise<number> {
  let values: { config?: string | undefined; listen?: string | undefined };
  try {
    ({ values } = parseArgs({ args, options: { config: { type: 'string', short: 'c' }, listen: { type: 'string', short: 'l' } }, strict: true }));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  let gateway;
  try {
    gateway = await startGateway({ configPath: values.config, listen: values.listen });
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      return 1;
    }
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'EADDRINUSE' || e.code === 'EACCES') {
      process.stderr.write(`cannot listen: ${e.message}\n`);
      return 1;
    }
    throw err;
  }
  const stop = (signal: string) => {
    gateway.log.info({ event: 'shutdown', signal }, 'shutting down');
    gateway.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
  // SIGHUP: the configuration again (servers, tokens, operators; sessions of other servers stay), a new
  // TLS certificate (open connections stay), a fresh audit file after rotation. A bad file is refused.
  process.on('SIGHUP', () => {
    gateway.log.info({ event: 'reload', signal: 'SIGHUP' }, 'reloading the configuration and the TLS certificate, reopening the audit file');
    void gateway.reload();
  });
  return -1; // keep running
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (err) => {
    createLogger('error').fatal({ err }, 'bmc-gateway failed');
    process.exit(1);
  },
);
