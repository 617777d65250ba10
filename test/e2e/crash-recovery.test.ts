import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../helpers/browser.js';
import { bundleCli, startCliGateway, type CliGateway } from '../helpers/cli-process.js';
import { startCloseUrlServer } from '../helpers/close-url-server.js';
import { startQemu, type QemuVm } from '../helpers/qemu.js';
import { WsRfbClient } from '../helpers/ws-rfb-client.js';

const TOKEN = 'crash-test-token-001';
const OPERATOR = 'crash-test-operator-01';

type Json = Record<string, any>;

/**
 * Nothing lost in a crash: a real gateway process holding a recorded console (QEMU's VNC server as
 * the BMC) is killed with SIGKILL; at its next start it calls the session's close URL with code
 * `crash`, once, and the replay page in Chromium plays the recording up to the crash and says it
 * was cut short.
 */
describe('a gateway killed with SIGKILL', () => {
  let vm: QemuVm;
  let browser: Browser;
  let entry: string;
  let dir: string;
  let panel: Awaited<ReturnType<typeof startCloseUrlServer>>;
  let gw: CliGateway | undefined;

  beforeAll(async () => {
    [vm, browser, entry, dir, panel] = await Promise.all([
      startQemu({ mode: 'seabios' }),
      launchChromium(),
      bundleCli(),
      mkdtemp(join(tmpdir(), 'bmcgw-crash-')),
      startCloseUrlServer(),
    ]);
  }, 120_000);
  afterAll(async () => {
    await gw?.stop();
    await browser?.close();
    await Promise.all([vm?.stop(), panel?.close()]);
    await rm(dir, { recursive: true, force: true });
  });

  it('calls the close URL with code crash at the next start, and the replay page shows the recording cut short', async () => {
    const config = {
      tokens: [{ token: TOKEN, name: 'panel', servers: ['*'] }],
      operators: [{ token: OPERATOR, name: 'ops' }],
      servers: [{ id: 'bios', console: { type: 'vnc', host: '127.0.0.1', port: vm.vncPort } }],
      sessions: { closeUrlAllow: ['127.0.0.1'] },
      recording: { dir: join(dir, 'recordings') },
      stateDir: join(dir, 'state'),
      audit: { file: join(dir, 'audit.jsonl') },
    };
    gw = await startCliGateway(entry, config, { dir });
    const res = await fetch(`${gw.url}/eq.php`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ action: 'novnc', token: TOKEN, id: 'bios', closeurl: panel.url }).toString(),
    });
    const opened = (await res.json()) as Json;
    expect(opened.result, JSON.stringify(opened)).toBe('OK');
    const viewer = new WsRfbClient(`${gw.url.replace('http', 'ws')}/ws/${new URL(opened.scope).pathname.split('/').pop()}`);
    await viewer.ready();
    await viewer.waitFor(() => viewer.updates > 1, 20_000);
    // Let the recorder's once-a-second fdatasync pass, as any running console would.
    await new Promise((r) => setTimeout(r, 2500));
    const port = gw.port;
    await gw.kill();
    viewer.close();
    expect(panel.attempts).toBe(0);

    gw = await startCliGateway(entry, config, { dir, port });
    await expect.poll(() => panel.calls.length, { timeout: 15_000 }).toBe(1);
    expect(panel.calls[0]!.body).toMatchObject({ sessionId: opened.key, serverId: 'bios', code: 'crash' });
    expect(panel.calls[0]!.query).toMatchObject({ panel: '1', reason: 'crash', session: opened.key });

    const list = (await (await fetch(`${gw.url}/api/v1/recordings`, { headers: { authorization: `Bearer ${OPERATOR}` } })).json()) as Json;
    expect(list.recordings).toHaveLength(1);
    const rec = list.recordings[0];
    expect(rec.cutShort).toMatch(/stopped unexpectedly/);
    const info = (await (await fetch(`${gw.url}/api/v1/recordings/${rec.id}`, { headers: { authorization: `Bearer ${OPERATOR}` } })).json()) as Json;
    expect(info.blocks).toBeGreaterThan(1);

    const page = await browser.newPage({ viewport: { width: 1100, height: 800 } });
    await page.goto(`${gw.url}/replay/${rec.id}`);
    await page.fill('#token', OPERATOR);
    await page.click('#signin button[type="submit"]');
    await page.waitForSelector('body[data-state="connected"]', { timeout: 20_000 });
    expect(await page.getAttribute('body', 'data-cut-short')).toBe('yes');
    expect(await page.textContent('#message')).toMatch(/cut short: the gateway stopped unexpectedly/);
    await page.close();

    // The audit trail has the open before the crash and the crash end after it.
    const audit = (await readFile(config.audit.file, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Json);
    expect(audit.find((a) => a.action === 'console.open')).toMatchObject({
      who: 'panel',
      server: 'bios',
      session: opened.key,
      outcome: 'ok',
      from: '127.0.0.1',
    });
    expect(audit.find((a) => a.action === 'console.end' && a.session === opened.key)).toMatchObject({
      who: 'gateway',
      detail: { endCode: 'crash', recovered: true },
    });

    // Told once: a clean restart calls nobody again.
    await gw.stop();
    gw = await startCliGateway(entry, config, { dir, port });
    await new Promise((r) => setTimeout(r, 1500));
    expect(panel.attempts).toBe(1);
  }, 120_000);
});
