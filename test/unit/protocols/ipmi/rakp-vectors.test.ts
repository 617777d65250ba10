import { describe, expect, it } from 'vitest';
import { cipherSuite } from '../../../../protocols/ipmi/cipher-suites.js';
import { deriveSessionKeys, passwordKey } from '../../../../protocols/ipmi/keys.js';
import { hmac } from '../../../../protocols/ipmi/keys.js';
import { rakp2AuthCode, rakp3AuthCode, rakp4Icv, verifyRakp2, verifyRakp4, type RakpContext } from '../../../../protocols/ipmi/rakp.js';
import { IpmiError } from '../../../../protocols/errors.js';

// Vectors from shared/notes/ipmi.md §1.9: suite 3 taken from a real ipmitool ↔ ipmi_sim trace,
// suite 17 from ipmitool -C 17 against a fake BMC (ipmitool computed and accepted them). Both were
// re-derived in Python's hmac module, independently of this code.
const h = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const le = (wire: string) => h(wire).readUInt32LE(0);

const common = {
  consoleSessionId: le('a4a3a2a0'),
  bmcGuid: h('a123456789abcdefa123456789abcdef'),
  role: 0x14,
  userName: Buffer.from('admin'),
};

const VECTORS = [
  {
    suite: 3,
    bmcSessionId: le('82070000'),
    rm: '79e05bbd091ae85330cdafba3a1387ff',
    rc: '65587dc9dd97fc268b3962aed35b75a9',
    rakp2: '7c15bf128a22c7c00a5d2eeefdb64047032fae88',
    rakp3: '03c0be5d0fbae7899fc7b85fd1c9d466aae1dd30',
    sik: 'b75e0575b2650ec402aee0d5ae26dccb0407250e',
    k1: '10086b47c16c401dc16d50d7ee9e1285fd098fee',
    k2: '510c4528b48a1aa7a8138efd70bd13ee2caaece6',
    rakp4: '476a8a45b964f8003dda934e',
  },
  {
    suite: 17,
    bmcSessionId: le('4d66eaa0'),
    rm: '8a2371680f1895ae40db1c716dbd9ec1',
    rc: '06ccaa89fc46ed7c0a2a5b28ff392f31',
    rakp2: 'e5d7caab724b9880556b16f39dbecbb43a04d145768c33788df4b98c69376a24',
    rakp3: '1fe3f81fef0562d1e8b1864a0e2896088bd871ef2ea8da402960d43443a0524f',
    sik: '14840d90c046ef2d5554b00df30185d6d67be50ccd96e5edccb701a1d0258106',
    k1: 'cef3447584bc10727d0ea9ea1d75efcd736733638bf7122990ea0be73dd48b20',
    k2: 'e6b4996e22eee26a33e85c985f0ec13d8bfe1248048e611f6192e9c7be7d70b0',
    rakp4: '44c413e0f2a61b33f29fb1e5e6cea1d7',
  },
] as const;

describe.each(VECTORS)('cipher suite $suite key exchange (notes §1.9 vectors)', (v) => {
  const suite = cipherSuite(v.suite);
  const kuid = passwordKey('secret');
  const ctx: RakpContext = { ...common, suite, bmcSessionId: v.bmcSessionId, rm: h(v.rm), rc: h(v.rc) };

  it('computes the RAKP2 and RAKP3 key exchange auth codes', () => {
    expect(rakp2AuthCode(ctx, kuid).toString('hex')).toBe(v.rakp2);
    expect(rakp3AuthCode(ctx, kuid).toString('hex')).toBe(v.rakp3);
  });

  it('derives SIK, K1, K2 and the AES key', () => {
    const keys = deriveSessionKeys(suite, { key: kuid, rm: ctx.rm, rc: ctx.rc, role: ctx.role, userName: ctx.userName });
    expect(keys.sik.toString('hex')).toBe(v.sik);
    expect(keys.k1.toString('hex')).toBe(v.k1);
    expect(keys.k2.toString('hex')).toBe(v.k2);
    expect(keys.aesKey.toString('hex')).toBe(v.k2.slice(0, 32));
  });

  it('computes the truncated RAKP4 ICV', () => {
    expect(rakp4Icv(ctx, h(v.sik)).toString('hex')).toBe(v.rakp4);
  });

  it('accepts the right RAKP2 / RAKP4 and names a wrong password or key', () => {
    expect(() => verifyRakp2(ctx, kuid, h(v.rakp2))).not.toThrow();
    expect(() => verifyRakp4(ctx, h(v.sik), h(v.rakp4))).not.toThrow();
    const wrong = (() => {
      try {
        verifyRakp2(ctx, passwordKey('Secret'), h(v.rakp2));
      } catch (e) {
        return e;
      }
      return null;
    })();
    expect(wrong).toBeInstanceOf(IpmiError);
    expect((wrong as IpmiError).code).toBe('IPMI_ERR_BAD_PASSWORD');
    const badIcv = h(v.rakp4);
    badIcv[0]! ^= 1;
    expect(() => verifyRakp4(ctx, h(v.sik), badIcv)).toThrow(expect.objectContaining({ code: 'IPMI_ERR_BAD_RAKP4' }));
    // A truncated auth code is a mismatch, never a crash.
    expect(() => verifyRakp2(ctx, kuid, h(v.rakp2).subarray(0, 5))).toThrow(expect.objectContaining({ code: 'IPMI_ERR_BAD_PASSWORD' }));
  });

  it('keys SIK with Kg when one is given (Kuid still keys RAKP2/3)', () => {
    const kg = h('0102030405060708090a0b0c0d0e0f1011121314');
    const keys = deriveSessionKeys(suite, { key: kg, rm: ctx.rm, rc: ctx.rc, role: ctx.role, userName: ctx.userName });
    const hash = v.suite === 3 ? 'sha1' : 'sha256';
    const expected = hmac(hash, kg, ctx.rm, ctx.rc, Buffer.of(0x14, 5), Buffer.from('admin'));
    expect(keys.sik.equals(expected)).toBe(true);
    expect(keys.sik.toString('hex')).not.toBe(v.sik);
  });
});

describe('suite 17 first authenticated packet (notes §1.9)', () => {
  it('HMAC-SHA256-128 over auth type … next header with K1', () => {
    const input = h('06c04d66eaa0030000002000 04fc916edc6c53385f6a8b0b821bbc2e 883f6e3e08fa21afbe72f146d7135370 ffff0207');
    const k1 = h(VECTORS[1].k1);
    expect(hmac('sha256', k1, input).subarray(0, 16).toString('hex')).toBe('8ee44df88c0c9313f013651dbcb0d572');
  });
});
