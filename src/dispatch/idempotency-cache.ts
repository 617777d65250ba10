import { createHash } from 'node:crypto';
import type { DispatchCall } from './types.js';

/**
 * Remembers the answer to each request id for a while, so a request delivered twice (a redelivery
 * after a broker restart, or a client retrying with the same Idempotency-Key) is answered with the
 * first result instead of running again — a repeated "power cycle" is harmful. A request still
 * running shares its promise with the duplicate. Bounded: at most `max` ids, each for `ttlMs`; the
 * oldest go first. The cache lives in one process (an agent, or a gateway without dispatch); across
 * agents, broker-claims.ts. docs/ARCHITECTURE.md says what each does and does not promise.
 */
export class IdempotencyCache<T> {
  readonly #entries = new Map<string, { value: Promise<T>; expires: number }>();
  readonly #max: number;
  readonly #ttlMs: number;
  readonly #now: () => number;

  constructor(o: { max: number; ttlMs: number; now?: () => number }) {
    this.#max = o.max;
    this.#ttlMs = o.ttlMs;
    this.#now = o.now ?? Date.now;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** The first answer for `key` if there is one (`duplicate: true`), else runs `run` and keeps its answer. */
  run(key: string, run: () => Promise<T>): { value: Promise<T>; duplicate: boolean } {
    const now = this.#now();
    this.#evict(now);
    const hit = this.#entries.get(key);
    if (hit && hit.expires > now) return { value: hit.value, duplicate: true };
    const value = run();
    this.#entries.set(key, { value, expires: now + this.#ttlMs });
    while (this.#entries.size > this.#max) this.#entries.delete(this.#entries.keys().next().value as string);
    return { value, duplicate: false };
  }

  /** Forgets `key`: the next call with it runs (for answers that only said "not known yet"). */
  delete(key: string): void {
    this.#entries.delete(key);
  }

  #evict(now: number): void {
    // Insertion order is expiry order (one TTL for all), so stop at the first live entry.
    for (const [k, e] of this.#entries) {
      if (e.expires > now) break;
      this.#entries.delete(k);
    }
  }
}

/**
 * The idempotency key of a call: who asked, the request id, and the call itself (eq.php fields in
 * name order, so the same call built by another front, or with its fields in another order, has
 * the same key). A request id reused by a client for another call is therefore a new request, not
 * a wrong answer from the cache.
 */
export function idempotencyKey(principalName: string, requestId: string, call: DispatchCall): string {
  const canonical =
    call.type === 'eq' ? { ...call, fields: Object.fromEntries(Object.entries(call.fields).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) } : call;
  return createHash('sha256')
    .update(JSON.stringify([principalName, requestId, canonical]))
    .digest('base64url');
}
