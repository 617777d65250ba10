import type { GatewayContext } from '../context.js';
import { toPublicError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Principal } from './auth.js';

/** Fields an action adds to its audit line (protocol, what was sent, an image URL without query). */
export type AuditFields = Record<string, string | number | boolean | readonly string[] | null>;

/**
 * The one place API actions on a BMC (power, boot device, virtual media, SOL) write their audit
 * line: `{"event":"audit","who","kind","server","action","result":"ok"|"error","code"?,"message"?,…}`
 * through the pino child `component: "audit"`. Never a password, token, key or image query string.
 */
export class ApiAudit {
  readonly #log: Logger;

  constructor(ctx: GatewayContext) {
    this.#log = ctx.log.child({ component: 'audit' });
  }

  /** Runs `fn` and writes one audit line, whatever the outcome; `fn` may add fields with `add`. */
  async run<T>(p: Principal, serverId: string, action: string, fn: (add: (fields: AuditFields) => void) => Promise<T>): Promise<T> {
    const extra: AuditFields = {};
    const add = (fields: AuditFields) => Object.assign(extra, fields);
    try {
      const result = await fn(add);
      this.#log.info({ event: 'audit', who: p.name, kind: p.kind, server: serverId, action, result: 'ok', ...extra }, `${action} on ${serverId}`);
      return result;
    } catch (err) {
      const e = toPublicError(err);
      this.#log.warn({ event: 'audit', who: p.name, kind: p.kind, server: serverId, action, result: 'error', code: e.code, message: e.message, ...extra }, `${action} on ${serverId} failed`);
      throw err;
    }
  }

  /** An audit line for something that is not one call (a SOL console's viewer, its end). */
  note(fields: { who: string; server: string; action: string; result: string; [k: string]: unknown }): void {
    this.#log.info({ event: 'audit', ...fields }, `${fields.action} on ${fields.server}`);
  }
}
