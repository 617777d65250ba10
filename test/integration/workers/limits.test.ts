import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemoServer, type DemoServer } from '../../../src/sources/demo/demo-server.js';
import { eqPhp, startTestGateway, TEST_TOKEN, type TestGateway } from '../../helpers/gateway.js';

/** sessions.maxSessions counts the sessions of every worker together (demo RFB servers as the BMCs). */
describe('workers: the gateway-wide session limit', () => {
  let demos: DemoServer[] = [];
  let gw: TestGateway;

  beforeAll(async () => {
    demos = await Promise.all([0, 1, 2].map(() => startDemoServer({ host: '127.0.0.1', port: 0 })));
    gw = await startTestGateway({
      workers: 2,
      tokens: [{ token: TEST_TOKEN, servers: ['*'] }],
      servers: demos.map((d, i) => ({ id: `d${i}`, console: { type: 'vnc', host: '127.0.0.1', port: d.port, password: d.password } })),
      sessions: { maxSessions: 2 },
    });
  }, 60_000);
  afterAll(async () => {
    await gw?.close();
    for (const d of demos) await d.close();
  });

  it('refuses a third session although each worker holds only one', async () => {
    for (const id of ['d0', 'd1']) expect((await eqPhp(gw, { action: 'novnc', token: TEST_TOKEN, id })).status).toBe(200);
    expect(gw.ctx.workers!.info().map((w) => w.sessions)).toEqual([1, 1]);
    const third = await eqPhp(gw, { action: 'novnc', token: TEST_TOKEN, id: 'd2' });
    expect(third.status).toBe(503);
    expect(third.body.error.code).toBe('GW_ERR_TOO_MANY_SESSIONS');
    // joining an existing session is not a new one
    expect((await eqPhp(gw, { action: 'novnc', token: TEST_TOKEN, id: 'd0' })).body.joined).toBe(true);
  }, 30_000);
});
