import { Agent } from 'undici';
import { GatewayError } from '../errors.js';
import { bmcRequest, type BmcHttpResult } from '../util/bmc-http.js';
import { webTlsOptions } from '../util/bmc-tls.js';

/**
 * The probes' unauthenticated HTTP requests to a BMC's web port (src/util/bmc-http.ts: bounded in
 * time and size), with TLS as the look at the port found it: legacy settings when needed, the
 * certificate not checked — which is why no request made through here carries a secret (logins go
 * through the gateway's own clients, with the certificate rules of the config).
 */
export type WebResult = { ok: true; answer: BmcHttpResult } | { ok: false; message: string };

const MAX_BODY_BYTES = 1 << 20;

export class WebLooker {
  readonly #agent: Agent;
  readonly #timeoutMs: number;

  constructor(o: { legacyTls: boolean; timeoutMs: number }) {
    this.#agent = new Agent({ connect: webTlsOptions({ insecureTls: true, legacyTls: o.legacyTls }) });
    this.#timeoutMs = o.timeoutMs;
  }

  async get(url: URL, headers: Record<string, string> = {}): Promise<WebResult> {
    try {
      return {
        ok: true,
        answer: await bmcRequest(
          this.#agent,
          url,
          { method: 'GET', headers: { accept: '*/*', ...headers } },
          { timeoutMs: this.#timeoutMs, maxBodyBytes: MAX_BODY_BYTES },
        ),
      };
    } catch (e) {
      return { ok: false, message: e instanceof GatewayError ? e.message : String(e) };
    }
  }

  close(): Promise<void> {
    return this.#agent.close();
  }
}

/** `https://host:port/` with IPv6 in brackets. */
export function webBase(host: string, port: number): URL {
  return new URL(`https://${host.includes(':') ? `[${host}]` : host}:${port}/`);
}
