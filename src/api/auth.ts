import { createHash, timingSafeEqual } from 'node:crypto';
import type { AuditSink } from '../audit/audit-trail.js';
import type { GatewayConfig } from '../config/types.js';
import { GatewayError } from '../errors.js';
import type { Metrics } from '../metrics/metrics.js';
import { AuthRateLimiter } from './rate-limit.js';

export interface Principal {
  kind: 'token' | 'operator';
  /** Name for logs and audit: the config's `name`, or "token#N" — never the secret itself. */
  name: string;
  mayOpen(serverId: string): boolean;
  /** The client's address (through `trustProxy`), for the audit trail; undefined for in-process callers. */
  from?: string | undefined;
}

/** Compares secrets in constant time: both sides are hashed first so their lengths do not leak. */
export function secretEquals(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a, 'utf8').digest();
  const hb = createHash('sha256').update(b, 'utf8').digest();
  return timingSafeEqual(ha, hb);
}

export class Authenticator {
  readonly #config: GatewayConfig;
  readonly #limiter: AuthRateLimiter;
  readonly #metrics: Metrics | undefined;
  readonly #audit: AuditSink | undefined;

  constructor(config: GatewayConfig, o: { metrics?: Metrics; audit?: AuditSink; now?: () => number } = {}) {
    this.#config = config;
    this.#limiter = new AuthRateLimiter(config.rateLimit, o.now);
    this.#metrics = o.metrics;
    this.#audit = o.audit;
  }

  /**
   * The principal for a token (and PIN, when the token has one). Every configured token is compared,
   * whether or not an earlier one matched, so timing says nothing about which or how many exist.
   * `from` is the client's address: failures count against it (and a wrong PIN against its token), and
   * past `rateLimit` the call is refused with GW_ERR_RATE_LIMITED before any secret is compared.
   * `undefined` is for in-process callers (the demo link), which are not counted.
   */
  authenticate(token: string | undefined, pin: string | undefined, from: string | undefined): Principal {
    try {
      if (from !== undefined) this.#limiter.checkAddress(from);
    } catch (err) {
      this.#metrics?.authRateLimited.inc({ scope: 'address' });
      throw err;
    }
    if (!token)
      return this.#fail(from, undefined, undefined, new GatewayError('GW_ERR_BAD_TOKEN', 'no token given (eq.php: token=…, REST: Authorization: Bearer …)'));
    let found: Principal | undefined;
    let pinWanted: string | undefined;
    let tokenKey: string | undefined;
    this.#config.operators.forEach((o, i) => {
      if (secretEquals(token, o.token) && !found) found = { kind: 'operator', name: o.name ?? `operator#${i}`, mayOpen: () => true, from };
    });
    this.#config.tokens.forEach((t, i) => {
      if (secretEquals(token, t.token) && !found) {
        const all = t.servers.includes('*');
        const set = new Set(t.servers);
        found = { kind: 'token', name: t.name ?? `token#${i}`, mayOpen: (id) => all || set.has(id), from };
        pinWanted = t.pin;
        tokenKey = `token#${i}`;
      }
    });
    if (!found) return this.#fail(from, undefined, undefined, new GatewayError('GW_ERR_BAD_TOKEN', 'the token is not known'));
    if (pinWanted !== undefined) {
      try {
        this.#limiter.checkToken(tokenKey!);
      } catch (err) {
        this.#metrics?.authRateLimited.inc({ scope: 'token' });
        throw err;
      }
      if (pin === undefined || !secretEquals(pin, pinWanted)) {
        return this.#fail(
          from,
          tokenKey,
          found,
          new GatewayError('GW_ERR_BAD_PIN', pin === undefined ? 'this token needs a PIN (eq.php: pin=…, REST: X-Pin header)' : 'the PIN is wrong'),
        );
      }
      this.#limiter.succeeded(tokenKey!);
    }
    return found;
  }

  #fail(from: string | undefined, tokenKey: string | undefined, who: Principal | undefined, err: GatewayError): never {
    this.#metrics?.authFailures.inc({ reason: err.code === 'GW_ERR_BAD_PIN' ? 'bad_pin' : 'bad_token' });
    const blocked = from === undefined ? (tokenKey === undefined ? [] : this.#limiter.fail(undefined, tokenKey)) : this.#limiter.fail(from, tokenKey);
    this.#audit?.record({
      action: 'auth.failed',
      who: who?.name ?? 'unknown',
      kind: who?.kind ?? 'token',
      outcome: 'refused',
      from,
      code: err.code,
      message: err.message,
      ...(blocked.length > 0 ? { detail: { blocked: blocked.join(',') } } : {}),
    });
    throw err;
  }
}
