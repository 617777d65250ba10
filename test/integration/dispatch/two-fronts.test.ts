import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemoServer, type DemoServer } from '../../../src/sources/demo/demo-server.js';
import { RabbitVhost, requireRabbit } from '../../helpers/amqp.js';
import { bundleGatewayProcess, spawnGatewayProcess, type GatewayProcess } from '../../helpers/amqp-gateways.js';
import { eqPhp } from '../../helpers/gateway-calls.js';
import { startTcpBalancer } from '../../helpers/tcp-balancer.js';
import { WsRfbClient } from '../../helpers/ws-rfb-client.js';

const TOKEN = 'panel-token-two-fronts';
const OPERATOR = 'operator-token-two-fronts';
const KEYS = { keys: [{ id: 'k1', secret: 'two-fronts-secret-0123456789-abcdefgh' }] };
/** Location RG's real key, and a rogue agent that verifies with it but signs its answers with a key of its own. */
const RG_KEY = { id: 'rg-1', secret: 'rg-real-secret-0123456789-abcdefghijk' };
const ROGUE_KEY = { id: 'rogue', secret: 'rogue-secret-0123456789-abcdefghijklm' };

type Json = Record<string, any>;

/** A new connection per call (no keep-alive), as a load balancer sees separate panel requests. */
const eq = (url: string, fields: Record<string, string>) => eqPhp({ url }, fields, { connection: 'close' });

async function sessions(url: string): Promise<Json> {
  const res = await fetch(`${url}/api/v1/sessions`, { headers: { authorization: `Bearer ${TOKEN}`, connection: 'close' } });
  return (await res.json()) as Json;
}

/**
 * Two API fronts behind a load balancer serve one panel (issue 15): sessions live on the agents, so
 * either front lists every session; one front killed with SIGKILL, the other keeps answering.
 */
describe('two API fronts behind a load balancer', () => {
  let vhost: RabbitVhost;
  let bmcs: DemoServer[] = [];
  let dir: string;
  let bundle: string;
  const procs: Record<string, GatewayProcess> = {};
  let lb: Awaited<ReturnType<typeof startTcpBalancer>>;

  beforeAll(async () => {
    await requireRabbit();
    vhost = await RabbitVhost.create('bmcgw-fronts');
    [bundle, dir, ...bmcs] = await Promise.all([
      bundleGatewayProcess(),
      mkdtemp(join(tmpdir(), 'bmcgw-fronts-')),
      startDemoServer({ host: '127.0.0.1', port: 0 }),
      startDemoServer({ host: '127.0.0.1', port: 0 }),
    ]);
    const journal = join(dir, 'journal');
    await writeFile(journal, '');
    const base = {
      tokens: [{ token: TOKEN, name: 'panel', servers: ['*'] }],
      operators: [{ token: OPERATOR, name: 'ops' }],
      servers: [
        ...bmcs.map((b, i) => ({
          id: `${i === 0 ? 'nl' : 'us'}-1`,
          location: i === 0 ? 'NL' : 'US',
          console: { type: 'vnc', host: b.host, port: b.port, password: b.password },
        })),
        { id: 'rg-1', location: 'RG', console: { type: 'vnc', host: bmcs[0]!.host, port: bmcs[0]!.port, password: bmcs[0]!.password } },
      ],
    };
    const dispatch = (extra: Record<string, unknown>) => ({
      dispatch: { amqp: vhost.url, exchange: 'bmcgw-2f', requestTimeout: '5s', announceInterval: '300ms', ...KEYS, locationKeys: { RG: [RG_KEY] }, ...extra },
    });
    const started = await Promise.all([
      spawnGatewayProcess(bundle, 'front-a', { ...base, ...dispatch({ role: 'front' }) }, journal),
      spawnGatewayProcess(bundle, 'front-b', { ...base, ...dispatch({ role: 'front' }) }, journal),
      spawnGatewayProcess(bundle, 'nl-a', { ...base, ...dispatch({ role: 'agent', location: 'NL', agentId: 'nl-a' }) }, journal),
      spawnGatewayProcess(bundle, 'us-a', { ...base, ...dispatch({ role: 'agent', location: 'US', agentId: 'us-a' }) }, journal),
      spawnGatewayProcess(
        bundle,
        'rg-rogue',
        { ...base, ...dispatch({ role: 'agent', location: 'RG', agentId: 'rg-rogue', locationKeys: { RG: [ROGUE_KEY, RG_KEY] } }) },
        journal,
      ),
    ]);
    for (const p of started) procs[p.name] = p;
    lb = await startTcpBalancer([new URL(procs['front-a']!.url).port, new URL(procs['front-b']!.url).port].map(Number));
  }, 60_000);

  afterAll(async () => {
    await lb?.close();
    await Promise.all(Object.values(procs).map((p) => p.stop()));
    await Promise.all([
      ...bmcs.map((b) => b.close()),
      vhost?.delete(),
      dir && rm(dir, { recursive: true, force: true }),
      bundle && rm(bundle, { force: true }),
    ]);
  }, 30_000);

  it('either front opens and lists; with one front killed, the other answers and lists every session', async () => {
    // Both fronts have heard both agents (announcements) before the panel starts.
    for (const f of ['front-a', 'front-b']) {
      const agents = async () =>
        ((await (await fetch(`${procs[f]!.url}/api/v1/agents`, { headers: { authorization: `Bearer ${OPERATOR}` } })).json()) as Json).agents?.length;
      // The rogue agent's announcements are signed with its own key: the fronts never list it.
      await expect.poll(agents, { timeout: 10_000 }).toBe(2);
    }
    const opened: Json[] = [];
    for (const id of ['nl-1', 'us-1', 'nl-1', 'us-1']) {
      const r = await eq(lb.url, { action: 'novnc', token: TOKEN, id });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      opened.push(r.body);
    }
    // The balancer used both fronts.
    expect(new Set(lb.picks).size).toBe(2);
    for (const f of ['front-a', 'front-b']) {
      expect((await sessions(procs[f]!.url)).sessions.map((s: Json) => s.serverId).sort()).toEqual(['nl-1', 'us-1']);
    }
    // A viewer of a session opened through front A.
    const scope = opened[0]!.scope as string;
    const viewer = new WsRfbClient(`${scope.replace('http', 'ws').replace('/console/', '/ws/')}`);
    await viewer.ready();

    await procs['front-a']!.kill();
    delete procs['front-a'];

    const listed: Json[] = [];
    for (let i = 0; i < 4; i++) {
      const list = await sessions(lb.url);
      expect(list.unreachable).toBeUndefined();
      listed.push(list);
    }
    for (const l of listed) expect(l.sessions.map((s: Json) => s.serverId).sort()).toEqual(['nl-1', 'us-1']);
    for (const id of ['nl-1', 'us-1']) {
      const r = await eq(lb.url, { action: 'novnc', token: TOKEN, id });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      expect(r.body.joined).toBe(true);
    }
    // A session opened through the dead front is ended through the live one.
    const target = listed[0]!.sessions.find((s: Json) => s.serverId === 'nl-1').id as string;
    const del = await fetch(`${lb.url}/api/v1/sessions/${encodeURIComponent(target)}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${TOKEN}`, connection: 'close' },
    });
    expect(del.status).toBe(204);
    await viewer.closed();
    expect(viewer.closeCode).toBe(4000);
    expect((await sessions(lb.url)).sessions.map((s: Json) => s.serverId)).toEqual(['us-1']);
  }, 60_000);

  it("an answer not signed with the location's key is dropped: the front answers a timeout, never the forged result", async () => {
    const front = procs['front-b']!;
    const r = await eq(front.url, { action: 'novnc', token: TOKEN, id: 'rg-1' });
    expect(r.status).toBe(504);
    expect(r.body.error.code).toBe('GW_ERR_DISPATCH_TIMEOUT');
    const metrics = await (await fetch(`${front.url}/metrics`)).text();
    expect(metrics).toMatch(/bmcgw_dispatch_rejected_total\{kind="reply",reason="forged"\} 1/);
    expect(metrics).toMatch(/bmcgw_dispatch_rejected_total\{kind="announcement",reason="forged"\} [1-9]/);
  }, 30_000);
});
