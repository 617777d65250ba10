import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { FastifyInstance } from 'fastify';
import type { AgentsAnswer } from '../api/api-types.js';
import { bearer, pinHeader } from '../api/rest-v1.js';
import type { GatewayContext } from '../context.js';
import { GatewayError } from '../errors.js';
import { AgentDirectory } from './agent-directory.js';
import { AmqpAgent } from './amqp-agent.js';
import { AmqpDispatcher } from './amqp-dispatcher.js';
import { AmqpLink } from './amqp-link.js';
import { RejectionReporter } from './message-auth.js';

/** How long startup waits for the broker before serving anyway (dispatch then answers 503 until it is up). */
const STARTUP_WAIT_MS = 3_000;

/**
 * Wires `dispatch:` (docs/config.md): without it nothing changes (the in-process dispatcher).
 * With it, one broker link serves the front (ctx.dispatch becomes the AMQP dispatcher) and/or the
 * agent (consumes its location's queue and announces itself). `GET /api/v1/agents` (operators) lists
 * the agents this front has heard from.
 */
export async function dispatchRoutes(app: FastifyInstance, ctx: GatewayContext): Promise<() => AgentsAnswer> {
  const cfg = ctx.config.dispatch;
  const directory = cfg ? new AgentDirectory({ announceIntervalMs: cfg.announceIntervalMs }) : undefined;
  let link: AmqpLink | undefined;

  /** What `GET /api/v1/agents` answers (also the dashboard's feed). */
  const agents = (): AgentsAnswer => {
    if (!cfg) return { dispatch: 'in-process', broker: null, agents: [] };
    return { dispatch: cfg.role, broker: link?.channel ? 'up' : 'down', agents: cfg.role === 'agent' ? [] : directory!.list() };
  };

  app.get('/api/v1/agents', async (req) => {
    const p = ctx.auth.authenticate(bearer(req), pinHeader(req), req.ip);
    if (p.kind !== 'operator') throw new GatewayError('GW_ERR_OPERATOR_ONLY', 'the agents list is for operator tokens');
    return agents();
  });

  if (!cfg) return agents;
  const location = cfg.location;
  const agentId =
    cfg.agentId ??
    `${location ?? 'front'}-${hostname()
      .replace(/[^A-Za-z0-9.-]/g, '-')
      .slice(0, 32)}-${randomBytes(3).toString('hex')}`;
  const rejections = new RejectionReporter({
    count: (kind, reason) => ctx.metrics.dispatchRejected.inc({ kind, reason }),
    report: (kind, reason, count) => {
      ctx.log.warn({ event: 'dispatch-message-rejected', kind, reason, count }, `dropped ${count} ${reason} dispatch ${kind} message(s)`);
      ctx.audit.record({ action: `dispatch.${kind}`, who: 'broker', kind: 'gateway', outcome: 'refused', code: `dispatch-${reason}`, detail: { count } });
    },
  });
  const agent =
    (cfg.role === 'agent' || cfg.role === 'both') && location
      ? new AmqpAgent(ctx, cfg, { id: agentId, location, url: ctx.config.publicUrl }, rejections)
      : undefined;
  let front: AmqpDispatcher | undefined;
  link = new AmqpLink({
    url: cfg.amqp,
    log: ctx.log,
    async setup(ch, conn) {
      if (front) await front.setup(ch);
      if (agent) await agent.setup(ch, conn);
    },
    onDown: () => front?.onDown(),
  });
  if (cfg.role === 'front' || cfg.role === 'both') {
    front = new AmqpDispatcher({ ctx, cfg, link, directory: directory!, rejections, selfAgentId: agent?.identity.id });
    ctx.dispatch = front;
  }
  const announcer = agent ? setInterval(() => agent.announce(), cfg.announceIntervalMs) : undefined;
  announcer?.unref();
  const l = link;
  ctx.onClose.push(async () => {
    if (announcer) clearInterval(announcer);
    agent?.announce(true);
    await front?.close();
    await l.close();
  });
  l.start();
  if (!(await l.waitUp(STARTUP_WAIT_MS)))
    ctx.log.warn(
      { event: 'dispatch-broker-down' },
      'the message broker is not reachable; serving local servers, remote ones answer GW_ERR_DISPATCH_UNAVAILABLE until it is',
    );
  return agents;
}
