import { describe, expect, it } from 'vitest';
import { cipherSuite, selectCipherSuites } from '../../../../protocols/ipmi/cipher-suites.js';
import { parseKg, passwordKey, userNameBytes } from '../../../../protocols/ipmi/keys.js';
import { expectCode } from './helpers.js';

describe('cipher suite selection', () => {
  it('takes 3 and 17 with their algorithm numbers', () => {
    expect(selectCipherSuites([17, 3]).map((s) => [s.id, s.authAlgorithm, s.integrityAlgorithm, s.confidentialityAlgorithm, s.authCodeLength])).toEqual([
      [17, 3, 4, 1, 16],
      [3, 1, 1, 1, 12],
    ]);
  });

  it('refuses 0, 1, 2 unless explicitly allowed, saying why', () => {
    expect(expectCode(() => cipherSuite(0), 'IPMI_ERR_WEAK_CIPHER_SUITE').message).toMatch(/no authentication.*any password/);
    expect(expectCode(() => selectCipherSuites([17, 1]), 'IPMI_ERR_WEAK_CIPHER_SUITE').message).toMatch(/no integrity/);
    expect(expectCode(() => cipherSuite(2), 'IPMI_ERR_WEAK_CIPHER_SUITE').message).toMatch(/clear text/);
    expect(expectCode(() => cipherSuite(2), 'IPMI_ERR_WEAK_CIPHER_SUITE').message).toMatch(/allowWeakCipherSuites/);
    expect(selectCipherSuites([0, 1, 2], true).map((s) => s.id)).toEqual([0, 1, 2]);
  });

  it('refuses suites we do not implement and an empty list', () => {
    expectCode(() => cipherSuite(6), 'IPMI_ERR_UNSUPPORTED_CIPHER_SUITE');
    expectCode(() => cipherSuite(16, true), 'IPMI_ERR_UNSUPPORTED_CIPHER_SUITE');
    expectCode(() => selectCipherSuites([]), 'IPMI_ERR_BAD_CONFIG');
  });
});

describe('credentials', () => {
  it('bounds user names (16) and passwords (20), parses Kg as hex', () => {
    expect(userNameBytes('admin').toString()).toBe('admin');
    expectCode(() => userNameBytes('x'.repeat(17)), 'IPMI_ERR_BAD_CONFIG');
    expect(passwordKey('p'.repeat(20)).length).toBe(20);
    expectCode(() => passwordKey('p'.repeat(21)), 'IPMI_ERR_BAD_CONFIG');
    expect(parseKg('0x0102').toString('hex')).toBe('0102');
    expect(parseKg('ABCDEF').toString('hex')).toBe('abcdef');
    for (const bad of ['', '0x', '123', 'zz', '00'.repeat(21)]) expectCode(() => parseKg(bad), 'IPMI_ERR_BAD_CONFIG');
  });
});
