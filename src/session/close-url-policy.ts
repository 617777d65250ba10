import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { GatewayError } from '../errors.js';
import { inCidr, parseCidr, specialAddress, type Cidr } from '../net/address-ranges.js';

/**
 * One entry of `sessions.closeUrlAllow` (docs/config.md): `public` (any public address), a network
 * (`10.1.0.0/16`, an address), an address with a port (`10.1.2.3:8443`, `[fd00::5]:443`), a host name
 * (`panel.example.com`, `*.example.com` for its subdomains) with or without a port.
 */
export type CloseUrlAllowEntry =
  { kind: 'public' } | { kind: 'network'; cidr: Cidr; port: number | undefined } | { kind: 'host'; name: string; wildcard: boolean; port: number | undefined };

export const DEFAULT_CLOSE_URL_ALLOW: readonly string[] = Object.freeze(['public']);

const HOST_NAME = /^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i;

/** Parses one entry; undefined when it is none of the forms above. */
export function parseCloseUrlAllowEntry(text: string): CloseUrlAllowEntry | undefined {
  const t = text.trim();
  if (t === 'public') return { kind: 'public' };
  const cidr = parseCidr(t);
  if (cidr) return { kind: 'network', cidr, port: undefined };
  const v6 = /^\[([^\]]+)\]:(\d{1,5})$/.exec(t);
  const hostPort = v6 ?? /^([^:[\]]+):(\d{1,5})$/.exec(t);
  const host = hostPort ? hostPort[1]! : t;
  const port = hostPort ? Number(hostPort[2]) : undefined;
  if (port !== undefined && (port < 1 || port > 65535)) return undefined;
  if (isIP(host)) return { kind: 'network', cidr: parseCidr(host)!, port };
  if (v6 || !HOST_NAME.test(host)) return undefined;
  const wildcard = host.startsWith('*.');
  return { kind: 'host', name: (wildcard ? host.slice(2) : host).toLowerCase(), wildcard, port };
}

export type Resolver = (hostname: string) => Promise<{ address: string; family: number }[]>;

const systemResolver: Resolver = (hostname) => dnsLookup(hostname, { all: true, verbatim: true });

/**
 * Where close URLs may point (`sessions.closeUrlAllow`). A close URL is called by the gateway, from
 * inside the operator's network, at an address an API caller chose: without this anyone with a token
 * could make the gateway POST to internal services. The decision is taken on the addresses the host
 * name resolves to — at the API call (so the caller learns at once), and again when the URL is called,
 * where the connection goes to the very address that was checked (no second DNS answer can slip in
 * between: see CloseNotifier). Redirects are never followed.
 */
export class CloseUrlPolicy {
  readonly #entries: readonly CloseUrlAllowEntry[];
  readonly #resolve: Resolver;

  constructor(entries: readonly CloseUrlAllowEntry[], o: { resolve?: Resolver } = {}) {
    this.#entries = entries;
    this.#resolve = o.resolve ?? systemResolver;
  }

  static fromText(list: readonly string[], o: { resolve?: Resolver } = {}): CloseUrlPolicy {
    return new CloseUrlPolicy(
      list.map((t) => {
        const e = parseCloseUrlAllowEntry(t);
        if (!e) throw new Error(`assert: invalid closeUrlAllow entry "${t}" (the config reader checks them)`);
        return e;
      }),
      o,
    );
  }

  /**
   * Checks a close URL given to the API: an absolute http(s) URL whose host resolves only to allowed
   * addresses. Returns it normalised; throws GW_ERR_BAD_REQUEST (not a URL) or GW_ERR_CLOSE_URL_REFUSED.
   */
  async check(value: string): Promise<string> {
    const u = parseCloseUrl(value);
    await this.resolveAllowed(u.hostname, portOf(u));
    return u.toString();
  }

  /**
   * The addresses of `hostname` that `port` may be reached at; throws GW_ERR_CLOSE_URL_REFUSED when
   * any is refused (a name that also resolves to an internal address is refused whole: which of its
   * addresses a connection uses is not ours to choose).
   */
  async resolveAllowed(hostname: string, port: number): Promise<string[]> {
    const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
    let addresses: string[];
    if (isIP(host)) addresses = [host];
    else {
      try {
        addresses = (await this.#resolve(host)).map((a) => a.address);
      } catch (err) {
        throw refused(`the close URL's host "${host}" does not resolve (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
      }
      if (addresses.length === 0) throw refused(`the close URL's host "${host}" does not resolve`);
    }
    for (const address of addresses) {
      const why = this.refusal(host, port, address);
      if (why) throw refused(why);
    }
    return addresses;
  }

  /** Why (host, port, address) is refused, or undefined when an entry allows it. */
  refusal(host: string, port: number, address: string): string | undefined {
    const special = specialAddress(address);
    for (const e of this.#entries) {
      if (e.kind === 'public' && !special) return undefined;
      if (e.kind === 'network' && (e.port === undefined || e.port === port) && inCidr(e.cidr, address)) return undefined;
      if (e.kind === 'host' && (e.port === undefined || e.port === port) && (e.wildcard ? host.endsWith(`.${e.name}`) : host === e.name)) return undefined;
    }
    const shown = host === address ? address : `"${host}" (${address})`;
    return special
      ? `the close URL points at ${shown}, ${special}; list it in sessions.closeUrlAllow to allow it`
      : `the close URL points at ${shown}, port ${port}, which sessions.closeUrlAllow does not list`;
  }
}

function refused(message: string): GatewayError {
  return new GatewayError('GW_ERR_CLOSE_URL_REFUSED', message);
}

/** A close URL must be an absolute http(s) URL: the gateway will call it when the session ends. */
export function parseCloseUrl(value: string): URL {
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    throw new GatewayError('GW_ERR_BAD_REQUEST', 'the close URL is not an absolute URL');
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new GatewayError('GW_ERR_BAD_REQUEST', 'the close URL must be http:// or https://');
  return u;
}

export function portOf(u: URL): number {
  return u.port ? Number(u.port) : u.protocol === 'https:' ? 443 : 80;
}
