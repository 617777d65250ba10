/**
 * A worker process (src/workers/worker-pool.ts forks it): holds console sessions wholly — their BMC
 * links, decoders, encoders, viewers' WebSockets and recorders — and answers the front's calls.
 * Everything that is written once for the whole gateway (audit trail, crash journal) goes to the
 * front over IPC; close URLs of sessions that end normally are called from here.
 */
import { applyReloadable, endForConfigChange } from '../config/reload.js';
import { auditGatewayEnds } from '../audit/audit-trail.js';
import type { Socket } from 'node:net';
import { WebSocketServer } from 'ws';
import { Authenticator } from '../api/auth.js';
import { ConsoleService } from '../api/console-service.js';
import { PageHeaders } from '../api/embedding.js';
import { novncAction } from '../api/eq-php.js';
import { acceptViewer, keyPreview, trackEndedCodes, viewerStatus } from '../api/viewer-routes.js';
import type { AuditEntry } from '../audit/audit-trail.js';
import type { GatewayConfig } from '../config/types.js';
import type { GatewayContext } from '../context.js';
import { rebuildPrincipal } from '../dispatch/amqp-agent.js';
import { InProcessDispatcher } from '../dispatch/in-process-dispatcher.js';
import { runLocally } from '../dispatch/local-calls.js';
import { toPublicError } from '../errors.js';
import { createLogger } from '../log.js';
import { Metrics } from '../metrics/metrics.js';
import { attachRecorders } from '../recording/recording-routes.js';
import { SessionRegistry } from '../session/registry.js';
import { thumbnailPng } from '../session/thumbnail.js';
import { TicketStore } from '../session/tickets.js';
import { HEARTBEAT_MS, type FromWorker, type ToWorker } from './protocol.js';

function send(m: FromWorker): void {
  // The channel is gone when the front died: this worker then exits (the 'disconnect' handler).
  if (process.connected) process.send!(m);
}

function start(index: number, config: GatewayConfig): void {
  const log = createLogger(config.log.level).child({ worker: index });
  const metrics = new Metrics();
  const audit = { record: (entry: AuditEntry) => send({ t: 'audit', entry }) };
  const registry = new SessionRegistry(config, log, metrics);
  const tickets = new TicketStore(config.sessions.urlTtlMs);
  const consoles = new ConsoleService({ config, registry, tickets, log, metrics, audit });
  const ctx: GatewayContext = {
    config,
    log,
    metrics,
    registry,
    tickets,
    consoles,
    audit,
    auth: new Authenticator(config, { metrics, audit }),
    pages: new PageHeaders(config.web),
    eqActions: new Map([['novnc', novncAction({ consoles })]]),
    onClose: [],
    dispatch: undefined as never,
  };
  ctx.dispatch = new InProcessDispatcher(ctx);
  // The front keeps the crash journal for every worker: it calls these sessions' close URLs when this process dies.
  registry.journal = {
    opened: (id, _kind, server, urls) => send({ t: 'opened', id, server, urls: [...urls] }),
    closeUrlAdded: (id, url) => send({ t: 'url', id, url }),
    ended: (id, code, reason) => send({ t: 'ended', id, code, reason }),
  };
  registry.closeNotifier.onSettled = (url, notice) => send({ t: 'settled', id: notice.sessionId, url });
  auditGatewayEnds(registry, audit);
  if (config.recording) attachRecorders(ctx, config.recording, (id, live) => send({ t: 'recording', id, live }));
  const endedCodes = trackEndedCodes(registry);
  // The same WebSocket options as the front's @fastify/websocket (server.ts).
  const wss = new WebSocketServer({ noServer: true, maxPayload: 4 * 1024 * 1024, perMessageDeflate: false });

  const reply = (n: number, work: () => unknown): void => {
    Promise.resolve()
      .then(work)
      .then(
        (result) => send({ t: 'reply', n, ok: true, result }),
        (err: unknown) => {
          const e = toPublicError(err);
          if (e.code === 'GW_ERR_INTERNAL') log.error({ err }, 'worker call failed');
          send({ t: 'reply', n, ok: false, error: { code: e.code, message: e.message, status: e.status } });
        },
      );
  };

  let closing = false;
  process.on('message', (m: ToWorker, handle?: Socket) => {
    switch (m.t) {
      case 'call':
        return reply(m.n, () => runLocally(ctx, rebuildPrincipal(m.principal), m.call));
      case 'status':
        return reply(m.n, () => viewerStatus(ctx, endedCodes, m.key));
      case 'page':
        return reply(m.n, () => keyPreview(ctx, m.key));
      case 'thumbnail':
        return reply(m.n, () => {
          const s = registry.get(m.sessionId);
          if (!s) return null;
          return thumbnailPng(s.fb, m.width);
        });
      case 'metrics':
        return reply(m.n, () => metrics.registry.getMetricsAsJSON());
      case 'viewer': {
        if (!handle) return;
        if (closing) {
          handle.destroy();
          return;
        }
        // The front routed the upgrade request here untouched (no byte of it was answered there):
        // ws completes the handshake on the socket. Browsers send nothing before the 101 (RFC 6455 §4.1),
        // so no bytes were left behind in the front.
        const req = { method: m.method, url: m.url, headers: m.headers, socket: handle } as unknown as import('node:http').IncomingMessage;
        handle.on('error', () => handle.destroy());
        wss.handleUpgrade(req, handle, Buffer.alloc(0), (ws) => acceptViewer(ctx, ws, m.key, m.ip));
        return;
      }
      case 'close': {
        if (closing) return;
        closing = true;
        void (async () => {
          registry.closeAll(m.reason);
          for (const c of ctx.onClose) await c();
          await registry.closeNotifier.drain(3000);
          tickets.close();
          // Exit once the IPC channel has written everything before it (ends, settled close URL calls):
          // process.exit would drop messages still queued, and the front's crash journal needs them.
          if (process.connected) process.send!({ t: 'closed' } satisfies FromWorker, () => process.exit(0));
          else process.exit(0);
        })();
        return;
      }
      case 'reload': {
        // What the front's applyConfig does for its own registry (src/config/reload.ts).
        applyReloadable(config, m);
        endForConfigChange(registry.list(), m.removed, m.changed);
        return;
      }
      case 'test-busy-loop': {
        if (process.env.BMCGW_WORKER_TEST_HOOKS !== '1') return;
        // A synchronous loop, bounded in time: no timer, IPC message or socket is served meanwhile.
        const until = Date.now() + Math.min(m.ms, 120_000);
        while (Date.now() < until) {
          // spin
        }
        return;
      }
      case 'init':
        return;
    }
  });
  setInterval(() => send({ t: 'hb' }), HEARTBEAT_MS);
  send({ t: 'ready', pid: process.pid });
  log.debug({ event: 'worker-started', worker: index, pid: process.pid }, 'worker ready');
}

if (!process.send) {
  process.stderr.write('bmc-gateway worker: must be started by the gateway (an IPC channel), not by hand\n');
  process.exit(2);
}
// Without the front nobody can reach these sessions: end with it (its crash journal calls the close URLs).
process.on('disconnect', () => process.exit(1));
// A terminal's Ctrl-C reaches the whole process group: the front ends the sessions in order ('close').
process.on('SIGINT', () => {});
process.on('SIGTERM', () => {});
process.once('message', (m: ToWorker) => {
  if (m.t !== 'init') {
    process.stderr.write(`bmc-gateway worker: first message must be init, got ${m.t}\n`);
    process.exit(2);
  }
  start(m.index, m.config);
});
