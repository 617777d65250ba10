import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer as createTlsServer } from 'node:tls';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DockerApi } from '../../../src/sources/jnlp/docker-api.js';
import { LABEL_SERVER, LABEL_SESSION } from '../../../src/sources/jnlp/docker-runtime.js';
import { RELAXED_JAVA_SECURITY } from '../../../src/sources/jnlp/launch-files.js';
import { selfSignedCertificate } from '../../helpers/aten/self-signed.js';
import { requirePeer } from '../../helpers/require-peer.js';
import { startCloseUrlServer } from '../../helpers/close-url-server.js';
import { expectConverges, fbImage, wsUrlOf } from '../../helpers/converge.js';
import { TEST_TOKEN } from '../../helpers/gateway.js';
import { compareImages, crop, describeComparison } from '../../helpers/images.js';
import { DOCKER_SOCKET } from '../../helpers/java/java-image.js';
import { ARG_SECRET, JNLP_PASSWORD, PROP_SECRET, startJavaScene, type JavaScene } from '../../helpers/java/scene.js';
import { patternImage, TEST_VIEWER_MAIN, testViewerJars, TEXT_STRIP, type ViewerLink } from '../../helpers/java/test-viewer.js';
import { keyEventsFor } from '../../helpers/keysyms.js';
import { WsRfbClient } from '../../helpers/ws-rfb-client.js';

export async function rest(scene: JavaScene, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${scene.gw.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${TEST_TOKEN}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

export async function openConsole(scene: JavaScene, serverId: string, extra: Record<string, unknown> = {}): Promise<{ status: number; body: any }> {
  return rest(scene, 'POST', '/api/v1/sessions', { serverId, ...extra });
}

/** Polls until `cond` holds (bounded); throws naming `what`. */
export async function eventually(cond: () => Promise<boolean> | boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The viewer's window above its text strip must be the test pattern, computed here independently. */
function expectPattern(img: { width: number; height: number; rgb: Buffer }): void {
  const region = { x: 0, y: 0, width: img.width, height: img.height - TEXT_STRIP };
  const c = compareImages(crop(img, region), patternImage(region.width, region.height));
  expect(c.differing, describeComparison(c)).toBe(0);
}

/** The tests every runtime must pass: the same console through `docker` and `process`. */
export function javaConsoleSuite(runtime: 'docker' | 'process'): void {
  describe(`Java console, ${runtime} runtime: the test viewer from a JNLP behind HTTPS with Basic auth`, () => {
    let scene: JavaScene;
    let link: ViewerLink;

    beforeAll(async () => {
      scene = await startJavaScene({ runtime, sessions: { idleTimeout: '1h' } });
    });
    afterAll(async () => {
      await scene?.close();
      if (scene) expect((await scene.sandboxes()).total, 'sandboxes left after the gateway closed').toBe(0);
    });

    it('runs the JNLP: Basic auth, arguments and properties, native libraries, relaxed TLS; the console shows its window pixel for pixel and follows a resize', async () => {
      const { status, body } = await openConsole(scene, 'j1');
      expect(status, JSON.stringify(body)).toBe(201);
      expect(body).toMatchObject({ serverId: 'j1', source: 'jnlp', fallback: null, state: 'connected', width: 640, height: 480 });
      link = await scene.reports.link(0);
      const started = await link.waitFor((r) => r.event === 'started', 'the start report');
      // Arguments arrive exactly (quotes, backslashes, a leading @), and only the Linux/amd64 resources apply.
      expect(started.args).toEqual(['first argument', 'with "quotes" and \\ backslash', ARG_SECRET, '@not-an-argfile']);
      const props = started.properties as Record<string, string>;
      expect(props['bmcgw.test.secret']).toBe(PROP_SECRET);
      expect(props['bmcgw.test.windows']).toBeUndefined();
      expect(props['java.security.properties']).toMatch(/\/java\.security$/);
      // Only the top-level library of the nativelib jar, in java.library.path.
      expect(started.nativeLibraries).toEqual(['libbmcgwtest.so']);
      // Inside the sandbox the JDK's TLS restrictions are lifted.
      expect(started.tlsDisabledAlgorithms).toBe('');
      // Every request carried the Basic auth; the jars came from the JNLP's origin although its codebase names another host.
      expect(scene.web.requests.every((r) => r.authorized)).toBe(true);
      expect(scene.web.fetched('/app/viewer.jnlp')).toBe(1);
      expect(scene.web.fetched(scene.jarPath)).toBe(1);

      const v = new WsRfbClient(wsUrlOf(body.url));
      try {
        await v.ready();
        await expectConverges(
          () => fbImage(v.fb!),
          () => link.capture(),
          "the viewer's picture vs the Java window as X shows it",
        );
        expectPattern(fbImage(v.fb!));
        // The viewer grows its window: the console follows (DesktopSize) and still shows exactly the window.
        link.send('resize 800 600');
        await v.waitFor(() => v.fb!.width === 800 && v.fb!.height === 600);
        await expectConverges(
          () => fbImage(v.fb!),
          () => link.capture(),
          'the picture after the resize',
        );
        expectPattern(fbImage(v.fb!));
      } finally {
        v.close();
      }
      // A second console of the same JNLP: the JNLP again (it may carry one-time values), the jar from the cache.
      const second = await openConsole(scene, 'j2');
      expect(second.status, JSON.stringify(second.body)).toBe(201);
      expect(scene.web.fetched('/app/viewer.jnlp')).toBe(2);
      expect(scene.web.fetched(scene.jarPath)).toBe(1);
      expect((await rest(scene, 'DELETE', `/api/v1/sessions/${second.body.id}`)).status).toBe(204);
    });

    it("relaxes the JDK's TLS rules inside the sandbox only: the viewer reaches a TLS 1.0 BMC, the host's Java does not", async () => {
      const { key, cert } = selfSignedCertificate();
      const old = createTlsServer({ key, cert, minVersion: 'TLSv1', maxVersion: 'TLSv1', ciphers: 'AES128-SHA:@SECLEVEL=0' }, (s) => s.end());
      old.on('tlsClientError', () => {});
      await new Promise<void>((r) => old.listen(0, '127.0.0.1', r));
      const port = (old.address() as { port: number }).port;
      const dir = await mkdtemp(join(tmpdir(), 'bmcgw-tls-'));
      try {
        const from = link.reports.length;
        link.send(`tls 127.0.0.1 ${port}`);
        const inside = await link.waitFor((r) => r.event === 'tls', 'the TLS probe', 30_000, from);
        expect(inside.result).toMatch(/^ok TLSv1 TLS_RSA_WITH_AES_128_CBC_SHA$/);
        // The same class on the host's JDK, as installed: TLS 1.0 is disabled there, and stays so.
        const jar = join(dir, 'viewer.jar');
        await writeFile(jar, (await testViewerJars()).viewer);
        const java = requirePeer('java', 'openjdk-17-jre');
        // (async: the TLS server answering it runs on this process's event loop)
        const probe = async (...opts: string[]) =>
          (
            await promisify(execFile)(java, [...opts, '-cp', jar, TEST_VIEWER_MAIN, '--tls-probe', '127.0.0.1', String(port)], {
              encoding: 'utf8',
              timeout: 60_000,
            })
          ).stdout.trim();
        expect(await probe()).toMatch(/^error javax\.net\.ssl\.SSLHandshakeException: No appropriate protocol/);
        const security = join(dir, 'java.security');
        await writeFile(security, RELAXED_JAVA_SECURITY);
        expect(await probe(`-Djava.security.properties=${security}`)).toMatch(/^ok TLSv1 /);
      } finally {
        old.close();
        await rm(dir, { recursive: true, force: true });
      }
    });

    it('keeps the BMC password and the JNLP arguments and properties out of every command line, the container settings and the log', async () => {
      const secrets = [JNLP_PASSWORD, ARG_SECRET, PROP_SECRET];
      let cmdlines = 0;
      for (const pid of await readdir('/proc')) {
        if (!/^\d+$/.test(pid)) continue;
        const cmd = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
        cmdlines++;
        for (const s of secrets) expect(cmd.includes(s), `pid ${pid}: ${cmd.replace(/\0/g, ' ')}`).toBe(false);
      }
      expect(cmdlines).toBeGreaterThan(10);
      // (j2's sandbox, ended by the previous test, is removed in the background)
      await eventually(async () => (await scene.sandboxes()).containers.length <= 1, "j2's container removed");
      const traces = await scene.sandboxes();
      if (runtime === 'docker') {
        expect(traces.containers).toHaveLength(1);
        const c = traces.containers[0]!;
        expect(c.Labels[LABEL_SERVER]).toBe('j1');
        expect(c.Labels[LABEL_SESSION]).toBe(scene.gw.registry.list().find((s) => s.server.id === 'j1')!.id);
        const api = new DockerApi(DOCKER_SOCKET);
        try {
          const inspect = await api.inspect(c.Id);
          const text = JSON.stringify(inspect);
          for (const s of secrets) expect(text.includes(s)).toBe(false);
          const host = (inspect as { HostConfig: Record<string, unknown> }).HostConfig;
          expect(host).toMatchObject({
            ReadonlyRootfs: true,
            CapDrop: ['ALL'],
            SecurityOpt: ['no-new-privileges'],
            Privileged: false,
            NetworkMode: 'host',
            PidsLimit: 512,
          });
          expect(host.Memory).toBe(768 * 1024 * 1024);
          expect((inspect as { Config: { User: string } }).Config.User).toBe('10001:10001');
        } finally {
          await api.close();
        }
      } else {
        // The viewer runs as the unprivileged java.process.user (the tests run as root).
        expect(traces.processes.length).toBeGreaterThan(0);
        for (const pid of traces.processes) {
          const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
          if (status) expect(/^Uid:\s+(\d+)/m.exec(status)![1]).toBe('65534');
        }
      }
      const log = scene.logText();
      expect(log).toContain('java-viewer-ready');
      for (const s of secrets) expect(log.includes(s), `${s} in the log`).toBe(false);
    });

    it('serves two viewers from one sandbox; a view-only viewer cannot type; thumbnails come from the same picture', async () => {
      const s = scene.gw.registry.list().find((x) => x.server.id === 'j1')!;
      const a = await openConsole(scene, 'j1');
      const b = await openConsole(scene, 'j1', { viewOnly: true });
      expect([a.status, b.status]).toEqual([200, 200]);
      expect([a.body.id, b.body.id]).toEqual([s.id, s.id]);
      const va = new WsRfbClient(wsUrlOf(a.body.url));
      const vb = new WsRfbClient(wsUrlOf(b.body.url));
      try {
        await Promise.all([va.ready(), vb.ready()]);
        const from = link.reports.length;
        for (const k of keyEventsFor('Ab1!')) vb.key(k.keysym, k.down); // view-only: dropped at the gateway
        for (const k of keyEventsFor('Hi #2')) va.key(k.keysym, k.down);
        await link.waitFor((r) => r.event === 'typed' && r.char === '2', 'the typed text', 30_000, from);
        expect(
          link.reports
            .slice(from)
            .filter((r) => r.event === 'typed')
            .map((r) => r.char)
            .join(''),
        ).toBe('Hi #2');
        await expectConverges(
          () => fbImage(va.fb!),
          () => link.capture(),
          'viewer A vs the window',
        );
        await expectConverges(
          () => fbImage(vb.fb!),
          () => fbImage(va.fb!),
          'viewer B vs viewer A',
        );
        expect((await scene.sandboxes()).containers.length).toBe(runtime === 'docker' ? 1 : 0);
        const png = await fetch(`${scene.gw.url}/api/v1/sessions/${s.id}/thumbnail.png`, { headers: { authorization: `Bearer ${TEST_TOKEN}` } });
        expect(png.status).toBe(200);
        expect(
          Buffer.from(await png.arrayBuffer())
            .subarray(1, 4)
            .toString(),
        ).toBe('PNG');
      } finally {
        va.close();
        vb.close();
      }
    });

    for (const [what, command, reason] of [
      ['exits', 'exit 3', /^BMC connection failed: the Java viewer exited with code 3$/],
      ['crashes', 'crash', /^BMC connection failed: the Java viewer was killed by SIGABRT \(exit code 134\)$/],
    ] as const) {
      it(`ends the session when the viewer ${what}: the reason on the page, the close URL called, nothing left`, async () => {
        const close = await startCloseUrlServer();
        try {
          const n = scene.reports.links.length;
          const opened = await openConsole(scene, 'j2', { closeUrl: close.url });
          expect(opened.status, JSON.stringify(opened.body)).toBe(201);
          const viewer = await scene.reports.link(n);
          await viewer.waitFor((r) => r.event === 'shown', 'the window');
          const key = opened.body.url.split('/console/')[1];
          const v = new WsRfbClient(wsUrlOf(opened.body.url));
          await v.ready();
          viewer.send(command);
          await eventually(() => close.calls.length > 0, 'the close URL call');
          expect(close.calls[0]!.body).toMatchObject({ sessionId: opened.body.id, serverId: 'j2', code: 'viewer-exited' });
          expect(close.calls[0]!.body.reason).toMatch(reason);
          // What the console page shows: the status endpoint of its (used) key.
          const page = await (await fetch(`${scene.gw.url}/api/v1/viewer/${key}/status`)).json();
          expect(JSON.stringify(page)).toMatch(/Java viewer/);
          await v.closed();
          await eventually(async () => (await scene.sandboxes()).containers.every((c) => c.Labels[LABEL_SERVER] !== 'j2'), 'the container removed');
        } finally {
          await close.close();
        }
      });
    }
  });
}
