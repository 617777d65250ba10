import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signHeaders } from '../../../src/dispatch/message-auth.js';
import { RabbitVhost, requireRabbit } from '../../helpers/amqp.js';
import { bundleGatewayProcess, spawnGatewayProcess, type GatewayProcess } from '../../helpers/amqp-gateways.js';
import { eqPhp, restCall as rest, untilAgents } from '../../helpers/gateway-calls.js';
import { RedfishSimulator } from '../../helpers/redfish/simulator.js';
import { simRedfishBlock } from '../../helpers/redfish/target.js';

/**
 * Redfish power and media through RabbitMQ dispatch (issue 13 with issue 7), against the machine's
 * broker: a front that knows only that nl-rf is a Redfish server in NL (no credentials), and two NL
 * agents (separate OS processes) that hold its redfish block. Above all: a request_id runs once
 * across agents — a retry landing on the other agent, the same message delivered to both, and an
 * agent killed while it runs the call.
 */

const TOKEN = 'panel-token-rf-dispatch';
const OPERATOR = 'operator-token-rf-dispatch';
const REQUEST_TIMEOUT_MS = 6_000;
const EXCHANGE = 'bmcgw-rf';
const KEY = { id: 'rf-1', secret: 'rf-dispatch-secret-0123456789-abcdef' };

type Json = Record<string, any>;
const eq = (gw: { url: string }, fields: Record<string, string>) => eqPhp(gw, { token: TOKEN, ...fields });

describe('Redfish through dispatch: a front and two agents of one location', () => {
  let vhost: RabbitVhost;
  let sim: RedfishSimulator;
  let tmp: string | undefined;
  let bundle: string | undefined;
  let journal: string;
  let front: GatewayProcess;
  const agents: Record<string, GatewayProcess> = {};

  const journalLines = (): string[] => readFileSync(journal, 'utf8').split('\n').filter(Boolean);
  const handled = async (a: GatewayProcess, outcome: string): Promise<number> => {
    const m = new RegExp(`bmcgw_dispatch_handled_total\\{outcome="${outcome}"\\} (\\d+)`).exec(await (await fetch(`${a.url}/metrics`)).text());
    return m ? Number(m[1]) : 0;
  };

  beforeAll(async () => {
    await requireRabbit();
    vhost = await RabbitVhost.create('bmcgw-rf-dispatch');
    [bundle, sim, tmp] = await Promise.all([
      bundleGatewayProcess(),
      RedfishSimulator.start({ asyncActions: [] }),
      mkdtemp(join(tmpdir(), 'bmcgw-rf-dispatch-')),
    ]);
    journal = join(tmp, 'journal');
    writeFileSync(journal, '');
    const tokens = [{ token: TOKEN, name: 'panel', servers: ['*'] }];
    const operators = [{ token: OPERATOR, name: 'ops' }];
    const dispatch = (extra: Record<string, unknown>) => ({
      amqp: vhost.url,
      exchange: EXCHANGE,
      requestTimeout: `${REQUEST_TIMEOUT_MS}ms`,
      announceInterval: '300ms',
      keys: [KEY],
      ...extra,
    });
    // The front holds no BMC credentials: only that nl-rf is in NL and uses Redfish.
    const frontServers = [
      { id: 'nl-rf', location: 'NL', power: 'redfish' },
      { id: 'nl-x', location: 'NL' },
    ];
    const agentServers = [
      { id: 'nl-rf', location: 'NL', redfish: simRedfishBlock(sim) },
      { id: 'nl-x', location: 'NL' },
    ];
    const media = { allow: ['images.example'] };
    const started = await Promise.all([
      spawnGatewayProcess(bundle, 'front', { tokens, operators, servers: frontServers, dispatch: dispatch({ role: 'front' }) }, journal),
      spawnGatewayProcess(
        bundle,
        'nl-a',
        { tokens, operators, media, servers: agentServers, dispatch: dispatch({ role: 'agent', location: 'NL', agentId: 'nl-a' }) },
        journal,
      ),
      spawnGatewayProcess(
        bundle,
        'nl-b',
        { tokens, operators, media, servers: agentServers, dispatch: dispatch({ role: 'agent', location: 'NL', agentId: 'nl-b' }) },
        journal,
      ),
    ]);
    front = started[0];
    agents['nl-a'] = started[1];
    agents['nl-b'] = started[2];
    await untilAgents(front, OPERATOR, 2);
  }, 90_000);

  afterAll(async () => {
    await Promise.all([front?.stop(), ...Object.values(agents).map((a) => a.stop())]);
    await Promise.all([sim?.stop(), vhost?.delete(), tmp && rm(tmp, { recursive: true, force: true }), bundle && rm(bundle, { force: true })]);
  }, 30_000);

  it('power, boot device and media on an agent; the front lists the server as Redfish without its credentials', async () => {
    const on = await eq(front, { action: 'ipmi_power', id: 'nl-rf', cmd: 'on', dev: 'pxe' });
    expect(on.status, JSON.stringify(on.body)).toBe(200);
    expect(on.body).toMatchObject({ protocol: 'redfish', performed: ['On'] });
    expect(sim.resets).toEqual(['On']);
    expect(sim.bootChanges).toEqual(['Once Pxe']);
    expect((await rest(front, 'GET', '/api/v1/servers/nl-rf/power', TOKEN)).body).toEqual({
      serverId: 'nl-rf',
      power: 'on',
      protocol: 'redfish',
      powerState: 'On',
    });
    const media = await rest(front, 'POST', '/api/v1/servers/nl-rf/media', TOKEN, { action: 'insert', url: 'https://images.example/rescue.iso' });
    expect(media.status, JSON.stringify(media.body)).toBe(200);
    expect(sim.state.media.image).toBe('https://images.example/rescue.iso');
    const servers = await rest(front, 'GET', '/api/v1/servers', OPERATOR);
    expect(servers.body.servers.find((s: Json) => s.id === 'nl-rf')).toEqual({
      // The front holds no BMC credentials: `redfish` says what this process could reach itself, `power` which protocol the agent uses.
      id: 'nl-rf',
      name: null,
      location: 'NL',
      console: false,
      consoleType: null,
      power: 'redfish',
      media: true,
      ipmi: false,
      redfish: false,
      sol: false,
      recorded: false,
    });
    // An agent's BMC error comes back unchanged.
    const denied = await rest(front, 'POST', '/api/v1/servers/nl-rf/media', TOKEN, { action: 'insert', url: 'https://elsewhere.example/x.iso' });
    expect(denied.body.error.code).toBe('GW_ERR_MEDIA_URL_NOT_ALLOWED');
  }, 30_000);

  it('the panel retries with the same request_id: one PowerCycle, whichever agent took each try', async () => {
    const before = sim.resets.length;
    const dupsBefore = (await handled(agents['nl-a']!, 'duplicate')) + (await handled(agents['nl-b']!, 'duplicate'));
    const answers = [];
    for (let i = 0; i < 4; i++) answers.push(await eq(front, { action: 'ipmi_power', id: 'nl-rf', cmd: 'cycle', request_id: 'rf-cycle-retry-1' }));
    for (const a of answers) expect(a.body).toEqual(answers[0]!.body);
    expect(answers[0]!.status).toBe(200);
    expect(sim.resets.slice(before)).toEqual(['PowerCycle']);
    // The three retries were answered as duplicates: from the memory of the agent that ran it, or —
    // on the other agent (competing consumers take turns) — from the broker claim.
    expect((await handled(agents['nl-a']!, 'duplicate')) + (await handled(agents['nl-b']!, 'duplicate')) - dupsBefore).toBe(3);
  }, 30_000);

  it('the same message delivered to both agents runs once with the claim, twice without (the claim is what makes it once)', async () => {
    const conn = await connect(vhost.url);
    try {
      const ch = await conn.createChannel();
      const replies = await ch.assertQueue('', { exclusive: true, autoDelete: true });
      const got = new Map<string, Json>();
      await ch.consume(replies.queue, (m) => m && got.set(m.properties.correlationId as string, JSON.parse(m.content.toString('utf8')) as Json), {
        noAck: true,
      });
      const request = (id: string, claim: boolean) => ({
        v: 1,
        id,
        deadline: Date.now() + REQUEST_TIMEOUT_MS,
        principal: { kind: 'token', name: 'panel', servers: ['nl-rf', 'nl-x'] },
        call: { type: 'eq', action: 'ipmi_power', fields: { action: 'ipmi_power', id: 'nl-rf', cmd: 'reset', request_id: id } },
        ...(claim ? { claim } : {}),
      });
      const deliverToBoth = (id: string, claim: boolean) => {
        for (const agent of ['nl-a', 'nl-b']) {
          // Signed as a front signs (dispatch messages without the location's key are dropped).
          const body = Buffer.from(JSON.stringify(request(id, claim)));
          const env = {
            type: 'bmcgw.request',
            exchange: EXCHANGE,
            routingKey: `agent.${agent}`,
            messageId: id,
            correlationId: `${id}/${agent}`,
            replyTo: replies.queue,
          };
          ch.publish(EXCHANGE, env.routingKey, body, {
            type: env.type,
            messageId: id,
            correlationId: env.correlationId,
            replyTo: replies.queue,
            expiration: String(REQUEST_TIMEOUT_MS),
            headers: signHeaders([KEY], env, body),
          });
        }
      };
      let before = sim.resets.length;
      deliverToBoth('rf-raw-claimed', true);
      await expect.poll(() => got.size, { timeout: 10_000 }).toBe(2);
      expect(sim.resets.slice(before)).toEqual(['ForceRestart']);
      const [a, b] = [got.get('rf-raw-claimed/nl-a')!, got.get('rf-raw-claimed/nl-b')!];
      expect(a.ok).toBe(true);
      expect(b.result).toEqual(a.result);

      before = sim.resets.length;
      deliverToBoth('rf-raw-unclaimed', false); // as an older front sends it: each agent only knows its own memory
      await expect.poll(() => got.size, { timeout: 10_000 }).toBe(4);
      expect(sim.resets.slice(before)).toEqual(['ForceRestart', 'ForceRestart']);
    } finally {
      await conn.close();
    }
  }, 30_000);

  it('an agent killed while running a call with a request_id: its twin does not run it again and says so', async () => {
    const before = journalLines().length;
    const started = Date.now();
    const pending = eq(front, { action: 'test_slow', id: 'nl-x', ms: '3000', request_id: 'rf-slow-1' });
    let line: string | undefined;
    await expect
      .poll(
        () =>
          (line = journalLines()
            .slice(before)
            .find((l) => l.endsWith(' slow nl-x'))),
        { timeout: 5_000, interval: 20 },
      )
      .toBeDefined();
    const victimPid = Number(line!.split(' ')[0]);
    const victim = Object.values(agents).find((a) => a.pid === victimPid)!;
    await victim.kill();
    delete agents[victim.name];
    const res = await pending;
    expect(res.status, JSON.stringify(res.body)).toBe(409);
    expect(res.body.error.code).toBe('GW_ERR_REQUEST_IN_PROGRESS');
    expect(Date.now() - started).toBeLessThan(REQUEST_TIMEOUT_MS + 1_000);
    // The broker redelivered it to the twin, which found the dead agent's claim and did not run it.
    expect(
      journalLines()
        .slice(before)
        .filter((l) => l.endsWith(' slow nl-x')),
    ).toEqual([`${victimPid} slow nl-x`]);
    const twin = Object.values(agents)[0]!;
    expect(await handled(twin, 'duplicate')).toBeGreaterThan(0);
  }, 30_000);
});
