import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, TEST_TOKEN, type TestGateway } from '../helpers/gateway.js';

// The built pages as a browser fetches them: every script and style sheet under a content-hashed
// name, cached immutable, sent brotli- or gzip-compressed as accepted; nothing a strict CSP forbids.

/** GET with exactly these request headers (fetch would add and decode Accept-Encoding itself). */
function get(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('built pages and their assets', () => {
  let gw: TestGateway;
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bmcgw-pages-'));
    gw = await startTestGateway({
      tokens: [{ token: TEST_TOKEN, servers: ['*'] }],
      operators: [{ token: 'op-token-pages', name: 'ops' }],
      servers: [],
      recording: { dir, servers: ['*'] },
    });
  });
  afterAll(async () => {
    await gw?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const pages = ['/console/unknown-key', '/sol/unknown-key', '/dashboard', '/replay/x_20260101T000000Z_00000000'];

  it("link only content-hashed assets, have no inline script, and name neither noVNC's nor xterm's own files", async () => {
    for (const path of pages) {
      const html = (await get(`${gw.url}${path}`)).body.toString('utf8');
      const refs = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!).filter((r) => !r.startsWith('data:'));
      expect(refs.length, path).toBeGreaterThanOrEqual(2);
      for (const r of refs) expect(r, path).toMatch(/^\/assets\/[a-z]+-[A-Z0-9]{8}\.(js|css)$/);
      expect(html, path).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/); // CSP script-src 'self': no inline scripts
      expect(html, path).not.toMatch(/\/novnc\/|\/xterm\/|\/static\//);
    }
    expect((await get(`${gw.url}/novnc/core/rfb.js`)).status).toBe(404);
    expect((await get(`${gw.url}/static/console.js`)).status).toBe(404);
  });

  it('serves every asset immutable, compressed as the browser accepts, the same bytes once decoded', async () => {
    const refs = new Set<string>();
    for (const path of pages) {
      const html = (await get(`${gw.url}${path}`)).body.toString('utf8');
      for (const m of html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)) refs.add(m[1]!);
    }
    let compressed = 0;
    for (const ref of refs) {
      const plain = await get(`${gw.url}${ref}`);
      expect(plain.status, ref).toBe(200);
      expect(plain.headers['cache-control'], ref).toBe('public, max-age=31536000, immutable');
      expect(plain.headers['content-type'], ref).toMatch(ref.endsWith('.js') ? /^text\/javascript/ : /^text\/css/);
      expect(plain.headers['content-encoding'], ref).toBeUndefined();
      if (plain.body.length < 512) continue; // too small to be worth it: sent as it is
      const br = await get(`${gw.url}${ref}`, { 'accept-encoding': 'gzip, deflate, br' });
      expect(br.headers['content-encoding'], ref).toBe('br');
      expect(br.headers.vary, ref).toBe('accept-encoding');
      expect(brotliDecompressSync(br.body).equals(plain.body), ref).toBe(true);
      expect(br.body.length, ref).toBeLessThan(plain.body.length / 2);
      const gz = await get(`${gw.url}${ref}`, { 'accept-encoding': 'gzip' });
      expect(gz.headers['content-encoding'], ref).toBe('gzip');
      expect(gunzipSync(gz.body).equals(plain.body), ref).toBe(true);
      const refused = await get(`${gw.url}${ref}`, { 'accept-encoding': 'br;q=0, gzip;q=0' });
      expect(refused.headers['content-encoding'], ref).toBeUndefined();
      // What a strict CSP (no 'unsafe-eval') forbids does not appear in our bundles.
      if (ref.endsWith('.js')) expect(plain.body.toString('utf8'), ref).not.toMatch(/\beval\(|new Function\(/);
      compressed++;
    }
    expect(compressed).toBeGreaterThanOrEqual(4);
    expect((await get(`${gw.url}/assets/console-AAAAAAAA.js`)).status).toBe(404);
    expect((await get(`${gw.url}/assets/..%2Fmanifest.json`)).status).toBe(404);
  });

  it('the console page preloads the noVNC chunk its first script imports', async () => {
    const html = (await get(`${gw.url}/console/k`)).body.toString('utf8');
    const entry = /<script type="module" async src="(\/assets\/console-[A-Z0-9]{8}\.js)"/.exec(html)?.[1];
    const chunk = /<link rel="modulepreload" href="(\/assets\/chunk-[A-Z0-9]{8}\.js)"/.exec(html)?.[1];
    expect(entry).toBeDefined();
    expect(chunk).toBeDefined();
    const first = (await get(`${gw.url}${entry}`)).body;
    expect(first.length).toBeLessThan(4096); // the socket opens before noVNC has even been fetched
    expect(first.toString('utf8')).toContain(chunk!.slice('/assets/'.length));
    expect((await get(`${gw.url}${chunk}`)).body.toString('utf8')).toContain('noVNC');
  });
});
