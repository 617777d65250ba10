/**
 * An OpenBMC BMC as the gateway sees it (not shipped), written from bmcweb's behaviour
 * (redfish-core/lib/redfish_sessions.hpp, include/authentication.hpp, include/forward_unauthorized.hpp,
 * features/kvm/kvm_websocket.hpp, features/serial/obmc_console.hpp):
 *
 * - HTTPS with a self-signed certificate; `GET /redfish/v1` (the service root) without login.
 * - `POST /redfish/v1/SessionService/Sessions {UserName, Password}` → 201, `X-Auth-Token` (20
 *   characters), `Location: /redfish/v1/SessionService/Sessions/<10 characters>`; with an
 *   `X-Requested-With` header the answer carries `BMCWEB-SESSION`/`XSRF-TOKEN` cookies instead and no
 *   token, as bmcweb does for its web UI. Wrong credentials → 401.
 * - Anything else needs `X-Auth-Token`: none or an unknown one → 401 (with `WWW-Authenticate: Basic`
 *   unless `X-Requested-With` is present), WebSocket upgrades included. `DELETE` of the session URI
 *   ends it.
 * - `wss:///kvm/0` (Administrator/Operator only, else 403; at most 4 at once, then closed with "Max
 *   sessions are already connected"): a byte pipe to an RFB server on loopback, whose SetEncodings is
 *   rewritten to force Tight JPEG (obmc-ikvm sends JPEG whatever the client asks).
 * - `wss:///console0` (any role): the host's serial console; here it echoes what it gets, and the test
 *   can write "host output" with `consoleWrite`.
 * - A client message over 1024 bytes closes the socket (code 1000, "Buffer overrun"). bmcweb does that
 *   on /kvm/0; the simulator does it on /console0 too, so the tests show the gateway splits there as
 *   well.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import { connect, type AddressInfo, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { selfSignedCertificate } from '../aten/self-signed.js';
import type { RgbImage } from '../images.js';
import { IkvmLikeServer } from './ikvm-like.js';
import { SetEncodingsRewriter, TightJpegCounter } from './rfb-forcer.js';

export interface OpenBmcUser {
  name: string;
  password: string;
  role: 'Administrator' | 'Operator' | 'ReadOnly';
}

export interface OpenBmcSimulatorOptions {
  users: OpenBmcUser[];
  /** The RFB server behind /kvm/0 (obmc-ikvm's 127.0.0.1:5900 on a real BMC). */
  rfbPort?: number;
  /** TigerVNC JPEG quality level forced on the RFB server (0..9), default 8; and a subsampling pseudo-encoding. */
  jpegQuality?: number;
  jpegSubsampling?: number;
  /** Instead of rfbPort: speak obmc-ikvm's own wire format on /kvm/0, showing this picture (ikvm-like.ts). */
  ikvmScreen?: RgbImage;
}

interface RedfishSession {
  id: string;
  token: string;
  user: OpenBmcUser;
}

const TOKEN_CHARS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
function randomId(n: number): string {
  return [...randomBytes(n)].map((b) => TOKEN_CHARS[b % TOKEN_CHARS.length]).join('');
}

export const MAX_KVM_SESSIONS = 4;
export const MAX_MESSAGE_BYTES = 1024;

export class OpenBmcSimulator {
  /** Every HTTP request and upgrade: method, path, and the headers the checks care about. */
  readonly requests: { method: string; path: string; headers: IncomingMessage['headers'] }[] = [];
  readonly sessions = new Map<string, RedfishSession>();
  readonly deleted: string[] = [];
  /** Tokens ever issued (a test checks none reaches a log or a browser). */
  readonly tokens: string[] = [];
  /** Client messages bmcweb would have refused (> 1024 bytes). */
  overruns = 0;
  /** Largest message a client sent on /kvm/0 or /console0. */
  largestClientMessage = 0;
  /** Bytes the console clients sent (the host's serial input). */
  readonly consoleInput: Buffer[] = [];
  /** One per KVM connection: what went over the wire from the RFB server. */
  readonly jpegCounters: TightJpegCounter[] = [];
  readonly rewriters: SetEncodingsRewriter[] = [];
  /** The obmc-ikvm stand-ins, one per KVM connection (ikvmScreen mode). */
  readonly ikvms: IkvmLikeServer[] = [];
  readonly #server: Server;
  readonly #wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  readonly #kvm = new Set<WebSocket>();
  readonly #consoles = new Set<WebSocket>();
  readonly #o: OpenBmcSimulatorOptions;
  readonly certificate: { key: string; cert: string };

  private constructor(o: OpenBmcSimulatorOptions) {
    this.#o = o;
    this.certificate = selfSignedCertificate();
    this.#server = createServer(this.certificate, (req, res) => void this.#http(req, res));
    this.#server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.#upgrade(req, socket, head));
    this.#server.on('tlsClientError', () => {});
  }

  static async start(o: OpenBmcSimulatorOptions): Promise<OpenBmcSimulator> {
    const sim = new OpenBmcSimulator(o);
    await new Promise<void>((resolve, reject) => {
      sim.#server.once('error', reject);
      sim.#server.listen(0, '127.0.0.1', () => resolve());
    });
    return sim;
  }

  get port(): number {
    return (this.#server.address() as AddressInfo).port;
  }

  /** Tight JPEG rectangles the RFB server sent, over all KVM connections. */
  get jpegRects(): number {
    return this.jpegCounters.reduce((n, c) => n + c.jpegRects, 0);
  }

  get kvmConnections(): number {
    return this.#kvm.size;
  }

  get consoleConnections(): number {
    return this.#consoles.size;
  }

  /** "Host output" on the serial console: sent to every /console0 client. */
  consoleWrite(bytes: Buffer): void {
    for (const ws of this.#consoles) ws.send(bytes, { binary: true });
  }

  /** Closes every KVM WebSocket, as a BMC reboot or obmc-ikvm restart does. */
  dropKvm(): void {
    for (const ws of this.#kvm) ws.close(1000, 'Error in connecting to KVM port');
  }

  async close(): Promise<void> {
    for (const ws of [...this.#kvm, ...this.#consoles]) ws.terminate();
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #authenticate(req: IncomingMessage): RedfishSession | undefined {
    const token = req.headers['x-auth-token'];
    if (typeof token !== 'string' || token.length !== 20) return undefined;
    return [...this.sessions.values()].find((s) => s.token === token);
  }

  #record(req: IncomingMessage): URL {
    const url = new URL(req.url ?? '/', 'https://bmc');
    this.requests.push({ method: req.method ?? '', path: url.pathname, headers: { ...req.headers } });
    return url;
  }

  async #http(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const url = this.#record(req);
    const path = url.pathname.replace(/\/$/, '');
    const json = (status: number, body: unknown, headers: Record<string, string | string[]> = {}) =>
      res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
    if (req.method === 'GET' && (path === '/redfish/v1' || path === '/redfish')) {
      // The links bmcweb's root carries (redfish-core/lib/service_root.hpp): its manager is always "bmc".
      json(200, {
        '@odata.id': '/redfish/v1',
        '@odata.type': '#ServiceRoot.v1_15_0.ServiceRoot',
        Id: 'RootService',
        Name: 'Root Service',
        RedfishVersion: '1.17.0',
        SessionService: { '@odata.id': '/redfish/v1/SessionService' },
        Systems: { '@odata.id': '/redfish/v1/Systems' },
        Managers: { '@odata.id': '/redfish/v1/Managers' },
        Chassis: { '@odata.id': '/redfish/v1/Chassis' },
        Links: { Sessions: { '@odata.id': '/redfish/v1/SessionService/Sessions' }, ManagerProvidingService: { '@odata.id': '/redfish/v1/Managers/bmc' } },
      });
      return;
    }
    if (req.method === 'POST' && path === '/redfish/v1/SessionService/Sessions') {
      let body: { UserName?: unknown; Password?: unknown } = {};
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as typeof body;
      } catch {
        json(400, { error: { code: 'Base.1.13.0.MalformedJSON' } });
        return;
      }
      const user = this.#o.users.find((u) => u.name === body.UserName && u.password === body.Password);
      if (!user) {
        json(401, { error: { code: 'Base.1.13.0.ResourceAtUriUnauthorized', message: 'Invalid username or password' } });
        return;
      }
      const s: RedfishSession = { id: randomId(10), token: randomId(20), user };
      this.sessions.set(s.id, s);
      this.tokens.push(s.token);
      const location = `/redfish/v1/SessionService/Sessions/${s.id}`;
      const auth: Record<string, string | string[]> = req.headers['x-requested-with']
        ? { 'set-cookie': [`XSRF-TOKEN=${randomId(20)}; SameSite=Strict; Secure`, `BMCWEB-SESSION=${s.token}; SameSite=Strict; Secure; HttpOnly`] }
        : { 'x-auth-token': s.token };
      json(
        201,
        { '@odata.id': location, '@odata.type': '#Session.v1_7_0.Session', Id: s.id, Name: 'User Session', UserName: user.name },
        { location, ...auth },
      );
      return;
    }
    const session = this.#authenticate(req);
    if (!session) {
      res.writeHead(401, req.headers['x-requested-with'] ? {} : { 'www-authenticate': 'Basic' }).end();
      return;
    }
    const m = /^\/redfish\/v1\/SessionService\/Sessions\/([A-Za-z0-9]+)$/.exec(path);
    if (req.method === 'DELETE' && m && this.sessions.has(m[1]!)) {
      this.sessions.delete(m[1]!);
      this.deleted.push(m[1]!);
      json(200, { '@Message.ExtendedInfo': [{ MessageId: 'Base.1.13.0.Success' }] });
      return;
    }
    json(404, { error: { code: 'Base.1.13.0.ResourceNotFound' } });
  }

  #upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = this.#record(req);
    const path = url.pathname.replace(/\/$/, '');
    const refuse = (status: number, text: string, extra = '') => {
      socket.end(`HTTP/1.1 ${status} ${text}\r\n${extra}Content-Length: 0\r\nConnection: close\r\n\r\n`);
    };
    if (path !== '/kvm/0' && path !== '/console0') {
      refuse(404, 'Not Found');
      return;
    }
    const session = this.#authenticate(req);
    if (!session) {
      refuse(401, 'Unauthorized', req.headers['x-requested-with'] ? '' : 'WWW-Authenticate: Basic\r\n');
      return;
    }
    if (path === '/kvm/0' && session.user.role === 'ReadOnly') {
      refuse(403, 'Forbidden');
      return;
    }
    this.#wss.handleUpgrade(req, socket, head, (ws) => (path === '/kvm/0' ? this.#kvmOpened(ws) : this.#consoleOpened(ws)));
  }

  /** bmcweb's onMessage: a message larger than its 1024-byte input buffer closes the socket. */
  #fits(ws: WebSocket, data: RawData): Buffer | undefined {
    const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
    this.largestClientMessage = Math.max(this.largestClientMessage, bytes.length);
    if (bytes.length <= MAX_MESSAGE_BYTES) return bytes;
    this.overruns++;
    ws.close(1000, 'Buffer overrun');
    return undefined;
  }

  #kvmOpened(ws: WebSocket): void {
    if (this.#kvm.size >= MAX_KVM_SESSIONS || (this.#o.rfbPort === undefined && !this.#o.ikvmScreen)) {
      ws.close(1000, this.#kvm.size >= MAX_KVM_SESSIONS ? 'Max sessions are already connected' : 'Error in connecting to KVM port');
      return;
    }
    this.#kvm.add(ws);
    ws.on('close', () => this.#kvm.delete(ws));
    ws.on('error', () => {});
    if (this.#o.ikvmScreen) {
      const ikvm = new IkvmLikeServer(ws, this.ikvms.at(-1)?.screen ?? this.#o.ikvmScreen);
      this.ikvms.push(ikvm);
      ws.on('message', (data) => {
        const bytes = this.#fits(ws, data);
        if (bytes) ikvm.receive(bytes);
      });
      return;
    }
    const rewriter = new SetEncodingsRewriter(this.#o.jpegQuality ?? 8, this.#o.jpegSubsampling);
    this.rewriters.push(rewriter);
    const host: Socket = connect({ host: '127.0.0.1', port: this.#o.rfbPort! });
    const pending: Buffer[] = [];
    host.on('connect', () => {
      for (const b of pending.splice(0)) host.write(b);
    });
    const counter = new TightJpegCounter();
    this.jpegCounters.push(counter);
    host.on('data', (d: Buffer) => {
      counter.push(d);
      ws.send(d, { binary: true });
    });
    host.on('error', () => ws.close(1000, 'Error in connecting to KVM port'));
    host.on('close', () => ws.close(1000, 'KVM socket port closed'));
    ws.on('message', (data) => {
      const bytes = this.#fits(ws, data);
      if (!bytes) return;
      const out = rewriter.push(bytes);
      if (host.connecting) pending.push(out);
      else host.write(out);
    });
    ws.on('close', () => host.destroy());
  }

  #consoleOpened(ws: WebSocket): void {
    this.#consoles.add(ws);
    ws.on('message', (data) => {
      const bytes = this.#fits(ws, data);
      if (!bytes) return;
      this.consoleInput.push(bytes);
      ws.send(bytes, { binary: true }); // the host echoes
    });
    ws.on('close', () => this.#consoles.delete(ws));
    ws.on('error', () => {});
  }
}
