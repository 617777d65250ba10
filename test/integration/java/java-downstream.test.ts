import { readdir, stat, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RabbitVhost, requireRabbit } from '../../helpers/amqp.js';
import { eqPhp, startTestGateway, TEST_TOKEN, type TestGateway } from '../../helpers/gateway.js';
import { startJavaScene, type JavaScene } from '../../helpers/java/scene.js';
import { expectConsoleShowsWindow } from '../../helpers/java/test-viewer.js';
import { eventually } from './java-console-suite.js';

// A Java console is just another console downstream: opened through an API front and RabbitMQ on
// the agent of its location, recorded, and reaped when nobody watches, its sandbox removed.

/** Dispatch messages are signed (docs/ARCHITECTURE.md, Dispatch): front and agent share this key. */
const DISPATCH_KEYS = [{ id: 'java-1', secret: 'java-dispatch-secret-0123456789-abcdef' }];

describe('Java console behind dispatch, recorded, reaped when idle (process runtime)', () => {
  let vhost: RabbitVhost;
  let agent: JavaScene;
  let front: TestGateway;
  let recordings: string;

  beforeAll(async () => {
    await requireRabbit();
    vhost = await RabbitVhost.create('bmcgw-java');
    recordings = await mkdtemp(join(tmpdir(), 'bmcgw-java-rec-'));
    agent = await startJavaScene({
      runtime: 'process',
      sessions: { idleTimeout: '3s' },
      recording: { dir: recordings, servers: ['j1'] },
      config: { dispatch: { amqp: vhost.url, role: 'agent', location: 'JV', requestTimeout: '60s', keys: DISPATCH_KEYS } },
    });
    front = await startTestGateway({
      tokens: [{ token: TEST_TOKEN, servers: ['*'] }],
      // The front only knows the server and its location; the agent has its console.
      servers: [{ id: 'j1', location: 'JV' }],
      dispatch: { amqp: vhost.url, role: 'front', requestTimeout: '60s', keys: DISPATCH_KEYS },
    });
  });
  afterAll(async () => {
    await front?.close();
    await agent?.close();
    await vhost?.delete();
    if (recordings) await rm(recordings, { recursive: true, force: true });
  });

  it('opens through the front on the agent, records what the viewer was shown, and ends when idle with its sandbox removed', async () => {
    let res: { status: number; body: any } | undefined;
    // The agent announces itself and its queue within a few seconds of starting.
    await eventually(
      async () => (res = await eqPhp(front, { action: 'novnc', token: TEST_TOKEN, id: 'j1' })).status === 200,
      'the front to reach the agent',
      60_000,
    );
    const body = res!.body;
    expect(body).toMatchObject({ result: 'OK', source: 'jnlp' });
    expect(body.scope.startsWith(agent.gw.url)).toBe(true);
    const link = await agent.reports.link(0);
    await expectConsoleShowsWindow(body.scope, link);
    const session = agent.gw.registry.list().find((s) => s.server.id === 'j1')!;
    await eventually(() => session.state === 'ended', 'the idle end', 30_000);
    expect(session.endCode).toBe('idle');
    await eventually(async () => (await agent.sandboxes()).total === 0, 'the sandbox removed');
    const files = (await readdir(recordings)).filter((f) => f.endsWith('.fbs'));
    expect(files).toHaveLength(1);
    expect((await stat(join(recordings, files[0]!))).size).toBeGreaterThan(1000);
  });
});
