import { isIP } from 'node:net';
import { connect, type ConnectionOptions, type TLSSocket } from 'node:tls';
import { webTlsOptions } from '../util/bmc-tls.js';

/**
 * A look at a TLS port: does it speak TLS, which version, does its certificate verify for this host
 * (what the config's `insecureTls` is about), and does it need TLS 1.0/1.1 or legacy ciphers
 * (`legacyTls`: X8/X9 firmware). The certificate is never required to verify here: looking sends no
 * secret. The legacy settings are the ones the gateway uses for such a BMC (src/util/bmc-tls.ts),
 * so "works with legacy" here means "works with legacyTls: true" there.
 */
export interface TlsFacts {
  readonly protocol: string;
  readonly cipher: string;
  /** The modern handshake failed and the legacy one worked. */
  readonly legacyNeeded: boolean;
  /** Chain and host name check out against the system's CAs. */
  readonly verified: boolean;
  readonly verifyError?: string;
  readonly subject?: string;
  readonly issuer?: string;
  readonly selfSigned: boolean;
  readonly validTo?: string;
  readonly fingerprint256?: string;
}

export type TlsLook =
  | { kind: 'tls'; facts: TlsFacts; firstBytes?: Buffer; laterError?: string }
  | { kind: 'failed'; message: string }
  | { kind: 'refused' | 'unreachable' | 'timeout' | 'aborted'; message: string };

export interface TlsLookOptions {
  timeoutMs: number;
  signal: AbortSignal;
  /** After the handshake, wait (up to the timeout) for the server's first bytes or alert. */
  readFirstBytes?: boolean;
}

/** Connects once with Node's defaults and, if the TLS handshake itself fails, once more with the legacy settings. */
export async function lookAtTls(host: string, port: number, o: TlsLookOptions): Promise<TlsLook> {
  const modern = await attempt(host, port, {}, o);
  if (modern.kind !== 'failed') return modern;
  const legacy = await attempt(host, port, webTlsOptions({ insecureTls: true, legacyTls: true }), o);
  if (legacy.kind === 'tls') return { ...legacy, facts: { ...legacy.facts, legacyNeeded: true } };
  return modern;
}

function attempt(
  host: string,
  port: number,
  extra: Pick<ConnectionOptions, 'minVersion' | 'ciphers' | 'rejectUnauthorized'>,
  o: TlsLookOptions,
): Promise<TlsLook> {
  return new Promise((resolve) => {
    if (o.signal.aborted) {
      resolve({ kind: 'aborted', message: 'stopped' });
      return;
    }
    let socket: TLSSocket | undefined;
    let settled = false;
    let secure = false;
    let facts: TlsFacts | undefined;
    const finish = (look: TlsLook) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      o.signal.removeEventListener('abort', onAbort);
      socket?.destroy();
      resolve(look);
    };
    const onAbort = () => finish({ kind: 'aborted', message: 'stopped' });
    o.signal.addEventListener('abort', onAbort, { once: true });
    let timer = setTimeout(() => finish({ kind: 'timeout', message: `no TLS handshake within ${o.timeoutMs} ms` }), o.timeoutMs);
    socket = connect({
      host,
      port,
      // SNI carries names only (RFC 6066 §3); for an address Node checks the certificate's IP SANs.
      ...(isIP(host) === 0 ? { servername: host } : {}),
      rejectUnauthorized: false,
      ...extra,
    });
    socket.once('secureConnect', () => {
      secure = true;
      facts = certificateFacts(socket);
      if (!o.readFirstBytes) {
        finish({ kind: 'tls', facts });
        return;
      }
      clearTimeout(timer);
      timer = setTimeout(() => finish({ kind: 'tls', facts: facts! }), o.timeoutMs);
    });
    socket.on('data', (chunk: Buffer) => {
      if (facts) finish({ kind: 'tls', facts, firstBytes: chunk });
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      // After the handshake: the server's alert (e.g. "certificate required", TLS 1.3 sends it then).
      if (secure && facts) {
        finish({ kind: 'tls', facts, laterError: err.code ?? err.message });
        return;
      }
      const code = err.code ?? '';
      if (code === 'ECONNREFUSED') finish({ kind: 'refused', message: 'connection refused' });
      else if (/^E[A-Z]+$/.test(code) && !code.startsWith('ERR_')) finish({ kind: 'unreachable', message: `${code}: ${err.message}` });
      else finish({ kind: 'failed', message: `${code ? `${code}: ` : ''}${err.message}` });
    });
    socket.on('close', () => {
      if (facts) finish({ kind: 'tls', facts });
      else finish({ kind: 'failed', message: 'the server closed the connection during the TLS handshake' });
    });
  });
}

export function certificateFacts(socket: TLSSocket): TlsFacts {
  const cert = socket.getPeerCertificate(true);
  const cipher = socket.getCipher();
  const name = (dn: unknown): string | undefined => {
    if (!dn || typeof dn !== 'object') return undefined;
    const d = dn as Record<string, unknown>;
    const cn = d['CN'] ?? d['O'];
    return typeof cn === 'string' ? cn : Array.isArray(cn) ? cn.join(', ') : undefined;
  };
  const present = cert && Object.keys(cert).length > 0;
  const err = socket.authorizationError as unknown;
  return {
    protocol: socket.getProtocol() ?? 'unknown',
    cipher: cipher?.name ?? 'unknown',
    legacyNeeded: false,
    verified: socket.authorized,
    ...(socket.authorized ? {} : { verifyError: err instanceof Error ? err.message : typeof err === 'string' ? err : 'not verified' }),
    ...(present
      ? {
          subject: name(cert.subject),
          issuer: name(cert.issuer),
          validTo: cert.valid_to,
          fingerprint256: cert.fingerprint256,
        }
      : {}),
    // Self-signed = self-issued: the issuer name is the subject name. OpenSSL links the certificate to
    // itself as its issuer only when it also qualifies as a CA for chain building, which a BMC's (or
    // node-forge's) self-signed leaf often does not, so the names decide.
    selfSigned: present ? cert.issuerCertificate === cert || sameName(cert.subject, cert.issuer) : false,
  };
}

function sameName(a: unknown, b: unknown): boolean {
  if (typeof a !== 'object' || a === null || typeof b !== 'object' || b === null) return false;
  const ka = Object.keys(a).sort();
  const kb = Object.keys(b).sort();
  return (
    ka.length > 0 &&
    JSON.stringify(ka.map((k) => [k, (a as Record<string, unknown>)[k]])) === JSON.stringify(kb.map((k) => [k, (b as Record<string, unknown>)[k]]))
  );
}

/** In words, for a summary: "TLSv1.3, certificate CN=x (self-signed, not verified: …)". */
export function describeTls(f: TlsFacts): string {
  const cert = f.subject ? `certificate ${f.subject}` : 'no certificate';
  const trust = f.verified ? 'verified' : `${f.selfSigned ? 'self-signed, ' : ''}not verified: ${f.verifyError}`;
  return `${f.protocol}${f.legacyNeeded ? ' (only with legacy TLS settings)' : ''}, ${cert} (${trust})`;
}
