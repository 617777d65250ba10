import type { GatewayConfig, ServerConfig } from '../config/types.js';
import { recordsServer } from '../recording/recording-config.js';
import type { ServerSummary } from './api-types.js';

/** What `GET /api/v1/servers` and the dashboard's feed say about a configured server (never its BMC address or credentials). */
export function serverSummary(s: ServerConfig, config: GatewayConfig): ServerSummary {
  return {
    id: s.id,
    name: s.name ?? null,
    location: s.location ?? null,
    console: s.console !== undefined,
    consoleType: s.console?.type ?? null,
    power: s.power ?? null,
    ipmi: s.ipmi !== undefined,
    redfish: s.redfish !== undefined,
    // The serial console: IPMI SOL, or OpenBMC's console0 (src/sol/serial-transports.ts).
    sol: s.ipmi !== undefined || s.console?.type === 'openbmc',
    media: s.redfish !== undefined || s.power === 'redfish',
    recorded: config.recording !== undefined && recordsServer(config.recording, s.id),
  };
}
