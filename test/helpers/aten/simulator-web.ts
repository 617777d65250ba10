/**
 * The web side of the ATEN BMC simulator (not shipped): login.cgi, the iKVM JNLP that mints the
 * simulator's one-time KVM credentials, and logout.cgi (which, as on real boards, kicks the KVM
 * session with a 0x39 message, code 3). HTTP or HTTPS on loopback.
 */
import { randomBytes } from 'node:crypto';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer, type ServerOptions } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { AtenSimulatorHtml5, type Html5Mode } from './simulator-html5.js';
import type { AtenSimulator } from './simulator.js';

export interface SimulatorWebOptions {
  username: string;
  password: string;
  /** HTTPS with these options (key, cert, minVersion…); plain HTTP when absent. */
  tls?: ServerOptions;
  /** Form field names (default name / pwd) and extra fields the login requires. */
  userField?: string;
  passwordField?: string;
  requiredExtraFields?: Record<string, string>;
  /** Which JNLP URL names answer (default both ikvm and man_ikvm). */
  jnlpUrlNames?: string[];
  /**
   * Emit the TLS-era 10-argument JNLP (argument 8 = "1", the TLS port in argument 9, the plaintext
   * port in argument 4): `true` names 63630 and the KVM port, or give both ports.
   */
  tlsJnlp?: boolean | { tlsPort: number; plainPort: number };
  /** Set the session from JavaScript in the body instead of Set-Cookie (nojava-ipmi-kvm's case). */
  cookieInBody?: boolean;
  /**
   * The HTML5 console (simulator-html5.ts): the bootstrap page and the WebSocket on this port's root;
   * `silent` = firmware whose WebSocket never sends a byte. Off: the bootstrap page is a 404, as on X9.
   */
  html5?: Html5Mode;
  /** The JNLP names this jar, main class and properties instead of ATEN's iKVM viewer (the Java fallback's tests). */
  javaViewer?: { jar: string; mainClass: string; properties?: Record<string, string> };
  /** Files served at their path to a logged-in web session (the Java viewer's jars). */
  files?: Record<string, Buffer>;
}

export class AtenSimulatorWeb {
  readonly requests: { method: string; url: string; body: string }[] = [];
  logouts = 0;
  /** Logouts that came while a console WebSocket of the same web session was still open (the client's fault). */
  logoutsWithOpenConsole = 0;
  /** Logouts that carried the CSRF header of a bootstrap page (as the firmware's own page sends it). */
  logoutsWithCsrf = 0;
  /** The HTML5 front, when `html5` is set. */
  readonly html5: AtenSimulatorHtml5 | undefined;
  #server: Server | undefined;
  #sids = new Set<string>();

  constructor(
    readonly kvm: AtenSimulator,
    readonly options: SimulatorWebOptions,
  ) {
    if (options.html5) {
      this.html5 = new AtenSimulatorHtml5(kvm, options.html5, {
        origin: () => `${options.tls ? 'https' : 'http'}://127.0.0.1:${this.port}`,
        isSession: (sid) => this.#sids.has(sid),
      });
    }
  }

  get port(): number {
    return (this.#server!.address() as AddressInfo).port;
  }

  async listen(): Promise<void> {
    const handler = (req: IncomingMessage, res: ServerResponse) => void this.#handle(req, res);
    this.#server = this.options.tls ? createHttpsServer(this.options.tls, handler) : createHttpServer(handler);
    this.#server.on('tlsClientError', () => {});
    this.#server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
      this.requests.push({ method: 'UPGRADE', url: req.url ?? '', body: '' });
      if (this.html5) this.html5.handleUpgrade(req, socket, head);
      else socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    });
    await new Promise<void>((resolve, reject) => {
      this.#server!.once('error', reject);
      this.#server!.listen(0, '127.0.0.1', () => resolve());
    });
  }

  async close(): Promise<void> {
    if (!this.#server) return;
    this.html5?.close();
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server!.close(() => resolve()));
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    this.requests.push({ method: req.method ?? '', url: req.url ?? '', body });
    const url = new URL(req.url ?? '/', 'http://x/');
    const sid = /(?:^|;\s*)SID=([^;]*)/.exec(req.headers.cookie ?? '')?.[1];
    const authed = sid !== undefined && this.#sids.has(sid);
    if (req.method === 'POST' && url.pathname === '/cgi/login.cgi') {
      const fields: Record<string, string> = req.headers['content-type']?.includes('json')
        ? (JSON.parse(body) as Record<string, string>)
        : Object.fromEntries(new URLSearchParams(body));
      const ok =
        fields[this.options.userField ?? 'name'] === this.options.username &&
        fields[this.options.passwordField ?? 'pwd'] === this.options.password &&
        Object.entries(this.options.requiredExtraFields ?? {}).every(([k, v]) => fields[k] === v);
      if (!ok) {
        res.writeHead(200, { 'content-type': 'text/html' }).end('<html><script>location.href="/cgi/url_redirect.cgi?url_name=login_alert"</script></html>');
        return;
      }
      const newSid = randomBytes(16).toString('hex');
      this.#sids.add(newSid);
      if (this.options.cookieInBody) {
        res
          .writeHead(200, { 'content-type': 'text/html' })
          .end(
            `<html><script>var SESSION_COOKIE = '${newSid}'; document.cookie = "SID=" + SESSION_COOKIE; location.href = "/cgi/url_redirect.cgi?url_name=mainmenu";</script></html>`,
          );
        return;
      }
      res.writeHead(200, { 'content-type': 'text/html', 'set-cookie': ['SID=; path=/; expires=Thu, 01 Jan 1970 00:00:00 GMT', `SID=${newSid}; path=/`] });
      res.end('<html><head><META HTTP-EQUIV="refresh" CONTENT="0;URL=../cgi/url_redirect.cgi?url_name=mainmenu"></head></html>');
      return;
    }
    if (req.method === 'GET' && url.pathname === '/cgi/url_redirect.cgi') {
      const name = url.searchParams.get('url_name') ?? '';
      if (!authed) {
        res.writeHead(200, { 'content-type': 'text/html' }).end('<html>session expired</html>');
        return;
      }
      if (name === 'man_ikvm_html5_bootstrap' && this.html5) {
        res.writeHead(200, { 'content-type': 'text/html' }).end(this.html5.bootstrapPage());
        return;
      }
      if (!(this.options.jnlpUrlNames ?? ['ikvm', 'man_ikvm']).includes(name) || url.searchParams.get('url_type') !== 'jwsk') {
        res.writeHead(404).end('File Not Found');
        return;
      }
      const c = this.kvm.issueCredentials();
      const tlsPorts = this.options.tlsJnlp === true ? { plainPort: 63630, tlsPort: this.kvm.port } : this.options.tlsJnlp || undefined;
      const args = tlsPorts
        ? ['127.0.0.1', c.user, c.password, 'null', String(tlsPorts.plainPort), '623', '2', '0', '1', String(tlsPorts.tlsPort)]
        : ['127.0.0.1', c.user, c.password, 'null', String(this.kvm.port), '623', '2', '0'];
      const java = this.options.javaViewer;
      const props = Object.entries(java?.properties ?? {})
        .map(([k, v]) => `<property name="${k}" value="${v}"/>`)
        .join('');
      const xml = `<?xml version="1.0" encoding="UTF-8"?>
<jnlp spec="1.0+" codebase="https://127.0.0.1:${this.port}/">
  <information><title>ATEN Java iKVM Viewer</title><vendor>ATEN</vendor></information>
  <!-- <argument>not-this-one</argument> -->
  <resources><j2se version="1.6.0+" initial-heap-size="128M" max-heap-size="128M"/><jar href="${java?.jar ?? 'iKVM__V1.69.21.0x0.jar'}" download="eager" main="true"/>${props}</resources>
  <application-desc main-class="${java?.mainClass ?? 'tw.com.aten.ikvm.KVMMain'}">
${args.map((a) => `    <argument>${a.replace(/&/g, '&amp;').replace(/</g, '&lt;')}</argument>`).join('\n')}
  </application-desc>
</jnlp>
`;
      res.writeHead(200, { 'content-type': 'application/x-java-jnlp-file' }).end(xml);
      return;
    }
    if (req.method === 'GET' && url.pathname === '/') {
      // The login page: a form posting name/pwd to /cgi/login.cgi, the endpoint every public client
      // logs in at (notes §6.1). Its look differs between firmware generations; the form is what matters.
      res
        .writeHead(200, { 'content-type': 'text/html' })
        .end(
          '<html><head><title>IPMI login</title></head><body><form name="form1" action="/cgi/login.cgi" method="post"><input type="text" name="name"><input type="password" name="pwd"><input type="submit" value="login"></form></body></html>',
        );
      return;
    }
    const file = this.options.files?.[url.pathname];
    if (req.method === 'GET' && file) {
      if (!authed) res.writeHead(403).end('session expired');
      else res.writeHead(200, { 'content-type': 'application/java-archive' }).end(file);
      return;
    }
    if (req.method === 'GET' && url.pathname === '/cgi/logout.cgi') {
      if (sid && this.html5 && this.html5.openConsoles(sid) > 0) this.logoutsWithOpenConsole++;
      const csrf = req.headers.csrf_token;
      if (typeof csrf === 'string' && this.html5?.csrfTokens.has(csrf)) this.logoutsWithCsrf++;
      if (sid) this.#sids.delete(sid);
      this.logouts++;
      // Real boards drop the KVM session on web logout: 0x39 with code 3 (kelleyk 8aabcfe).
      const kick = Buffer.alloc(265);
      kick[0] = 0x39;
      kick.writeUInt32BE(3, 5);
      this.kvm.broadcast(kick);
      res.writeHead(200, { 'content-type': 'text/html' }).end('<html>logged out</html>');
      return;
    }
    res.writeHead(404).end('File Not Found');
  }
}
