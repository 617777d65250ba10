import type { GatewayConfig, ServerConfig } from '../config/types.js';
import { GatewayError } from '../errors.js';
import type { Logger } from '../log.js';
import type { CloseNotifier } from '../session/close-notifier.js';
import type { SessionJournal } from '../session/crash-journal.js';
import type { EndCode } from '../session/session.js';
import type { SerialTransport } from './serial-port.js';
import { SolSession } from './sol-session.js';

/**
 * The live serial consoles, at most one per server (a BMC has one SOL payload), with the same
 * lifecycle rules as KVM sessions: shared by several viewers, ended after `sessions.idleTimeout`
 * without one or at `sessions.maxLifetime`, close URLs called through the shared CloseNotifier.
 */
export class SolSessionRegistry {
  readonly #byServer = new Map<string, SolSession>();
  readonly #byId = new Map<string, SolSession>();
  readonly #ended = new Map<string, { reason: string; code: EndCode }>();
  static readonly ENDED_MAX = 10_000;
  readonly #config: GatewayConfig;
  readonly #log: Logger;
  readonly #notifier: CloseNotifier;
  readonly #onEnded: (s: SolSession, code: EndCode, reason: string) => void;
  readonly #journal: SessionJournal | undefined;

  constructor(o: {
    config: GatewayConfig;
    log: Logger;
    closeNotifier: CloseNotifier;
    journal?: SessionJournal | undefined;
    onEnded?: (s: SolSession, code: EndCode, reason: string) => void;
  }) {
    this.#journal = o.journal;
    this.#config = o.config;
    this.#log = o.log;
    this.#notifier = o.closeNotifier;
    this.#onEnded = o.onEnded ?? (() => {});
  }

  /**
   * The server's live serial console, or a new one over `transport` (serial-transports.ts; the port
   * is opened by its first viewer).
   */
  open(server: ServerConfig, o: { transport: SerialTransport; closeUrl?: string | undefined; actor: string }): { session: SolSession; joined: boolean } {
    const existing = this.#byServer.get(server.id);
    if (existing && existing.state !== 'ended') {
      if (o.closeUrl) {
        existing.addCloseUrl(o.closeUrl);
        this.#journal?.closeUrlAdded(existing.id, o.closeUrl);
      }
      return { session: existing, joined: true };
    }
    if (this.#byId.size >= this.#config.sessions.maxSessions) {
      throw new GatewayError(
        'GW_ERR_TOO_MANY_SESSIONS',
        `the gateway already holds its maximum of ${this.#config.sessions.maxSessions} serial consoles (sessions.maxSessions)`,
      );
    }
    const s = this.#config.sessions;
    const session = new SolSession({
      server,
      transport: o.transport,
      log: this.#log,
      limits: { idleTimeoutMs: s.idleTimeoutMs, maxLifetimeMs: s.maxLifetimeMs },
      closeUrl: o.closeUrl,
      actor: o.actor,
      ended: (sess, code, reason) => {
        if (this.#ended.size >= SolSessionRegistry.ENDED_MAX) this.#ended.delete(this.#ended.keys().next().value!);
        this.#ended.set(sess.id, { reason, code });
        if (this.#byServer.get(server.id) === sess) this.#byServer.delete(server.id);
        this.#byId.delete(sess.id);
        this.#journal?.ended(sess.id, code, reason);
        for (const url of sess.closeUrls) {
          this.#notifier.notify(url, { sessionId: sess.id, serverId: server.id, code, reason, endedAt: new Date().toISOString() });
        }
        this.#onEnded(sess, code, reason);
      },
    });
    this.#byServer.set(server.id, session);
    this.#byId.set(session.id, session);
    this.#journal?.opened(session.id, 'sol', server.id, session.closeUrls);
    return { session, joined: false };
  }

  get(id: string): SolSession | undefined {
    return this.#byId.get(id);
  }

  endedReason(id: string): string | undefined {
    return this.#ended.get(id)?.reason;
  }

  /** Why a recently ended serial console ended, as a code (the page translates it). */
  endedCode(id: string): EndCode | undefined {
    return this.#ended.get(id)?.code;
  }

  list(): SolSession[] {
    return [...this.#byId.values()];
  }

  closeAll(reason: string): void {
    for (const s of this.list()) s.end(reason, 'shutdown');
  }
}
