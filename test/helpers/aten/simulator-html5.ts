/**
 * The HTML5 front of the ATEN BMC simulator (not shipped): what late X10 to X13 Supermicro firmware
 * serves for its browser console, written from the public facts (notes §6.3; DoyunShin/ikvm-gw
 * M0_RESULT.md; kookyleo/ikvmt web.rs and protocol.rs):
 *
 * - the bootstrap page (`/cgi/url_redirect.cgi?url_name=man_ikvm_html5_bootstrap`) with a hidden
 *   one-time `entry_value` (24 base64 characters) and `SmcCsrfInsert("CSRF_TOKEN", "…")`;
 * - the console's WebSocket on the web port's root path. The upgrade is refused unless it carries
 *   the web session's `Cookie: SID=…`, `Origin` equal to the web interface's origin, and no
 *   subprotocol; then the simulator's KVM service runs on it (`AtenSimulator.serve(…, 'html5')`),
 *   its output cut into WebSocket messages at random places, since the firmware's messages do not
 *   follow ATEN's fields (kookyleo/ikvmt protocol-x10.md);
 * - `silent`: firmware that serves the page and accepts the WebSocket but never sends a byte on it;
 *   `hangup`: one that accepts it and closes it at once.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import { prng } from '../prng.js';
import type { AtenSimulator } from './simulator.js';

export type Html5Mode = true | 'silent' | 'hangup';

export interface Html5Upgrade {
  path: string;
  origin: string | undefined;
  cookie: string | undefined;
  protocol: string | undefined;
  /** Why it was refused; undefined when accepted. */
  refused?: string;
}

export class AtenSimulatorHtml5 {
  readonly upgrades: Html5Upgrade[] = [];
  /** CSRF tokens handed out with the bootstrap pages. */
  readonly csrfTokens = new Set<string>();
  #wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  #sockets = new Map<WebSocket, string>();
  #random = prng(0x4854_4d35);

  constructor(
    readonly kvm: AtenSimulator,
    readonly mode: Html5Mode,
    /** The web interface's origin (`https://127.0.0.1:PORT`) and whether a SID is a live web session. */
    readonly web: { origin(): string; isSession(sid: string): boolean },
  ) {}

  /** The bootstrap page, as the firmware serves it to a logged-in session: a fresh ticket every time. */
  bootstrapPage(): string {
    const ticket = this.kvm.issueHtml5Ticket();
    const csrf = randomBytes(12).toString('base64url');
    this.csrfTokens.add(csrf);
    return `<!DOCTYPE html><html><head><title>iKVM</title>
<script type="text/javascript">SmcCsrfInsert ("CSRF_TOKEN", "${csrf}");</script>
<script src="/novnc/include/rfb.js"></script></head>
<body><input type="hidden" id="entry_value" value="${ticket}"><canvas id="noVNC_canvas"></canvas></body></html>
`;
  }

  /** Open console WebSockets of a web session (the simulator checks the logout comes after they closed). */
  openConsoles(sid: string): number {
    let n = 0;
    for (const [ws, s] of this.#sockets) if (s === sid && ws.readyState === WebSocket.OPEN) n++;
    return n;
  }

  close(): void {
    for (const ws of this.#sockets.keys()) ws.terminate();
    this.#wss.close();
  }

  /** The HTTP server's 'upgrade' handler. */
  handleUpgrade(req: IncomingMessage, socket: Socket, head: Buffer): void {
    const sid = /(?:^|;\s*)SID=([^;]*)/.exec(req.headers.cookie ?? '')?.[1];
    const u: Html5Upgrade = { path: req.url ?? '', origin: req.headers.origin, cookie: req.headers.cookie, protocol: req.headers['sec-websocket-protocol'] };
    this.upgrades.push(u);
    const refuse = (status: string, why: string) => {
      u.refused = why;
      socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    if (u.path !== '/') return refuse('404 Not Found', 'not the root path');
    if (u.protocol !== undefined) return refuse('400 Bad Request', 'a subprotocol was asked for');
    if (sid === undefined || !this.web.isSession(sid)) return refuse('403 Forbidden', 'no live SID cookie');
    if (u.origin !== this.web.origin()) return refuse('403 Forbidden', `Origin ${u.origin} is not ${this.web.origin()}`);
    this.#wss.handleUpgrade(req, socket, head, (ws) => {
      this.#sockets.set(ws, sid);
      ws.on('close', () => this.#sockets.delete(ws));
      ws.on('error', () => {});
      if (this.mode === 'silent') return; // accepts, then never speaks
      if (this.mode === 'hangup') return ws.close(1011);
      this.kvm.serve(this.#stream(ws), 'html5');
    });
  }

  /** The WebSocket as the byte stream the KVM service runs on; every write leaves as 1-3 messages cut at random places. */
  #stream(ws: WebSocket): Duplex {
    const random = this.#random;
    const stream = new Duplex({
      read() {},
      write(chunk: Buffer, _enc, done) {
        if (ws.readyState !== WebSocket.OPEN) return done();
        let rest = chunk;
        while (rest.length > 1 && random() < 0.5) {
          const cut = 1 + Math.floor(random() * (rest.length - 1));
          ws.send(rest.subarray(0, cut), { binary: true });
          rest = rest.subarray(cut);
        }
        ws.send(rest, { binary: true });
        done();
      },
      final(done) {
        // end() after a refusal: the firmware closes the connection once the bytes are out.
        ws.close(1000);
        done();
      },
      destroy(err, done) {
        ws.terminate();
        done(err);
      },
    });
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (!isBinary)
        ws.terminate(); // the console takes binary frames only
      else stream.push(data);
    });
    ws.on('close', () => {
      stream.push(null);
      stream.destroy();
    });
    return stream;
  }
}
