import { outcomeOf } from '../audit/audit-trail.js';
import type { GatewayContext } from '../context.js';
import { toPublicError } from '../errors.js';
import type { Principal } from './auth.js';

/** Fields an action adds to its audit record (protocol, what was sent, an image URL without query). */
export type AuditFields = Record<string, string | number | boolean | readonly string[] | null>;

/**
 * The one place API actions on a BMC (power, boot device, virtual media, SOL) leave their audit
 * record, for IPMI and Redfish alike: into the gateway's audit trail (ctx.audit, src/audit/: the
 * `audit.file` and a log line `{"event":"audit","who","kind","server","action","result":"ok"|"error",
 * "code"?,"message"?,…}`), with the client's address. Never a password, token, key or image query string.
 */
export class ApiAudit {
  readonly #ctx: GatewayContext;

  constructor(ctx: GatewayContext) {
    this.#ctx = ctx;
  }

  /** Runs `fn` and leaves one record, whatever the outcome; `fn` may add fields with `add`. */
  async run<T>(p: Principal, serverId: string, action: string, fn: (add: (fields: AuditFields) => void) => Promise<T>): Promise<T> {
    const extra: AuditFields = {};
    const add = (fields: AuditFields) => Object.assign(extra, fields);
    const who = { action, who: p.name, kind: p.kind, from: p.from, server: serverId };
    try {
      const result = await fn(add);
      this.#ctx.audit.record({ ...who, outcome: 'ok', detail: extra });
      return result;
    } catch (err) {
      const e = toPublicError(err);
      this.#ctx.audit.record({ ...who, outcome: outcomeOf(e.code), code: e.code, message: e.message, detail: extra });
      throw err;
    }
  }

  /** A record for something that is not one call (a SOL console's viewer, its end); `result` says how it went. */
  note(fields: { who: string; server: string; action: string; result: string; session?: string; [k: string]: unknown }): void {
    const { who, server, action, session, ...rest } = fields;
    const detail: AuditFields = {};
    for (const [k, v] of Object.entries(rest)) if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' || v === null) detail[k] = v;
    this.#ctx.audit.record({ action, who, kind: who === 'gateway' ? 'gateway' : 'token', server, session, outcome: 'ok', detail });
  }
}
