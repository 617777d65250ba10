import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { selfSignedCertificate } from '../aten/self-signed.js';
import { listenOnLoopback } from '../listen.js';

/**
 * A plain HTTPS server with HTTP Basic auth (a self-signed certificate, loopback) serving a JNLP and
 * its jars: the `jnlpUrl` kind of Java console. Records every request and whether it carried the
 * right credentials.
 */
export class JnlpWebServer {
  readonly requests: { path: string; authorized: boolean }[] = [];
  /** JNLPs by name (`/app/<name>.jnlp`), made per request from this server's base URL. */
  readonly jnlps = new Map<string, (base: string) => string>();
  readonly files = new Map<string, Buffer>();
  #server: Server | undefined;

  constructor(
    readonly user: string,
    readonly password: string,
  ) {}

  get base(): string {
    return `https://127.0.0.1:${(this.#server!.address() as AddressInfo).port}/`;
  }

  jnlpUrl(name = 'viewer'): string {
    return `${this.base}app/${name}.jnlp`;
  }

  /** How often `path` was fetched with good credentials. */
  fetched(path: string): number {
    return this.requests.filter((r) => r.path === path && r.authorized).length;
  }

  async listen(): Promise<void> {
    const { key, cert } = selfSignedCertificate();
    this.#server = createServer({ key, cert }, (req, res) => {
      const path = new URL(req.url ?? '/', 'https://x/').pathname;
      const expected = `Basic ${Buffer.from(`${this.user}:${this.password}`).toString('base64')}`;
      const authorized = req.headers.authorization === expected;
      this.requests.push({ path, authorized });
      if (!authorized) {
        res.writeHead(401, { 'www-authenticate': 'Basic realm="BMC"' }).end('authorization required');
        return;
      }
      const jnlp = /^\/app\/([a-z0-9-]+)\.jnlp$/.exec(path);
      const make = jnlp ? this.jnlps.get(jnlp[1]!) : undefined;
      if (make) {
        res.writeHead(200, { 'content-type': 'application/x-java-jnlp-file' }).end(make(this.base));
        return;
      }
      const file = this.files.get(path);
      if (file) {
        res.writeHead(200, { 'content-type': 'application/java-archive', 'content-length': file.length }).end(file);
        return;
      }
      res.writeHead(404).end('not found');
    });
    this.#server.on('tlsClientError', () => {});
    await listenOnLoopback(this.#server);
  }

  async close(): Promise<void> {
    if (!this.#server) return;
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server!.close(() => resolve()));
  }
}
