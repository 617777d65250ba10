import { Agent, request, type Dispatcher } from 'undici';
import { GatewayError } from '../../errors.js';
import { webTlsOptions } from '../../util/bmc-tls.js';
import { AtenWebSession } from '../aten/web-login.js';
import type { JnlpOrigin } from './jnlp-config.js';
import { JNLP_LIMITS } from './jnlp-document.js';

/**
 * Where one console's JNLP and jars come from: a URL (HTTP Basic auth when configured) or a BMC web
 * login (the session cookie). Everything is fetched from the origin the JNLP itself came from, and
 * credentials go nowhere else: a jar href naming another host (or a codebase the BMC believes is its
 * address, which behind NAT it is not) is fetched from the JNLP's origin with the same path.
 */
export interface JnlpOriginClient {
  /** The JNLP text and the URL it came from. */
  document(): Promise<{ text: string; url: URL }>;
  /** Where a jar the JNLP names is fetched from: its path and query on the JNLP's own origin. */
  jarUrl(href: URL): URL;
  /** The bytes at `url` (a jarUrl), at most `maxBytes`. */
  download(url: URL, maxBytes: number): Promise<Buffer>;
  /** Ends the web session (a web logout may end the viewer's KVM session: only after the viewer). */
  close(): Promise<void>;
}

export async function openJnlpOrigin(origin: JnlpOrigin): Promise<JnlpOriginClient> {
  if (origin.kind === 'web-login') {
    const web = await AtenWebSession.login(origin.web);
    let base: URL | undefined;
    const timeoutMs = origin.web.timeoutMs ?? 10_000;
    return {
      async document() {
        const doc = await web.fetchJnlp();
        base = doc.url;
        return doc;
      },
      jarUrl: (href) => sameOrigin(href, base ?? new URL(web.baseUrl)),
      download: (url, maxBytes) => fetchBytes(web.dispatcher, url, web.requestHeaders(), timeoutMs, maxBytes),
      async close() {
        await web.logout();
        await web.close().catch(() => {});
      },
    };
  }
  const agent = new Agent({ connect: webTlsOptions({ insecureTls: origin.insecureTls, legacyTls: origin.legacyTls }) });
  const headers: Record<string, string> =
    origin.user === undefined ? {} : { authorization: `Basic ${Buffer.from(`${origin.user}:${origin.password ?? ''}`, 'utf8').toString('base64')}` };
  return {
    async document() {
      const bytes = await fetchBytes(agent, origin.url, headers, origin.timeoutMs, JNLP_LIMITS.maxBytes);
      return { text: bytes.toString('utf8'), url: origin.url };
    },
    jarUrl: (href) => sameOrigin(href, origin.url),
    download: (url, maxBytes) => fetchBytes(agent, url, headers, origin.timeoutMs, maxBytes),
    async close() {
      await agent.close().catch(() => {});
    },
  };
}

function sameOrigin(url: URL, origin: URL): URL {
  return new URL(url.pathname + url.search, origin.origin);
}

/** GET with a bounded body; failures become the API errors an operator can act on. */
async function fetchBytes(dispatcher: Dispatcher, url: URL, headers: Record<string, string>, timeoutMs: number, maxBytes: number): Promise<Buffer> {
  let res: Dispatcher.ResponseData;
  try {
    res = await request(url, { dispatcher, method: 'GET', headers, headersTimeout: timeoutMs, bodyTimeout: timeoutMs, signal: AbortSignal.timeout(timeoutMs) });
  } catch (e) {
    const code = (e as { code?: string }).code ?? (e as Error).name ?? '';
    if (/TIMEOUT|AbortError|TimeoutError/i.test(code))
      throw new GatewayError('GW_ERR_BMC_TIMEOUT', `${url.origin} did not answer within ${timeoutMs} ms`, { cause: e });
    throw new GatewayError('GW_ERR_BMC_UNREACHABLE', `cannot reach ${url.origin}: ${(e as Error).message}`, { cause: e });
  }
  // A body we stop reading must not become an unhandled 'error' (undici's BodyReadable emits AbortError on destroy).
  res.body.on('error', () => {});
  if (res.statusCode !== 200) {
    res.body.destroy();
    if (res.statusCode === 401 || res.statusCode === 403)
      throw new GatewayError('GW_ERR_BMC_AUTH_FAILED', `${url.origin}${url.pathname} refused the configured credentials (HTTP ${res.statusCode})`);
    throw new GatewayError('GW_ERR_BMC_PROTOCOL', `${url.origin}${url.pathname} answered HTTP ${res.statusCode}`);
  }
  const declared = Number(res.headers['content-length']);
  if (declared > maxBytes) {
    res.body.destroy();
    throw new GatewayError('GW_ERR_BMC_PROTOCOL', `${url.pathname}: ${declared} bytes exceed ${maxBytes}`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const c of res.body) {
      size += (c as Buffer).length;
      if (size > maxBytes) {
        res.body.destroy();
        throw new GatewayError('GW_ERR_BMC_PROTOCOL', `${url.pathname}: more than ${maxBytes} bytes`);
      }
      chunks.push(c as Buffer);
    }
  } catch (e) {
    if (e instanceof GatewayError) throw e;
    throw new GatewayError('GW_ERR_BMC_TIMEOUT', `${url.origin} stopped sending ${url.pathname}: ${(e as Error).message}`, { cause: e });
  }
  return Buffer.concat(chunks);
}
