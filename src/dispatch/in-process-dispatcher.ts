import type { Principal } from '../api/auth.js';
import type { EqFields, GatewayContext } from '../context.js';
import { IdempotencyCache, idempotencyKey } from './idempotency-cache.js';
import { eqCall, runLocally } from './local-calls.js';
import type { DispatchCall, Dispatcher, RestCall } from './types.js';

/** Answers are remembered this long (the same as an agent's). */
const IDEMPOTENCY_TTL_MS = 10 * 60_000;
const IDEMPOTENCY_MAX = 10_000;

/**
 * The default: every call runs in this gateway (one site, no broker). A call repeated with the
 * same `request_id` / `Idempotency-Key` (and token, and fields) within 10 minutes is answered with
 * the first call's answer — while the first still runs, or after — and does not run again. The
 * AMQP front uses this for the servers it serves itself.
 */
export class InProcessDispatcher implements Dispatcher {
  readonly #ctx: GatewayContext;
  readonly #cache = new IdempotencyCache<Record<string, unknown>>({ max: IDEMPOTENCY_MAX, ttlMs: IDEMPOTENCY_TTL_MS });

  constructor(ctx: GatewayContext) {
    this.#ctx = ctx;
  }

  eq(principal: Principal, action: string, body: Record<string, unknown>, fields: EqFields): Promise<Record<string, unknown>> {
    return this.#once(
      principal,
      fields.get('request_id'),
      () => eqCall(action, body, fields),
      () => runLocally(this.#ctx, principal, { type: 'eq', action, fields: {} }, fields),
    );
  }

  rest(principal: Principal, call: RestCall, requestId?: string): Promise<Record<string, unknown>> {
    return this.#once(
      principal,
      requestId,
      () => call,
      () => runLocally(this.#ctx, principal, call),
    );
  }

  #once(
    principal: Principal,
    requestId: string | undefined,
    call: () => DispatchCall,
    run: () => Promise<Record<string, unknown>>,
  ): Promise<Record<string, unknown>> {
    if (requestId === undefined || requestId === '') return run();
    return this.#cache.run(idempotencyKey(principal.name, requestId, call()), run).value;
  }
}
