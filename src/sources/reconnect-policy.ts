import { GatewayError } from '../errors.js';
import type { SourceSink } from './types.js';

export type ReconnectDecision = { kind: 'fail'; error: Error } | { kind: 'retry'; attempt: number; delayMs: number };

/**
 * When a Source should try its BMC again, shared by every source:
 * - a link that never worked fails at once (the API caller learns the real error), and so does one
 *   that failed with GW_ERR_BMC_UNSUPPORTED;
 * - a link that worked and dropped is retried with exponential backoff (`firstDelayMs`, doubling,
 *   capped at 10 s) until `budgetMs` after the drop, then fails with GW_ERR_BMC_UNREACHABLE;
 * - the attempt count is reset only when the new link proved healthy (`healthy()`, called on the
 *   first complete update), not at the handshake: a BMC that handshakes and then sends garbage
 *   would otherwise reset the budget every time and be hammered at the shortest delay forever.
 */
export class ReconnectPolicy {
  readonly #budgetMs: number;
  readonly #firstDelayMs: number;
  #everConnected = false;
  #attempt = 0;
  #lostAt = 0;

  constructor(opts: { budgetMs: number; firstDelayMs: number }) {
    this.#budgetMs = opts.budgetMs;
    this.#firstDelayMs = opts.firstDelayMs;
  }

  /** The handshake completed. */
  connected(): void {
    this.#everConnected = true;
  }

  /** The link delivered a whole update: the next drop starts a fresh budget. */
  healthy(): void {
    this.#attempt = 0;
  }

  delayMs(attempt: number): number {
    return Math.min(10_000, this.#firstDelayMs * 2 ** Math.min(attempt - 1, 10));
  }

  /**
   * What every source does when its link drops: tell the sink it failed for good, or that it is
   * reconnecting, and then call `retry` after the backoff delay (through the source's own timer, so
   * the source can cancel it on close).
   */
  handleLost(err: Error, sink: SourceSink, schedule: (fn: () => void, delayMs: number) => void, retry: () => void): void {
    const next = this.lost(err);
    if (next.kind === 'fail') {
      sink.failed(next.error);
      return;
    }
    sink.reconnecting(err, next.attempt, next.delayMs);
    schedule(retry, next.delayMs);
  }

  lost(err: Error, now = Date.now()): ReconnectDecision {
    if (!this.#everConnected) return { kind: 'fail', error: err };
    // The board speaks something the gateway cannot: trying again cannot change that.
    if (err instanceof GatewayError && err.code === 'GW_ERR_BMC_UNSUPPORTED') return { kind: 'fail', error: err };
    if (this.#attempt === 0) this.#lostAt = now;
    this.#attempt++;
    const delayMs = this.delayMs(this.#attempt);
    if (now + delayMs - this.#lostAt > this.#budgetMs) {
      return {
        kind: 'fail',
        error: new GatewayError(
          'GW_ERR_BMC_UNREACHABLE',
          `the BMC has been unreachable for longer than the reconnect budget (${Math.round(this.#budgetMs / 1000)} s): ${err.message}`,
          { cause: err },
        ),
      };
    }
    return { kind: 'retry', attempt: this.#attempt, delayMs };
  }
}
