import { timingSafeEqual } from 'node:crypto';
import { IpmiError } from '../errors.js';
import type { CipherSuite } from './cipher-suites.js';
import { hmac } from './keys.js';

/**
 * RMCP+ session setup payloads (IPMI v2.0 §13.17–13.23): Open Session Request/Response and RAKP
 * messages 1–4, both roles (the BMC role is used by our test responder), and the RAKP auth codes
 * (§13.31). Session IDs are little-endian on the wire and go into the HMAC inputs in wire order.
 * All decoders return views into the given buffer for the byte fields.
 */

export interface OpenSessionRequest {
  readonly tag: number;
  /** 0 = "highest the proposed algorithms allow" (what ipmitool sends). */
  readonly maxPrivilege: number;
  /** SIDm, chosen by the console, non-zero. */
  readonly consoleSessionId: number;
  readonly authAlgorithm: number;
  readonly integrityAlgorithm: number;
  readonly confidentialityAlgorithm: number;
}

export interface OpenSessionResponse {
  readonly tag: number;
  readonly status: number;
  readonly maxPrivilege: number;
  readonly consoleSessionId: number;
  /** SIDc, the BMC's session ID; 0 when status is not 0. */
  readonly bmcSessionId: number;
  readonly authAlgorithm: number;
  readonly integrityAlgorithm: number;
  readonly confidentialityAlgorithm: number;
}

export interface Rakp1 {
  readonly tag: number;
  readonly bmcSessionId: number;
  readonly rm: Buffer;
  readonly role: number;
  readonly userName: Buffer;
}

export interface Rakp2 {
  readonly tag: number;
  readonly status: number;
  readonly consoleSessionId: number;
  readonly rc: Buffer;
  readonly bmcGuid: Buffer;
  readonly keyExchangeAuthCode: Buffer;
}

export interface Rakp3 {
  readonly tag: number;
  readonly status: number;
  readonly bmcSessionId: number;
  readonly keyExchangeAuthCode: Buffer;
}

export interface Rakp4 {
  readonly tag: number;
  readonly status: number;
  readonly consoleSessionId: number;
  readonly integrityCheckValue: Buffer;
}

function need(buf: Uint8Array, n: number, what: string): void {
  if (buf.length < n) throw new IpmiError('IPMI_ERR_TRUNCATED', `${what} of ${buf.length} bytes is shorter than ${n}`, what);
}

function exact(buf: Uint8Array, n: number, what: string): void {
  need(buf, n, what);
  if (buf.length !== n) throw new IpmiError('IPMI_ERR_LENGTH_MISMATCH', `${what} is ${buf.length} bytes, expected ${n}`, what);
}

const ALGORITHM_PAYLOAD_NAMES = ['authenticationPayload', 'integrityPayload', 'confidentialityPayload'] as const;

function writeAlgorithmPayload(out: Buffer, offset: number, type: number, algorithm: number): void {
  out.fill(0, offset, offset + 8);
  out[offset] = type;
  out[offset + 3] = 8;
  out[offset + 4] = algorithm & 0x3f;
}

function readAlgorithmPayload(buf: Buffer, offset: number, type: 0 | 1 | 2): number {
  const field = ALGORITHM_PAYLOAD_NAMES[type];
  if (buf[offset] !== type || buf[offset + 3] !== 8) {
    throw new IpmiError('IPMI_ERR_BAD_SESSION_SETUP', `expected payload type ${type} of length 8`, field);
  }
  return buf[offset + 4]! & 0x3f;
}

export function encodeOpenSessionRequest(m: OpenSessionRequest): Buffer {
  const out = Buffer.alloc(32);
  out[0] = m.tag;
  out[1] = m.maxPrivilege;
  out.writeUInt32LE(m.consoleSessionId >>> 0, 4);
  writeAlgorithmPayload(out, 8, 0, m.authAlgorithm);
  writeAlgorithmPayload(out, 16, 1, m.integrityAlgorithm);
  writeAlgorithmPayload(out, 24, 2, m.confidentialityAlgorithm);
  return out;
}

export function decodeOpenSessionRequest(buf: Buffer): OpenSessionRequest {
  exact(buf, 32, 'openSessionRequest');
  return {
    tag: buf[0]!,
    maxPrivilege: buf[1]! & 0x0f,
    consoleSessionId: buf.readUInt32LE(4),
    authAlgorithm: readAlgorithmPayload(buf, 8, 0),
    integrityAlgorithm: readAlgorithmPayload(buf, 16, 1),
    confidentialityAlgorithm: readAlgorithmPayload(buf, 24, 2),
  };
}

export function encodeOpenSessionResponse(m: OpenSessionResponse): Buffer {
  if (m.status !== 0) {
    // On error the BMC sends only up to the console session ID (§13.18).
    const out = Buffer.alloc(8);
    out[0] = m.tag;
    out[1] = m.status;
    out.writeUInt32LE(m.consoleSessionId >>> 0, 4);
    return out;
  }
  const out = Buffer.alloc(36);
  out[0] = m.tag;
  out[1] = m.status;
  out[2] = m.maxPrivilege;
  out.writeUInt32LE(m.consoleSessionId >>> 0, 4);
  out.writeUInt32LE(m.bmcSessionId >>> 0, 8);
  writeAlgorithmPayload(out, 12, 0, m.authAlgorithm);
  writeAlgorithmPayload(out, 20, 1, m.integrityAlgorithm);
  writeAlgorithmPayload(out, 28, 2, m.confidentialityAlgorithm);
  return out;
}

/** An error status is returned as-is (status ≠ 0, zero IDs/algorithms); the caller turns it into an error. */
export function decodeOpenSessionResponse(buf: Buffer): OpenSessionResponse {
  need(buf, 2, 'openSessionResponse');
  const status = buf[1]!;
  if (status !== 0) {
    return {
      tag: buf[0]!,
      status,
      maxPrivilege: 0,
      consoleSessionId: buf.length >= 8 ? buf.readUInt32LE(4) : 0,
      bmcSessionId: 0,
      authAlgorithm: 0,
      integrityAlgorithm: 0,
      confidentialityAlgorithm: 0,
    };
  }
  exact(buf, 36, 'openSessionResponse');
  return {
    tag: buf[0]!,
    status,
    maxPrivilege: buf[2]! & 0x0f,
    consoleSessionId: buf.readUInt32LE(4),
    bmcSessionId: buf.readUInt32LE(8),
    authAlgorithm: readAlgorithmPayload(buf, 12, 0),
    integrityAlgorithm: readAlgorithmPayload(buf, 20, 1),
    confidentialityAlgorithm: readAlgorithmPayload(buf, 28, 2),
  };
}

export function encodeRakp1(m: Rakp1): Buffer {
  if (m.rm.length !== 16) throw new IpmiError('IPMI_ERR_BAD_ARGUMENT', 'Rm must be 16 bytes', 'rm');
  const out = Buffer.alloc(28 + m.userName.length);
  out[0] = m.tag;
  out.writeUInt32LE(m.bmcSessionId >>> 0, 4);
  out.set(m.rm, 8);
  out[24] = m.role;
  out[27] = m.userName.length;
  out.set(m.userName, 28);
  return out;
}

export function decodeRakp1(buf: Buffer): Rakp1 {
  need(buf, 28, 'rakp1');
  const ulen = buf[27]!;
  if (ulen > 16) throw new IpmiError('IPMI_ERR_BAD_SESSION_SETUP', `user name length ${ulen} exceeds 16`, 'userNameLength');
  exact(buf, 28 + ulen, 'rakp1');
  return { tag: buf[0]!, bmcSessionId: buf.readUInt32LE(4), rm: buf.subarray(8, 24), role: buf[24]!, userName: buf.subarray(28) };
}

export function encodeRakp2(m: Rakp2): Buffer {
  if (m.status !== 0) return statusOnly(m.tag, m.status, m.consoleSessionId);
  const out = Buffer.alloc(40 + m.keyExchangeAuthCode.length);
  out[0] = m.tag;
  out.writeUInt32LE(m.consoleSessionId >>> 0, 4);
  out.set(m.rc, 8);
  out.set(m.bmcGuid, 24);
  out.set(m.keyExchangeAuthCode, 40);
  return out;
}

/** `authCodeLength` comes from the negotiated suite; an error status needs only the first 8 bytes. */
export function decodeRakp2(buf: Buffer, authCodeLength: number): Rakp2 {
  need(buf, 2, 'rakp2');
  const status = buf[1]!;
  if (status !== 0) return { tag: buf[0]!, status, consoleSessionId: sidIfPresent(buf), rc: empty, bmcGuid: empty, keyExchangeAuthCode: empty };
  exact(buf, 40 + authCodeLength, 'rakp2');
  return {
    tag: buf[0]!,
    status,
    consoleSessionId: buf.readUInt32LE(4),
    rc: buf.subarray(8, 24),
    bmcGuid: buf.subarray(24, 40),
    keyExchangeAuthCode: buf.subarray(40),
  };
}

export function encodeRakp3(m: Rakp3): Buffer {
  const out = Buffer.alloc(8 + m.keyExchangeAuthCode.length);
  out[0] = m.tag;
  out[1] = m.status;
  out.writeUInt32LE(m.bmcSessionId >>> 0, 4);
  out.set(m.keyExchangeAuthCode, 8);
  return out;
}

export function decodeRakp3(buf: Buffer, authCodeLength: number): Rakp3 {
  need(buf, 8, 'rakp3');
  const status = buf[1]!;
  if (status === 0) exact(buf, 8 + authCodeLength, 'rakp3');
  return { tag: buf[0]!, status, bmcSessionId: buf.readUInt32LE(4), keyExchangeAuthCode: buf.subarray(8) };
}

export function encodeRakp4(m: Rakp4): Buffer {
  if (m.status !== 0) return statusOnly(m.tag, m.status, m.consoleSessionId);
  const out = Buffer.alloc(8 + m.integrityCheckValue.length);
  out[0] = m.tag;
  out.writeUInt32LE(m.consoleSessionId >>> 0, 4);
  out.set(m.integrityCheckValue, 8);
  return out;
}

export function decodeRakp4(buf: Buffer, icvLength: number): Rakp4 {
  need(buf, 2, 'rakp4');
  const status = buf[1]!;
  if (status !== 0) return { tag: buf[0]!, status, consoleSessionId: sidIfPresent(buf), integrityCheckValue: empty };
  exact(buf, 8 + icvLength, 'rakp4');
  return { tag: buf[0]!, status, consoleSessionId: buf.readUInt32LE(4), integrityCheckValue: buf.subarray(8) };
}

const empty = Buffer.alloc(0);

function statusOnly(tag: number, status: number, sid: number): Buffer {
  const out = Buffer.alloc(8);
  out[0] = tag;
  out[1] = status;
  out.writeUInt32LE(sid >>> 0, 4);
  return out;
}

function sidIfPresent(buf: Buffer): number {
  return buf.length >= 8 ? buf.readUInt32LE(4) : 0;
}

function le32(v: number): Buffer {
  const b = Buffer.allocUnsafe(4);
  b.writeUInt32LE(v >>> 0, 0);
  return b;
}

/** Everything the RAKP auth codes are computed over (§13.31). */
export interface RakpContext {
  readonly suite: CipherSuite;
  readonly consoleSessionId: number;
  readonly bmcSessionId: number;
  readonly rm: Uint8Array;
  readonly rc: Uint8Array;
  readonly bmcGuid: Uint8Array;
  /** The exact RAKP1 role byte. */
  readonly role: number;
  readonly userName: Uint8Array;
}

function hashOf(suite: CipherSuite): NonNullable<CipherSuite['authHash']> {
  if (suite.authHash === null) throw new IpmiError('IPMI_ERR_BAD_ARGUMENT', 'RAKP-none has no auth codes', 'suite');
  return suite.authHash;
}

/** RAKP2 key exchange auth code = HMAC(Kuid, SIDm | SIDc | Rm | Rc | GUIDc | Role | ULen | UserName). */
export function rakp2AuthCode(ctx: RakpContext, kuid: Uint8Array): Buffer {
  return hmac(
    hashOf(ctx.suite),
    kuid,
    le32(ctx.consoleSessionId),
    le32(ctx.bmcSessionId),
    ctx.rm,
    ctx.rc,
    ctx.bmcGuid,
    Buffer.of(ctx.role, ctx.userName.length),
    ctx.userName,
  );
}

/** RAKP3 key exchange auth code = HMAC(Kuid, Rc | SIDm | Role | ULen | UserName). */
export function rakp3AuthCode(ctx: RakpContext, kuid: Uint8Array): Buffer {
  return hmac(hashOf(ctx.suite), kuid, ctx.rc, le32(ctx.consoleSessionId), Buffer.of(ctx.role, ctx.userName.length), ctx.userName);
}

/** RAKP4 integrity check value = HMAC(SIK, Rm | SIDc | GUIDc), truncated per the suite. */
export function rakp4Icv(ctx: RakpContext, sik: Uint8Array): Buffer {
  return hmac(hashOf(ctx.suite), sik, ctx.rm, le32(ctx.bmcSessionId), ctx.bmcGuid).subarray(0, ctx.suite.rakp4IcvLength);
}

/** Constant-time equality that is false (not a throw) on a length difference. */
export function safeEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Checks RAKP2's auth code. A mismatch means our password is not the one the BMC has for this user
 * (the BMC cannot tell; only the console can — ipmitool says "RAKP 2 HMAC is invalid").
 */
export function verifyRakp2(ctx: RakpContext, kuid: Uint8Array, received: Uint8Array): void {
  if (ctx.suite.authHash === null) return;
  if (!safeEqual(rakp2AuthCode(ctx, kuid), received)) {
    throw new IpmiError('IPMI_ERR_BAD_PASSWORD', 'RAKP2 key exchange auth code does not match: wrong password for this user', 'keyExchangeAuthCode');
  }
}

/** Checks RAKP4's ICV; a mismatch means the BMC derived a different SIK (usually a wrong or missing Kg). */
export function verifyRakp4(ctx: RakpContext, sik: Uint8Array, received: Uint8Array): void {
  if (ctx.suite.authHash === null) return;
  if (!safeEqual(rakp4Icv(ctx, sik), received)) {
    throw new IpmiError(
      'IPMI_ERR_BAD_RAKP4',
      'RAKP4 integrity check value does not match: the BMC derived a different session key (wrong or missing Kg?)',
      'integrityCheckValue',
    );
  }
}
