import { parse } from 'yaml';
import { NOJAVA_BOOLEAN_KEYS, NOJAVA_STRING_KEYS, type NojavaIpmiKvmKeys } from './web-login.js';

/**
 * Brings hosts over from nojava-ipmi-kvm's `~/.nojava-ipmi-kvmrc.yaml` (sciapp/nojava-ipmi-kvm,
 * config.py): `templates: {name: {keys}}`, `hosts: {short: {based_on: template, full_hostname, ...}}`,
 * a host's own keys overriding its template's.
 *
 * Mapping (key → where it goes in AtenWebLoginOptions):
 *   full_hostname                  → host
 *   login_user                     → username (default ADMIN, as in nojava-ipmi-kvm)
 *   login_endpoint, download_endpoint, user_login_attribute_name, password_login_attribute_name,
 *   session_cookie_key, extra_login_form_fields, send_post_data_as_json, allow_insecure_ssl
 *                                  → overrides, unchanged (same names, same meaning)
 *   java_version, format_jnlp      → dropped: no Java runs here (reported in `dropped`)
 *   html5_endpoint                 → the host is an HTML5-console board (`html5: true`, the console
 *                                    gets `transport: html5`); the path is kept, same meaning
 *   rewrites                       → dropped: nojava-ipmi-kvm rewrites the BMC's page for its
 *                                    browser; the gateway serves no BMC page (reported)
 *   skip_login                     → reported: the gateway always logs in (the tokens are minted by the JNLP)
 * Passwords are never in that file (nojava-ipmi-kvm asks for them); the operator adds them.
 * Any other key is reported with its path rather than silently ignored.
 */
export interface ConvertedNojavaHost {
  id: string;
  host: string;
  username: string;
  overrides: NojavaIpmiKvmKeys;
  html5: boolean;
  /** Keys present but not carried over, with their paths (`hosts.x.java_version`). */
  dropped: string[];
}

export class NojavaConfigError extends Error {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(`${path}: ${message}`);
    this.name = 'NojavaConfigError';
  }
}

const DROPPED_KEYS = new Set(['java_version', 'format_jnlp', 'skip_login', 'rewrites']);

export function convertNojavaConfig(yamlText: string): ConvertedNojavaHost[] {
  let doc: unknown;
  try {
    doc = parse(yamlText, { maxAliasCount: 100 });
  } catch (e) {
    throw new NojavaConfigError('(file)', `not YAML: ${(e as Error).message}`);
  }
  const root = record(doc ?? {}, '(root)');
  const templates = record(root.templates ?? {}, 'templates');
  const hosts = record(root.hosts ?? {}, 'hosts');
  const out: ConvertedNojavaHost[] = [];
  for (const [id, rawHost] of Object.entries(hosts)) {
    const path = `hosts.${id}`;
    const own = record(rawHost ?? {}, path);
    let merged: Record<string, unknown> = { ...own };
    let origin: Record<string, string> = Object.fromEntries(Object.keys(own).map((k) => [k, path]));
    if (own.based_on !== undefined) {
      if (typeof own.based_on !== 'string' || !(own.based_on in templates))
        throw new NojavaConfigError(`${path}.based_on`, `no template ${JSON.stringify(own.based_on)}`);
      const t = record(templates[own.based_on], `templates.${own.based_on}`);
      merged = { ...t, ...own };
      origin = { ...Object.fromEntries(Object.keys(t).map((k) => [k, `templates.${own.based_on as string}`])), ...origin };
    }
    delete merged.based_on;
    const host = merged.full_hostname;
    if (typeof host !== 'string' || host === '') throw new NojavaConfigError(`${path}.full_hostname`, 'required (a string)');
    const username = merged.login_user ?? 'ADMIN';
    if (typeof username !== 'string') throw new NojavaConfigError(`${origin.login_user}.login_user`, 'must be a string');
    const overrides: NojavaIpmiKvmKeys = {};
    const dropped: string[] = [];
    for (const [k, v] of Object.entries(merged)) {
      if (k === 'full_hostname' || k === 'login_user') continue;
      const at = `${origin[k]}.${k}`;
      if ((NOJAVA_STRING_KEYS as readonly string[]).includes(k)) {
        if (v === null || v === undefined) continue;
        if (typeof v !== 'string') throw new NojavaConfigError(at, 'must be a string');
        overrides[k as (typeof NOJAVA_STRING_KEYS)[number]] = v;
      } else if ((NOJAVA_BOOLEAN_KEYS as readonly string[]).includes(k)) {
        if (typeof v !== 'boolean') throw new NojavaConfigError(at, 'must be true or false');
        overrides[k as (typeof NOJAVA_BOOLEAN_KEYS)[number]] = v;
      } else if (DROPPED_KEYS.has(k)) {
        dropped.push(at);
      } else {
        throw new NojavaConfigError(at, 'unknown nojava-ipmi-kvm key');
      }
    }
    out.push({ id, host, username, overrides, html5: 'html5_endpoint' in merged, dropped });
  }
  return out;
}

function record(v: unknown, path: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new NojavaConfigError(path, 'must be a mapping');
  return v as Record<string, unknown>;
}
