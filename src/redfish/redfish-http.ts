import { Agent, type Dispatcher } from 'undici';
import { bmcRequest } from '../util/bmc-http.js';
import { webTlsOptions } from '../util/bmc-tls.js';
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

/** An undici Agent for one BMC: its TLS rule (insecureTls, as for every BMC web login), connect bounded like a request, keep-alive between requests. */
export function redfishAgent(insecureTls: boolean, timeoutMs: number): Agent {
  return new Agent({ connect: { ...webTlsOptions({ insecureTls }), timeout: timeoutMs }, keepAliveTimeout: 10_000, connections: 4 });
}

/**
 * Sends one request (DSP0266: `Accept: application/json`, `OData-Version: 4.0`, JSON bodies) through
 * the BMC web transport (util/bmc-http.ts: the timeout, connection and certificate failures, the
 * body bound `REDFISH_LIMITS.maxBodyBytes`), and parses the answer. HTTP error statuses are answers,
 * not exceptions: redfish-errors.ts reads them.
 */
export async function sendRedfish(dispatcher: Dispatcher, origin: string, req: RedfishRequest, timeoutMs: number): Promise<RedfishResponse> {
  const headers: Record<string, string> = { accept: 'application/json', 'odata-version': '4.0', ...req.headers };
  let payload: string | undefined;
  if (req.body !== undefined) {
    payload = JSON.stringify(req.body);
    headers['content-type'] = 'application/json';
  }
  const res = await bmcRequest(
    dispatcher,
    new URL(req.path, origin),
    { method: req.method, headers, ...(payload !== undefined ? { body: payload } : {}) },
    { timeoutMs, maxBodyBytes: REDFISH_LIMITS.maxBodyBytes },
  );
  const kept: Record<string, string | undefined> = {};
  for (const name of KEPT_HEADERS) {
    const v = res.headers[name];
    const first = Array.isArray(v) ? v[0] : v;
    if (first !== undefined && first.length <= REDFISH_LIMITS.maxHeaderChars) kept[name] = first;
  }
  if (res.body.trim() === '') return { status: res.status, headers: kept, body: undefined };
  try {
    return { status: res.status, headers: kept, body: JSON.parse(res.body) as unknown };
  } catch {
    return { status: res.status, headers: kept, body: undefined, notJson: cleanText(res.body, 120) };
  }
}
