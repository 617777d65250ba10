import type { Authenticator, Principal } from './api/auth.js';
import type { PageHeaders } from './api/embedding.js';
import type { AuditSink } from './audit/audit-trail.js';
import type { ConsoleService } from './api/console-service.js';
import type { GatewayConfig } from './config/types.js';
import type { Dispatcher } from './dispatch/types.js';
import type { Logger } from './log.js';
import type { Metrics } from './metrics/metrics.js';
import type { SessionRegistry } from './session/registry.js';
import type { TicketStore } from './session/tickets.js';
import type { WorkerPool } from './workers/worker-pool.js';

/**
 * An eq.php action (`action=novnc`, `action=ipmi_power`, …): gets the authenticated principal and
 * the request's fields, returns the JSON answer's fields beside `result: "OK"`. Throws a
 * GatewayError (or a ProtocolError) for the error answer.
 */
export type EqAction = (principal: Principal, fields: EqFields) => Promise<Record<string, unknown>>;

/** Request fields of eq.php: `get` returns a string or undefined, and refuses non-scalar values. */
export interface EqFields {
  get(name: string): string | undefined;
  require(name: string): string;
  flag(name: string): boolean;
}

/** Everything the route plugins share; built once by buildGateway. */
export interface GatewayContext {
  config: GatewayConfig;
  log: Logger;
  metrics: Metrics;
  registry: SessionRegistry;
  tickets: TicketStore;
  auth: Authenticator;
  consoles: ConsoleService;
  /** The audit trail (src/audit/): every service records its actions and refusals here. */
  audit: AuditSink;
  /** Headers of the framable pages and the viewer WebSockets' Origin check (`web.frameAncestors`). */
  pages: PageHeaders;
  /** eq.php actions by name; features add theirs when their routes are registered. */
  eqActions: Map<string, EqAction>;
  /** Runs eq.php actions and REST session calls here or, for a remote location, on its agents (src/dispatch/). */
  dispatch: Dispatcher;
  /** With `workers` > 0: the worker processes that hold the console sessions (src/workers/); undefined = this process holds them. */
  workers?: WorkerPool | undefined;
  /** Run at shutdown, in order, after sessions have ended. */
  onClose: (() => Promise<void> | void)[];
}
