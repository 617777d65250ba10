/**
 * TLS client options towards a BMC's web interface, the same for every web login (Supermicro's, bmcweb's):
 * the certificate is verified unless `insecureTls` (self-signed BMCs); TLS 1.0/1.1 and legacy ciphers only
 * with `legacyTls` (Node's OpenSSL 3 refuses them by default, old firmware speaks nothing newer), for that
 * BMC alone. Used as undici's `connect` options and as `ws`'s TLS options.
 */
export function webTlsOptions(o: { insecureTls?: boolean | undefined; legacyTls?: boolean | undefined }): {
  rejectUnauthorized: boolean;
  minVersion?: 'TLSv1';
  ciphers?: string;
} {
  return {
    rejectUnauthorized: o.insecureTls !== true,
    ...(o.legacyTls ? { minVersion: 'TLSv1' as const, ciphers: 'DEFAULT:@SECLEVEL=0' } : {}),
  };
}
