import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { IpmiError } from '../errors.js';
import type { CipherSuite } from './cipher-suites.js';
import { hmac, type SessionKeys } from './keys.js';
import { safeEqual } from './rakp.js';
import { decodeRmcpPacket, encodeV20Packet, type V20Packet } from './rmcp-packet.js';
import { RMCP_HEADER_LENGTH } from './constants.js';

/**
 * Per-packet protection of an established RMCP+ session (IPMI v2.0 §13.28 integrity, §13.29
 * AES-CBC-128 confidentiality):
 *
 *   payload on the wire = IV(16) | AES-CBC-128(K2[0..16), IV, plain | 01 02 … n | n)
 *   authcode            = HMAC(K1, auth type … next header) truncated to 12 (SHA1-96) / 16 (SHA256-128)
 *
 * The confidentiality pad is the IPMI one (1, 2, … n, then n), not PKCS#7, hence setAutoPadding(false).
 */

const AES_BLOCK = 16;

export function encryptPayload(aesKey: Uint8Array, plain: Uint8Array, iv: Uint8Array = randomBytes(AES_BLOCK)): Buffer {
  if (iv.length !== AES_BLOCK) throw new IpmiError('IPMI_ERR_BAD_ARGUMENT', 'IV must be 16 bytes', 'iv');
  const n = (AES_BLOCK - ((plain.length + 1) % AES_BLOCK)) % AES_BLOCK;
  const padded = Buffer.allocUnsafe(plain.length + n + 1);
  padded.set(plain, 0);
  for (let i = 1; i <= n; i++) padded[plain.length + i - 1] = i;
  padded[padded.length - 1] = n;
  const cipher = createCipheriv('aes-128-cbc', aesKey, iv);
  cipher.setAutoPadding(false);
  return Buffer.concat([iv, cipher.update(padded), cipher.final()]);
}

/** Decrypts and strips the confidentiality pad, checking that it is 1..n followed by n (as ipmitool does). */
export function decryptPayload(aesKey: Uint8Array, wire: Buffer): Buffer {
  if (wire.length < 2 * AES_BLOCK || wire.length % AES_BLOCK !== 0) {
    throw new IpmiError('IPMI_ERR_BAD_CIPHERTEXT', `encrypted payload of ${wire.length} bytes is not IV + whole AES blocks`, 'payload');
  }
  const decipher = createDecipheriv('aes-128-cbc', aesKey, wire.subarray(0, AES_BLOCK));
  decipher.setAutoPadding(false);
  const plain = Buffer.concat([decipher.update(wire.subarray(AES_BLOCK)), decipher.final()]);
  const n = plain[plain.length - 1]!;
  if (n >= AES_BLOCK) throw new IpmiError('IPMI_ERR_BAD_CONFIDENTIALITY_PAD', `pad length ${n} is not below 16`, 'confidentialityPadLength');
  const dataEnd = plain.length - 1 - n;
  for (let i = 0; i < n; i++) {
    if (plain[dataEnd + i] !== i + 1)
      throw new IpmiError('IPMI_ERR_BAD_CONFIDENTIALITY_PAD', `pad byte ${i} is ${plain[dataEnd + i]}, not ${i + 1}`, 'confidentialityPad');
  }
  return plain.subarray(0, dataEnd);
}

export interface SealInput {
  readonly payloadType: number;
  readonly sessionId: number;
  readonly sessionSeq: number;
  readonly payload: Uint8Array;
  /** Fixed IV for tests; random otherwise. */
  readonly iv?: Uint8Array;
}

/** Builds a protected datagram as the suite asks: encrypted if it has confidentiality, authenticated if it has integrity. */
export function sealPacket(suite: CipherSuite, keys: SessionKeys, input: SealInput): Buffer {
  const payload = suite.encrypted ? encryptPayload(keys.aesKey, input.payload, input.iv) : input.payload;
  const out = encodeV20Packet(
    { payloadType: input.payloadType, encrypted: suite.encrypted, sessionId: input.sessionId, sessionSeq: input.sessionSeq, payload },
    suite.authCodeLength,
  );
  if (suite.integrityHash !== null) {
    const region = out.subarray(RMCP_HEADER_LENGTH, out.length - suite.authCodeLength);
    hmac(suite.integrityHash, keys.k1, region).copy(out, out.length - suite.authCodeLength, 0, suite.authCodeLength);
  }
  return out;
}

export interface OpenedPacket {
  readonly packet: V20Packet;
  /** The plaintext payload (a view into a fresh buffer when decrypted, else into the datagram). */
  readonly payload: Buffer;
}

/**
 * Checks a datagram of an established session: it must be RMCP+, authenticated when the suite has
 * integrity (authcode checked in constant time, before decrypting) and encrypted when the suite has
 * confidentiality. Session ID and sequence checks are the caller's (SessionCodec).
 */
export function openPacket(suite: CipherSuite, keys: SessionKeys, datagram: Buffer): OpenedPacket {
  return openDecodedPacket(suite, keys, decodeSessionDatagram(suite, datagram));
}

/** Frames a datagram of an established session (no authcode check yet). */
export function decodeSessionDatagram(suite: CipherSuite, datagram: Buffer): V20Packet {
  const decoded = decodeRmcpPacket(datagram, suite.authCodeLength);
  if (decoded.type !== 'v20') throw new IpmiError('IPMI_ERR_BAD_AUTH_TYPE', 'IPMI v1.5 packet inside an RMCP+ session', 'authType');
  return decoded;
}

/** The checks of openPacket() on an already framed packet. */
export function openDecodedPacket(suite: CipherSuite, keys: SessionKeys, packet: V20Packet): OpenedPacket {
  if (suite.integrityHash !== null) {
    if (!packet.authenticated)
      throw new IpmiError('IPMI_ERR_NOT_AUTHENTICATED', 'unauthenticated packet in a session with an integrity algorithm', 'payloadType');
    const expected = hmac(suite.integrityHash, keys.k1, packet.authenticatedRegion).subarray(0, suite.authCodeLength);
    if (!safeEqual(expected, packet.authCode)) throw new IpmiError('IPMI_ERR_BAD_AUTHCODE', 'packet authcode does not match', 'authCode');
  } else if (packet.authenticated) {
    throw new IpmiError('IPMI_ERR_UNEXPECTED_AUTHENTICATION', 'authenticated packet in a session without an integrity algorithm', 'payloadType');
  }
  if (suite.encrypted) {
    if (!packet.encrypted) throw new IpmiError('IPMI_ERR_NOT_ENCRYPTED', 'unencrypted payload in a session with a confidentiality algorithm', 'payloadType');
    return { packet, payload: decryptPayload(keys.aesKey, packet.payload) };
  }
  if (packet.encrypted) throw new IpmiError('IPMI_ERR_NOT_ENCRYPTED', 'encrypted payload in a session without a confidentiality algorithm', 'payloadType');
  return { packet, payload: packet.payload };
}
