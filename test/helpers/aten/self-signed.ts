import { makeSelfSigned } from '../../../src/net/tls.js';

/**
 * A fresh self-signed certificate (RSA 2048), as PEM, from the gateway's own maker: by default for
 * 127.0.0.1 / localhost; `names` replaces those subject alternative names (IP addresses or DNS names).
 */
export function selfSignedCertificate(opts: { commonName?: string; names?: readonly string[] } = {}): { key: string; cert: string } {
  return makeSelfSigned(opts.names ?? ['127.0.0.1', 'localhost'], { commonName: opts.commonName ?? 'ATEN simulator' });
}
