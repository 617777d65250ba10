import { Agent, request, type Dispatcher } from 'undici';
import { LEGACY_TLS } from './tls-look.js';

/**
 * The probes' HTTP requests to a BMC's web port: bounded in time and size, TLS as the look at the
 * port found it (legacy settings when needed; the certificate is not checked, which is why no
 * request made through here carries a secret — logins go through the gateway's own clients).
 */
export interface WebAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export type WebResult = { ok: true; answer: WebAnswer } | { ok: false; message: string };

const MAX_BODY_BYTES = 256 * 1024;

export class WebLooker {
  readonly #agent: Agent;
  readonly #timeoutMs: number;

  constructor(o: { legacyTls: boolean; timeoutMs: number }) {
    this.#agent = new Agent({ connect: { rejectUnauthorized: false, ...(o.legacyTls ? LEGACY_TLS : {}) } });
    this.#timeoutMs = o.timeoutMs;
  }

  async get(url: URL, signal: AbortSignal, headers: Record<string, string> = {}): Promise<WebResult> {
    let res: Dispatcher.ResponseData;
    try {
      res = await request(url, {
        dispatcher: this.#agent,
        method: 'GET',
        headers: { accept: '*/*', ...headers },
        headersTimeout: this.#timeoutMs,
        bodyTimeout: this.#timeoutMs,
        signal: AbortSignal.any([signal, AbortSignal.timeout(this.#timeoutMs)]),
      });
    } catch (e) {
      return { ok: false, message: describeError(e, this.#timeoutMs) };
    }
    const chunks: Buffer[] = [];
    let size = 0;
    try {
      for await (const c of res.body) {
        size += (c as Buffer).length;
        if (size > MAX_BODY_BYTES) {
          res.body.destroy();
          break; // the start of a big page is enough to look at
        }
        chunks.push(c as Buffer);
      }
    } catch (e) {
      return { ok: false, message: describeError(e, this.#timeoutMs) };
    }
    return { ok: true, answer: { status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') } };
  }

  close(): Promise<void> {
    return this.#agent.close();
  }
}

function describeError(e: unknown, timeoutMs: number): string {
  const err = e as { code?: string; name?: string; message?: string };
  if (/TIMEOUT|AbortError|TimeoutError/i.test(`${err.code ?? ''} ${err.name ?? ''}`)) return `no answer within ${timeoutMs} ms`;
  return `${err.code ? `${err.code}: ` : ''}${err.message ?? String(e)}`;
}

/** `https://host:port/` with IPv6 in brackets. */
export function webBase(host: string, port: number, scheme: 'https' | 'http' = 'https'): URL {
  const h = host.includes(':') ? `[${host}]` : host;
  return new URL(`${scheme}://${h}:${port}/`);
}
