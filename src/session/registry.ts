import type { GatewayConfig, ServerConfig } from '../config/types.js';
import { GatewayError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics/metrics.js';
import { createSource } from '../sources/index.js';
import type { JavaViewers } from '../sources/jnlp/java-viewers.js';
import { CloseNotifier } from './close-notifier.js';
import { CloseUrlPolicy, type Resolver } from './close-url-policy.js';
import type { SessionJournal } from './crash-journal.js';
import { Session, type SessionHooks } from './session.js';

/**
 * The live Sessions, at most one per server: every viewer of a server shares its one BMC connection
 * (BMCs accept one or two KVM connections). Ends are reported to the metrics and the close URL.
 */
export class SessionRegistry {
  readonly #byServer = new Map<string, Session>();
  readonly #byId = new Map<string, Session>();
  /** Why recently ended sessions ended, so a page that lost its console can say why (bounded). */
  readonly #ended = new Map<string, { reason: string; at: number }>();
  static readonly ENDED_MAX = 10_000;
  readonly #config: GatewayConfig;
  readonly #log: Logger;
  readonly #metrics: Metrics;
  readonly closeNotifier: CloseNotifier;
  /** Where close URLs may point (`sessions.closeUrlAllow`); shared with the serial consoles. */
  readonly closeUrlPolicy: CloseUrlPolicy;
  /** The crash journal (with `stateDir`), told of every open, close URL and end. */
  journal: SessionJournal | undefined;
  /** Console sessions held by other processes of this gateway (worker processes): sessions.maxSessions is for the whole gateway. */
  elsewhere: () => number = () => 0;
  readonly #extraHooks: SessionHooks[] = [];
  readonly #created: ((s: Session) => void)[] = [];
  /** Java viewers (`jnlp` consoles, `fallback: jnlp`), when the configuration has any. */
  readonly java: JavaViewers | undefined;

  /** `resolve` replaces DNS for close URL host names (tests, the fuzz campaign); `java` runs jnlp consoles' viewers. */
  constructor(config: GatewayConfig, log: Logger, metrics: Metrics, o: { resolve?: Resolver; java?: JavaViewers | undefined } = {}) {
    this.#config = config;
    this.java = o.java;
    this.#log = log;
    this.#metrics = metrics;
    this.closeUrlPolicy = CloseUrlPolicy.fromText(config.sessions.closeUrlAllow, o.resolve ? { resolve: o.resolve } : {});
    this.closeNotifier = new CloseNotifier({
      log,
      attempts: config.sessions.closeUrlAttempts,
      timeoutMs: config.sessions.closeUrlTimeoutMs,
      policy: this.closeUrlPolicy,
    });
  }

  /** Lets a feature (recording, …) see every new session and its events without touching Session. */
  observe(o: { created?: (s: Session) => void; hooks?: SessionHooks }): void {
    if (o.created) this.#created.push(o.created);
    if (o.hooks) this.#extraHooks.push(o.hooks);
  }

  server(id: string): ServerConfig {
    const s = this.#config.servers.find((x) => x.id === id);
    if (!s) throw new GatewayError('GW_ERR_UNKNOWN_SERVER', `no server "${id}" in the configuration`);
    return s;
  }

  /** The server's live Session, or a new one (started). `joined` says which. */
  open(serverId: string, opts: { closeUrl?: string | undefined } = {}): { session: Session; joined: boolean } {
    const server = this.server(serverId);
    const existing = this.#byServer.get(server.id);
    if (existing && existing.state !== 'ended') {
      if (opts.closeUrl) {
        existing.addCloseUrl(opts.closeUrl);
        this.journal?.closeUrlAdded(existing.id, opts.closeUrl);
      }
      return { session: existing, joined: true };
    }
    if (!server.console) throw new GatewayError('GW_ERR_NO_CONSOLE', `server "${server.id}" has no console configured`);
    if (this.total() >= this.#config.sessions.maxSessions) {
      throw new GatewayError(
        'GW_ERR_TOO_MANY_SESSIONS',
        `the gateway already holds its maximum of ${this.#config.sessions.maxSessions} console sessions (sessions.maxSessions)`,
      );
    }
    const s = this.#config.sessions;
    const session = new Session({
      server,
      source: createSource(server.console, this.#log, s, { serverId: server.id, java: this.java }),
      log: this.#log,
      limits: {
        idleTimeoutMs: s.idleTimeoutMs,
        inputIdleTimeoutMs: s.inputIdleTimeoutMs,
        inputIdleWarningMs: s.inputIdleWarningMs,
        maxLifetimeMs: s.maxLifetimeMs,
      },
      closeUrl: opts.closeUrl,
      hooks: {
        ended: (sess, code, reason) => {
          if (this.#ended.size >= SessionRegistry.ENDED_MAX) this.#ended.delete(this.#ended.keys().next().value!);
          this.#ended.set(sess.id, { reason, at: Date.now() });
          if (this.#byServer.get(server.id) === sess) this.#byServer.delete(server.id);
          this.#byId.delete(sess.id);
          this.#metrics.sessions.set(this.#byId.size);
          this.#metrics.sessionsEnded.inc({ reason: code });
          this.journal?.ended(sess.id, code, reason);
          for (const url of sess.closeUrls) {
            this.closeNotifier.notify(url, { sessionId: sess.id, serverId: server.id, code, reason, endedAt: new Date().toISOString() });
          }
          for (const h of this.#extraHooks) h.ended?.(sess, code, reason);
        },
        input: (sess, viewer, ev) => {
          for (const h of this.#extraHooks) h.input?.(sess, viewer, ev);
        },
        reconnecting: (sess) => {
          this.#metrics.reconnects.inc();
          for (const h of this.#extraHooks) h.reconnecting?.(sess);
        },
      },
    });
    this.#byServer.set(server.id, session);
    this.#byId.set(session.id, session);
    this.journal?.opened(session.id, 'console', server.id, session.closeUrls);
    this.#metrics.sessions.set(this.#byId.size);
    for (const c of this.#created) c(session);
    session.start();
    return { session, joined: false };
  }

  get(id: string): Session | undefined {
    return this.#byId.get(id);
  }

  endedReason(id: string): string | undefined {
    return this.#ended.get(id)?.reason;
  }

  /** Console sessions this process holds. */
  get size(): number {
    return this.#byId.size;
  }

  /** Console sessions of the whole gateway: this process's and those of its worker processes (elsewhere). */
  total(): number {
    return this.#byId.size + this.elsewhere();
  }

  list(): Session[] {
    return [...this.#byId.values()];
  }

  /** Ends every session (their close URLs are queued; the caller drains the notifier). */
  closeAll(reason: string): void {
    for (const s of this.list()) s.end(reason, 'shutdown');
  }
}
