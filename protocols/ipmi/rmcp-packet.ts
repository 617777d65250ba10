import { IpmiError } from '../errors.js';
import { IPMI_LIMITS } from '../limits.js';
import {
  AUTH_TYPE_NONE,
  AUTH_TYPE_RMCPP,
  NEXT_HEADER,
  PAYLOAD_AUTHENTICATED_BIT,
  PAYLOAD_ENCRYPTED_BIT,
  RMCP_CLASS_IPMI,
  RMCP_HEADER_LENGTH,
  RMCP_SEQ_NO_ACK,
  RMCP_VERSION,
} from './constants.js';

/**
 * RMCP datagram framing (IPMI v2.0 §13.6, table 13-8): the RMCP header, then either an IPMI v1.5
 * session header (used only before a session exists, for Get Channel Authentication Capabilities) or
 * an IPMI v2.0/RMCP+ session header, payload and — when the authenticated bit is set — the session
 * trailer (integrity pad, pad length, next header, authcode). This layer frames and checks the
 * layout; session-crypto.ts checks the authcode and decrypts.
 *
 * UDP carries one message per datagram, so decoders take whole datagrams: a short or over-long one is
 * a typed error (IPMI_ERR_TRUNCATED / IPMI_ERR_LENGTH_MISMATCH), never a wait for more bytes.
 */

export interface V15Packet {
  readonly type: 'v15';
  readonly sessionSeq: number;
  readonly sessionId: number;
  /** The IPMI LAN message, a view into the datagram. */
  readonly message: Buffer;
}

export interface V20Packet {
  readonly type: 'v20';
  /** Bits 5:0 of the payload-type byte. */
  readonly payloadType: number;
  readonly encrypted: boolean;
  readonly authenticated: boolean;
  readonly sessionId: number;
  readonly sessionSeq: number;
  /** The payload as on the wire (IV + ciphertext when encrypted), a view into the datagram. */
  readonly payload: Buffer;
  /** Bytes the authcode covers: from the auth-type byte through next header (empty when unauthenticated). */
  readonly authenticatedRegion: Buffer;
  /** The received authcode (empty when unauthenticated). */
  readonly authCode: Buffer;
}

export type RmcpPacket = V15Packet | V20Packet;

const V15_HEADER = RMCP_HEADER_LENGTH + 10;
const V20_HEADER = RMCP_HEADER_LENGTH + 12;

function writeRmcpHeader(out: Buffer): void {
  out[0] = RMCP_VERSION;
  out[1] = 0;
  out[2] = RMCP_SEQ_NO_ACK;
  out[3] = RMCP_CLASS_IPMI;
}

/** A session-less IPMI v1.5 packet (auth type none, session seq and ID 0). */
export function encodeV15Packet(message: Uint8Array): Buffer {
  if (message.length > 0xff) throw new IpmiError('IPMI_ERR_BAD_ARGUMENT', 'v1.5 message longer than 255 bytes', 'message');
  const out = Buffer.alloc(V15_HEADER + message.length);
  writeRmcpHeader(out);
  out[4] = AUTH_TYPE_NONE;
  out[13] = message.length;
  out.set(message, V15_HEADER);
  return out;
}

/** Integrity pad length that makes (auth type … next header) a multiple of 4 (§13.28.4). */
export function integrityPadLength(payloadLength: number): number {
  return (4 - ((12 + payloadLength + 2) % 4)) % 4;
}

export interface V20Fields {
  readonly payloadType: number;
  readonly encrypted: boolean;
  readonly sessionId: number;
  readonly sessionSeq: number;
  /** The payload as it goes on the wire (already encrypted when `encrypted`). */
  readonly payload: Uint8Array;
}

/**
 * Lays out an RMCP+ packet. With `authCodeLength` > 0 it sets the authenticated bit, appends the
 * trailer and leaves the authcode bytes zero: the caller computes it over `authenticatedRegion(out)`
 * and writes it at the end (session-crypto.ts does both).
 */
export function encodeV20Packet(f: V20Fields, authCodeLength = 0): Buffer {
  if (f.payload.length > 0xffff) throw new IpmiError('IPMI_ERR_BAD_ARGUMENT', 'payload longer than 65535 bytes', 'payload');
  const authenticated = authCodeLength > 0;
  const pad = authenticated ? integrityPadLength(f.payload.length) : 0;
  const trailer = authenticated ? pad + 2 + authCodeLength : 0;
  const out = Buffer.alloc(V20_HEADER + f.payload.length + trailer);
  writeRmcpHeader(out);
  out[4] = AUTH_TYPE_RMCPP;
  out[5] = (f.payloadType & 0x3f) | (f.encrypted ? PAYLOAD_ENCRYPTED_BIT : 0) | (authenticated ? PAYLOAD_AUTHENTICATED_BIT : 0);
  out.writeUInt32LE(f.sessionId >>> 0, 6);
  out.writeUInt32LE(f.sessionSeq >>> 0, 10);
  out.writeUInt16LE(f.payload.length, 14);
  out.set(f.payload, V20_HEADER);
  if (authenticated) {
    const p = V20_HEADER + f.payload.length;
    out.fill(0xff, p, p + pad);
    out[p + pad] = pad;
    out[p + pad + 1] = NEXT_HEADER;
  }
  return out;
}

/**
 * Decodes one datagram. `authCodeLength` is the negotiated suite's authcode length (0 before a session
 * exists); an authenticated packet is refused when it is 0. Returns views into `datagram`.
 */
export function decodeRmcpPacket(datagram: Buffer, authCodeLength = 0): RmcpPacket {
  if (datagram.length > IPMI_LIMITS.maxDatagramBytes) {
    throw new IpmiError('IPMI_ERR_TOO_LARGE', `datagram of ${datagram.length} bytes`, 'datagram');
  }
  if (datagram.length < RMCP_HEADER_LENGTH + 1) {
    throw new IpmiError('IPMI_ERR_TRUNCATED', `datagram of ${datagram.length} bytes has no session header`, 'rmcpHeader');
  }
  if (datagram[0] !== RMCP_VERSION || datagram[3] !== RMCP_CLASS_IPMI) {
    // Class 6 (ASF, e.g. presence pong) and anything else is not for an IPMI session.
    throw new IpmiError(
      'IPMI_ERR_BAD_RMCP_HEADER',
      `version 0x${datagram[0]!.toString(16)} class 0x${datagram[3]!.toString(16)} is not RMCP v1 IPMI`,
      'rmcpHeader',
    );
  }
  const authType = datagram[4]! & 0x0f;
  if (authType === AUTH_TYPE_RMCPP) return decodeV20(datagram, authCodeLength);
  if (authType === AUTH_TYPE_NONE) return decodeV15(datagram);
  throw new IpmiError('IPMI_ERR_BAD_AUTH_TYPE', `auth type ${authType} is not supported (only none before a session, and RMCP+)`, 'authType');
}

function decodeV15(buf: Buffer): V15Packet {
  if (buf.length < V15_HEADER) throw new IpmiError('IPMI_ERR_TRUNCATED', `v1.5 packet of ${buf.length} bytes`, 'sessionHeader');
  const len = buf[13]!;
  // Some BMCs append one legacy pad byte to v1.5 packets of certain lengths (§13.6 note on legacy PAD).
  if (buf.length < V15_HEADER + len) throw new IpmiError('IPMI_ERR_TRUNCATED', `v1.5 message length ${len} exceeds the datagram`, 'messageLength');
  if (buf.length > V15_HEADER + len + 1)
    throw new IpmiError('IPMI_ERR_LENGTH_MISMATCH', `v1.5 datagram has ${buf.length - V15_HEADER - len} bytes after the message`, 'messageLength');
  return { type: 'v15', sessionSeq: buf.readUInt32LE(5), sessionId: buf.readUInt32LE(9), message: buf.subarray(V15_HEADER, V15_HEADER + len) };
}

function decodeV20(buf: Buffer, authCodeLength: number): V20Packet {
  if (buf.length < V20_HEADER) throw new IpmiError('IPMI_ERR_TRUNCATED', `RMCP+ packet of ${buf.length} bytes`, 'sessionHeader');
  const typeByte = buf[5]!;
  const payloadType = typeByte & 0x3f;
  if (payloadType === 0x02) throw new IpmiError('IPMI_ERR_UNSUPPORTED_PAYLOAD', 'OEM explicit payloads are not supported', 'payloadType');
  const encrypted = (typeByte & PAYLOAD_ENCRYPTED_BIT) !== 0;
  const authenticated = (typeByte & PAYLOAD_AUTHENTICATED_BIT) !== 0;
  const len = buf.readUInt16LE(14);
  if (len > IPMI_LIMITS.maxPayloadBytes)
    throw new IpmiError('IPMI_ERR_TOO_LARGE', `payload length ${len} exceeds ${IPMI_LIMITS.maxPayloadBytes}`, 'payloadLength');
  const end = V20_HEADER + len;
  if (buf.length < end) throw new IpmiError('IPMI_ERR_TRUNCATED', `payload length ${len} exceeds the datagram`, 'payloadLength');
  const base = {
    type: 'v20' as const,
    payloadType,
    encrypted,
    authenticated,
    sessionId: buf.readUInt32LE(6),
    sessionSeq: buf.readUInt32LE(10),
    payload: buf.subarray(V20_HEADER, end),
  };
  if (!authenticated) {
    if (buf.length !== end) throw new IpmiError('IPMI_ERR_LENGTH_MISMATCH', `${buf.length - end} bytes after an unauthenticated payload`, 'payloadLength');
    return { ...base, authenticatedRegion: buf.subarray(0, 0), authCode: buf.subarray(0, 0) };
  }
  if (authCodeLength === 0) throw new IpmiError('IPMI_ERR_UNEXPECTED_AUTHENTICATION', 'authenticated packet outside an authenticated session', 'payloadType');
  const pad = integrityPadLength(len);
  const expected = end + pad + 2 + authCodeLength;
  if (buf.length < expected)
    throw new IpmiError('IPMI_ERR_TRUNCATED', `session trailer: datagram of ${buf.length} bytes, expected ${expected}`, 'sessionTrailer');
  if (buf.length !== expected) throw new IpmiError('IPMI_ERR_LENGTH_MISMATCH', `datagram of ${buf.length} bytes, expected ${expected}`, 'sessionTrailer');
  for (let i = end; i < end + pad; i++) {
    if (buf[i] !== 0xff) throw new IpmiError('IPMI_ERR_BAD_INTEGRITY_PAD', `integrity pad byte 0x${buf[i]!.toString(16)} is not 0xFF`, 'integrityPad');
  }
  if (buf[end + pad] !== pad) throw new IpmiError('IPMI_ERR_BAD_INTEGRITY_PAD', `pad length ${buf[end + pad]} but ${pad} needed`, 'padLength');
  if (buf[end + pad + 1] !== NEXT_HEADER)
    throw new IpmiError('IPMI_ERR_BAD_INTEGRITY_PAD', `next header 0x${buf[end + pad + 1]!.toString(16)} is not 0x07`, 'nextHeader');
  return { ...base, authenticatedRegion: buf.subarray(RMCP_HEADER_LENGTH, end + pad + 2), authCode: buf.subarray(end + pad + 2) };
}
