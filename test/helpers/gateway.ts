import { PassThrough } from 'node:stream';
import { validate } from '../../src/config/load.js';
import { ConfigReader } from '../../src/config/reader.js';
import { createLogger } from '../../src/log.js';
import { buildGateway, type Gateway } from '../../src/server.js';
import { freePort } from './ports.js';

export interface TestGateway extends Gateway {
  url: string;
  port: number;
}

/**
 * A real gateway on a free loopback port, built from a config object (the same validation as a
 * config file). Logs go nowhere unless BMCGW_TEST_LOG=1, or to `log.stream` at `log.level` for tests
 * that look into them (see logCollector).
 */
export async function startTestGateway(
  raw: Record<string, unknown>,
  options: { log?: { level: string; stream: NodeJS.WritableStream } } = {},
): Promise<TestGateway> {
  const port = await freePort();
  const r = new ConfigReader();
  // One process unless the test asks for workers: the tests look into the gateway's own registry.
  const cfg = validate(r, { listen: `127.0.0.1:${port}`, publicUrl: `http://127.0.0.1:${port}`, workers: 0, ...raw }, 'test');
  if (!cfg) throw new Error(`test config invalid: ${r.problems.join('; ')}`);
  const log = options.log ? createLogger(options.log.level, options.log.stream) : createLogger(process.env.BMCGW_TEST_LOG ? 'debug' : 'silent');
  const gw = await buildGateway(cfg, log);
  await gw.app.listen({ host: '127.0.0.1', port });
  return { ...gw, url: `http://127.0.0.1:${port}`, port };
}

/** A stream to give startTestGateway's `log`, and everything written to it so far. */
export function logCollector(): { stream: PassThrough; text(): string } {
  const lines: string[] = [];
  const stream = new PassThrough();
  stream.on('data', (d: Buffer) => lines.push(d.toString('utf8')));
  return { stream, text: () => lines.join('') };
}

export const TEST_TOKEN = 'test-token-0123456789';

export { eqPhp } from './gateway-calls.js';
