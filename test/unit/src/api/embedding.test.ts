import { describe, expect, it } from 'vitest';
import { PageHeaders, readWebConfig } from '../../../../src/api/embedding.js';
import { ConfigReader } from '../../../../src/config/reader.js';

const PUBLIC = 'https://gw.example.net';

describe('web.frameAncestors', () => {
  it("default: frame-ancestors 'self', X-Frame-Options SAMEORIGIN; the rest of the CSP stays strict", () => {
    const h = new PageHeaders(readWebConfig(new ConfigReader(), ['web'], undefined)).for(undefined);
    expect(h['x-frame-options']).toBe('SAMEORIGIN');
    expect(h['content-security-policy']).toContain("frame-ancestors 'self';");
    expect(h['content-security-policy']).toContain("script-src 'self';");
    expect(h['content-security-policy']).not.toMatch(/script-src[^;]*unsafe/);
  });

  it('listed panels: CSP names them, X-Frame-Options ALLOW-FROM the framing one (old browsers)', () => {
    const r = new ConfigReader();
    const cfg = readWebConfig(r, ['web'], { frameAncestors: ["'self'", 'https://panel.example.com', 'https://*.hoster.example'] });
    expect(r.problems).toEqual([]);
    const p = new PageHeaders(cfg);
    expect(p.for(undefined)['content-security-policy']).toContain("frame-ancestors 'self' https://panel.example.com https://*.hoster.example;");
    expect(p.for('https://panel.example.com/customer/42')['x-frame-options']).toBe('ALLOW-FROM https://panel.example.com');
    expect(p.for('https://eu.hoster.example/x')['x-frame-options']).toBe('ALLOW-FROM https://eu.hoster.example');
    expect(p.for('https://evil.example/')['x-frame-options']).toBe('ALLOW-FROM https://panel.example.com');
    expect(new PageHeaders(readWebConfig(r, ['web'], { frameAncestors: ["'none'"] })).for(undefined)['x-frame-options']).toBe('DENY');
  });

  it('refuses what is not a CSP source origin', () => {
    const r = new ConfigReader();
    readWebConfig(r, ['web'], { frameAncestors: ['https://panel.example.com/path', '*', 'javascript:x', "'none'", "'self'"] });
    expect(r.problems.filter((p) => p.startsWith('web.frameAncestors[')).length).toBe(3);
    expect(r.problems.some((p) => p.includes("'none' cannot be listed"))).toBe(true);
  });

  it("the viewer WebSocket's Origin: the gateway's own and listed panels; no Origin is a program", () => {
    const p = new PageHeaders({ frameAncestors: ["'self'", 'https://panel.example.com', 'https://*.hoster.example'] });
    expect(p.allowsWebSocketOrigin(undefined, 'gw.example.net', PUBLIC)).toBe(true);
    expect(p.allowsWebSocketOrigin('https://gw.example.net', 'gw.example.net', PUBLIC)).toBe(true);
    expect(p.allowsWebSocketOrigin('http://127.0.0.1:8080', '127.0.0.1:8080', PUBLIC)).toBe(true);
    expect(p.allowsWebSocketOrigin('https://panel.example.com', 'gw.example.net', PUBLIC)).toBe(true);
    expect(p.allowsWebSocketOrigin('https://a.hoster.example', 'gw.example.net', PUBLIC)).toBe(true);
    expect(p.allowsWebSocketOrigin('https://evil.example', 'gw.example.net', PUBLIC)).toBe(false);
    expect(p.allowsWebSocketOrigin('http://panel.example.com', 'gw.example.net', PUBLIC)).toBe(false);
    expect(p.allowsWebSocketOrigin('null', 'gw.example.net', PUBLIC)).toBe(false);
  });
});
