import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemoServer, type DemoServer } from '../../../src/sources/demo/demo-server.js';
import { expectConverges, fbImage, wsUrlOf } from '../../helpers/converge.js';
import { eqPhp, TEST_TOKEN } from '../../helpers/gateway.js';
import { isBlank } from '../../helpers/images.js';
import { startJavaScene, type JavaScene } from '../../helpers/java/scene.js';
import { WsRfbClient } from '../../helpers/ws-rfb-client.js';
import { eventually, openConsole, rest } from '../java/java-console-suite.js';

/**
 * `workers: 2` with a Java viewer console beside plain VNC ones: the Java console lives in the front
 * (one process manages the Java sandboxes), the VNC console in a worker, and every API call, page,
 * status and viewer socket reaches whichever holds the session. The Java viewer is the test viewer
 * from a JNLP (process runtime); the VNC BMCs are our demo RFB servers.
 */
describe('worker processes with a Java viewer console: it stays in the front, the rest in the workers', () => {
  let scene: JavaScene;
  let demos: DemoServer[] = [];
  const viewers: WsRfbClient[] = [];

  beforeAll(async () => {
    demos = await Promise.all([startDemoServer({ host: '127.0.0.1', port: 0 }), startDemoServer({ host: '127.0.0.1', port: 0 })]);
    scene = await startJavaScene({
      runtime: 'process',
      servers: demos.map((d, i) => ({ id: `demo${i + 1}`, console: { type: 'vnc', host: '127.0.0.1', port: d.port, password: d.password } })),
      // sessions.maxSessions is for the whole gateway: the front's Java consoles and the workers' count together.
      sessions: { idleTimeout: '1h', maxSessions: 2 },
      config: { workers: 2 },
    });
  }, 120_000);
  afterAll(async () => {
    for (const v of viewers) v.close();
    await scene?.close();
    await Promise.all(demos.map((d) => d.close()));
    if (scene) expect((await scene.sandboxes()).total, 'sandboxes left after the gateway closed').toBe(0);
  });

  it('opens, lists, shows and ends both kinds, and counts them together against sessions.maxSessions', async () => {
    const pool = scene.gw.ctx.workers!;
    expect(pool.info().map((w) => w.ready)).toEqual([true, true]);

    const vnc = await openConsole(scene, 'demo1');
    expect(vnc.status, JSON.stringify(vnc.body)).toBe(201);
    expect(pool.workerOf(vnc.body.id)).toBeDefined();
    expect(scene.gw.registry.get(vnc.body.id)).toBeUndefined();

    // eq.php, as a hosting panel opens it: the Java console is this process's own session.
    const java = await eqPhp(scene.gw, { action: 'novnc', token: TEST_TOKEN, id: 'j1' });
    expect(java.status, JSON.stringify(java.body)).toBe(200);
    const javaId: string = java.body.key;
    const javaSession = scene.gw.registry.get(javaId);
    expect(javaSession?.server.id).toBe('j1');
    expect(pool.workerOf(javaId)).toBeUndefined();
    expect(pool.sessionCount()).toBe(1);
    // A second open of the Java server joins it, here too.
    const again = await eqPhp(scene.gw, { action: 'novnc', token: TEST_TOKEN, id: 'j1' });
    expect(again.body).toMatchObject({ joined: true, key: javaId });

    // The unused key's page (with the front's own preview) and the status of both kinds of key.
    const page = await fetch(again.body.scope);
    expect(page.status).toBe(200);
    expect(await page.text()).toMatch(/<img id="preview"[^>]* src="data:image\/png;base64,/);
    for (const scope of [vnc.body.url as string, java.body.scope as string]) {
      const st = (await (await fetch(`${scope.replace('/console/', '/api/v1/viewer/')}/status`)).json()) as { state: string };
      expect(st.state, scope).toBe('connected');
    }

    // Viewers of both: the Java one shows the Java window as X shows it; the VNC one streams from its worker.
    const jv = new WsRfbClient(wsUrlOf(java.body.scope));
    const vv = new WsRfbClient(wsUrlOf(vnc.body.url));
    viewers.push(jv, vv);
    await Promise.all([jv.ready(), vv.ready()]);
    const link = await scene.reports.link(0);
    await expectConverges(
      () => fbImage(jv.fb!),
      () => link.capture(),
      "the front's Java console vs the Java window as X shows it",
    );
    await vv.waitFor(() => vv.updates > 0, 15_000);
    expect(isBlank(fbImage(vv.fb!))).toBe(false);

    // The API lists both, gets each from where it lives, and both have thumbnails.
    const list = await rest(scene, 'GET', '/api/v1/sessions');
    expect(list.body.sessions.map((s: { serverId: string }) => s.serverId).sort()).toEqual(['demo1', 'j1']);
    for (const [id, server] of [
      [vnc.body.id, 'demo1'],
      [javaId, 'j1'],
    ]) {
      const got = await rest(scene, 'GET', `/api/v1/sessions/${id}`);
      expect(got.body, server).toMatchObject({ serverId: server, state: 'connected' });
      const png = await fetch(`${scene.gw.url}/api/v1/sessions/${id}/thumbnail.png`, { headers: { authorization: `Bearer ${TEST_TOKEN}` } });
      expect(png.status, server).toBe(200);
    }
    const health = (await (await fetch(`${scene.gw.url}/healthz`)).json()) as { sessions: number };
    expect(health.sessions).toBe(2);

    // Two sessions, one in each place: a third is refused wherever it would have gone.
    for (const id of ['j2', 'demo2']) {
      const refused = await openConsole(scene, id);
      expect(refused.status, `${id}: ${JSON.stringify(refused.body)}`).toBe(503);
      expect(refused.body.error.code, id).toBe('GW_ERR_TOO_MANY_SESSIONS');
    }

    // Each ends where it lives; the Java sandbox goes with its session.
    expect((await rest(scene, 'DELETE', `/api/v1/sessions/${javaId}`)).status).toBe(204);
    expect((await rest(scene, 'DELETE', `/api/v1/sessions/${vnc.body.id}`)).status).toBe(204);
    await eventually(async () => (await scene.sandboxes()).total === 0 && scene.gw.registry.java!.running === 0, 'the sandbox removed');
    await eventually(() => pool.sessionCount() === 0, "the worker's session ended");
    expect((await rest(scene, 'GET', '/api/v1/sessions')).body.sessions).toEqual([]);
    // With both gone there is room again, in the front as in the workers.
    const reopened = await openConsole(scene, 'demo2');
    expect(reopened.status, JSON.stringify(reopened.body)).toBe(201);
    expect((await rest(scene, 'DELETE', `/api/v1/sessions/${reopened.body.id}`)).status).toBe(204);
  }, 120_000);
});
