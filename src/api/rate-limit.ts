import type { ConfigReader, Path } from '../config/reader.js';
import { GatewayError } from '../errors.js';
import { clientKey } from '../net/address-ranges.js';

/** One limit: `failures` may come at once, then one more every `windowMs / failures`. */
export interface FailureLimit {
  failures: number;
  windowMs: number;
}

/** `rateLimit:` (docs/config.md). */
export interface RateLimitConfig {
  perAddress: FailureLimit;
  perToken: FailureLimit;
  /** Addresses and tokens tracked at once; the least recently failing are forgotten first. */
  maxTracked: number;
}

export const RATE_LIMIT_DEFAULTS: RateLimitConfig = Object.freeze({
  // A panel mistyping is far below this; a script guessing tokens gets 3 tries a minute.
  perAddress: Object.freeze({ failures: 30, windowMs: 10 * 60_000 }),
  // A 4-digit PIN: 10 guesses, then one every 6 minutes — about 40 days for half the PIN space.
  perToken: Object.freeze({ failures: 10, windowMs: 3_600_000 }),
  maxTracked: 100_000,
});

export function readRateLimitConfig(r: ConfigReader, path: Path, raw: unknown): RateLimitConfig {
  if (raw === undefined) return RATE_LIMIT_DEFAULTS;
  const o = r.object(path, raw, ['perAddress', 'perToken', 'maxTracked']);
  const limit = (key: 'perAddress' | 'perToken'): FailureLimit => {
    const def = RATE_LIMIT_DEFAULTS[key];
    if (o?.[key] === undefined) return def;
    const l = r.object([...path, key], o[key], ['failures', 'window']);
    const failures = r.integer([...path, key, 'failures'], l?.failures, { min: 1, max: 1_000_000 }) ?? def.failures;
    const windowMs = r.duration([...path, key, 'window'], l?.window) ?? def.windowMs;
    if (windowMs < 1000) r.problem([...path, key, 'window'], 'must be at least 1s');
    return { failures, windowMs };
  };
  return {
    perAddress: limit('perAddress'),
    perToken: limit('perToken'),
    maxTracked: r.integer([...path, 'maxTracked'], o?.maxTracked, { min: 100, max: 10_000_000 }) ?? RATE_LIMIT_DEFAULTS.maxTracked,
  };
}

/**
 * Counts failures per key with the generic cell rate algorithm (one number per key: the time at which
 * the key's budget is full again): `failures` may come in a burst, then one every `windowMs/failures`.
 * Bounded: at most `maxTracked` keys, least recently failing forgotten first (Map order).
 */
export class FailureCounter {
  readonly #limit: FailureLimit;
  readonly #max: number;
  readonly #now: () => number;
  /** key → theoretical arrival time of the next failure (ms). */
  readonly #tat = new Map<string, number>();

  constructor(limit: FailureLimit, max: number, now: () => number = Date.now) {
    this.#limit = limit;
    this.#max = max;
    this.#now = now;
  }

  get #interval(): number {
    return this.#limit.windowMs / this.#limit.failures;
  }

  /** Milliseconds until `key` may try again, 0 when it may now. */
  blockedFor(key: string): number {
    const tat = this.#tat.get(key);
    if (tat === undefined) return 0;
    const now = this.#now();
    if (tat <= now) {
      this.#tat.delete(key);
      return 0;
    }
    // One more failure must still fit: tat + interval - now <= window.
    return Math.max(0, tat + this.#interval - now - this.#limit.windowMs);
  }

  /** Counts one failure; returns true when this failure used up the budget (the key is now blocked). */
  fail(key: string): boolean {
    const now = this.#now();
    const tat = Math.max(this.#tat.get(key) ?? now, now) + this.#interval;
    this.#tat.delete(key);
    this.#tat.set(key, tat);
    while (this.#tat.size > this.#max) this.#tat.delete(this.#tat.keys().next().value as string);
    return this.blockedFor(key) > 0;
  }

  forget(key: string): void {
    this.#tat.delete(key);
  }

  get size(): number {
    return this.#tat.size;
  }
}

export type LimitScope = 'address' | 'token';

/**
 * Authentication failures, per client address (IPv6 by /64) and per token (a wrong PIN counts against
 * its token). A blocked address or token is refused with GW_ERR_RATE_LIMITED (429, Retry-After) before
 * any secret is compared, so a blocked client learns nothing from further attempts.
 */
export class AuthRateLimiter {
  readonly #byAddress: FailureCounter;
  readonly #byToken: FailureCounter;

  constructor(cfg: RateLimitConfig, now?: () => number) {
    this.#byAddress = new FailureCounter(cfg.perAddress, cfg.maxTracked, now);
    this.#byToken = new FailureCounter(cfg.perToken, cfg.maxTracked, now);
  }

  /** Throws GW_ERR_RATE_LIMITED when the address is blocked. */
  checkAddress(address: string): void {
    const ms = this.#byAddress.blockedFor(clientKey(address));
    if (ms > 0) throw limited('address', ms);
  }

  /** Throws GW_ERR_RATE_LIMITED when the token (by its index in the config) is blocked. */
  checkToken(tokenKey: string): void {
    const ms = this.#byToken.blockedFor(tokenKey);
    if (ms > 0) throw limited('token', ms);
  }

  /** Counts a failure; returns the scopes this failure blocked (for one audit line when a block starts). */
  fail(address: string | undefined, tokenKey: string | undefined): LimitScope[] {
    const started: LimitScope[] = [];
    if (address !== undefined && this.#byAddress.fail(clientKey(address))) started.push('address');
    if (tokenKey !== undefined && this.#byToken.fail(tokenKey)) started.push('token');
    return started;
  }

  /** A right PIN clears its token's count (an address's count is never cleared by a success). */
  succeeded(tokenKey: string): void {
    this.#byToken.forget(tokenKey);
  }
}

function limited(scope: LimitScope, ms: number): GatewayError {
  const seconds = Math.max(1, Math.ceil(ms / 1000));
  return new GatewayError(
    'GW_ERR_RATE_LIMITED',
    scope === 'address'
      ? `too many failed authentications from this address; retry in ${seconds} s`
      : `too many wrong PINs for this token; retry in ${seconds} s`,
    { headers: { 'retry-after': String(seconds) }, details: { scope } },
  );
}
