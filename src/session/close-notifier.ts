import { isIP } from 'node:net';
import { Agent, buildConnector, request } from 'undici';
import type { Logger } from '../log.js';
import { CloseUrlPolicy, portOf } from './close-url-policy.js';
import type { EndCode } from './session.js';

export interface CloseNotice {
  sessionId: string;
  serverId: string;
  /** Stable word: idle, input-idle, lifetime, api, bmc-unreachable, viewer-exited, shutdown, config-changed, crash, worker-crash. */
  code: EndCode | 'crash' | 'worker-crash';
  /** Human sentence. */
  reason: string;
  endedAt: string;
}

/**
 * Calls a session's close URL when it ends: `POST` with a JSON body (CloseNotice), and the same
 * facts as query parameters (`session`, `server`, `reason`) for panels whose close URL is a GET-style
 * script that reads only the query. Retries with backoff (1 s, 4 s, 16 s, …) on network errors and
 * 5xx answers, each attempt bounded by a timeout; runs in the background and never blocks anything.
 *
 * Every connection goes through `sessions.closeUrlAllow` (CloseUrlPolicy): the host name is resolved,
 * every address checked, and the socket opened to a checked address — so a DNS answer that changes
 * between the API call and the end of the session (DNS rebinding) cannot steer the call inside.
 * Redirects are not followed: a 3xx answer ends the call.
 */
export class CloseNotifier {
  readonly #log: Logger;
  readonly #attempts: number;
  readonly #timeoutMs: number;
  readonly #policy: CloseUrlPolicy;
  readonly #agent: Agent;
  readonly #pending = new Set<Promise<void>>();
  #closed = false;
  readonly #timers = new Set<NodeJS.Timeout>();
  /** Told when a call is finished (answered, refused or given up): the crash journal forgets it then. */
  onSettled: ((closeUrl: string, notice: CloseNotice) => void) | undefined;

  constructor(o: { log: Logger; attempts: number; timeoutMs: number; policy: CloseUrlPolicy }) {
    this.#log = o.log;
    this.#attempts = o.attempts;
    this.#timeoutMs = o.timeoutMs;
    this.#policy = o.policy;
    const connect = buildConnector({ timeout: o.timeoutMs });
    this.#agent = new Agent({
      // Resolve and check here, then connect to the checked address (TLS still names the host).
      connect: (opts, cb) => {
        const port = Number(opts.port) || (opts.protocol === 'https:' ? 443 : 80);
        this.#policy.resolveAllowed(opts.hostname, port).then(
          (addresses) => {
            const host = opts.hostname.replace(/^\[|\]$/g, '');
            connect({ ...opts, hostname: addresses[0]!, servername: opts.servername ?? (isIP(host) ? undefined : host) }, cb);
          },
          (err: Error) => cb(err, null),
        );
      },
    });
  }

  notify(closeUrl: string, notice: CloseNotice): void {
    const p = this.#run(closeUrl, notice).then((finished) => {
      this.#pending.delete(p);
      // A call cut off by shutdown is not finished: the crash journal keeps it for the next start.
      if (finished) this.onSettled?.(closeUrl, notice);
    });
    this.#pending.add(p);
  }

  /** True once the call is done with: answered, refused, redirected, or out of attempts. */
  async #run(closeUrl: string, notice: CloseNotice): Promise<boolean> {
    const url = new URL(closeUrl);
    url.searchParams.set('session', notice.sessionId);
    url.searchParams.set('server', notice.serverId);
    url.searchParams.set('reason', notice.code);
    const where = `${url.origin}${url.pathname}`; // the query may carry the panel's own secrets: not logged
    for (let attempt = 1; attempt <= this.#attempts && !this.#closed; attempt++) {
      try {
        // Checked before every attempt too: an IP literal never reaches the connector's lookup path
        // with a name, and a refusal must not be retried.
        await this.#policy.resolveAllowed(url.hostname, portOf(url));
      } catch (err) {
        this.#log.warn(
          { event: 'close-url-refused-policy', url: where, session: notice.sessionId, err: (err as Error).message },
          'close URL not called: sessions.closeUrlAllow refuses it',
        );
        return true;
      }
      try {
        const res = await request(url, {
          method: 'POST',
          dispatcher: this.#agent,
          headers: { 'content-type': 'application/json', 'user-agent': 'bmc-gateway' },
          body: JSON.stringify(notice),
          headersTimeout: this.#timeoutMs,
          bodyTimeout: this.#timeoutMs,
          signal: AbortSignal.timeout(this.#timeoutMs),
        });
        await res.body.dump();
        if (res.statusCode >= 300 && res.statusCode < 400) {
          this.#log.warn(
            { event: 'close-url-redirect', url: where, status: res.statusCode, session: notice.sessionId },
            'close URL answered with a redirect, which is not followed',
          );
          return true;
        }
        if (res.statusCode < 500) {
          if (res.statusCode >= 400)
            this.#log.warn({ event: 'close-url-refused', url: where, status: res.statusCode, session: notice.sessionId }, 'close URL refused the notice');
          else this.#log.info({ event: 'close-url-called', url: where, status: res.statusCode, session: notice.sessionId, attempt }, 'close URL called');
          return true;
        }
        this.#log.warn({ event: 'close-url-failed', url: where, status: res.statusCode, attempt }, 'close URL answered with a server error');
      } catch (err) {
        const e = err as Error & { code?: string };
        if (e.code === 'GW_ERR_CLOSE_URL_REFUSED') {
          this.#log.warn(
            { event: 'close-url-refused-policy', url: where, session: notice.sessionId, err: e.message },
            'close URL not called: sessions.closeUrlAllow refuses it',
          );
          return true;
        }
        this.#log.warn({ event: 'close-url-failed', url: where, err: e.message, attempt }, 'close URL call failed');
      }
      if (attempt < this.#attempts) await this.#sleep(1000 * 4 ** (attempt - 1));
    }
    return !this.#closed;
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
    await this.#agent.close().catch(() => undefined);
  }
}
