import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigReader } from '../../../src/config/reader.js';
import { validate } from '../../../src/config/load.js';
import { startDemoServer, type DemoServer } from '../../../src/sources/demo/demo-server.js';
import { eqPhp, startTestGateway, TEST_TOKEN, type TestGateway } from '../../helpers/gateway.js';
import { WsRfbClient } from '../../helpers/ws-rfb-client.js';

/**
 * A SIGHUP reload (Gateway.applyConfig, what the signal handler calls) with `workers: 2`: the
 * sessions live in the worker processes, so the front must pass the new servers on and have the
 * workers end the sessions of removed and changed servers; a kept server's session streams on.
 */
describe('configuration reload with worker processes', () => {
  let demos: DemoServer[] = [];
  let gw: TestGateway;
  const viewers: WsRfbClient[] = [];
  const vnc = (d: DemoServer) => ({ type: 'vnc', host: '127.0.0.1', port: d.port, password: d.password });
  const raw = (servers: unknown[]) => ({ workers: 2, tokens: [{ token: TEST_TOKEN, servers: ['*'] }], servers });

  beforeAll(async () => {
    demos = await Promise.all([startDemoServer({ host: '127.0.0.1', port: 0 }), startDemoServer({ host: '127.0.0.1', port: 0 })]);
    gw = await startTestGateway(
      raw([
        { id: 'keep', console: vnc(demos[0]!) },
        { id: 'change', name: 'Before', console: vnc(demos[1]!) },
        { id: 'remove', console: vnc(demos[1]!) },
      ]),
    );
  }, 60_000);

  afterAll(async () => {
    for (const v of viewers) v.close();
    await gw?.close();
    for (const d of demos) await d.close();
  });

  async function open(id: string) {
    const { status, body } = await eqPhp(gw, { action: 'novnc', token: TEST_TOKEN, id });
    expect(status, JSON.stringify(body)).toBe(200);
    const v = new WsRfbClient((body.scope as string).replace(/^http/, 'ws').replace('/console/', '/ws/'));
    viewers.push(v);
    await v.ready();
    await v.waitFor(() => v.updates > 0, 15_000);
    return { key: (body.scope as string).split('/').pop()!, v };
  }

  it("ends the changed and removed servers' sessions in their workers, opens an added server there, and the kept session streams on", async () => {
    const keep = await open('keep');
    const change = await open('change');
    const remove = await open('remove');
    expect(new Set(gw.ctx.workers!.info().map((w) => w.sessions))).not.toEqual(new Set([0])); // they live in the workers

    const r = new ConfigReader();
    const next = validate(
      r,
      {
        listen: `127.0.0.1:${gw.port}`,
        publicUrl: gw.url,
        ...raw([
          { id: 'keep', console: vnc(demos[0]!) },
          { id: 'change', name: 'After', console: vnc(demos[1]!) },
          { id: 'added', console: vnc(demos[0]!) },
        ]),
      },
      'test',
    );
    expect(r.problems).toEqual([]);
    const result = gw.applyConfig(next!);
    expect(result).toMatchObject({ added: ['added'], removed: ['remove'], changed: ['change'], ended: 2 });

    await Promise.all([change.v.closed(), remove.v.closed()]);
    expect(change.v.closeReason).toContain("the server's configuration changed");
    expect(remove.v.closeReason).toContain('the server was removed from the configuration');
    const status = (await (await fetch(`${gw.url}/api/v1/viewer/${change.key}/status`)).json()) as { code: string };
    expect(status.code).toBe('config-changed');

    const before = keep.v.updates;
    await keep.v.waitFor(() => keep.v.updates >= before + 2, 10_000);
    expect(keep.v.closeCode).toBeUndefined();
    await open('added');
    const reopened = await open('change'); // the changed entry opens a new session
    expect(reopened.v.closeCode).toBeUndefined();
  }, 90_000);
});
