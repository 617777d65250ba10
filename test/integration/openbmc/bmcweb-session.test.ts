import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { GatewayError } from '../../../src/errors.js';
import { BmcwebSession } from '../../../src/sources/openbmc/bmcweb-session.js';
import { selfSignedCertificate } from '../../helpers/aten/self-signed.js';

// BmcwebSession against a web server that answers oddly: what the login accepts, where it refuses to
// send the token, and how the WebSocket upgrade's failures are told apart.

const TOKEN = 'tok0123456789abcdefg';
const cert = selfSignedCertificate();
let server: Server | undefined;
const seen: { method: string; url: string; token: string | undefined }[] = [];

afterEach(async () => {
  seen.length = 0;
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r));
  server = undefined;
});

async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  server = createServer(cert, (req, res) => {
    seen.push({ method: req.method ?? '', url: req.url ?? '', token: req.headers['x-auth-token'] as string | undefined });
    req.resume();
    req.on('end', () => handler(req, res));
  });
  server.on('upgrade', (req, socket) => {
    seen.push({ method: 'UPGRADE', url: req.url ?? '', token: req.headers['x-auth-token'] as string | undefined });
    socket.end('HTTP/1.1 307 Temporary Redirect\r\nLocation: /?next=/kvm/0#/login\r\nContent-Length: 0\r\n\r\n');
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
  return `127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const login = (hostForUrl: string) =>
  BmcwebSession.login({ hostForUrl, user: 'root', password: 'pw-secret', insecureTls: true, legacyTls: false, timeoutMs: 5000 });

async function failure(p: Promise<unknown>): Promise<GatewayError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(GatewayError);
    return e as GatewayError;
  }
  throw new Error('it did not fail');
}

describe('BmcwebSession', () => {
  it('takes the session URI from @odata.id when there is no Location, and deletes it once however often it is asked', async () => {
    const host = await serve((req, res) => {
      if (req.method === 'POST')
        res
          .writeHead(201, { 'x-auth-token': TOKEN, 'content-type': 'application/json' })
          .end(JSON.stringify({ '@odata.id': '/redfish/v1/SessionService/Sessions/abc123' }));
      else res.writeHead(200).end('{}');
    });
    const s = await login(host);
    expect(await Promise.all([s.logout(), s.logout()])).toEqual([true, true]);
    expect(seen.filter((r) => r.method === 'DELETE')).toEqual([{ method: 'DELETE', url: '/redfish/v1/SessionService/Sessions/abc123', token: TOKEN }]);
  });

  it('a login answered with cookies and no token (what X-Requested-With gets) is GW_ERR_BMC_PROTOCOL', async () => {
    const host = await serve((_req, res) =>
      res.writeHead(201, { 'set-cookie': 'BMCWEB-SESSION=x; Secure', location: '/redfish/v1/SessionService/Sessions/a' }).end('{}'),
    );
    const e = await failure(login(host));
    expect(e.code).toBe('GW_ERR_BMC_PROTOCOL');
    expect(e.message).toContain('without an X-Auth-Token');
  });

  it('a session URI on another origin is refused: the token never goes there', async () => {
    const host = await serve((_req, res) =>
      res.writeHead(201, { 'x-auth-token': TOKEN, location: 'https://elsewhere.example/redfish/v1/SessionService/Sessions/a' }).end('{}'),
    );
    const e = await failure(login(host));
    expect(e.code).toBe('GW_ERR_BMC_PROTOCOL');
    expect(e.message).toContain('no usable session URI');
    expect(e.message).not.toContain(TOKEN);
  });

  it('an upgrade answered with a redirect (bmcweb sends browsers to its login page) is GW_ERR_BMC_PROTOCOL naming the status', async () => {
    const host = await serve((_req, res) => res.writeHead(201, { 'x-auth-token': TOKEN, location: '/redfish/v1/SessionService/Sessions/a' }).end('{}'));
    const s = await login(host);
    const e = await failure(s.openWebSocket('/kvm/0'));
    expect(e.code).toBe('GW_ERR_BMC_PROTOCOL');
    expect(e.message).toContain('HTTP 307');
    expect(seen.find((r) => r.method === 'UPGRADE')!.token).toBe(TOKEN);
    await s.logout();
  });

  it('a server error at login is GW_ERR_BMC_PROTOCOL; a refusal is GW_ERR_BMC_AUTH_FAILED without the password', async () => {
    let status = 500;
    const host = await serve((_req, res) => res.writeHead(status).end());
    expect((await failure(login(host))).code).toBe('GW_ERR_BMC_PROTOCOL');
    status = 401;
    const e = await failure(login(host));
    expect(e.code).toBe('GW_ERR_BMC_AUTH_FAILED');
    expect(e.message).not.toContain('pw-secret');
  });
});
