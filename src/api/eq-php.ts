import type { FastifyInstance } from 'fastify';
import type { EqAction, EqFields, GatewayContext } from '../context.js';
import { GatewayError, toPublicError } from '../errors.js';

/** Wraps a parsed body: form fields are strings; JSON bodies may carry numbers or booleans. */
export function eqFields(body: Record<string, unknown>): EqFields {
  const get = (name: string): string | undefined => {
    const v = body[name];
    if (v === undefined || v === null) return undefined;
    if (typeof v === 'string') return v;
    if (typeof v === 'number' || typeof v === 'boolean') return String(v);
    throw new GatewayError('GW_ERR_BAD_REQUEST', `field "${name}" must be a string`);
  };
  return {
    get,
    require(name) {
      const v = get(name);
      if (v === undefined || v === '') throw new GatewayError('GW_ERR_BAD_REQUEST', `field "${name}" is required`);
      return v;
    },
    flag(name) {
      const v = get(name);
      if (v === undefined || v === '' || v === '0' || v === 'false') return false;
      if (v === '1' || v === 'true') return true;
      throw new GatewayError('GW_ERR_BAD_REQUEST', `field "${name}" must be 0 or 1`);
    },
  };
}

/** `action=novnc`: opens (or joins) a console where the sessions live (this process or a worker's). */
export function novncAction(ctx: Pick<GatewayContext, 'consoles'>): EqAction {
  return async (principal, f) => {
    const id = f.require('id');
    const closeUrl = f.get('closeurl');
    const res = await ctx.consoles.open(principal, { serverId: id, viewOnly: f.flag('view_only'), closeUrl: closeUrl === '' ? undefined : closeUrl });
    return {
      scope: res.url,
      context: { action: 'novnc', id, location: res.session.server.location ?? null },
      key: res.session.id,
      joined: res.joined,
      source: res.session.sourceInfo.kind,
    };
  };
}

/**
 * The hosting panel's call, eq.php-style: `POST /eq.php action=… token=… id=… pin=…`, answered
 * `{"result":"OK", …}` or `{"result":"ERROR","error":{"code","message"}}` with an HTTP error status.
 * Actions live in `ctx.eqActions`; `novnc` is registered here.
 */
export function eqPhpRoutes(app: FastifyInstance, ctx: GatewayContext): void {
  ctx.eqActions.set('novnc', novncAction(ctx));

  app.post('/eq.php', async (req, reply) => {
    try {
      // The route's schema (src/api/route-schemas.ts) is checked before this; its problems are answered in eq.php's format.
      if (req.validationError) throw new GatewayError('GW_ERR_BAD_REQUEST', req.validationError.message);
      const body = req.body;
      if (!body || typeof body !== 'object' || Array.isArray(body)) {
        throw new GatewayError('GW_ERR_BAD_REQUEST', 'the body must be form-encoded (action=…&token=…) or a JSON object');
      }
      const f = eqFields(body as Record<string, unknown>);
      const action = f.require('action');
      const principal = ctx.auth.authenticate(f.get('token'), f.get('pin'), req.ip);
      if (!ctx.eqActions.has(action))
        throw new GatewayError('GW_ERR_UNKNOWN_ACTION', `action "${action}" is not supported (supported: ${[...ctx.eqActions.keys()].join(', ')})`);
      // Here, or on an agent of the server's location (src/dispatch/).
      return { result: 'OK', ...(await ctx.dispatch.eq(principal, action, body as Record<string, unknown>, f)) };
    } catch (err) {
      const e = toPublicError(err);
      if (e.code === 'GW_ERR_INTERNAL') req.log.error({ err }, 'eq.php failed');
      if (e.headers) reply.headers(e.headers);
      return reply.code(e.status).send({ result: 'ERROR', error: { code: e.code, message: e.message } });
    }
  });
}
