import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv } from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Fastify from 'fastify';
import { attachRouteSchemas, ROUTE_SCHEMAS, SHARED_SCHEMAS } from '../../src/api/route-schemas.js';
import { validate } from '../../src/config/load.js';
import { ConfigReader } from '../../src/config/reader.js';
import { createLogger } from '../../src/log.js';
import { buildGateway, type Gateway } from '../../src/server.js';

// The machine-readable API: /openapi.json validates with an independent OpenAPI validator, lists the
// same routes as docs/api.md (both ways), request schemas are enforced with GW_ERR_* answers, and
// real answers match the response schemas they are documented with.

const TOKEN = 'openapi-token-1';
const OPERATOR = 'openapi-operator-1';
const METHODS = ['get', 'post', 'put', 'delete', 'patch'];

/** "METHOD /path/{param}" of every call docs/api.md lists in its tables (`| \`GET /x/:id\``…). */
function documentedRoutes(): Set<string> {
  const md = readFileSync(new URL('../../docs/api.md', import.meta.url), 'utf8');
  const out = new Set<string>();
  for (const m of md.matchAll(/^\| `(GET|POST|PUT|DELETE|PATCH) (\/[^`\s?]*)/gm)) out.add(`${m[1]} ${m[2]!.replace(/:(\w+)/g, '{$1}')}`);
  return out;
}

describe('GET /openapi.json and the route schemas', () => {
  let gw: Gateway;
  let dir: string;
  let doc: { openapi: string; paths: Record<string, Record<string, unknown>> };
  const ajv = new Ajv({ strict: false, allErrors: true });
  for (const s of SHARED_SCHEMAS) ajv.addSchema(s);
  /** Checks an answer against the response schema of its route and status. */
  const matches = (route: string, status: number, body: unknown) => {
    const schema = (ROUTE_SCHEMAS[route]!.response as Record<number, object>)[status];
    expect(schema, `${route} documents status ${status}`).toBeDefined();
    const check = ajv.compile(schema!);
    expect(check(body), `${route} ${status}: ${ajv.errorsText(check.errors)} in ${JSON.stringify(body)}`).toBe(true);
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bmcgw-openapi-'));
    const r = new ConfigReader();
    const cfg = validate(
      r,
      {
        tokens: [{ token: TOKEN, servers: ['*'] }],
        operators: [{ token: OPERATOR, name: 'ops' }],
        servers: [{ id: 's1', name: 'One', location: 'NL', console: { type: 'vnc', host: '127.0.0.1', port: 1 } }, { id: 'bare' }],
        recording: { dir, servers: ['*'] },
      },
      undefined,
    );
    expect(r.problems).toEqual([]);
    // demo: true so the demo-only /demo route is registered too
    gw = await buildGateway(cfg!, createLogger(process.env.OA_LOG ? 'error' : 'silent'), { demo: true });
    const res = await gw.app.inject({ method: 'GET', url: '/openapi.json' });
    expect(res.statusCode).toBe(200);
    doc = res.json();
  });

  afterAll(async () => {
    await gw?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('is an OpenAPI 3.1 document that an independent validator accepts', async () => {
    expect(doc.openapi).toBe('3.1.0');
    const result = await new Validator().validate(doc);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it('lists exactly the routes docs/api.md documents', () => {
    const inDoc = new Set<string>();
    for (const [path, ops] of Object.entries(doc.paths)) for (const m of Object.keys(ops)) if (METHODS.includes(m)) inDoc.add(`${m.toUpperCase()} ${path}`);
    const documented = documentedRoutes();
    expect(documented.size).toBeGreaterThan(30);
    expect(
      [...documented].filter((r) => !inDoc.has(r)),
      'documented but not in /openapi.json',
    ).toEqual([]);
    expect(
      [...inDoc].filter((r) => !documented.has(r)),
      'in /openapi.json but not documented',
    ).toEqual([]);
    // …and every schema is a route of the gateway (no stale entries)
    expect(
      Object.keys(ROUTE_SCHEMAS)
        .map((k) => k.replace(/:(\w+)/g, '{$1}'))
        .sort(),
    ).toEqual([...inDoc].sort());
  });

  it('refuses requests that do not match their schema with GW_ERR_BAD_REQUEST naming the field (eq.php in its own format)', async () => {
    const auth = { authorization: `Bearer ${TOKEN}` };
    const bad = await gw.app.inject({ method: 'POST', url: '/api/v1/sessions', headers: auth, payload: { serverId: 5 } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('GW_ERR_BAD_REQUEST');
    expect(bad.json().error.message).toContain('serverId');
    matches('POST /api/v1/sessions', 400, bad.json());
    const coerced = await gw.app.inject({ method: 'POST', url: '/api/v1/sessions', headers: auth, payload: { serverId: 's1', viewOnly: 'true' } });
    expect(coerced.statusCode).toBe(400);
    expect(coerced.json().error.message).toContain('viewOnly');
    const power = await gw.app.inject({ method: 'POST', url: '/api/v1/servers/s1/power', headers: auth, payload: { action: 'explode' } });
    expect(power.statusCode).toBe(400);
    expect(power.json().error.message).toContain('action');
    const eq = await gw.app.inject({
      method: 'POST',
      url: '/eq.php',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'token=x&id=s1',
    });
    expect(eq.statusCode).toBe(400);
    expect(eq.json()).toMatchObject({ result: 'ERROR', error: { code: 'GW_ERR_BAD_REQUEST' } });
    expect(eq.json().error.message).toContain('action');
    matches('POST /eq.php', 400, eq.json());
    const replay = await gw.app.inject({
      method: 'POST',
      url: '/api/v1/recordings/x/replay',
      headers: { authorization: `Bearer ${OPERATOR}` },
      payload: { at: -1 },
    });
    expect(replay.statusCode).toBe(400);
    expect(replay.json().error.message).toContain('at');
  });

  it('answers as its response schemas say', async () => {
    const op = { authorization: `Bearer ${OPERATOR}` };
    const tok = { authorization: `Bearer ${TOKEN}` };
    const get = async (url: string, headers: Record<string, string>) => gw.app.inject({ method: 'GET', url, headers });
    let r = await get('/api/v1/servers', tok);
    matches('GET /api/v1/servers', 200, r.json());
    expect(r.json().servers.map((s: { id: string }) => s.id)).toEqual(['s1', 'bare']);
    matches('GET /api/v1/sessions', 200, (await get('/api/v1/sessions', tok)).json());
    matches('GET /api/v1/sol-sessions', 200, (await get('/api/v1/sol-sessions', tok)).json());
    matches('GET /api/v1/whoami', 200, (await get('/api/v1/whoami', op)).json());
    matches('GET /api/v1/agents', 200, (await get('/api/v1/agents', op)).json());
    matches('GET /api/v1/recordings', 200, (await get('/api/v1/recordings', op)).json());
    matches('GET /healthz', 200, (await get('/healthz', {})).json());
    r = await get('/api/v1/sessions', {});
    expect(r.statusCode).toBe(401);
    matches('GET /api/v1/sessions', 401, r.json());
    r = await get('/api/v1/sessions/nope', tok);
    matches('GET /api/v1/sessions/:id', 404, r.json());
    r = await get('/api/v1/servers/bare/power', tok);
    matches('GET /api/v1/servers/:id/power', r.statusCode, r.json());
    r = await get('/api/v1/viewer/nope/status', {});
    matches('GET /api/v1/viewer/:key/status', r.statusCode, r.json());
    r = await get('/api/v1/sol-viewer/nope/status', {});
    matches('GET /api/v1/sol-viewer/:key/status', r.statusCode, r.json());
    r = await gw.app.inject({ method: 'POST', url: '/api/v1/servers/bare/sol', headers: tok, payload: {} });
    matches('POST /api/v1/servers/:id/sol', r.statusCode, r.json());
  });

  it('refuses to register a route that has no schema', async () => {
    const app = Fastify();
    attachRouteSchemas(app);
    expect(() => app.get('/api/v1/undocumented', async () => ({}))).toThrow(/route GET \/api\/v1\/undocumented has no schema/);
    await app.close();
  });
});
