import { randomBytes } from 'node:crypto';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DockerApi } from '../../src/sources/jnlp/docker-api.js';
import { launchChromium, readCanvasRgb } from '../helpers/browser.js';
import { compareImages, isBlank } from '../helpers/images.js';
import { DOCKER_SOCKET } from '../helpers/java/java-image.js';
import { freePort } from '../helpers/ports.js';

// The gateway's own image (./Dockerfile; CI builds it with containers/build-images.sh gateway, or
// `docker build -t bmc-gateway .`): run as a container, it serves the demo, answers /healthz, and
// opens a console in Chromium.
const IMAGE = process.env.BMCGW_GATEWAY_IMAGE ?? 'bmc-gateway:local';

describe(`the gateway's container image (${IMAGE})`, () => {
  const api = new DockerApi(DOCKER_SOCKET);
  let id: string | undefined;
  let browser: Browser;
  let url: string;

  beforeAll(async () => {
    try {
      await api.ping();
    } catch (e) {
      throw new Error(`this test needs a Docker engine at ${DOCKER_SOCKET} (apt-get install docker.io; .ci/run starts dockerd): ${(e as Error).message}`);
    }
    if ((await api.imageLabels(IMAGE)) === undefined) throw new Error(`no image ${IMAGE}: build it with containers/build-images.sh gateway (CI: .ci/images)`);
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    // The engine here has no bridge network: host networking, the gateway on a loopback port of its own.
    id = await api.create(`bmcgw-gateway-test-${randomBytes(4).toString('hex')}`, {
      Image: IMAGE,
      Cmd: ['serve', '--listen', `127.0.0.1:${port}`],
      HostConfig: { NetworkMode: 'host', ReadonlyRootfs: true, CapDrop: ['ALL'] },
    });
    await api.start(id);
    browser = await launchChromium();
    const deadline = Date.now() + 60_000;
    for (;;) {
      const ok = await fetch(`${url}/healthz`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) break;
      if (Date.now() > deadline) throw new Error('the container never answered /healthz');
      await new Promise((r) => setTimeout(r, 250));
    }
  });

  afterAll(async () => {
    await browser?.close();
    if (id) await api.remove(id);
    await api.close();
  });

  it('runs as the unprivileged node user, answers /healthz and opens the demo console in Chromium', async () => {
    const inspect = (await api.inspect(id!)) as { Config: { User: string }; State: { Running: boolean } };
    expect(inspect.Config.User).toBe('node');
    expect(inspect.State.Running).toBe(true);
    // One worker process per core by default (src/workers/), forked inside the container as the node user.
    const health = (await (await fetch(`${url}/healthz`)).json()) as { status: string; sessions: number; workers: { ready: boolean }[] };
    expect(health).toMatchObject({ status: 'ok', sessions: 0 });
    expect(health.workers.length).toBeGreaterThan(0);
    expect(health.workers.every((w) => w.ready)).toBe(true);
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(`${url}/demo`);
    await page.waitForSelector('body[data-state="connected"]', { timeout: 30_000 });
    // "connected" comes when noVNC has the connection; its first picture can be drawn a moment later
    // (this read once found the canvas still blank in CI): wait for it.
    await expect.poll(async () => isBlank(await readCanvasRgb(page, '#screen canvas')), { timeout: 10_000 }).toBe(false);
    const before = await readCanvasRgb(page, '#screen canvas');
    expect(before.width).toBe(1024);
    expect(isBlank(before)).toBe(false);
    await page.click('#screen canvas');
    await page.keyboard.type('typed into the container');
    await expect
      .poll(async () => compareImages(await readCanvasRgb(page, '#screen canvas'), before, { region: { x: 0, y: 100, width: 1024, height: 668 } }).differing, {
        timeout: 10_000,
      })
      .toBeGreaterThan(100);
    await page.close();
  });
});
