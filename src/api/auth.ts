import { createHash, timingSafeEqual } from 'node:crypto';
import type { GatewayConfig } from '../config/types.js';
import { GatewayError } from '../errors.js';

export interface Principal {
  kind: 'token' | 'operator';
  /** Name for logs and audit: the config's `name`, or "token#N" — never the secret itself. */
  name: string;
  mayOpen(serverId: string): boolean;
}

/** Compares secrets in constant time: both sides are hashed first so their lengths do not leak. */
export function secretEquals(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a, 'utf8').digest();
  const hb = createHash('sha256').update(b, 'utf8').digest();
  return timingSafeEqual(ha, hb);
}

export class Authenticator {
  readonly #config: GatewayConfig;
  constructor(config: GatewayConfig) {
    this.#config = config;
  }

  /**
   * The principal for a token (and PIN, when the token has one). Every configured token is compared,
   * whether or not an earlier one matched, so timing says nothing about which or how many exist.
   */
  authenticate(token: string | undefined, pin: string | undefined): Principal {
    if (!token) throw new GatewayError('GW_ERR_BAD_TOKEN', 'no token given (eq.php: token=…, REST: Authorization: Bearer …)');
    let found: Principal | undefined;
    let pinWanted: string | undefined;
    this.#config.operators.forEach((o, i) => {
      if (secretEquals(token, o.token) && !found) found = { kind: 'operator', name: o.name ?? `operator#${i}`, mayOpen: () => true };
    });
    this.#config.tokens.forEach((t, i) => {
      if (secretEquals(token, t.token) && !found) {
        const all = t.servers.includes('*');
        const set = new Set(t.servers);
        found = { kind: 'token', name: t.name ?? `token#${i}`, mayOpen: (id) => all || set.has(id) };
        pinWanted = t.pin;
      }
    });
    if (!found) throw new GatewayError('GW_ERR_BAD_TOKEN', 'the token is not known');
    if (pinWanted !== undefined && (pin === undefined || !secretEquals(pin, pinWanted))) {
      throw new GatewayError('GW_ERR_BAD_PIN', pin === undefined ? 'this token needs a PIN (eq.php: pin=…, REST: X-Pin header)' : 'the PIN is wrong');
    }
    return found;
  }
}
