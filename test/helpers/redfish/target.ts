import type { RedfishConfig } from '../../../src/redfish/redfish-config.js';
import { SIM_ADMIN, type RedfishSimulator } from './simulator.js';

/** A server's `redfish:` block (as the config loader makes it) for a simulator on 127.0.0.1. */
export function simTarget(sim: RedfishSimulator, over: Partial<RedfishConfig> = {}): RedfishConfig {
  return {
    host: '127.0.0.1',
    port: sim.port,
    user: SIM_ADMIN.name,
    password: SIM_ADMIN.password,
    insecureTls: true,
    system: undefined,
    timeoutMs: 10_000,
    taskTimeoutMs: 10_000,
    ...over,
  };
}

/** The same as config-file YAML/JSON keys (for gateway configs in tests). */
export function simRedfishBlock(sim: RedfishSimulator, over: Record<string, unknown> = {}): Record<string, unknown> {
  return { host: '127.0.0.1', port: sim.port, user: SIM_ADMIN.name, password: SIM_ADMIN.password, insecureTls: true, ...over };
}
