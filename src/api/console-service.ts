import { outcomeOf, type AuditSink } from '../audit/audit-trail.js';
import type { GatewayConfig } from '../config/types.js';
import { GatewayError, toPublicError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics/metrics.js';
import type { SessionRegistry } from '../session/registry.js';
import type { Session } from '../session/session.js';
import type { TicketStore } from '../session/tickets.js';
import type { SessionView } from './api-types.js';
import type { Principal } from './auth.js';

export interface OpenConsoleRequest {
  serverId: string;
  viewOnly: boolean;
  closeUrl?: string | undefined;
}

export interface OpenConsoleResult {
  session: Session;
  joined: boolean;
  /** The one-time viewer URL. */
  url: string;
}

/** The one path every API flavour (eq.php, REST, the agents' closeurl route) takes to open a console. */
export class ConsoleService {
  readonly #config: GatewayConfig;
  readonly #registry: SessionRegistry;
  readonly #tickets: TicketStore;
  readonly #log: Logger;
  readonly #metrics: Metrics;
  readonly #audit: AuditSink;

  constructor(o: { config: GatewayConfig; registry: SessionRegistry; tickets: TicketStore; log: Logger; metrics: Metrics; audit: AuditSink }) {
    this.#config = o.config;
    this.#registry = o.registry;
    this.#tickets = o.tickets;
    this.#log = o.log;
    this.#metrics = o.metrics;
    this.#audit = o.audit;
  }

  /** Opens (or joins) the server's console; one audit record whatever the outcome. */
  async open(principal: Principal, req: OpenConsoleRequest): Promise<OpenConsoleResult> {
    const who = { who: principal.name, kind: principal.kind, from: principal.from, server: req.serverId };
    try {
      const res = await this.#open(principal, req);
      this.#audit.record({
        action: res.joined ? 'console.join' : 'console.open',
        ...who,
        outcome: 'ok',
        session: res.session.id,
        detail: { viewOnly: req.viewOnly, closeUrl: req.closeUrl !== undefined },
      });
      return res;
    } catch (err) {
      const e = toPublicError(err);
      this.#audit.record({ action: 'console.open', ...who, outcome: outcomeOf(e.code), code: e.code, message: e.message });
      throw err;
    }
  }

  async #open(principal: Principal, req: OpenConsoleRequest): Promise<OpenConsoleResult> {
    const server = this.#registry.server(req.serverId);
    if (!principal.mayOpen(server.id)) throw new GatewayError('GW_ERR_FORBIDDEN_SERVER', `this token may not open server "${server.id}"`);
    const closeUrl = req.closeUrl === undefined ? undefined : await this.#registry.closeUrlPolicy.check(req.closeUrl);
    const { session, joined } = this.#registry.open(server.id, { closeUrl });
    // Viewers already attached plus URLs issued and not yet used count against the limit.
    const max = this.#config.sessions.maxViewers;
    if (session.viewers.size + this.#tickets.pendingFor(session.id) >= max) {
      throw new GatewayError('GW_ERR_TOO_MANY_VIEWERS', `server "${server.id}" already has ${max} viewers (sessions.maxViewers)`);
    }
    // No idle end while this open waits, and the URL issued gets the whole idle timeout (Session.holdForViewer).
    const release = session.holdForViewer();
    let key: string;
    try {
      // Wait for the BMC: the caller must learn now whether the console works (unreachable, wrong
      // password, hung BMC each give their own error), not after the customer opened a blank page.
      await session.ready();
      key = this.#tickets.issue({ sessionId: session.id, viewOnly: req.viewOnly, requester: principal.name, requesterKind: principal.kind });
    } finally {
      release();
    }
    this.#metrics.consoleOpens.inc({ joined: String(joined) });
    this.#log.info(
      { event: 'console-open', server: server.id, session: session.id, joined, viewOnly: req.viewOnly, requester: principal.name },
      'console URL issued',
    );
    return { session, joined, url: `${this.#config.publicUrl}/console/${key}` };
  }
}

export function sessionView(s: Session): SessionView {
  return {
    id: s.id,
    serverId: s.server.id,
    serverName: s.server.name ?? null,
    location: s.server.location ?? null,
    state: s.state,
    // Which path serves the console: vnc, aten, or jnlp (a Java viewer); `fallback` says why an aten console went to Java.
    source: s.sourceInfo.kind,
    fallback: s.sourceInfo.fallback ?? null,
    createdAt: new Date(s.createdAt).toISOString(),
    width: s.fb.width,
    height: s.fb.height,
    ageSeconds: Math.round((Date.now() - s.createdAt) / 1000),
    viewers: [...s.viewers].map((v) => ({
      id: v.id,
      viewOnly: v.viewOnly,
      ...('queuedBytes' in v ? { queuedBytes: (v as { queuedBytes: number }).queuedBytes } : {}),
    })),
    closeUrls: [...s.closeUrls].map((u) => new URL(u).origin),
    bytesIn: s.stats.bytesIn,
    bytesOut: s.stats.bytesOut,
    screenUpdates: Object.values(s.stats.upstreamRects).reduce((a, b) => a + b, 0),
    lastInputAt: s.stats.lastInputAt ? new Date(s.stats.lastInputAt).toISOString() : null,
    reconnects: s.stats.reconnects,
    warning: s.warning ?? null,
    endReason: s.endReason ?? null,
  };
}
