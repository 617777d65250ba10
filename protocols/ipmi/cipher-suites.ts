import { IpmiError } from '../errors.js';

/**
 * RMCP+ cipher suites (IPMI v2.0 §22.15.2, table 22-20) that this gateway implements.
 * 3 and 17 are the ones to use; 0–2 have no or partial protection and are refused unless a server's
 * config explicitly allows them (ipmi_sim accepted suite 0 with a wrong password and powered the
 * machine on — notes §4.2: the classic "cipher 0" hole real BMCs have shipped with).
 */

export type HashName = 'sha1' | 'sha256';

export interface CipherSuite {
  readonly id: number;
  /** Authentication algorithm number (Open Session payload): 0 RAKP-none, 1 RAKP-HMAC-SHA1, 3 RAKP-HMAC-SHA256. */
  readonly authAlgorithm: number;
  /** Integrity algorithm number: 0 none, 1 HMAC-SHA1-96, 4 HMAC-SHA256-128. */
  readonly integrityAlgorithm: number;
  /** Confidentiality algorithm number: 0 none, 1 AES-CBC-128. */
  readonly confidentialityAlgorithm: number;
  /** Hash of the RAKP HMACs and of SIK/K1/K2; null for RAKP-none. */
  readonly authHash: HashName | null;
  /** Length of the RAKP2/RAKP3 key exchange auth codes (the full HMAC). */
  readonly keyExchangeAuthCodeLength: number;
  /**
   * Length of the RAKP4 integrity check value: it follows the authentication algorithm, not the
   * integrity one (§13.28: RAKP-HMAC-SHA1 → HMAC-SHA1-96, RAKP-HMAC-SHA256 → HMAC-SHA256-128).
   */
  readonly rakp4IcvLength: number;
  /** Hash of the per-packet authcode; null when the suite has no integrity algorithm. */
  readonly integrityHash: HashName | null;
  /** Length of the per-packet authcode (12 for HMAC-SHA1-96, 16 for HMAC-SHA256-128). */
  readonly authCodeLength: number;
  readonly encrypted: boolean;
  /** Why a weak suite is weak; undefined for 3 and 17. */
  readonly weakness?: string;
}

// Laid out as a table by hand (rows and columns mean something here); Prettier leaves it so.
// prettier-ignore
const SUITES: ReadonlyMap<number, CipherSuite> = new Map<number, CipherSuite>([
  [0, Object.freeze({
    id: 0, authAlgorithm: 0, integrityAlgorithm: 0, confidentialityAlgorithm: 0,
    authHash: null, keyExchangeAuthCodeLength: 0, rakp4IcvLength: 0, integrityHash: null, authCodeLength: 0, encrypted: false,
    weakness: 'suite 0 has no authentication at all: the BMC accepts any password (and no integrity or encryption)',
  })],
  [1, Object.freeze({
    id: 1, authAlgorithm: 1, integrityAlgorithm: 0, confidentialityAlgorithm: 0,
    authHash: 'sha1', keyExchangeAuthCodeLength: 20, rakp4IcvLength: 12, integrityHash: null, authCodeLength: 0, encrypted: false,
    weakness: 'suite 1 authenticates the login only: later packets have no integrity check and no encryption (anyone on the path can forge power commands and read the console)',
  })],
  [2, Object.freeze({
    id: 2, authAlgorithm: 1, integrityAlgorithm: 1, confidentialityAlgorithm: 0,
    authHash: 'sha1', keyExchangeAuthCodeLength: 20, rakp4IcvLength: 12, integrityHash: 'sha1', authCodeLength: 12, encrypted: false,
    weakness: 'suite 2 does not encrypt: the serial console and commands travel in clear text',
  })],
  [3, Object.freeze({
    id: 3, authAlgorithm: 1, integrityAlgorithm: 1, confidentialityAlgorithm: 1,
    authHash: 'sha1', keyExchangeAuthCodeLength: 20, rakp4IcvLength: 12, integrityHash: 'sha1', authCodeLength: 12, encrypted: true,
  })],
  [17, Object.freeze({
    id: 17, authAlgorithm: 3, integrityAlgorithm: 4, confidentialityAlgorithm: 1,
    authHash: 'sha256', keyExchangeAuthCodeLength: 32, rakp4IcvLength: 16, integrityHash: 'sha256', authCodeLength: 16, encrypted: true,
  })],
]);

export const SUPPORTED_CIPHER_SUITE_IDS: readonly number[] = Object.freeze([...SUITES.keys()]);
export const DEFAULT_CIPHER_SUITES: readonly number[] = Object.freeze([17, 3]);

/**
 * Looks up a suite and checks that it may be used. Throws IPMI_ERR_UNSUPPORTED_CIPHER_SUITE for ids we
 * do not implement and IPMI_ERR_WEAK_CIPHER_SUITE (saying why) for 0–2 unless `allowWeak`.
 */
export function cipherSuite(id: number, allowWeak = false): CipherSuite {
  const suite = SUITES.get(id);
  if (!suite) {
    throw new IpmiError(
      'IPMI_ERR_UNSUPPORTED_CIPHER_SUITE',
      `cipher suite ${id} is not implemented (supported: 3, 17; 0-2 only when allowWeakCipherSuites is set)`,
      'cipherSuites',
    );
  }
  if (suite.weakness !== undefined && !allowWeak) {
    throw new IpmiError(
      'IPMI_ERR_WEAK_CIPHER_SUITE',
      `cipher suite ${id} refused: ${suite.weakness}; set allowWeakCipherSuites for this server to use it anyway`,
      'cipherSuites',
    );
  }
  return suite;
}

/** Validates a server's ordered list of suites to try; throws as cipherSuite() does, or on an empty list. */
export function selectCipherSuites(ids: readonly number[], allowWeak = false): CipherSuite[] {
  if (ids.length === 0) throw new IpmiError('IPMI_ERR_BAD_CONFIG', 'at least one cipher suite is needed', 'cipherSuites');
  return ids.map((id) => cipherSuite(id, allowWeak));
}
