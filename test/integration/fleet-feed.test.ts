import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FleetEvent } from '../../src/api/api-types.js';
import { SseParser } from '../../web/src/common/sse-parser.js';
import { eqPhp, logCollector, startTestGateway, TEST_TOKEN, type TestGateway } from '../helpers/gateway.js';
import { SIM_USERS, startIpmiSim, type IpmiSim } from '../helpers/ipmi-sim.js';

// The dashboard's live feed (GET /api/v1/fleet/events) against OpenIPMI ipmi_sim: operators only;
// the whole state first; power read in the background through the audited API path; a panel's
// power action shows as activity and the state is read again.

const OPERATOR = 'operator-token-feed';

/**
 * Reads a feed's events into a list until closed. node:http, not fetch: closing must close the
 * connection at once (fetch's abort may leave undici's socket open until the server's keep-alive ends).
 */
function openFeed(gw: TestGateway, token: string): Promise<{ status: number; events: FleetEvent[]; close(): void; body?: unknown }> {
  return new Promise((resolve, reject) => {
    const req = request(`${gw.url}/api/v1/fleet/events`, { headers: { authorization: `Bearer ${token}` } }, (res) => {
      const events: FleetEvent[] = [];
      const close = () => req.destroy();
      if (res.statusCode !== 200) {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, events, close, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) }));
        return;
      }
      expect(res.headers['content-type']).toBe('text/event-stream; charset=utf-8');
      const parser = new SseParser();
      res.setEncoding('utf8');
      res.on('data', (text: string) => {
        for (const e of parser.feed(text)) events.push({ type: e.event, ...JSON.parse(e.data) } as FleetEvent);
      });
      res.on('error', () => {});
      resolve({ status: 200, events, close });
    });
    req.on('error', (err) => (err.message.includes('socket hang up') ? undefined : reject(err)));
    req.end();
  });
}

describe('fleet feed (ipmi_sim)', () => {
  let sim: IpmiSim;
  let gw: TestGateway;
  const log = logCollector();

  beforeAll(async () => {
    sim = await startIpmiSim();
    gw = await startTestGateway(
      {
        tokens: [{ token: TEST_TOKEN, name: 'panel', servers: ['*'] }],
        operators: [{ token: OPERATOR, name: 'ops' }],
        servers: [
          { id: 'ipmi-1', name: 'Storage 7', location: 'DE', ipmi: { host: '127.0.0.1', port: sim.port, ...SIM_USERS.admin, cipherSuite: 3 } },
          { id: 'bare-1' },
        ],
      },
      { log: { level: 'info', stream: log.stream } },
    );
  }, 60_000);

  afterAll(async () => {
    await gw?.close();
    await sim?.stop();
  });

  it('is for operator tokens only', async () => {
    const customer = await openFeed(gw, TEST_TOKEN);
    expect(customer.status).toBe(403);
    expect(customer.body).toEqual({ error: { code: 'GW_ERR_OPERATOR_ONLY', message: 'the fleet feed is for operator tokens' } });
    expect((await openFeed(gw, 'nope')).status).toBe(401);
  });

  it("sends the whole state, reads power in the background as an audited API call, and shows a panel's action", async () => {
    const feed = await openFeed(gw, OPERATOR);
    try {
      await expect
        .poll(() => feed.events.map((e) => e.type).slice(0, 5), { timeout: 10_000 })
        .toEqual(['servers', 'sessions', 'sol-sessions', 'agents', 'activity']);
      const servers = feed.events[0] as FleetEvent & { type: 'servers' };
      expect(servers.servers).toEqual([
        {
          id: 'ipmi-1',
          name: 'Storage 7',
          location: 'DE',
          console: false,
          consoleType: null,
          power: 'ipmi',
          ipmi: true,
          redfish: false,
          sol: true,
          media: false,
          recorded: false,
        },
        {
          id: 'bare-1',
          name: null,
          location: null,
          console: false,
          consoleType: null,
          power: null,
          ipmi: false,
          redfish: false,
          sol: false,
          media: false,
          recorded: false,
        },
      ]);
      const power = () => feed.events.filter((e): e is FleetEvent & { type: 'power' } => e.type === 'power').map((e) => e.reading);
      await expect.poll(() => power().map((r) => `${r.serverId}:${r.power}`), { timeout: 15_000 }).toEqual(['ipmi-1:off']);
      // The background read went through the API path: one audit line, under the monitor's name.
      const audit = log
        .text()
        .split('\n')
        .filter((l) => l.includes('"event":"audit"'))
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(audit).toContainEqual(
        expect.objectContaining({ who: 'dashboard-monitor', kind: 'operator', server: 'ipmi-1', action: 'power.status', result: 'ok' }),
      );

      const { body } = await eqPhp(gw, { action: 'ipmi_power', token: TEST_TOKEN, id: 'ipmi-1', cmd: 'on' });
      expect(body.result).toBe('OK');
      const activity = () => feed.events.filter((e): e is FleetEvent & { type: 'activity' } => e.type === 'activity').flatMap((e) => e.entries);
      await expect
        .poll(() => activity().map((a) => `${a.who} ${a.action} ${a.serverId} ${a.result}`), { timeout: 10_000 })
        .toEqual(['panel ipmi_power on ipmi-1 ok']);
      // …and the state is read again soon after, without waiting for the next round
      await expect.poll(() => power().at(-1)?.power, { timeout: 15_000 }).toBe('on');
      expect(await sim.powerState()).toBe('1');

      // A failed action is activity too, with its code.
      await eqPhp(gw, { action: 'ipmi_power', token: TEST_TOKEN, id: 'bare-1', cmd: 'on' });
      await expect
        .poll(() => activity().at(-1), { timeout: 10_000 })
        .toMatchObject({ who: 'panel', serverId: 'bare-1', result: 'error', code: 'GW_ERR_NO_IPMI' });
      // Nothing of the BMC's access reaches the feed: no address, user or password.
      const all = JSON.stringify(feed.events);
      expect(all).not.toContain(SIM_USERS.admin.password);
      expect(all).not.toContain(`"${SIM_USERS.admin.user}"`);
      expect(all).not.toContain(String(sim.port));
    } finally {
      feed.close();
    }
  }, 60_000);

  it('a second dashboard gets the readings made so far at once', async () => {
    const feed = await openFeed(gw, OPERATOR);
    try {
      await expect.poll(() => feed.events.some((e) => e.type === 'power' && e.reading.serverId === 'ipmi-1'), { timeout: 5000 }).toBe(true);
      await expect.poll(() => feed.events.filter((e) => e.type === 'activity').flatMap((e) => e.entries).length, { timeout: 5000 }).toBe(2);
    } finally {
      feed.close();
    }
  });
});
