import { request } from 'undici';
import type { Logger } from '../log.js';
import type { EndCode } from './session.js';

export interface CloseNotice {
  sessionId: string;
  serverId: string;
  /** Stable word: idle, input-idle, lifetime, api, bmc-unreachable, shutdown. */
  code: EndCode;
  /** Human sentence. */
  reason: string;
  endedAt: string;
}

/**
 * Calls a session's close URL when it ends: `POST` with a JSON body (CloseNotice), and the same
 * facts as query parameters (`session`, `server`, `reason`) for panels whose close URL is a GET-style
 * script that reads only the query. Retries with backoff (1 s, 4 s, 16 s, …) on network errors and
 * 5xx answers, each attempt bounded by a timeout; runs in the background and never blocks anything.
 */
export class CloseNotifier {
  readonly #log: Logger;
  readonly #attempts: number;
  readonly #timeoutMs: number;
  readonly #pending = new Set<Promise<void>>();
  #closed = false;
  readonly #timers = new Set<NodeJS.Timeout>();

  constructor(o: { log: Logger; attempts: number; timeoutMs: number }) {
    this.#log = o.log;
    this.#attempts = o.attempts;
    this.#timeoutMs = o.timeoutMs;
  }

  notify(closeUrl: string, notice: CloseNotice): void {
    const p = this.#run(closeUrl, notice).finally(() => this.#pending.delete(p));
    this.#pending.add(p);
  }

  async #run(closeUrl: string, notice: CloseNotice): Promise<void> {
    const url = new URL(closeUrl);
    url.searchParams.set('session', notice.sessionId);
    url.searchParams.set('server', notice.serverId);
    url.searchParams.set('reason', notice.code);
    const where = `${url.origin}${url.pathname}`; // the query may carry the panel's own secrets: not logged
    for (let attempt = 1; attempt <= this.#attempts && !this.#closed; attempt++) {
      try {
        const res = await request(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'user-agent': 'bmc-gateway' },
          body: JSON.stringify(notice),
          headersTimeout: this.#timeoutMs,
          bodyTimeout: this.#timeoutMs,
          signal: AbortSignal.timeout(this.#timeoutMs),
        });
        await res.body.dump();
        if (res.statusCode < 500) {
          if (res.statusCode >= 400) this.#log.warn({ event: 'close-url-refused', url: where, status: res.statusCode, session: notice.sessionId }, 'close URL refused the notice');
          else this.#log.info({ event: 'close-url-called', url: where, status: res.statusCode, session: notice.sessionId, attempt }, 'close URL called');
          return;
        }
        this.#log.warn({ event: 'close-url-failed', url: where, status: res.statusCode, attempt }, 'close URL answered with a server error');
      } catch (err) {
        this.#log.warn({ event: 'close-url-failed', url: where, err: (err as Error).message, attempt }, 'close URL call failed');
      }
      if (attempt < this.#attempts) await this.#sleep(1000 * 4 ** (attempt - 1));
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.#timers.delete(t);
        resolve();
      }, ms);
      t.unref();
      this.#timers.add(t);
    });
  }

  /** Waits up to `ms` for calls in flight (used at shutdown so "shutdown" notices go out). */
  async drain(ms: number): Promise<void> {
    await Promise.race([Promise.allSettled([...this.#pending]), new Promise((r) => setTimeout(r, ms).unref())]);
    this.#closed = true;
    for (const t of this.#timers) clearTimeout(t);
  }
}
