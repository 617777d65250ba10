import { X509Certificate, createPrivateKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import forge from 'node-forge';
import type { ConfigReader, Path } from '../config/reader.js';

/** `tls:` (docs/config.md): PEM files (reloaded on SIGHUP), or a self-signed certificate kept in `stateDir`. */
export type TlsConfig = { kind: 'files'; cert: string; key: string } | { kind: 'self-signed' };

export function readTlsConfig(r: ConfigReader, path: Path, raw: unknown): TlsConfig | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (raw === 'self-signed') return { kind: 'self-signed' };
  if (typeof raw === 'string') {
    r.problem(path, `must be "self-signed" or a mapping { cert, key }, got "${raw}"`);
    return undefined;
  }
  const o = r.object(path, raw, ['cert', 'key']);
  const cert = r.string([...path, 'cert'], o?.cert, { required: true });
  const key = r.string([...path, 'key'], o?.key, { required: true });
  return cert && key ? { kind: 'files', cert, key } : undefined;
}

export interface TlsMaterial {
  cert: Buffer;
  key: Buffer;
  /** SHA-256 fingerprint of the certificate, colon-separated hex (what browsers and openssl show). */
  fingerprint: string;
  /** Where it was read from (for logs). */
  source: string;
}

/**
 * Reads the certificate and key (files) or the self-signed pair in `<stateDir>/tls/` (made on first
 * start). Throws with a sentence naming the file when something is missing or the pair does not match.
 */
export function loadTls(cfg: TlsConfig, o: { stateDir: string | undefined; names: readonly string[] }): TlsMaterial & { created: boolean } {
  let certPath: string;
  let keyPath: string;
  let created = false;
  if (cfg.kind === 'files') {
    certPath = cfg.cert;
    keyPath = cfg.key;
  } else {
    if (!o.stateDir) throw new Error('tls: self-signed needs stateDir (where the certificate is kept)');
    const dir = join(o.stateDir, 'tls');
    certPath = join(dir, 'self-signed.crt');
    keyPath = join(dir, 'self-signed.key');
    if (!existsSync(certPath) || !existsSync(keyPath)) {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      const pair = makeSelfSigned(o.names);
      // Key first, each written whole then renamed: a crash never leaves a certificate without its key.
      writeAtomically(keyPath, pair.key, 0o600);
      writeAtomically(certPath, pair.cert, 0o644);
      created = true;
    }
  }
  const read = (p: string, what: string): Buffer => {
    try {
      return readFileSync(p);
    } catch (err) {
      throw new Error(`tls: cannot read the ${what} ${p}: ${(err as Error).message}`);
    }
  };
  const cert = read(certPath, 'certificate');
  const key = read(keyPath, 'key');
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(cert);
  } catch (err) {
    throw new Error(`tls: ${certPath} is not a PEM certificate: ${(err as Error).message}`);
  }
  let matches = false;
  try {
    matches = x509.checkPrivateKey(createPrivateKey(key));
  } catch (err) {
    throw new Error(`tls: ${keyPath} is not a PEM private key: ${(err as Error).message}`);
  }
  if (!matches) throw new Error(`tls: the key ${keyPath} does not belong to the certificate ${certPath}`);
  return { cert, key, fingerprint: x509.fingerprint256, source: cfg.kind === 'files' ? certPath : `${certPath} (self-signed)`, created };
}

function writeAtomically(path: string, data: string, mode: number): void {
  const tmp = `${path}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(tmp, data, { mode, flag: 'wx' });
  renameSync(tmp, path);
}

/**
 * A self-signed certificate for `names` (host names and addresses: the subjectAltName browsers check),
 * valid ten years, built and signed with node-forge; the RSA-2048 key comes from Node's crypto (much
 * faster than forge's JavaScript key generation) and is handed to forge as PEM.
 */
export function makeSelfSigned(names: readonly string[], o: { commonName?: string } = {}): { cert: string; key: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const keyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const pubPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(pubPem);
  cert.serialNumber = `01${randomBytes(15).toString('hex')}`;
  cert.validity.notBefore = new Date(Date.now() - 60_000);
  cert.validity.notAfter = new Date(Date.now() + 10 * 365 * 86_400_000);
  const cn = o.commonName ?? names.find((n) => !isIP(n)) ?? names[0] ?? 'bmc-gateway';
  const attrs = [
    { name: 'commonName', value: cn },
    { name: 'organizationName', value: 'bmc-gateway (self-signed)' },
  ];
  cert.setSubject(attrs);
  cert.setIssuer(attrs);
  const unique = [...new Set(names)];
  cert.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
    { name: 'extKeyUsage', serverAuth: true },
    { name: 'subjectAltName', altNames: unique.map((n) => (isIP(n) ? { type: 7, ip: n } : { type: 2, value: n })) },
  ]);
  cert.sign(forge.pki.privateKeyFromPem(keyPem), forge.md.sha256.create());
  return { cert: forge.pki.certificateToPem(cert), key: keyPem };
}
