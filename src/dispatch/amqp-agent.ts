import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Channel, ChannelModel, ConsumeMessage } from 'amqplib';
import type { Principal } from '../api/auth.js';
import type { DispatchConfig } from '../config/types.js';
import type { GatewayContext } from '../context.js';
import { toPublicError } from '../errors.js';
import { PROJECT_ROOT } from '../paths.js';
import { BrokerClaims } from './broker-claims.js';
import { IdempotencyCache, idempotencyKey } from './idempotency-cache.js';
import { delivered, DispatchKeys, MessageVerifier, RejectionReporter, signHeaders } from './message-auth.js';
import { runLocally } from './local-calls.js';
import { brokerNames, LOCATION_QUEUE_OPTIONS } from './names.js';
import {
  OWNER_SEPARATOR,
  type AgentAnnouncement,
  type AgentIdentity,
  type DispatchCall,
  type WirePrincipal,
  type WireReply,
  type WireRequest,
} from './types.js';

const VERSION = (JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version: string }).version;

/** Answers are remembered this long: longer than any request deadline a front waits for. */
const IDEMPOTENCY_TTL_MS = 10 * 60_000;
const IDEMPOTENCY_MAX = 10_000;

/**
 * The agent side (`dispatch.role: agent|both`): consumes its location's durable queue (competing
 * with the other agents of the location) and its own exclusive queue (calls for sessions it holds),
 * runs each call with the very code the local API uses, answers on the front's reply queue and acks
 * only then — so a request whose agent dies before answering goes back to the queue for its twin.
 *
 * Trust: the agent believes the principal in the message (name, kind, allowed servers) only when
 * the message carries a valid HMAC of its location's key (`dispatch.keys` / `locationKeys`), is recent
 * and was not seen before (MessageVerifier); anything else is dropped and counted. A broker account
 * that may publish but has no key can do nothing.
 */
export class AmqpAgent {
  readonly identity: AgentIdentity;
  readonly #ctx: GatewayContext;
  readonly #cfg: DispatchConfig;
  readonly #names: ReturnType<typeof brokerNames>;
  readonly #cache = new IdempotencyCache<{ reply: WireReply; claimedElsewhere: boolean }>({ max: IDEMPOTENCY_MAX, ttlMs: IDEMPOTENCY_TTL_MS });
  readonly #claims: BrokerClaims;
  readonly #keys: DispatchKeys;
  readonly #verifier: MessageVerifier;
  readonly #rejections: RejectionReporter;
  #channel: Channel | undefined;

  constructor(ctx: GatewayContext, cfg: DispatchConfig, identity: AgentIdentity, rejections: RejectionReporter) {
    this.#ctx = ctx;
    this.#cfg = cfg;
    this.identity = identity;
    this.#names = brokerNames(cfg.exchange);
    this.#keys = new DispatchKeys(cfg.keys);
    this.#claims = new BrokerClaims({
      exchange: cfg.exchange,
      log: ctx.log,
      agent: identity,
      keys: this.#keys.of(identity.location),
      clockSkewMs: cfg.clockSkewMs,
      rejected: (reason) => rejections.rejected('claim-answer', reason),
    });
    // A request may wait in its queue up to its expiration (the front's request timeout).
    this.#verifier = new MessageVerifier({ maxAgeMs: cfg.requestTimeoutMs, clockSkewMs: cfg.clockSkewMs });
    this.#rejections = rejections;
  }

  /** Declares and consumes on a fresh channel (every reconnect). */
  async setup(ch: Channel, conn: ChannelModel): Promise<void> {
    this.#claims.setup(conn);
    const n = this.#names;
    await ch.assertExchange(n.requests, 'direct', { durable: true });
    await ch.assertExchange(n.announcements, 'fanout', { durable: false });
    const locQ = n.locationQueue(this.identity.location);
    await ch.assertQueue(locQ, LOCATION_QUEUE_OPTIONS);
    await ch.bindQueue(locQ, n.requests, n.locationKey(this.identity.location));
    const ownQ = n.agentQueue(this.identity.id);
    await ch.assertQueue(ownQ, { exclusive: true, autoDelete: true });
    await ch.bindQueue(ownQ, n.requests, n.agentKey(this.identity.id));
    // Bounded prefetch: an agent takes at most this many requests at once; the rest wait in the
    // queue for whichever agent of the location is free.
    await ch.prefetch(this.#cfg.prefetch);
    await ch.consume(locQ, (m) => m && void this.#handle(ch, m), { noAck: false });
    await ch.consume(ownQ, (m) => m && void this.#handle(ch, m), { noAck: false });
    this.#channel = ch;
    this.announce();
  }

  /** Publishes this agent's announcement (periodically, and once more with `leaving` at shutdown). */
  announce(leaving = false): void {
    const ch = this.#channel;
    if (!ch) return;
    const a: AgentAnnouncement = {
      ...this.identity,
      version: VERSION,
      load: this.#ctx.registry.total(),
      at: Date.now(),
      ...(leaving ? { leaving } : {}),
    };
    const body = Buffer.from(JSON.stringify(a));
    const messageId = randomUUID();
    const headers = signHeaders(
      this.#keys.of(this.identity.location),
      { type: 'bmcgw.announce', exchange: this.#names.announcements, routingKey: '', messageId, correlationId: '', replyTo: '' },
      body,
    );
    try {
      ch.publish(this.#names.announcements, '', body, { type: 'bmcgw.announce', messageId, headers, expiration: String(this.#cfg.announceIntervalMs * 3) });
    } catch {
      // the channel is closing; the link reconnects and announces again
    }
  }

  async #handle(ch: Channel, msg: ConsumeMessage): Promise<void> {
    const metrics = this.#ctx.metrics;
    const rejection = this.#verifier.verify(this.#keys.of(this.identity.location), delivered(msg), msg.content);
    if (rejection) {
      // No reply: the reply address is as untrusted as the rest.
      this.#rejections.rejected('request', rejection);
      safeAck(ch, msg);
      return;
    }
    let req: WireRequest;
    try {
      req = parseRequest(msg.content);
    } catch (err) {
      // Not ours to answer (no trustworthy reply address): drop it, never requeue a poison message.
      this.#ctx.log.warn({ event: 'dispatch-bad-message', err: (err as Error).message }, 'dropped a malformed dispatch message');
      metrics.dispatchHandled.inc({ outcome: 'malformed' });
      safeAck(ch, msg);
      return;
    }
    if (Date.now() > req.deadline) {
      // Nobody waits any more: opening a console now would only hold a BMC session for nothing.
      metrics.dispatchHandled.inc({ outcome: 'expired' });
      safeAck(ch, msg);
      return;
    }
    const principal = rebuildPrincipal(req.principal);
    // This agent's memory first (a duplicate delivered here shares the first run's answer); a
    // claimed request is then claimed through the broker, so a duplicate on another agent does not
    // run it either (broker-claims.ts).
    const key = idempotencyKey(req.principal.name, req.id, req.call);
    const { value, duplicate } = this.#cache.run(key, () =>
      req.claim
        ? this.#claims.once(key, req.deadline, () => this.#execute(principal, req.call)).then((r) => ({ reply: r.reply, claimedElsewhere: r.duplicate }))
        : this.#execute(principal, req.call).then((reply) => ({ reply, claimedElsewhere: false })),
    );
    const { reply, claimedElsewhere } = await value;
    // "Not known yet" (the claiming agent's answer had not come, or the broker failed) is not an
    // answer to remember: a later retry asks the broker again.
    if (!duplicate && !reply.ok && (reply.error.code === 'GW_ERR_REQUEST_IN_PROGRESS' || (reply.error.code === 'GW_ERR_DISPATCH_UNAVAILABLE' && req.claim)))
      this.#cache.delete(key);
    const dup = duplicate || claimedElsewhere;
    metrics.dispatchHandled.inc({ outcome: dup ? 'duplicate' : reply.ok ? 'ok' : 'error' });
    this.#ctx.log.info(
      {
        event: 'dispatch-handled',
        request: req.id,
        call: req.call.type === 'eq' ? `eq:${req.call.action}` : req.call.type,
        requester: principal.name,
        ok: reply.ok,
        duplicate,
        claimedElsewhere,
        redelivered: msg.fields.redelivered,
      },
      'dispatched request answered',
    );
    const replyTo = msg.properties.replyTo as string | undefined;
    try {
      if (replyTo) {
        const body = Buffer.from(JSON.stringify(reply));
        const correlationId = (msg.properties.correlationId as string | undefined) ?? '';
        const headers = signHeaders(
          this.#keys.of(this.identity.location),
          { type: 'bmcgw.reply', exchange: '', routingKey: replyTo, messageId: req.id, correlationId, replyTo: '' },
          body,
        );
        ch.sendToQueue(replyTo, body, {
          correlationId,
          messageId: req.id,
          headers,
          type: 'bmcgw.reply',
          expiration: String(Math.max(1, req.deadline - Date.now())),
        });
      }
    } catch {
      // channel closing: no ack either, so the request is redelivered and answered from the cache
      return;
    }
    // Ack only now: the Session is open (or the action done) and its answer sent.
    safeAck(ch, msg);
  }

  async #execute(principal: Principal, call: DispatchCall): Promise<WireReply> {
    try {
      const local = call.type === 'get' || call.type === 'end' ? { ...call, sessionId: stripOwner(call.sessionId) } : call;
      const result = await runLocally(this.#ctx, principal, local);
      return { ok: true, result: this.#tagSessions(call, result), agent: this.identity };
    } catch (err) {
      const e = toPublicError(err);
      if (e.code === 'GW_ERR_INTERNAL') this.#ctx.log.error({ err }, 'dispatched call failed');
      return { ok: false, error: e, agent: this.identity };
    }
  }

  /** Session ids leave an agent as `<agentId>~<id>`, so the front can route GET/DELETE to it. */
  #tagSessions(call: DispatchCall, result: Record<string, unknown>): Record<string, unknown> {
    const tag = (v: Record<string, unknown>) => tagSession(this.identity.id, v);
    if (call.type === 'open' || call.type === 'get') return tag(result);
    if (call.type === 'list') return { sessions: (result.sessions as Record<string, unknown>[]).map(tag) };
    return result;
  }
}

export function tagSession(agentId: string, view: Record<string, unknown>): Record<string, unknown> {
  return { ...view, id: `${agentId}${OWNER_SEPARATOR}${String(view.id)}`, agent: agentId };
}

export function stripOwner(id: string): string {
  const i = id.indexOf(OWNER_SEPARATOR);
  return i < 0 ? id : id.slice(i + 1);
}

function safeAck(ch: Channel, msg: ConsumeMessage): void {
  try {
    ch.ack(msg);
  } catch {
    // the channel died: the broker requeues the message by itself
  }
}

export function rebuildPrincipal(p: WirePrincipal): Principal {
  const all = p.servers === '*';
  const set = new Set(all ? [] : p.servers);
  return { kind: p.kind, name: p.name, mayOpen: (id) => all || set.has(id), from: p.from };
}

/** Checks the shape of a request message; throws on anything else. */
export function parseRequest(content: Buffer): WireRequest {
  if (content.length > 256 * 1024) throw new Error('request message larger than 256 KiB');
  const r = JSON.parse(content.toString('utf8')) as WireRequest;
  const ok =
    r &&
    r.v === 1 &&
    typeof r.id === 'string' &&
    typeof r.deadline === 'number' &&
    r.principal &&
    (r.principal.kind === 'token' || r.principal.kind === 'operator') &&
    typeof r.principal.name === 'string' &&
    (r.principal.servers === '*' || (Array.isArray(r.principal.servers) && r.principal.servers.every((s) => typeof s === 'string'))) &&
    (r.principal.from === undefined || typeof r.principal.from === 'string') &&
    r.call &&
    typeof r.call.type === 'string' &&
    (r.claim === undefined || typeof r.claim === 'boolean');
  if (!ok) throw new Error('request message has the wrong shape');
  const c = r.call;
  switch (c.type) {
    case 'eq':
      if (typeof c.action !== 'string' || !c.fields || typeof c.fields !== 'object' || Object.values(c.fields).some((v) => typeof v !== 'string'))
        throw new Error('eq call has the wrong shape');
      break;
    case 'open':
      if (
        typeof c.serverId !== 'string' ||
        typeof c.viewOnly !== 'boolean' ||
        (c.closeUrl !== undefined && c.closeUrl !== null && typeof c.closeUrl !== 'string')
      )
        throw new Error('open call has the wrong shape');
      if (c.closeUrl === null) c.closeUrl = undefined;
      break;
    case 'list':
      break;
    case 'get':
    case 'end':
      if (typeof c.sessionId !== 'string') throw new Error(`${c.type} call has the wrong shape`);
      break;
    default:
      throw new Error(`unknown call type "${(c as { type: string }).type}"`);
  }
  return r;
}
