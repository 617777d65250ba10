import { connect, type ChannelModel } from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrokerClaims } from '../../../src/dispatch/broker-claims.js';
import type { WireReply } from '../../../src/dispatch/types.js';
import { createLogger } from '../../../src/log.js';
import { RabbitVhost, requireRabbit } from '../../helpers/amqp.js';

// BrokerClaims against the machine's RabbitMQ: two "agents" (two connections) race for the same
// request id; exactly one runs it, the other gets its answer — or, when the first dies before
// answering, "in progress", never a second run.

let vhost: RabbitVhost;
const conns: ChannelModel[] = [];
const KEY = { id: 'nl-1', secret: 'claims-test-secret-0123456789-abcdef' };
const rejected: string[] = [];

beforeAll(async () => {
  await requireRabbit();
  vhost = await RabbitVhost.create('bmcgw-claims');
}, 60_000);

afterAll(async () => {
  await Promise.all(conns.map((c) => c.close().catch(() => undefined)));
  await vhost?.delete();
}, 60_000);

async function agent(id: string): Promise<{ claims: BrokerClaims; conn: ChannelModel }> {
  const conn = await connect(vhost.url);
  conn.on('error', () => undefined);
  conns.push(conn);
  const claims = new BrokerClaims({
    exchange: 'bmcgw-c',
    log: createLogger('silent'),
    agent: { id, location: 'NL', url: `http://${id}` },
    keys: [KEY],
    clockSkewMs: 30_000,
    rejected: (r) => rejected.push(r),
  });
  claims.setup(conn);
  return { claims, conn };
}

const ok = (who: string): WireReply => ({ ok: true, result: { ranOn: who }, agent: { id: who, location: 'NL', url: '' } });

describe('BrokerClaims', () => {
  it('two agents, one request id: one runs, the other answers with its answer', async () => {
    const [a, b] = await Promise.all([agent('a'), agent('b')]);
    const runs: string[] = [];
    const slowly = (who: string) => async () => {
      runs.push(who);
      await new Promise((r) => setTimeout(r, 400));
      return ok(who);
    };
    const deadline = Date.now() + 10_000;
    const [ra, rb] = await Promise.all([a.claims.once('k1', deadline, slowly('a')), b.claims.once('k1', deadline, slowly('b'))]);
    expect(runs).toHaveLength(1);
    expect(ra.reply).toEqual(rb.reply);
    expect([ra.duplicate, rb.duplicate].sort()).toEqual([false, true]);
    // Later duplicates read the same stored answer; another id is another call.
    expect((await b.claims.once('k1', Date.now() + 5_000, slowly('b'))).reply).toEqual(ra.reply);
    expect((await b.claims.once('k2', Date.now() + 5_000, slowly('b'))).duplicate).toBe(false);
    expect(runs).toHaveLength(2);
  });

  it('the claiming agent dies before answering: its twin answers GW_ERR_REQUEST_IN_PROGRESS before the deadline and runs nothing', async () => {
    const [a, b] = await Promise.all([agent('a2'), agent('b2')]);
    let bRan = false;
    void a.claims.once('k3', Date.now() + 10_000, () => new Promise<WireReply>(() => {})); // never answers
    await new Promise((r) => setTimeout(r, 300));
    await a.conn.close(); // the agent is gone (as after SIGKILL: its connection drops)
    const deadline = Date.now() + 2_500;
    const r = await b.claims.once('k3', deadline, async () => {
      bRan = true;
      return ok('b2');
    });
    expect(bRan).toBe(false);
    expect(Date.now()).toBeLessThan(deadline);
    expect(r).toMatchObject({ duplicate: true, reply: { ok: false, error: { code: 'GW_ERR_REQUEST_IN_PROGRESS', status: 409 } } });
  });

  it('an answer put in the answer queue by someone without the key is never taken for the real one', async () => {
    const [a, b] = await Promise.all([agent('a5'), agent('b5')]);
    // A broker account that can publish plants a claim and an answer of its own for a request id
    // (declaring the queues as the agents do, so they keep the messages).
    const ch = await a.conn.createChannel();
    await ch.assertQueue('bmcgw-c.claim.k5', { durable: true, arguments: { 'x-expires': 600_000, 'x-max-length': 1, 'x-overflow': 'reject-publish' } });
    await ch.assertQueue('bmcgw-c.answer.k5', { durable: true, arguments: { 'x-expires': 600_000, 'x-max-length': 1 } });
    await ch.close();
    await vhost.publish('', 'bmcgw-c.claim.k5', { agent: 'mallory' }, {});
    const forged: WireReply = { ok: true, result: { scope: 'http://evil.example/console/x' }, agent: { id: 'nl-a', location: 'NL', url: '' } };
    await vhost.publish('', 'bmcgw-c.answer.k5', forged, {
      type: 'bmcgw.claim-answer',
      messageId: 'k5',
      headers: { 'x-bmcgw-key': 'nl-1', 'x-bmcgw-ts': Date.now(), 'x-bmcgw-sig': 'A'.repeat(43) },
    });
    let ran = false;
    const r = await b.claims.once('k5', Date.now() + 2_000, async () => {
      ran = true;
      return ok('b5');
    });
    expect(ran).toBe(false);
    expect(r.reply).toMatchObject({ ok: false, error: { code: 'GW_ERR_REQUEST_IN_PROGRESS' } });
    expect(rejected).toContain('forged');
  });

  it('no usable broker connection: the call is refused, not run unclaimed', async () => {
    const { claims, conn } = await agent('c');
    await conn.close();
    let ran = false;
    const r = await claims.once('k4', Date.now() + 5_000, async () => {
      ran = true;
      return ok('c');
    });
    expect(ran).toBe(false);
    expect(r.reply).toMatchObject({ ok: false, error: { code: 'GW_ERR_DISPATCH_UNAVAILABLE' } });
  });
});
