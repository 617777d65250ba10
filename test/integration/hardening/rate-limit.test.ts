import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemoServer, type DemoServer } from '../../../src/sources/demo/demo-server.js';
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js';

const TOKEN = 'panel-token-ratelimit-1';
// Not digits: a PIN must not turn up by chance inside timestamps.
const PIN = 'pin-k4xq';
const OTHER = 'other-token-ratelimit-2';

type Json = Record<string, any>;

async function eq(
  gw: TestGateway,
  fields: Record<string, string>,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Json; retryAfter: string | null }> {
  const res = await fetch(`${gw.url}/eq.php`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(fields).toString(),
  });
  return { status: res.status, body: (await res.json()) as Json, retryAfter: res.headers.get('retry-after') };
}

/**
 * Authentication failures are rate-limited (issue 15), against a real gateway on loopback: per
 * client address and per token, 429 GW_ERR_RATE_LIMITED with Retry-After, a metric, audit records;
 * behind a proxy only the listed proxies' X-Forwarded-For counts.
 */
describe('authentication rate limits', () => {
  let demo: DemoServer;
  let dir: string;
  const gws: TestGateway[] = [];

  const gateway = async (extra: Record<string, unknown>): Promise<TestGateway> => {
    const gw = await startTestGateway({
      tokens: [
        { token: TOKEN, pin: PIN, name: 'panel', servers: ['*'] },
        { token: OTHER, name: 'other', servers: ['*'] },
      ],
      servers: [{ id: 'demo', console: { type: 'vnc', host: demo.host, port: demo.port, password: demo.password } }],
      rateLimit: { perAddress: { failures: 10, window: '10m' }, perToken: { failures: 5, window: '1h' } },
      audit: { file: join(dir, `audit-${gws.length}.jsonl`) },
      ...extra,
    });
    gws.push(gw);
    return gw;
  };

  beforeAll(async () => {
    demo = await startDemoServer({ host: '127.0.0.1', port: 0 });
    dir = await mkdtemp(join(tmpdir(), 'bmcgw-ratelimit-'));
  });
  afterAll(async () => {
    for (const gw of gws) await gw.close();
    await demo?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('300 wrong tokens from one address: 401 up to the limit, then 429 with Retry-After; the right token too', async () => {
    const gw = await gateway({});
    const statuses: number[] = [];
    let last: Awaited<ReturnType<typeof eq>> | undefined;
    for (let i = 0; i < 300; i++) {
      last = await eq(gw, { action: 'novnc', token: `guess-${i}-0000000`, id: 'demo' });
      statuses.push(last.status);
    }
    expect(statuses.slice(0, 10)).toEqual(Array(10).fill(401));
    expect(new Set(statuses.slice(10))).toEqual(new Set([429]));
    expect(last!.body.error.code).toBe('GW_ERR_RATE_LIMITED');
    expect(Number(last!.retryAfter)).toBeGreaterThanOrEqual(1);
    expect(Number(last!.retryAfter)).toBeLessThanOrEqual(60);
    // Refused before any secret is compared: a right token from this address is refused too.
    const right = await eq(gw, { action: 'novnc', token: TOKEN, pin: PIN, id: 'demo' });
    expect(right.status).toBe(429);
    // REST answers the same way.
    const rest = await fetch(`${gw.url}/api/v1/sessions`, { headers: { authorization: `Bearer ${TOKEN}`, 'x-pin': PIN } });
    expect(rest.status).toBe(429);
    expect(rest.headers.get('retry-after')).toMatch(/^\d+$/);
    const metrics = await (await fetch(`${gw.url}/metrics`)).text();
    expect(metrics).toMatch(/bmcgw_auth_failures_total\{reason="bad_token"\} 10\b/);
    expect(metrics).toMatch(/bmcgw_auth_rate_limited_total\{scope="address"\} 29[0-9]\b/);
  });

  it('without trustProxy, X-Forwarded-For is ignored: a client cannot pick a fresh address per guess', async () => {
    const gw = await gateway({});
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++)
      statuses.push((await eq(gw, { action: 'novnc', token: `guess-${i}-0000000`, id: 'demo' }, { 'x-forwarded-for': `203.0.113.${i}` })).status);
    expect(statuses.slice(10)).toEqual([429, 429]);
  });

  it('behind a trusted proxy: counted per forwarded client; wrong PINs from many clients add up on the token', async () => {
    const gw = await gateway({ trustProxy: ['127.0.0.1'] });
    // Wrong PINs from five different clients: the token is blocked for everyone, right PIN included.
    for (let i = 0; i < 5; i++) {
      const r = await eq(gw, { action: 'novnc', token: TOKEN, pin: `wrong-${i}`, id: 'demo' }, { 'x-forwarded-for': `198.51.100.${i}` });
      expect(r.body.error.code).toBe('GW_ERR_BAD_PIN');
    }
    const blocked = await eq(gw, { action: 'novnc', token: TOKEN, pin: PIN, id: 'demo' }, { 'x-forwarded-for': '198.51.100.99' });
    expect(blocked.status).toBe(429);
    expect(blocked.body.error.message).toMatch(/wrong PINs for this token/);
    // Another token is not affected, nor is another client's address.
    const other = await eq(gw, { action: 'novnc', token: OTHER, id: 'demo' }, { 'x-forwarded-for': '198.51.100.1' });
    expect(other.status, JSON.stringify(other.body)).toBe(200);
    // Per forwarded address: one client past its limit, the next one still served.
    for (let i = 0; i < 10; i++) await eq(gw, { action: 'novnc', token: `nope-${i}-00000000`, id: 'demo' }, { 'x-forwarded-for': '192.0.2.50' });
    expect((await eq(gw, { action: 'novnc', token: OTHER, id: 'demo' }, { 'x-forwarded-for': '192.0.2.50' })).status).toBe(429);
    expect((await eq(gw, { action: 'novnc', token: OTHER, id: 'demo' }, { 'x-forwarded-for': '192.0.2.51' })).status).toBe(200);

    // The audit trail names the client address the proxy forwarded, and never a secret.
    const audit = (await readFile(gw.config.audit.file!, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Json);
    expect(audit.filter((a) => a.action === 'auth.failed' && a.code === 'GW_ERR_BAD_PIN').map((a) => a.from)).toEqual([
      '198.51.100.0',
      '198.51.100.1',
      '198.51.100.2',
      '198.51.100.3',
      '198.51.100.4',
    ]);
    expect(audit.find((a) => a.action === 'auth.failed' && a.detail?.blocked === 'token')).toMatchObject({ who: 'panel', kind: 'token', outcome: 'refused' });
    expect(audit.find((a) => a.action === 'console.open' && a.who === 'other')).toMatchObject({ outcome: 'ok', server: 'demo', from: '198.51.100.1' });
    const text = await readFile(gw.config.audit.file!, 'utf8');
    for (const secret of [TOKEN, PIN, OTHER, demo.password]) expect(text).not.toContain(secret);
  });
});
