import { IpmiError } from '../errors.js';

/**
 * Chassis commands a fence agent needs (NetFn Chassis, IPMI v2.0 §28; notes §2).
 */

/** Chassis Control (0x02) data byte, bits 3:0 (§28.3). */
export const ChassisControl = Object.freeze({
  off: 0x00, // power down (hard off)
  on: 0x01,
  cycle: 0x02,
  reset: 0x03, // hard reset
  diag: 0x04, // pulse diagnostic interrupt (NMI)
  soft: 0x05, // soft shutdown via ACPI overtemperature emulation
});
export type PowerAction = keyof typeof ChassisControl;
export const POWER_ACTIONS = Object.freeze(Object.keys(ChassisControl) as PowerAction[]);

export interface ChassisStatus {
  readonly powerOn: boolean;
  readonly powerOverload: boolean;
  readonly interlock: boolean;
  readonly powerFault: boolean;
  readonly powerControlFault: boolean;
  readonly restorePolicy: 'always-off' | 'previous' | 'always-on' | 'unknown';
  readonly lastPowerEvent: number;
  readonly intrusion: boolean;
  readonly driveFault: boolean;
  readonly coolingFault: boolean;
}

const POLICIES = ['always-off', 'previous', 'always-on', 'unknown'] as const;

/** Get Chassis Status (0x01) response data; byte 4 (front panel) is optional (ipmi_sim sends 3 bytes). */
export function decodeChassisStatus(data: Buffer): ChassisStatus {
  if (data.length < 3) throw new IpmiError('IPMI_ERR_TRUNCATED', `chassis status of ${data.length} bytes, expected at least 3`, 'chassisStatus');
  const b1 = data[0]!;
  const b3 = data[2]!;
  return {
    powerOn: (b1 & 0x01) !== 0,
    powerOverload: (b1 & 0x02) !== 0,
    interlock: (b1 & 0x04) !== 0,
    powerFault: (b1 & 0x08) !== 0,
    powerControlFault: (b1 & 0x10) !== 0,
    restorePolicy: POLICIES[(b1 >> 5) & 0x03]!,
    lastPowerEvent: data[1]!,
    intrusion: (b3 & 0x01) !== 0,
    driveFault: (b3 & 0x04) !== 0,
    coolingFault: (b3 & 0x08) !== 0,
  };
}

/** Boot device selector, bits 5:2 of boot flags byte 2 (§28.13, table 28-14, parameter 5). */
export const BootDevice = Object.freeze({
  none: 0x00,
  pxe: 0x04,
  disk: 0x08,
  safe: 0x0c,
  diag: 0x10,
  cdrom: 0x14,
  bios: 0x18,
});
export type BootDeviceName = keyof typeof BootDevice;

export interface BootFlags {
  readonly device: BootDeviceName;
  /** Applies to all future boots instead of the next one only. */
  readonly persistent: boolean;
  /** Boot type EFI instead of legacy (bit 5). */
  readonly efi?: boolean;
}

/**
 * Set System Boot Options (0x08) data for parameter 5: `05 <valid|persistent|efi> <device> 00 00 00`,
 * byte-identical to what ipmitool sends for `chassis bootdev` (notes §2: pxe → 05 80 04 00 00 00).
 */
export function encodeBootFlagsData(flags: BootFlags): Buffer {
  const device = BootDevice[flags.device];
  if (device === undefined) throw new IpmiError('IPMI_ERR_BAD_ARGUMENT', `unknown boot device ${String(flags.device)}`, 'device');
  const b1 = 0x80 | (flags.persistent ? 0x40 : 0) | (flags.efi ? 0x20 : 0);
  return Buffer.of(0x05, b1, device, 0, 0, 0);
}

/** Parameter 0 "set in progress" = 1, which ipmitool sends before writing the flags. */
export const BOOT_SET_IN_PROGRESS_DATA: Readonly<Buffer> = Buffer.of(0x00, 0x01);
/** Parameter 0 "set complete". */
export const BOOT_SET_COMPLETE_DATA: Readonly<Buffer> = Buffer.of(0x00, 0x00);
/** Parameter 4 boot-info acknowledge (write mask 01, data 01), as ipmitool sends it. */
export const BOOT_INFO_ACK_DATA: Readonly<Buffer> = Buffer.of(0x04, 0x01, 0x01);
