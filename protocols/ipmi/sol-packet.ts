import { IpmiError } from '../errors.js';

/**
 * The SOL payload (payload type 1, IPMI v2.0 §15.9, table 15-2) and the Activate/Deactivate Payload
 * command data (§24.1, §24.2). Notes §3.
 *
 *   byte 1  packet sequence number, 1..15; 0 = ACK/NACK-only packet (carries no data)
 *   byte 2  sequence number being acknowledged, 0 = none
 *   byte 3  accepted character count (of the acknowledged packet)
 *   byte 4  console→BMC operations / BMC→console status bits
 *   byte 5+ character data
 */

export interface SolPacket {
  readonly sequence: number;
  readonly ackSequence: number;
  readonly acceptedCount: number;
  /** Byte 4: SolOperation bits when we send, SolStatus bits when the BMC sends. */
  readonly control: number;
  /** Character data; a view into the decoded buffer. */
  readonly data: Buffer;
}

/** Byte 4 of a console→BMC packet. */
export const SolOperation = Object.freeze({
  NACK: 0x40,
  RING_WOR: 0x20,
  GENERATE_BREAK: 0x10,
  DEASSERT_CTS: 0x08,
  DEASSERT_DCD_DSR: 0x04,
  FLUSH_INBOUND: 0x02,
  FLUSH_OUTBOUND: 0x01,
});

/** Byte 4 of a BMC→console packet. */
export const SolStatus = Object.freeze({
  NACK: 0x40,
  CHARACTER_TRANSFER_UNAVAILABLE: 0x20,
  DEACTIVATING: 0x10,
  TRANSMIT_OVERRUN: 0x08,
  BREAK_DETECTED: 0x04,
});

export const SOL_HEADER_LENGTH = 4;
/** Sequence numbers run 1..15 and wrap to 1 (0 means "ACK only"). */
export const SOL_MAX_SEQUENCE = 15;

export function nextSolSequence(seq: number): number {
  return seq >= SOL_MAX_SEQUENCE ? 1 : seq + 1;
}

function checkNibble(v: number, field: string): void {
  if (!Number.isInteger(v) || v < 0 || v > SOL_MAX_SEQUENCE) throw new IpmiError('IPMI_ERR_BAD_ARGUMENT', `must be 0..15, got ${v}`, field);
}

export function encodeSolPacket(p: SolPacket): Buffer {
  checkNibble(p.sequence, 'sequence');
  checkNibble(p.ackSequence, 'ackSequence');
  if (p.sequence === 0 && p.data.length > 0) throw new IpmiError('IPMI_ERR_BAD_ARGUMENT', 'an ACK-only packet carries no data', 'data');
  if (p.acceptedCount < 0 || p.acceptedCount > 0xff) throw new IpmiError('IPMI_ERR_BAD_ARGUMENT', 'accepted count must be 0..255', 'acceptedCount');
  const out = Buffer.allocUnsafe(SOL_HEADER_LENGTH + p.data.length);
  out[0] = p.sequence;
  out[1] = p.ackSequence;
  out[2] = p.acceptedCount;
  out[3] = p.control & 0xff;
  out.set(p.data, SOL_HEADER_LENGTH);
  return out;
}

export function decodeSolPacket(buf: Buffer): SolPacket {
  if (buf.length < SOL_HEADER_LENGTH) throw new IpmiError('IPMI_ERR_TRUNCATED', `SOL packet of ${buf.length} bytes`, 'solHeader');
  const sequence = buf[0]!;
  const ackSequence = buf[1]!;
  // Bits 7:4 of both sequence bytes are reserved (§15.9); a BMC setting them is not speaking SOL.
  if (sequence > SOL_MAX_SEQUENCE) throw new IpmiError('IPMI_ERR_BAD_SOL_PACKET', `sequence ${sequence} exceeds 15`, 'sequence');
  if (ackSequence > SOL_MAX_SEQUENCE) throw new IpmiError('IPMI_ERR_BAD_SOL_PACKET', `ack sequence ${ackSequence} exceeds 15`, 'ackSequence');
  const data = buf.subarray(SOL_HEADER_LENGTH);
  if (sequence === 0 && data.length > 0) throw new IpmiError('IPMI_ERR_BAD_SOL_PACKET', 'ACK-only packet (sequence 0) carries data', 'sequence');
  return { sequence, ackSequence, acceptedCount: buf[2]!, control: buf[3]!, data };
}

/** Activate Payload (App 0x48) aux byte 3: encrypt | authenticate | alerts deferred | startup handshake. */
export const SOL_ACTIVATE_AUX = 0xc6;

/**
 * Activate Payload data for SOL, exactly as ipmitool sends it (notes §3.1): `01 <instance> c6 00 00 00`.
 * Encryption/authentication bits are set only when the suite has them (else the BMC refuses with 0x83).
 */
export function encodeActivateSolData(instance = 1, encrypted = true, authenticated = true): Buffer {
  const aux = (SOL_ACTIVATE_AUX & 0x3f) | (encrypted ? 0x80 : 0) | (authenticated ? 0x40 : 0);
  return Buffer.of(0x01, instance & 0x0f, aux, 0, 0, 0);
}

/** Deactivate Payload data for SOL: `01 <instance> 00 00 00 00`. */
export function encodeDeactivateSolData(instance = 1): Buffer {
  return Buffer.of(0x01, instance & 0x0f, 0, 0, 0, 0);
}

export interface ActivatePayloadResponse {
  /** Largest SOL payload (header included) the BMC accepts from us. */
  readonly inboundPayloadSize: number;
  /** Largest SOL payload the BMC sends. */
  readonly outboundPayloadSize: number;
  readonly port: number;
  readonly vlan: number | null;
}

/** Activate Payload response data after the completion code (12 bytes, all little-endian). */
export function decodeActivatePayloadResponse(data: Buffer): ActivatePayloadResponse {
  if (data.length < 12) throw new IpmiError('IPMI_ERR_TRUNCATED', `Activate Payload response of ${data.length} bytes, expected 12`, 'activatePayloadResponse');
  const inboundPayloadSize = data.readUInt16LE(4);
  if (inboundPayloadSize <= SOL_HEADER_LENGTH) {
    throw new IpmiError('IPMI_ERR_BAD_RESPONSE', `inbound payload size ${inboundPayloadSize} leaves no room for characters`, 'inboundPayloadSize');
  }
  const vlan = data.readUInt16LE(10);
  return { inboundPayloadSize, outboundPayloadSize: data.readUInt16LE(6), port: data.readUInt16LE(8), vlan: vlan === 0xffff ? null : vlan };
}

export function encodeActivatePayloadResponse(r: ActivatePayloadResponse): Buffer {
  const out = Buffer.alloc(12);
  out.writeUInt16LE(r.inboundPayloadSize, 4);
  out.writeUInt16LE(r.outboundPayloadSize, 6);
  out.writeUInt16LE(r.port, 8);
  out.writeUInt16LE(r.vlan ?? 0xffff, 10);
  return out;
}
