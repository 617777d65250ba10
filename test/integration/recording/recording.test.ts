import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { summarizeRecording } from '../../../bench/fbs-screen.js';
import { ReplayServer } from '../../../bench/replay-server.js';
import { readFbs } from '../../../protocols/fbs/index.js';
import type { Framebuffer } from '../../../protocols/rfb/framebuffer.js';
import { eqPhp, startTestGateway, TEST_TOKEN, type TestGateway } from '../../helpers/gateway.js';
import { sameScreen } from '../../helpers/converge.js';
import { isBlank } from '../../helpers/images.js';
import { freePort } from '../../helpers/ports.js';
import { startQemu, type QemuVm } from '../../helpers/qemu.js';
import { WsRfbClient } from '../../helpers/ws-rfb-client.js';

const OPERATOR = 'operator-token-0123456789';

function wsUrl(scope: string): string {
  return scope.replace(/^http/, 'ws').replace('/console/', '/ws/');
}

async function until(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('session recording against QEMU, replayed through the gateway', () => {
  let vm: QemuVm;
  let gw: TestGateway;
  let dir: string;
  let recordingId: string;
  let recordedScreen: Framebuffer;

  beforeAll(async () => {
    vm = await startQemu({ mode: 'seabios' });
    await vm.waitForScreen((s) => !isBlank(s), 30_000);
    dir = await mkdtemp(join(tmpdir(), 'bmcgw-rec-'));
    gw = await startTestGateway({
      tokens: [{ token: TEST_TOKEN, servers: ['*'] }],
      operators: [{ token: OPERATOR, name: 'ops' }],
      servers: [
        { id: 'qemu', console: { type: 'vnc', host: '127.0.0.1', port: vm.vncPort } },
        { id: 'unrecorded', console: { type: 'vnc', host: '127.0.0.1', port: vm.vncPort } },
        { id: 'dead', console: { type: 'vnc', host: '127.0.0.1', port: await freePort(), connectTimeout: '2s' } },
      ],
      recording: { dir, servers: ['qemu', 'dead'] },
    });
  }, 120_000);

  afterAll(async () => {
    await gw?.close();
    await vm?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("records what two typing viewers were shown, and both viewers' input to the side file", async () => {
    const a = await eqPhp(gw, { action: 'novnc', token: TEST_TOKEN, id: 'qemu' });
    expect(a.status, JSON.stringify(a.body)).toBe(200);
    const b = await eqPhp(gw, { action: 'novnc', token: TEST_TOKEN, id: 'qemu' });
    const session = gw.registry.get(a.body.key)!;
    const v1 = new WsRfbClient(wsUrl(a.body.scope));
    const v2 = new WsRfbClient(wsUrl(b.body.scope));
    await Promise.all([v1.ready(), v2.ready()]);
    await v1.waitFor(() => sameScreen(v1.fb, session.fb));
    // Two people type (SeaBIOS ignores it; the audit trail must not).
    v1.key(0x61, true);
    v1.key(0x61, false);
    v2.key(0x62, true);
    v2.key(0x62, false);
    v2.pointer(10, 20, 1);
    await until(() => session.stats.lastInputAt !== undefined, 5000, 'input to reach the session');
    await new Promise((r) => setTimeout(r, 300));
    const viewerIds = [...session.viewers].map((v) => v.id);
    expect(viewerIds).toHaveLength(2);

    const list = await fetch(`${gw.url}/api/v1/recordings`, { headers: { authorization: `Bearer ${OPERATOR}` } });
    expect(list.status).toBe(200);
    const { recordings } = (await list.json()) as { recordings: { id: string; serverId: string; live: boolean }[] };
    expect(recordings).toHaveLength(1);
    expect(recordings[0]).toMatchObject({ serverId: 'qemu', live: true });
    recordingId = recordings[0]!.id;
    // A customer token may not list recordings.
    const denied = await fetch(`${gw.url}/api/v1/recordings`, { headers: { authorization: `Bearer ${TEST_TOKEN}` } });
    expect(denied.status).toBe(403);
    expect(((await denied.json()) as { error: { code: string } }).error.code).toBe('GW_ERR_OPERATOR_ONLY');

    const finalScreen = session.fb;
    session.end('test done');
    v1.close();
    v2.close();
    // The recorder closes its files asynchronously after the end.
    await new Promise((r) => setTimeout(r, 500));

    const lines = (await readFile(join(dir, `${recordingId}.input.jsonl`), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    // Two sockets: the order between viewers is not fixed, the order within one viewer is.
    const keysOf = (keysym: number): unknown[] => lines.filter((l) => l.type === 'key' && l.keysym === keysym).map((l) => [l.viewer, l.down]);
    const typedA = keysOf(0x61);
    const typedB = keysOf(0x62);
    expect(typedA).toHaveLength(2);
    expect(typedB).toHaveLength(2);
    const [viewerA] = typedA[0] as [string];
    const [viewerB] = typedB[0] as [string];
    expect(typedA).toEqual([
      [viewerA, true],
      [viewerA, false],
    ]);
    expect(typedB).toEqual([
      [viewerB, true],
      [viewerB, false],
    ]);
    expect(new Set([viewerA, viewerB])).toEqual(new Set(viewerIds));
    expect(lines.find((l) => l.type === 'pointer')).toMatchObject({ viewer: viewerB, x: 10, y: 20, buttonMask: 1 });
    for (const l of lines) expect(typeof l.t === 'number' && typeof l.at === 'string').toBe(true);

    // The file is a clean FBS recording whose last frame is what the viewers were shown.
    const file = await readFile(join(dir, `${recordingId}.fbs`));
    expect(file.subarray(0, 12).toString('latin1')).toBe('FBS 001.000\n');
    expect(readFbs(file).error).toBeUndefined();
    const summary = summarizeRecording(join(dir, `${recordingId}.fbs`));
    expect(summary.updates).toBeGreaterThan(0);
    expect(sameScreen(summary.fb, finalScreen)).toBe(true);
    recordedScreen = summary.fb;

    // The unrecorded server made no file.
    const u = await eqPhp(gw, { action: 'novnc', token: TEST_TOKEN, id: 'unrecorded' });
    gw.registry.get(u.body.key)!.end('test done');
    // A recorded server whose BMC never answered leaves no empty recording behind.
    const dead = await eqPhp(gw, { action: 'novnc', token: TEST_TOKEN, id: 'dead' });
    expect(dead.status).toBe(502);
    await new Promise((r) => setTimeout(r, 300));
    const after = (await (await fetch(`${gw.url}/api/v1/recordings`, { headers: { authorization: `Bearer ${OPERATOR}` } })).json()) as {
      recordings: unknown[];
    };
    expect(after.recordings).toHaveLength(1);
    expect((await readdir(dir)).sort()).toEqual([`${recordingId}.fbs`, `${recordingId}.input.jsonl`]);
  }, 60_000);

  it("replayed by the replay server through the gateway, a viewer ends on the recording's final frame", async () => {
    expect(recordingId).toBeDefined();
    const rs = await ReplayServer.start({ path: join(dir, `${recordingId}.fbs`), speed: Infinity });
    const gw2 = await startTestGateway({
      tokens: [{ token: TEST_TOKEN, servers: ['*'] }],
      servers: [{ id: 'replay', console: { type: 'vnc', host: '127.0.0.1', port: rs.port } }],
    });
    try {
      const r = await eqPhp(gw2, { action: 'novnc', token: TEST_TOKEN, id: 'replay' });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      const v = new WsRfbClient(wsUrl(r.body.scope));
      await v.ready();
      await v.waitFor(() => sameScreen(v.fb, recordedScreen), 20_000);
      v.close();
    } finally {
      await gw2.close();
      await rs.close();
    }
  }, 60_000);

  it('the replay page and its API answer for the recording', async () => {
    const page = await fetch(`${gw.url}/replay/${recordingId}`);
    expect(page.status).toBe(200);
    expect(await page.text()).toMatch(/\/assets\/replay-[A-Z0-9]{8}\.js/);
    const info = await fetch(`${gw.url}/api/v1/recordings/${recordingId}`, { headers: { authorization: `Bearer ${OPERATOR}` } });
    expect(info.status).toBe(200);
    const body = (await info.json()) as { durationMs: number; blocks: number; truncated: string | null };
    expect(body.blocks).toBeGreaterThan(1);
    expect(body.truncated).toBeNull();
    const missing = await fetch(`${gw.url}/api/v1/recordings/nope_20260101T000000Z_00000000`, { headers: { authorization: `Bearer ${OPERATOR}` } });
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe('GW_ERR_UNKNOWN_RECORDING');
    const traversal = await fetch(`${gw.url}/api/v1/recordings/..%2F..%2Fetc%2Fpasswd/fbs`, { headers: { authorization: `Bearer ${OPERATOR}` } });
    expect(traversal.status).toBe(404);
  });

  it('a replay asks for 1, 4 or "max" times speed; any other value, an inherited name included, is a 400', async () => {
    const replay = (speed: unknown) =>
      fetch(`${gw.url}/api/v1/recordings/${recordingId}/replay`, {
        method: 'POST',
        headers: { authorization: `Bearer ${OPERATOR}`, 'content-type': 'application/json' },
        body: JSON.stringify({ speed }),
      });
    expect((await replay(4)).status).toBe(200);
    expect((await replay('max')).status).toBe(200);
    for (const bad of ['constructor', 'toString', 2, { x: 1 }]) {
      const r = await replay(bad);
      expect(r.status, JSON.stringify(bad)).toBe(400);
      // Refused by the route's schema (src/api/route-schemas.ts) before the handler's own check; either names the field.
      expect(((await r.json()) as { error: { message: string } }).error.message).toMatch(/speed/);
    }
  });
});
