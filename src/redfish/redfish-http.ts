import { Agent, request, type Dispatcher } from 'undici';
import { GatewayError } from '../errors.js';
import { cleanText, REDFISH_LIMITS } from './redfish-json.js';

/** One answer from a Redfish service: status, the headers we use, and the parsed JSON body. */
export interface RedfishResponse {
  readonly status: number;
  /** Lower-case names; a header sent twice keeps its first value; each value bounded. */
  readonly headers: Readonly<Record<string, string | undefined>>;
  /** The parsed JSON body; undefined when there was none. */
  readonly body: unknown;
  /** Set when a non-empty body was not JSON: its first characters, for the error message. */
  readonly notJson?: string;
}

export interface RedfishRequest {
  readonly method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  readonly path: string;
  readonly headers?: Record<string, string>;
  readonly body?: unknown;
}

const KEPT_HEADERS = ['x-auth-token', 'location', 'etag', 'retry-after', 'content-type', 'www-authenticate'] as const;

/** An undici Agent for one BMC: its own TLS rule (insecureTls), connect bounded like a request, keep-alive between requests. */
export function redfishAgent(insecureTls: boolean, timeoutMs: number): Agent {
  return new Agent({ connect: { rejectUnauthorized: !insecureTls, timeout: timeoutMs }, keepAliveTimeout: 10_000, connections: 4 });
}

/**
 * Sends one request and reads the answer within `timeoutMs`. The body is bounded
 * (`REDFISH_LIMITS.maxBodyBytes`, checked on Content-Length first and while reading). Connection
 * problems become GW_ERR_BMC_UNREACHABLE (a refused certificate says how to accept it), silence
 * GW_ERR_BMC_TIMEOUT. HTTP error statuses are answers, not exceptions: redfish-errors.ts reads them.
 */
export async function sendRedfish(dispatcher: Dispatcher, origin: string, req: RedfishRequest, timeoutMs: number): Promise<RedfishResponse> {
  const headers: Record<string, string> = { accept: 'application/json', 'odata-version': '4.0', ...req.headers };
  let payload: string | undefined;
  if (req.body !== undefined) {
    payload = JSON.stringify(req.body);
    headers['content-type'] = 'application/json';
  }
  let res: Dispatcher.ResponseData;
  try {
    res = await request(new URL(req.path, origin), {
      dispatcher,
      method: req.method,
      headers,
      ...(payload !== undefined ? { body: payload } : {}),
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (e) {
    throw connectionError(e, origin, timeoutMs);
  }
  const length = Number(res.headers['content-length'] ?? '0');
  if (length > REDFISH_LIMITS.maxBodyBytes) {
    res.body.destroy();
    throw new GatewayError('GW_ERR_BMC_PROTOCOL', `${req.method} ${req.path}: the BMC announced a ${length}-byte body (limit ${REDFISH_LIMITS.maxBodyBytes})`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const c of res.body) {
      size += (c as Buffer).length;
      if (size > REDFISH_LIMITS.maxBodyBytes) {
        res.body.destroy();
        throw new GatewayError('GW_ERR_BMC_PROTOCOL', `${req.method} ${req.path}: the BMC's answer is longer than ${REDFISH_LIMITS.maxBodyBytes} bytes`);
      }
      chunks.push(c as Buffer);
    }
  } catch (e) {
    if (e instanceof GatewayError) throw e;
    throw connectionError(e, origin, timeoutMs);
  }
  const kept: Record<string, string | undefined> = {};
  for (const name of KEPT_HEADERS) {
    const v = res.headers[name];
    const first = Array.isArray(v) ? v[0] : v;
    if (first !== undefined && first.length <= REDFISH_LIMITS.maxHeaderChars) kept[name] = first;
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return { status: res.statusCode, headers: kept, body: undefined };
  try {
    return { status: res.statusCode, headers: kept, body: JSON.parse(text) as unknown };
  } catch {
    return { status: res.statusCode, headers: kept, body: undefined, notJson: cleanText(text, 120) };
  }
}

function connectionError(e: unknown, origin: string, timeoutMs: number): GatewayError {
  const err = e as { code?: string; name?: string; message?: string; cause?: { code?: string; message?: string } };
  const code = err.code ?? err.cause?.code ?? err.name ?? '';
  if (/TIMEOUT|AbortError|TimeoutError/i.test(code) || /TIMEOUT|AbortError|TimeoutError/i.test(err.name ?? '')) {
    return new GatewayError('GW_ERR_BMC_TIMEOUT', `${origin} did not answer within ${timeoutMs} ms`, { cause: e });
  }
  const message = err.cause?.message ?? err.message ?? String(e);
  const hint = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ALTNAME/i.test(code) ? ' (set insecureTls: true to accept this BMC\'s certificate)' : '';
  return new GatewayError('GW_ERR_BMC_UNREACHABLE', `cannot reach ${origin}: ${message}${hint}`, { cause: e });
}
