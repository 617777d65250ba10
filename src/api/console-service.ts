import type { GatewayConfig } from '../config/types.js';
import { GatewayError } from '../errors.js';
import type { Logger } from '../log.js';
import type { SessionRegistry } from '../session/registry.js';
import type { Session } from '../session/session.js';
import type { TicketStore } from '../session/tickets.js';
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

  constructor(o: { config: GatewayConfig; registry: SessionRegistry; tickets: TicketStore; log: Logger }) {
    this.#config = o.config;
    this.#registry = o.registry;
    this.#tickets = o.tickets;
    this.#log = o.log;
  }

  async open(principal: Principal, req: OpenConsoleRequest): Promise<OpenConsoleResult> {
    const server = this.#registry.server(req.serverId);
    if (!principal.mayOpen(server.id)) throw new GatewayError('GW_ERR_FORBIDDEN_SERVER', `this token may not open server "${server.id}"`);
    const { session, joined } = this.#registry.open(server.id);
    // Wait for the BMC: the caller must learn now whether the console works (unreachable, wrong
    // password, hung BMC each give their own error), not after the customer opened a blank page.
    await session.ready();
    const key = this.#tickets.issue({ sessionId: session.id, viewOnly: req.viewOnly, requester: principal.name });
    this.#log.info({ event: 'console-open', server: server.id, session: session.id, joined, viewOnly: req.viewOnly, requester: principal.name }, 'console URL issued');
    return { session, joined, url: `${this.#config.publicUrl}/console/${key}` };
  }
}

export function sessionView(s: Session): Record<string, unknown> {
  return {
    id: s.id,
    serverId: s.server.id,
    location: s.server.location ?? null,
    state: s.state,
    createdAt: new Date(s.createdAt).toISOString(),
    width: s.fb.width,
    height: s.fb.height,
    viewers: [...s.viewers].map((v) => ({ id: v.id, viewOnly: v.viewOnly })),
    bytesIn: s.stats.bytesIn,
    bytesOut: s.stats.bytesOut,
    lastInputAt: s.stats.lastInputAt ? new Date(s.stats.lastInputAt).toISOString() : null,
    endReason: s.endReason ?? null,
  };
}
