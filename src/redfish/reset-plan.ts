import { GatewayError } from '../errors.js';
import type { BootDeviceChoice, PowerCommand } from '../ipmi/chassis-commands.js';

/**
 * The gateway's power commands as `ComputerSystem.Reset` ResetTypes (Resource v1 `ResetType`), and
 * what to send instead when the system's allowed values lack one (issue 13):
 *   on → On, off → ForceOff, soft → GracefulShutdown, cycle → PowerCycle, reset → ForceRestart;
 *   cycle without PowerCycle → ForceOff, then On once PowerState is Off;
 *   reset without ForceRestart → PowerCycle, or without that too, ForceOff then On.
 * Pure: the caller reads the allowed values (inline `ResetType@Redfish.AllowableValues` or the
 * action's ActionInfo); `undefined` means the service did not say, and the direct mapping is sent.
 */
export const RESET_TYPE_FOR: Readonly<Record<PowerCommand, string>> = Object.freeze({
  on: 'On',
  off: 'ForceOff',
  soft: 'GracefulShutdown',
  cycle: 'PowerCycle',
  reset: 'ForceRestart',
});

export interface ResetPlan {
  /** ResetTypes to send in order; between two steps the power is awaited Off (ForceOff then On). */
  readonly steps: readonly string[];
  /** Set when the plan is not the direct mapping: says what was sent instead and why. */
  readonly note: string | undefined;
}

const OFF_THEN_ON = ['ForceOff', 'On'] as const;

export function planReset(cmd: PowerCommand, allowed: readonly string[] | undefined): ResetPlan {
  const direct = RESET_TYPE_FOR[cmd];
  if (!allowed || allowed.includes(direct)) return { steps: [direct], note: undefined };
  const has = (t: string) => allowed.includes(t);
  const offOn = OFF_THEN_ON.every(has);
  if (cmd === 'cycle' && offOn) {
    return { steps: OFF_THEN_ON, note: 'the BMC does not allow ResetType PowerCycle; sent ForceOff, then On once the power was off' };
  }
  if (cmd === 'reset' && has('PowerCycle')) {
    return { steps: ['PowerCycle'], note: 'the BMC does not allow ResetType ForceRestart; sent PowerCycle' };
  }
  if (cmd === 'reset' && offOn) {
    return { steps: OFF_THEN_ON, note: 'the BMC allows neither ResetType ForceRestart nor PowerCycle; sent ForceOff, then On once the power was off' };
  }
  const instead = cmd === 'cycle' ? ' (nor ForceOff and On)' : cmd === 'reset' ? ' (nor PowerCycle, nor ForceOff and On)' : '';
  throw new GatewayError(
    'GW_ERR_ACTION_NOT_ALLOWED',
    `the BMC does not allow ResetType ${direct} for "${cmd}"${instead}; it allows: ${allowed.join(', ') || 'nothing'}`,
  );
}

/** Boot devices as `Boot.BootSourceOverrideTarget` values (ComputerSystem v1 `BootSource`). */
export const BOOT_TARGET_FOR: Readonly<Record<BootDeviceChoice, string>> = Object.freeze({
  pxe: 'Pxe',
  disk: 'Hdd',
  cdrom: 'Cd',
  bios: 'BiosSetup',
});

/** The PATCH body for a boot device, checked against the system's allowed values when it lists them. */
export function bootOverride(
  device: BootDeviceChoice,
  persistent: boolean,
  allowed: { targets?: readonly string[] | undefined; enabled?: readonly string[] | undefined },
): { Boot: { BootSourceOverrideTarget: string; BootSourceOverrideEnabled: string } } {
  const target = BOOT_TARGET_FOR[device];
  const enabled = persistent ? 'Continuous' : 'Once';
  if (allowed.targets && !allowed.targets.includes(target)) {
    throw new GatewayError(
      'GW_ERR_ACTION_NOT_ALLOWED',
      `the BMC does not allow BootSourceOverrideTarget ${target} for "${device}"; it allows: ${allowed.targets.join(', ') || 'nothing'}`,
    );
  }
  if (allowed.enabled && !allowed.enabled.includes(enabled)) {
    throw new GatewayError(
      'GW_ERR_ACTION_NOT_ALLOWED',
      `the BMC does not allow BootSourceOverrideEnabled ${enabled} (${persistent ? 'persistent' : 'next boot only'}); it allows: ${allowed.enabled.join(', ') || 'nothing'}`,
    );
  }
  return { Boot: { BootSourceOverrideTarget: target, BootSourceOverrideEnabled: enabled } };
}
