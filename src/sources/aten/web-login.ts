import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, type Dispatcher } from 'undici';
import { GatewayError } from '../../errors.js';
import { bmcRequest } from '../../util/bmc-http.js';
import { webTlsOptions } from '../../util/bmc-tls.js';
import { Html5UnavailableError, parseHtml5Bootstrap } from './html5-bootstrap.js';
import { JnlpError, MAX_JNLP_BYTES, parseJnlp, type JnlpKvmArguments } from './jnlp.js';

/**
 * Getting one-time KVM credentials from a Supermicro BMC's web interface (notes §6):
 *   POST /cgi/login.cgi (name, pwd) → SID cookie;
 *   GET /cgi/url_redirect.cgi?url_name=ikvm&url_type=jwsk (falling back to url_name=man_ikvm) → JNLP,
 *   whose arguments 1 and 2 are the KVM user/password tokens (single-use: fetch per connection);
 *   or, for the HTML5 console, GET /cgi/url_redirect.cgi?url_name=man_ikvm_html5_bootstrap → a
 *   one-time ticket (`entry_value`) and the address of the console's WebSocket;
 *   GET /cgi/logout.cgi — which also kicks the KVM session (0x39 code 3), so only once the console
 *   is closed.
 *
 * The endpoints, form fields and cookie name are overridable with nojava-ipmi-kvm's keys, with the
 * same meaning, so hosts from an operator's ~/.nojava-ipmi-kvmrc.yaml carry over.
 */

/** nojava-ipmi-kvm host keys (sciapp/nojava-ipmi-kvm README / config.py), same names and meaning. */
export interface NojavaIpmiKvmKeys {
  /** Login form path (default `cgi/login.cgi`). */
  login_endpoint?: string;
  /** JNLP path (default `cgi/url_redirect.cgi?url_name=ikvm&url_type=jwsk`). */
  download_endpoint?: string;
  /** Form field names (defaults `name`, `pwd`). */
  user_login_attribute_name?: string;
  password_login_attribute_name?: string;
  /**
   * Name of the session cookie (default `SID`). As in nojava-ipmi-kvm, when the login reply sets
   * no such cookie, its body is scanned for a `…session…: 'value'` assignment (firmware that sets the
   * cookie from JavaScript) and the value is used under this name.
   */
  session_cookie_key?: string;
  /** Comma-separated `key:value` pairs added to the login form (example: `method:login`). */
  extra_login_form_fields?: string;
  /** Send the login as a JSON object instead of a form. */
  send_post_data_as_json?: boolean;
  /** Accept a certificate that cannot be verified (self-signed BMCs). */
  allow_insecure_ssl?: boolean;
  /** HTML5 bootstrap page path (default `cgi/url_redirect.cgi?url_name=man_ikvm_html5_bootstrap`). */
  html5_endpoint?: string;
}

/**
 * The keys of NojavaIpmiKvmKeys by kind: what the gateway's own `aten` console reader
 * (aten-config.ts) and the nojava-ipmi-kvm config converter (nojava-config.ts) accept.
 */
export const NOJAVA_STRING_KEYS = [
  'login_endpoint',
  'download_endpoint',
  'user_login_attribute_name',
  'password_login_attribute_name',
  'session_cookie_key',
  'extra_login_form_fields',
  'html5_endpoint',
] as const satisfies readonly (keyof NojavaIpmiKvmKeys)[];
export const NOJAVA_BOOLEAN_KEYS = ['send_post_data_as_json', 'allow_insecure_ssl'] as const satisfies readonly (keyof NojavaIpmiKvmKeys)[];

export interface AtenWebLoginOptions {
  /** BMC address, `host` or `host:port`, as reachable from the gateway. */
  host: string;
  username: string;
  password: string;
  /** Try HTTPS first (default) and fall back to HTTP if HTTPS cannot connect, when true. */
  httpFallback?: boolean;
  /** Only HTTP (for BMCs without HTTPS). */
  httpOnly?: boolean;
  /** Accept self-signed certificates (same as allow_insecure_ssl). */
  insecureTls?: boolean;
  /**
   * Allow TLS 1.0/1.1 and legacy ciphers: Node's OpenSSL 3 refuses them by default, and X8/X9 BMCs
   * speak nothing newer. Only when configured for that BMC.
   */
  legacyTls?: boolean;
  /** Some firmware's login page base64-encodes the credentials (ossobv/vcutil ipmikvm). */
  base64Credentials?: boolean;
  /** Per-request timeout (default 10 s). */
  timeoutMs?: number;
  overrides?: NojavaIpmiKvmKeys;
}

export interface AtenKvmCredentials extends JnlpKvmArguments {
  /** The JNLP's host (argument 0); the gateway should still connect to the configured BMC address. */
  jnlpHost: string;
}

/** Where and how to open the HTML5 console: everything but `url` is a secret. */
export interface AtenHtml5Console {
  /** The one-time ticket from the bootstrap page's `entry_value`. */
  entryValue: string;
  /** The console's WebSocket: the web interface's root, `wss://host[:port]/` (`ws://` over HTTP). */
  url: string;
  /** `Origin` as the BMC's own page sends it: the web interface's origin. */
  origin: string;
  /** `Cookie` for the upgrade: the web session (`SID=…`). */
  cookie: string;
}

/** TLS settings for everything the gateway opens to this BMC's web port (undici and the HTML5 WebSocket). */
export function bmcTlsOptions(opts: AtenWebLoginOptions): { rejectUnauthorized: boolean; minVersion?: 'TLSv1'; ciphers?: string } {
  const insecure = opts.insecureTls === true || opts.overrides?.allow_insecure_ssl === true;
  return webTlsOptions({ insecureTls: insecure, legacyTls: opts.legacyTls });
}

const DEFAULTS = {
  login_endpoint: 'cgi/login.cgi',
  download_endpoint: 'cgi/url_redirect.cgi?url_name=ikvm&url_type=jwsk',
  user_login_attribute_name: 'name',
  password_login_attribute_name: 'pwd',
  session_cookie_key: 'SID',
  html5_endpoint: 'cgi/url_redirect.cgi?url_name=man_ikvm_html5_bootstrap',
};
const FALLBACK_DOWNLOAD = 'cgi/url_redirect.cgi?url_name=man_ikvm&url_type=jwsk';
const LOGOUT = 'cgi/logout.cgi';
const MAX_BODY_BYTES = 1 << 20;

/** A logged-in web session on one BMC. Call `logout()` once the KVM console is closed, then `close()`. */
export class AtenWebSession {
  readonly #base: string;
  readonly #cookieName: string;
  readonly #cookie: string;
  readonly #agent: Agent;
  readonly #opts: AtenWebLoginOptions;
  /** The HTML5 page's CSRF header, sent with the logout as the firmware's own page does. */
  #csrf: { header: string; token: string } | undefined;
  #closed = false;

  private constructor(base: string, cookieName: string, cookie: string, agent: Agent, opts: AtenWebLoginOptions) {
    this.#base = base;
    this.#cookieName = cookieName;
    this.#cookie = cookie;
    this.#agent = agent;
    this.#opts = opts;
  }

  /** The base URL that answered (`https://host/` or `http://host/`). */
  get baseUrl(): string {
    return this.#base;
  }

  /** Logs in. Throws GatewayError GW_ERR_BMC_UNREACHABLE / _TIMEOUT / _AUTH_FAILED / _PROTOCOL. */
  static async login(opts: AtenWebLoginOptions): Promise<AtenWebSession> {
    const keys = { ...DEFAULTS, ...opts.overrides };
    const agent = new Agent({ connect: bmcTlsOptions(opts) });
    const schemes = opts.httpOnly ? ['http'] : opts.httpFallback ? ['https', 'http'] : ['https'];
    let lastError: unknown;
    try {
      for (const scheme of schemes) {
        const base = `${scheme}://${opts.host}/`;
        let res: HttpResult;
        try {
          res = await send(agent, opts, new URL(keys.login_endpoint, base), loginRequest(opts, keys));
        } catch (e) {
          lastError = e;
          if (e instanceof GatewayError && e.code === 'GW_ERR_BMC_UNREACHABLE') continue; // next scheme
          throw e;
        }
        const cookie = sessionCookie(res, keys.session_cookie_key);
        // Failure pages: a login_alert redirect or an alert() (ossobv/vcutil ipmikvm, ikvmt web.rs).
        if (res.status >= 400 || !cookie || /url_name=login_alert|\balert\(/.test(res.body)) {
          throw new GatewayError(
            'GW_ERR_BMC_AUTH_FAILED',
            `the BMC web login at ${base} refused the credentials (HTTP ${res.status}${cookie ? '' : ', no session cookie'})`,
          );
        }
        return new AtenWebSession(base, keys.session_cookie_key, cookie, agent, opts);
      }
      throw lastError instanceof Error ? lastError : new GatewayError('GW_ERR_BMC_UNREACHABLE', `cannot reach ${opts.host}`);
    } catch (e) {
      await agent.close().catch(() => {});
      throw e;
    }
  }

  /**
   * Fetches a fresh JNLP (this is what mints the one-time tokens and arms the KVM port) and returns
   * the credentials. Tries `download_endpoint`, then the `man_ikvm` variant; retries once after 1 s
   * on HTTP 500 (mkrasselt1 saw it right after login).
   */
  async fetchKvmCredentials(): Promise<AtenKvmCredentials> {
    const { text, url } = await this.fetchJnlp();
    try {
      const args = parseJnlp(text);
      return { ...args, jnlpHost: args.host };
    } catch (e) {
      if (e instanceof JnlpError) throw new GatewayError('GW_ERR_BMC_PROTOCOL', `the JNLP from ${url.pathname}${url.search}: ${e.message}`, { cause: e });
      throw e;
    }
  }

  /** The iKVM JNLP as the BMC sent it, and its URL (the Java fallback runs it: src/sources/jnlp/). */
  async fetchJnlp(): Promise<{ text: string; url: URL }> {
    const keys = { ...DEFAULTS, ...this.#opts.overrides };
    const paths = [...new Set([keys.download_endpoint, FALLBACK_DOWNLOAD])];
    let last = '';
    for (const path of paths) {
      const url = new URL(path, this.#base);
      for (let attempt = 0; attempt < 2; attempt++) {
        const res = await send(this.#agent, this.#opts, url, { method: 'GET', headers: this.requestHeaders() });
        if (res.status === 500 && attempt === 0) {
          await sleep(1000);
          continue;
        }
        if (res.status === 200 && res.body.includes('<jnlp')) return { text: res.body, url };
        last = `${path}: HTTP ${res.status}${res.status === 200 ? ', not a JNLP (HTML5-only firmware?)' : ''}`;
        break;
      }
    }
    throw new GatewayError('GW_ERR_BMC_PROTOCOL', `the BMC gave no iKVM JNLP (${last}); for a board with the HTML5 console set transport: html5 (or auto)`);
  }

  /**
   * Fetches the HTML5 bootstrap page, which mints a one-time console ticket, and says where the
   * console's WebSocket is. Referer as the firmware's own navigation sends it (kookyleo/ikvmt web.rs).
   * Throws Html5UnavailableError when the BMC has no such page or the page holds no ticket.
   */
  async fetchHtml5Console(): Promise<AtenHtml5Console> {
    const path = this.#opts.overrides?.html5_endpoint ?? DEFAULTS.html5_endpoint;
    const res = await send(this.#agent, this.#opts, new URL(path, this.#base), {
      method: 'GET',
      headers: { cookie: this.#cookieHeader(), referer: new URL('cgi/url_redirect.cgi?url_name=man_ikvm_html5', this.#base).href },
    });
    if (res.status !== 200) throw new Html5UnavailableError('GW_ERR_BMC_PROTOCOL', `the BMC serves no HTML5 iKVM page (${path}: HTTP ${res.status})`);
    const page = parseHtml5Bootstrap(res.body);
    if (!page)
      throw new Html5UnavailableError(
        'GW_ERR_BMC_PROTOCOL',
        `the BMC's ${path} holds no HTML5 console ticket (entry_value): firmware without the HTML5 console`,
      );
    this.#csrf = page.csrf;
    const base = new URL(this.#base);
    return {
      entryValue: page.entryValue,
      url: `${base.protocol === 'https:' ? 'wss' : 'ws'}://${base.host}/`,
      origin: base.origin,
      cookie: this.#cookieHeader(),
    };
  }

  /** What a further request in this web session needs (the JNLP's jars): the session cookie and this BMC's TLS settings. */
  requestHeaders(): Record<string, string> {
    return { cookie: this.#cookieHeader(), referer: new URL('cgi/url_redirect.cgi?url_name=man_ikvm', this.#base).href };
  }

  get dispatcher(): Dispatcher {
    return this.#agent;
  }

  /** Ends the web session. Best effort: returns false if the BMC could not be told. */
  async logout(): Promise<boolean> {
    try {
      const headers: Record<string, string> = { cookie: this.#cookieHeader() };
      if (this.#csrf) headers[this.#csrf.header] = this.#csrf.token;
      const res = await send(this.#agent, this.#opts, new URL(LOGOUT, this.#base), { method: 'GET', headers });
      return res.status < 400;
    } catch {
      return false;
    }
  }

  #cookieHeader(): string {
    return `${this.#cookieName}=${this.#cookie}`;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#agent.close();
  }
}

interface HttpResult {
  status: number;
  setCookies: string[];
  body: string;
}

type RequestInit = { method: 'GET' | 'POST'; headers: Record<string, string>; body?: string };

function loginRequest(opts: AtenWebLoginOptions, keys: typeof DEFAULTS & NojavaIpmiKvmKeys): RequestInit {
  const enc = (s: string) => (opts.base64Credentials ? Buffer.from(s, 'utf8').toString('base64') : s);
  const fields: Record<string, string> = {
    [keys.user_login_attribute_name]: enc(opts.username),
    [keys.password_login_attribute_name]: enc(opts.password),
  };
  for (const pair of (keys.extra_login_form_fields ?? '').split(',')) {
    if (!pair.trim()) continue;
    const i = pair.indexOf(':');
    if (i < 1) throw new GatewayError('GW_ERR_BAD_REQUEST', `extra_login_form_fields: "${pair}" is not key:value`);
    fields[pair.slice(0, i).trim()] = pair.slice(i + 1).trim();
  }
  if (keys.send_post_data_as_json) {
    return { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(fields) };
  }
  return { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields).toString() };
}

async function send(agent: Dispatcher, opts: AtenWebLoginOptions, url: URL, init: RequestInit): Promise<HttpResult> {
  const res = await bmcRequest(agent, url, init, { timeoutMs: opts.timeoutMs ?? 10_000, maxBodyBytes: Math.max(MAX_BODY_BYTES, MAX_JNLP_BYTES) });
  const sc = res.headers['set-cookie'];
  return { status: res.status, setCookies: sc === undefined ? [] : Array.isArray(sc) ? sc : [sc], body: res.body };
}

/**
 * The session cookie's value: the last non-empty `name=` among Set-Cookie headers (Supermicro sends
 * a clearing `SID=;` before the real one — ikvmt web.rs), else a value scraped from the body the way
 * nojava-ipmi-kvm does for firmware that sets the cookie from JavaScript.
 */
function sessionCookie(res: HttpResult, name: string): string | undefined {
  let value: string | undefined;
  for (const h of res.setCookies) {
    const first = h.split(';', 1)[0]!;
    const eq = first.indexOf('=');
    if (eq < 0 || first.slice(0, eq).trim() !== name) continue;
    const v = first.slice(eq + 1).trim();
    if (v !== '') value = v;
  }
  if (value) return value;
  const m = res.body.match(/'?\w*(?:session|SESSION)\w*'?\s*[:=]\s*'(\w+)'/);
  return m?.[1];
}
