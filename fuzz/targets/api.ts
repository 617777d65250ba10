import { validate } from '../../src/config/load.js';
import { ConfigReader } from '../../src/config/reader.js';
import { createLogger } from '../../src/log.js';
import { buildGateway, type Gateway } from '../../src/server.js';
import type { FuzzTarget } from '../types.js';

const TOKEN = 'fuzz-token-0123456789';
const OPERATOR = 'fuzz-operator-0123456789';
const METHODS = ['GET', 'POST', 'DELETE', 'PUT', 'PATCH', 'HEAD', 'OPTIONS'] as const;

/**
 * An input is an HTTP request written as text: `METHOD URL`, header lines, a blank line, the body.
 * What cannot be sent at all (a header value with a control character) is cleaned first: the point
 * is the gateway's parsing of what a client can send, not the test client's own checks.
 */
function request(input: Buffer): { method: (typeof METHODS)[number]; url: string; headers: Record<string, string>; body: Buffer } {
  const text = input.toString('latin1');
  const end = text.indexOf('\n\n');
  const head = (end < 0 ? text : text.slice(0, end)).split('\n');
  const [m = 'GET', rawUrl = '/'] = (head[0] ?? '').split(' ');
  const method = METHODS.find((x) => x === m.toUpperCase()) ?? METHODS[(m.charCodeAt(0) || 0) % METHODS.length]!;
  const url = `/${rawUrl.replace(/^\/+/, '').replace(/[^\x21-\x7e]/g, '')}`;
  const headers: Record<string, string> = {};
  for (const line of head.slice(1)) {
    const i = line.indexOf(':');
    if (i <= 0) continue;
    const name = line
      .slice(0, i)
      .trim()
      .toLowerCase()
      .replace(/[^a-z0-9-]/g, '');
    if (!name || name === 'content-length' || name === 'transfer-encoding' || name === 'host' || name === 'connection') continue;
    headers[name] = line
      .slice(i + 1)
      .trim()
      .replace(/[^\x20-\x7e]/g, '');
  }
  return { method, url, headers, body: end < 0 ? Buffer.alloc(0) : input.subarray(end + 2) };
}

const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
const seed = (first: string, headers: Record<string, string>, body = '') =>
  Buffer.from(
    `${first}\n${Object.entries(headers)
      .map(([k, v]) => `${k}: ${v}`)
      .join('\n')}\n\n${body}`,
    'latin1',
  );
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const JSONH = { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` };
const OPS = { authorization: `Bearer ${OPERATOR}` };

let gw: Gateway | undefined;

/** The API's bodies and query strings (eq.php forms and JSON, REST, operators' routes) through fastify's inject: never a 500. */
export const api: FuzzTarget = {
  name: 'api',
  description: 'the HTTP API (eq.php form/JSON bodies, REST v1 bodies and paths, query strings, headers) on an in-process gateway: no answer may be a 500',
  coverage: ['/src/api/', '/src/dispatch/local-calls', '/src/session/close-url-policy'],
  maxInputBytes: 16 * 1024,
  seeds: () => [
    seed('POST /eq.php', FORM, form({ action: 'novnc', token: TOKEN, id: 'srv', view_only: '1', closeurl: 'https://panel.example/close?a=1' })),
    seed('POST /eq.php', FORM, form({ action: 'ipmi_power', token: TOKEN, id: 'srv', cmd: 'cycle', dev: 'pxe', persistent: '1', request_id: 'r1' })),
    seed('POST /eq.php', { 'content-type': 'application/json' }, JSON.stringify({ action: 'sol', token: TOKEN, id: 'srv', closeurl: 'http://10.0.0.1/x' })),
    seed('POST /api/v1/sessions', JSONH, JSON.stringify({ serverId: 'srv', viewOnly: false, closeUrl: 'https://panel.example/c' })),
    seed('GET /api/v1/sessions', JSONH),
    seed('DELETE /api/v1/sessions/abc~def', JSONH),
    seed('GET /api/v1/sessions/abc/thumbnail.png?width=320', JSONH),
    seed('POST /api/v1/servers/srv/power', JSONH, JSON.stringify({ action: 'on', bootDevice: { device: 'pxe', persistent: true } })),
    seed('POST /api/v1/servers/srv/bootdev', JSONH, JSON.stringify({ device: 'cdrom', persistent: false })),
    seed('GET /api/v1/server/127.0.0.1/skey/' + TOKEN + '/srv/closeurl/https%3A%2F%2Fpanel.example%2Fc', {}),
    seed('GET /api/v1/viewer/xyz/status', {}),
    seed('GET /api/v1/agents', OPS),
    seed('GET /api/v1/whoami', { ...OPS, 'x-pin': '1234' }),
    seed('GET /console/abc?x=1', { referer: 'https://panel.example/' }),
  ],
  async setup() {
    const r = new ConfigReader();
    const cfg = validate(
      r,
      {
        listen: '127.0.0.1:0',
        // The API layer in one process: no worker processes forked for the fuzzer's gateway.
        workers: 0,
        tokens: [
          { token: TOKEN, name: 'fuzz', pin: '1234', servers: ['srv'] },
          { token: `${TOKEN}-nopin`, servers: ['*'] },
        ],
        operators: [{ token: OPERATOR }],
        // A console at a loopback port nothing answers: opening fails fast with GW_ERR_BMC_UNREACHABLE.
        servers: [{ id: 'srv', location: 'NL', console: { type: 'vnc', host: '127.0.0.1', port: 9, connectTimeout: '200ms' } }],
        sessions: { closeUrlAllow: ['public', '127.0.0.1'] },
        rateLimit: { perAddress: { failures: 1_000_000, window: '1s' }, perToken: { failures: 1_000_000, window: '1s' } },
        web: { frameAncestors: ["'self'", 'https://panel.example'] },
      },
      'fuzz',
    );
    if (!cfg) throw new Error(`fuzz api config invalid: ${r.problems.join('; ')}`);
    // No DNS: every name resolves to a documentation address, so nothing leaves the machine.
    gw = await buildGateway(cfg, createLogger('silent'), { resolve: async () => [{ address: '192.0.2.1', family: 4 }] });
    await gw.app.ready();
  },
  async teardown() {
    await gw?.close();
    gw = undefined;
  },
  async run(input) {
    const req = request(input);
    let res;
    try {
      res = await gw!.app.inject({
        method: req.method,
        url: req.url,
        headers: req.headers,
        payload: req.method === 'GET' || req.method === 'HEAD' ? undefined : req.body,
      });
    } catch (err) {
      // light-my-request's own refusals of what no client could send.
      if ((err as { code?: string }).code?.startsWith('ERR_')) return 'unsendable';
      throw err;
    }
    if (res.statusCode >= 500 && res.statusCode !== 502 && res.statusCode !== 503 && res.statusCode !== 504) {
      throw new Error(`HTTP ${res.statusCode} for ${req.method} ${req.url}: ${res.body.slice(0, 200)}`);
    }
    let code = '';
    try {
      code = (JSON.parse(res.body) as { error?: { code?: string } }).error?.code ?? '';
    } catch {
      code = 'not-json';
    }
    return `${res.statusCode}:${code}`;
  },
  expected: () => false,
};
