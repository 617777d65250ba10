import { RfbError } from '../errors.js';
import { SecurityType, VeNCryptSubtype } from './constants.js';

/**
 * Choosing among the TLS security types the RFB client speaks: TLS (18, the anonymous-TLS type of
 * vino and gtk-vnc; registered in rfbproto §7.1.2 "Security Types" but described nowhere else) and
 * VeNCrypt (19, rfbproto "VeNCrypt", version 0.2).
 *
 * - `prefer` (the gateway's default): a TLS type when the server offers one, else what it offers
 *   without TLS (None, VNC Authentication);
 * - `require`: a TLS type or nothing (RFB_ERR_TLS_REQUIRED);
 * - `off`: never a TLS type (for servers whose TLS is broken).
 */
export type TlsMode = 'prefer' | 'require' | 'off';

/**
 * How the TLS session must be set up for a chosen (sub)type: `anonymous` for type 18 and VeNCrypt's
 * TLS* subtypes (anonymous Diffie-Hellman, no certificate: rfbproto "Subtypes with TLS or X509
 * prefix": "server use anonymous X509 certificate (subtypes with the TLS prefix)"), `x509` for the
 * X509* subtypes (a certificate the client verifies).
 */
export interface StartTls {
  kind: 'anonymous' | 'x509';
  /** 18 or 19. */
  securityType: number;
  /** For VeNCrypt: the chosen subtype (VeNCryptSubtype). */
  subtype?: number;
}

/** What a VeNCrypt subtype needs after the TLS handshake. */
export type SubAuth = 'none' | 'vnc' | 'plain';

const SUBTYPE_NAMES = new Map<number, string>(Object.entries(VeNCryptSubtype).map(([name, n]) => [n, name]));

/** "TLSVnc (258)", or just the number for subtypes we have no name for. */
export function subtypeName(n: number): string {
  const name = SUBTYPE_NAMES.get(n);
  return name ? `${name} (${n})` : String(n);
}

/** The TLS kind and sub-authentication of the VeNCrypt subtypes we speak. */
export const SUBTYPES: ReadonlyMap<number, { kind: StartTls['kind']; auth: SubAuth }> = new Map([
  [VeNCryptSubtype.X509None, { kind: 'x509', auth: 'none' }],
  [VeNCryptSubtype.X509Vnc, { kind: 'x509', auth: 'vnc' }],
  [VeNCryptSubtype.X509Plain, { kind: 'x509', auth: 'plain' }],
  [VeNCryptSubtype.TLSNone, { kind: 'anonymous', auth: 'none' }],
  [VeNCryptSubtype.TLSVnc, { kind: 'anonymous', auth: 'vnc' }],
  [VeNCryptSubtype.TLSPlain, { kind: 'anonymous', auth: 'plain' }],
] as const);

/**
 * Our order of preference: certificate-checked (X509*) before anonymous TLS (TLS*), which resists a
 * passive listener only; within each, the one that needs the fewest secrets (None, then a VNC
 * password, then user and password). Plain (256), which sends the password in clear text outside
 * TLS ("should be never used", rfbproto), is never chosen; nor are the SASL and Ident subtypes.
 */
const PREFERENCE = [...SUBTYPES.keys()];

/**
 * The top-level security type to answer with among `offered` (3.7+ list), or undefined for "none
 * of the TLS types": the caller then falls back to None / VNC Authentication unless `mode` is
 * `require`, which throws RFB_ERR_TLS_REQUIRED here.
 */
export function chooseTlsType(offered: readonly number[], mode: TlsMode): number | undefined {
  if (mode === 'off') return undefined;
  // VeNCrypt first: its X509 subtypes can authenticate the server, type 18 never can.
  if (offered.includes(SecurityType.VeNCrypt)) return SecurityType.VeNCrypt;
  if (offered.includes(SecurityType.TLS)) return SecurityType.TLS;
  if (mode === 'require') {
    throw new RfbError(
      'RFB_ERR_TLS_REQUIRED',
      `tls is "require" but the server offers no TLS security type (it offers [${offered.join(', ')}]; TLS is 18, VeNCrypt 19)`,
      'security-types',
    );
  }
  return undefined;
}

/**
 * The VeNCrypt subtype to ask for among `offered`, given the credentials we have. Throws
 * RFB_ERR_PASSWORD_REQUIRED when every usable subtype needs a credential we lack, else
 * RFB_ERR_NO_SECURITY_TYPE naming what was offered.
 */
export function chooseSubtype(offered: readonly number[], creds: { password?: string; user?: string }): number {
  const hasPassword = creds.password !== undefined && creds.password !== '';
  const hasUser = creds.user !== undefined && creds.user !== '';
  const known = PREFERENCE.filter((s) => offered.includes(s));
  for (const s of known) {
    const auth = SUBTYPES.get(s)!.auth;
    if (auth === 'none' || (auth === 'vnc' && hasPassword) || (auth === 'plain' && hasPassword && hasUser)) return s;
  }
  if (known.length > 0) {
    const needs = known.map((s) => (SUBTYPES.get(s)!.auth === 'plain' ? `${subtypeName(s)} needs user and password` : `${subtypeName(s)} needs a password`));
    throw new RfbError(
      'RFB_ERR_PASSWORD_REQUIRED',
      `the server's VeNCrypt subtypes all need credentials that are not configured: ${needs.join('; ')}`,
      'VeNCrypt.subtypes',
    );
  }
  throw new RfbError(
    'RFB_ERR_NO_SECURITY_TYPE',
    `no VeNCrypt subtype we support (${PREFERENCE.map(subtypeName).join(', ')}) among [${offered.map(subtypeName).join(', ')}]`,
    'VeNCrypt.subtypes',
  );
}

/**
 * The Plain credentials (rfbproto "Plain subtype"): U32 username-length, U32 password-length, then
 * both as UTF-8 (the spec's "String Encodings" recommendation). Only ever sent inside TLS.
 */
export function encodePlainCredentials(user: string, password: string): Buffer {
  const u = Buffer.from(user, 'utf8');
  const p = Buffer.from(password, 'utf8');
  const out = Buffer.alloc(8 + u.length + p.length);
  out.writeUInt32BE(u.length, 0);
  out.writeUInt32BE(p.length, 4);
  u.copy(out, 8);
  p.copy(out, 8 + u.length);
  u.fill(0);
  p.fill(0);
  return out;
}
