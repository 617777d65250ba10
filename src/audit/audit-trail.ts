import type { SessionRegistry } from '../session/registry.js';
import { AppendFile } from '../recording/append-file.js';
import type { Logger } from '../log.js';

/**
 * One audit record (docs/audit.md lists every field and action). Only these fields exist: a record is
 * built from names, ids, addresses and codes, never from a request body, so no secret can ride along.
 */
export interface AuditEntry {
  /** What happened, e.g. `console.open`, `power.cycle`, `sol.open`, `auth.failed` (docs/audit.md). */
  action: string;
  /** Who: the token's or operator's configured name, `gateway` for the gateway's own acts, `cli:<user>`. */
  who: string;
  /** `token`, `operator`, `gateway` or `cli`. */
  kind: 'token' | 'operator' | 'gateway' | 'cli';
  /** `ok` done; `error` tried and failed (a BMC error); `refused` the gateway said no (auth, scope, policy). */
  outcome: 'ok' | 'error' | 'refused';
  server?: string | undefined;
  session?: string | undefined;
  /** The client's address as the gateway sees it (through `trustProxy`), when there is a client. */
  from?: string | undefined;
  /** Error or refusal code (GW_ERR_…, IPMI_ERR_…). */
  code?: string | undefined;
  /** The error's sentence for people. */
  message?: string | undefined;
  /** A few action-specific words: `joined`, `viewOnly`, `endCode`, `reason`, `bmc`, `recording`, `via`. */
  detail?: Readonly<Record<string, string | number | boolean | readonly string[] | null>> | undefined;
}

/** What any service calls to leave an audit record. */
export interface AuditSink {
  record(entry: AuditEntry): void;
}

/** Codes that mean "the gateway refused", as opposed to "it tried and the BMC failed". */
const REFUSALS = new Set([
  'GW_ERR_BAD_TOKEN',
  'GW_ERR_BAD_PIN',
  'GW_ERR_RATE_LIMITED',
  'GW_ERR_FORBIDDEN_SERVER',
  'GW_ERR_OPERATOR_ONLY',
  'GW_ERR_CLOSE_URL_REFUSED',
  'GW_ERR_ORIGIN_REFUSED',
  'GW_ERR_TOO_MANY_VIEWERS',
  'GW_ERR_TOO_MANY_SESSIONS',
  'GW_ERR_UNKNOWN_SERVER',
  'GW_ERR_NO_CONSOLE',
  'GW_ERR_NO_IPMI',
  'GW_ERR_BAD_REQUEST',
  'GW_ERR_UNKNOWN_ACTION',
]);

export function outcomeOf(code: string | undefined): AuditEntry['outcome'] {
  if (code === undefined) return 'ok';
  return REFUSALS.has(code) ? 'refused' : 'error';
}

/** Detail keys that could only ever hold a secret: dropped whatever a caller passes. */
const SECRET_KEY = /pass|secret|token|pin|cookie|key|kg|credential|authorization/i;

/**
 * The audit trail: one JSON object a line in `audit.file` (opened for appending, mode 0600, never
 * truncated by the gateway; fdatasync'ed every second), and the same record as a log line
 * (`"event":"audit"`). `reopen()` (SIGHUP) starts writing to a fresh file at the same path after a
 * log rotation moved the old one away. A write error stops the file (logged once); it never stops the
 * action being audited.
 */
export class AuditTrail implements AuditSink {
  readonly #path: string | undefined;
  readonly #log: Logger;
  #file: AppendFile | undefined;

  constructor(o: { file?: string | undefined; log: Logger }) {
    this.#path = o.file;
    this.#log = o.log.child({ component: 'audit' });
    if (this.#path) this.#file = this.#open(this.#path);
  }

  /** The file's path, or undefined when only the log gets the records. */
  get path(): string | undefined {
    return this.#path;
  }

  record(entry: AuditEntry): void {
    const line: Record<string, unknown> = { at: new Date().toISOString(), action: entry.action, who: entry.who, kind: entry.kind, outcome: entry.outcome };
    for (const k of ['server', 'session', 'from', 'code', 'message'] as const) if (entry[k] !== undefined) line[k] = entry[k];
    if (entry.detail) {
      const detail: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(entry.detail)) if (!SECRET_KEY.test(k)) detail[k] = v;
      if (Object.keys(detail).length > 0) line.detail = detail;
    }
    this.#file?.append(Buffer.from(`${JSON.stringify(line)}\n`));
    // The log line is flat, as the log's audit lines always were: `result` ok / error, then the
    // detail's fields (a detail `result`, such as how a serial console ended, says more and wins).
    const { at: _at, detail, ...rest } = line;
    const level = entry.outcome === 'ok' ? 'info' : 'warn';
    this.#log[level](
      { event: 'audit', ...rest, result: entry.outcome === 'ok' ? 'ok' : 'error', ...(detail as object | undefined) },
      `${entry.action}${entry.server ? ` on ${entry.server}` : ''}: ${entry.outcome}`,
    );
  }

  /** Starts a new file at the same path (after logrotate moved the old one); the old one is flushed and closed. */
  async reopen(): Promise<void> {
    if (!this.#path) return;
    const old = this.#file;
    this.#file = this.#open(this.#path);
    await old?.close();
  }

  /** Flushes and closes the file. */
  async close(): Promise<void> {
    const f = this.#file;
    this.#file = undefined;
    await f?.close();
  }

  #open(path: string): AppendFile | undefined {
    try {
      return new AppendFile(path, {
        flags: 'a',
        onError: (err) =>
          this.#log.error({ event: 'audit-file-failed', file: path, err: err.message }, 'the audit file cannot be written; audit records go to the log only'),
      });
    } catch (err) {
      this.#log.error({ event: 'audit-file-failed', file: path, err: (err as Error).message }, 'cannot open the audit file; audit records go to the log only');
      return undefined;
    }
  }
}

/**
 * A service-level audit hook shaped like IpmiService's (`{ type, actor, detail, outcome, error }`),
 * routed into the trail: for callers that have no API request around them (the `bmc-gateway ipmi`
 * CLI), and for services added later (Redfish) whose hook has the same shape.
 */
export interface ServiceAuditEvent {
  readonly type: string;
  readonly actor: string | undefined;
  readonly detail: string;
  readonly outcome: 'ok' | 'error';
  readonly error?: { readonly code: string; readonly message: string } | undefined;
}

export function serviceAuditHook(sink: AuditSink, o: { who: string; kind: AuditEntry['kind']; server: string }): (e: ServiceAuditEvent) => void {
  return (e) =>
    sink.record({
      action: e.type,
      who: e.actor ?? o.who,
      kind: o.kind,
      server: o.server,
      outcome: e.error ? outcomeOf(e.error.code) : e.outcome,
      ...(e.error ? { code: e.error.code, message: e.error.message } : {}),
      detail: { detail: e.detail },
    });
}

/**
 * `console.end` for every session the gateway itself ends (idle, lifetime, BMC gone, reload, …), in the
 * process that holds the session: the front, or a worker (whose entries the front writes). An end by
 * the API is recorded by the API call, with who asked.
 */
export function auditGatewayEnds(registry: Pick<SessionRegistry, 'observe'>, audit: AuditSink): void {
  registry.observe({
    hooks: {
      ended: (s, code, reason) => {
        if (code !== 'api')
          audit.record({
            action: 'console.end',
            who: 'gateway',
            kind: 'gateway',
            server: s.server.id,
            session: s.id,
            outcome: 'ok',
            detail: { endCode: code, reason },
          });
      },
    },
  });
}
