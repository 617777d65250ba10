import { IpmiError } from '../../protocols/errors.js';
import {
  ChassisControl,
  decodeChassisStatus,
  encodeBootFlagsData,
  type BootFlags,
  type ChassisStatus,
  type PowerAction,
} from '../../protocols/ipmi/chassis.js';
import { ChassisCmd, NetFn } from '../../protocols/ipmi/constants.js';
import type { IpmiSession } from './ipmi-session.js';

/**
 * Chassis commands over an open session (IPMI v2.0 §28, notes §2) — what fence agents do.
 */

export type PowerCommand = 'on' | 'off' | 'soft' | 'cycle' | 'reset';
export const POWER_COMMANDS: readonly PowerCommand[] = Object.freeze(['on', 'off', 'soft', 'cycle', 'reset']);
export type BootDeviceChoice = 'pxe' | 'disk' | 'cdrom' | 'bios';
export const BOOT_DEVICES: readonly BootDeviceChoice[] = Object.freeze(['pxe', 'disk', 'cdrom', 'bios']);

export async function getChassisStatus(session: IpmiSession): Promise<ChassisStatus> {
  const res = await session.request(NetFn.CHASSIS, ChassisCmd.GET_CHASSIS_STATUS, Buffer.alloc(0), { what: 'Get Chassis Status' });
  return decodeChassisStatus(res.data);
}

export async function chassisControl(session: IpmiSession, action: PowerCommand): Promise<void> {
  if (!POWER_COMMANDS.includes(action)) throw new IpmiError('IPMI_ERR_BAD_ARGUMENT', `unknown power action ${String(action)}`, 'action');
  const value = ChassisControl[action as PowerAction];
  await session.request(NetFn.CHASSIS, ChassisCmd.CHASSIS_CONTROL, Buffer.of(value), { what: `Chassis Control (power ${action})` });
}

/**
 * Boot flags (parameter 5) only, as pyghmi does; ipmitool's extra "set in progress" write is not
 * needed by BMCs and leaves some of them locked when the closing write is missing.
 */
export async function setBootDevice(session: IpmiSession, device: BootDeviceChoice, persistent: boolean): Promise<void> {
  if (!BOOT_DEVICES.includes(device)) throw new IpmiError('IPMI_ERR_BAD_ARGUMENT', `unknown boot device ${String(device)}`, 'device');
  const flags: BootFlags = { device, persistent };
  await session.request(NetFn.CHASSIS, ChassisCmd.SET_SYSTEM_BOOT_OPTIONS, encodeBootFlagsData(flags), {
    what: `Set System Boot Options (boot device ${device})`,
  });
}
