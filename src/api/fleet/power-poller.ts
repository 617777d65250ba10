import { toPublicError } from '../../errors.js';
import type { PowerReading } from '../api-types.js';

export interface PowerPollerOptions {
  /** Servers with power control, by id. */
  serverIds: readonly string[];
  /** Reads one server's power through the API path (audited, dispatched); throws the API's error. */
  read: (serverId: string) => Promise<{ power: 'on' | 'off'; powerState?: string }>;
  onReading: (r: PowerReading) => void;
  /** `onReading` threw (a listener's bug): told here instead of an unhandled rejection; polling goes on. */
  onError: (err: unknown) => void;
  /** Read each server again after this long. */
  refreshMs: number;
  /** At most this many reads start per second, all servers together (BMCs are slow and have few sessions). */
  readsPerSecond: number;
  /** At most this many reads at once. */
  concurrency: number;
}

/**
 * The dashboard's power column: reads every server's power state in the background, oldest first,
 * at a bounded rate (`readsPerSecond`, `concurrency`), only while `start()`ed (someone watches).
 * A server that was just acted on is read again soon (`soon`); a reading made elsewhere through the
 * API (a panel's status call) counts as one (`note`).
 */
export class PowerPoller {
  readonly #o: PowerPollerOptions;
  readonly #readings = new Map<string, PowerReading>();
  /** When each server is due next (epoch ms); absent = never read, due now. */
  readonly #due = new Map<string, number>();
  readonly #inFlight = new Set<string>();
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(o: PowerPollerOptions) {
    this.#o = o;
  }

  get running(): boolean {
    return this.#timer !== undefined;
  }

  /** After a configuration reload: the servers to read from now on; readings of others are forgotten. */
  setServers(serverIds: readonly string[]): void {
    this.#o.serverIds = serverIds;
    for (const id of [...this.#readings.keys()]) if (!serverIds.includes(id)) this.#readings.delete(id);
    for (const id of [...this.#due.keys()]) if (!serverIds.includes(id)) this.#due.delete(id);
  }

  readings(): PowerReading[] {
    return [...this.#readings.values()];
  }

  start(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => this.#tick(), Math.max(1, Math.round(1000 / this.#o.readsPerSecond)));
    this.#timer.unref();
    this.#tick();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Read this server again within `delayMs` (after a power action: the state changes a moment later). */
  soon(serverId: string, delayMs: number): void {
    if (!this.#o.serverIds.includes(serverId)) return;
    const at = Date.now() + delayMs;
    this.#due.set(serverId, Math.min(this.#due.get(serverId) ?? Infinity, at));
  }

  /** A reading made elsewhere (a status call through the API): kept, and the next read waits a full period. */
  note(r: PowerReading): void {
    if (!this.#o.serverIds.includes(r.serverId)) return;
    this.#readings.set(r.serverId, r);
    this.#due.set(r.serverId, Date.now() + this.#o.refreshMs);
    this.#o.onReading(r);
  }

  #tick(): void {
    if (this.#inFlight.size >= this.#o.concurrency) return;
    const now = Date.now();
    let next: string | undefined;
    let nextAt = Infinity;
    for (const id of this.#o.serverIds) {
      if (this.#inFlight.has(id)) continue;
      const at = this.#due.get(id) ?? 0;
      if (at <= now && at < nextAt) {
        next = id;
        nextAt = at;
      }
    }
    if (next !== undefined) this.#readOne(next);
  }

  #readOne(serverId: string): void {
    this.#inFlight.add(serverId);
    this.#due.set(serverId, Date.now() + this.#o.refreshMs);
    const at = () => new Date().toISOString();
    this.#o
      .read(serverId)
      .then(
        (s): PowerReading => ({ serverId, power: s.power, ...(s.powerState ? { powerState: s.powerState } : {}), at: at() }),
        (err: unknown): PowerReading => {
          const e = toPublicError(err);
          return { serverId, power: null, at: at(), error: { code: e.code, message: e.message } };
        },
      )
      .then((r) => {
        this.#inFlight.delete(serverId);
        this.#readings.set(serverId, r);
        this.#o.onReading(r);
      })
      .catch((err: unknown) => this.#o.onError(err));
  }
}
