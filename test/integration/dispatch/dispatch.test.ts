import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemoServer, DEMO_DESKTOP_NAME, type DemoServer } from '../../../src/sources/demo/demo-server.js';
import { RabbitVhost, requireRabbit } from '../../helpers/amqp.js';
import { bundleGatewayProcess, spawnGatewayProcess, type GatewayProcess } from '../../helpers/amqp-gateways.js';
import { launchChromium } from '../../helpers/browser.js';
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js';
import { SIM_USERS, startIpmiSim, type IpmiSim } from '../../helpers/ipmi-sim.js';
import { startQemu, type QemuVm } from '../../helpers/qemu.js';
import { eqPhp as eq, restCall as rest, until, untilAgents } from '../../helpers/gateway-calls.js';
import { WsRfbClient } from '../../helpers/ws-rfb-client.js';
import { signHeaders } from '../../../src/dispatch/message-auth.js';

/**
 * Issue 7 against the machine's RabbitMQ: one front and three agents (two in NL, one in US), each a
 * separate OS process; QEMU's VNC server is NL's BMC, our demo RFB server is US's. Everything lives
 * in a vhost of its own, deleted at the end.
 */

const TOKEN = 'panel-token-dispatch-1';
const US_ONLY = 'us-only-token-2222';
const OPERATOR = 'operator-token-dispatch';
const REQUEST_TIMEOUT_MS = 5_000;
/** NL has a key of its own; every other location uses the shared one. */
const SHARED_KEY = { id: 'shared-1', secret: 'shared-secret-0123456789-abcdefghijkl' };
const NL_KEY = { id: 'nl-1', secret: 'nl-only-secret-0123456789-abcdefghijkl' };
const KEYS = { keys: [SHARED_KEY], locationKeys: { NL: [NL_KEY] } };

type Json = Record<string, any>;

async function metricsOf(gw: { url: string }): Promise<string> {
  return (await fetch(`${gw.url}/metrics`)).text();
}

/** The AMQP properties a front publishes a request with, signed with `keys` for `routingKey`. */
function signedProps(request: { id: string }, routingKey: string, keys: { id: string; secret: string }[], at = Date.now()): Record<string, unknown> {
  const body = Buffer.from(JSON.stringify(request));
  const correlationId = `corr-${request.id}`;
  const replyTo = 'amq.gen-nobody';
  return {
    messageId: request.id,
    correlationId,
    replyTo,
    type: 'bmcgw.request',
    expiration: '10000',
    headers: signHeaders(keys, { type: 'bmcgw.request', exchange: 'bmcgw-t', routingKey, messageId: request.id, correlationId, replyTo }, body, at),
  };
}

/** Opens the returned viewer URL the way the console page does (its key, on /ws/), waits for ServerInit. */
async function connectViewer(scope: string): Promise<WsRfbClient> {
  const u = new URL(scope);
  const key = u.pathname.split('/').pop()!;
  const viewer = new WsRfbClient(`ws://${u.host}/ws/${key}`);
  await viewer.ready();
  await viewer.waitFor(() => viewer.updates > 0, 15_000);
  return viewer;
}

describe('dispatch through RabbitMQ: a front and agents in two locations', () => {
  let vhost: RabbitVhost;
  let vm: QemuVm;
  let demo: DemoServer;
  let sim: IpmiSim;
  let journal: string;
  let tmp: string | undefined;
  let bundle: string | undefined;
  let front: GatewayProcess;
  const agents: Record<string, GatewayProcess> = {};

  const journalLines = (): string[] => readFileSync(journal, 'utf8').split('\n').filter(Boolean);

  beforeAll(async () => {
    await requireRabbit();
    vhost = await RabbitVhost.create('bmcgw-dispatch');
    const [entry, qemu, demoServer, dir, ipmiSim] = await Promise.all([
      bundleGatewayProcess(),
      startQemu({ mode: 'seabios' }),
      startDemoServer({ host: '127.0.0.1', port: 0 }),
      mkdtemp(join(tmpdir(), 'bmcgw-dispatch-')),
      startIpmiSim(),
    ]);
    sim = ipmiSim;
    vm = qemu;
    bundle = entry;
    tmp = dir;
    demo = demoServer;
    journal = join(dir, 'journal');
    writeFileSync(journal, '');
    const servers = [
      { id: 'nl-1', location: 'NL', console: { type: 'vnc', host: '127.0.0.1', port: vm.vncPort } },
      { id: 'us-1', location: 'US', console: { type: 'vnc', host: demo.host, port: demo.port, password: demo.password } },
      // ipmi_sim as US's IPMI BMC (suite 3: ipmi_sim has no SHA-256).
      { id: 'us-ipmi', location: 'US', ipmi: { host: '127.0.0.1', port: sim.port, ...SIM_USERS.admin, cipherSuite: 3 } },
      { id: 'ru-1', location: 'RU', console: { type: 'vnc', host: '127.0.0.1', port: 1 } },
      // No location: the front opens it itself.
      { id: 'local-1', console: { type: 'vnc', host: demo.host, port: demo.port, password: demo.password } },
    ];
    const base = {
      tokens: [
        { token: TOKEN, name: 'panel', servers: ['*'] },
        { token: US_ONLY, name: 'us-only', servers: ['us-1', 'nl-1-not-this'] },
      ],
      operators: [{ token: OPERATOR, name: 'ops' }],
      servers,
    };
    const dispatch = (extra: Record<string, unknown>) => ({
      amqp: vhost.url,
      exchange: 'bmcgw-t',
      requestTimeout: `${REQUEST_TIMEOUT_MS}ms`,
      announceInterval: '300ms',
      ...KEYS,
      ...extra,
    });
    const started = await Promise.all([
      spawnGatewayProcess(entry, 'front', { ...base, dispatch: dispatch({ role: 'front' }) }, journal),
      spawnGatewayProcess(entry, 'nl-a', { ...base, dispatch: dispatch({ role: 'agent', location: 'NL', agentId: 'nl-a' }) }, journal),
      spawnGatewayProcess(entry, 'nl-b', { ...base, dispatch: dispatch({ role: 'agent', location: 'NL', agentId: 'nl-b' }) }, journal),
      spawnGatewayProcess(entry, 'us-a', { ...base, dispatch: dispatch({ role: 'agent', location: 'US', agentId: 'us-a' }) }, journal),
    ]);
    front = started[0];
    for (const a of started.slice(1)) agents[a.name] = a;
    await untilAgents(front, OPERATOR, 3, 10_000);
  }, 60_000);

  afterAll(async () => {
    await Promise.all([front?.stop(), ...Object.values(agents).map((a) => a.stop())]);
    await Promise.all([
      vm?.stop(),
      demo?.close(),
      sim?.stop(),
      vhost?.delete(),
      tmp && rm(tmp, { recursive: true, force: true }),
      bundle && rm(bundle, { force: true }),
    ]);
  }, 30_000);

  it('lists the announced agents for operators only', async () => {
    const r = await rest(front, 'GET', '/api/v1/agents', OPERATOR);
    expect(r.status).toBe(200);
    expect(r.body.broker).toBe('up');
    expect(r.body.agents.map((a: Json) => `${a.location}/${a.id}`)).toEqual(['NL/nl-a', 'NL/nl-b', 'US/us-a']);
    expect(r.body.agents.find((a: Json) => a.id === 'us-a').url).toBe(agents['us-a']!.url);
    const denied = await rest(front, 'GET', '/api/v1/agents', TOKEN);
    expect(denied.status).toBe(403);
    expect(denied.body.error.code).toBe('GW_ERR_OPERATOR_ONLY');
  });

  it("shows the agents on the front's dashboard", async () => {
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      await page.goto(`${front.url}/dashboard`);
      await page.fill('#token', OPERATOR);
      await page.click('#signin button[type=submit]');
      await page.waitForSelector('#agents-section:not([hidden]) #agents tbody tr', { timeout: 10_000 });
      await expect.poll(() => page.locator('#agents tbody tr').count(), { timeout: 5_000 }).toBe(3);
      const rows = await page.locator('#agents tbody tr').allTextContents();
      expect(rows.some((r) => r.includes('US') && r.includes('us-a') && r.includes(agents['us-a']!.url))).toBe(true);
    } finally {
      await browser.close();
    }
  }, 30_000);

  it('opens each server on an agent of its location, and a viewer connects through the returned URL', async () => {
    const nl = await eq(front, { action: 'novnc', token: TOKEN, id: 'nl-1' });
    expect(nl.status, JSON.stringify(nl.body)).toBe(200);
    expect(nl.body.context).toEqual({ action: 'novnc', id: 'nl-1', location: 'NL' });
    expect([agents['nl-a']!.url, agents['nl-b']!.url].some((u) => nl.body.scope.startsWith(`${u}/console/`))).toBe(true);
    const nlViewer = await connectViewer(nl.body.scope);
    expect(nlViewer.fb!.width).toBeGreaterThan(0);
    nlViewer.close();

    const us = await eq(front, { action: 'novnc', token: TOKEN, id: 'us-1' });
    expect(us.status, JSON.stringify(us.body)).toBe(200);
    expect(us.body.scope.startsWith(`${agents['us-a']!.url}/console/`)).toBe(true);
    const usViewer = await connectViewer(us.body.scope);
    expect(usViewer.name).toBe(DEMO_DESKTOP_NAME);
    usViewer.close();

    // The agent checks the principal the front sent: this token may not open nl-1.
    const denied = await eq(front, { action: 'novnc', token: US_ONLY, id: 'nl-1' });
    expect(denied.status).toBe(403);
    expect(denied.body.error.code).toBe('GW_ERR_FORBIDDEN_SERVER');
    // A BMC error on the agent comes back unchanged.
    const unknown = await eq(front, { action: 'novnc', token: TOKEN, id: 'no-such' });
    expect(unknown.body.error.code).toBe('GW_ERR_UNKNOWN_SERVER');

    const metrics = await (await fetch(`${front.url}/metrics`)).text();
    expect(metrics).toMatch(/bmcgw_dispatch_requests_total\{location="NL",outcome="ok"\} [1-9]/);
    expect(metrics).toMatch(/bmcgw_dispatch_requests_total\{location="US",outcome="ok"\} [1-9]/);
    expect(metrics).toMatch(/bmcgw_dispatch_failures_total\{location="NL",code="GW_ERR_FORBIDDEN_SERVER"\} 1/);
    expect(metrics).toMatch(/bmcgw_dispatch_seconds_count\{location="US"\} [1-9]/);
  }, 30_000);

  it('REST: sessions of all agents listed on the front, GET and DELETE routed to the owner', async () => {
    const opened = await rest(front, 'POST', '/api/v1/sessions', TOKEN, { serverId: 'us-1' });
    expect([200, 201]).toContain(opened.status);
    expect(opened.body.id).toMatch(/^us-a~/);
    expect(opened.body.url.startsWith(`${agents['us-a']!.url}/console/`)).toBe(true);

    const list = await rest(front, 'GET', '/api/v1/sessions', TOKEN);
    expect(list.status).toBe(200);
    const ids: string[] = list.body.sessions.map((s: Json) => s.id);
    expect(ids).toContain(opened.body.id);
    expect(ids.some((id) => /^nl-[ab]~/.test(id))).toBe(true);
    // A token limited to us-1 sees only that one.
    const scoped = await rest(front, 'GET', '/api/v1/sessions', US_ONLY);
    expect(scoped.body.sessions.map((s: Json) => s.serverId)).toEqual(['us-1']);

    const one = await rest(front, 'GET', `/api/v1/sessions/${encodeURIComponent(opened.body.id)}`, TOKEN);
    expect(one.status).toBe(200);
    expect(one.body.serverId).toBe('us-1');
    const del = await rest(front, 'DELETE', `/api/v1/sessions/${encodeURIComponent(opened.body.id)}`, TOKEN);
    expect(del.status).toBe(204);
    const gone = await rest(front, 'GET', `/api/v1/sessions/${encodeURIComponent(opened.body.id)}`, TOKEN);
    expect(gone.status).toBe(404);
    expect(gone.body.error.code).toBe('GW_ERR_UNKNOWN_SESSION');
  }, 30_000);

  it('a power action delivered twice is executed once', async () => {
    // 1. The panel retries with the same request id: answered, not run again.
    const a = await eq(front, { action: 'test_power', token: TOKEN, id: 'us-1', op: 'cycle-api', request_id: 'req-power-1' });
    const b = await eq(front, { action: 'test_power', token: TOKEN, id: 'us-1', op: 'cycle-api', request_id: 'req-power-1' });
    expect(a.status, JSON.stringify(a.body)).toBe(200);
    expect(b.body).toEqual(a.body);
    expect(journalLines().filter((l) => l.endsWith(' power us-1 cycle-api'))).toHaveLength(1);
    // The same id for another call is not a duplicate (the agent keys on the call as well).
    const other = await eq(front, { action: 'test_power', token: TOKEN, id: 'us-1', op: 'other-op', request_id: 'req-power-1' });
    expect(other.body.op).toBe('other-op');
    expect(journalLines().filter((l) => l.endsWith(' power us-1 other-op'))).toHaveLength(1);

    // 2. The same signed message published twice (a captured message replayed): the second copy is
    // dropped as a replay. Published raw, signed as a front would, to US's queue.
    const request = {
      v: 1,
      id: 'req-power-raw',
      deadline: Date.now() + 10_000,
      principal: { kind: 'token', name: 'panel', servers: ['us-1'] },
      call: { type: 'eq', action: 'test_power', fields: { action: 'test_power', id: 'us-1', op: 'cycle-raw' } },
    };
    const props = signedProps(request, 'location.US', [SHARED_KEY]);
    await vhost.publish('bmcgw-t', 'location.US', request, props);
    await vhost.publish('bmcgw-t', 'location.US', request, props);
    await until(
      'the agent to drop the copy as a replay',
      async () => (/bmcgw_dispatch_rejected_total\{kind="request",reason="replayed"\} 1/.test(await metricsOf(agents['us-a']!)) ? true : undefined),
      10_000,
    );
    expect(journalLines().filter((l) => l.endsWith(' power us-1 cycle-raw'))).toHaveLength(1);
    // 3. The real IPMI power action on the agent, retried with the same request id: ipmi_sim's
    // chassis_control hook records one "set power 1", not two.
    const hookBefore = (await sim.hookLog()).length;
    const on1 = await eq(front, { action: 'ipmi_power', token: TOKEN, id: 'us-ipmi', cmd: 'on', request_id: 'req-ipmi-on-1' });
    const on2 = await eq(front, { action: 'ipmi_power', token: TOKEN, id: 'us-ipmi', cmd: 'on', request_id: 'req-ipmi-on-1' });
    expect(on1.status, JSON.stringify(on1.body)).toBe(200);
    expect(on2.body).toEqual(on1.body);
    expect((await sim.hookLog()).slice(hookBefore).filter((l) => l === '0x20 set power 1')).toHaveLength(1);
    expect(await sim.powerState()).toBe('1');

    // A new request id is a new action.
    const c = await eq(front, { action: 'test_power', token: TOKEN, id: 'us-1', op: 'cycle-api', request_id: 'req-power-2' });
    expect(c.status).toBe(200);
    expect(journalLines().filter((l) => l.endsWith(' power us-1 cycle-api'))).toHaveLength(2);
  }, 30_000);

  it('a broker account without the key can do nothing: unsigned, forged, re-routed and stale requests are dropped and counted', async () => {
    const forge = (op: string) => ({
      v: 1,
      id: `req-${op}`,
      deadline: Date.now() + 10_000,
      principal: { kind: 'operator', name: 'mallory', servers: '*' },
      call: { type: 'eq', action: 'test_power', fields: { action: 'test_power', id: 'us-1', op } },
    });
    const attacker = { id: SHARED_KEY.id, secret: 'not-the-real-secret-0123456789-abcdef' };
    await vhost.publish('bmcgw-t', 'location.US', forge('unsigned'), { messageId: 'req-unsigned', type: 'bmcgw.request', expiration: '10000' });
    await vhost.publish('bmcgw-t', 'location.US', forge('forged'), signedProps(forge('forged'), 'location.US', [attacker]));
    // NL's key does not open US (per-location keys), and a message signed for NL cannot be re-routed to US.
    await vhost.publish('bmcgw-t', 'location.US', forge('nl-key'), signedProps(forge('nl-key'), 'location.US', [NL_KEY]));
    await vhost.publish('bmcgw-t', 'location.US', forge('rerouted'), signedProps(forge('rerouted'), 'location.NL', [SHARED_KEY]));
    await vhost.publish('bmcgw-t', 'location.US', forge('stale'), signedProps(forge('stale'), 'location.US', [SHARED_KEY], Date.now() - 120_000));
    await until(
      'the agent to drop all five',
      async () => {
        const m = await metricsOf(agents['us-a']!);
        const n = (reason: string) => Number(new RegExp(`bmcgw_dispatch_rejected_total\\{kind="request",reason="${reason}"\\} (\\d+)`).exec(m)?.[1] ?? 0);
        return n('unsigned') >= 1 && n('forged') >= 3 && n('stale') >= 1 ? true : undefined;
      },
      10_000,
    );
    expect(journalLines().filter((l) => /power us-1 (unsigned|forged|nl-key|rerouted|stale)$/.test(l))).toEqual([]);
    // A forged announcement does not add an agent to the front's list.
    const ann = { id: 'evil-agent', location: 'US', url: 'http://127.0.0.1:1', version: 'x', load: 0, at: Date.now() };
    await vhost.publish('bmcgw-t.agents', '', ann, { type: 'bmcgw.announce', messageId: 'a1', expiration: '3000' });
    await until(
      'the front to drop the forged announcement',
      async () => (/bmcgw_dispatch_rejected_total\{kind="announcement",reason="unsigned"\} [1-9]/.test(await metricsOf(front)) ? true : undefined),
      10_000,
    );
    const listed = await rest(front, 'GET', '/api/v1/agents', OPERATOR);
    expect(listed.body.agents.map((a: Json) => a.id)).not.toContain('evil-agent');
  }, 30_000);

  it('an agent killed with SIGKILL mid-request is covered by its twin (a call without a request_id)', async () => {
    // With a request_id the twin would not run it again (broker claims; see
    // test/integration/redfish/dispatch-redfish.test.ts): without one, the broker's redelivery is the takeover.
    const before = journalLines().length;
    const pending = eq(front, { action: 'test_slow', token: TOKEN, id: 'nl-1', ms: '1500' });
    const line = await until(
      'an NL agent to start the request',
      async () =>
        journalLines()
          .slice(before)
          .find((l) => l.endsWith(' slow nl-1')),
      5_000,
      20,
    );
    const victimPid = Number(line.split(' ')[0]);
    const victim = Object.values(agents).find((a) => a.pid === victimPid)!;
    const twin = victim.name === 'nl-a' ? agents['nl-b']! : agents['nl-a']!;
    await victim.kill();
    delete agents[victim.name];
    const res = await pending;
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.pid).toBe(twin.pid);
    expect(
      journalLines()
        .slice(before)
        .filter((l) => l.endsWith(' slow nl-1')),
    ).toEqual([`${victimPid} slow nl-1`, `${twin.pid} slow nl-1`]);
  }, 20_000);

  it('answers a timeout when no agent answers in time, and names a location without agents', async () => {
    const started = Date.now();
    const slow = await eq(front, { action: 'test_slow', token: TOKEN, id: 'us-1', ms: String(REQUEST_TIMEOUT_MS + 2_000) });
    expect(slow.status).toBe(504);
    expect(slow.body.error.code).toBe('GW_ERR_DISPATCH_TIMEOUT');
    expect(slow.body.error.message).toContain('"US"');
    expect(Date.now() - started).toBeLessThan(REQUEST_TIMEOUT_MS + 2_000);

    const ru = await eq(front, { action: 'novnc', token: TOKEN, id: 'ru-1' });
    expect(ru.status).toBe(503);
    expect(ru.body.error.code).toBe('GW_ERR_NO_AGENT');
    expect(ru.body.error.message).toContain('"RU"');
  }, 20_000);

  it('role both: one process is the front and an agent of its own location', async () => {
    let gw: TestGateway | undefined;
    try {
      gw = await startTestGateway({
        tokens: [{ token: TOKEN, servers: ['*'] }],
        operators: [{ token: OPERATOR }],
        servers: [{ id: 'l2-1', location: 'L2', console: { type: 'vnc', host: demo.host, port: demo.port, password: demo.password } }],
        dispatch: {
          amqp: vhost.url,
          exchange: 'bmcgw-t',
          role: 'both',
          location: 'L2',
          agentId: 'l2-both',
          announceInterval: '300ms',
          requestTimeout: '5s',
          ...KEYS,
        },
      });
      const opened = await rest(gw, 'POST', '/api/v1/sessions', TOKEN, { serverId: 'l2-1' });
      expect(opened.status, JSON.stringify(opened.body)).toBe(201);
      expect(opened.body.id).toMatch(/^l2-both~/);
      expect(opened.body.url.startsWith(`${gw.url}/console/`)).toBe(true);
      await until(
        'the both-gateway to hear itself and the others',
        async () => {
          const r = await rest(gw!, 'GET', '/api/v1/agents', OPERATOR);
          return r.body.agents?.some((a: Json) => a.id === 'l2-both') && r.body.agents.some((a: Json) => a.id === 'us-a') ? true : undefined;
        },
        5_000,
      );
      const list = await rest(gw, 'GET', '/api/v1/sessions', TOKEN);
      expect(list.body.sessions.map((x: Json) => x.id)).toContain(opened.body.id);
      // Every announced agent answered (this gateway's config lists only l2-1, so only it is visible).
      expect(list.body.unreachable).toBeUndefined();
      expect(list.body.sessions.map((x: Json) => x.serverId)).toEqual(['l2-1']);
      const del = await rest(gw, 'DELETE', `/api/v1/sessions/${encodeURIComponent(opened.body.id)}`, TOKEN);
      expect(del.status).toBe(204);
    } finally {
      await gw?.close();
    }
  }, 30_000);

  it('broker down at start: local servers work, remote ones answer GW_ERR_DISPATCH_UNAVAILABLE', async () => {
    let gw: TestGateway | undefined;
    try {
      gw = await startTestGateway({
        tokens: [{ token: TOKEN, servers: ['*'] }],
        servers: [
          { id: 'us-1', location: 'US', console: { type: 'vnc', host: demo.host, port: demo.port, password: demo.password } },
          { id: 'local-1', console: { type: 'vnc', host: demo.host, port: demo.port, password: demo.password } },
        ],
        // Port 1: nothing listens there.
        dispatch: { amqp: 'amqp://guest:guest@127.0.0.1:1/', role: 'front', ...KEYS },
      });
      const remote = await eq(gw, { action: 'novnc', token: TOKEN, id: 'us-1' });
      expect(remote.status).toBe(503);
      expect(remote.body.error.code).toBe('GW_ERR_DISPATCH_UNAVAILABLE');
      expect(remote.body.error.message).toContain('"US"');
      const local = await eq(gw, { action: 'novnc', token: TOKEN, id: 'local-1' });
      expect(local.status).toBe(200);
    } finally {
      await gw?.close();
    }
  }, 20_000);
});
