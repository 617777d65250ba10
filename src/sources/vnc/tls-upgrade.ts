import { isIP } from 'node:net';
import type { Duplex } from 'node:stream';
import { connect as tlsConnect, type ConnectionOptions, type TLSSocket } from 'node:tls';
import type { StartTls } from '../../../protocols/rfb/client-handshake.js';
import { subtypeName } from '../../../protocols/rfb/tls-security.js';
import { GatewayError } from '../../errors.js';

/** What the configuration says about TLS toward one BMC (console keys insecureTls, legacyTls, ca). */
export interface VncTlsSettings {
  /** The BMC's address as configured: the name (or IP address) its certificate must carry. */
  host: string;
  /** Accept an X509 certificate that does not verify (self-signed, wrong name, expired). */
  insecureTls: boolean;
  /** Allow TLS 1.0/1.1 and the legacy ciphers OpenSSL 3 refuses at its default security level. */
  legacyTls: boolean;
  /** PEM CA certificate(s) to verify X509 certificates against instead of the system store. */
  ca: string | undefined;
}

/**
 * Anonymous Diffie-Hellman suites, all OpenSSL has for TLS 1.2 and below (TLS 1.3 has none): what
 * the TLS (18) type and VeNCrypt's TLS* subtypes use. TigerVNC's server (GnuTLS "NORMAL:+ANON-ECDH:
 * +ANON-DH") settles on one of these. OpenSSL 3 keeps them at security level 0 only, because without
 * a certificate nothing authenticates the server: the channel resists a passive listener, not a
 * man in the middle. The level is lowered for this one connection, never process-wide.
 */
const ANONYMOUS_CIPHERS = 'aNULL:!eNULL:!EXPORT:!LOW:@SECLEVEL=0';

/** The tls.connect options for one upgrade (exported for tests). */
export function tlsOptions(start: StartTls, s: VncTlsSettings): ConnectionOptions {
  if (start.kind === 'anonymous') {
    return {
      // Nothing to verify: there is no certificate. (Node would otherwise fail "no peer certificate".)
      rejectUnauthorized: false,
      ciphers: ANONYMOUS_CIPHERS,
      maxVersion: 'TLSv1.2',
      minVersion: s.legacyTls ? 'TLSv1' : 'TLSv1.2',
    };
  }
  return {
    rejectUnauthorized: !s.insecureTls,
    // checkServerIdentity (Node's default, RFC 6125) matches the certificate against this name, or
    // against its IP address SANs when the configured host is an address.
    host: s.host,
    // SNI carries names only (RFC 6066 §3).
    ...(isIP(s.host) === 0 ? { servername: s.host } : {}),
    ...(s.ca !== undefined ? { ca: s.ca } : {}),
    ...(s.legacyTls ? { minVersion: 'TLSv1' as const, ciphers: 'DEFAULT:@SECLEVEL=0' } : {}),
  };
}

/**
 * Runs the TLS client handshake over `stream` (the BMC connection, after the RFB bytes that asked
 * for TLS) and resolves with the TLS socket once it is up and, for X509 kinds, the certificate was
 * accepted. Rejects with the TLS error (ERR_SSL_*, DEPTH_ZERO_SELF_SIGNED_CERT,
 * ERR_TLS_CERT_ALTNAME_INVALID, …) or when the stream closes first. The stream belongs to the TLS
 * socket from now on: destroying one destroys the other.
 */
export function upgradeToTls(stream: Duplex, start: StartTls, settings: VncTlsSettings): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const tls = tlsConnect({ ...tlsOptions(start, settings), socket: stream });
    const fail = (err: Error): void => {
      tls.destroy();
      reject(err);
    };
    tls.once('error', fail);
    tls.once('close', () => reject(new Error('the BMC closed the connection during the TLS handshake')));
    tls.once('secureConnect', () => {
      tls.removeListener('error', fail);
      resolve(tls);
    });
  });
}

/** Node's certificate verification failures (X509_V_ERR_* as Node names them, and its own name check). */
const CERTIFICATE_ERRORS = /CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)_ISSUER|ALTNAME|CHAIN/;

/**
 * The API error for a failed TLS upgrade: GW_ERR_BMC_TLS naming the security type and what to
 * configure. The message carries Node's reason code, never key material.
 */
export function tlsFailure(err: Error, start: StartTls, cfg: { host: string; port: number; insecureTls: boolean; ca: string | undefined }): GatewayError {
  const code = (err as NodeJS.ErrnoException).code;
  const what = start.securityType === 18 ? 'TLS (security type 18)' : `VeNCrypt ${subtypeName(start.subtype ?? 0)}`;
  let hint = '';
  if (code !== undefined && CERTIFICATE_ERRORS.test(code)) {
    hint =
      cfg.ca === undefined
        ? "; set console.ca to the BMC's certificate (or its CA), or insecureTls: true to accept any certificate"
        : '; the certificate does not verify against console.ca (or does not carry the configured host)';
  } else if (code !== undefined && /VERSION|PROTOCOL|CIPHER|HANDSHAKE_FAILURE|DH_KEY|SECURITY_LEVEL/.test(code)) {
    hint = '; for a BMC that only speaks TLS 1.0/1.1 or old ciphers set legacyTls: true';
  }
  return new GatewayError(
    'GW_ERR_BMC_TLS',
    `the TLS handshake with the BMC at ${cfg.host}:${cfg.port} (${what}) failed: ${code ? `${code}: ` : ''}${err.message}${hint}`,
    { cause: err },
  );
}
