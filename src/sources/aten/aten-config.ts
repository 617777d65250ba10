import { readWebBmcHost } from '../../config/bmc-host.js';
import type { ConfigReader, Path } from '../../config/reader.js';
import { NOJAVA_BOOLEAN_KEYS, NOJAVA_STRING_KEYS, type NojavaIpmiKvmKeys } from './web-login.js';
import type { AtenSourceOptions } from './aten-source.js';

/**
 * `console: { type: aten, … }` — a Supermicro X8–X13 board reached through its web login (for the
 * one-time KVM credentials) and its ATEN iKVM service: the TCP iKVM port (JNLP boards) or the HTML5
 * console's WebSocket (`transport`). Validated here, called from src/config/load.ts; every
 * key is documented in docs/config.md.
 *
 * The nojava-ipmi-kvm keys (`login_endpoint`, …) keep their names and meaning so a host from
 * `~/.nojava-ipmi-kvmrc.yaml` can be copied over (or converted: `bmc-gateway convert-nojava`).
 * Any key but `type`, `host` and `template` may also come from a named entry of the top-level
 * `atenTemplates` (nojava-ipmi-kvm's `templates` / `based_on`); the console's own keys win.
 */
export interface AtenConsoleConfig {
  type: 'aten';
  /** BMC address without port (IPv6 without brackets); used for both the web login and the KVM port. */
  host: string;
  /** Web interface port; default the scheme's (443 / 80). */
  webPort: number | undefined;
  /** `https` (default) or `http` for boards without HTTPS. */
  scheme: 'https' | 'http';
  /** With scheme https: fall back to http when HTTPS cannot connect. */
  httpFallback: boolean;
  /** Accept a self-signed / unverifiable BMC certificate (also `allow_insecure_ssl`). */
  insecureTls: boolean;
  /** Allow TLS 1.0/1.1 and legacy ciphers for this BMC (X8/X9 firmware speaks nothing newer). */
  legacyTls: boolean;
  /** Base64-encode user and password in the login form (some firmware's login page does that). */
  base64Credentials: boolean;
  user: string;
  password: string;
  /**
   * How to reach the KVM: `tcp` (JNLP tokens, iKVM port), `html5` (bootstrap page ticket, the web
   * port's WebSocket) or `auto` (html5, falling back to tcp). Default `tcp`: see docs/config.md.
   */
  transport: 'tcp' | 'html5' | 'auto';
  /** How the HTML5 ticket fills the handshake's two fields (protocols/aten/html5-ticket.ts). */
  html5TicketLayout: 'whole' | 'split';
  /** KVM port instead of the JNLP's (e.g. the plaintext 63630 on "KVM SSL" firmware). */
  kvmPort: number | undefined;
  /** Upper bound of the KVM connect + ATEN handshake. */
  connectTimeoutMs: number;
  /** Upper bound of each web request (login, JNLP, logout). */
  webTimeoutMs: number;
  /** Body length of the 0x37 mouse-info message of this board's firmware (2: X9 WPCM450; 3: X9DRH-7F, X10 fw 4.00); undefined: the transport's (tcp 2, html5 3). */
  mouseInfoBytes: 2 | 3 | undefined;
  /** What AST2100 header byte 1 selects (see protocols/aten/ast2100/decoder.ts); `chroma` unless a capture says otherwise. */
  ast2100HeaderByte1: 'chroma' | 'advance';
  /** nojava-ipmi-kvm overrides of the web login (endpoints, form fields, cookie name). */
  webLogin: NojavaIpmiKvmKeys;
  /** `jnlp`: when the native path fails with GW_ERR_BMC_UNSUPPORTED, the session goes on through the board's Java viewer (src/sources/jnlp/). */
  fallback?: 'jnlp' | undefined;
}

export type AtenTemplates = ReadonlyMap<string, Partial<Omit<AtenConsoleConfig, 'type' | 'host'>>>;

/** Keys a template may hold: everything but the console's identity. */
export const ATEN_TEMPLATE_KEYS = [
  'webPort',
  'scheme',
  'httpFallback',
  'insecureTls',
  'legacyTls',
  'base64Credentials',
  'user',
  'password',
  'transport',
  'html5TicketLayout',
  'kvmPort',
  'connectTimeout',
  'webTimeout',
  'mouseInfoBytes',
  'ast2100HeaderByte1',
  ...NOJAVA_STRING_KEYS,
  ...NOJAVA_BOOLEAN_KEYS,
] as const;
export const ATEN_CONSOLE_KEYS = ['type', 'host', 'template', ...ATEN_TEMPLATE_KEYS, 'fallback'] as const;

/**
 * `transport: tcp` by default: an upgrade never changes how a console that works today connects
 * (the HTML5 path is tested against our simulator only, and `auto` costs a page fetch per connection
 * and, on firmware whose HTML5 console stays silent, a whole connectTimeout before falling back).
 */
export const ATEN_DEFAULTS = Object.freeze({
  connectTimeoutMs: 10_000,
  webTimeoutMs: 10_000,
  transport: 'tcp' as const,
  html5TicketLayout: 'whole' as const,
  ast2100HeaderByte1: 'chroma' as const,
});

/** Reads the fields one mapping (a console or a template) sets; problems are recorded on `r`. */
function readFields(r: ConfigReader, path: Path, c: Record<string, unknown>): Partial<Omit<AtenConsoleConfig, 'type' | 'host'>> {
  const out: Partial<Omit<AtenConsoleConfig, 'type' | 'host'>> = {};
  const set = <K extends keyof typeof out>(k: K, v: (typeof out)[K] | undefined) => {
    if (v !== undefined) out[k] = v;
  };
  set('webPort', r.integer([...path, 'webPort'], c.webPort, { min: 1, max: 65535 }));
  set('scheme', r.oneOf([...path, 'scheme'], c.scheme, ['https', 'http'] as const));
  set('httpFallback', r.boolean([...path, 'httpFallback'], c.httpFallback));
  set('insecureTls', r.boolean([...path, 'insecureTls'], c.insecureTls));
  set('legacyTls', r.boolean([...path, 'legacyTls'], c.legacyTls));
  set('base64Credentials', r.boolean([...path, 'base64Credentials'], c.base64Credentials));
  set('user', r.string([...path, 'user'], c.user));
  set('password', r.string([...path, 'password'], c.password, { nonEmpty: false }));
  set('transport', r.oneOf([...path, 'transport'], c.transport, ['tcp', 'html5', 'auto'] as const));
  set('html5TicketLayout', r.oneOf([...path, 'html5TicketLayout'], c.html5TicketLayout, ['whole', 'split'] as const));
  set('kvmPort', r.integer([...path, 'kvmPort'], c.kvmPort, { min: 1, max: 65535 }));
  set('connectTimeoutMs', r.duration([...path, 'connectTimeout'], c.connectTimeout));
  set('webTimeoutMs', r.duration([...path, 'webTimeout'], c.webTimeout));
  const mib = r.integer([...path, 'mouseInfoBytes'], c.mouseInfoBytes, { min: 2, max: 3 });
  set('mouseInfoBytes', mib === undefined ? undefined : (mib as 2 | 3));
  set('ast2100HeaderByte1', r.oneOf([...path, 'ast2100HeaderByte1'], c.ast2100HeaderByte1, ['chroma', 'advance'] as const));
  const web: NojavaIpmiKvmKeys = {};
  for (const k of NOJAVA_STRING_KEYS) {
    const v = r.string([...path, k], c[k]);
    if (v === undefined) continue;
    if (k === 'extra_login_form_fields') {
      // nojava-ipmi-kvm's format: "key:value,key:value" (web-login.ts splits it the same way).
      for (const pair of v.split(',')) {
        if (pair.trim() && pair.indexOf(':') < 1) r.problem([...path, k], `"${pair.trim()}" is not key:value (format "key:value,key:value")`);
      }
    } else if (k.endsWith('_endpoint') && /^[a-z][a-z0-9+.-]*:|^\/\//i.test(v)) {
      // A path on the BMC, like nojava-ipmi-kvm's: an absolute URL would send the password elsewhere.
      r.problem([...path, k], `must be a path on the BMC (e.g. "cgi/login.cgi"), not a URL`);
    }
    web[k] = v;
  }
  for (const k of NOJAVA_BOOLEAN_KEYS) {
    const v = r.boolean([...path, k], c[k]);
    if (v !== undefined) web[k] = v;
  }
  if (Object.keys(web).length > 0) out.webLogin = web;
  return out;
}

/** The top-level `atenTemplates: { name: { …console keys but type/host… } }`. */
export function readAtenTemplates(r: ConfigReader, path: Path, raw: unknown): AtenTemplates {
  const out = new Map<string, Partial<Omit<AtenConsoleConfig, 'type' | 'host'>>>();
  if (raw === undefined) return out;
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    r.problem(path, 'must be a mapping of template name to console keys');
    return out;
  }
  for (const [name, t] of Object.entries(raw as Record<string, unknown>)) {
    const rec = r.object([...path, name], t, ATEN_TEMPLATE_KEYS);
    if (rec) out.set(name, readFields(r, [...path, name], rec));
  }
  return out;
}

/** Validates one `console` mapping whose type is `aten`. */
export function readAtenConsole(r: ConfigReader, path: Path, raw: Record<string, unknown>, templates: AtenTemplates): AtenConsoleConfig | undefined {
  const c = r.object(path, raw, ATEN_CONSOLE_KEYS);
  if (!c) return undefined;
  // One address serves both the web login and the KVM port; a port belongs in webPort / kvmPort.
  const host = readWebBmcHost(r, path, c.host, 'web port as webPort');
  const templateName = r.string([...path, 'template'], c.template);
  let base: Partial<Omit<AtenConsoleConfig, 'type' | 'host'>> = {};
  if (templateName !== undefined) {
    const t = templates.get(templateName);
    if (!t)
      r.problem([...path, 'template'], `no atenTemplates entry "${templateName}"${templates.size ? ` (known: ${[...templates.keys()].join(', ')})` : ''}`);
    else base = t;
  }
  const own = readFields(r, path, c);
  const m = { ...base, ...own, webLogin: { ...base.webLogin, ...own.webLogin } };
  if (m.user === undefined) r.problem([...path, 'user'], `is required (here or in the template)`);
  if (m.password === undefined) r.problem([...path, 'password'], `is required (here or in the template)`);
  if (m.scheme === 'http' && m.httpFallback) r.problem([...path, 'httpFallback'], 'only means something with scheme https');
  if (m.transport === 'html5' && m.kvmPort !== undefined)
    r.problem([...path, 'kvmPort'], 'is the TCP iKVM port: it means nothing with transport html5 (the HTML5 console is on the web port)');
  const fallback = r.oneOf([...path, 'fallback'], c.fallback, ['jnlp'] as const);
  if (host === undefined || m.user === undefined || m.password === undefined) return undefined;
  return {
    type: 'aten',
    host,
    webPort: m.webPort,
    scheme: m.scheme ?? 'https',
    httpFallback: m.httpFallback ?? false,
    insecureTls: m.insecureTls ?? m.webLogin.allow_insecure_ssl ?? false,
    legacyTls: m.legacyTls ?? false,
    base64Credentials: m.base64Credentials ?? false,
    user: m.user,
    password: m.password,
    transport: m.transport ?? ATEN_DEFAULTS.transport,
    html5TicketLayout: m.html5TicketLayout ?? ATEN_DEFAULTS.html5TicketLayout,
    kvmPort: m.kvmPort,
    connectTimeoutMs: m.connectTimeoutMs ?? ATEN_DEFAULTS.connectTimeoutMs,
    webTimeoutMs: m.webTimeoutMs ?? ATEN_DEFAULTS.webTimeoutMs,
    mouseInfoBytes: m.mouseInfoBytes,
    ast2100HeaderByte1: m.ast2100HeaderByte1 ?? ATEN_DEFAULTS.ast2100HeaderByte1,
    webLogin: m.webLogin,
    ...(fallback ? { fallback } : {}),
  };
}

/** What AtenSource needs for one configured console. */
export function atenSourceOptions(cfg: AtenConsoleConfig, sessions: { reconnectBudgetMs: number }): AtenSourceOptions {
  const hostForUrl = cfg.host.includes(':') ? `[${cfg.host}]` : cfg.host;
  return {
    web: {
      host: cfg.webPort === undefined ? hostForUrl : `${hostForUrl}:${cfg.webPort}`,
      username: cfg.user,
      password: cfg.password,
      httpFallback: cfg.httpFallback,
      httpOnly: cfg.scheme === 'http',
      insecureTls: cfg.insecureTls,
      legacyTls: cfg.legacyTls,
      base64Credentials: cfg.base64Credentials,
      timeoutMs: cfg.webTimeoutMs,
      overrides: { ...cfg.webLogin },
    },
    // The JNLP names a host too, but the configured address is the one we trust (notes §6).
    kvmHost: cfg.host,
    ...(cfg.kvmPort !== undefined ? { kvmPort: cfg.kvmPort } : {}),
    transport: cfg.transport,
    html5TicketLayout: cfg.html5TicketLayout,
    connectTimeoutMs: cfg.connectTimeoutMs,
    reconnectBudgetMs: sessions.reconnectBudgetMs,
    ...(cfg.mouseInfoBytes !== undefined ? { mouseInfoBodyBytes: cfg.mouseInfoBytes } : {}),
    headerByte1: cfg.ast2100HeaderByte1,
  };
}
