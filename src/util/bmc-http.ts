import { request, type Dispatcher } from 'undici';
import { GatewayError } from '../errors.js';

export interface BmcHttpResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export interface BmcHttpRequest {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  headers: Record<string, string>;
  body?: string;
}

/**
 * One request to a BMC's web interface (the ATEN web login, bmcweb's Redfish sessions), with the
 * failures an operator can act on told apart: no answer within `timeoutMs` (headers, body, or the
 * whole) → GW_ERR_BMC_TIMEOUT; no connection or a refused certificate → GW_ERR_BMC_UNREACHABLE (a
 * certificate problem says how to accept it); a body over `maxBodyBytes`, announced or read →
 * GW_ERR_BMC_PROTOCOL (read no further). Also Redfish's transport (src/redfish/redfish-http.ts).
 */
export async function bmcRequest(agent: Dispatcher, url: URL, init: BmcHttpRequest, o: { timeoutMs: number; maxBodyBytes: number }): Promise<BmcHttpResult> {
  const timeout = o.timeoutMs;
  let res: Dispatcher.ResponseData;
  try {
    res = await request(url, {
      dispatcher: agent,
      method: init.method,
      headers: init.headers,
      ...(init.body !== undefined ? { body: init.body } : {}),
      headersTimeout: timeout,
      bodyTimeout: timeout,
      signal: AbortSignal.timeout(timeout),
    });
  } catch (e) {
    const code = (e as { code?: string; name?: string }).code ?? (e as { name?: string }).name ?? '';
    if (/TIMEOUT|AbortError|TimeoutError/i.test(code))
      throw new GatewayError('GW_ERR_BMC_TIMEOUT', `${url.origin} did not answer within ${timeout} ms`, { cause: e });
    const hint = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ALTNAME/i.test(code) ? " (set insecureTls: true to accept this BMC's certificate)" : '';
    throw new GatewayError('GW_ERR_BMC_UNREACHABLE', `cannot reach ${url.origin}: ${(e as Error).message}${hint}`, { cause: e });
  }
  const announced = Number(res.headers['content-length'] ?? '0');
  if (announced > o.maxBodyBytes) {
    res.body.destroy();
    throw new GatewayError('GW_ERR_BMC_PROTOCOL', `${url.pathname}: the BMC announced a ${announced}-byte reply body (limit ${o.maxBodyBytes})`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const c of res.body) {
      size += (c as Buffer).length;
      if (size > o.maxBodyBytes) {
        res.body.destroy();
        throw new GatewayError('GW_ERR_BMC_PROTOCOL', `${url.pathname}: reply body over ${o.maxBodyBytes} bytes`);
      }
      chunks.push(c as Buffer);
    }
  } catch (e) {
    if (e instanceof GatewayError) throw e;
    throw new GatewayError('GW_ERR_BMC_TIMEOUT', `${url.origin} stopped sending: ${(e as Error).message}`, { cause: e });
  }
  return { status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') };
}
