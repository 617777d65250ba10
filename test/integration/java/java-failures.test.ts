import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/load.js';
import { createLogger } from '../../../src/log.js';
import { javaProblem } from '../../../src/sources/jnlp/java-viewers.js';
import { startTestGateway, TEST_TOKEN } from '../../helpers/gateway.js';
import { startJavaScene, type JavaScene } from '../../helpers/java/scene.js';
import { eventually, openConsole, rest } from './java-console-suite.js';

// What goes wrong around a Java console, each with a clear answer and nothing left behind. The
// failures that do not depend on the runtime run with the process runtime (cheaper).

describe('Java consoles: limits, timeouts and JNLPs the gateway cannot run', () => {
  let scene: JavaScene;

  beforeAll(async () => {
    scene = await startJavaScene({ runtime: 'process', java: { maxSessions: 1, startTimeout: '5s' } });
  });
  afterAll(async () => {
    await scene?.close();
  });

  it('refuses a Java console past java.maxSessions with GW_ERR_TOO_MANY_JAVA_SESSIONS (503), and opens it once a place is free', async () => {
    const first = await openConsole(scene, 'j1');
    expect(first.status, JSON.stringify(first.body)).toBe(201);
    const refused = await openConsole(scene, 'j2');
    expect(refused.status).toBe(503);
    expect(refused.body.error.code).toBe('GW_ERR_TOO_MANY_JAVA_SESSIONS');
    expect(refused.body.error.message).toMatch(/maximum of 1 Java viewers \(java\.maxSessions\)/);
    // The first console is not harmed.
    expect((await rest(scene, 'GET', `/api/v1/sessions/${first.body.id}`)).body.state).toBe('connected');
    expect((await rest(scene, 'DELETE', `/api/v1/sessions/${first.body.id}`)).status).toBe(204);
    let again: { status: number; body: any } | undefined;
    await eventually(async () => (again = await openConsole(scene, 'j2')).status === 201, "j2 to open once j1's sandbox is gone");
    expect((await rest(scene, 'DELETE', `/api/v1/sessions/${again!.body.id}`)).status).toBe(204);
    await eventually(async () => (await scene.sandboxes()).total === 0 && scene.gw.registry.java!.running === 0, 'no sandbox left');
  });

  it('answers GW_ERR_BMC_TIMEOUT when the viewer shows no window within java.startTimeout, and removes its sandbox', async () => {
    const res = await openConsole(scene, 'hidden');
    expect(res.status).toBe(504);
    expect(res.body.error).toMatchObject({ code: 'GW_ERR_BMC_TIMEOUT' });
    expect(res.body.error.message).toMatch(/did not show a picture within 5000 ms \(java\.startTimeout\)/);
    await eventually(async () => (await scene.sandboxes()).total === 0 && scene.gw.registry.java!.running === 0, "the hidden viewer's sandbox removed");
  });

  it('answers JNLP and jar problems with the BMC error codes, starting no sandbox', async () => {
    const before = scene.reports.links.length;
    const cases: [string, number, string, RegExp][] = [
      ['wrong-password', 502, 'GW_ERR_BMC_AUTH_FAILED', /refused the configured credentials \(HTTP 401\)/],
      ['self-signed', 502, 'GW_ERR_BMC_UNREACHABLE', /certificate/i],
      ['applet', 502, 'GW_ERR_BMC_UNSUPPORTED', /<applet-desc> is not supported/],
      ['broken', 502, 'GW_ERR_BMC_PROTOCOL', /not well-formed XML/],
      ['not-a-jar', 502, 'GW_ERR_BMC_PROTOCOL', /is not a usable jar: no end-of-central-directory record/],
    ];
    for (const [id, status, code, message] of cases) {
      await eventually(() => scene.gw.registry.java!.running === 0, 'the place of the previous attempt given back');
      const res = await openConsole(scene, id);
      expect(res.status, `${id}: ${JSON.stringify(res.body)}`).toBe(status);
      expect(res.body.error.code, id).toBe(code);
      expect(res.body.error.message, `${id}: ${res.body.error.message}`).toMatch(message);
    }
    expect(scene.reports.links.length).toBe(before);
    expect((await scene.sandboxes()).total).toBe(0);
  });
});

describe('Java consoles where Java cannot run: GW_ERR_JAVA_UNAVAILABLE naming what is missing, and check-config warns', () => {
  const log = createLogger('silent');
  const config = (java: Record<string, unknown>) =>
    parseConfig(JSON.stringify({ servers: [{ id: 'j', console: { type: 'jnlp', jnlpUrl: 'https://127.0.0.1:9/x.jnlp' } }], java }), 't');

  it('check-config: no Docker engine, no image, no such user', async () => {
    expect(await javaProblem(config({ docker: { socket: '/nonexistent/docker.sock' } }), log)).toMatch(
      /the Docker engine at \/nonexistent\/docker\.sock does not answer: ENOENT \(java\.docker\.socket\)/,
    );
    expect(await javaProblem(config({ docker: { image: 'bmc-gateway-java:no-such-tag' } }), log)).toMatch(
      /no image "bmc-gateway-java:no-such-tag" \(java\.docker\.image\); build it with npm run build:images/,
    );
    expect(await javaProblem(config({ runtime: 'process', process: { user: 'no-such-user' } }), log)).toMatch(/no user "no-such-user" \(java\.process\.user\)/);
    expect(await javaProblem(config({ runtime: 'process' }), log)).toBeUndefined();
    expect(await javaProblem(parseConfig('servers: [{ id: v, console: { type: vnc, host: h } }]', 't'), log)).toBeUndefined();
  });

  it('the API answers GW_ERR_JAVA_UNAVAILABLE (503) with the same words, and the gateway keeps serving', async () => {
    const gw = await startTestGateway({
      tokens: [{ token: TEST_TOKEN, servers: ['*'] }],
      servers: [{ id: 'j', console: { type: 'jnlp', jnlpUrl: 'https://127.0.0.1:9/x.jnlp' } }],
      java: { docker: { socket: '/nonexistent/docker.sock' }, instanceId: 'test-unavailable' },
    });
    try {
      const res = await fetch(`${gw.url}/api/v1/sessions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TEST_TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ serverId: 'j' }),
      });
      expect(res.status).toBe(503);
      const body = (await res.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe('GW_ERR_JAVA_UNAVAILABLE');
      expect(body.error.message).toMatch(/\/nonexistent\/docker\.sock does not answer: ENOENT/);
      expect((await fetch(`${gw.url}/healthz`)).status).toBe(200);
    } finally {
      await gw.close();
    }
  });
});
