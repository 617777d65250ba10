import { IpmiError } from '../errors.js';

/**
 * Get Device ID (App 0x01, IPMI v2.0 §20.1): who made the BMC and which firmware it runs. Read-only,
 * allowed at USER privilege; `bmc-gateway probe` shows it (the manufacturer tells a Supermicro, whose
 * console is ATEN, from a Dell or an OpenBMC board).
 */
export interface DeviceId {
  readonly deviceId: number;
  readonly deviceRevision: number;
  /** "major.minor": byte 3 bits 6:0 binary, byte 4 BCD (§20.1 table 20-2). */
  readonly firmware: string;
  /** IPMI version, BCD: 0x02 is 2.0, 0x51 is 1.5. */
  readonly ipmiVersion: string;
  /** IANA Private Enterprise Number, 20 bits, least significant byte first. */
  readonly manufacturerId: number;
  readonly productId: number;
}

/** Response data after the completion code: 11 bytes, then 4 optional auxiliary bytes (ignored). */
export function decodeDeviceId(data: Buffer): DeviceId {
  if (data.length < 11) throw new IpmiError('IPMI_ERR_TRUNCATED', `device id of ${data.length} bytes, expected at least 11`, 'deviceId');
  const bcd = (b: number) => `${b >> 4}${b & 0x0f}`;
  const v = data[4]!;
  return {
    deviceId: data[0]!,
    deviceRevision: data[1]! & 0x0f,
    firmware: `${data[2]! & 0x7f}.${bcd(data[3]!)}`,
    ipmiVersion: `${v & 0x0f}.${v >> 4}`,
    manufacturerId: (data[6]! | (data[7]! << 8) | (data[8]! << 16)) & 0x0fffff,
    productId: data[9]! | (data[10]! << 8),
  };
}

/**
 * IANA enterprise numbers of BMC makers a report may name (iana.org/assignments/enterprise-numbers).
 * Only the vendor is named; the console type still comes from what the ports answer.
 */
export const BMC_MANUFACTURERS: ReadonlyMap<number, string> = new Map([
  [2, 'IBM'],
  [11, 'Hewlett-Packard'],
  [343, 'Intel'],
  [674, 'Dell'],
  [2011, 'Huawei'],
  [10876, 'Supermicro'],
  [19046, 'Lenovo'],
  [49622, 'OpenBMC'],
]);
