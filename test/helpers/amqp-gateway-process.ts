/**
 * A gateway process for the dispatch tests: what `bmc-gateway serve --config FILE` runs, plus two
 * eq.php actions that exist only here, so a test can see where and how often an action ran:
 * - `test_power id=… op=…` appends "<pid> power <id> <op>" to the journal file (a stand-in for a
 *   power action, which must not run twice);
 * - `test_slow id=… ms=…` appends "<pid> slow <id>" and answers after `ms`, so a test can kill the
 *   agent while it holds the request.
 * Bundled by test/helpers/amqp-gateways.ts (rolldown) and run as a separate OS process, so SIGKILL
 * is real. Usage: node entry.mjs CONFIG JOURNAL
 */
import { appendFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfigFile } from '../../src/config/load.js';
import { GatewayError } from '../../src/errors.js';
import { createLogger } from '../../src/log.js';
import { buildGateway } from '../../src/server.js';

const [configPath, journal] = process.argv.slice(2);
if (!configPath || !journal) throw new Error('usage: amqp-gateway-process CONFIG JOURNAL');
const config = loadConfigFile(configPath);
const gw = await buildGateway(config, createLogger(config.log.level));
gw.ctx.eqActions.set('test_power', async (p, f) => {
  const id = f.require('id');
  if (!p.mayOpen(id)) throw new GatewayError('GW_ERR_FORBIDDEN_SERVER', `this token may not use server "${id}"`);
  appendFileSync(journal, `${process.pid} power ${id} ${f.get('op') ?? ''}\n`);
  return { pid: process.pid, op: f.get('op') ?? null };
});
gw.ctx.eqActions.set('test_slow', async (p, f) => {
  const id = f.require('id');
  if (!p.mayOpen(id)) throw new GatewayError('GW_ERR_FORBIDDEN_SERVER', `this token may not use server "${id}"`);
  appendFileSync(journal, `${process.pid} slow ${id}\n`);
  await sleep(Math.min(Number(f.get('ms') ?? '1000'), 30_000));
  return { pid: process.pid };
});
await gw.app.listen({ host: config.listen.host, port: config.listen.port });
process.stderr.write(`READY ${process.pid}\n`);
const stop = () => {
  gw.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
