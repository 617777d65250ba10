import type { ClientRequest, IncomingMessage } from 'node:http';
import { Agent, type Dispatcher } from 'undici';
import { WebSocket } from 'ws';
import { GatewayError } from '../../errors.js';
import { bmcRequest, type BmcHttpRequest, type BmcHttpResult } from '../../util/bmc-http.js';
import { webTlsOptions } from '../../util/bmc-tls.js';

/**
 * A Redfish session on an OpenBMC's web server (bmcweb), used to open its WebSockets (`/kvm/0`,
 * `/console0`). What it does, in bmcweb's terms (redfish-core/lib/redfish_sessions.hpp,
 * include/authentication.hpp):
 *
 * - `POST /redfish/v1/SessionService/Sessions` with `{"UserName","Password"}` (JSON, `Accept:
 *   application/json`) → 201 Created, the token in the `X-Auth-Token` header, the session's URI in
 *   `Location`. We never send `X-Requested-With`: with it bmcweb answers with cookies (BMCWEB-SESSION
 *   + XSRF-TOKEN, meant for its web UI) and no token, and a cookie-authenticated WebSocket must then
 *   carry the CSRF token as its subprotocol.
 * - Every later request, WebSocket upgrades included, carries `X-Auth-Token`. A missing or unknown
 *   token gets 401; a user without the route's privilege (KVM: ConfigureComponents/ConfigureManager,
 *   console: OpenBMCHostConsole) gets 403.
 * - `DELETE <Location>` with the token ends the session (`logout()`), once what it opened is closed.
 *   bmcweb does not close open WebSockets when their session ends or times out (30 min idle), so one
 *   session per connection, deleted when that connection ends, leaves nothing behind.
 *
 * The token stays in this object's private fields: it is never logged, put in an error message, or
 * shown to anyone.
 */

export interface BmcwebLoginOptions {
  /** `host` or `host:port` as it goes into a URL (IPv6 in brackets). */
  readonly hostForUrl: string;
  readonly user: string;
  readonly password: string;
  readonly insecureTls: boolean;
  readonly legacyTls: boolean;
  /** Bound of each HTTP request and of a WebSocket's opening handshake. */
  readonly timeoutMs: number;
}

/** Redfish answers we read are small JSON documents. */
const MAX_BODY_BYTES = 256 * 1024;
const SESSIONS_PATH = '/redfish/v1/SessionService/Sessions';
/** bmcweb sends at most 50 KiB per KVM message (its outputBuffer), 4 KiB per console message. */
const MAX_INCOMING_MESSAGE_BYTES = 1 << 20;

export class BmcwebSession {
  readonly #origin: string;
  readonly #token: string;
  readonly #location: URL;
  readonly #agent: Agent;
  readonly #o: BmcwebLoginOptions;
  #loggedOut: Promise<boolean> | undefined;

  private constructor(origin: string, token: string, location: URL, agent: Agent, o: BmcwebLoginOptions) {
    this.#origin = origin;
    this.#token = token;
    this.#location = location;
    this.#agent = agent;
    this.#o = o;
  }

  /** `https://host[:port]`: where the session lives, for messages. */
  get origin(): string {
    return this.#origin;
  }

  /**
   * Logs in. Throws GatewayError: GW_ERR_BMC_AUTH_FAILED (401/403), GW_ERR_BMC_UNREACHABLE (no
   * connection, certificate refused), GW_ERR_BMC_TIMEOUT, GW_ERR_BMC_PROTOCOL (no token or no
   * Location in a success answer, any other status).
   */
  static async login(o: BmcwebLoginOptions): Promise<BmcwebSession> {
    const origin = new URL(`https://${o.hostForUrl}`).origin;
    const agent = new Agent({ connect: webTlsOptions(o) });
    try {
      const res = await send(agent, o.timeoutMs, new URL(SESSIONS_PATH, origin), {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({ UserName: o.user, Password: o.password }),
      });
      if (res.status === 401 || res.status === 403) {
        throw new GatewayError('GW_ERR_BMC_AUTH_FAILED', `the Redfish login at ${origin} refused the configured user/password (HTTP ${res.status})`);
      }
      const token = header(res, 'x-auth-token');
      if ((res.status !== 201 && res.status !== 200) || !token) {
        throw new GatewayError(
          'GW_ERR_BMC_PROTOCOL',
          `the Redfish login at ${origin}${SESSIONS_PATH} answered HTTP ${res.status}${token ? '' : ' without an X-Auth-Token header'}`,
        );
      }
      const location = sessionUri(res, origin);
      return new BmcwebSession(origin, token, location, agent, o);
    } catch (e) {
      await agent.close().catch(() => {});
      throw e;
    }
  }

  /**
   * Opens `wss://host/<path>` with the token on the upgrade request. Resolves once the WebSocket is
   * open; a refused upgrade is GW_ERR_BMC_AUTH_FAILED (401/403) or GW_ERR_BMC_PROTOCOL (any other
   * answer), naming the path.
   */
  openWebSocket(path: string): Promise<WebSocket> {
    const url = new URL(path, this.#origin.replace(/^https:/, 'wss:'));
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, {
        headers: { 'X-Auth-Token': this.#token },
        ...webTlsOptions(this.#o),
        handshakeTimeout: this.#o.timeoutMs,
        perMessageDeflate: false,
        maxPayload: MAX_INCOMING_MESSAGE_BYTES,
        followRedirects: false,
      });
      let settled = false;
      const fail = (err: Error) => {
        if (settled) return;
        settled = true;
        ws.terminate();
        reject(err);
      };
      ws.once('unexpected-response', (req: ClientRequest, res: IncomingMessage) => {
        req.destroy();
        res.resume();
        const status = res.statusCode ?? 0;
        fail(
          status === 401 || status === 403
            ? new GatewayError(
                'GW_ERR_BMC_AUTH_FAILED',
                `${url.origin} refused the session's token on ${url.pathname} (HTTP ${status}${status === 403 ? ': the user lacks the privilege for it' : ''})`,
              )
            : new GatewayError('GW_ERR_BMC_PROTOCOL', `${url.origin} answered the WebSocket upgrade of ${url.pathname} with HTTP ${status}`),
        );
      });
      ws.once('error', (err) => {
        const timeout = /timed out|timeout/i.test(err.message);
        fail(
          new GatewayError(timeout ? 'GW_ERR_BMC_TIMEOUT' : 'GW_ERR_BMC_UNREACHABLE', `cannot open ${url.origin}${url.pathname}: ${err.message}`, {
            cause: err,
          }),
        );
      });
      ws.once('open', () => {
        if (settled) return;
        settled = true;
        ws.removeAllListeners('error');
        ws.removeAllListeners('unexpected-response');
        resolve(ws);
      });
    });
  }

  /** Deletes the Redfish session (once; later calls get the same answer). False if the BMC could not be told. */
  logout(): Promise<boolean> {
    this.#loggedOut ??= (async () => {
      try {
        const res = await send(this.#agent, this.#o.timeoutMs, this.#location, {
          method: 'DELETE',
          headers: { 'X-Auth-Token': this.#token, accept: 'application/json' },
        });
        return res.status < 300;
      } catch {
        return false;
      } finally {
        await this.#agent.close().catch(() => {});
      }
    })();
    return this.#loggedOut;
  }
}

type HttpResult = BmcHttpResult;

function send(agent: Dispatcher, timeoutMs: number, url: URL, init: BmcHttpRequest): Promise<HttpResult> {
  return bmcRequest(agent, url, init, { timeoutMs, maxBodyBytes: MAX_BODY_BYTES });
}

function header(res: HttpResult, name: string): string | undefined {
  const v = res.headers[name];
  const s = Array.isArray(v) ? v[0] : v;
  return s === undefined || s.trim() === '' ? undefined : s.trim();
}

/**
 * The session's URI: the Location header (Redfish spec §13.3.4, "Session login"), else the answer's
 * `@odata.id`. Only on the BMC's own origin: the token is never sent anywhere else.
 */
function sessionUri(res: HttpResult, origin: string): URL {
  let where = header(res, 'location');
  if (!where) {
    try {
      const id = (JSON.parse(res.body) as { '@odata.id'?: unknown })['@odata.id'];
      if (typeof id === 'string') where = id;
    } catch {
      // not JSON: handled below
    }
  }
  const url = where === undefined ? undefined : URL.canParse(where, origin) ? new URL(where, origin) : undefined;
  if (!url || url.origin !== origin || !url.pathname.startsWith(`${SESSIONS_PATH}/`)) {
    throw new GatewayError(
      'GW_ERR_BMC_PROTOCOL',
      `the Redfish login at ${origin} gave no usable session URI (Location ${JSON.stringify(where ?? null)}): the session could not be ended later`,
    );
  }
  return url;
}
