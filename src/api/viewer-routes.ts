import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { GatewayError } from '../errors.js';
import type { GatewayContext } from '../context.js';
import { previewImg, screenPreview } from '../session/preview.js';
import { SessionRegistry } from '../session/registry.js';
import type { EndCode } from '../session/session.js';
import { CloseCode, Viewer } from '../viewer/viewer.js';
import type { ViewerStatus } from './api-types.js';
import { pageHtml } from './web-assets.js';

/** Where the console page's preview goes (web/console.html, inside the screen's element). */
const PREVIEW_MARK = '<!--preview-->';

/** The viewer WebSockets' Origin check (preValidation: refused before the one-time key is used). */
export function originCheck(deps: GatewayContext, what: string) {
  return deps.pages.webSocketOriginCheck(deps.config.publicUrl, (req, origin) => {
    deps.metrics.originRefused.inc();
    deps.audit.record({
      action: `${what}.refused`,
      who: 'unknown',
      kind: 'token',
      from: req.ip,
      outcome: 'refused',
      code: 'GW_ERR_ORIGIN_REFUSED',
      detail: { origin: origin.slice(0, 200) },
    });
  });
}

/** Why recently ended sessions ended, as codes the page translates (the registry keeps the sentences). */
export function trackEndedCodes(registry: SessionRegistry): Map<string, EndCode> {
  const endedCodes = new Map<string, EndCode>();
  registry.observe({
    hooks: {
      ended: (s, code) => {
        if (endedCodes.size >= SessionRegistry.ENDED_MAX) endedCodes.delete(endedCodes.keys().next().value!);
        endedCodes.set(s.id, code);
      },
    },
  });
  return endedCodes;
}

/** How the session behind a viewer key is doing (`GET /api/v1/viewer/:key/status`). */
export function viewerStatus(deps: Pick<GatewayContext, 'tickets' | 'registry'>, endedCodes: Map<string, EndCode>, key: string): ViewerStatus {
  const sessionId = deps.tickets.sessionOf(key);
  if (!sessionId) throw new GatewayError('GW_ERR_VIEWER_URL_INVALID', 'this console URL is unknown or has expired');
  const s = deps.registry.get(sessionId);
  const viewOnly = deps.tickets.viewOnlyOf(key) ?? false;
  if (s) {
    return {
      state: s.state,
      server: s.server.name ?? s.server.id,
      viewOnly,
      warning: s.warning ?? null,
      warningCode: s.warning ? 'input-idle' : null,
      reason: s.endReason ?? null,
      code: s.endCode ?? null,
    };
  }
  return {
    state: 'ended',
    viewOnly,
    warning: null,
    warningCode: null,
    reason: deps.registry.endedReason(sessionId) ?? 'the session has ended',
    code: endedCodes.get(sessionId) ?? null,
  };
}

/** The console page's preview for an unused key (src/session/preview.ts), or undefined (unknown key: `known` false). */
export async function keyPreview(
  deps: Pick<GatewayContext, 'tickets' | 'registry' | 'log'>,
  key: string,
): Promise<{ known: boolean; png: Buffer | undefined }> {
  const ticket = deps.tickets.peek(key);
  if (!ticket) return { known: false, png: undefined };
  const session = deps.registry.get(ticket.sessionId);
  const png = session
    ? await screenPreview(session).catch((err: unknown) => {
        deps.log.warn({ err, session: session.id }, 'console page preview failed; the page is sent without it');
        return undefined;
      })
    : undefined;
  return { known: true, png };
}

/** A viewer's WebSocket, its Origin already checked: uses the one-time key and attaches a Viewer (or closes saying why). */
export function acceptViewer(deps: GatewayContext, socket: import('ws').WebSocket, key: string, ip: string): void {
  const ticket = deps.tickets.consume(key);
  const session = ticket ? deps.registry.get(ticket.sessionId) : undefined;
  if (!ticket || !session || session.state === 'ended') {
    const why = !ticket
      ? 'this console URL is unknown, expired or already used'
      : `the session has ended: ${session?.endReason ?? deps.registry.endedReason(ticket.sessionId) ?? 'unknown reason'}`;
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
  deps.audit.record({
    action: 'console.viewer',
    who: ticket.requester ?? 'unknown',
    kind: ticket.requesterKind ?? 'token',
    from: ip,
    server: session.server.id,
    session: session.id,
    outcome: 'ok',
    detail: { viewOnly: ticket.viewOnly },
  });
  new Viewer({ ws: socket, session, viewOnly: ticket.viewOnly, log: deps.log, metrics: deps.metrics, pingIntervalMs: deps.config.sessions.pingIntervalMs });
}

export async function viewerRoutes(app: FastifyInstance, deps: GatewayContext): Promise<void> {
  // The page's script (noVNC bundled in it) is served from /assets/ (web-assets.ts).
  const consoleHtml = pageHtml('console');
  if (!consoleHtml.includes(PREVIEW_MARK)) throw new Error(`the built console page has no ${PREVIEW_MARK} mark: rebuild the pages ("npm run build")`);
  const endedCodes = trackEndedCodes(deps.registry);
  // With worker processes (src/workers/), keys, status and viewer sockets belong to the worker holding
  // the session; keys no worker issued are this process's own (Java viewer consoles stay here).
  const workers = deps.workers;

  app.get<{ Params: { key: string } }>('/console/:key', async (req, reply) => {
    deps.pages.apply(req, reply);
    reply.type('text/html; charset=utf-8');
    // The page is the same for every key; it reads the key from its own URL. An unknown key still
    // gets the page, which then shows why the console cannot open (404 status for tools).
    // An unused key's page carries the console's current screen (src/session/preview.ts), shown until
    // noVNC has drawn (pages.apply has made the page no-store: it is this key's picture).
    const { known, png } = workers?.issued(req.params.key) ? await workers.keyPreview(req.params.key) : await keyPreview(deps, req.params.key);
    if (!known) reply.code(404);
    if (!png) return consoleHtml.replace(PREVIEW_MARK, '');
    return consoleHtml.replace(PREVIEW_MARK, previewImg(png));
  });

  /** How the session behind a viewer key is doing: lets the page show "reconnecting" and why it ended. */
  app.get<{ Params: { key: string } }>('/api/v1/viewer/:key/status', async (req, reply) => {
    reply.header('cache-control', 'no-store');
    if (workers?.issued(req.params.key)) return (await workers.viewerStatus(req.params.key)) satisfies ViewerStatus;
    return viewerStatus(deps, endedCodes, req.params.key) satisfies ViewerStatus;
  });

  // With workers, the upgrade request goes to the worker that issued the key before any byte is
  // answered (hijacked: @fastify/websocket does not upgrade it here); the worker answers the handshake.
  const handOff = async (req: FastifyRequest<{ Params: { key: string } }>, reply: FastifyReply): Promise<void> => {
    if (!workers || reply.sent) return;
    const raw = req.raw;
    if (workers.handOffViewer(req.params.key, raw.socket, { ip: req.ip, method: raw.method ?? 'GET', url: raw.url ?? req.url, headers: raw.headers }))
      reply.hijack();
  };
  app.get<{ Params: { key: string } }>('/ws/:key', { websocket: true, preValidation: [originCheck(deps, 'console.viewer'), handOff] }, (socket, req) => {
    acceptViewer(deps, socket, req.params.key, req.ip);
  });
}
