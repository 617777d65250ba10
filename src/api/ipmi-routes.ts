import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ServerConfig } from '../config/types.js';
import type { GatewayContext } from '../context.js';
import { GatewayError } from '../errors.js';
import { ipmiTargetOf } from '../ipmi/config-target.js';
import type { IpmiService } from '../ipmi/ipmi-service.js';
import type { IpmiTarget } from '../ipmi/types.js';
import { TicketStore } from '../session/tickets.js';
import { SolSessionRegistry } from '../sol/sol-registry.js';
import type { ApiAudit } from './api-audit.js';
import type { Principal } from './auth.js';
import { jsonBody, viaEq } from './power-requests.js';
import { bearer, pinHeader } from './rest-v1.js';
import { solRoutes } from './sol-routes.js';

/**
 * The path of the IPMI-only API (the serial console): authorise like a console
 * (`principal.mayOpen`), find the server's `ipmi`, run on the gateway's one IpmiService, and write
 * the audit line through the shared ApiAudit. Power and boot device are in power-routes.ts (either protocol).
 */
export class IpmiApi {
  readonly service: IpmiService;
  readonly #ctx: GatewayContext;
  readonly #audit: ApiAudit;

  constructor(ctx: GatewayContext, service: IpmiService, audit: ApiAudit) {
    this.#ctx = ctx;
    this.service = service;
    this.#audit = audit;
  }

  /** The server, checked: known, allowed for this principal, with an `ipmi` block. */
  server(p: Principal, serverId: string): ServerConfig & { ipmi: NonNullable<ServerConfig['ipmi']> } {
    const server = this.#allowed(p, serverId);
    if (!server.ipmi) throw new GatewayError('GW_ERR_NO_IPMI', `server "${server.id}" has no ipmi configured`);
    return server as ServerConfig & { ipmi: NonNullable<ServerConfig['ipmi']> };
  }

  /** The server, checked: known and allowed for this principal. */
  #allowed(p: Principal, serverId: string): ServerConfig {
    const server = this.#ctx.registry.server(serverId);
    if (!p.mayOpen(server.id)) throw new GatewayError('GW_ERR_FORBIDDEN_SERVER', `this token may not use server "${server.id}"`);
    return server;
  }

  /** Runs `fn` on the server's IPMI target and writes the audit line, whatever the outcome. */
  audited<T>(p: Principal, serverId: string, action: string, fn: (target: IpmiTarget, server: ServerConfig) => Promise<T>): Promise<T> {
    return this.auditedServer(p, serverId, action, (server) => {
      if (!server.ipmi) throw new GatewayError('GW_ERR_NO_IPMI', `server "${server.id}" has no ipmi configured`);
      return fn(ipmiTargetOf(server.ipmi), server);
    });
  }

  /** Runs `fn` on a server this principal may use (IPMI or not: a serial console) and writes the audit line (ApiAudit). */
  auditedServer<T>(p: Principal, serverId: string, action: string, fn: (server: ServerConfig) => Promise<T>): Promise<T> {
    return this.#audit.run(p, serverId, action, () => fn(this.#allowed(p, serverId)));
  }

  /** An audit line for things that are not one IPMI call (a SOL console's URL, its end). */
  note(fields: { who: string; server: string; action: string; result: string; [k: string]: unknown }): void {
    this.#audit.note(fields);
  }
}

/** Registers the serial console routes; returns the serial consoles' registry (the dashboard's feed lists them). */
export async function ipmiRoutes(app: FastifyInstance, ctx: GatewayContext, o: { service: IpmiService; audit: ApiAudit }): Promise<SolSessionRegistry> {
  const service = o.service;
  const api = new IpmiApi(ctx, service, o.audit);
  const solTickets = new TicketStore(ctx.config.sessions.urlTtlMs);
  const sols = new SolSessionRegistry({
    config: ctx.config,
    log: ctx.log.child({ component: 'sol' }),
    closeNotifier: ctx.registry.closeNotifier,
    journal: ctx.registry.journal,
    onEnded: (s, code, reason) => {
      solTickets.revokeSession(s.id);
      // An end by the API is recorded by its route, with who asked.
      if (code !== 'api') api.note({ who: 'gateway', server: s.server.id, action: 'sol.end', result: code, session: s.id, reason });
    },
  });
  // The IpmiService itself is closed with the PowerService that owns it, after this (server.ts).
  ctx.onClose.push(() => {
    sols.closeAll('the gateway is shutting down');
    solTickets.close();
  });

  const principalOf = (req: FastifyRequest): Principal => ctx.auth.authenticate(bearer(req), pinHeader(req), req.ip);

  app.post<{ Params: { id: string } }>('/api/v1/servers/:id/sol', async (req, reply) => {
    const p = principalOf(req);
    const b = jsonBody(req);
    for (const k of Object.keys(b)) if (k !== 'closeUrl') throw new GatewayError('GW_ERR_BAD_REQUEST', `"${k}" is not a known field (closeUrl)`);
    if (b.closeUrl !== undefined && typeof b.closeUrl !== 'string') throw new GatewayError('GW_ERR_BAD_REQUEST', '"closeUrl" must be a string');
    const res = await viaEq(ctx, req, p, 'sol', { id: req.params.id, ...(b.closeUrl ? { closeurl: b.closeUrl } : {}) });
    const context = res.context as { location?: string | null } | undefined;
    return reply
      .code(res.joined ? 200 : 201)
      .send({ id: res.key, serverId: req.params.id, location: context?.location ?? null, type: 'sol', url: res.scope, joined: res.joined });
  });

  await solRoutes(app, ctx, { api, sols, tickets: solTickets, principalOf });
  return sols;
}
