import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eqPhp, startTestGateway, TEST_TOKEN, type TestGateway } from '../../helpers/gateway.js';
import { requireJavaImage } from '../../helpers/java/java-image.js';
import { LABEL_SERVER } from '../../../src/sources/jnlp/docker-runtime.js';
import { sandboxTraces } from '../../helpers/java/scene.js';
import { expectConsoleShowsWindow, TEST_VIEWER_MAIN, testViewerJars, ViewerReportServer } from '../../helpers/java/test-viewer.js';
import { atenConsole, BMC_PASSWORD, startAtenBmc, type AtenBmc } from '../aten/helpers.js';
import { eventually } from './java-console-suite.js';

// The Java path behind the ATEN BMC simulator's web login: `type: jnlp, template: supermicro`, and
// `type: aten, fallback: jnlp` when the native path is refused with GW_ERR_BMC_UNSUPPORTED (the
// KVM port wants mutual TLS; the video is in an encoding the gateway does not decode). The JNLP the
// simulator mints names the test viewer, with the ATEN arguments (one-time KVM credentials).

describe('Java consoles behind a Supermicro web login (ATEN BMC simulator)', () => {
  const bmcs: AtenBmc[] = [];
  let reports: ViewerReportServer;
  let gw: TestGateway;
  let cacheDir: string;
  const instanceId = `test-aten-${randomBytes(3).toString('hex')}`;
  let plain: AtenBmc;
  let mutualTls: AtenBmc;
  let oddVideo: AtenBmc;

  const bmc = async (kvm: Record<string, unknown>, web: Record<string, unknown> = {}) => {
    const jars = await testViewerJars();
    const b = await startAtenBmc({
      kvm: { width: 800, height: 600, ...kvm },
      web: {
        javaViewer: { jar: 'test-viewer.jar', mainClass: TEST_VIEWER_MAIN, properties: { 'bmcgw.test.report': reports.address } },
        files: { '/test-viewer.jar': jars.viewer },
        ...web,
      },
    });
    bmcs.push(b);
    return b;
  };

  beforeAll(async () => {
    await requireJavaImage();
    reports = new ViewerReportServer();
    await reports.listen();
    plain = await bmc({});
    mutualTls = await bmc({}, { tlsJnlp: true });
    oddVideo = await bmc({ videoEncoding: 0x58 });
    cacheDir = await mkdtemp(join(tmpdir(), 'bmcgw-jars-'));
    gw = await startTestGateway({
      tokens: [{ token: TEST_TOKEN, servers: ['*'] }],
      servers: [
        {
          id: 'template',
          console: {
            type: 'jnlp',
            template: 'supermicro',
            host: '127.0.0.1',
            webPort: plain.web.port,
            user: 'ADMIN',
            password: BMC_PASSWORD,
            insecureTls: true,
          },
        },
        { id: 'kvm-ssl', console: atenConsole(mutualTls, { fallback: 'jnlp' }) },
        { id: 'kvm-ssl-native-only', console: atenConsole(mutualTls) },
        { id: 'odd-video', console: atenConsole(oddVideo, { fallback: 'jnlp' }) },
        { id: 'wrong-password', console: atenConsole(mutualTls, { fallback: 'jnlp', password: 'not-the-password' }) },
        { id: 'native-works', console: atenConsole(plain, { fallback: 'jnlp' }) },
      ],
      java: { runtime: 'docker', instanceId, jarCache: { dir: cacheDir } },
    });
  });
  afterAll(async () => {
    await gw?.close();
    for (const b of bmcs) await b.close();
    await reports?.close();
    if (cacheDir) await rm(cacheDir, { recursive: true, force: true });
    expect((await sandboxTraces(instanceId)).total).toBe(0);
  });

  const session = (id: string) => gw.registry.list().find((s) => s.server.id === id)!;

  it('template: supermicro logs in on the web side, runs the JNLP it mints with its one-time arguments, and logs out only after the viewer is gone', async () => {
    const n = reports.links.length;
    const { status, body } = await eqPhp(gw, { action: 'novnc', token: TEST_TOKEN, id: 'template' });
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body.source).toBe('jnlp');
    const reqs = plain.web.requests.map((r) => `${r.method} ${r.url}`);
    expect(reqs.slice(0, 3)).toEqual(['POST /cgi/login.cgi', 'GET /cgi/url_redirect.cgi?url_name=ikvm&url_type=jwsk', 'GET /test-viewer.jar']);
    expect(new URLSearchParams(plain.web.requests[0]!.body).get('pwd')).toBe(BMC_PASSWORD);
    const link = await reports.link(n);
    const started = await link.waitFor((r) => r.event === 'started', 'the viewer');
    const args = started.args as string[];
    // The ATEN JNLP's arguments: host, the one-time KVM user and password, null, the KVM port, …
    expect(args).toHaveLength(8);
    expect(args[0]).toBe('127.0.0.1');
    expect(args[4]).toBe(String(plain.kvm.port));
    await expectConsoleShowsWindow(body.scope, link);
    expect(plain.web.logouts).toBe(0);
    session('template').end('test over', 'api');
    await eventually(() => plain.web.logouts === 1, 'the web logout');
    expect((await sandboxTraces(instanceId)).containers.filter((c) => c.State === 'running')).toHaveLength(0);
  });

  for (const [id, because] of [
    ['kvm-ssl', /asks for mutual TLS on its KVM port/],
    ['odd-video', /sends video the gateway does not decode: .*0x58/],
  ] as const) {
    it(`fallback: jnlp takes over when the native path says GW_ERR_BMC_UNSUPPORTED (${id}), and the API says which path serves the console`, async () => {
      const n = reports.links.length;
      const { status, body } = await eqPhp(gw, { action: 'novnc', token: TEST_TOKEN, id });
      expect(status, JSON.stringify(body)).toBe(200);
      expect(body.source).toBe('jnlp');
      const view = (await (await fetch(`${gw.url}/api/v1/sessions/${body.key}`, { headers: { authorization: `Bearer ${TEST_TOKEN}` } })).json()) as {
        fallback: { reason: string };
      };
      expect(view).toMatchObject({ serverId: id, source: 'jnlp', fallback: { from: 'aten', code: 'GW_ERR_BMC_UNSUPPORTED' } });
      expect(view.fallback.reason).toMatch(because);
      const link = await reports.link(n);
      await expectConsoleShowsWindow(body.scope, link);
      session(id).end('test over', 'api');
    });
  }

  it('without fallback the same board answers GW_ERR_BMC_UNSUPPORTED, naming the fallback', async () => {
    const { status, body } = await eqPhp(gw, { action: 'novnc', token: TEST_TOKEN, id: 'kvm-ssl-native-only' });
    expect(status).toBe(502);
    expect(body.error.code).toBe('GW_ERR_BMC_UNSUPPORTED');
    expect(body.error.message).toMatch(/mutual TLS.*kvmPort.*, or fallback: jnlp/);
  });

  it('errors Java cannot fix are answered as without a fallback: a wrong password starts no viewer', async () => {
    const n = reports.links.length;
    const { status, body } = await eqPhp(gw, { action: 'novnc', token: TEST_TOKEN, id: 'wrong-password' });
    expect(status).toBe(502);
    expect(body.error.code).toBe('GW_ERR_BMC_AUTH_FAILED');
    expect(reports.links.length).toBe(n);
    expect((await sandboxTraces(instanceId)).containers.filter((c) => c.Labels[LABEL_SERVER] === 'wrong-password')).toHaveLength(0);
  });

  it('a board the native path can serve stays on it', async () => {
    const { status, body } = await eqPhp(gw, { action: 'novnc', token: TEST_TOKEN, id: 'native-works' });
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body.source).toBe('aten');
    expect(session('native-works').sourceInfo.fallback).toBeUndefined();
    session('native-works').end('test over', 'api');
  });
});
