import type { FastifyInstance } from 'fastify';
import type { GatewayContext } from '../../context.js';
import { GatewayError } from '../../errors.js';
import type { FleetEvent } from '../api-types.js';
import { bearer, pinHeader } from '../rest-v1.js';
import type { FleetMonitor } from './fleet-monitor.js';

/** Live feeds at once, gateway-wide (each holds a connection and a little memory). */
export const MAX_FEEDS = 64;
/** A feed whose reader lets this much pile up unread is dropped (its page reconnects and starts afresh). */
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;
/** A comment line this often keeps proxies from closing a quiet feed and finds dead readers. */
const KEEPALIVE_MS = 15_000;

/**
 * `GET /api/v1/fleet/events` (operators): the dashboard's live feed as server-sent events
 * (`event: <type>`, `data: <JSON>`; FleetEvent). The page reads it with fetch() so the operator
 * token travels in the Authorization header, as on every other call, not in the URL.
 */
export async function fleetRoutes(app: FastifyInstance, ctx: GatewayContext, monitor: FleetMonitor): Promise<void> {
  // Open feeds end at shutdown: a dashboard left open must not keep the server from closing.
  const feeds = new Set<() => void>();
  ctx.onClose.push(() => {
    for (const end of [...feeds]) end();
  });
  app.get('/api/v1/fleet/events', async (req, reply) => {
    const p = ctx.auth.authenticate(bearer(req), pinHeader(req), req.ip);
    if (p.kind !== 'operator') throw new GatewayError('GW_ERR_OPERATOR_ONLY', 'the fleet feed is for operator tokens');
    if (monitor.watchers >= MAX_FEEDS) throw new GatewayError('GW_ERR_TOO_MANY_FEEDS', `the gateway already serves ${MAX_FEEDS} live dashboard feeds`);
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      // nginx and similar proxies would otherwise hold the events back.
      'x-accel-buffering': 'no',
    });
    res.write(': bmc-gateway fleet feed\n\n');
    let unsubscribe = () => {};
    const end = () => {
      feeds.delete(end);
      clearInterval(keepalive);
      unsubscribe();
      if (!res.destroyed) res.destroy();
    };
    const write = (text: string) => {
      if (res.destroyed) return;
      if (res.writableLength > MAX_BUFFERED_BYTES) {
        req.log.warn({ event: 'fleet-feed-dropped', who: p.name }, 'a dashboard feed was not read; dropped');
        end();
        return;
      }
      res.write(text);
    };
    const keepalive = setInterval(() => write(': keepalive\n\n'), KEEPALIVE_MS);
    keepalive.unref();
    feeds.add(end);
    res.on('close', end);
    res.on('error', end);
    unsubscribe = monitor.subscribe((e: FleetEvent) => {
      const { type, ...data } = e;
      write(`event: ${type}\ndata: ${JSON.stringify(data)}\n\n`);
    });
  });
}
