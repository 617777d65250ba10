import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { GatewayContext } from '../context.js';
import type { SolSessionView, SolViewerStatus } from './api-types.js';
import { GatewayError } from '../errors.js';
import type { TicketStore } from '../session/tickets.js';
import type { SolSessionRegistry } from '../sol/sol-registry.js';
import type { SolSession } from '../sol/sol-session.js';
import { serialTransportFor } from '../sol/serial-transports.js';
import { attachSolViewer } from '../sol/sol-viewer.js';
import { CloseCode } from '../viewer/viewer.js';
import type { Principal } from './auth.js';
import type { IpmiApi } from './ipmi-routes.js';
import { originCheck } from './viewer-routes.js';
import { pageHtml } from './web-assets.js';

export interface SolRouteDeps {
  readonly api: IpmiApi;
  readonly sols: SolSessionRegistry;
  /** One-time keys of SOL pages: a sibling of the console's TicketStore, so neither can open the other. */
  readonly tickets: TicketStore;
  readonly principalOf: (req: FastifyRequest) => Principal;
}

export interface OpenSolResult {
  session: SolSession;
  joined: boolean;
  url: string;
}

export function solView(s: SolSession): SolSessionView {
  return {
    id: s.id,
    serverId: s.server.id,
    serverName: s.server.name ?? null,
    location: s.server.location ?? null,
    type: 'sol',
    state: s.state,
    createdAt: new Date(s.createdAt).toISOString(),
    viewers: s.viewers.size,
    closeUrls: [...s.closeUrls].map((u) => new URL(u).origin),
    bytesToBmc: s.stats.bytesToBmc,
    bytesFromBmc: s.stats.bytesFromBmc,
    endReason: s.endReason ?? null,
  };
}

/**
 * The serial console in the browser: `action=sol` / `POST /api/v1/servers/:id/sol` return a one-time
 * URL `/sol/:key`; the page (web/sol.html, xterm.js) connects to `/sol-ws/:key`.
 */
export async function solRoutes(app: FastifyInstance, ctx: GatewayContext, deps: SolRouteDeps): Promise<void> {
  const { api, sols, tickets } = deps;
  // xterm.js is bundled into the page's script (web/build.ts), served from /assets/.
  const solHtml = pageHtml('sol');

  const solLog = ctx.log.child({ component: 'sol' });
  const open = (p: Principal, serverId: string, closeUrlRaw: string | undefined): Promise<OpenSolResult> =>
    api.auditedServer(p, serverId, 'sol.open', async (server) => {
      const closeUrl = closeUrlRaw === undefined || closeUrlRaw === '' ? undefined : await ctx.registry.closeUrlPolicy.check(closeUrlRaw);
      const transport = serialTransportFor(server, api.service, solLog);
      // Ask the BMC now (IPMI: Get Chassis Status on the shared session; OpenBMC: a Redfish login),
      // so a wrong password or a dead BMC reaches the caller, not a customer looking at an empty terminal.
      await transport.check();
      const { session, joined } = sols.open(server, { transport, closeUrl, actor: p.name });
      const max = ctx.config.sessions.maxViewers;
      if (session.viewers.size + tickets.pendingFor(session.id) >= max) {
        throw new GatewayError('GW_ERR_TOO_MANY_VIEWERS', `the serial console of "${server.id}" already has ${max} viewers (sessions.maxViewers)`);
      }
      const key = tickets.issue({ sessionId: session.id, viewOnly: false, requester: p.name, requesterKind: p.kind });
      return { session, joined, url: `${ctx.config.publicUrl}/sol/${key}` };
    });

  ctx.eqActions.set('sol', async (p, f) => {
    const id = f.require('id');
    const res = await open(p, id, f.get('closeurl'));
    return { scope: res.url, context: { action: 'sol', id, location: res.session.server.location ?? null }, key: res.session.id, joined: res.joined };
  });

  app.get('/api/v1/sol-sessions', async (req) => {
    const p = deps.principalOf(req);
    return {
      sessions: sols
        .list()
        .filter((s) => p.mayOpen(s.server.id))
        .map(solView),
    };
  });

  app.delete<{ Params: { id: string } }>('/api/v1/sol-sessions/:id', async (req, reply) => {
    const p = deps.principalOf(req);
    const s = sols.get(req.params.id);
    if (!s || !p.mayOpen(s.server.id)) throw new GatewayError('GW_ERR_UNKNOWN_SESSION', `no live serial console "${req.params.id}"`);
    ctx.audit.record({
      action: 'sol.end',
      who: p.name,
      kind: p.kind,
      from: p.from,
      server: s.server.id,
      session: s.id,
      outcome: 'ok',
      detail: { endCode: 'api' },
    });
    s.end(`ended by the API (${p.name})`, 'api');
    return reply.code(204).send();
  });

  app.get<{ Params: { key: string } }>('/sol/:key', async (req, reply) => {
    ctx.pages.apply(req, reply);
    reply.type('text/html; charset=utf-8');
    // Same page for every key; an unknown key still gets it, and the page says why (404 for tools).
    if (!tickets.peek(req.params.key)) reply.code(404);
    return solHtml;
  });

  app.get<{ Params: { key: string } }>('/api/v1/sol-viewer/:key/status', async (req, reply) => {
    reply.header('cache-control', 'no-store');
    const sessionId = tickets.sessionOf(req.params.key);
    if (!sessionId) throw new GatewayError('GW_ERR_VIEWER_URL_INVALID', 'this serial console URL is unknown or has expired');
    const s = sols.get(sessionId);
    if (s)
      return {
        state: s.state,
        server: s.server.name ?? s.server.id,
        reason: s.endReason ?? null,
        code: s.state === 'ended' ? (sols.endedCode(s.id) ?? null) : null,
      } satisfies SolViewerStatus;
    return {
      state: 'ended',
      reason: sols.endedReason(sessionId) ?? 'the serial console has ended',
      code: sols.endedCode(sessionId) ?? null,
    } satisfies SolViewerStatus;
  });

  app.get<{ Params: { key: string } }>('/sol-ws/:key', { websocket: true, preValidation: originCheck(ctx, 'sol.viewer') }, (socket, req) => {
    const ticket = tickets.consume(req.params.key);
    const session = ticket ? sols.get(ticket.sessionId) : undefined;
    if (!ticket || !session || session.state === 'ended') {
      const why = !ticket
        ? 'this serial console URL is unknown, expired or already used'
        : `the serial console has ended: ${sols.endedReason(ticket.sessionId) ?? 'unknown reason'}`;
      socket.close(CloseCode.SessionEnded, why.slice(0, 120));
      return;
    }
    if (session.viewers.size >= ctx.config.sessions.maxViewers) {
      socket.close(CloseCode.SessionEnded, `this serial console already has ${ctx.config.sessions.maxViewers} viewers`);
      return;
    }
    ctx.audit.record({
      action: 'sol.viewer',
      who: ticket.requester ?? 'unknown',
      kind: ticket.requesterKind ?? 'token',
      from: req.ip,
      server: session.server.id,
      session: session.id,
      outcome: 'ok',
    });
    attachSolViewer(socket, session, ctx.log, ctx.config.sessions.pingIntervalMs);
  });
}
