import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DockerApi, type ContainerSummary } from '../../../src/sources/jnlp/docker-api.js';
import { LABEL_INSTANCE } from '../../../src/sources/jnlp/docker-runtime.js';
import { logCollector, startTestGateway, TEST_TOKEN, type TestGateway } from '../gateway.js';
import { requirePeer } from '../require-peer.js';
import { JnlpWebServer } from './jnlp-server.js';
import { testViewerJars, testViewerJnlp, ViewerReportServer } from './test-viewer.js';
import { DOCKER_SOCKET, requireJavaImage } from './java-image.js';

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
  runtime: 'docker' | 'process';
  instanceId: string;
  /** The viewer's jar path on the web server. */
  jarPath: string;
  /** Every log line of the gateway so far (trace level). */
  logText(): string;
  /** What of this gateway instance's sandboxes exists now: containers, processes, session folders. */
  sandboxes(): Promise<SandboxTraces>;
  close(): Promise<void>;
}

export interface SandboxTraces {
  containers: ContainerSummary[];
  /** Pids whose command line names this instance's work folder (process runtime). */
  processes: number[];
  /** Session folders left in the work folder (process runtime). */
  dirs: string[];
  total: number;
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
  /** Further top-level keys (dispatch, …). */
  config?: Record<string, unknown>;
}

export const VIEWER_JAR_PATH = '/app/jars/test-viewer.jar';

/**
 * The HTTPS server with Basic auth that serves the test viewer's JNLPs and jars: `viewer` (reporting
 * to `reports`), `hidden` (never shows a window), `applet`, `broken` (not XML), `not-a-jar`.
 */
export async function startViewerWeb(reports: ViewerReportServer, size = '640x480'): Promise<JnlpWebServer> {
  const jars = await testViewerJars();
  const web = new JnlpWebServer(JNLP_USER, JNLP_PASSWORD);
  await web.listen();
  web.files.set(VIEWER_JAR_PATH, jars.viewer);
  web.files.set('/app/jars/natives-linux.jar', jars.natives);
  const viewerJnlp =
    (props: Record<string, string> = {}) =>
    (base: string) =>
      testViewerJnlp({
        // The codebase names another host, as a BMC behind NAT does: jars still come from the JNLP's origin.
        codebase: `${base.replace('127.0.0.1', '10.255.255.1')}app/`,
        jars: ['jars/test-viewer.jar'],
        nativeJars: ['jars/natives-linux.jar'],
        args: ['first argument', 'with "quotes" and \\ backslash', ARG_SECRET, '@not-an-argfile'],
        properties: { 'bmcgw.test.report': reports.address, 'bmcgw.test.size': size, 'bmcgw.test.secret': PROP_SECRET, ...props },
      });
  web.jnlps.set('viewer', viewerJnlp());
  web.jnlps.set('hidden', viewerJnlp({ 'bmcgw.test.hideWindow': 'true' }));
  web.jnlps.set(
    'applet',
    () => '<jnlp><resources><jar href="jars/test-viewer.jar"/></resources><applet-desc main-class="A" name="a" width="1" height="1"/></jnlp>',
  );
  web.jnlps.set('broken', () => '<jnlp><resources><jar href="jars/test-viewer.jar"/></resources><application-desc>');
  web.jnlps.set('not-a-jar', () => '<jnlp><resources><jar href="viewer.jnlp"/></resources><application-desc main-class="a.B"/></jnlp>');
  return web;
}

/** A jnlpUrl console on `web` (JNLP `name`), with the right credentials unless `extra` says otherwise. */
export function viewerConsole(web: JnlpWebServer, name = 'viewer', extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { type: 'jnlp', jnlpUrl: web.jnlpUrl(name), user: JNLP_USER, password: JNLP_PASSWORD, insecureTls: true, ...extra };
}

/**
 * The whole Java console setup: the test viewer's jars behind an HTTPS server with Basic auth, the
 * report server its windows connect to, and a gateway with jnlpUrl consoles: "j1" and "j2" (the
 * test viewer), "hidden" (never shows a window), "applet", "broken" (not XML), "not-a-jar",
 * "wrong-password", "self-signed" (without insecureTls); its jar cache in a fresh folder, a fresh
 * instance id.
 */
export async function startJavaScene(o: JavaSceneOptions): Promise<JavaScene> {
  for (const [bin, pkg] of [
    ['java', 'openjdk-17-jre-headless'],
    ['Xvfb', 'xvfb'],
    ['x11vnc', 'x11vnc'],
    ['xwininfo', 'x11-utils'],
  ] as const) {
    if (o.runtime === 'process') requirePeer(bin, pkg);
  }
  if (o.runtime === 'docker') await requireJavaImage();
  const reports = new ViewerReportServer();
  await reports.listen();
  const web = await startViewerWeb(reports, o.size);
  const jarPath = VIEWER_JAR_PATH;
  const cacheDir = await mkdtemp(join(tmpdir(), 'bmcgw-jars-'));
  const instanceId = `test-${randomBytes(4).toString('hex')}`;
  const log = logCollector();
  const console = (name = 'viewer', extra: Record<string, unknown> = {}) => viewerConsole(web, name, extra);
  const gw = await startTestGateway(
    {
      tokens: [{ token: TEST_TOKEN, servers: ['*'] }],
      servers: [
        { id: 'j1', name: 'java-board', console: console() },
        { id: 'j2', console: console() },
        { id: 'hidden', console: console('hidden') },
        { id: 'applet', console: console('applet') },
        { id: 'broken', console: console('broken') },
        { id: 'not-a-jar', console: console('not-a-jar') },
        { id: 'wrong-password', console: console('viewer', { password: 'not-the-password' }) },
        { id: 'self-signed', console: console('viewer', { insecureTls: false }) },
        ...(o.servers ?? []),
      ],
      java: { runtime: o.runtime, instanceId, jarCache: { dir: cacheDir }, ...o.java },
      // The tests' close URL servers listen on loopback, which sessions.closeUrlAllow refuses unless listed.
      sessions: { closeUrlAllow: ['127.0.0.1'], ...o.sessions },
      ...(o.recording ? { recording: o.recording } : {}),
      ...o.config,
    },
    { log: { level: 'trace', stream: log.stream } },
  );
  return {
    web,
    reports,
    gw,
    runtime: o.runtime,
    instanceId,
    jarPath,
    logText: () => log.text(),
    sandboxes: () => sandboxTraces(instanceId),
    async close() {
      await gw.close();
      await Promise.all([web.close(), reports.close()]);
      await rm(cacheDir, { recursive: true, force: true });
    },
  };
}

/** The containers, processes and session folders of gateway instance `instanceId`. */
export async function sandboxTraces(instanceId: string): Promise<SandboxTraces> {
  const api = new DockerApi(DOCKER_SOCKET);
  let containers: ContainerSummary[] = [];
  try {
    containers = await api.list(`${LABEL_INSTANCE}=${instanceId}`);
  } catch {
    // no Docker engine: only the process runtime can have left anything
  } finally {
    await api.close();
  }
  const root = join(tmpdir(), `bmc-gateway-java-${instanceId}`);
  const processes: number[] = [];
  for (const pid of await readdir('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    const cmd = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (cmd.includes(root)) processes.push(Number(pid));
  }
  const dirs = await readdir(root).catch(() => [] as string[]);
  return { containers, processes, dirs, total: containers.length + processes.length + dirs.length };
}
