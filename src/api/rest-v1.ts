import type { FastifyInstance, FastifyRequest } from 'fastify';
import { GatewayError } from '../errors.js';
import type { GatewayContext } from '../context.js';
import type { Principal } from './auth.js';

export function bearer(req: FastifyRequest): string | undefined {
  const h = req.headers.authorization;
  if (!h) return undefined;
  const m = /^Bearer\s+(.+)$/i.exec(h);
  return m ? m[1]!.trim() : undefined;
}

/** `Idempotency-Key` (or `X-Request-Id`): a retried call with the same key is answered, not run again. */
export function requestIdHeader(req: FastifyRequest): string | undefined {
  const v = req.headers['idempotency-key'] ?? req.headers['x-request-id'];
  return Array.isArray(v) ? v[0] : v;
}

export function pinHeader(req: FastifyRequest): string | undefined {
  const v = req.headers['x-pin'];
  return Array.isArray(v) ? v[0] : v;
}

/** REST v1. Every call carries `Authorization: Bearer TOKEN` (and `X-Pin` when the token has a PIN). */
export function restV1Routes(app: FastifyInstance, deps: GatewayContext): void {
  const principalOf = (req: FastifyRequest): Principal => deps.auth.authenticate(bearer(req), pinHeader(req), req.ip);

  app.post('/api/v1/sessions', async (req, reply) => {
    const p = principalOf(req);
    const b = (req.body ?? {}) as Record<string, unknown>;
    if (typeof b !== 'object' || Array.isArray(b)) throw new GatewayError('GW_ERR_BAD_REQUEST', 'the body must be a JSON object');
    const serverId = b.serverId;
    if (typeof serverId !== 'string' || serverId === '') throw new GatewayError('GW_ERR_BAD_REQUEST', '"serverId" (string) is required');
    if (b.viewOnly !== undefined && typeof b.viewOnly !== 'boolean') throw new GatewayError('GW_ERR_BAD_REQUEST', '"viewOnly" must be true or false');
    if (b.closeUrl !== undefined && typeof b.closeUrl !== 'string') throw new GatewayError('GW_ERR_BAD_REQUEST', '"closeUrl" must be a string');
    const res = await deps.dispatch.rest(p, { type: 'open', serverId, viewOnly: b.viewOnly === true, closeUrl: b.closeUrl }, requestIdHeader(req));
    return reply.code(res.joined === true ? 200 : 201).send(res);
  });

  app.get('/api/v1/sessions', async (req) => {
    const p = principalOf(req);
    return deps.dispatch.rest(p, { type: 'list' });
  });

  app.get<{ Params: { id: string } }>('/api/v1/sessions/:id', async (req) => {
    const p = principalOf(req);
    return deps.dispatch.rest(p, { type: 'get', sessionId: req.params.id });
  });

  app.delete<{ Params: { id: string } }>('/api/v1/sessions/:id', async (req, reply) => {
    const p = principalOf(req);
    await deps.dispatch.rest(p, { type: 'end', sessionId: req.params.id });
    return reply.code(204).send();
  });

  /**
   * The route the provider's existing agents call on a console host:
   * `GET /api/v1/server/:ip/skey/:key/:id/closeurl/:closeurl`. `key` is the API token, `id` the server
   * id, `ip` the BMC address the agent believes the server has (checked against the config, so a
   * stale agent cannot open the wrong machine), `closeurl` URL-encoded. Answers like eq.php.
   */
  app.get<{ Params: { ip: string; key: string; id: string; closeurl: string } }>('/api/v1/server/:ip/skey/:key/:id/closeurl/:closeurl', async (req) => {
    const { ip, key, id, closeurl } = req.params;
    const p = deps.auth.authenticate(key, pinHeader(req), req.ip);
    const server = deps.registry.server(id);
    const hosts = [server.console?.host, server.ipmi?.host].filter(Boolean);
    if (!hosts.includes(ip)) throw new GatewayError('GW_ERR_BAD_REQUEST', `server "${id}" does not have the BMC address ${ip}`);
    let closeUrl: string;
    try {
      closeUrl = new URL(decodeURIComponent(closeurl)).toString();
    } catch {
      throw new GatewayError('GW_ERR_BAD_REQUEST', 'closeurl is not a URL-encoded absolute URL');
    }
    const res = await deps.consoles.open(p, { serverId: id, viewOnly: false, closeUrl });
    return { result: 'OK', scope: res.url, context: { action: 'novnc', id, location: server.location ?? null }, key: res.session.id, joined: res.joined };
  });
}
