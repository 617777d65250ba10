import { loadConfigFile, parseListen, validate } from './config/load.js';
import { ConfigReader } from './config/reader.js';
import type { GatewayConfig } from './config/types.js';
import { createLogger, type Logger } from './log.js';
import { buildGateway, type Gateway } from './server.js';
import { DEMO_TOKEN, startDemo, type Demo } from './demo/demo.js';
import { enableTimerCount } from './metrics/diagnostics.js';

export { DEMO_TOKEN };

export interface RunningGateway extends Gateway {
  log: Logger;
  url: string;
}

/**
 * Starts the gateway as `bmc-gateway serve` does. Without a config file it runs the demo
 * (src/demo/): our own RFB server and a simulated IPMI BMC on loopback ports, listed as server
 * "demo" (console recorded, power, boot device, serial console), reachable through a fixed demo
 * token, a fresh operator token for the dashboard, and a /demo link that mints a fresh one-time
 * console URL each time it is opened.
 */
export async function startGateway(opts: { configPath?: string | undefined; listen?: string | undefined; log?: Logger }): Promise<RunningGateway> {
  let config: GatewayConfig;
  let demo: Demo | undefined;
  if (opts.configPath) {
    config = loadConfigFile(opts.configPath, { listen: opts.listen });
  } else {
    const listen = opts.listen ?? '127.0.0.1:8080';
    demo = await startDemo({ listen });
    const r = new ConfigReader();
    const cfg = validate(r, demo.raw, undefined);
    if (!cfg) {
      await demo.close();
      throw new Error(`assert: the built-in demo config is invalid: ${r.problems.join('; ')}`);
    }
    config = cfg;
    if (!parseListen(listen)) throw new Error(`--listen must be host:port`);
  }
  const log = opts.log ?? createLogger(config.log.level);
  let gw: Awaited<ReturnType<typeof buildGateway>>;
  try {
    gw = await buildGateway(config, log, { demo: demo !== undefined });
    if (process.env.BMCGW_DIAGNOSTICS === '1') enableTimerCount(gw.ctx.metrics);
    await gw.app.listen({ host: config.listen.host, port: config.listen.port });
  } catch (err) {
    await demo?.close(); // e.g. the port is taken: the demo's peers and temporary directory go too
    throw err;
  }
  const addr = gw.app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : config.listen.port;
  const url = config.publicUrl.replace(/:\d+$/, `:${port}`);
  log.info({ event: 'listening', url, servers: config.servers.length, config: config.source ?? 'built-in demo' }, 'bmc-gateway listening');
  if (gw.tls) {
    log.info({ event: 'tls', certificate: gw.tls.source, fingerprint: gw.tls.fingerprint, created: gw.tls.created }, 'serving HTTPS');
    // On stdout too: whoever starts a self-signed gateway compares this with what the browser shows.
    process.stdout.write(
      `bmc-gateway TLS certificate ${gw.tls.created ? 'created' : 'loaded'}: ${gw.tls.source}\n  SHA-256 fingerprint ${gw.tls.fingerprint}\n`,
    );
  }
  if (opts.configPath && !config.stateDir) {
    log.warn({ event: 'no-state-dir' }, 'stateDir is not set: no crash journal, so sessions open when the gateway is killed never get their close URL called');
  }
  if (demo) {
    // The dashboard line is one line on purpose: what to open and the token to sign in with, together.
    process.stdout.write(
      `\n  bmc-gateway demo dashboard: ${url}/dashboard  operator token: ${demo.operatorToken}\n` +
        `  demo console: open ${url}/demo in a browser\n` +
        `  or ask the API:  curl -s ${url}/eq.php -X POST --data action=novnc --data token=${DEMO_TOKEN} --data id=demo\n` +
        (demo.recordingOff ? `  demo recording: ${demo.recordingOff}\n` : '') +
        '\n',
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
