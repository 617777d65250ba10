import type { GatewayConfig, ServerConfig } from '../config/types.js';
import { GatewayError } from '../errors.js';
import type { Logger } from '../log.js';
import { createSource } from '../sources/index.js';
import { Session } from './session.js';

/**
 * The live Sessions, at most one per server: every viewer of a server shares its one BMC connection
 * (BMCs accept one or two KVM connections).
 */
export class SessionRegistry {
  readonly #byServer = new Map<string, Session>();
  readonly #byId = new Map<string, Session>();
  /** Why recently ended sessions ended, so a page that lost its console can say why (bounded). */
  readonly #ended = new Map<string, { reason: string; at: number }>();
  static readonly ENDED_MAX = 10_000;
  readonly #config: GatewayConfig;
  readonly #log: Logger;

  constructor(config: GatewayConfig, log: Logger) {
    this.#config = config;
    this.#log = log;
  }

  server(id: string): ServerConfig {
    const s = this.#config.servers.find((x) => x.id === id);
    if (!s) throw new GatewayError('GW_ERR_UNKNOWN_SERVER', `no server "${id}" in the configuration`);
    return s;
  }

  /** The server's live Session, or a new one (started). `joined` says which. */
  open(serverId: string): { session: Session; joined: boolean } {
    const server = this.server(serverId);
    const existing = this.#byServer.get(server.id);
    if (existing && existing.state !== 'ended') return { session: existing, joined: true };
    if (!server.console) throw new GatewayError('GW_ERR_NO_CONSOLE', `server "${server.id}" has no console configured`);
    const session = new Session({
      server,
      source: createSource(server.console, this.#log, this.#config.sessions),
      log: this.#log,
      idleTimeoutMs: this.#config.sessions.idleTimeoutMs,
    });
    this.#byServer.set(server.id, session);
    this.#byId.set(session.id, session);
    session.onEnd((reason) => {
      if (this.#ended.size >= SessionRegistry.ENDED_MAX) this.#ended.delete(this.#ended.keys().next().value!);
      this.#ended.set(session.id, { reason, at: Date.now() });
      if (this.#byServer.get(server.id) === session) this.#byServer.delete(server.id);
      this.#byId.delete(session.id);
    });
    session.start();
    return { session, joined: false };
  }

  get(id: string): Session | undefined {
    return this.#byId.get(id);
  }

  endedReason(id: string): string | undefined {
    return this.#ended.get(id)?.reason;
  }

  list(): Session[] {
    return [...this.#byId.values()];
  }

  closeAll(reason: string): void {
    for (const s of this.list()) s.end(reason);
  }
}
