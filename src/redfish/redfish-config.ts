import type { ConfigReader, Path } from '../config/reader.js';

/**
 * `servers[].redfish` (docs/config.md): how the gateway reaches one BMC's Redfish service. The same
 * object is the target RedfishService takes (no separate "target" shape: nothing is derived).
 */
export interface RedfishConfig {
  readonly host: string;
  /** HTTPS port, normally 443. */
  readonly port: number;
  readonly user: string;
  /** Never logged, never in an audit record or an API answer. */
  readonly password: string;
  /** Accept a self-signed or otherwise unverifiable certificate (what most BMCs have). */
  readonly insecureTls: boolean;
  /** The ComputerSystem to act on; undefined = the only (or first) member of /redfish/v1/Systems. */
  readonly system: string | undefined;
  /** Upper bound of one HTTP request to the BMC. */
  readonly timeoutMs: number;
  /** Upper bound of following an asynchronous operation (202 + task monitor) or a power transition. */
  readonly taskTimeoutMs: number;
}

/** `media:` (top level): which hosts an inserted image URL may name (docs/config.md). */
export interface MediaConfig {
  /** Host names or addresses, exact (case-insensitive), or `*.domain` for every name under it. */
  readonly allow: readonly string[];
}

export type PowerProtocol = 'ipmi' | 'redfish';

export const REDFISH_DEFAULTS = Object.freeze({ port: 443, timeoutMs: 15_000, taskTimeoutMs: 25_000 });

export const REDFISH_KEYS = ['host', 'port', 'user', 'password', 'insecureTls', 'system', 'timeout', 'taskTimeout'] as const;
/** A system path is a Redfish URI on the BMC (DSP0266: resources live under /redfish/v1/). */
const SYSTEM_PATH = /^\/redfish\/v1\/[A-Za-z0-9._~%!$&'()*+,;=:@/-]{1,500}$/;

export function readRedfishConfig(r: ConfigReader, path: Path, raw: unknown): RedfishConfig | undefined {
  const c = r.object(path, raw, REDFISH_KEYS);
  if (!c) return undefined;
  const host = r.string([...path, 'host'], c.host, { required: true });
  const port = r.integer([...path, 'port'], c.port, { min: 1, max: 65535 }) ?? REDFISH_DEFAULTS.port;
  const user = r.string([...path, 'user'], c.user, { required: true });
  const password = r.string([...path, 'password'], c.password, { required: true, nonEmpty: false });
  const insecureTls = r.boolean([...path, 'insecureTls'], c.insecureTls) ?? false;
  const system = r.string([...path, 'system'], c.system);
  if (system !== undefined && (!SYSTEM_PATH.test(system) || system.split('/').includes('..'))) {
    r.problem([...path, 'system'], `must be a path on the BMC such as "/redfish/v1/Systems/System.Embedded.1", got "${system.slice(0, 80)}"`);
  }
  const timeoutMs = r.duration([...path, 'timeout'], c.timeout) ?? REDFISH_DEFAULTS.timeoutMs;
  const taskTimeoutMs = r.duration([...path, 'taskTimeout'], c.taskTimeout) ?? REDFISH_DEFAULTS.taskTimeoutMs;
  if (timeoutMs < 100) r.problem([...path, 'timeout'], 'must be at least 100ms');
  if (!host || !user || password === undefined) return undefined;
  return { host, port, user, password, insecureTls, system: system?.replace(/\/+$/, ''), timeoutMs, taskTimeoutMs };
}

/**
 * `servers[].power`: which protocol power and boot actions use. Default: ipmi when the server has
 * an `ipmi` block, else redfish when it has a `redfish` block, else none. Naming a protocol whose
 * block is missing is an error, except on a server with a `location` (a front serving it through an
 * agent knows its protocol without holding its credentials; the agent's own config has the block).
 */
export function readPowerProtocol(
  r: ConfigReader,
  path: Path,
  raw: unknown,
  has: { ipmi: boolean; redfish: boolean; location: boolean },
): PowerProtocol | undefined {
  const chosen = r.oneOf(path, raw, ['ipmi', 'redfish'] as const);
  if (chosen === undefined) return has.ipmi ? 'ipmi' : has.redfish ? 'redfish' : undefined;
  if (!has[chosen] && !has.location) r.problem(path, `is "${chosen}" but the server has no ${chosen} block`);
  return chosen;
}

/** One `media.allow` entry: a host name, an IPv4 address, an IPv6 address in brackets or not, or `*.domain`. */
const ALLOW_ENTRY = /^(\*\.)?[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}\.?)*[A-Za-z0-9]?$|^\[?[0-9A-Fa-f:.]{2,45}\]?$/;

export function readMediaConfig(r: ConfigReader, path: Path, raw: unknown): MediaConfig | undefined {
  if (raw === undefined) return undefined;
  const o = r.object(path, raw, ['allow']);
  if (!o) return undefined;
  const list = r.array([...path, 'allow'], o.allow ?? []) ?? [];
  const allow: string[] = [];
  list.forEach((v, i) => {
    const s = r.string([...path, 'allow', i], v, { required: true });
    if (s === undefined) return;
    if (s.length > 253 || !ALLOW_ENTRY.test(s) || s.includes('/')) {
      r.problem([...path, 'allow', i], `must be a host name, an address or "*.domain" (no scheme, port or path), got "${s.slice(0, 80)}"`);
      return;
    }
    allow.push(s.toLowerCase().replace(/^\[|\]$/g, ''));
  });
  return { allow };
}
