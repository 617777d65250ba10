import { IpmiError } from '../errors.js';

/**
 * Get Channel Authentication Capabilities (App 0x38, IPMI v2.0 §22.13), sent before a session in
 * IPMI v1.5 framing. ipmitool and pyghmi send it first; it tells whether the channel speaks RMCP+
 * and whether the BMC has a non-zero Kg (then SIK must be keyed with Kg, notes §1.2).
 */

/** Request data: channel 0x0E ("this channel") with bit 7 = "get IPMI v2.0 extended data", then the privilege. */
export function encodeGetChannelAuthCapsData(privilege: number): Buffer {
  return Buffer.of(0x8e, privilege & 0x0f);
}

export interface ChannelAuthCaps {
  readonly channel: number;
  /** Response carries IPMI v2.0 extended data (byte 2 bit 7). */
  readonly extendedData: boolean;
  /** Byte 3 bit 5: Kg is set to a non-zero value (two-key login). */
  readonly kgSet: boolean;
  readonly nonNullUserNames: boolean;
  readonly nullUserNames: boolean;
  readonly anonymousLogin: boolean;
  /** Byte 4 bit 1: channel supports IPMI v2.0 (RMCP+) sessions. */
  readonly supportsIpmi20: boolean;
  readonly supportsIpmi15: boolean;
  readonly oemIana: number;
  readonly oemAux: number;
}

/** Parses the response data after the completion code (8 bytes). */
export function decodeChannelAuthCaps(data: Buffer): ChannelAuthCaps {
  if (data.length < 8) throw new IpmiError('IPMI_ERR_TRUNCATED', `auth capabilities of ${data.length} bytes, expected 8`, 'channelAuthCaps');
  const b2 = data[1]!;
  const b3 = data[2]!;
  const b4 = data[3]!;
  const extendedData = (b2 & 0x80) !== 0;
  return {
    channel: data[0]! & 0x0f,
    extendedData,
    kgSet: (b3 & 0x20) !== 0,
    nonNullUserNames: (b3 & 0x04) !== 0,
    nullUserNames: (b3 & 0x02) !== 0,
    anonymousLogin: (b3 & 0x01) !== 0,
    // Without extended data the byte is reserved: the channel is IPMI v1.5 only.
    supportsIpmi20: extendedData && (b4 & 0x02) !== 0,
    supportsIpmi15: !extendedData || (b4 & 0x01) !== 0,
    oemIana: data[4]! | (data[5]! << 8) | (data[6]! << 16),
    oemAux: data[7]!,
  };
}
