import fastifyWebsocket from '@fastify/websocket';
import Fastify, { type FastifyInstance } from 'fastify';
import { Authenticator } from './api/auth.js';
import { ConsoleService } from './api/console-service.js';
import { dashboardRoutes } from './api/dashboard-routes.js';
import { ApiAudit } from './api/api-audit.js';
import { ipmiRoutes } from './api/ipmi-routes.js';
import { powerRoutes } from './api/power-routes.js';
import { IpmiService } from './ipmi/ipmi-service.js';
import { PowerService } from './power/power-service.js';
import { RedfishService } from './redfish/redfish-service.js';
import { dispatchRoutes } from './dispatch/dispatch-routes.js';
import { InProcessDispatcher } from './dispatch/in-process-dispatcher.js';
import { eqPhpRoutes } from './api/eq-php.js';
import { restV1Routes } from './api/rest-v1.js';
import { viewerRoutes } from './api/viewer-routes.js';
import { recordingRoutes } from './recording/recording-routes.js';
import type { GatewayConfig } from './config/types.js';
import type { GatewayContext } from './context.js';
import { toPublicError } from './errors.js';
import { redactUrl, type Logger } from './log.js';
import { Metrics } from './metrics/metrics.js';
import { SessionRegistry } from './session/registry.js';
import { TicketStore } from './session/tickets.js';
import { defaultJavaConfig, JavaViewers, needsJava } from './sources/jnlp/java-viewers.js';

export interface Gateway {
  app: FastifyInstance;
  ctx: GatewayContext;
  registry: SessionRegistry;
  tickets: TicketStore;
  config: GatewayConfig;
  close(): Promise<void>;
}

/** The composition root, without listen(): tests use inject / a port of their choosing. */
export async function buildGateway(config: GatewayConfig, log: Logger, opts: { demo?: boolean } = {}): Promise<Gateway> {
  const app = Fastify({
    loggerInstance: log,
    bodyLimit: 64 * 1024,
    trustProxy: false,
  }) as unknown as FastifyInstance;

  // Form bodies (eq.php): parsed with URLSearchParams; repeated fields keep the last value.
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)));
  });

  app.setErrorHandler((err, req, reply) => {
    const e = toPublicError(err);
    if (e.status >= 500 && e.code === 'GW_ERR_INTERNAL') req.log.error({ err }, 'request failed');
    void reply.code(e.status).send({ error: { code: e.code, message: e.message } });
  });
  app.setNotFoundHandler((req, reply) => {
    void reply.code(404).send({ error: { code: 'GW_ERR_NOT_FOUND', message: `no route ${req.method} ${redactUrl(req.url)}` } });
  });

  await app.register(fastifyWebsocket, { options: { maxPayload: 4 * 1024 * 1024, perMessageDeflate: false } });

  const metrics = new Metrics();
  // Java viewers only when some console needs them; at start they clear what a crashed run left.
  const java = needsJava(config) ? new JavaViewers(config.java ?? defaultJavaConfig(), config.listen, log) : undefined;
  await java?.start();
  const registry = new SessionRegistry(config, log, metrics, { java });
  const tickets = new TicketStore(config.sessions.urlTtlMs);
  const auth = new Authenticator(config);
  const consoles = new ConsoleService({ config, registry, tickets, log, metrics });
  const ctx: GatewayContext = { config, log, metrics, registry, tickets, auth, consoles, eqActions: new Map(), onClose: [], dispatch: undefined as never };
  ctx.dispatch = new InProcessDispatcher(ctx);

  app.get('/healthz', async () => ({ status: 'ok', sessions: registry.list().length }));
  app.get('/metrics', async (_req, reply) => {
    reply.type(metrics.registry.contentType);
    return metrics.registry.metrics();
  });
  eqPhpRoutes(app, ctx);
  restV1Routes(app, ctx);
  await app.register(async (scope) => viewerRoutes(scope, ctx));
  await app.register(async (scope) => dashboardRoutes(scope, ctx));
  // One IpmiService and one RedfishService per gateway, behind the PowerService that picks per server.
  const power = new PowerService({ ipmi: new IpmiService({ logger: log.child({ component: 'ipmi' }) }), redfish: new RedfishService({ logger: log.child({ component: 'redfish' }) }) });
  const audit = new ApiAudit(ctx);
  await app.register(async (scope) => ipmiRoutes(scope, ctx, { service: power.ipmi, audit }));
  await app.register(async (scope) => powerRoutes(scope, ctx, { power, audit }));
  // After the SOL consoles (ipmiRoutes' close): Close Session on IPMI BMCs, DELETE of Redfish sessions.
  ctx.onClose.push(() => power.close());
  await app.register(async (scope) => recordingRoutes(scope, ctx));
  await app.register(async (scope) => dispatchRoutes(scope, ctx));
  if (opts.demo) {
    // Demo only: each visit mints a fresh one-time URL for the built-in console.
    app.get('/demo', async (_req, reply) => {
      const res = await consoles.open({ kind: 'token', name: 'demo', mayOpen: (id) => id === 'demo' }, { serverId: 'demo', viewOnly: false });
      return reply.redirect(res.url.slice(config.publicUrl.length), 303);
    });
  }

  return {
    app,
    ctx,
    registry,
    tickets,
    config,
    async close() {
      registry.closeAll('the gateway is shutting down');
      for (const c of ctx.onClose) await c();
      await java?.close(); // every sandbox is removed before the process goes
      // After every kind of session (consoles, SOL) has ended: give their close URL calls up to 3 s.
      await registry.closeNotifier.drain(3000);
      tickets.close();
      await app.close();
    },
  };
}
