import { setTimeout as sleep } from 'node:timers/promises';
import type { ChannelModel, ConfirmChannel } from 'amqplib';
import type { Logger } from '../log.js';
import { delivered, MessageVerifier, signHeaders, type HmacKey, type Rejection } from './message-auth.js';
import { brokerNames } from './names.js';
import type { AgentIdentity, WireReply } from './types.js';

/** A claim and its answer stay this long after their last use (RabbitMQ `x-expires`). */
export const CLAIM_TTL_MS = 10 * 60_000;
/** The `type` of a stored answer (part of what its signature covers). */
const ANSWER_TYPE = 'bmcgw.claim-answer';
/** How often an agent that lost a claim looks for the answer. */
const ANSWER_POLL_MS = 200;
/** The loser answers this long before the request's deadline, so the front still gets its answer. */
const DEADLINE_MARGIN_MS = 500;

/**
 * "Runs once across agents" (issue 13) with nothing but the broker the agents already share. For a
 * request id, two queues: `<exchange>.claim.<key>` holds at most one message and refuses more
 * (`x-max-length: 1`, `x-overflow: reject-publish`, so a publisher with confirms gets a nack), and
 * `<exchange>.answer.<key>` receives the answer. An agent publishes its claim with confirms: the one
 * the broker acks runs the call and publishes the answer; every other agent (a duplicate delivered
 * elsewhere, a redelivery to a twin after the first agent died) reads the answer instead, waiting
 * for it until shortly before the request's deadline, and otherwise answers
 * GW_ERR_REQUEST_IN_PROGRESS — it never runs the call. Both queues are durable and expire
 * `CLAIM_TTL_MS` after their last use; after that the id is free again.
 *
 * What this does not give: exactly-once. An agent that dies after claiming and before answering
 * leaves the outcome unknown (the BMC may or may not have acted); its duplicates say so rather than
 * act again. If the claims channel cannot be used, the call is refused (GW_ERR_DISPATCH_UNAVAILABLE),
 * not run unclaimed.
 */
export class BrokerClaims {
  readonly #names: ReturnType<typeof brokerNames>;
  readonly #log: Logger;
  readonly #agent: AgentIdentity;
  readonly #keys: readonly HmacKey[];
  readonly #verifier: MessageVerifier;
  readonly #rejected: (reason: Rejection) => void;
  #conn: ChannelModel | undefined;
  #ch: Promise<ConfirmChannel> | undefined;

  /**
   * `keys` are the location's dispatch keys: a stored answer is signed with them and checked when it
   * is read, because whoever may publish to the broker could otherwise put an answer of their own
   * there — which the agent that reads it would sign and hand to the front as its own.
   */
  constructor(o: {
    exchange: string;
    log: Logger;
    agent: AgentIdentity;
    keys: readonly HmacKey[];
    clockSkewMs: number;
    rejected: (reason: Rejection) => void;
  }) {
    this.#names = brokerNames(o.exchange);
    this.#log = o.log;
    this.#agent = o.agent;
    this.#keys = o.keys;
    this.#verifier = new MessageVerifier({ maxAgeMs: CLAIM_TTL_MS, clockSkewMs: o.clockSkewMs });
    this.#rejected = o.rejected;
  }

  /** A fresh broker connection (every reconnect): claims open their own confirm channel on it when needed. */
  setup(conn: ChannelModel): void {
    this.#conn = conn;
    this.#ch = undefined;
  }

  /** Runs `run` unless another agent claimed `key`; then returns that agent's answer (duplicate: true). */
  async once(key: string, deadline: number, run: () => Promise<WireReply>): Promise<{ reply: WireReply; duplicate: boolean }> {
    let ch: ConfirmChannel;
    let claimed: boolean;
    try {
      ch = await this.#channel();
      const args = { 'x-expires': CLAIM_TTL_MS };
      await ch.assertQueue(this.#names.claimQueue(key), { durable: true, arguments: { ...args, 'x-max-length': 1, 'x-overflow': 'reject-publish' } });
      await ch.assertQueue(this.#names.answerQueue(key), { durable: true, arguments: { ...args, 'x-max-length': 1 } });
      claimed = await publishConfirmed(ch, this.#names.claimQueue(key), Buffer.from(JSON.stringify({ agent: this.#agent.id, at: Date.now() })));
    } catch (err) {
      this.#ch = undefined;
      this.#log.warn({ event: 'dispatch-claim-failed', err: (err as Error).message }, 'could not claim a request id through the broker');
      return {
        reply: this.#error(
          'GW_ERR_DISPATCH_UNAVAILABLE',
          `the request id could not be claimed through the message broker (${(err as Error).message}); the call was not run`,
          503,
        ),
        duplicate: false,
      };
    }
    if (claimed) {
      const reply = await run();
      try {
        const queue = this.#names.answerQueue(key);
        const body = Buffer.from(JSON.stringify(reply));
        const headers = signHeaders(this.#keys, { type: ANSWER_TYPE, exchange: '', routingKey: queue, messageId: key, correlationId: '', replyTo: '' }, body);
        await publishConfirmed(ch, queue, body, { headers, type: ANSWER_TYPE, messageId: key });
      } catch (err) {
        this.#log.warn(
          { event: 'dispatch-claim-answer-lost', err: (err as Error).message },
          'the answer of a claimed request could not be stored; its duplicates will report it as unknown',
        );
      }
      return { reply, duplicate: false };
    }
    return { reply: await this.#awaitAnswer(ch, key, deadline), duplicate: true };
  }

  async #awaitAnswer(ch: ConfirmChannel, key: string, deadline: number): Promise<WireReply> {
    const queue = this.#names.answerQueue(key);
    for (;;) {
      try {
        const m = await ch.get(queue, { noAck: false });
        if (m) {
          // Put it back for the next duplicate; the answer stays until the queue expires.
          ch.nack(m, false, true);
          const why = this.#verifier.verify(this.#keys, delivered(m), m.content, { remember: false });
          if (why === undefined) return JSON.parse(m.content.toString('utf8')) as WireReply;
          // Not an answer of an agent of this location: ignored, as if none had come yet.
          this.#rejected(why);
        }
      } catch (err) {
        this.#ch = undefined;
        return this.#error(
          'GW_ERR_DISPATCH_UNAVAILABLE',
          `the answer of this request id could not be read from the message broker (${(err as Error).message}); the call was not run again`,
          503,
        );
      }
      if (Date.now() + ANSWER_POLL_MS > deadline - DEADLINE_MARGIN_MS) {
        return this.#error(
          'GW_ERR_REQUEST_IN_PROGRESS',
          'another agent took this request id and its answer did not arrive in time: the call may still be running, or its agent stopped while running it. It is not run a second time; ask for the state instead of retrying',
          409,
        );
      }
      await sleep(ANSWER_POLL_MS);
    }
  }

  #channel(): Promise<ConfirmChannel> {
    const conn = this.#conn;
    if (!conn) return Promise.reject(new Error('not connected to the broker'));
    this.#ch ??= conn.createConfirmChannel().then((ch) => {
      ch.on('error', (err: Error) => this.#log.warn({ event: 'amqp-claims-channel-error', err: err.message }, 'broker claims channel error'));
      ch.on('close', () => {
        if (this.#conn === conn) this.#ch = undefined;
      });
      return ch;
    });
    const p = this.#ch;
    p.catch(() => {
      if (this.#ch === p) this.#ch = undefined;
    });
    return p;
  }

  #error(code: string, message: string, status: number): WireReply {
    return { ok: false, error: { code, message, status }, agent: this.#agent };
  }
}

/**
 * Publishes to a queue (default exchange) and waits for the broker's ack (true) or nack (false:
 * the claim queue is full). A channel that closes before the confirm is an error, not a nack: the
 * claim's fate is unknown, so the caller must not take it for "someone else has it".
 */
function publishConfirmed(
  ch: ConfirmChannel,
  queue: string,
  body: Buffer,
  props: { headers?: Record<string, string | number>; type?: string; messageId?: string } = {},
): Promise<boolean> {
  return new Promise((resolve, reject) => {
    try {
      ch.publish('', queue, body, { persistent: true, contentType: 'application/json', ...props }, (err) => {
        if (err == null) resolve(true);
        else if ((err as Error).message === 'message nacked') resolve(false);
        else reject(err as Error);
      });
    } catch (err) {
      reject(err);
    }
  });
}
