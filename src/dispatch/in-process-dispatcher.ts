import type { Principal } from '../api/auth.js';
import type { EqFields, GatewayContext } from '../context.js';
import { runLocally } from './local-calls.js';
import type { Dispatcher, RestCall } from './types.js';

/** The default: every call runs in this gateway (one site, no broker). */
export class InProcessDispatcher implements Dispatcher {
  readonly #ctx: GatewayContext;
  constructor(ctx: GatewayContext) {
    this.#ctx = ctx;
  }

  eq(principal: Principal, action: string, _body: Record<string, unknown>, fields: EqFields): Promise<Record<string, unknown>> {
    return runLocally(this.#ctx, principal, { type: 'eq', action, fields: {} }, fields);
  }

  rest(principal: Principal, call: RestCall): Promise<Record<string, unknown>> {
    return runLocally(this.#ctx, principal, call);
  }
}
