import type { FastifyInstance, FastifySchema, RouteOptions } from 'fastify';

/**
 * JSON Schemas of every HTTP route, request and response, by "METHOD /path" (Fastify's own path
 * syntax). `attachRouteSchemas` puts each on its route as the route is registered (an onRoute hook),
 * so the route files stay as they are; Fastify validates requests with them (ajv, no type coercion:
 * a JSON `"true"` is not `true`), and `GET /openapi.json` (@fastify/swagger) is generated from them.
 * A route registered without an entry here is refused at start: nothing is served undocumented.
 *
 * Responses are documented here, not used to serialize: the gateway keeps JSON.stringify (see
 * server.ts), so a schema can never drop or coerce a field of an answer. Tests check real answers
 * against these schemas instead (test/integration/openapi.test.ts). Shapes mirror src/api/api-types.ts.
 */

type S = Record<string, unknown>;

const str: S = { type: 'string' };
const nstr: S = { type: ['string', 'null'] };
const int: S = { type: 'integer' };
const bool: S = { type: 'boolean' };
const obj = (properties: Record<string, S>, required: string[] = Object.keys(properties), extra: S = {}): S => ({
  type: 'object',
  properties,
  required,
  ...extra,
});
const arr = (items: S): S => ({ type: 'array', items });

const error: S = {
  $id: 'GatewayError',
  ...obj({ error: obj({ code: { type: 'string', pattern: '^GW_ERR_' }, message: str }) }),
  description: 'Every error answer: a GW_ERR_* code (docs/errors.md) and a message naming what was wrong',
};
const eqError: S = {
  $id: 'EqPhpError',
  ...obj({ result: { const: 'ERROR' }, error: obj({ code: { type: 'string', pattern: '^GW_ERR_' }, message: str }) }),
  description: 'eq.php error answer',
};
const ref = (id: string): S => ({ $ref: `${id}#` });

const endCode: S = { enum: ['idle', 'input-idle', 'lifetime', 'api', 'bmc-unreachable', 'viewer-exited', 'shutdown', 'config-changed', 'worker-crash', null] };
const sessionState: S = { enum: ['connecting', 'connected', 'reconnecting', 'ended'] };
const solState: S = { enum: ['idle', 'activating', 'active', 'ended'] };
const bootDevice = obj({ device: { enum: ['pxe', 'disk', 'cdrom', 'bios'] }, persistent: bool }, ['device']);

const session: S = obj(
  {
    id: str,
    serverId: str,
    serverName: nstr,
    location: nstr,
    state: sessionState,
    source: str,
    fallback: { type: ['object', 'null'] },
    createdAt: str,
    width: int,
    height: int,
    ageSeconds: { type: 'number' },
    viewers: arr(obj({ id: str, viewOnly: bool, queuedBytes: int }, ['id', 'viewOnly'])),
    closeUrls: arr(str),
    bytesIn: int,
    bytesOut: int,
    screenUpdates: int,
    lastInputAt: nstr,
    reconnects: int,
    warning: nstr,
    endReason: nstr,
  },
  ['id', 'serverId', 'serverName', 'location', 'state', 'createdAt', 'viewers'],
);
const sessions: S = obj({ sessions: arr(session), unreachable: arr(str) }, ['sessions']);
const solSession: S = obj(
  {
    id: str,
    serverId: str,
    serverName: nstr,
    location: nstr,
    type: { const: 'sol' },
    state: solState,
    createdAt: str,
    viewers: int,
    closeUrls: arr(str),
    bytesToBmc: int,
    bytesFromBmc: int,
    endReason: nstr,
  },
  ['id', 'serverId', 'type', 'state', 'createdAt', 'viewers'],
);
const server: S = obj({
  id: str,
  name: nstr,
  location: nstr,
  console: bool,
  consoleType: { enum: ['vnc', 'aten', 'openbmc', 'jnlp', null] },
  power: { enum: ['ipmi', 'redfish', null] },
  ipmi: bool,
  redfish: bool,
  sol: bool,
  media: bool,
  recorded: bool,
});
const agents: S = obj({
  dispatch: { enum: ['in-process', 'front', 'agent', 'both'] },
  broker: { enum: ['up', 'down', null] },
  agents: arr(obj({ id: str, location: str, url: str, version: str, load: int, at: int, lastSeenMs: int })),
});
const recordingFields = { id: str, serverId: str, serverName: nstr, startedAt: str, bytes: int, inputBytes: int, live: bool, cutShort: nstr };
const recording: S = obj(recordingFields);
const power: S = obj({ serverId: str, power: { enum: ['on', 'off'] }, protocol: { const: 'redfish' }, powerState: str }, ['serverId', 'power']);
const media: S = { type: 'object', description: 'the virtual media state as eq.php `media` reports it (docs/power.md)' };

const id = (name = 'id', description?: string): S => obj({ [name]: { type: 'string', minLength: 1, ...(description ? { description } : {}) } });
const key = id('key', 'the one-time viewer key of the URL');
const bearer = [{ bearer: [] }];
const page = (what: string): S => ({ description: what, content: { 'text/html': { schema: str } } });
const websocket = (what: string): S => ({ description: `${what} (HTTP Upgrade to WebSocket; answered 101)`, type: 'null' });
const errors = (...codes: number[]): Record<number, S> => Object.fromEntries(codes.map((c) => [c, ref('GatewayError')]));

/** Fields of eq.php (form-encoded or JSON): every action's; the action decides which it reads (docs/api.md). */
const eqFieldNames = ['action', 'token', 'pin', 'id', 'cmd', 'dev', 'persistent', 'view_only', 'closeurl', 'url', 'request_id'];
const eqScalar: S = { type: ['string', 'number', 'boolean'] };
const eqBody: S = {
  type: 'object',
  // `action` is not an enum here: an unknown one is answered GW_ERR_UNKNOWN_ACTION listing the supported ones.
  properties: Object.fromEntries(
    eqFieldNames.map((f) => [f, f === 'action' ? { type: 'string', description: 'novnc, ipmi_power, ipmi_bootdev, sol or media' } : eqScalar]),
  ),
  required: ['action'],
};

export const ROUTE_SCHEMAS: Readonly<Record<string, FastifySchema & S>> = {
  'POST /eq.php': {
    summary: "The hosting panels' call: open a console (novnc), power, boot device, serial console, virtual media",
    consumes: ['application/x-www-form-urlencoded', 'application/json'],
    body: eqBody,
    response: {
      200: {
        type: 'object',
        properties: { result: { const: 'OK' }, scope: str, context: { type: 'object' }, key: str, joined: bool, power: { enum: ['on', 'off'] } },
        required: ['result'],
      },
      ...Object.fromEntries([400, 401, 403, 404, 409, 410, 429, 500, 502, 503, 504].map((c) => [c, ref('EqPhpError')])),
    },
  },
  'POST /api/v1/sessions': {
    summary: "Open (or join) a server's console; answers a one-time viewer URL",
    security: bearer,
    body: obj({ serverId: { type: 'string', minLength: 1 }, viewOnly: bool, closeUrl: str }, ['serverId']),
    response: {
      200: { ...session, properties: { ...(session.properties as S), url: str, joined: bool } },
      201: { ...session, properties: { ...(session.properties as S), url: str, joined: bool } },
      ...errors(400, 401, 403, 404, 409, 502, 503, 504),
    },
  },
  'GET /api/v1/sessions': { summary: 'Live console sessions this token may see', security: bearer, response: { 200: sessions, ...errors(401) } },
  'GET /api/v1/sessions/:id': { summary: 'One live console session', security: bearer, params: id(), response: { 200: session, ...errors(401, 404) } },
  'DELETE /api/v1/sessions/:id': {
    summary: 'End a console session',
    security: bearer,
    params: id(),
    response: { 204: { description: 'ended', type: 'null' }, ...errors(401, 404) },
  },
  'GET /api/v1/sessions/:id/thumbnail.png': {
    summary: "PNG of the console from the gateway's copy of the screen",
    security: bearer,
    params: id(),
    querystring: obj({ width: { type: 'string', pattern: '^[0-9]{1,5}$' } }, []),
    response: { 200: { description: 'PNG image', content: { 'image/png': { schema: { type: 'string', format: 'binary' } } } }, ...errors(400, 401, 404) },
  },
  'GET /api/v1/server/:ip/skey/:key/:id/closeurl/:closeurl': {
    summary: "The route the provider's agents call; answers like eq.php",
    params: obj({ ip: str, key: str, id: str, closeurl: str }),
    response: {
      200: {
        type: 'object',
        properties: { result: { const: 'OK' }, scope: str, context: { type: 'object' }, key: str, joined: bool },
        required: ['result', 'scope', 'key'],
      },
      ...errors(400, 401, 403, 404, 409, 429, 502, 503, 504),
    },
  },
  'GET /api/v1/viewer/:key/status': {
    summary: "The console page's status (the key is the capability)",
    params: key,
    response: {
      200: obj({ state: sessionState, server: str, viewOnly: bool, warning: nstr, warningCode: { enum: ['input-idle', null] }, reason: nstr, code: endCode }, [
        'state',
        'viewOnly',
        'warning',
        'warningCode',
        'reason',
        'code',
      ]),
      ...errors(404),
    },
  },
  'GET /healthz': { summary: 'Liveness', response: { 200: obj({ status: { const: 'ok' }, sessions: int }) } },
  'GET /metrics': { summary: 'Prometheus metrics', response: { 200: { description: 'Prometheus text format', content: { 'text/plain': { schema: str } } } } },
  'GET /openapi.json': { summary: 'This document', response: { 200: { description: 'OpenAPI 3.1 document', type: 'object' } } },
  'GET /api/v1/servers': { summary: 'Servers this token may use', security: bearer, response: { 200: obj({ servers: arr(server) }), ...errors(401) } },
  'GET /api/v1/servers/:id/power': {
    summary: 'Power state',
    security: bearer,
    params: id(),
    response: { 200: power, ...errors(401, 403, 404, 409, 502, 503, 504) },
  },
  'POST /api/v1/servers/:id/power': {
    summary: 'Power action, optionally with a boot device first',
    security: bearer,
    params: id(),
    body: obj({ action: { enum: ['on', 'off', 'soft', 'cycle', 'reset'] }, bootDevice: bootDevice }, ['action']),
    response: {
      200: obj(
        {
          serverId: str,
          action: { enum: ['on', 'off', 'soft', 'cycle', 'reset'] },
          bootDevice: { oneOf: [bootDevice, { type: 'null' }] },
          result: { const: 'ok' },
          protocol: { const: 'redfish' },
          performed: arr(str),
          note: str,
        },
        ['serverId', 'action', 'bootDevice', 'result'],
      ),
      ...errors(400, 401, 403, 404, 409, 502, 503, 504),
    },
  },
  'POST /api/v1/servers/:id/bootdev': {
    summary: 'Set the boot device',
    security: bearer,
    params: id(),
    body: bootDevice,
    response: {
      200: obj({ serverId: str, bootDevice, result: { const: 'ok' }, protocol: { const: 'redfish' } }, ['serverId', 'bootDevice', 'result']),
      ...errors(400, 401, 403, 404, 409, 502, 503, 504),
    },
  },
  'GET /api/v1/servers/:id/media': {
    summary: 'Virtual media state (Redfish)',
    security: bearer,
    params: id(),
    response: { 200: obj({ serverId: str, media }), ...errors(401, 403, 404, 409, 502, 503, 504) },
  },
  'POST /api/v1/servers/:id/media': {
    summary: 'Insert or eject virtual media (Redfish)',
    security: bearer,
    params: id(),
    body: obj({ action: { enum: ['insert', 'eject'] }, url: str }, ['action']),
    response: {
      200: obj({ serverId: str, action: { enum: ['insert', 'eject'] }, media, result: { const: 'ok' }, note: str }, ['serverId', 'action', 'media', 'result']),
      ...errors(400, 401, 403, 404, 409, 502, 503, 504),
    },
  },
  'POST /api/v1/servers/:id/sol': {
    summary: 'Open (or join) the serial console; answers a one-time page URL',
    security: bearer,
    params: id(),
    body: obj({ closeUrl: str }, []),
    response: {
      200: obj({ id: str, serverId: str, location: nstr, type: { const: 'sol' }, url: str, joined: bool }),
      201: obj({ id: str, serverId: str, location: nstr, type: { const: 'sol' }, url: str, joined: bool }),
      ...errors(400, 401, 403, 404, 409, 502, 503, 504),
    },
  },
  'GET /api/v1/sol-sessions': {
    summary: 'Live serial consoles this token may see',
    security: bearer,
    response: { 200: obj({ sessions: arr(solSession) }), ...errors(401) },
  },
  'DELETE /api/v1/sol-sessions/:id': {
    summary: 'End a serial console',
    security: bearer,
    params: id(),
    response: { 204: { description: 'ended', type: 'null' }, ...errors(401, 404) },
  },
  'GET /sol/:key': {
    summary: 'The serial console page',
    params: key,
    response: { 200: page('the serial console page (xterm.js)'), 404: page('unknown or expired key') },
  },
  'GET /sol-ws/:key': { summary: "The serial console's WebSocket", params: key, response: { 101: websocket('serial bytes both ways'), ...errors(403, 404) } },
  'GET /api/v1/sol-viewer/:key/status': {
    summary: "The serial console page's status",
    params: key,
    response: { 200: obj({ state: solState, server: str, reason: nstr, code: endCode }, ['state', 'reason', 'code']), ...errors(404) },
  },
  'GET /console/:key': { summary: 'The console page', params: key, response: { 200: page('the console page (noVNC)'), 404: page('unknown or expired key') } },
  'GET /ws/:key': { summary: "The console's WebSocket (RFB 3.8)", params: key, response: { 101: websocket('RFB to the browser'), ...errors(403, 404) } },
  'GET /demo': {
    summary: 'Demo mode only: a fresh console URL for the built-in demo server',
    response: { 303: { description: 'redirect to /console/KEY', type: 'null' } },
  },
  'GET /assets/:name': {
    summary: "The pages' content-hashed scripts, styles and fonts",
    params: id('name'),
    response: {
      200: { description: 'the asset (immutable)', content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } } },
      ...errors(404),
    },
  },
  'GET /dashboard': { summary: "The operators' dashboard page", response: { 200: page('the dashboard page') } },
  'GET /api/v1/whoami': {
    summary: 'Who the Bearer token is',
    security: bearer,
    response: { 200: obj({ kind: { enum: ['operator', 'token'] }, name: str }), ...errors(401) },
  },
  'GET /api/v1/fleet/events': {
    summary: "Operators only: the dashboard's live feed (server-sent events)",
    security: bearer,
    response: { 200: { description: 'text/event-stream', content: { 'text/event-stream': { schema: str } } }, ...errors(401, 403, 503) },
  },
  'GET /api/v1/agents': { summary: 'Operators only: the agents this front heard from', security: bearer, response: { 200: agents, ...errors(401, 403) } },
  'GET /api/v1/recordings': {
    summary: 'Operators only: recordings, newest first',
    security: bearer,
    querystring: obj({ serverId: str }, []),
    response: { 200: obj({ recordings: arr(recording) }), ...errors(401, 403) },
  },
  'GET /api/v1/recordings/:id': {
    summary: 'One recording',
    security: bearer,
    params: id(),
    response: { 200: obj({ ...recordingFields, durationMs: { type: 'number' }, blocks: int, truncated: nstr }), ...errors(401, 403, 404) },
  },
  'GET /api/v1/recordings/:id/fbs': {
    summary: 'The FBS 001.000 file',
    security: bearer,
    params: id(),
    response: {
      200: { description: 'FBS file', content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } } },
      ...errors(401, 403, 404),
    },
  },
  'GET /api/v1/recordings/:id/input.jsonl': {
    summary: 'The input side file',
    security: bearer,
    params: id(),
    response: { 200: { description: 'JSON lines', content: { 'application/jsonl': { schema: str } } }, ...errors(401, 403, 404) },
  },
  'POST /api/v1/recordings/:id/replay': {
    summary: 'A one-time WebSocket URL that plays the recording',
    security: bearer,
    params: id(),
    body: obj({ at: { type: 'integer', minimum: 0 }, speed: { enum: ['1', '4', 'max', 1, 4] } }, []),
    response: { 200: obj({ ws: str }), ...errors(400, 401, 403, 404) },
  },
  'GET /replay/:id': { summary: 'The replay page', params: id(), response: { 200: page('the replay page') } },
  'GET /replay/ws/:key': {
    summary: 'The replay WebSocket (RFB 3.3)',
    params: key,
    response: { 101: websocket('the recording as an RFB server'), ...errors(403, 404) },
  },
};

/** Shared schemas referenced by `$ref` (registered with app.addSchema before any route). */
export const SHARED_SCHEMAS: readonly S[] = [error, eqError];

/** Routes whose request errors are answered by the route itself (eq.php's `{"result":"ERROR",…}` format). */
const OWN_ERROR_FORMAT = new Set(['POST /eq.php']);

/** Adds the shared schemas and the hook that puts each route's schema on it as it is registered. */
export function attachRouteSchemas(app: FastifyInstance): void {
  for (const s of SHARED_SCHEMAS) app.addSchema(s);
  app.addHook('onRoute', (route: RouteOptions) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    if (methods.every((m) => m === 'HEAD')) return; // Fastify's automatic HEAD twin of a GET
    const name = `${methods.filter((m) => m !== 'HEAD').join(',')} ${route.url}`;
    const schema = ROUTE_SCHEMAS[name];
    if (!schema) throw new Error(`assert: route ${name} has no schema in src/api/route-schemas.ts (every route is documented and validated)`);
    route.schema = { ...schema, ...(route.schema ?? {}) };
    if (OWN_ERROR_FORMAT.has(name)) route.attachValidation = true;
  });
}
