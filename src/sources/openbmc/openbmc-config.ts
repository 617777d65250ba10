import { readWebBmcHost } from '../../config/bmc-host.js';
import type { ConfigReader, Path } from '../../config/reader.js';
import type { BmcwebLoginOptions } from './bmcweb-session.js';

/**
 * `console: { type: openbmc, … }` — an OpenBMC BMC: its KVM through bmcweb's `wss://host/kvm/0`
 * (obmc-ikvm's RFB server behind it) and, for `action=sol`, its host serial console through
 * `wss://host/console0`, both after a Redfish session login. Validated here, called from
 * src/config/load.ts; every key is documented in docs/config.md.
 */
export interface OpenBmcConsoleConfig {
  type: 'openbmc';
  /** BMC address without port (IPv6 without brackets). */
  host: string;
  /** bmcweb's HTTPS port. */
  port: number;
  user: string;
  password: string;
  /** Accept a self-signed / unverifiable certificate (OpenBMC's default certificate is self-signed). */
  insecureTls: boolean;
  /** Allow TLS 1.0/1.1 and legacy ciphers for this BMC. */
  legacyTls: boolean;
  /** Time for the RFB handshake; the source's one timer runs this + 2 × webTimeoutMs (login and WebSocket first). */
  connectTimeoutMs: number;
  /** Upper bound of each web request (login, logout) and of a WebSocket's opening handshake. */
  webTimeoutMs: number;
}

export const OPENBMC_CONSOLE_KEYS = ['type', 'host', 'port', 'user', 'password', 'insecureTls', 'legacyTls', 'connectTimeout', 'webTimeout'] as const;
export const OPENBMC_DEFAULTS = Object.freeze({ port: 443, connectTimeoutMs: 10_000, webTimeoutMs: 10_000 });

/** Validates one `console` mapping whose type is `openbmc`. */
export function readOpenBmcConsole(r: ConfigReader, path: Path, raw: Record<string, unknown>): OpenBmcConsoleConfig | undefined {
  const c = r.object(path, raw, OPENBMC_CONSOLE_KEYS);
  if (!c) return undefined;
  const host = readWebBmcHost(r, path, c.host, 'port as port');
  const port = r.integer([...path, 'port'], c.port, { min: 1, max: 65535 }) ?? OPENBMC_DEFAULTS.port;
  const user = r.string([...path, 'user'], c.user, { required: true });
  const password = r.string([...path, 'password'], c.password, { required: true, nonEmpty: false });
  const insecureTls = r.boolean([...path, 'insecureTls'], c.insecureTls) ?? false;
  const legacyTls = r.boolean([...path, 'legacyTls'], c.legacyTls) ?? false;
  const connectTimeoutMs = r.duration([...path, 'connectTimeout'], c.connectTimeout) ?? OPENBMC_DEFAULTS.connectTimeoutMs;
  const webTimeoutMs = r.duration([...path, 'webTimeout'], c.webTimeout) ?? OPENBMC_DEFAULTS.webTimeoutMs;
  if (host === undefined || user === undefined || password === undefined) return undefined;
  return { type: 'openbmc', host, port, user, password, insecureTls, legacyTls, connectTimeoutMs, webTimeoutMs };
}

/** `host[:port]` as it goes into a URL: IPv6 in brackets, the default port left out. */
export function openBmcHostForUrl(cfg: Pick<OpenBmcConsoleConfig, 'host' | 'port'>): string {
  const host = cfg.host.includes(':') ? `[${cfg.host}]` : cfg.host;
  return cfg.port === 443 ? host : `${host}:${cfg.port}`;
}

/** What BmcwebSession.login needs for this console. */
export function bmcwebLoginOptions(cfg: OpenBmcConsoleConfig): BmcwebLoginOptions {
  return {
    hostForUrl: openBmcHostForUrl(cfg),
    user: cfg.user,
    password: cfg.password,
    insecureTls: cfg.insecureTls,
    legacyTls: cfg.legacyTls,
    timeoutMs: cfg.webTimeoutMs,
  };
}
