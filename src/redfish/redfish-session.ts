import type { Agent } from 'undici';
import { GatewayError } from '../errors.js';
import { redfishError } from './redfish-errors.js';
import { redfishAgent, sendRedfish, type RedfishRequest, type RedfishResponse } from './redfish-http.js';
import { checkPath, isObject } from './redfish-json.js';
import { parseServiceRoot, type ServiceRoot } from './resources.js';

/** Where and as whom: the part of a server's `redfish:` block a session needs. */
export interface RedfishEndpoint {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  /** Sent only in the login body (or Basic header); never logged or kept elsewhere. */
  readonly password: string;
  readonly insecureTls: boolean;
  /** Upper bound of each HTTP request (default 15 s). */
  readonly timeoutMs?: number;
}

export type RedfishAuthMode = 'session' | 'basic';

const SERVICE_ROOT = '/redfish/v1/';

/**
 * A logged-in Redfish client for one BMC: the small reusable piece (also meant for the OpenBMC
 * console's login). `login()` reads the service root (no credentials needed, DSP0266) and POSTs
 * `{UserName, Password}` to its `Links.Sessions`; the answer's `X-Auth-Token` authorises every
 * later request and its `Location` is the session, DELETEd by `logout()`. A service without a
 * SessionService (no Links.Sessions, or a Sessions URI that answers 404/405/501) is used with HTTP
 * Basic authentication instead, checked once at login.
 *
 * `request()` logs in when needed, and when the service answers 401 to a token (expired after
 * SessionTimeout, or deleted on the BMC) logs in again once and repeats the request. Concurrent
 * requests share one login. Nothing here logs: the token and password stay in this object.
 */
export class RedfishSession {
  readonly origin: string;
  readonly #ep: RedfishEndpoint;
  readonly #agent: Agent;
  readonly #timeoutMs: number;
  #root: ServiceRoot | undefined;
  #mode: RedfishAuthMode | undefined;
  #token: string | undefined;
  #sessionUri: string | undefined;
  #login: Promise<void> | undefined;
  #closed = false;

  constructor(ep: RedfishEndpoint) {
    this.#ep = ep;
    this.#timeoutMs = ep.timeoutMs ?? 15_000;
    const host = ep.host.includes(':') && !ep.host.startsWith('[') ? `[${ep.host}]` : ep.host;
    this.origin = `https://${host}:${ep.port}`;
    this.#agent = redfishAgent(ep.insecureTls, this.#timeoutMs);
  }

  /** The X-Auth-Token while logged in with a session (for a caller that opens its own connection, e.g. a KVM WebSocket). */
  get token(): string | undefined {
    return this.#token;
  }

  /** How requests are authorised: after login, `session` or `basic`. */
  get authMode(): RedfishAuthMode | undefined {
    return this.#mode;
  }

  /** The session resource's path (what logout DELETEs). */
  get sessionUri(): string | undefined {
    return this.#sessionUri;
  }

  /** The service root (read once, without credentials). */
  async serviceRoot(): Promise<ServiceRoot> {
    if (this.#root) return this.#root;
    let res = await this.#send({ method: 'GET', path: SERVICE_ROOT }, 'none');
    // DSP0266 says the root needs no credentials; some firmware wants them anyway.
    if (res.status === 401) res = await this.#send({ method: 'GET', path: SERVICE_ROOT }, 'basic');
    if (res.status === 401) throw redfishError(res, `reading the service root of ${this.origin}`);
    if (res.status !== 200) {
      throw new GatewayError(
        'GW_ERR_NOT_REDFISH',
        `${this.origin}${SERVICE_ROOT} answered HTTP ${res.status}${res.notJson ? ` "${res.notJson}"` : ''}, not a Redfish service root: is this BMC's Redfish service enabled, and is this its HTTPS port?`,
      );
    }
    this.#root = parseServiceRoot(res.body, this.origin);
    return this.#root;
  }

  /** Logs in (or checks Basic credentials). Throws GW_ERR_BMC_AUTH_FAILED when the BMC refuses them. */
  login(): Promise<void> {
    if (this.#closed) return Promise.reject(new GatewayError('GW_ERR_BMC_UNREACHABLE', `the Redfish session to ${this.origin} is closed`));
    this.#login ??= this.#doLogin().finally(() => {
      this.#login = undefined;
    });
    return this.#login;
  }

  async #doLogin(): Promise<void> {
    const root = await this.serviceRoot();
    const sessions = root.sessions ?? (root.sessionService ? `${root.sessionService.replace(/\/+$/, '')}/Sessions` : undefined);
    if (sessions) {
      const res = await this.#send({ method: 'POST', path: sessions, body: { UserName: this.#ep.user, Password: this.#ep.password } }, 'none');
      if (res.status === 200 || res.status === 201) {
        const token = res.headers['x-auth-token'];
        if (!token || !/^[\x21-\x7e]{1,1024}$/.test(token))
          throw new GatewayError('GW_ERR_BMC_PROTOCOL', `the Redfish login at ${this.origin}${sessions} answered ${res.status} without a usable X-Auth-Token`);
        const where = res.headers.location ?? (isObject(res.body) && typeof res.body['@odata.id'] === 'string' ? res.body['@odata.id'] : undefined);
        this.#token = token;
        this.#sessionUri = where === undefined ? undefined : checkPath(where, "the login answer's Location");
        this.#mode = 'session';
        return;
      }
      if (res.status !== 404 && res.status !== 405 && res.status !== 501) {
        throw loginError(res, `the Redfish login of user "${this.#ep.user}" at ${this.origin}${sessions}`);
      }
    }
    // No SessionService: HTTP Basic on every request, checked here against a resource that needs it.
    this.#mode = 'basic';
    const probe = root.systems ?? root.sessionService ?? SERVICE_ROOT;
    const res = await this.#send({ method: 'GET', path: probe }, 'basic');
    if (res.status === 401 || res.status === 403) {
      this.#mode = undefined;
      throw loginError(res, `HTTP Basic authentication of user "${this.#ep.user}" at ${this.origin} (the service has no SessionService)`);
    }
  }

  /** An authorised request; logs in first if needed, and once more when a session token is refused. */
  async request(req: RedfishRequest): Promise<RedfishResponse> {
    if (this.#closed) throw new GatewayError('GW_ERR_BMC_UNREACHABLE', `the Redfish session to ${this.origin} is closed`);
    if (!this.#mode || this.#login) await this.login();
    const used = this.#token;
    let res = await this.#send(req, this.#authFor());
    if (res.status === 401 && this.#mode === 'session') {
      // The token expired (SessionTimeout) or was deleted on the BMC: log in again, once. A request
      // that finds another one already did (the token changed) just uses the new token.
      if (this.#token === used) {
        this.#token = undefined;
        this.#sessionUri = undefined;
        await this.login();
      } else if (this.#login) {
        await this.#login;
      }
      res = await this.#send(req, this.#authFor());
    }
    return res;
  }

  #authFor(): 'token' | 'basic' {
    return this.#mode === 'basic' ? 'basic' : 'token';
  }

  /** Deletes the session on the BMC (best effort: a BMC that does not answer keeps it until SessionTimeout). */
  async logout(): Promise<boolean> {
    const uri = this.#sessionUri;
    const had = this.#token !== undefined;
    const mode = this.#mode;
    this.#mode = undefined;
    if (!had || !uri || mode !== 'session') {
      this.#token = undefined;
      return false;
    }
    try {
      const res = await this.#send({ method: 'DELETE', path: uri }, 'token');
      return res.status < 300;
    } catch {
      return false;
    } finally {
      this.#token = undefined;
      this.#sessionUri = undefined;
    }
  }

  /** Logs out and releases the connections. */
  async close(): Promise<void> {
    if (this.#closed) return;
    await this.logout();
    this.#closed = true;
    await this.#agent.close().catch(() => undefined);
  }

  #send(req: RedfishRequest, auth: 'none' | 'token' | 'basic'): Promise<RedfishResponse> {
    const headers: Record<string, string> = { ...req.headers };
    if (auth === 'token' && this.#token) headers['x-auth-token'] = this.#token;
    if (auth === 'basic') headers.authorization = `Basic ${Buffer.from(`${this.#ep.user}:${this.#ep.password}`, 'utf8').toString('base64')}`;
    return sendRedfish(this.#agent, this.origin, { ...req, headers }, this.#timeoutMs);
  }
}

/** A refused login is GW_ERR_BMC_AUTH_FAILED whatever status the firmware picked (400, 401, 403). */
function loginError(res: RedfishResponse, doing: string): GatewayError {
  const e = redfishError(res, doing);
  if (res.status === 400 || res.status === 401 || res.status === 403)
    return new GatewayError('GW_ERR_BMC_AUTH_FAILED', `${e.message} (wrong user or password?)`, { details: e.details });
  return e;
}
