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
  const claims = new BrokerClaims({ exchange: 'bmcgw-c', log: createLogger('silent'), agent: { id, location: 'NL', url: `http://${id}` } });
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
