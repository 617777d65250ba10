import { writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemoServer, type DemoServer } from '../../../src/sources/demo/demo-server.js';
import { RabbitVhost, rabbitStartApp, rabbitStopApp, requireRabbit } from '../../helpers/amqp.js';
import { bundleGatewayProcess, spawnGatewayProcess, type GatewayProcess } from '../../helpers/amqp-gateways.js';
import { eqPhp as eq, until, untilAgents } from '../../helpers/gateway-calls.js';
import { WsRfbClient } from '../../helpers/ws-rfb-client.js';

const TOKEN = 'panel-token-broker-restart';
const OPERATOR = 'operator-token-broker-restart';
const KEYS = { keys: [{ id: 'k1', secret: 'broker-restart-secret-0123456789-abcdef' }] };
/**
 * The machine's RabbitMQ is stopped (`rabbitmqctl stop_app`: every connection drops, non-durable
 * queues go) and started again, under a front and two agents in two locations, each its own OS
 * process: nobody restarts the gateways. Stopping the broker cuts every other test using it, so this
 * file (`*.alone.test.ts`) runs in vitest's last project group, after every other file has finished
 * (vitest.config.ts); it once ran inside dispatch.test.ts and failed the files running beside it.
 */
describe('dispatch: a broker restart under a front and its agents', () => {
  let vhost: RabbitVhost;
  let demos: DemoServer[];
  let tmp: string;
  let bundle: string;
  let front: GatewayProcess;
  let agents: GatewayProcess[] = [];
  let brokerStopped = false;

  beforeAll(async () => {
    await requireRabbit();
    vhost = await RabbitVhost.create('bmcgw-broker-restart');
    [bundle, tmp, ...demos] = await Promise.all<[Promise<string>, Promise<string>, Promise<DemoServer>, Promise<DemoServer>]>([
      bundleGatewayProcess(),
      mkdtemp(join(tmpdir(), 'bmcgw-br-')),
      startDemoServer({ host: '127.0.0.1', port: 0 }),
      startDemoServer({ host: '127.0.0.1', port: 0 }),
    ]);
    const journal = join(tmp, 'journal');
    writeFileSync(journal, '');
    const [nl, us] = demos as [DemoServer, DemoServer];
    const base = {
      tokens: [{ token: TOKEN, name: 'panel', servers: ['*'] }],
      operators: [{ token: OPERATOR, name: 'ops' }],
      servers: [
        { id: 'nl-1', location: 'NL', console: { type: 'vnc', host: nl.host, port: nl.port, password: nl.password } },
        { id: 'us-1', location: 'US', console: { type: 'vnc', host: us.host, port: us.port, password: us.password } },
        // No location: the front opens it itself.
        { id: 'local-1', console: { type: 'vnc', host: us.host, port: us.port, password: us.password } },
      ],
    };
    const dispatch = (extra: Record<string, unknown>) => ({
      amqp: vhost.url,
      exchange: 'bmcgw-br',
      requestTimeout: '5s',
      announceInterval: '300ms',
      ...KEYS,
      ...extra,
    });
    const started = await Promise.all([
      spawnGatewayProcess(bundle, 'front', { ...base, dispatch: dispatch({ role: 'front' }) }, journal),
      spawnGatewayProcess(bundle, 'nl-a', { ...base, dispatch: dispatch({ role: 'agent', location: 'NL', agentId: 'nl-a' }) }, journal),
      spawnGatewayProcess(bundle, 'us-a', { ...base, dispatch: dispatch({ role: 'agent', location: 'US', agentId: 'us-a' }) }, journal),
    ]);
    [front, ...agents] = started;
    await untilAgents(front, OPERATOR, 2);
  }, 90_000);

  afterAll(async () => {
    if (brokerStopped) await rabbitStartApp().catch(() => undefined);
    await Promise.all([front?.stop(), ...agents.map((a) => a.stop())]);
    await Promise.all([
      ...(demos ?? []).map((d) => d.close()),
      vhost?.delete(),
      tmp && rm(tmp, { recursive: true, force: true }),
      bundle && rm(bundle, { force: true }),
    ]);
  }, 60_000);

  it('survives a broker restart on both sides without restarting the gateways', async () => {
    // Both locations open before the outage.
    for (const id of ['us-1', 'nl-1']) expect((await eq(front, { action: 'novnc', token: TOKEN, id })).status).toBe(200);

    await rabbitStopApp();
    brokerStopped = true;
    const down = await until(
      'the front to notice the broker is gone',
      async () => {
        const r = await eq(front, { action: 'novnc', token: TOKEN, id: 'us-1' });
        return r.status === 503 ? r : undefined;
      },
      10_000,
    );
    expect(down.body.error.code).toBe('GW_ERR_DISPATCH_UNAVAILABLE');
    // What the front serves itself keeps working.
    const local = await eq(front, { action: 'novnc', token: TOKEN, id: 'local-1' });
    expect(local.status, JSON.stringify(local.body)).toBe(200);
    expect(local.body.scope.startsWith(`${front.url}/console/`)).toBe(true);

    await rabbitStartApp();
    brokerStopped = false;
    for (const [id, agent] of [
      ['us-1', agents[1]!],
      ['nl-1', agents[0]!],
    ] as const) {
      const ok = await until(
        `${id} to open again through the broker`,
        async () => {
          const r = await eq(front, { action: 'novnc', token: TOKEN, id });
          return r.status === 200 ? r : undefined;
        },
        30_000,
        500,
      );
      expect(ok.body.scope.startsWith(`${agent.url}/console/`)).toBe(true);
      const u = new URL(ok.body.scope);
      const viewer = new WsRfbClient(`ws://${u.host}/ws/${u.pathname.split('/').pop()!}`);
      await viewer.ready();
      await viewer.waitFor(() => viewer.updates > 0, 15_000);
      viewer.close();
    }
  }, 90_000);
});
