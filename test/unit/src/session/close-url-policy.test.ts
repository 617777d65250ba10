import { describe, expect, it } from 'vitest';
import { CloseUrlPolicy, parseCloseUrlAllowEntry, type Resolver } from '../../../../src/session/close-url-policy.js';

/** A resolver of our own: names resolve to what the test says, nothing reaches a DNS server. */
function fakeDns(table: Record<string, string[]>): Resolver {
  return async (name) => {
    const a = table[name];
    if (!a) throw Object.assign(new Error(`no such name ${name}`), { code: 'ENOTFOUND' });
    return a.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
}

const dns = fakeDns({
  'panel.example.com': ['203.0.113.10'],
  'internal.example.com': ['10.0.0.5'],
  'mixed.example.com': ['203.0.113.11', '192.168.1.1'],
  'metadata.example.com': ['169.254.169.254'],
  'a.corp.example': ['10.9.9.9'],
});

const code = async (p: Promise<unknown>) =>
  p.then(
    () => 'allowed',
    (e: { code: string }) => e.code,
  );

describe('sessions.closeUrlAllow', () => {
  it('parses every documented form and refuses the rest', () => {
    for (const ok of [
      'public',
      '10.0.0.0/8',
      '10.1.2.3',
      '10.1.2.3:8443',
      '[fd00::5]:443',
      'fd00::/8',
      'panel.example.com',
      'panel.example.com:8080',
      '*.example.com',
      '*.example.com:443',
    ]) {
      expect(parseCloseUrlAllowEntry(ok), ok).toBeDefined();
    }
    for (const bad of ['', 'http://panel.example.com', 'panel.example.com:0', 'panel.example.com:70000', '*', 'pan el', '10.0.0.0/40', '[panel]:80']) {
      expect(parseCloseUrlAllowEntry(bad), bad).toBeUndefined();
    }
  });

  it('by default (public): public addresses pass; loopback, private, link-local refused after resolution', async () => {
    const p = CloseUrlPolicy.fromText(['public'], { resolve: dns });
    expect(await p.check('https://panel.example.com/close.php?x=1')).toBe('https://panel.example.com/close.php?x=1');
    expect(await code(p.check('http://127.0.0.1:8080/close'))).toBe('GW_ERR_CLOSE_URL_REFUSED');
    expect(await code(p.check('http://[::1]/close'))).toBe('GW_ERR_CLOSE_URL_REFUSED');
    expect(await code(p.check('http://internal.example.com/close'))).toBe('GW_ERR_CLOSE_URL_REFUSED');
    expect(await code(p.check('http://metadata.example.com/latest/meta-data'))).toBe('GW_ERR_CLOSE_URL_REFUSED');
    // One internal address among public ones: refused whole.
    expect(await code(p.check('http://mixed.example.com/'))).toBe('GW_ERR_CLOSE_URL_REFUSED');
    expect(await code(p.check('http://unknown.example.com/'))).toBe('GW_ERR_CLOSE_URL_REFUSED');
    expect(await code(p.check('ftp://panel.example.com/'))).toBe('GW_ERR_BAD_REQUEST');
    expect(await code(p.check('/relative'))).toBe('GW_ERR_BAD_REQUEST');
    await expect(p.check('http://169.254.169.254/')).rejects.toThrow(/link-local.*closeUrlAllow/);
  });

  it('listed hosts, networks and ports are allowed, nothing else', async () => {
    const p = CloseUrlPolicy.fromText(['internal.example.com', '127.0.0.1:8080', '*.corp.example', '192.168.0.0/16'], { resolve: dns });
    expect(await code(p.check('http://internal.example.com/c'))).toBe('allowed');
    expect(await code(p.check('http://127.0.0.1:8080/c'))).toBe('allowed');
    expect(await code(p.check('http://127.0.0.1:8081/c'))).toBe('GW_ERR_CLOSE_URL_REFUSED');
    expect(await code(p.check('http://a.corp.example/c'))).toBe('allowed');
    expect(await code(p.check('http://192.168.3.4/c'))).toBe('allowed');
    // Without "public", a public address is not listed either.
    expect(await code(p.check('https://panel.example.com/c'))).toBe('GW_ERR_CLOSE_URL_REFUSED');
  });

  it('a name that changes its answer between the API call and the call (rebinding) is checked again', async () => {
    let answer = ['203.0.113.10'];
    const p = CloseUrlPolicy.fromText(['public'], { resolve: async () => answer.map((address) => ({ address, family: 4 })) });
    expect(await code(p.check('http://rebind.example.com/'))).toBe('allowed');
    answer = ['127.0.0.1'];
    expect(await code(p.resolveAllowed('rebind.example.com', 80))).toBe('GW_ERR_CLOSE_URL_REFUSED');
  });
});
