import { loadConfigFile, parseListen, validate } from './config/load.js';
import { ConfigReader } from './config/reader.js';
import type { GatewayConfig } from './config/types.js';
import { createLogger, type Logger } from './log.js';
import { buildGateway, type Gateway } from './server.js';
import { startDemoServer } from './sources/demo/demo-server.js';
import { enableTimerCount } from './metrics/diagnostics.js';

export const DEMO_TOKEN = 'demo-token';

export interface RunningGateway extends Gateway {
  log: Logger;
  url: string;
}

/**
 * Starts the gateway as `bmc-gateway serve` does. Without a config file it runs the demo: our own
 * RFB server on a loopback port, listed as server "demo", reachable through a fixed demo token and
 * a /demo link that mints a fresh one-time console URL each time it is opened.
 */
export async function startGateway(opts: { configPath?: string | undefined; listen?: string | undefined; log?: Logger }): Promise<RunningGateway> {
  let config: GatewayConfig;
  let demo: Awaited<ReturnType<typeof startDemoServer>> | undefined;
  if (opts.configPath) {
    config = loadConfigFile(opts.configPath, { listen: opts.listen });
  } else {
    demo = await startDemoServer({ host: '127.0.0.1', port: 0 });
    const r = new ConfigReader();
    const listen = opts.listen ?? '127.0.0.1:8080';
    const cfg = validate(
      r,
      {
        listen,
        tokens: [{ token: DEMO_TOKEN, name: 'demo', servers: ['demo'] }],
        servers: [{ id: 'demo', name: 'Demo console', location: 'LOCAL', console: { type: 'vnc', host: demo.host, port: demo.port, password: demo.password } }],
      },
      undefined,
    );
    if (!cfg) throw new Error(`assert: the built-in demo config is invalid: ${r.problems.join('; ')}`);
    config = cfg;
    if (!parseListen(listen)) throw new Error(`--listen must be host:port`);
  }
  const log = opts.log ?? createLogger(config.log.level);
  const gw = await buildGateway(config, log, { demo: demo !== undefined });
  if (process.env.BMCGW_DIAGNOSTICS === '1') enableTimerCount(gw.ctx.metrics);
  await gw.app.listen({ host: config.listen.host, port: config.listen.port });
  const addr = gw.app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : config.listen.port;
  const url = config.publicUrl.replace(/:\d+$/, `:${port}`);
  log.info({ event: 'listening', url, servers: config.servers.length, config: config.source ?? 'built-in demo' }, 'bmc-gateway listening');
  if (gw.tls) {
    log.info({ event: 'tls', certificate: gw.tls.source, fingerprint: gw.tls.fingerprint, created: gw.tls.created }, 'serving HTTPS');
    // On stdout too: whoever starts a self-signed gateway compares this with what the browser shows.
    process.stdout.write(`bmc-gateway TLS certificate ${gw.tls.created ? 'created' : 'loaded'}: ${gw.tls.source}\n  SHA-256 fingerprint ${gw.tls.fingerprint}\n`);
  }
  if (opts.configPath && !config.stateDir) {
    log.warn({ event: 'no-state-dir' }, 'stateDir is not set: no crash journal, so sessions open when the gateway is killed never get their close URL called');
  }
  if (demo) {
    process.stdout.write(
      `\n  bmc-gateway demo console: open ${url}/demo in a browser\n` +
        `  or ask the API:  curl -s ${url}/eq.php -X POST --data action=novnc --data token=${DEMO_TOKEN} --data id=demo\n\n`,
    );
  }
  return {
    ...gw,
    log,
    url,
    async close() {
      await gw.close();
      await demo?.close();
    },
  };
}
