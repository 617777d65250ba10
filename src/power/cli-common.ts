import { userInfo } from 'node:os';
import { loadConfigFile } from '../config/load.js';
import { ConfigError } from '../config/reader.js';
import type { GatewayConfig, ServerConfig } from '../config/types.js';
import { IpmiService } from '../ipmi/ipmi-service.js';
import { AuditTrail, serviceAuditHook } from '../audit/audit-trail.js';
import { createLogger } from '../log.js';
import { RedfishService } from '../redfish/redfish-service.js';
import { PowerService } from './power-service.js';

/** What a command reads and writes; the process's own streams unless a test passes others. */
export interface CliIo {
  readonly stdin: NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (raw: boolean) => unknown };
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
}

export const PROCESS_IO: CliIo = { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr };

export function fail(io: CliIo, message: string): number {
  io.stderr.write(`error: ${message}\n`);
  return 1;
}

/** An error as the operator's commands print it: `CODE: message`. */
export function describeError(err: unknown): string {
  const e = err as { code?: unknown; message?: unknown };
  return typeof e.code === 'string' ? `${e.code}: ${String(e.message)}` : String(e.message ?? err);
}

export function cliActor(): string {
  try {
    return `cli:${userInfo().username}`;
  } catch {
    return 'cli:unknown';
  }
}

/** Reads the config and finds the server; a problem is printed and returned as exit code 1. */
export function loadCliServer(io: CliIo, configPath: string, serverId: string): { config: GatewayConfig; server: ServerConfig } | number {
  let config: GatewayConfig;
  try {
    config = loadConfigFile(configPath);
  } catch (err) {
    if (err instanceof ConfigError) {
      io.stderr.write(`${err.message}\n`);
      return 1;
    }
    throw err;
  }
  const server = config.servers.find((s) => s.id === serverId);
  if (!server) return fail(io, `no server "${serverId}" in ${configPath}`);
  return { config, server };
}

/**
 * The CLI's PowerService: the same services as the gateway's, their audit hooks routed into the
 * same audit trail (`audit.file` when configured) with the log lines (JSON, event "audit", one per
 * action, IPMI and Redfish alike) on stderr. Its close() also flushes and closes the audit file.
 */
export function cliPowerService(io: CliIo, config: GatewayConfig, serverId: string, actor: string): PowerService {
  const trail = new AuditTrail({ file: config.audit.file, log: createLogger(config.log.level === 'silent' ? 'silent' : 'info', io.stderr) });
  const write = serviceAuditHook(trail, { who: actor, kind: 'cli', server: serverId });
  const power = new PowerService({ ipmi: new IpmiService({ audit: write }), redfish: new RedfishService({ audit: write }) });
  const close = power.close.bind(power);
  power.close = async () => {
    await close();
    await trail.close();
  };
  return power;
}
