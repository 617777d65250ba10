import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SseParser } from '../../../web/src/common/sse-parser.js';
import { startDemoServer, type DemoServer } from '../../../src/sources/demo/demo-server.js';
import { startCloseUrlServer } from '../../helpers/close-url-server.js';
import { eqPhp, startTestGateway, TEST_TOKEN, type TestGateway } from '../../helpers/gateway.js';
import { isBlank } from '../../helpers/images.js';
import { pngImage } from '../../helpers/png.js';
import { freePort } from '../../helpers/ports.js';
import { startQemu, type QemuVm } from '../../helpers/qemu.js';
import { WsRfbClient } from '../../helpers/ws-rfb-client.js';
import { createLogger } from '../../../src/log.js';
import { CrashJournal } from '../../../src/session/crash-journal.js';

const PASSWORD = 'workers-pw';
const OPERATOR = 'workers-operator-0123';
const ws = (scope: string) => scope.replace(/^http/, 'ws').replace('/console/', '/ws/');
const keyOf = (scope: string) => scope.split('/').pop()!;

/**
 * `workers: 2`: console sessions in two worker processes behind the front. QEMU's SeaBIOS and our
 * demo RFB servers (a clock that redraws twice a second: a session that keeps streaming) are the BMCs.
 */
describe('worker processes: sessions spread, a dead or hung worker ends only its sessions and is replaced', () => {
  let vm: QemuVm;
  let demos: DemoServer[] = [];
  let panel: Awaited<ReturnType<typeof startCloseUrlServer>>;
  let gw: TestGateway;
  let dir: string;
  const viewers: WsRfbClient[] = [];
  let closed = false;
  const opened = new Map<string, { body: any; v: WsRfbClient }>();

  beforeAll(async () => {
    vm = await startQemu({ mode: 'seabios', vncPassword: PASSWORD });
    await vm.waitForScreen((s) => !isBlank(s), 30_000);
    demos = await Promise.all([startDemoServer({ host: '127.0.0.1', port: 0 }), startDemoServer({ host: '127.0.0.1', port: 0 })]);
    panel = await startCloseUrlServer();
    dir = mkdtempSync(join(tmpdir(), 'bmcgw-workers-'));
    process.env.BMCGW_WORKER_TEST_HOOKS = '1'; // inherited by the workers: the busy-loop test below
    gw = await startTestGateway({
      workers: { count: 2, heartbeatTimeout: '1s' },
      stateDir: join(dir, 'state'),
      audit: { file: join(dir, 'audit.jsonl') },
      tokens: [{ token: TEST_TOKEN, servers: ['*'] }],
      operators: [{ token: OPERATOR, name: 'ops' }],
      servers: [
        { id: 'bios', console: { type: 'vnc', host: '127.0.0.1', port: vm.vncPort, password: PASSWORD } },
        ...demos.map((d, i) => ({ id: `demo${i + 1}`, console: { type: 'vnc', host: '127.0.0.1', port: d.port, password: d.password } })),
        // nothing listens there: the worker's error reaches the caller unchanged
        { id: 'dead', console: { type: 'vnc', host: '127.0.0.1', port: await freePort(), connectTimeout: '3s' } },
      ],
      sessions: { closeUrlAllow: ['127.0.0.1'] },
    });
  }, 120_000);

  afterAll(async () => {
    for (const v of viewers) v.close();
    if (!closed) await gw?.close();
    for (const d of demos) await d.close();
    await panel?.close();
    await vm?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
    delete process.env.BMCGW_WORKER_TEST_HOOKS;
  });

  const callFor = (session: string) => panel.calls.find((c) => c.body.sessionId === session);
  const pool = () => gw.ctx.workers!;
  const status = async (scope: string): Promise<any> => (await fetch(`${gw.url}/api/v1/viewer/${keyOf(scope)}/status`)).json();
  const audit = () =>
    readFileSync(join(dir, 'audit.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));

  async function open(id: string) {
    const { status: code, body } = await eqPhp(gw, { action: 'novnc', token: TEST_TOKEN, id, closeurl: panel.url });
    expect(code, JSON.stringify(body)).toBe(200);
    const v = new WsRfbClient(ws(body.scope));
    viewers.push(v);
    await v.ready();
    await v.waitFor(() => v.updates > 0);
    opened.set(id, { body, v });
    return { body, v };
  }

  /** The viewer goes on receiving updates (the demo's clock redraws twice a second). */
  async function streams(v: WsRfbClient) {
    const before = v.updates;
    await v.waitFor(() => v.updates >= before + 2, 10_000);
    expect(v.closeCode).toBeUndefined();
  }

  it('spreads sessions over the workers; each session is wholly in one; the API lists them all', async () => {
    expect(
      pool()
        .info()
        .map((w) => w.ready),
    ).toEqual([true, true]);
    const pids = pool()
      .info()
      .map((w) => w.pid);
    expect(new Set(pids).size).toBe(2);
    expect(pids).not.toContain(process.pid);

    const a = await open('bios');
    const b = await open('demo1');
    const wa = pool().workerOf(a.body.key);
    const wb = pool().workerOf(b.body.key);
    expect(wa).toBeDefined();
    expect(wb).toBeDefined();
    expect(wa).not.toBe(wb);
    // the front holds no session itself
    expect(gw.registry.list()).toHaveLength(0);
    // a second open of the same server joins the same session in the same worker (pooling across workers)
    const again = await eqPhp(gw, { action: 'novnc', token: TEST_TOKEN, id: 'demo1' });
    expect(again.body).toMatchObject({ joined: true, key: b.body.key });
    // the unused key's page carries the worker's picture of the console (src/session/preview.ts)
    const page = await (await fetch(again.body.scope)).text();
    const m = /<img id="preview"[^>]* src="data:image\/png;base64,([A-Za-z0-9+/=]+)">/.exec(page);
    expect(m, 'the page has a preview').not.toBeNull();
    const preview = pngImage(Buffer.from(m![1]!, 'base64'));
    expect([preview.width, preview.height]).toEqual([b.v.fb!.width, b.v.fb!.height]);
    expect(isBlank(preview)).toBe(false);

    const list = (await (await fetch(`${gw.url}/api/v1/sessions`, { headers: { authorization: `Bearer ${TEST_TOKEN}` } })).json()) as {
      sessions: { serverId: string }[];
    };
    expect(list.sessions.map((s: { serverId: string }) => s.serverId).sort()).toEqual(['bios', 'demo1']);
    const health = await (await fetch(`${gw.url}/healthz`)).json();
    expect(health).toMatchObject({ status: 'ok', sessions: 2 });
    const metrics = await (await fetch(`${gw.url}/metrics`)).text();
    expect(metrics).toMatch(/^bmcgw_sessions 2$/m);
    expect(metrics).toMatch(/^bmcgw_viewers\{view_only="false"\} 2$/m);
    const png = await fetch(`${gw.url}/api/v1/sessions/${b.body.key}/thumbnail.png`, { headers: { authorization: `Bearer ${TEST_TOKEN}` } });
    expect(png.status).toBe(200);
    expect(
      Buffer.from(await png.arrayBuffer())
        .subarray(1, 4)
        .toString(),
    ).toBe('PNG');
    expect((await status(a.body.scope)).state).toBe('connected');
    // the fleet dashboard's feed lists the workers' sessions
    const seen: string[][] = [];
    const feed = request(`${gw.url}/api/v1/fleet/events`, { headers: { authorization: `Bearer ${OPERATOR}` } }, (res) => {
      const parser = new SseParser();
      res.setEncoding('utf8');
      res.on('data', (text: string) => {
        for (const e of parser.feed(text))
          if (e.event === 'sessions') seen.push((JSON.parse(e.data) as { sessions: { serverId: string }[] }).sessions.map((x) => x.serverId).sort());
      });
      res.on('error', () => {});
    });
    feed.on('error', () => {});
    feed.end();
    try {
      await expect.poll(() => seen.some((l) => l.join() === 'bios,demo1'), { timeout: 10_000 }).toBe(true);
    } finally {
      feed.destroy();
    }
    // errors raised in a worker reach the caller with their code and status
    const dead = await eqPhp(gw, { action: 'novnc', token: TEST_TOKEN, id: 'dead' });
    expect(dead.status).toBe(502);
    expect(dead.body.error.code).toBe('GW_ERR_BMC_UNREACHABLE');
    const unknown = await eqPhp(gw, { action: 'novnc', token: TEST_TOKEN, id: 'nope' });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('GW_ERR_UNKNOWN_SERVER');
  }, 60_000);

  it('a worker SIGKILLed ends only its sessions (close URL worker-crash, page told why) and is replaced; the other worker streams on', async () => {
    const { body: biosSession, v: bios } = opened.get('bios')!;
    const { v: demo } = opened.get('demo1')!;
    const victim = pool().workerOf(biosSession.key)!;
    const victimPid = pool().info()[victim]!.pid!;
    process.kill(victimPid, 'SIGKILL');

    await bios.closed();
    await expect.poll(() => callFor(biosSession.key), { timeout: 10_000 }).toBeDefined();
    expect(callFor(biosSession.key)!.body).toMatchObject({ serverId: 'bios', code: 'worker-crash' });
    expect(callFor(biosSession.key)!.body.reason).toMatch(/worker process .* stopped unexpectedly .*SIGKILL/);
    // the console page asks why its socket closed: the code it translates, and the sentence
    const st = await status(biosSession.scope);
    expect(st).toMatchObject({ state: 'ended', code: 'worker-crash' });
    // the other worker's session never noticed
    await streams(demo);
    expect(panel.calls.filter((c) => c.body.serverId !== 'bios')).toHaveLength(0);
    expect(audit().some((e) => e.action === 'console.end' && e.session === biosSession.key && e.detail?.endCode === 'worker-crash')).toBe(true);

    // replaced: a new process in the same place takes new sessions
    await expect.poll(() => pool().info()[victim]!.ready && pool().info()[victim]!.pid !== victimPid, { timeout: 20_000 }).toBe(true);
    const c = await open('demo2');
    expect(pool().workerOf(c.body.key)).toBe(victim);
    await streams(c.v);
    // and the server whose session died opens again
    const reopened = await open('bios');
    expect(reopened.body.joined).toBe(false);
  }, 90_000);

  it('a worker stuck in a busy loop is killed after workers.heartbeatTimeout; only its sessions end; the replacement serves', async () => {
    const { v: demo1, body: demo1Session } = opened.get('demo1')!;
    const { body: biosSession } = opened.get('bios')!; // reopened after the SIGKILL, in the replacement
    const stuck = pool().workerOf(biosSession.key)!;
    expect(stuck).not.toBe(pool().workerOf(demo1Session.key));
    const stuckPid = pool().info()[stuck]!.pid!;
    pool().testBusyLoop(stuck, 60_000);

    await expect.poll(() => callFor(biosSession.key), { timeout: 15_000 }).toBeDefined();
    expect(callFor(biosSession.key)!.body).toMatchObject({ serverId: 'bios', code: 'worker-crash' });
    expect(callFor(biosSession.key)!.body.reason).toMatch(/no heartbeat .* hung event loop/);
    expect(await status(biosSession.scope)).toMatchObject({ state: 'ended', code: 'worker-crash' });
    await streams(demo1);
    expect(callFor(demo1Session.key)).toBeUndefined();
    await expect.poll(() => pool().info()[stuck]!.ready && pool().info()[stuck]!.pid !== stuckPid, { timeout: 20_000 }).toBe(true);
    // demo2 was in the same worker: reopen it in the replacement for the next test
    expect(callFor(opened.get('demo2')!.body.key)?.body.code).toBe('worker-crash');
    await open('demo2');
    expect(pool().workerOf(opened.get('demo2')!.body.key)).toBe(stuck);
  }, 60_000);

  it('a hung worker (stopped: no heartbeat, as a busy loop) is killed after workers.heartbeatTimeout; only its sessions end', async () => {
    const { v: demo1, body: demo1Session } = opened.get('demo1')!;
    const { body: demo2Key, v: demo2 } = opened.get('demo2')!;
    const hung = pool().workerOf(demo2Key.key)!;
    expect(hung).not.toBe(pool().workerOf(demo1Session.key));
    const hungPid = pool().info()[hung]!.pid!;
    // Two more viewer keys for the same console, to arrive while the worker is stopped.
    const late = await Promise.all([1, 2].map(() => eqPhp(gw, { action: 'novnc', token: TEST_TOKEN, id: 'demo2' })));
    for (const l of late) expect(l.body).toMatchObject({ joined: true });
    process.kill(hungPid, 'SIGSTOP');
    // Their sockets go to the stopped worker: the first waits for the acknowledgement that never
    // comes, the second waits behind it in child_process's queue. Both are cut when the worker is
    // killed (the queued one only because the pool cuts it: child_process drops it silently).
    const lateViewers = late.map((l) => new WsRfbClient(ws(l.body.scope)));
    viewers.push(...lateViewers);
    for (const v of lateViewers) v.ready().catch(() => {});

    await expect.poll(() => callFor(demo2Key.key), { timeout: 15_000 }).toBeDefined();
    expect(callFor(demo2Key.key)!.body).toMatchObject({ serverId: 'demo2', code: 'worker-crash' });
    expect(callFor(demo2Key.key)!.body.reason).toMatch(/no heartbeat/);
    await demo2.closed();
    for (const v of lateViewers) {
      await v.closed();
      expect(v.updates).toBe(0);
    }
    expect(await status(demo2Key.scope)).toMatchObject({ state: 'ended', code: 'worker-crash' });
    await streams(demo1);
    expect(callFor(demo1Session.key)).toBeUndefined();
    await expect.poll(() => pool().info()[hung]!.ready && pool().info()[hung]!.pid !== hungPid, { timeout: 20_000 }).toBe(true);
  }, 60_000);

  it('a clean shutdown: each worker ends its sessions (close URL shutdown) and the crash journal is left with nothing to call', async () => {
    const live = ['demo1', 'bios'].map((id) => opened.get(id)!.body.key as string).filter((k) => pool().workerOf(k) !== undefined);
    expect(live.length).toBeGreaterThan(0);
    closed = true;
    await gw.close();
    for (const k of live) expect(callFor(k)?.body.code).toBe('shutdown');
    expect(
      pool()
        .info()
        .every((w) => !w.ready),
    ).toBe(true);
    // What the next start would call: nothing (every open, end and settled call reached the front's journal).
    expect(new CrashJournal(join(dir, 'state'), createLogger('silent')).recover()).toEqual([]);
  }, 30_000);
});
