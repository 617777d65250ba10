import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeSelfSigned } from '../../../src/net/tls.js';
import { startDemoServer, type DemoServer } from '../../../src/sources/demo/demo-server.js';
import { bundleCli, startCliGateway, type CliGateway } from '../../helpers/cli-process.js';
import { requirePeer } from '../../helpers/require-peer.js';
import { WsRfbClient } from '../../helpers/ws-rfb-client.js';

const TOKEN = 'tls-test-token-0001';

/** What `openssl s_client` is served on 127.0.0.1:port: the certificate's SHA-256 fingerprint. */
function sClientFingerprint(port: number): Promise<string> {
  const openssl = requirePeer('openssl', 'openssl');
  return new Promise((resolve, reject) => {
    const child = execFile(openssl, ['s_client', '-connect', `127.0.0.1:${port}`, '-servername', 'localhost'], { timeout: 20_000 }, (err, stdout) => {
      const pem = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(stdout)?.[0];
      if (!pem) return reject(new Error(`openssl s_client got no certificate: ${err?.message ?? stdout.slice(0, 500)}`));
      resolve(new X509Certificate(pem).fingerprint256);
    });
    child.stdin?.end('Q\n');
  });
}

async function eqOver(url: string, ca: string, fields: Record<string, string>): Promise<Record<string, any>> {
  const dispatcher = new Agent({ connect: { ca, servername: 'localhost' } });
  try {
    const res = await request(`${url}/eq.php`, {
      method: 'POST',
      dispatcher,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields).toString(),
    });
    return (await res.body.json()) as Record<string, any>;
  } finally {
    await dispatcher.close();
  }
}

async function getOver(url: string, ca: string): Promise<string> {
  const dispatcher = new Agent({ connect: { ca, servername: 'localhost' } });
  try {
    return await (await request(url, { dispatcher })).body.text();
  } finally {
    await dispatcher.close();
  }
}

/** TLS on the gateway's own listener, against `openssl s_client` and real wss:// viewers; SIGHUP to a real process. */
describe('TLS listener', () => {
  let entry: string;
  let demo: DemoServer;
  let dir: string;
  const running: CliGateway[] = [];

  beforeAll(async () => {
    [entry, demo, dir] = await Promise.all([bundleCli(), startDemoServer({ host: '127.0.0.1', port: 0 }), mkdtemp(join(tmpdir(), 'bmcgw-tls-'))]);
  }, 60_000);
  afterAll(async () => {
    for (const g of running) await g.stop();
    await demo?.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** A new self-signed certificate for localhost and 127.0.0.1, written as `name`.crt and `name`.key. */
  const pemFiles = async (name: string): Promise<{ cert: string; certPath: string; keyPath: string }> => {
    const { cert, key } = makeSelfSigned(['localhost', '127.0.0.1']);
    const certPath = join(dir, `${name}.crt`);
    const keyPath = join(dir, `${name}.key`);
    await writeFile(certPath, cert);
    await writeFile(keyPath, key);
    return { cert, certPath, keyPath };
  };

  const base = () => ({
    tokens: [{ token: TOKEN, servers: ['*'] }],
    servers: [{ id: 'demo', console: { type: 'vnc', host: demo.host, port: demo.port, password: demo.password } }],
  });

  it('self-signed: made with node-forge at first start, kept in stateDir, its fingerprint printed; the same after a restart', async () => {
    const stateDir = join(dir, 'state');
    const first = await startCliGateway(entry, { ...base(), tls: 'self-signed', stateDir }, { scheme: 'https' });
    running.push(first);
    const printed = /SHA-256 fingerprint ([0-9A-F:]{95})/.exec(first.output())?.[1];
    expect(printed, first.output()).toBeDefined();
    expect(first.output()).toContain('certificate created');
    expect(await sClientFingerprint(first.port)).toBe(printed);
    const cert = await readFile(join(stateDir, 'tls', 'self-signed.crt'), 'utf8');
    expect(new X509Certificate(cert).subjectAltName).toContain('IP Address:127.0.0.1');
    await first.stop();
    running.pop();
    const second = await startCliGateway(entry, { ...base(), tls: 'self-signed', stateDir }, { scheme: 'https', port: first.port });
    running.push(second);
    expect(second.output()).toContain('certificate loaded');
    expect(await sClientFingerprint(second.port)).toBe(printed);
    // The API and a viewer work over it.
    const opened = await eqOver(second.url, cert, { action: 'novnc', token: TOKEN, id: 'demo' });
    expect(opened.scope).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/console\//);
    await second.stop();
    running.pop();
  }, 90_000);

  it('PEM files, reloaded on SIGHUP: new connections get the new certificate, an open console keeps running', async () => {
    const a = makeSelfSigned(['localhost', '127.0.0.1']);
    const b = makeSelfSigned(['localhost', '127.0.0.1']);
    const certPath = join(dir, 'gw.crt');
    const keyPath = join(dir, 'gw.key');
    await writeFile(certPath, a.cert);
    await writeFile(keyPath, a.key);
    // Two worker processes: the console lives in one; this process keeps the TLS and relays its viewers.
    const gw = await startCliGateway(entry, { ...base(), tls: { cert: certPath, key: keyPath }, workers: 2 }, { scheme: 'https' });
    running.push(gw);
    const fpA = new X509Certificate(a.cert).fingerprint256;
    const fpB = new X509Certificate(b.cert).fingerprint256;
    expect(await sClientFingerprint(gw.port)).toBe(fpA);

    const opened = await eqOver(gw.url, a.cert, { action: 'novnc', token: TOKEN, id: 'demo' });
    const key = new URL(opened.scope).pathname.split('/').pop()!;
    const viewer = new WsRfbClient(`wss://127.0.0.1:${gw.port}/ws/${key}`, { ws: { ca: a.cert } });
    await viewer.ready();
    await viewer.waitFor(() => viewer.updates > 0, 15_000);
    const health = JSON.parse(await getOver(`${gw.url}/healthz`, a.cert));
    expect(health.sessions).toBe(1);
    expect(health.workers.map((w: { sessions: number }) => w.sessions).sort()).toEqual([0, 1]);

    await writeFile(certPath, b.cert);
    await writeFile(keyPath, b.key);
    gw.signal('SIGHUP');
    await expect.poll(() => gw.output().includes('"event":"tls-reloaded"'), { timeout: 10_000 }).toBe(true);
    expect(await sClientFingerprint(gw.port)).toBe(fpB);

    // The viewer that connected before the reload still gets its console: type, see the screen change.
    const before = viewer.updates;
    viewer.key(0x61, true);
    viewer.key(0x61, false);
    await viewer.waitFor(() => viewer.updates > before, 15_000);
    expect(viewer.closeCode).toBeUndefined();
    // A new client trusts only the new certificate now.
    const again = await eqOver(gw.url, b.cert, { action: 'novnc', token: TOKEN, id: 'demo' });
    expect(again.joined).toBe(true);

    // A broken certificate on SIGHUP is reported and the current one kept.
    await writeFile(certPath, 'not a certificate');
    gw.signal('SIGHUP');
    await expect.poll(() => gw.output().includes('"event":"tls-reload-failed"'), { timeout: 10_000 }).toBe(true);
    expect(await sClientFingerprint(gw.port)).toBe(fpB);
    viewer.close();
  }, 90_000);

  it('with workers, wss:// viewers one after another each get their console through the TLS relay, and leave nothing open', async () => {
    const { cert, certPath, keyPath } = await pemFiles('relay');
    const gw = await startCliGateway(entry, { ...base(), tls: { cert: certPath, key: keyPath }, workers: 2 }, { scheme: 'https' });
    running.push(gw);
    // A viewer URL serves once: each viewer gets its own from the API (joining the one session).
    const viewerUrl = async () => {
      const opened = await eqOver(gw.url, cert, { action: 'novnc', token: TOKEN, id: 'demo' });
      return `wss://127.0.0.1:${gw.port}/ws/${new URL(opened.scope).pathname.split('/').pop()!}`;
    };
    // A viewer held open across the others: its console must keep working while they come and go.
    const steady = new WsRfbClient(await viewerUrl(), { ws: { ca: cert } });
    await steady.ready();
    await steady.waitFor(() => steady.updates > 0, 15_000);
    for (let i = 0; i < 25; i++) {
      const v = new WsRfbClient(await viewerUrl(), { ws: { ca: cert } });
      await v.ready();
      await v.waitFor(() => v.updates > 0, 15_000);
      v.close();
    }
    const before = steady.updates;
    steady.key(0x62, true);
    steady.key(0x62, false);
    await steady.waitFor(() => steady.updates > before, 15_000);
    steady.close();
    // Every relayed viewer gone: the worker counts none (the relay closed both ends).
    await expect
      .poll(
        async () => {
          const m = await getOver(`${gw.url}/metrics`, cert);
          const lines = [...m.matchAll(/^bmcgw_viewers(?:\{[^}]*\})? (\d+)$/gm)];
          return lines.length === 0 ? 'no bmcgw_viewers line' : lines.reduce((a, l) => a + Number(l[1]), 0);
        },
        { timeout: 10_000 },
      )
      .toBe(0);
    expect(gw.output()).not.toMatch(/viewer-handoff-failed/);
  }, 90_000);

  it('with workers and no writable TMPDIR for the relay: the TLS viewer is refused with the reason in the log; the gateway serves on', async () => {
    const { cert, certPath, keyPath } = await pemFiles('notmp');
    const missing = join(dir, 'no-such-dir');
    const gw = await startCliGateway(entry, { ...base(), tls: { cert: certPath, key: keyPath }, workers: 2 }, { scheme: 'https', env: { TMPDIR: missing } });
    running.push(gw);
    for (let i = 0; i < 2; i++) {
      const opened = await eqOver(gw.url, cert, { action: 'novnc', token: TOKEN, id: 'demo' });
      const v = new WsRfbClient(`wss://127.0.0.1:${gw.port}/ws/${new URL(opened.scope).pathname.split('/').pop()!}`, { ws: { ca: cert } });
      await expect(v.ready()).rejects.toThrow();
    }
    expect(gw.output()).toContain(`cannot make the TLS viewer relay's socket directory in ${missing} (set TMPDIR to a writable directory)`);
    expect(JSON.parse(await getOver(`${gw.url}/healthz`, cert))).toMatchObject({ status: 'ok', sessions: 1 });
  }, 90_000);
});
