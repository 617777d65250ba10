import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestGateway, TEST_TOKEN, type TestGateway } from '../gateway.js';
import { requirePeer } from '../require-peer.js';
import { JnlpWebServer } from './jnlp-server.js';
import { testViewerJars, testViewerJnlp, ViewerReportServer } from './test-viewer.js';
import { requireJavaImage } from './java-image.js';

export const JNLP_USER = 'jnlp-admin';
/** The BMC password of the jnlpUrl console: it must never appear in `ps`, `docker inspect` or a log. */
export const JNLP_PASSWORD = `bmc-pw-${randomBytes(6).toString('hex')}`;
/** A JNLP argument and property value standing in for credentials some vendors put there. */
export const ARG_SECRET = `arg-secret-${randomBytes(6).toString('hex')}`;
export const PROP_SECRET = `prop-secret-${randomBytes(6).toString('hex')}`;

export interface JavaScene {
  web: JnlpWebServer;
  reports: ViewerReportServer;
  gw: TestGateway;
  /** The viewer's jar path on the web server. */
  jarPath: string;
  close(): Promise<void>;
}

export interface JavaSceneOptions {
  runtime: 'docker' | 'process';
  /** Extra `java:` keys (maxSessions, startTimeout, …). */
  java?: Record<string, unknown>;
  /** Extra servers beside "j1" (the jnlpUrl console) and "j2" (a second one on the same web server). */
  servers?: Record<string, unknown>[];
  /** Window size the viewer opens with. */
  size?: string;
  sessions?: Record<string, unknown>;
  recording?: Record<string, unknown>;
}

/**
 * The whole Java console setup: the test viewer's jars behind an HTTPS server with Basic auth, the
 * report server its windows connect to, and a gateway with two jnlpUrl consoles ("j1", "j2"), its
 * jar cache in a fresh folder and a fresh instance id.
 */
export async function startJavaScene(o: JavaSceneOptions): Promise<JavaScene> {
  for (const [bin, pkg] of [['java', 'openjdk-17-jre-headless'], ['Xvfb', 'xvfb'], ['x11vnc', 'x11vnc'], ['xwininfo', 'x11-utils']] as const) {
    if (o.runtime === 'process') requirePeer(bin, pkg);
  }
  if (o.runtime === 'docker') await requireJavaImage();
  const jars = await testViewerJars();
  const web = new JnlpWebServer(JNLP_USER, JNLP_PASSWORD);
  const reports = new ViewerReportServer();
  await Promise.all([web.listen(), reports.listen()]);
  const jarPath = '/app/jars/test-viewer.jar';
  web.files.set(jarPath, jars.viewer);
  web.files.set('/app/jars/natives-linux.jar', jars.natives);
  web.jnlp = (base) =>
    testViewerJnlp({
      // The codebase names another host, as a BMC behind NAT does: jars still come from the JNLP's origin.
      codebase: `${base.replace('127.0.0.1', '10.255.255.1')}app/`,
      jars: ['jars/test-viewer.jar'],
      nativeJars: ['jars/natives-linux.jar'],
      args: ['first argument', 'with "quotes" and \\ backslash', ARG_SECRET, '@not-an-argfile'],
      properties: { 'bmcgw.test.report': reports.address, 'bmcgw.test.size': o.size ?? '640x480', 'bmcgw.test.secret': PROP_SECRET },
    });
  const cacheDir = await mkdtemp(join(tmpdir(), 'bmcgw-jars-'));
  const console = (extra: Record<string, unknown> = {}) => ({ type: 'jnlp', jnlpUrl: web.jnlpUrl, user: JNLP_USER, password: JNLP_PASSWORD, insecureTls: true, ...extra });
  const gw = await startTestGateway({
    tokens: [{ token: TEST_TOKEN, servers: ['*'] }],
    servers: [{ id: 'j1', name: 'java-board', console: console() }, { id: 'j2', console: console() }, ...(o.servers ?? [])],
    java: { runtime: o.runtime, instanceId: `test-${randomBytes(4).toString('hex')}`, jarCache: { dir: cacheDir }, ...o.java },
    ...(o.sessions ? { sessions: o.sessions } : {}),
    ...(o.recording ? { recording: o.recording } : {}),
  });
  return {
    web,
    reports,
    gw,
    jarPath,
    async close() {
      await gw.close();
      await Promise.all([web.close(), reports.close()]);
      await rm(cacheDir, { recursive: true, force: true });
    },
  };
}
