import { randomUUID } from 'node:crypto';
import type { Channel, ConsumeMessage } from 'amqplib';
import type { Principal } from '../api/auth.js';
import type { DispatchConfig } from '../config/types.js';
import type { EqFields, GatewayContext } from '../context.js';
import { ForwardedError, GatewayError, toPublicError } from '../errors.js';
import type { AgentDirectory } from './agent-directory.js';
import type { AmqpLink } from './amqp-link.js';
import { stripOwner, tagSession } from './amqp-agent.js';
import { InProcessDispatcher } from './in-process-dispatcher.js';
import { eqCall, runLocally } from './local-calls.js';
import { delivered, DispatchKeys, MessageVerifier, type RejectionReporter, signHeaders } from './message-auth.js';
import { brokerNames, LOCATION_QUEUE_OPTIONS } from './names.js';
import {
  isTakeoverCall,
  OWNER_SEPARATOR,
  type DispatchCall,
  type Dispatcher,
  type RestCall,
  type WirePrincipal,
  type WireReply,
  type WireRequest,
} from './types.js';

/** Listing sessions asks every agent; one that does not answer within this is left out. */
const LIST_TIMEOUT_MS = 5_000;
/** Bound on requests waiting for an answer, so a dead broker path cannot grow the map without end. */
const MAX_PENDING = 10_000;

type Target = { kind: 'location'; location: string } | { kind: 'agent'; agentId: string; location: string };

interface Pending {
  location: string;
  resolve(v: Record<string, unknown>): void;
  reject(e: Error): void;
  timer: NodeJS.Timeout;
}

/**
 * The front side (`dispatch.role: front|both`): a call for a server whose `location` is set is sent
 * to that location's queue, and its answer — result or error — comes back on this front's exclusive
 * reply queue, matched by correlation id. Calls for servers without a location run here.
 */
export class AmqpDispatcher implements Dispatcher {
  readonly #ctx: GatewayContext;
  readonly #cfg: DispatchConfig;
  readonly #link: AmqpLink;
  readonly #directory: AgentDirectory;
  readonly #names: ReturnType<typeof brokerNames>;
  readonly #pending = new Map<string, Pending>();
  /** Calls for servers served here: run in this process, with the same request-id memory as without dispatch. */
  readonly #local: InProcessDispatcher;
  /** Role both: this process's own agent id; its sessions are listed and reached here, not over the broker. */
  readonly #selfAgentId: string | undefined;
  readonly #keys: DispatchKeys;
  readonly #replies: MessageVerifier;
  readonly #announcements: MessageVerifier;
  readonly #rejections: RejectionReporter;
  #replyQueue: string | undefined;

  constructor(o: {
    ctx: GatewayContext;
    cfg: DispatchConfig;
    link: AmqpLink;
    directory: AgentDirectory;
    rejections: RejectionReporter;
    selfAgentId?: string | undefined;
  }) {
    this.#selfAgentId = o.selfAgentId;
    this.#keys = new DispatchKeys(o.cfg.keys);
    this.#replies = new MessageVerifier({ maxAgeMs: o.cfg.requestTimeoutMs, clockSkewMs: o.cfg.clockSkewMs });
    this.#announcements = new MessageVerifier({ maxAgeMs: o.cfg.announceIntervalMs * 3, clockSkewMs: o.cfg.clockSkewMs });
    this.#rejections = o.rejections;
    this.#ctx = o.ctx;
    this.#cfg = o.cfg;
    this.#link = o.link;
    this.#directory = o.directory;
    this.#names = brokerNames(o.cfg.exchange);
    this.#local = new InProcessDispatcher(o.ctx);
  }

  /** Declares the exchanges, the reply queue and the announcement queue on a fresh channel. */
  async setup(ch: Channel): Promise<void> {
    const n = this.#names;
    await ch.assertExchange(n.requests, 'direct', { durable: true });
    await ch.assertExchange(n.announcements, 'fanout', { durable: false });
    const reply = await ch.assertQueue('', { exclusive: true, autoDelete: true });
    await ch.consume(reply.queue, (m) => m && this.#onReply(m), { noAck: true });
    const ann = await ch.assertQueue('', { exclusive: true, autoDelete: true });
    await ch.bindQueue(ann.queue, n.announcements, '');
    await ch.consume(ann.queue, (m) => m && this.#onAnnouncement(m), { noAck: true });
    this.#replyQueue = reply.queue;
  }

  /** The link dropped: the exclusive reply queue is gone, so no waiting request can be answered. */
  onDown(): void {
    this.#replyQueue = undefined;
    for (const [id, p] of this.#pending) {
      this.#pending.delete(id);
      clearTimeout(p.timer);
      p.reject(new GatewayError('GW_ERR_DISPATCH_UNAVAILABLE', 'the connection to the message broker was lost while waiting for the agent'));
    }
  }

  async eq(principal: Principal, action: string, body: Record<string, unknown>, fields: EqFields): Promise<Record<string, unknown>> {
    const location = this.#remoteLocation(fields.get('id'));
    if (location === undefined) return this.#local.eq(principal, action, body, fields);
    // Everything but the secrets travels; the agent trusts the front's authentication.
    return this.#send({ kind: 'location', location }, principal, eqCall(action, body, fields), fields.get('request_id'));
  }

  async rest(principal: Principal, call: RestCall, requestId?: string): Promise<Record<string, unknown>> {
    switch (call.type) {
      case 'open': {
        const location = this.#remoteLocation(call.serverId);
        if (location === undefined) return this.#local.rest(principal, call, requestId);
        return this.#send({ kind: 'location', location }, principal, call, requestId);
      }
      case 'list':
        return this.#listAll(principal);
      case 'get':
      case 'end': {
        const sep = call.sessionId.indexOf(OWNER_SEPARATOR);
        const agentId = call.sessionId.slice(0, sep);
        if (sep < 0 || agentId === this.#selfAgentId) return runLocally(this.#ctx, principal, { ...call, sessionId: stripOwner(call.sessionId) });
        const agent = this.#directory.get(agentId);
        if (!agent) throw new GatewayError('GW_ERR_UNKNOWN_SESSION', `no live session "${call.sessionId}" (agent "${agentId}" is not announced)`);
        return this.#send({ kind: 'agent', agentId, location: agent.location }, principal, call, requestId);
      }
    }
  }

  /** The location to send a call for this server to, or undefined to run it here. */
  #remoteLocation(serverId: string | undefined): string | undefined {
    if (serverId === undefined) return undefined;
    return this.#ctx.config.servers.find((s) => s.id === serverId)?.location;
  }

  async #listAll(principal: Principal): Promise<Record<string, unknown>> {
    const self = this.#selfAgentId;
    // Role both: this registry is also the agent's, so its sessions are listed once, here, with the
    // same owner tag the agent part gives them.
    const local = ((await runLocally(this.#ctx, principal, { type: 'list' })).sessions as Record<string, unknown>[]).map((v) =>
      self ? tagSession(self, v) : v,
    );
    const agents = this.#directory.list().filter((a) => a.id !== self);
    const answers = await Promise.allSettled(
      agents.map((a) => this.#send({ kind: 'agent', agentId: a.id, location: a.location }, principal, { type: 'list' }, undefined, LIST_TIMEOUT_MS)),
    );
    const sessions = [...local];
    const unreachable: string[] = [];
    answers.forEach((r, i) => {
      if (r.status === 'fulfilled') sessions.push(...((r.value.sessions as Record<string, unknown>[] | undefined) ?? []));
      else unreachable.push(agents[i]!.id);
    });
    // `unreachable` names agents that were announced but did not answer: the list may be partial.
    return unreachable.length > 0 ? { sessions, unreachable } : { sessions };
  }

  #wirePrincipal(p: Principal, location: string): WirePrincipal {
    const from = p.from === undefined ? {} : { from: p.from };
    if (p.kind === 'operator') return { kind: p.kind, name: p.name, servers: '*', ...from };
    // Only the ids of the target location travel (bounded by the config, not by the token's "*").
    const servers = this.#ctx.config.servers.filter((s) => s.location === location && p.mayOpen(s.id)).map((s) => s.id);
    return { kind: p.kind, name: p.name, servers, ...from };
  }

  /** An agent's announcement, believed only when signed with its location's key. */
  #onAnnouncement(m: ConsumeMessage): void {
    let location: unknown;
    try {
      location = (JSON.parse(m.content.toString('utf8')) as { location?: unknown }).location;
    } catch {
      location = undefined;
    }
    if (typeof location !== 'string') return;
    const rejection = this.#announcements.verify(this.#keys.of(location), delivered(m), m.content);
    if (rejection) {
      this.#rejections.rejected('announcement', rejection);
      return;
    }
    this.#directory.update(m.content);
  }

  async #send(
    target: Target,
    principal: Principal,
    call: DispatchCall,
    requestId: string | undefined,
    timeoutMs = this.#cfg.requestTimeoutMs,
  ): Promise<Record<string, unknown>> {
    const location = target.location;
    const metrics = this.#ctx.metrics;
    const started = process.hrtime.bigint();
    const fail = (err: unknown): never => {
      const e = toPublicError(err);
      metrics.dispatchRequests.inc({
        location,
        outcome:
          e.code === 'GW_ERR_DISPATCH_TIMEOUT'
            ? 'timeout'
            : e.code === 'GW_ERR_DISPATCH_UNAVAILABLE'
              ? 'unavailable'
              : e.code === 'GW_ERR_NO_AGENT'
                ? 'no_agent'
                : 'error',
      });
      metrics.dispatchFailures.inc({ location, code: e.code });
      throw err;
    };
    const ch = this.#link.channel;
    const replyTo = this.#replyQueue;
    if (!ch || !replyTo)
      return fail(
        new GatewayError('GW_ERR_DISPATCH_UNAVAILABLE', `server is in location "${location}", served through the message broker, which is not reachable now`),
      );
    if (this.#pending.size >= MAX_PENDING) return fail(new GatewayError('GW_ERR_DISPATCH_UNAVAILABLE', 'too many requests are waiting for agents'));
    let routingKey: string;
    if (target.kind === 'location') {
      const q = this.#names.locationQueue(location);
      try {
        // Declared here too so the check cannot close the channel (checkQueue on a missing queue does).
        const info = await ch.assertQueue(q, LOCATION_QUEUE_OPTIONS);
        await ch.bindQueue(q, this.#names.requests, this.#names.locationKey(location));
        if (info.consumerCount === 0) return fail(new GatewayError('GW_ERR_NO_AGENT', `no agent is serving location "${location}"`));
      } catch (err) {
        if (err instanceof GatewayError) throw err;
        return fail(
          new GatewayError('GW_ERR_DISPATCH_UNAVAILABLE', `the message broker failed while sending to location "${location}": ${(err as Error).message}`),
        );
      }
      routingKey = this.#names.locationKey(location);
    } else {
      routingKey = this.#names.agentKey(target.agentId);
    }
    const deadline = Date.now() + timeoutMs;
    // `claim`: the caller gave the id, so agents make sure the call runs once across all of them
    // (broker-claims.ts) — except console opens, which a twin may take over (ARCHITECTURE.md).
    const claim = requestId !== undefined && requestId !== '' && !isTakeoverCall(call);
    const req: WireRequest = {
      v: 1,
      id: requestId || randomUUID(),
      deadline,
      principal: this.#wirePrincipal(principal, location),
      call,
      ...(claim ? { claim } : {}),
    };
    const correlationId = randomUUID();
    const answer = new Promise<Record<string, unknown>>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(correlationId);
        reject(new GatewayError('GW_ERR_DISPATCH_TIMEOUT', `no agent of location "${location}" answered within ${timeoutMs} ms`));
      }, timeoutMs);
      timer.unref();
      this.#pending.set(correlationId, { location, resolve, reject, timer });
    });
    try {
      // The expiration is the deadline: a request still queued when nobody waits is dropped by the
      // broker instead of opening a console for no one. Not persistent for the same reason.
      const body = Buffer.from(JSON.stringify(req));
      const headers = signHeaders(
        this.#keys.of(location),
        { type: 'bmcgw.request', exchange: this.#names.requests, routingKey, messageId: req.id, correlationId, replyTo },
        body,
      );
      ch.publish(this.#names.requests, routingKey, body, {
        correlationId,
        replyTo,
        messageId: req.id,
        type: 'bmcgw.request',
        headers,
        expiration: String(timeoutMs),
        contentType: 'application/json',
      });
    } catch (err) {
      const p = this.#pending.get(correlationId);
      if (p) {
        clearTimeout(p.timer);
        this.#pending.delete(correlationId);
      }
      void answer.catch(() => undefined);
      return fail(
        new GatewayError('GW_ERR_DISPATCH_UNAVAILABLE', `the message broker failed while sending to location "${location}": ${(err as Error).message}`),
      );
    }
    try {
      const result = await answer;
      metrics.dispatchRequests.inc({ location, outcome: 'ok' });
      metrics.dispatchSeconds.observe({ location }, Number(process.hrtime.bigint() - started) / 1e9);
      return result;
    } catch (err) {
      metrics.dispatchSeconds.observe({ location }, Number(process.hrtime.bigint() - started) / 1e9);
      return fail(err);
    }
  }

  #onReply(m: ConsumeMessage): void {
    const id = m.properties.correlationId as string | undefined;
    const p = id === undefined ? undefined : this.#pending.get(id);
    if (!p || id === undefined) return; // late answer after a timeout: nobody waits
    // Only an answer signed with the location's key counts; a forged one leaves the request waiting.
    const rejection = this.#replies.verify(this.#keys.of(p.location), delivered(m), m.content);
    if (rejection) {
      this.#rejections.rejected('reply', rejection);
      return;
    }
    this.#pending.delete(id);
    clearTimeout(p.timer);
    try {
      p.resolve(parseReply(m.content));
    } catch (err) {
      p.reject(err as Error);
    }
  }

  async close(): Promise<void> {
    this.onDown();
  }
}

/**
 * An agent's answer (`bmcgw.reply`): the result, or throws the agent's error (ForwardedError) or
 * GW_ERR_INTERNAL for an answer that is not JSON or of the wrong shape.
 */
export function parseReply(content: Buffer): Record<string, unknown> {
  let reply: WireReply;
  try {
    reply = JSON.parse(content.toString('utf8')) as WireReply;
  } catch {
    throw new GatewayError('GW_ERR_INTERNAL', 'an agent sent an answer that is not JSON');
  }
  if (reply && reply.ok === true && reply.result && typeof reply.result === 'object') return reply.result;
  if (
    reply &&
    reply.ok === false &&
    reply.error &&
    typeof reply.error.code === 'string' &&
    typeof reply.error.message === 'string' &&
    typeof reply.error.status === 'number'
  )
    throw new ForwardedError(reply.error);
  throw new GatewayError('GW_ERR_INTERNAL', 'an agent sent an answer of the wrong shape');
}
