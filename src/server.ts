import { applyReloadable, endForConfigChange, FIXED_AT_START } from './config/reload.js';
import { auditGatewayEnds } from './audit/audit-trail.js';
import fastifySwagger from '@fastify/swagger';
import fastifyWebsocket from '@fastify/websocket';
import Fastify, { type FastifyInstance } from 'fastify';
import { Authenticator } from './api/auth.js';
import { ConsoleService } from './api/console-service.js';
import { dashboardRoutes } from './api/dashboard-routes.js';
import { ApiAudit } from './api/api-audit.js';
import type { AgentsAnswer } from './api/api-types.js';
import { fleetRoutes } from './api/fleet/fleet-routes.js';
import { FleetMonitor } from './api/fleet/fleet-monitor.js';
import { ipmiRoutes } from './api/ipmi-routes.js';
import { solView } from './api/sol-routes.js';
import type { SolSessionRegistry } from './sol/sol-registry.js';
import { powerRoutes } from './api/power-routes.js';
import { IpmiService } from './ipmi/ipmi-service.js';
import { PowerService } from './power/power-service.js';
import { RedfishService } from './redfish/redfish-service.js';
import { dispatchRoutes } from './dispatch/dispatch-routes.js';
import { InProcessDispatcher } from './dispatch/in-process-dispatcher.js';
import { runLocally } from './dispatch/local-calls.js';
import { WorkerPool } from './workers/worker-pool.js';
import { eqPhpRoutes } from './api/eq-php.js';
import { restV1Routes } from './api/rest-v1.js';
import { viewerRoutes } from './api/viewer-routes.js';
import { webAssetRoutes } from './api/web-assets.js';
import { attachRouteSchemas } from './api/route-schemas.js';
import { ListenerClose } from './api/listener-close.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from './paths.js';

const GATEWAY_VERSION = (JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
import { recordingRoutes } from './recording/recording-routes.js';
import type { GatewayConfig } from './config/types.js';
import { loadConfigFile } from './config/load.js';
import { ConfigError } from './config/reader.js';
import type { GatewayContext } from './context.js';
import { toPublicError } from './errors.js';
import { redactUrl, type Logger } from './log.js';
import { Metrics } from './metrics/metrics.js';
import { SessionRegistry } from './session/registry.js';
import { TicketStore } from './session/tickets.js';
import { AuditTrail } from './audit/audit-trail.js';
import { PageHeaders } from './api/embedding.js';
import { loadTls, type TlsMaterial } from './net/tls.js';
import { startCrashJournal } from './session/crash-journal.js';
import type { Resolver } from './session/close-url-policy.js';
import { defaultJavaConfig, JavaViewers, needsJava } from './sources/jnlp/java-viewers.js';

export interface Gateway {
  app: FastifyInstance;
  ctx: GatewayContext;
  registry: SessionRegistry;
  tickets: TicketStore;
  config: GatewayConfig;
  /** The certificate served (with `tls:`), undefined for plain HTTP. */
  readonly tls: (TlsMaterial & { created: boolean }) | undefined;
  /**
   * SIGHUP: reads the configuration file again (reloadConfig), then the certificate and key, served to
   * new connections (open ones, and the sessions behind them, are untouched); starts a fresh audit file
   * after log rotation. A bad certificate is reported and the old one kept.
   */
  reload(): Promise<{ tls?: TlsMaterial; error?: string; config?: ConfigReload }>;
  /**
   * Applies a new configuration's servers, tokens and operators without dropping sessions: sessions
   * (console and serial) of servers that were removed or whose entry changed end with the code
   * `config-changed`; the others stay. Other keys need a restart: their changes are listed in
   * `needRestart` and the running values kept.
   */
  applyConfig(next: GatewayConfig): ConfigReload;
  close(): Promise<void>;
}

/** What a configuration reload did (logged as event `config-reloaded`, or `config-reload-refused`). */
export interface ConfigReload {
  added: string[];
  removed: string[];
  changed: string[];
  /** Sessions ended because their server was removed or changed (console and serial). */
  ended: number;
  needRestart: string[];
  /** The file did not validate: nothing was changed; the problems. */
  refused?: string[];
}

/** Names the self-signed certificate is made for: publicUrl's host, the listen address, loopback. */
function certificateNames(config: GatewayConfig): string[] {
  const names = [new URL(config.publicUrl).hostname.replace(/^\[|\]$/g, ''), 'localhost', '127.0.0.1', '::1'];
  if (config.listen.host !== '0.0.0.0' && config.listen.host !== '::') names.push(config.listen.host);
  return names;
}

/** How long shutdown waits for the listener's connections to end by themselves (src/api/listener-close.ts). */
const LISTENER_GRACE_MS = 5000;

/** The composition root, without listen(): tests use inject / a port of their choosing. */
export async function buildGateway(config: GatewayConfig, log: Logger, opts: { demo?: boolean; resolve?: Resolver } = {}): Promise<Gateway> {
  let tls = config.tls ? loadTls(config.tls, { stateDir: config.stateDir, names: certificateNames(config) }) : undefined;
  const app = Fastify({
    loggerInstance: log,
    bodyLimit: 64 * 1024,
    // Only the listed proxies' X-Forwarded-For is believed (the rate limits and the audit trail key on req.ip).
    trustProxy: config.trustProxy.length > 0 ? [...config.trustProxy] : false,
    ...(tls ? { https: { cert: tls.cert, key: tls.key } } : {}),
    // Request schemas (src/api/route-schemas.ts) validate as written: no coercion ("true" is not true),
    // no silent removal of fields, every problem named.
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: true, allowUnionTypes: true } },
  }) as unknown as FastifyInstance;

  // Every route gets its schema from src/api/route-schemas.ts as it is registered; GET /openapi.json
  // is generated from them. Answers are still written by JSON.stringify: the response schemas
  // document, they never drop or coerce a field (fast-json-stringify would).
  attachRouteSchemas(app);
  const listener = new ListenerClose(app);
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'bmc-gateway',
        version: GATEWAY_VERSION,
        description: 'BMC consoles (KVM), power, boot device, serial console and recordings. Errors: docs/errors.md.',
      },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', description: 'an API token (tokens[]) or an operator token (operators[]); X-Pin when the token has a PIN' },
        },
      },
    },
    // @fastify/websocket hides its routes; ours are part of the API (the upgrade GETs, docs/api.md).
    transform: ({ schema, url, route }) => ({ schema: (route as { websocket?: boolean }).websocket ? { ...schema, hide: false } : schema, url }),
  });

  // Form bodies (eq.php): parsed with URLSearchParams; repeated fields keep the last value.
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)));
  });

  app.setErrorHandler((err, req, reply) => {
    const e = toPublicError(err);
    if (e.status >= 500 && e.code === 'GW_ERR_INTERNAL') req.log.error({ err }, 'request failed');
    if (e.headers) reply.headers(e.headers);
    void reply.code(e.status).send({ error: { code: e.code, message: e.message } });
  });
  app.setNotFoundHandler((req, reply) => {
    void reply.code(404).send({ error: { code: 'GW_ERR_NOT_FOUND', message: `no route ${req.method} ${redactUrl(req.url)}` } });
  });

  await app.register(fastifyWebsocket, { options: { maxPayload: 4 * 1024 * 1024, perMessageDeflate: false } });

  const metrics = new Metrics();
  const audit = new AuditTrail({ file: config.audit.file, log });
  // Java viewers only when some console needs them; at start they clear what a crashed run left.
  const java = needsJava(config) ? new JavaViewers(config.java ?? defaultJavaConfig(), config.listen, log) : undefined;
  await java?.start();
  const registry = new SessionRegistry(config, log, metrics, { java, ...(opts.resolve ? { resolve: opts.resolve } : {}) });
  const tickets = new TicketStore(config.sessions.urlTtlMs);
  const auth = new Authenticator(config, { metrics, audit });
  const consoles = new ConsoleService({ config, registry, tickets, log, metrics, audit });
  const pages = new PageHeaders(config.web);
  const ctx: GatewayContext = {
    config,
    log,
    metrics,
    registry,
    tickets,
    auth,
    consoles,
    audit,
    pages,
    eqActions: new Map(),
    onClose: [],
    dispatch: undefined as never,
  };
  ctx.dispatch = new InProcessDispatcher(ctx);
  const journal = config.stateDir ? startCrashJournal(ctx, config.stateDir) : undefined;
  if (config.workers.count > 0) {
    // Console sessions live in worker processes (src/workers/); this process is the front.
    ctx.workers = new WorkerPool(ctx, journal);
    await ctx.workers.start(config.workers.count);
  }
  auditGatewayEnds(registry, audit);

  app.get('/openapi.json', async () => app.swagger());
  app.get('/healthz', async () => ({
    status: 'ok',
    sessions: registry.total(),
    ...(ctx.workers ? { workers: ctx.workers.info().map((w) => ({ pid: w.pid ?? null, ready: w.ready, sessions: w.sessions })) } : {}),
  }));
  app.get('/metrics', async (_req, reply) => {
    reply.type(metrics.registry.contentType);
    if (ctx.workers) return (await ctx.workers.metrics(await metrics.registry.getMetricsAsJSON())).metrics();
    return metrics.registry.metrics();
  });
  eqPhpRoutes(app, ctx);
  restV1Routes(app, ctx);
  await app.register(async (scope) => webAssetRoutes(scope));
  await app.register(async (scope) => viewerRoutes(scope, ctx));
  await app.register(async (scope) => dashboardRoutes(scope, ctx));
  // One IpmiService and one RedfishService per gateway, behind the PowerService that picks per server.
  const power = new PowerService({
    ipmi: new IpmiService({ logger: log.child({ component: 'ipmi' }) }),
    redfish: new RedfishService({ logger: log.child({ component: 'redfish' }) }),
  });
  // BMC actions (IPMI and Redfish) record into the audit trail through one ApiAudit.
  const apiAudit = new ApiAudit(ctx);
  let sols: SolSessionRegistry | undefined;
  await app.register(async (scope) => {
    sols = await ipmiRoutes(scope, ctx, { service: power.ipmi, audit: apiAudit });
  });
  await app.register(async (scope) => powerRoutes(scope, ctx, { power, audit: apiAudit }));
  // After the SOL consoles (ipmiRoutes' close): Close Session on IPMI BMCs, DELETE of Redfish sessions.
  ctx.onClose.push(() => power.close());
  await app.register(async (scope) => recordingRoutes(scope, ctx));
  let agents: (() => AgentsAnswer) | undefined;
  await app.register(async (scope) => {
    agents = await dispatchRoutes(scope, ctx);
  });
  // The operators' dashboard feed; it sees every API call through the final Dispatcher (set by dispatchRoutes).
  const fleet = new FleetMonitor(ctx, { solSessions: () => sols?.list().map(solView) ?? [], agents: () => agents!() });
  ctx.dispatch = fleet.observe(ctx.dispatch);
  ctx.onClose.unshift(() => fleet.close());
  await app.register(async (scope) => fleetRoutes(scope, ctx, fleet));
  if (opts.demo) {
    // Demo only: each visit mints a fresh one-time URL for the built-in console.
    app.get('/demo', async (_req, reply) => {
      const res = await runLocally(
        ctx,
        { kind: 'token', name: 'demo', mayOpen: (id) => id === 'demo' },
        { type: 'open', serverId: 'demo', viewOnly: false, closeUrl: undefined },
      );
      return reply.redirect((res.url as string).slice(config.publicUrl.length), 303);
    });
  }

  const gateway: Gateway = {
    app,
    ctx,
    registry,
    tickets,
    config,
    get tls() {
      return tls;
    },
    applyConfig(next: GatewayConfig): ConfigReload {
      const before = new Map(config.servers.map((sv) => [sv.id, JSON.stringify(sv)]));
      const after = new Map(next.servers.map((sv) => [sv.id, JSON.stringify(sv)]));
      const added = [...after.keys()].filter((id) => !before.has(id));
      const removed = [...before.keys()].filter((id) => !after.has(id));
      const changed = [...after.keys()].filter((id) => before.has(id) && before.get(id) !== after.get(id));
      const needRestart = FIXED_AT_START.filter((k) => JSON.stringify(config[k]) !== JSON.stringify(next[k]));
      applyReloadable(config, next);
      let ended = endForConfigChange(registry.list(), removed, changed) + endForConfigChange(sols?.list() ?? [], removed, changed);
      if (ctx.workers) ended += ctx.workers.reload(next, removed, changed);
      fleet.configChanged();
      if (!java && needsJava(next) && !needRestart.includes('java')) needRestart.push('java'); // no Java viewers were set up at start
      return { added, removed, changed, ended, needRestart: [...needRestart] };
    },
    async reload() {
      let configResult: ConfigReload | undefined;
      if (config.source) {
        try {
          // --listen given at start stays: the listener is not reopened.
          const listen = `${config.listen.host.includes(':') ? `[${config.listen.host}]` : config.listen.host}:${config.listen.port}`;
          const next = loadConfigFile(config.source, { listen });
          const applied = gateway.applyConfig(next);
          configResult = applied;
          log.info(
            { event: 'config-reloaded', config: config.source, ...configResult },
            `configuration reloaded: ${applied.added.length} servers added, ${applied.removed.length} removed, ${applied.changed.length} changed, ${applied.ended} sessions ended`,
          );
          if (applied.needRestart.length > 0) {
            log.warn(
              { event: 'config-needs-restart', keys: applied.needRestart },
              `changed keys that only a restart applies (running values kept): ${applied.needRestart.join(', ')}`,
            );
          }
        } catch (err) {
          const problems = err instanceof ConfigError ? [...err.problems] : [(err as Error).message];
          configResult = { added: [], removed: [], changed: [], ended: 0, needRestart: [], refused: problems };
          log.error(
            { event: 'config-reload-refused', config: config.source, problems },
            `configuration not reloaded, the running one is kept: ${problems.join('; ')}`,
          );
        }
      }
      await audit.reopen();
      if (!config.tls) return configResult ? { config: configResult } : {};
      try {
        const next = loadTls(config.tls, { stateDir: config.stateDir, names: certificateNames(config) });
        (app.server as import('node:https').Server).setSecureContext({ cert: next.cert, key: next.key });
        tls = next;
        log.info({ event: 'tls-reloaded', certificate: next.source, fingerprint: next.fingerprint }, 'TLS certificate reloaded');
        return { tls: next, ...(configResult ? { config: configResult } : {}) };
      } catch (err) {
        log.error({ event: 'tls-reload-failed', err: (err as Error).message }, 'TLS certificate not reloaded; serving the previous one');
        return { error: (err as Error).message, ...(configResult ? { config: configResult } : {}) };
      }
    },
    async close() {
      listener.begin();
      registry.closeAll('the gateway is shutting down');
      // Each worker ends its sessions and calls their close URLs (up to 3 s) before it exits.
      await ctx.workers?.close('the gateway is shutting down');
      for (const c of ctx.onClose) await c();
      await java?.close(); // every sandbox is removed before the process goes
      // After every kind of session (consoles, SOL) has ended: give their close URL calls up to 3 s.
      await registry.closeNotifier.drain(3000);
      journal?.close();
      tickets.close();
      await listener.close(log, LISTENER_GRACE_MS);
      await audit.close();
    },
  };
  return gateway;
}
