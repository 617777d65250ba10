import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemoServer, type DemoServer } from '../../src/sources/demo/demo-server.js';
import { launchChromium } from '../helpers/browser.js';
import { bundleCli, startCliGateway, type CliGateway } from '../helpers/cli-process.js';
import { startCloseUrlServer } from '../helpers/close-url-server.js';
import { startQemu, type QemuVm } from '../helpers/qemu.js';

const TOKEN = 'workers-e2e-token-01';
const OPERATOR = 'workers-e2e-operator-1';
type Json = Record<string, any>;

/**
 * `bmc-gateway serve` with `workers: 2` (a real process tree): a recorded QEMU console open in
 * Chromium with a Russian locale; the worker process holding it is SIGKILLed. The page says, in
 * Russian, that the gateway process holding the console stopped; the close URL is called once with
 * worker-crash; the recording is cut short; a new worker serves the next console; and after the
 * front itself is SIGKILLed and restarted, the crash journal does not call that close URL again.
 */
describe('workers: a worker killed under a console open in Chromium', () => {
  let vm: QemuVm;
  let demo: DemoServer;
  let browser: Browser;
  let entry: string;
  let dir: string;
  let panel: Awaited<ReturnType<typeof startCloseUrlServer>>;
  let gw: CliGateway | undefined;

  beforeAll(async () => {
    [vm, demo, browser, entry, dir, panel] = await Promise.all([
      startQemu({ mode: 'seabios' }),
      startDemoServer({ host: '127.0.0.1', port: 0 }),
      launchChromium(),
      bundleCli(),
      mkdtemp(join(tmpdir(), 'bmcgw-workers-e2e-')),
      startCloseUrlServer(),
    ]);
  }, 120_000);
  afterAll(async () => {
    await gw?.stop();
    await browser?.close();
    await Promise.all([vm?.stop(), panel?.close(), demo?.close()]);
    await rm(dir, { recursive: true, force: true });
  });

  const eq = async (id: string): Promise<Json> => {
    const res = await fetch(`${gw!.url}/eq.php`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ action: 'novnc', token: TOKEN, id, closeurl: panel.url }).toString(),
    });
    const body = (await res.json()) as Json;
    expect(body.result, JSON.stringify(body)).toBe('OK');
    return body;
  };
  const health = async (): Promise<Json> => JSON.parse(await (await fetch(`${gw!.url}/healthz`)).text());

  it('tells the page why (translated), calls the close URL once with worker-crash, and replaces the worker', async () => {
    const config = {
      workers: { count: 2, heartbeatTimeout: '2s' },
      tokens: [{ token: TOKEN, name: 'panel', servers: ['*'] }],
      operators: [{ token: OPERATOR, name: 'ops' }],
      servers: [
        { id: 'bios', name: 'web-bios', console: { type: 'vnc', host: '127.0.0.1', port: vm.vncPort } },
        { id: 'demo', console: { type: 'vnc', host: demo.host, port: demo.port, password: demo.password } },
      ],
      sessions: { closeUrlAllow: ['127.0.0.1'] },
      recording: { dir: join(dir, 'recordings') },
      stateDir: join(dir, 'state'),
      audit: { file: join(dir, 'audit.jsonl') },
    };
    gw = await startCliGateway(entry, config, { dir });
    const h0 = await health();
    expect(h0.workers).toHaveLength(2);

    const opened = await eq('bios');
    const ctx = await browser.newContext({ locale: 'ru-RU', viewport: { width: 1100, height: 800 } });
    const page = await ctx.newPage();
    await page.goto(opened.scope);
    await page.waitForSelector('body[data-state="connected"]', { timeout: 20_000 });
    // Let the recorder's once-a-second fdatasync pass.
    await new Promise((r) => setTimeout(r, 2000));

    const holder = (await health()).workers.find((w: Json) => w.sessions === 1);
    expect(holder).toBeDefined();
    process.kill(holder.pid, 'SIGKILL');

    await page.waitForSelector('body[data-state="ended"]', { timeout: 15_000 });
    await expect.poll(() => page.textContent('#message'), { timeout: 10_000 }).toContain('процесс шлюза');
    await expect.poll(() => panel.calls.length, { timeout: 15_000 }).toBe(1);
    expect(panel.calls[0]!.body).toMatchObject({ sessionId: opened.key, serverId: 'bios', code: 'worker-crash' });
    expect(panel.calls[0]!.query).toMatchObject({ reason: 'worker-crash', session: opened.key });
    const audit = (await readFile(join(dir, 'audit.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Json);
    expect(audit.filter((e) => e.action === 'console.end' && e.session === opened.key).map((e) => e.detail.endCode)).toEqual(['worker-crash']);
    const list = (await (await fetch(`${gw.url}/api/v1/recordings`, { headers: { authorization: `Bearer ${OPERATOR}` } })).json()) as Json;
    expect(list.recordings).toHaveLength(1);
    expect(list.recordings[0]).toMatchObject({ serverId: 'bios', live: false });
    expect(list.recordings[0].cutShort).toBeTruthy();

    // A replacement process in the dead one's place; the next console opens and draws.
    await expect.poll(async () => (await health()).workers.filter((w: Json) => w.ready && w.pid !== holder.pid).length, { timeout: 20_000 }).toBe(2);
    const next = await eq('demo');
    const p2 = await browser.newPage({ viewport: { width: 1100, height: 800 } });
    await p2.goto(next.scope);
    await p2.waitForSelector('body[data-state="connected"]', { timeout: 20_000 });
    await p2.close();
    await ctx.close();

    // The front dies too: the journal knows the worker-crash call was made, so the next start calls nothing again for it.
    const port = gw.port;
    await gw.kill();
    const callsBefore = panel.calls.filter((c) => c.body.sessionId === opened.key).length;
    gw = await startCliGateway(entry, config, { dir, port });
    // The demo session (alive when the front died) is called with crash: proof the journal was read.
    await expect.poll(() => panel.calls.some((c) => c.body.sessionId === next.key && c.body.code === 'crash'), { timeout: 15_000 }).toBe(true);
    expect(panel.calls.filter((c) => c.body.sessionId === opened.key)).toHaveLength(callsBefore);
  }, 150_000);
});
