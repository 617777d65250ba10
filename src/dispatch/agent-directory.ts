import type { AgentAnnouncement } from './types.js';

/**
 * The front's live list of agents, from their periodic announcements. An agent not heard from for
 * three announcement intervals is gone (killed, or cut off from the broker).
 */
export class AgentDirectory {
  readonly #agents = new Map<string, { a: AgentAnnouncement; seenAt: number }>();
  readonly #staleMs: number;
  readonly #now: () => number;
  /** Announcements kept at most (a bound against a flood of made-up agent ids). */
  static readonly MAX = 1000;

  constructor(o: { announceIntervalMs: number; now?: () => number }) {
    this.#staleMs = o.announceIntervalMs * 3;
    this.#now = o.now ?? Date.now;
  }

  /** Takes one announcement message body; returns false if it is not one. */
  update(content: Buffer): boolean {
    let a: AgentAnnouncement;
    try {
      a = JSON.parse(content.toString('utf8')) as AgentAnnouncement;
    } catch {
      return false;
    }
    if (!a || typeof a.id !== 'string' || typeof a.location !== 'string' || typeof a.url !== 'string' || typeof a.load !== 'number') return false;
    if (a.leaving) {
      this.#agents.delete(a.id);
      return true;
    }
    this.#agents.delete(a.id); // re-insert: Map order = least recently heard first
    this.#agents.set(a.id, {
      a: { id: a.id, location: a.location, url: a.url, version: String(a.version), load: a.load, at: Number(a.at) },
      seenAt: this.#now(),
    });
    while (this.#agents.size > AgentDirectory.MAX) this.#agents.delete(this.#agents.keys().next().value as string);
    return true;
  }

  get(id: string): AgentAnnouncement | undefined {
    const e = this.#agents.get(id);
    return e && this.#now() - e.seenAt <= this.#staleMs ? e.a : undefined;
  }

  /** Live agents, sorted by location then id, with the time since each was heard from. */
  list(): (AgentAnnouncement & { lastSeenMs: number })[] {
    const now = this.#now();
    return [...this.#agents.values()]
      .filter((e) => now - e.seenAt <= this.#staleMs)
      .map((e) => ({ ...e.a, lastSeenMs: now - e.seenAt }))
      .sort((x, y) => x.location.localeCompare(y.location) || x.id.localeCompare(y.id));
  }
}
