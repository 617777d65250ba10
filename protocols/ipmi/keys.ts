import { createHmac } from 'node:crypto';
import { IpmiError } from '../errors.js';
import type { CipherSuite, HashName } from './cipher-suites.js';
import { K1_CONSTANT, K2_CONSTANT, MAX_KG_BYTES, MAX_PASSWORD_BYTES, MAX_USER_NAME_BYTES } from './constants.js';

/**
 * RMCP+ key material (IPMI v2.0 §13.31 SIK, §13.32 K1/K2). Verified vectors: notes §1.9.
 *
 *   SIK = HMAC(Kg or Kuid, Rm | Rc | Role | ULen | UserName)
 *   K1  = HMAC(SIK, 0x01 × 20)   integrity key
 *   K2  = HMAC(SIK, 0x02 × 20)   AES-CBC-128 key = K2[0..16)
 */

export function hmac(hash: HashName, key: Uint8Array, ...parts: Uint8Array[]): Buffer {
  const h = createHmac(hash, key);
  for (const p of parts) h.update(p);
  return h.digest();
}

/** The user's key Kuid: the password bytes (HMAC zero-pads short keys, which is what the spec's zero padding to 20 does). */
export function passwordKey(password: string): Buffer {
  const key = Buffer.from(password, 'utf8');
  if (key.length > MAX_PASSWORD_BYTES) {
    throw new IpmiError('IPMI_ERR_BAD_CONFIG', `password is ${key.length} bytes; IPMI allows at most ${MAX_PASSWORD_BYTES}`, 'password');
  }
  return key;
}

/** User name bytes for RAKP1 (at most 16, §13.20). */
export function userNameBytes(user: string): Buffer {
  const name = Buffer.from(user, 'utf8');
  if (name.length > MAX_USER_NAME_BYTES) {
    throw new IpmiError('IPMI_ERR_BAD_CONFIG', `user name is ${name.length} bytes; IPMI allows at most ${MAX_USER_NAME_BYTES}`, 'user');
  }
  return name;
}

/**
 * Kg (the BMC key) from config: hex digits, optionally "0x"-prefixed, at most 20 bytes — the same form
 * as ipmitool's `-y`. Text keys are not accepted so that a key with non-printable bytes can be written.
 */
export function parseKg(kg: string): Buffer {
  const hex = kg.startsWith('0x') || kg.startsWith('0X') ? kg.slice(2) : kg;
  if (hex.length === 0 || hex.length % 2 !== 0 || !/^[0-9a-fA-F]+$/.test(hex)) {
    throw new IpmiError('IPMI_ERR_BAD_CONFIG', 'Kg must be an even number of hex digits (like ipmitool -y)', 'kg');
  }
  const key = Buffer.from(hex, 'hex');
  if (key.length > MAX_KG_BYTES) throw new IpmiError('IPMI_ERR_BAD_CONFIG', `Kg is ${key.length} bytes; at most ${MAX_KG_BYTES}`, 'kg');
  return key;
}

export interface SessionKeys {
  readonly sik: Buffer;
  readonly k1: Buffer;
  readonly k2: Buffer;
  /** K2[0..16), the AES-CBC-128 key. */
  readonly aesKey: Buffer;
}

export interface SikInput {
  /** Kg when the BMC has one, else Kuid (the password key). */
  readonly key: Uint8Array;
  readonly rm: Uint8Array;
  readonly rc: Uint8Array;
  /** The exact role byte sent in RAKP1, including the name-only-lookup bit (notes §1.5). */
  readonly role: number;
  readonly userName: Uint8Array;
}

export function deriveSessionKeys(suite: CipherSuite, input: SikInput): SessionKeys {
  const hash = suite.authHash;
  if (hash === null) {
    // RAKP-none (suite 0) has no keys; integrity and confidentiality are "none" as well.
    const empty = Buffer.alloc(0);
    return { sik: empty, k1: empty, k2: empty, aesKey: empty };
  }
  const sik = hmac(hash, input.key, input.rm, input.rc, Buffer.of(input.role, input.userName.length), input.userName);
  const k1 = hmac(hash, sik, K1_CONSTANT);
  const k2 = hmac(hash, sik, K2_CONSTANT);
  return { sik, k1, k2, aesKey: k2.subarray(0, 16) };
}
