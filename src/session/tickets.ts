import { randomBytes } from 'node:crypto';

export interface Ticket {
  sessionId: string;
  viewOnly: boolean;
  /** Who asked for it (token name), for the logs. */
  requester: string | undefined;
  /** Whether the requester was an API token or an operator (for the audit trail). */
  requesterKind?: 'token' | 'operator' | undefined;
  expiresAt: number;
}

/**
 * One-time viewer keys: the capability carried by the console URL. A key is 32 random bytes
 * (base64url), valid for `ttlMs`, and consumed by the first WebSocket that presents it.
 */
export class TicketStore {
  readonly #tickets = new Map<string, Ticket>();
  /** Keys already used, kept a while so the page can still ask how its session is doing. */
  readonly #used = new Map<string, { sessionId: string; viewOnly: boolean; at: number }>();
  static readonly USED_KEEP_MS = 6 * 3_600_000;
  static readonly USED_MAX = 20_000;
  readonly #ttlMs: number;
  readonly #sweeper: NodeJS.Timeout;

  constructor(ttlMs: number) {
    this.#ttlMs = ttlMs;
    this.#sweeper = setInterval(() => this.#sweep(), Math.max(1000, Math.min(ttlMs, 30_000)));
    this.#sweeper.unref();
  }

  issue(t: Omit<Ticket, 'expiresAt'>): string {
    const key = randomBytes(32).toString('base64url');
    this.#tickets.set(key, { ...t, expiresAt: Date.now() + this.#ttlMs });
    return key;
  }

  /** The ticket if it exists and has not expired, without using it up (for serving the page). */
  peek(key: string): Ticket | undefined {
    const t = this.#tickets.get(key);
    if (!t) return undefined;
    if (t.expiresAt < Date.now()) {
      this.#tickets.delete(key);
      return undefined;
    }
    return t;
  }

  /** Uses the ticket up: a second call with the same key returns undefined. */
  consume(key: string): Ticket | undefined {
    const t = this.peek(key);
    if (t) {
      this.#tickets.delete(key);
      if (this.#used.size >= TicketStore.USED_MAX) this.#used.delete(this.#used.keys().next().value!);
      this.#used.set(key, { sessionId: t.sessionId, viewOnly: t.viewOnly, at: Date.now() });
    }
    return t;
  }

  /** The session a key was (or is still to be) used for: for status lookups only, never for access. */
  sessionOf(key: string): string | undefined {
    return this.peek(key)?.sessionId ?? this.#used.get(key)?.sessionId;
  }

  /** URLs issued for a session and not used yet (they count against sessions.maxViewers). */
  pendingFor(sessionId: string): number {
    const now = Date.now();
    let n = 0;
    for (const t of this.#tickets.values()) if (t.sessionId === sessionId && t.expiresAt >= now) n++;
    return n;
  }

  /** Whether a used key was for a view-only viewer (the page shows it). */
  viewOnlyOf(key: string): boolean | undefined {
    return this.peek(key)?.viewOnly ?? this.#used.get(key)?.viewOnly;
  }

  revokeSession(sessionId: string): void {
    for (const [k, t] of this.#tickets) if (t.sessionId === sessionId) this.#tickets.delete(k);
  }

  #sweep(): void {
    const now = Date.now();
    for (const [k, t] of this.#tickets) if (t.expiresAt < now) this.#tickets.delete(k);
    for (const [k, u] of this.#used) if (u.at + TicketStore.USED_KEEP_MS < now) this.#used.delete(k);
  }

  close(): void {
    clearInterval(this.#sweeper);
    this.#tickets.clear();
    this.#used.clear();
  }
}
