import { readFile, writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleCli, startCliGateway, type CliGateway } from '../helpers/cli-process.js';
import { WsRfbClient } from '../helpers/ws-rfb-client.js';
import { startDemoServer, type DemoServer } from '../../src/sources/demo/demo-server.js';

// SIGHUP to a real gateway process reloads its configuration: servers added, removed and changed,
// tokens and operators replaced, while the session of an untouched server keeps running (its viewer
// keeps receiving). The demo RFB servers stand in for the BMCs. A file that does not validate is
// refused and the running configuration kept.

const TOKEN = 'reload-token-1';
const OP1 = 'reload-operator-1';
const OP2 = 'reload-operator-2';
const XK_A = 0x61;

describe('configuration reload on SIGHUP', () => {
  let entry: string;
  let bmcA: DemoServer;
  let bmcB: DemoServer;
  let gw: CliGateway;
  const viewers: WsRfbClient[] = [];

  const vnc = (d: DemoServer) => ({ type: 'vnc', host: d.host, port: d.port, password: d.password });
  const rewrite = async (change: (c: Record<string, unknown>) => Record<string, unknown>) => {
    const current = JSON.parse(await readFile(gw.configPath, 'utf8')) as Record<string, unknown>;
    await writeFile(gw.configPath, JSON.stringify(change(current)));
  };
  const open = async (id: string) => {
    const res = await fetch(`${gw.url}/eq.php`, { method: 'POST', body: new URLSearchParams({ action: 'novnc', token: TOKEN, id }) });
    expect(res.status).toBeLessThan(300);
    const key = new URL(((await res.json()) as { scope: string }).scope).pathname.split('/').pop()!;
    const v = new WsRfbClient(`${gw.url.replace('http', 'ws')}/ws/${key}`);
    viewers.push(v);
    await v.ready();
    await v.waitFor(() => v.updates > 0, 15_000);
    return { key, v };
  };
  const get = (path: string, token: string) => fetch(`${gw.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
  const hupCount = (event: string) => gw.output().split(`"event":"${event}"`).length - 1;

  beforeAll(async () => {
    [entry, bmcA, bmcB] = await Promise.all([bundleCli(), startDemoServer({ host: '127.0.0.1', port: 0 }), startDemoServer({ host: '127.0.0.1', port: 0 })]);
    gw = await startCliGateway(entry, {
      tokens: [{ token: TOKEN, servers: ['*'] }],
      operators: [{ token: OP1, name: 'first' }],
      servers: [
        { id: 'keep', name: 'Kept', console: vnc(bmcA) },
        { id: 'change', name: 'Before', console: vnc(bmcB) },
        { id: 'remove', name: 'Removed', console: vnc(bmcB) },
      ],
    });
  }, 60_000);

  afterAll(async () => {
    for (const v of viewers) v.close();
    await gw?.stop();
    await Promise.all([bmcA?.close(), bmcB?.close()]);
  });

  it("adds, removes and changes servers and replaces operators; the untouched server's viewer keeps receiving", async () => {
    const keep = await open('keep');
    const change = await open('change');
    const remove = await open('remove');
    expect((await get('/api/v1/whoami', OP1)).status).toBe(200);

    await rewrite((c) => ({
      ...c,
      operators: [{ token: OP2, name: 'second' }],
      servers: [
        { id: 'keep', name: 'Kept', console: vnc(bmcA) },
        { id: 'change', name: 'After', console: vnc(bmcB) },
        { id: 'added', name: 'New one', console: vnc(bmcA) },
      ],
    }));
    gw.signal('SIGHUP');
    await expect.poll(() => hupCount('config-reloaded'), { timeout: 10_000 }).toBe(1);

    // The changed and the removed server's sessions end with the new code; their viewers are told why.
    await Promise.all([change.v.closed(), remove.v.closed()]);
    expect(change.v.closeCode).toBe(4000);
    expect(change.v.closeReason).toContain("the server's configuration changed");
    expect(remove.v.closeReason).toContain('the server was removed from the configuration');
    const status = (await (await fetch(`${gw.url}/api/v1/viewer/${change.key}/status`)).json()) as { code: string; state: string };
    expect(status).toMatchObject({ state: 'ended', code: 'config-changed' });

    // The kept server's viewer is still connected and still receives what its BMC draws.
    expect(keep.v.closeCode).toBeUndefined();
    const before = keep.v.updates;
    keep.v.key(XK_A, true);
    keep.v.key(XK_A, false);
    await keep.v.waitFor(() => keep.v.updates > before, 15_000);
    const sessions = (await (await get('/api/v1/sessions', TOKEN)).json()) as { sessions: { serverId: string }[] };
    expect(sessions.sessions.map((s) => s.serverId)).toEqual(['keep']);

    // The new list of servers, the changed name, and the new operator (the old one is gone).
    const servers = (await (await get('/api/v1/servers', TOKEN)).json()) as { servers: { id: string; name: string }[] };
    expect(servers.servers.map((s) => [s.id, s.name])).toEqual([
      ['keep', 'Kept'],
      ['change', 'After'],
      ['added', 'New one'],
    ]);
    expect((await get('/api/v1/whoami', OP1)).status).toBe(401);
    expect((await get('/api/v1/whoami', OP2)).status).toBe(200);
    // The added server opens.
    await open('added');
    expect(gw.output()).toMatch(/"event":"config-reloaded".*"added":\["added"\],"removed":\["remove"\],"changed":\["change"\],"ended":2/);
  }, 60_000);

  it('refuses a file that does not validate, with a log line naming the problem, and keeps the running configuration and sessions', async () => {
    const keep = viewers[0]!;
    await rewrite((c) => ({ ...c, servers: [{ id: 'keep', hostname: 'typo' }] }));
    gw.signal('SIGHUP');
    await expect.poll(() => hupCount('config-reload-refused'), { timeout: 10_000 }).toBe(1);
    expect(gw.output()).toMatch(/"event":"config-reload-refused".*servers\[0\]\.hostname: unknown key/);
    const servers = (await (await get('/api/v1/servers', TOKEN)).json()) as { servers: { id: string }[] };
    expect(servers.servers.map((s) => s.id)).toEqual(['keep', 'change', 'added']);
    expect(keep.closeCode).toBeUndefined();
    const before = keep.updates;
    keep.key(XK_A, true);
    keep.key(XK_A, false);
    await keep.waitFor(() => keep.updates > before, 15_000);
    expect(gw.proc.child.exitCode).toBeNull();
  }, 60_000);

  it('says which changed keys only a restart applies, keeps their running values, and still applies the servers', async () => {
    await rewrite((c) => ({
      ...c,
      sessions: { maxViewers: 1 },
      servers: [
        { id: 'keep', name: 'Kept', console: vnc(bmcA) },
        { id: 'added', name: 'New one', console: vnc(bmcA) },
      ],
    }));
    gw.signal('SIGHUP');
    await expect.poll(() => hupCount('config-needs-restart'), { timeout: 10_000 }).toBe(1);
    expect(gw.output()).toMatch(/"event":"config-needs-restart","keys":\["sessions"\]/);
    const servers = (await (await get('/api/v1/servers', TOKEN)).json()) as { servers: { id: string }[] };
    expect(servers.servers.map((s) => s.id)).toEqual(['keep', 'added']);
    // maxViewers is still the running 8: a second viewer joins the kept session
    const second = await open('keep');
    expect(second.v.closeCode).toBeUndefined();
  }, 60_000);
});
