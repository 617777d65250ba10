import { writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { startDemoServer, type DemoServer } from '../../../src/sources/demo/demo-server.js';
import { RabbitVhost, requireRabbit } from '../../helpers/amqp.js';
import { bundleGatewayProcess, spawnGatewayProcess, type GatewayProcess } from '../../helpers/amqp-gateways.js';
import { restCall, untilAgents } from '../../helpers/gateway-calls.js';
import { WsRfbClient } from '../../helpers/ws-rfb-client.js';

const TOKEN = 'panel-token-workers-agent';
const OPERATOR = 'operator-token-workers-agent';
const KEYS = { keys: [{ id: 'k1', secret: 'workers-agent-secret-0123456789-abcdef' }] };
type Json = Record<string, any>;

/**
 * A dispatch agent whose sessions live in worker processes (`workers: 2`), behind a front, through
 * the machine's RabbitMQ: consoles opened through the front (eq.php and REST) land in the agent's
 * workers, viewers connect to the agent, and the front lists, reads and ends them.
 */
describe('dispatch: an agent with workers', () => {
  let vhost: RabbitVhost;
  let demos: DemoServer[];
  let tmp: string;
  let bundle: string;
  let front: GatewayProcess;
  let agent: GatewayProcess;
  const viewers: WsRfbClient[] = [];

  beforeAll(async () => {
    await requireRabbit();
    vhost = await RabbitVhost.create('bmcgw-workers-agent');
    [bundle, tmp, ...demos] = await Promise.all<[Promise<string>, Promise<string>, Promise<DemoServer>, Promise<DemoServer>]>([
      bundleGatewayProcess(),
      mkdtemp(join(tmpdir(), 'bmcgw-wa-')),
      startDemoServer({ host: '127.0.0.1', port: 0 }),
      startDemoServer({ host: '127.0.0.1', port: 0 }),
    ]);
    const journal = join(tmp, 'journal');
    writeFileSync(journal, '');
    const base = {
      tokens: [{ token: TOKEN, name: 'panel', servers: ['*'] }],
      operators: [{ token: OPERATOR, name: 'ops' }],
      servers: demos.map((d, i) => ({ id: `us-${i + 1}`, location: 'US', console: { type: 'vnc', host: d.host, port: d.port, password: d.password } })),
    };
    const dispatch = (extra: Record<string, unknown>) => ({
      amqp: vhost.url,
      exchange: 'bmcgw-wa',
      requestTimeout: '10s',
      announceInterval: '300ms',
      ...KEYS,
      ...extra,
    });
    [front, agent] = await Promise.all([
      spawnGatewayProcess(bundle, 'front', { ...base, dispatch: dispatch({ role: 'front' }) }, journal),
      spawnGatewayProcess(bundle, 'us-a', { ...base, workers: 2, dispatch: dispatch({ role: 'agent', location: 'US', agentId: 'us-a' }) }, journal),
    ]);
    await untilAgents(front, OPERATOR, 1);
  }, 90_000);

  afterAll(async () => {
    for (const v of viewers) v.close();
    await Promise.all([front?.stop(), agent?.stop()]);
    await Promise.all([
      ...(demos ?? []).map((d) => d.close()),
      vhost?.delete(),
      tmp && rm(tmp, { recursive: true, force: true }),
      bundle && rm(bundle, { force: true }),
    ]);
  }, 30_000);

  it("opens consoles in the agent's workers, lists, reads and ends them through the front", async () => {
    let step = 'start';
    const t0 = Date.now();
    const mark = (s: string) => {
      step = `${s} (${Date.now() - t0} ms)`;
    };
    onTestFailed(() => {
      const vs = viewers.map((v) => `readyState ${v.ws.readyState} bytes ${v.bytes} updates ${v.updates} close ${v.closeCode}`).join('; ');
      console.log(`failed at: ${step}; viewers: ${vs}\n--- front:\n${front.proc.output()}\n--- agent:\n${agent.proc.output()}`);
    });
    mark('eq.php');
    const a = await fetch(`${front.url}/eq.php`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ action: 'novnc', token: TOKEN, id: 'us-1' }).toString(),
    });
    const eq = (await a.json()) as Json;
    expect(eq.result, JSON.stringify(eq)).toBe('OK');
    expect(eq.scope.startsWith(`${agent.url}/console/`)).toBe(true);
    mark('POST /api/v1/sessions');
    const b = await restCall(front, 'POST', '/api/v1/sessions', TOKEN, { serverId: 'us-2' });
    expect([200, 201], JSON.stringify(b.body)).toContain(b.status);
    for (const scope of [eq.scope as string, b.body.url as string]) {
      const v = new WsRfbClient(scope.replace(/^http/, 'ws').replace('/console/', '/ws/'));
      viewers.push(v);
      mark(`viewer ${viewers.length} ready`);
      await v.ready();
      mark(`viewer ${viewers.length} first update`);
      await v.waitFor(() => v.updates > 0, 15_000);
    }
    // one session in each of the agent's two worker processes
    mark('agent healthz');
    const health = (await (await fetch(`${agent.url}/healthz`)).json()) as Json;
    expect(health.sessions).toBe(2);
    expect(health.workers.map((w: Json) => w.sessions)).toEqual([1, 1]);
    expect(health.workers.map((w: Json) => w.pid)).not.toContain(agent.pid);

    mark('list');
    const list = await restCall(front, 'GET', '/api/v1/sessions', TOKEN);
    expect(list.body.sessions.map((s: Json) => s.serverId).sort()).toEqual(['us-1', 'us-2']);
    const got = await restCall(front, 'GET', `/api/v1/sessions/${encodeURIComponent(b.body.id)}`, TOKEN);
    expect(got.body).toMatchObject({ serverId: 'us-2', state: 'connected' });
    mark('DELETE');
    const del = await restCall(front, 'DELETE', `/api/v1/sessions/${encodeURIComponent(b.body.id)}`, TOKEN);
    expect(del.status).toBe(204);
    mark('viewer 2 closed');
    await viewers[1]!.closed();
    mark('agent sessions 1');
    await expect.poll(async () => ((await (await fetch(`${agent.url}/healthz`)).json()) as Json).sessions, { timeout: 10_000 }).toBe(1);
    mark('agent load 1');
    // the agent's announced load counts its workers' sessions
    await expect.poll(async () => (await restCall(front, 'GET', '/api/v1/agents', OPERATOR)).body.agents[0].load, { timeout: 10_000 }).toBe(1);
  }, 60_000);
});
