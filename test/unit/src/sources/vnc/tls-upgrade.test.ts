import { describe, expect, it } from 'vitest';
import { tlsFailure, tlsOptions } from '../../../../../src/sources/vnc/tls-upgrade.js';

const settings = { host: 'bmc.example', insecureTls: false, legacyTls: false, ca: undefined };

describe('TLS options for the vnc source', () => {
  it('anonymous kinds: anonymous (EC)DH suites at security level 0 for this connection, TLS 1.2, nothing to verify', () => {
    const o = tlsOptions({ kind: 'anonymous', securityType: 19, subtype: 257 }, settings);
    expect(o).toMatchObject({ rejectUnauthorized: false, maxVersion: 'TLSv1.2', minVersion: 'TLSv1.2' });
    expect(o.ciphers).toMatch(/^aNULL:.*@SECLEVEL=0$/);
    expect(tlsOptions({ kind: 'anonymous', securityType: 18 }, { ...settings, legacyTls: true }).minVersion).toBe('TLSv1');
  });

  it('x509 kinds: verified, with the host name (SNI only for names), ca when given, legacy only when asked', () => {
    expect(tlsOptions({ kind: 'x509', securityType: 19, subtype: 261 }, settings)).toEqual({
      rejectUnauthorized: true,
      host: 'bmc.example',
      servername: 'bmc.example',
    });
    const ip = tlsOptions({ kind: 'x509', securityType: 19, subtype: 261 }, { ...settings, host: '10.0.0.5', ca: 'PEM', insecureTls: true, legacyTls: true });
    expect(ip).toEqual({ rejectUnauthorized: false, host: '10.0.0.5', ca: 'PEM', minVersion: 'TLSv1', ciphers: 'DEFAULT:@SECLEVEL=0' });
  });

  it('failures say what to configure', () => {
    const cfg = { host: 'h', port: 5901, insecureTls: false, ca: undefined };
    const err = (code: string) => Object.assign(new Error('x'), { code });
    const selfSigned = tlsFailure(err('DEPTH_ZERO_SELF_SIGNED_CERT'), { kind: 'x509', securityType: 19, subtype: 261 }, cfg);
    expect(selfSigned.code).toBe('GW_ERR_BMC_TLS');
    expect(selfSigned.message).toMatch(/h:5901 \(VeNCrypt X509Vnc \(261\)\) failed: DEPTH_ZERO_SELF_SIGNED_CERT: x; set console\.ca/);
    expect(tlsFailure(err('ERR_TLS_CERT_ALTNAME_INVALID'), { kind: 'x509', securityType: 19, subtype: 260 }, { ...cfg, ca: 'PEM' }).message).toMatch(
      /does not verify against console\.ca/,
    );
    expect(tlsFailure(err('ERR_SSL_UNSUPPORTED_PROTOCOL'), { kind: 'anonymous', securityType: 18 }, cfg).message).toMatch(
      /TLS \(security type 18\).*legacyTls: true/,
    );
    expect(tlsFailure(new Error('closed'), { kind: 'anonymous', securityType: 18 }, cfg).message).toMatch(/failed: closed$/);
  });
});
