import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { GatewayError } from '../errors.js';
import type { GatewayContext } from '../context.js';
import { NOVNC_DIR, WEB_DIR } from '../paths.js';
import { CloseCode, Viewer } from '../viewer/viewer.js';

/**
 * Headers for pages that carry a one-time key in their URL: no caching, and no Referer to anyone
 * (the key must not leak to another origin). Scripts only from us.
 */
export const PAGE_HEADERS = {
  'cache-control': 'no-store',
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'SAMEORIGIN',
  'content-security-policy': "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self' ws: wss:; frame-ancestors 'self'",
};

export async function viewerRoutes(app: FastifyInstance, deps: GatewayContext): Promise<void> {
  const consoleHtml = readFileSync(join(WEB_DIR, 'console.html'), 'utf8');

  // noVNC, unmodified, straight from the @novnc/novnc package: its core/ and the vendor/ it imports.
  await app.register(fastifyStatic, { root: join(NOVNC_DIR, 'core'), prefix: '/novnc/core/', decorateReply: false, index: false });
  await app.register(fastifyStatic, { root: join(NOVNC_DIR, 'vendor'), prefix: '/novnc/vendor/', decorateReply: false, index: false });
  await app.register(fastifyStatic, { root: join(WEB_DIR, 'static'), prefix: '/static/', decorateReply: false, index: false });

  app.get<{ Params: { key: string } }>('/console/:key', async (req, reply) => {
    reply.headers(PAGE_HEADERS).type('text/html; charset=utf-8');
    // The page is the same for every key; it reads the key from its own URL. An unknown key still
    // gets the page, which then shows why the console cannot open (404 status for tools).
    if (!deps.tickets.peek(req.params.key)) reply.code(404);
    return consoleHtml;
  });

  /** How the session behind a viewer key is doing: lets the page show "reconnecting" and why it ended. */
  app.get<{ Params: { key: string } }>('/api/v1/viewer/:key/status', async (req, reply) => {
    reply.header('cache-control', 'no-store');
    const sessionId = deps.tickets.sessionOf(req.params.key);
    if (!sessionId) throw new GatewayError('GW_ERR_VIEWER_URL_INVALID', 'this console URL is unknown or has expired');
    const s = deps.registry.get(sessionId);
    const viewOnly = deps.tickets.viewOnlyOf(req.params.key) ?? false;
    if (s) return { state: s.state, server: s.server.name ?? s.server.id, viewOnly, warning: s.warning ?? null, reason: s.endReason ?? null };
    return { state: 'ended', viewOnly, warning: null, reason: deps.registry.endedReason(sessionId) ?? 'the session has ended' };
  });

  app.get<{ Params: { key: string } }>('/ws/:key', { websocket: true }, (socket, req) => {
    const ticket = deps.tickets.consume(req.params.key);
    const session = ticket ? deps.registry.get(ticket.sessionId) : undefined;
    if (!ticket || !session || session.state === 'ended') {
      const why = !ticket ? 'this console URL is unknown, expired or already used' : `the session has ended: ${session?.endReason ?? deps.registry.endedReason(ticket.sessionId) ?? 'unknown reason'}`;
      socket.close(CloseCode.SessionEnded, why.slice(0, 120));
      return;
    }
    if (!session.hasPicture) {
      socket.close(CloseCode.SessionEnded, 'the console is not connected to the BMC yet');
      return;
    }
    if (session.viewers.size >= deps.config.sessions.maxViewers) {
      socket.close(CloseCode.SessionEnded, `this console already has ${deps.config.sessions.maxViewers} viewers`);
      return;
    }
    new Viewer({ ws: socket, session, viewOnly: ticket.viewOnly, log: deps.log, metrics: deps.metrics, pingIntervalMs: deps.config.sessions.pingIntervalMs });
  });
}
