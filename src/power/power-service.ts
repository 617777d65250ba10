import type { ServerConfig } from '../config/types.js';
import { GatewayError } from '../errors.js';
import type { BootDeviceChoice, PowerCommand } from '../ipmi/chassis-commands.js';
import { ipmiTargetOf } from '../ipmi/config-target.js';
import type { IpmiService } from '../ipmi/ipmi-service.js';
import type { PowerProtocol, RedfishConfig } from '../redfish/redfish-config.js';
import type { RedfishService } from '../redfish/redfish-service.js';

export interface BootDeviceRequest {
  readonly device: BootDeviceChoice;
  readonly persistent: boolean;
}

/** What a power or boot action did. IPMI sends exactly what was asked; Redfish may send an equivalent. */
export interface PowerOutcome {
  readonly protocol: PowerProtocol;
  /** Redfish: the ResetTypes sent, in order. */
  readonly performed?: readonly string[];
  /** Redfish: why something other than the direct mapping was sent. */
  readonly note?: string;
}

export interface PowerStatusOutcome {
  readonly protocol: PowerProtocol;
  readonly power: 'on' | 'off';
  /** Redfish: PowerState as the BMC said it (On, Off, PoweringOn, PoweringOff, Paused). */
  readonly powerState?: string;
}

/**
 * Power and boot device of one server, whichever protocol it uses: one interface, one
 * implementation per protocol (DESIGN.md). The API routes and both CLIs (`bmc-gateway power`,
 * `bmc-gateway ipmi … power|bootdev`) call only this.
 */
export interface PowerControl {
  readonly protocol: PowerProtocol;
  status(): Promise<PowerStatusOutcome>;
  /** A power command; with `bootDevice`, the boot device is set right before it. */
  power(cmd: PowerCommand, o?: { bootDevice?: BootDeviceRequest | undefined; actor?: string }): Promise<PowerOutcome>;
  setBootDevice(req: BootDeviceRequest, actor?: string): Promise<PowerOutcome>;
}

class IpmiPowerControl implements PowerControl {
  readonly protocol = 'ipmi' as const;
  constructor(
    readonly service: IpmiService,
    readonly server: ServerConfig & { ipmi: NonNullable<ServerConfig['ipmi']> },
  ) {}

  async status(): Promise<PowerStatusOutcome> {
    return { protocol: 'ipmi', power: (await this.service.status(ipmiTargetOf(this.server.ipmi))).power };
  }

  async power(cmd: PowerCommand, o: { bootDevice?: BootDeviceRequest | undefined; actor?: string } = {}): Promise<PowerOutcome> {
    // Boot device first, in the same session, right before the power action (BMCs clear the flag
    // 60 s after it is set, IPMI v2.0 §28.13) — IpmiService.power does both in that order.
    await this.service.power(ipmiTargetOf(this.server.ipmi), cmd, {
      ...(o.actor ? { actor: o.actor } : {}),
      ...(o.bootDevice ? { bootDevice: o.bootDevice } : {}),
    });
    return { protocol: 'ipmi' };
  }

  async setBootDevice(req: BootDeviceRequest, actor?: string): Promise<PowerOutcome> {
    await this.service.setBootDevice(ipmiTargetOf(this.server.ipmi), req.device, req.persistent, actor);
    return { protocol: 'ipmi' };
  }
}

class RedfishPowerControl implements PowerControl {
  readonly protocol = 'redfish' as const;
  constructor(
    readonly service: RedfishService,
    readonly target: RedfishConfig,
  ) {}

  async status(): Promise<PowerStatusOutcome> {
    const s = await this.service.status(this.target);
    return { protocol: 'redfish', power: s.power, powerState: s.powerState };
  }

  async power(cmd: PowerCommand, o: { bootDevice?: BootDeviceRequest | undefined; actor?: string } = {}): Promise<PowerOutcome> {
    const r = await this.service.power(this.target, cmd, { ...(o.actor ? { actor: o.actor } : {}), ...(o.bootDevice ? { bootDevice: o.bootDevice } : {}) });
    return { protocol: 'redfish', performed: r.performed, ...(r.note ? { note: r.note } : {}) };
  }

  async setBootDevice(req: BootDeviceRequest, actor?: string): Promise<PowerOutcome> {
    await this.service.setBootDevice(this.target, req.device, req.persistent, actor);
    return { protocol: 'redfish' };
  }
}

/** The gateway's (or the CLI's) one IpmiService and one RedfishService, and the choice between them per server. */
export class PowerService {
  readonly ipmi: IpmiService;
  readonly redfish: RedfishService;

  constructor(o: { ipmi: IpmiService; redfish: RedfishService }) {
    this.ipmi = o.ipmi;
    this.redfish = o.redfish;
  }

  /** The server's power control, by its `power:` (default ipmi, else redfish). */
  forServer(server: ServerConfig): PowerControl {
    switch (server.power) {
      case 'ipmi':
        if (!server.ipmi) throw missingBlock(server, 'ipmi');
        return new IpmiPowerControl(this.ipmi, server as ServerConfig & { ipmi: NonNullable<ServerConfig['ipmi']> });
      case 'redfish':
        if (!server.redfish) throw missingBlock(server, 'redfish');
        return new RedfishPowerControl(this.redfish, server.redfish);
      case undefined:
        throw new GatewayError('GW_ERR_NO_IPMI', `server "${server.id}" has no ipmi configured (nor redfish): it has no power control`);
    }
  }

  /** The server's Redfish block, for virtual media (Redfish only). */
  redfishOf(server: ServerConfig): RedfishConfig {
    if (!server.redfish) throw missingBlock(server, 'redfish');
    return server.redfish;
  }

  /** Logs out of every Redfish BMC and closes every IPMI session. */
  async close(): Promise<void> {
    await Promise.all([this.ipmi.close(), this.redfish.close()]);
  }
}

function missingBlock(server: ServerConfig, protocol: PowerProtocol): GatewayError {
  const where = server.location ? ` here (its location "${server.location}" is served by an agent whose configuration has it)` : '';
  return new GatewayError(protocol === 'ipmi' ? 'GW_ERR_NO_IPMI' : 'GW_ERR_NO_REDFISH', `server "${server.id}" has no ${protocol} configured${where}`);
}
