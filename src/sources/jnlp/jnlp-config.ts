import type { ConfigReader, Path } from '../../config/reader.js';
import { ATEN_DEFAULTS, ATEN_TEMPLATE_KEYS, atenSourceOptions, readAtenConsole, type AtenConsoleConfig, type AtenTemplates } from '../aten/aten-config.js';
import type { AtenWebLoginOptions } from '../aten/web-login.js';

/**
 * `console: { type: jnlp, … }` — a board whose console is a vendor's Java Web Start viewer, run by
 * the gateway in a sandbox (src/sources/jnlp/). The JNLP comes from exactly one of:
 * - `jnlpUrl`: fetched with undici, `user`/`password` as HTTP Basic auth when given;
 * - `template`: a web login first, then the JNLP download, as for `aten` consoles: `supermicro` (the
 *   built-in Supermicro endpoints) or the name of an `atenTemplates` entry (e.g. one imported from
 *   nojava-ipmi-kvm), whose keys (webPort, scheme, endpoints, form fields, …) apply.
 */
export type JnlpOrigin =
  | { kind: 'url'; url: URL; user: string | undefined; password: string | undefined; insecureTls: boolean; legacyTls: boolean; timeoutMs: number }
  | { kind: 'web-login'; web: AtenWebLoginOptions };

export interface JnlpConsoleConfig {
  type: 'jnlp';
  /** The BMC's address (the closeurl route checks it); with jnlpUrl it defaults to the URL's host. */
  host: string;
  origin: JnlpOrigin;
}

export const URL_KEYS = ['type', 'jnlpUrl', 'host', 'user', 'password', 'insecureTls', 'legacyTls', 'webTimeout'] as const;
/** The aten keys that mean something for a web login; kvmPort, mouseInfoBytes, … do not. */
export const WEB_LOGIN_KEYS = ATEN_TEMPLATE_KEYS.filter((k) => !['kvmPort', 'connectTimeout', 'mouseInfoBytes', 'ast2100HeaderByte1'].includes(k));
/** The built-in template: Supermicro's own endpoints (web-login.ts defaults), no atenTemplates entry needed. */
export const BUILTIN_TEMPLATE = 'supermicro';

export function readJnlpConsole(r: ConfigReader, path: Path, raw: Record<string, unknown>, templates: AtenTemplates): JnlpConsoleConfig | undefined {
  const hasUrl = raw.jnlpUrl !== undefined;
  const hasTemplate = raw.template !== undefined;
  if (hasUrl === hasTemplate) {
    r.problem(path, 'a jnlp console needs exactly one of jnlpUrl (fetch the JNLP) and template (web login, then the JNLP)');
    return undefined;
  }
  return hasUrl ? readUrlConsole(r, path, raw) : readWebLoginConsole(r, path, raw, templates);
}

function readUrlConsole(r: ConfigReader, path: Path, raw: Record<string, unknown>): JnlpConsoleConfig | undefined {
  const c = r.object(path, raw, URL_KEYS);
  if (!c) return undefined;
  const text = r.string([...path, 'jnlpUrl'], c.jnlpUrl, { required: true });
  let url: URL | undefined;
  if (text !== undefined) {
    try {
      url = new URL(text);
      if (url.protocol !== 'https:' && url.protocol !== 'http:') r.problem([...path, 'jnlpUrl'], 'must be an http:// or https:// URL');
      if (url.username || url.password) r.problem([...path, 'jnlpUrl'], 'must not hold credentials: give them as user and password');
    } catch {
      r.problem([...path, 'jnlpUrl'], `is not a URL: "${text}"`);
    }
  }
  const user = r.string([...path, 'user'], c.user);
  const password = r.string([...path, 'password'], c.password, { nonEmpty: false });
  if ((user === undefined) !== (password === undefined))
    r.problem([...path, user === undefined ? 'user' : 'password'], 'user and password go together (HTTP Basic auth)');
  const host = r.string([...path, 'host'], c.host) ?? url?.hostname.replace(/^\[|\]$/g, '');
  const insecureTls = r.boolean([...path, 'insecureTls'], c.insecureTls) ?? false;
  const legacyTls = r.boolean([...path, 'legacyTls'], c.legacyTls) ?? false;
  const timeoutMs = r.duration([...path, 'webTimeout'], c.webTimeout) ?? ATEN_DEFAULTS.webTimeoutMs;
  if (!url || host === undefined) return undefined;
  return { type: 'jnlp', host, origin: { kind: 'url', url, user, password, insecureTls, legacyTls, timeoutMs } };
}

function readWebLoginConsole(r: ConfigReader, path: Path, raw: Record<string, unknown>, templates: AtenTemplates): JnlpConsoleConfig | undefined {
  const c = r.object(path, raw, ['type', 'host', 'template', ...WEB_LOGIN_KEYS]);
  if (!c) return undefined;
  // The aten reader does the web login keys and template merging; "supermicro" needs no entry.
  const { type: _type, ...rest } = c;
  void _type;
  const asAten = rest.template === BUILTIN_TEMPLATE && !templates.has(BUILTIN_TEMPLATE) ? { ...rest, template: undefined } : rest;
  const aten = readAtenConsole(r, path, { ...asAten, type: 'aten' }, templates);
  return aten ? jnlpFromAten(aten) : undefined;
}

/** The Java side of an aten console: the same web login, whose JNLP is run instead of decoded. */
export function jnlpFromAten(aten: AtenConsoleConfig): JnlpConsoleConfig {
  return { type: 'jnlp', host: aten.host, origin: { kind: 'web-login', web: atenSourceOptions(aten, { reconnectBudgetMs: 0 }).web } };
}
