import type { FastifyInstance } from 'fastify';
import type { GatewayContext } from '../context.js';
import { GatewayError } from '../errors.js';
import { thumbnailPng } from '../session/thumbnail.js';
import { PageHeaders, WEB_DEFAULTS } from './embedding.js';
import { pageHtml } from './web-assets.js';
import { bearer, pinHeader } from './rest-v1.js';

/**
 * The operators' dashboard (`/dashboard`, a static page that signs in with an operator token kept in
 * the tab's sessionStorage and calls the REST API with it), `GET /api/v1/whoami` for that sign-in,
 * and console thumbnails rendered from the shadow framebuffer.
 */
export async function dashboardRoutes(app: FastifyInstance, ctx: GatewayContext): Promise<void> {
  const html = pageHtml('dashboard');
  // The dashboard holds an operator token: it is never framed by anyone but the gateway itself.
  const headers = new PageHeaders(WEB_DEFAULTS).for(undefined);

  app.get('/dashboard', async (_req, reply) => {
    reply.headers(headers).type('text/html; charset=utf-8');
    return html;
  });

  app.get('/api/v1/whoami', async (req) => {
    const p = ctx.auth.authenticate(bearer(req), pinHeader(req), req.ip);
    return { kind: p.kind, name: p.name };
  });

  app.get<{ Params: { id: string }; Querystring: { width?: string } }>('/api/v1/sessions/:id/thumbnail.png', async (req, reply) => {
    const p = ctx.auth.authenticate(bearer(req), pinHeader(req), req.ip);
    const width = req.query.width === undefined ? 320 : Number(req.query.width);
    const unknown = () => new GatewayError('GW_ERR_UNKNOWN_SESSION', `no live session "${req.params.id}"`);
    if (ctx.workers && ctx.workers.workerOf(req.params.id) !== undefined) {
      // The picture is in the worker holding the session (src/workers/); Java viewer consoles are here.
      if (!Number.isInteger(width) || width < 16 || width > 1920) throw new GatewayError('GW_ERR_BAD_REQUEST', 'width must be an integer from 16 to 1920');
      const t = await ctx.workers.thumbnail(req.params.id, width);
      if (!t || !p.mayOpen(t.server)) throw unknown();
      reply.header('cache-control', 'no-store').type('image/png');
      return t.png;
    }
    const s = ctx.registry.get(req.params.id);
    if (!s || !p.mayOpen(s.server.id)) throw unknown();
    if (!Number.isInteger(width) || width < 16 || width > 1920) throw new GatewayError('GW_ERR_BAD_REQUEST', 'width must be an integer from 16 to 1920');
    reply.header('cache-control', 'no-store').type('image/png');
    return thumbnailPng(s.fb, width);
  });
}
