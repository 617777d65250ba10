import { IpmiError, ProtocolError } from '../../protocols/errors.js';
import type { ChassisStatus } from '../../protocols/ipmi/chassis.js';
import { BOOT_DEVICES, chassisControl, getChassisStatus, POWER_COMMANDS, setBootDevice, type BootDeviceChoice, type PowerCommand } from './chassis-commands.js';
import type { IpmiSession } from './ipmi-session.js';
import { IpmiSessionRegistry, type IpmiSessionRegistryOptions } from './session-registry.js';
import { SolConnection, type SolOptions } from './sol-connection.js';
import { describeTarget, silentLogger, type IpmiLogger, type IpmiTarget } from './types.js';
import { guardedAudit, type BmcAuditEvent } from '../util/audit-hook.js';

/** One audit record per action (issue 5: "each action is written to the audit log with who asked"); `detail` is the power action, boot device, or SOL close reason. */
export type IpmiAuditEvent = BmcAuditEvent<'ipmi.power' | 'ipmi.bootdev' | 'ipmi.sol.open' | 'ipmi.sol.close'>;

export type IpmiAudit = (event: IpmiAuditEvent) => void;

export interface IpmiServiceOptions extends IpmiSessionRegistryOptions {
  readonly audit?: IpmiAudit;
  readonly logger?: IpmiLogger;
}

export interface PowerStatus {
  readonly power: 'on' | 'off';
  readonly chassis: ChassisStatus;
}

export interface PowerOptions {
  /** Set right before the power action (BMCs clear the boot flag 60 s after it is set, §28.13). */
  readonly bootDevice?: { readonly device: BootDeviceChoice; readonly persistent: boolean };
  readonly actor?: string;
  /**
   * For on / off / soft: poll Get Chassis Status until the power state is the asked one, for at most
   * this long (what fence agents do after Chassis Control; BMCs answer before the power changes).
   * Throws IPMI_ERR_POWER_NOT_CONFIRMED when the deadline passes. Not used for cycle / reset.
   */
  readonly confirmWithinMs?: number;
  /** Poll interval for `confirmWithinMs`; default 500 ms. */
  readonly confirmPollMs?: number;
}

/**
 * What the API routes and the CLI call: power status and control, boot device, SOL consoles, over
 * one shared session per BMC. No globals; close() ends every session.
 */
export class IpmiService {
  readonly registry: IpmiSessionRegistry;
  readonly #audit: IpmiAudit;
  readonly #logger: IpmiLogger;
  readonly #consoles = new Set<SolConnection>();

  constructor(o: IpmiServiceOptions = {}) {
    this.registry = new IpmiSessionRegistry(o);
    this.#logger = o.logger ?? silentLogger;
    this.#audit = guardedAudit(o.audit, this.#logger, 'ipmi');
  }

  status(target: IpmiTarget): Promise<PowerStatus> {
    return this.registry.use(target, async (s) => {
      const chassis = await getChassisStatus(s);
      return { power: chassis.powerOn ? 'on' : 'off', chassis };
    });
  }

  async power(target: IpmiTarget, action: PowerCommand, o: PowerOptions = {}): Promise<void> {
    const detail = o.bootDevice ? `${action} (boot ${o.bootDevice.device}${o.bootDevice.persistent ? ', persistent' : ''})` : action;
    await this.#audited('ipmi.power', target, o.actor, detail, async () => {
      if (!POWER_COMMANDS.includes(action)) throw new IpmiError('IPMI_ERR_BAD_ARGUMENT', `unknown power action ${String(action)}`, 'action');
      await this.registry.use(target, async (s) => {
        if (o.bootDevice) await setBootDevice(s, o.bootDevice.device, o.bootDevice.persistent);
        await chassisControl(s, action);
        const want = action === 'on' ? true : action === 'off' || action === 'soft' ? false : null;
        if (o.confirmWithinMs !== undefined && want !== null) await confirmPower(s, want, o.confirmWithinMs, o.confirmPollMs ?? 500);
      });
    });
  }

  async setBootDevice(target: IpmiTarget, device: BootDeviceChoice, persistent: boolean, actor?: string): Promise<void> {
    await this.#audited('ipmi.bootdev', target, actor, `${device}${persistent ? ' persistent' : ''}`, async () => {
      if (!BOOT_DEVICES.includes(device)) throw new IpmiError('IPMI_ERR_BAD_ARGUMENT', `unknown boot device ${String(device)}`, 'device');
      await this.registry.use(target, (s) => setBootDevice(s, device, persistent));
    });
  }

  /** Opens a SOL console on the shared session; audit records the open and the close (with its reason). */
  async openSol(target: IpmiTarget, o: SolOptions & { readonly actor?: string } = {}): Promise<SolConnection> {
    const sol = await this.#audited('ipmi.sol.open', target, o.actor, `instance ${o.instance ?? 1}`, async () => {
      const session = await this.registry.acquire(target);
      return SolConnection.open(session, { logger: this.#logger, ...o, takeover: o.takeover ?? target.solTakeover ?? false });
    });
    this.#consoles.add(sol);
    sol.onClose((reason) => {
      this.#consoles.delete(sol);
      const error = reason.type === 'error' || (reason.type === 'session-lost' && reason.error) ? errorInfo(reason.error!) : undefined;
      this.#audit({
        type: 'ipmi.sol.close',
        at: new Date().toISOString(),
        actor: o.actor,
        ...describeTarget(target),
        detail: reason.type,
        outcome: error ? 'error' : 'ok',
        ...(error ? { error } : {}),
      });
    });
    return sol;
  }

  /** Deactivates open SOL consoles, then closes every session (Close Session). */
  async close(): Promise<void> {
    await Promise.all([...this.#consoles].map((c) => c.close()));
    await this.registry.closeAll();
  }

  async #audited<T>(type: IpmiAuditEvent['type'], target: IpmiTarget, actor: string | undefined, detail: string, fn: () => Promise<T>): Promise<T> {
    const base = { type, actor, ...describeTarget(target), detail };
    try {
      const result = await fn();
      this.#audit({ ...base, at: new Date().toISOString(), outcome: 'ok' });
      return result;
    } catch (err) {
      this.#audit({ ...base, at: new Date().toISOString(), outcome: 'error', error: errorInfo(err) });
      throw err;
    }
  }
}

async function confirmPower(session: IpmiSession, on: boolean, withinMs: number, pollMs: number): Promise<void> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    if ((await getChassisStatus(session)).powerOn === on) return;
    if (Date.now() + pollMs > deadline) {
      throw new IpmiError('IPMI_ERR_POWER_NOT_CONFIRMED', `power is still ${on ? 'off' : 'on'} ${withinMs} ms after the command`, 'power');
    }
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

function errorInfo(err: unknown): { code: string; message: string } {
  if (err instanceof ProtocolError) return { code: err.code, message: err.message };
  return { code: 'GW_ERR_INTERNAL', message: err instanceof Error ? err.message : String(err) };
}
