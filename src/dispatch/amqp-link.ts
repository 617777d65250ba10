import { connect, type Channel, type ChannelModel } from 'amqplib';
import type { Logger } from '../log.js';

/** Backoff between connection attempts: 0.5 s doubling up to 5 s (a restarting broker is back within seconds). */
const BACKOFF_MS = [500, 1_000, 2_000, 4_000, 5_000];
/** Upper bound of channel creation + declarations: a broker that accepts TCP but stalls is retried. */
const SETUP_TIMEOUT_MS = 10_000;

/**
 * One broker connection and channel that come back by themselves. `setup` runs on every fresh
 * channel (declare exchanges and queues, start consumers; it also gets the connection, for a
 * second channel of its own such as the agents' claims): after a broker restart everything is
 * declared again, and nothing has to restart the gateway. While the link is down `channel` is
 * undefined, and callers answer "dispatch unavailable" rather than queue work for later.
 */
export class AmqpLink {
  readonly #url: string;
  readonly #log: Logger;
  readonly #setup: (ch: Channel, conn: ChannelModel) => Promise<void>;
  readonly #onDown: (err: Error) => void;
  #conn: ChannelModel | undefined;
  #channel: Channel | undefined;
  #attempt = 0;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;
  #connecting = false;
  #upWaiters: (() => void)[] = [];

  constructor(o: { url: string; log: Logger; setup: (ch: Channel, conn: ChannelModel) => Promise<void>; onDown: (err: Error) => void }) {
    this.#url = o.url;
    this.#log = o.log;
    this.#setup = o.setup;
    this.#onDown = o.onDown;
  }

  /** The working channel, or undefined while disconnected. */
  get channel(): Channel | undefined {
    return this.#channel;
  }

  start(): void {
    void this.#connect();
  }

  /** Resolves when the link is up, or after `ms` (whichever first); for startup and tests. */
  waitUp(ms: number): Promise<boolean> {
    if (this.#channel) return Promise.resolve(true);
    return new Promise((resolve) => {
      const t = setTimeout(() => resolve(false), ms);
      t.unref();
      this.#upWaiters.push(() => {
        clearTimeout(t);
        resolve(true);
      });
    });
  }

  async #connect(): Promise<void> {
    if (this.#closed || this.#connecting) return;
    this.#connecting = true;
    let conn: ChannelModel | undefined;
    try {
      // A stopped broker closes its connections (320 CONNECTION_FORCED), so a restart is seen at once;
      // a vanished host shows up through the heartbeat the broker proposes (or `?heartbeat=` in the URL).
      conn = await connect(this.#url, { timeout: 5_000 });
      conn.on('error', (err: Error) => this.#log.warn({ event: 'amqp-error', err: err.message }, 'broker connection error'));
      // A close before setup finished would be ignored by #down (not yet the current connection):
      // remember it, so this attempt fails and is retried instead of keeping a dead link.
      let closedEarly = false;
      conn.on('close', () => {
        closedEarly = true;
        this.#down(conn!, new Error('the broker connection closed'));
      });
      const c = conn;
      const ch = await withTimeout(
        (async () => {
          const ch = await c.createChannel();
          ch.on('error', (err: Error) => this.#log.warn({ event: 'amqp-channel-error', err: err.message }, 'broker channel error'));
          // A channel closed by the broker (e.g. a declaration mismatch) is handled like a lost link.
          ch.on('close', () => {
            closedEarly = true;
            this.#down(c, new Error('the broker channel closed'));
          });
          await this.#setup(ch, c);
          return ch;
        })(),
        SETUP_TIMEOUT_MS,
      );
      if (this.#closed) {
        await conn.close().catch(() => undefined);
        return;
      }
      if (closedEarly) throw new Error('the broker closed the connection during setup');
      this.#conn = conn;
      this.#channel = ch;
      this.#attempt = 0;
      this.#log.info({ event: 'amqp-up' }, 'connected to the message broker');
      for (const w of this.#upWaiters.splice(0)) w();
    } catch (err) {
      this.#log.warn({ event: 'amqp-connect-failed', err: (err as Error).message, attempt: this.#attempt }, 'cannot reach the message broker');
      if (conn) await conn.close().catch(() => undefined);
      this.#schedule();
    } finally {
      this.#connecting = false;
    }
  }

  #down(conn: ChannelModel, err: Error): void {
    if (this.#conn !== conn) return; // a half-set-up connection: #connect's catch handles it
    this.#conn = undefined;
    this.#channel = undefined;
    conn.close().catch(() => undefined);
    if (this.#closed) return;
    this.#log.warn({ event: 'amqp-down', err: err.message }, 'lost the message broker; reconnecting');
    this.#onDown(err);
    this.#schedule();
  }

  #schedule(): void {
    if (this.#closed || this.#timer) return;
    const ms = BACKOFF_MS[Math.min(this.#attempt, BACKOFF_MS.length - 1)]!;
    this.#attempt++;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.#connect();
    }, ms);
    this.#timer.unref();
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    const conn = this.#conn;
    this.#conn = undefined;
    this.#channel = undefined;
    if (conn) await conn.close().catch(() => undefined);
  }
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`broker setup took longer than ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
