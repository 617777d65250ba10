import { generateKeyPairSync } from 'node:crypto';
import forge from 'node-forge';

/**
 * A fresh self-signed certificate (RSA 2048, valid one day), as PEM: by default for 127.0.0.1 /
 * localhost; `names` replaces those subject alternative names (IP addresses or DNS names).
 */
export function selfSignedCertificate(opts: { commonName?: string; names?: readonly string[] } = {}): { key: string; cert: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const keyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(publicKey.export({ type: 'spki', format: 'pem' }).toString());
  cert.serialNumber = '01' + Date.now().toString(16);
  cert.validity.notBefore = new Date(Date.now() - 60_000);
  cert.validity.notAfter = new Date(Date.now() + 86_400_000);
  const attrs = [{ name: 'commonName', value: opts.commonName ?? 'ATEN simulator' }];
  cert.setSubject(attrs);
  cert.setIssuer(attrs);
  const names = opts.names ?? ['127.0.0.1', 'localhost'];
  // RFC 5280 GeneralName: 7 iPAddress, 2 dNSName.
  const altNames = names.map((n) => (/^[0-9.]+$|:/.test(n) ? { type: 7, ip: n } : { type: 2, value: n }));
  cert.setExtensions([{ name: 'subjectAltName', altNames }]);
  cert.sign(forge.pki.privateKeyFromPem(keyPem), forge.md.sha256.create());
  return { key: keyPem, cert: forge.pki.certificateToPem(cert) };
}
