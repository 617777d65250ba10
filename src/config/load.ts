import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { LineCounter, parseDocument } from 'yaml';
import { ConfigError, ConfigReader, type Path } from './reader.js';
import { ENCODING_NAMES } from '../sources/vnc/encoding-names.js';
import { readDispatchConfig } from '../dispatch/dispatch-config.js';
import { readRecordingConfig } from '../recording/recording-config.js';
import { readMediaConfig, readPowerProtocol, readRedfishConfig } from '../redfish/redfish-config.js';
import { readAtenConsole, readAtenTemplates, type AtenTemplates } from '../sources/aten/aten-config.js';
import { readOpenBmcConsole } from '../sources/openbmc/openbmc-config.js';
import { readRateLimitConfig } from '../api/rate-limit.js';
import { readWebConfig } from '../api/embedding.js';
import { readTlsConfig } from '../net/tls.js';
import { parseCidr } from '../net/address-ranges.js';
import { DEFAULT_CLOSE_URL_ALLOW, parseCloseUrlAllowEntry } from '../session/close-url-policy.js';
import { readJavaConfig } from '../sources/jnlp/java-config.js';
import { readJnlpConsole } from '../sources/jnlp/jnlp-config.js';
import { schemaProblems } from './schema.js';
import {
  DEFAULT_WORKER_HEARTBEAT_TIMEOUT_MS,
  type ConsoleConfig,
  type GatewayConfig,
  type IpmiConfig,
  type OperatorConfig,
  type ServerConfig,
  type TokenConfig,
  type WorkersConfig,
} from './types.js';

export const DEFAULTS = Object.freeze({
  listen: '127.0.0.1:8080',
  idleTimeoutMs: 5 * 60_000,
  urlTtlMs: 60_000,
  reconnectBudgetMs: 2 * 60_000,
  inputIdleTimeoutMs: 30 * 60_000,
  inputIdleWarningMs: 60_000,
  maxLifetimeMs: 24 * 3_600_000,
  maxViewers: 8,
  maxSessions: 500,
  closeUrlAttempts: 4,
  pingIntervalMs: 20_000,
  closeUrlTimeoutMs: 5_000,
  connectTimeoutMs: 10_000,
  vncPort: 5900,
  ipmiPort: 623,
});

/** Parses "host:port", "[v6]:port" or ":port". */
export function parseListen(value: string): { host: string; port: number } | undefined {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(value.trim());
  if (!m) return undefined;
  const port = Number(m[3]);
  if (port > 65535) return undefined;
  return { host: m[1] ?? (m[2] || '0.0.0.0'), port };
}

export function loadConfigFile(path: string, overrides: { listen?: string } = {}): GatewayConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(path, [`cannot read the file: ${(err as Error).message}`]);
  }
  return parseConfig(text, path, overrides);
}

export function parseConfig(text: string, source: string, overrides: { listen?: string } = {}): GatewayConfig {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      source,
      doc.errors.map((e) => `YAML syntax: ${e.message.split('\n')[0]}`),
    );
  }
  let raw: unknown;
  try {
    // toJS() resolves aliases; an alias whose anchor comes later (or never) throws here, not in parsing.
    raw = doc.toJS({ maxAliasCount: 100 }) ?? {};
  } catch (err) {
    throw new ConfigError(source, [`YAML: ${(err as Error).message.split('\n')[0]}`]);
  }
  const r = new ConfigReader(doc, lineCounter);
  const cfg = validate(r, raw, source, overrides);
  if (r.problems.length > 0 || !cfg) throw new ConfigError(source, r.problems);
  return cfg;
}

export const TOP_KEYS = [
  'listen',
  'publicUrl',
  'tokens',
  'operators',
  'servers',
  'sessions',
  'log',
  'atenTemplates',
  'trustProxy',
  'rateLimit',
  'web',
  'tls',
  'audit',
  'stateDir',
  'workers',
] as const;
/** Every top-level key of the configuration file (the blocks read by their own modules last). */
export const CONFIG_KEYS = [...TOP_KEYS, 'dispatch', 'recording', 'media', 'java'] as const;

/** Names proxy-addr (fastify's trustProxy) knows besides addresses and CIDRs. */
const PROXY_NAMES = ['loopback', 'linklocal', 'uniquelocal'];

export function validate(r: ConfigReader, raw: unknown, source: string | undefined, overrides: { listen?: string } = {}): GatewayConfig | undefined {
  const top = r.object([], raw, CONFIG_KEYS);
  if (!top) return undefined;

  const listenText = overrides.listen ?? r.string(['listen'], top.listen) ?? DEFAULTS.listen;
  const listen = parseListen(listenText);
  if (!listen) r.problem(overrides.listen ? ['--listen'] : ['listen'], `must be "host:port", got "${listenText}"`);

  const tls = readTlsConfig(r, ['tls'], top.tls);
  const stateDir = r.string(['stateDir'], top.stateDir);
  const workers = readWorkers(r, top.workers);
  if (tls?.kind === 'self-signed' && stateDir === undefined) r.problem(['tls'], '"self-signed" needs stateDir: the certificate is made once and kept there');
  let publicUrl = r.string(['publicUrl'], top.publicUrl);
  if (publicUrl !== undefined) {
    try {
      const u = new URL(publicUrl);
      if (u.protocol !== 'http:' && u.protocol !== 'https:') r.problem(['publicUrl'], 'must be an http:// or https:// URL');
      else if (tls && u.protocol !== 'https:') r.problem(['publicUrl'], 'must be an https:// URL when tls is set (browsers reach the gateway over TLS)');
      publicUrl = publicUrl.replace(/\/+$/, '');
    } catch {
      r.problem(['publicUrl'], `is not a URL: "${publicUrl}"`);
    }
  } else if (listen) {
    const host = listen.host === '0.0.0.0' || listen.host === '::' ? '127.0.0.1' : listen.host;
    publicUrl = `${tls ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${listen.port}`;
  }
  const trustProxy = (top.trustProxy === undefined ? [] : (r.array(['trustProxy'], top.trustProxy) ?? []))
    .map((v, i) => {
      const s = r.string(['trustProxy', i], v, { required: true });
      if (s !== undefined && !PROXY_NAMES.includes(s) && !parseCidr(s))
        r.problem(['trustProxy', i], `must be an address, a CIDR (10.0.0.0/8) or one of ${PROXY_NAMES.join(', ')}, got "${s}"`);
      return s;
    })
    .filter((s): s is string => s !== undefined);
  const rateLimit = readRateLimitConfig(r, ['rateLimit'], top.rateLimit);
  const web = readWebConfig(r, ['web'], top.web);
  const auditRaw = top.audit === undefined ? {} : r.object(['audit'], top.audit, ['file']);
  const audit = { file: r.string(['audit', 'file'], auditRaw?.file) };

  const tokens = (r.array(['tokens'], top.tokens ?? []) ?? []).map((t, i) => token(r, ['tokens', i], t));
  const operators = (r.array(['operators'], top.operators ?? []) ?? []).map((o, i) => operator(r, ['operators', i], o));
  const atenTemplates = readAtenTemplates(r, ['atenTemplates'], top.atenTemplates);
  const servers = (r.array(['servers'], top.servers ?? []) ?? []).map((s, i) => server(r, ['servers', i], s, atenTemplates));

  const seen = new Map<string, number>();
  servers.forEach((s, i) => {
    if (!s) return;
    if (seen.has(s.id)) r.problem(['servers', i, 'id'], `duplicate server id "${s.id}" (also servers[${seen.get(s.id)}])`);
    seen.set(s.id, i);
  });
  const tokenSeen = new Set<string>();
  [...tokens, ...operators].forEach((t, i) => {
    if (!t) return;
    if (tokenSeen.has(t.token))
      r.problem(i < tokens.length ? ['tokens', i, 'token'] : ['operators', i - tokens.length, 'token'], 'the same token is listed twice');
    tokenSeen.add(t.token);
  });

  const sessRaw =
    top.sessions === undefined
      ? {}
      : r.object(['sessions'], top.sessions, [
          'idleTimeout',
          'inputIdleTimeout',
          'inputIdleWarning',
          'maxLifetime',
          'maxViewers',
          'maxSessions',
          'urlTtl',
          'reconnectBudget',
          'relay',
          'closeUrlAttempts',
          'closeUrlTimeout',
          'pingInterval',
          'closeUrlAllow',
        ]);
  const sessions = {
    idleTimeoutMs: r.duration(['sessions', 'idleTimeout'], sessRaw?.idleTimeout) ?? DEFAULTS.idleTimeoutMs,
    inputIdleTimeoutMs: r.duration(['sessions', 'inputIdleTimeout'], sessRaw?.inputIdleTimeout) ?? DEFAULTS.inputIdleTimeoutMs,
    inputIdleWarningMs: r.duration(['sessions', 'inputIdleWarning'], sessRaw?.inputIdleWarning) ?? DEFAULTS.inputIdleWarningMs,
    maxLifetimeMs: r.duration(['sessions', 'maxLifetime'], sessRaw?.maxLifetime) ?? DEFAULTS.maxLifetimeMs,
    maxViewers: r.integer(['sessions', 'maxViewers'], sessRaw?.maxViewers, { min: 1, max: 1000 }) ?? DEFAULTS.maxViewers,
    maxSessions: r.integer(['sessions', 'maxSessions'], sessRaw?.maxSessions, { min: 1, max: 100_000 }) ?? DEFAULTS.maxSessions,
    closeUrlAttempts: r.integer(['sessions', 'closeUrlAttempts'], sessRaw?.closeUrlAttempts, { min: 1, max: 20 }) ?? DEFAULTS.closeUrlAttempts,
    closeUrlTimeoutMs: r.duration(['sessions', 'closeUrlTimeout'], sessRaw?.closeUrlTimeout) ?? DEFAULTS.closeUrlTimeoutMs,
    pingIntervalMs: r.duration(['sessions', 'pingInterval'], sessRaw?.pingInterval) ?? DEFAULTS.pingIntervalMs,
    urlTtlMs: r.duration(['sessions', 'urlTtl'], sessRaw?.urlTtl) ?? DEFAULTS.urlTtlMs,
    reconnectBudgetMs: r.duration(['sessions', 'reconnectBudget'], sessRaw?.reconnectBudget) ?? DEFAULTS.reconnectBudgetMs,
    relay: r.boolean(['sessions', 'relay'], sessRaw?.relay) ?? true,
    closeUrlAllow: sessRaw?.closeUrlAllow === undefined ? DEFAULT_CLOSE_URL_ALLOW : readCloseUrlAllow(r, ['sessions', 'closeUrlAllow'], sessRaw.closeUrlAllow),
  };

  const logRaw = top.log === undefined ? {} : r.object(['log'], top.log, ['level']);
  const level = r.oneOf(['log', 'level'], logRaw?.level, ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const) ?? 'info';

  const locations = servers.map((s) => s?.location).filter((l): l is string => l !== undefined);
  const dispatch = top.dispatch === undefined ? undefined : readDispatchConfig(r, ['dispatch'], top.dispatch, locations);
  const recording = readRecordingConfig(r, ['recording'], top.recording);
  const media = readMediaConfig(r, ['media'], top.media);
  const java = readJavaConfig(r, ['java'], top.java);

  if (r.problems.length > 0 || !listen || !publicUrl) return undefined;
  // The structure once more by the JSON Schema `bmc-gateway config-schema` prints (src/config/schema.ts):
  // what it refuses is refused here too, so the published schema never accepts less than the gateway.
  const structural = schemaProblems(raw);
  for (const p of structural) r.problem(p.path, p.message);
  if (structural.length > 0) return undefined;
  // Everything frozen but the top level, which is sealed: a SIGHUP reload (server.ts) replaces
  // `servers`, `tokens` and `operators` in place, so every service holding this object sees them.
  return Object.seal(
    freezeValues({
      listen,
      publicUrl,
      tokens: tokens.filter((t): t is TokenConfig => !!t),
      operators: operators.filter((o): o is OperatorConfig => !!o),
      servers: servers.filter((s): s is ServerConfig => !!s),
      sessions,
      ...(dispatch ? { dispatch } : {}),
      ...(recording ? { recording } : {}),
      ...(media ? { media } : {}),
      java,
      log: { level },
      trustProxy,
      rateLimit,
      web,
      tls,
      audit,
      stateDir,
      workers,
      source,
    }),
  );
}

/** Freezes every value of `o` deeply, not `o` itself. */
function freezeValues<T extends object>(o: T): T {
  for (const v of Object.values(o)) deepFreeze(v);
  return o;
}

/**
 * `workers`: how many worker processes hold the console sessions (src/workers/). `auto` (the
 * default, also when absent): one per core. 0: every session in the gateway's own process. A number,
 * or an object `{ count, heartbeatTimeout }`.
 */
function readWorkers(r: ConfigReader, raw: unknown): WorkersConfig {
  const fromCount = (path: Path, v: unknown): number | undefined => {
    if (v === 'auto') return availableParallelism();
    return r.integer(path, v, { min: 0, max: 256 });
  };
  if (raw === undefined || raw === null) return { count: availableParallelism(), heartbeatTimeoutMs: DEFAULT_WORKER_HEARTBEAT_TIMEOUT_MS };
  if (typeof raw === 'object' && !Array.isArray(raw)) {
    const o = r.object(['workers'], raw, ['count', 'heartbeatTimeout']);
    const count = fromCount(['workers', 'count'], o?.count ?? 'auto') ?? 0;
    const hb = o?.heartbeatTimeout === undefined ? DEFAULT_WORKER_HEARTBEAT_TIMEOUT_MS : r.duration(['workers', 'heartbeatTimeout'], o.heartbeatTimeout);
    if (hb !== undefined && hb < 1000) r.problem(['workers', 'heartbeatTimeout'], 'must be at least 1s (a worker reports every 250 ms)');
    return { count, heartbeatTimeoutMs: hb ?? DEFAULT_WORKER_HEARTBEAT_TIMEOUT_MS };
  }
  if (typeof raw === 'string' && raw !== 'auto') {
    r.problem(['workers'], `must be a number of worker processes, "auto" (one per core) or { count, heartbeatTimeout } — got "${raw}"`);
    return { count: 0, heartbeatTimeoutMs: DEFAULT_WORKER_HEARTBEAT_TIMEOUT_MS };
  }
  return { count: fromCount(['workers'], raw) ?? 0, heartbeatTimeoutMs: DEFAULT_WORKER_HEARTBEAT_TIMEOUT_MS };
}

function readCloseUrlAllow(r: ConfigReader, path: Path, raw: unknown): string[] {
  const list = r.array(path, raw) ?? [];
  return list
    .map((v, i) => {
      const s = r.string([...path, i], v, { required: true });
      if (s !== undefined && !parseCloseUrlAllowEntry(s))
        r.problem(
          [...path, i],
          `must be "public", a network (10.0.0.0/8), an address, a host name (*.example.com for subdomains), each with an optional :port — got "${s}"`,
        );
      return s;
    })
    .filter((s): s is string => s !== undefined);
}

function token(r: ConfigReader, path: Path, raw: unknown): TokenConfig | undefined {
  const t = r.object(path, raw, ['token', 'pin', 'servers', 'name']);
  if (!t) return undefined;
  const value = r.string([...path, 'token'], t.token, { required: true });
  if (value !== undefined && value.length < 8) r.problem([...path, 'token'], 'must be at least 8 characters long');
  const pin = r.string([...path, 'pin'], t.pin);
  const serversRaw = r.array([...path, 'servers'], t.servers ?? ['*']) ?? [];
  const servers = serversRaw.map((s, i) => r.string([...path, 'servers', i], s, { required: true })).filter((s): s is string => !!s);
  const name = r.string([...path, 'name'], t.name);
  return value === undefined ? undefined : { token: value, pin, servers, name };
}

function operator(r: ConfigReader, path: Path, raw: unknown): OperatorConfig | undefined {
  const o = r.object(path, raw, ['token', 'name']);
  if (!o) return undefined;
  const value = r.string([...path, 'token'], o.token, { required: true });
  if (value !== undefined && value.length < 8) r.problem([...path, 'token'], 'must be at least 8 characters long');
  return value === undefined ? undefined : { token: value, name: r.string([...path, 'name'], o.name) };
}

function server(r: ConfigReader, path: Path, raw: unknown, atenTemplates: AtenTemplates): ServerConfig | undefined {
  const s = r.object(path, raw, ['id', 'name', 'location', 'console', 'ipmi', 'redfish', 'power']);
  if (!s) return undefined;
  const id = r.string([...path, 'id'], s.id, { required: true });
  if (id !== undefined && !/^[A-Za-z0-9._:-]{1,128}$/.test(id))
    r.problem([...path, 'id'], 'may only hold letters, digits, ".", "_", ":" and "-" (1 to 128 of them)');
  const cons = s.console === undefined ? undefined : consoleCfg(r, [...path, 'console'], s.console, atenTemplates);
  const ipmi = s.ipmi === undefined ? undefined : ipmiCfg(r, [...path, 'ipmi'], s.ipmi);
  const redfish = s.redfish === undefined ? undefined : readRedfishConfig(r, [...path, 'redfish'], s.redfish);
  const location = r.string([...path, 'location'], s.location);
  const power = readPowerProtocol(r, [...path, 'power'], s.power, {
    ipmi: s.ipmi !== undefined,
    redfish: s.redfish !== undefined,
    location: location !== undefined,
  });
  if (id === undefined) return undefined;
  return { id, name: r.string([...path, 'name'], s.name), location, console: cons, ipmi, redfish, power };
}

function consoleCfg(r: ConfigReader, path: Path, raw: unknown, atenTemplates: AtenTemplates): ConsoleConfig | undefined {
  if (raw !== null && typeof raw === 'object' && (raw as { type?: unknown }).type === 'aten')
    return readAtenConsole(r, path, raw as Record<string, unknown>, atenTemplates);
  if (raw !== null && typeof raw === 'object' && (raw as { type?: unknown }).type === 'openbmc')
    return readOpenBmcConsole(r, path, raw as Record<string, unknown>);
  if (raw !== null && typeof raw === 'object' && (raw as { type?: unknown }).type === 'jnlp')
    return readJnlpConsole(r, path, raw as Record<string, unknown>, atenTemplates);
  const c = r.object(path, raw, ['type', 'host', 'port', 'password', 'shared', 'connectTimeout', 'encodings', 'tls', 'insecureTls', 'legacyTls', 'ca', 'user']);
  if (!c) return undefined;
  const type = r.oneOf([...path, 'type'], c.type ?? 'vnc', ['vnc', 'aten', 'openbmc', 'jnlp'] as const);
  const host = r.string([...path, 'host'], c.host, { required: true });
  const port = r.integer([...path, 'port'], c.port, { min: 1, max: 65535 }) ?? DEFAULTS.vncPort;
  const password = r.string([...path, 'password'], c.password, {
    nonEmpty: false,
    unfilled: 'write the VNC password, or leave the key out for a server without one',
  });
  const shared = r.boolean([...path, 'shared'], c.shared) ?? true;
  const connectTimeoutMs = r.duration([...path, 'connectTimeout'], c.connectTimeout) ?? DEFAULTS.connectTimeoutMs;
  const encodings = (c.encodings === undefined ? [] : (r.array([...path, 'encodings'], c.encodings) ?? [])).map((e, i) =>
    r.oneOf([...path, 'encodings', i], e, Object.keys(ENCODING_NAMES)),
  );
  const tls = r.oneOf([...path, 'tls'], c.tls, ['prefer', 'require', 'off'] as const) ?? 'prefer';
  const insecureTls = r.boolean([...path, 'insecureTls'], c.insecureTls) ?? false;
  const legacyTls = r.boolean([...path, 'legacyTls'], c.legacyTls) ?? false;
  const user = r.string([...path, 'user'], c.user, { unfilled: "write the user name for VeNCrypt's Plain subtypes, or leave the key out" });
  const caPath = r.string([...path, 'ca'], c.ca);
  const ca = caPath === undefined ? undefined : readCaFile(r, [...path, 'ca'], caPath);
  if (tls === 'off' && (insecureTls || caPath !== undefined)) r.problem([...path, 'tls'], 'is "off", so insecureTls and ca would never be used');
  if (type !== 'vnc' || !host) return undefined;
  return { type, host, port, password, shared, connectTimeoutMs, encodings: encodings.filter((e): e is string => !!e), tls, insecureTls, legacyTls, ca, user };
}

/** Reads a `ca:` PEM file at load time (relative paths from the working directory, like recording.dir). */
function readCaFile(r: ConfigReader, path: Path, file: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    r.problem(path, `cannot read the CA file "${file}": ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    return undefined;
  }
  if (!text.includes('-----BEGIN CERTIFICATE-----')) {
    r.problem(path, `"${file}" holds no PEM certificate (-----BEGIN CERTIFICATE-----)`);
    return undefined;
  }
  return text;
}

function ipmiCfg(r: ConfigReader, path: Path, raw: unknown): IpmiConfig | undefined {
  const c = r.object(path, raw, ['host', 'port', 'user', 'password', 'kg', 'cipherSuite', 'privilege', 'allowWeakCipherSuites', 'solTakeover']);
  if (!c) return undefined;
  const host = r.string([...path, 'host'], c.host, { required: true });
  const port = r.integer([...path, 'port'], c.port, { min: 1, max: 65535 }) ?? DEFAULTS.ipmiPort;
  const user = r.string([...path, 'user'], c.user, { nonEmpty: false, unfilled: 'write the IPMI user name ("" for the anonymous user)' }) ?? '';
  const password = r.string([...path, 'password'], c.password, { required: true, nonEmpty: false });
  const kg = r.string([...path, 'kg'], c.kg);
  let cipherSuites: number[] = [17, 3];
  if (c.cipherSuite !== undefined) {
    const list = Array.isArray(c.cipherSuite) ? c.cipherSuite : [c.cipherSuite];
    cipherSuites = list
      .map((v, i) => r.integer([...path, 'cipherSuite', ...(Array.isArray(c.cipherSuite) ? [i] : [])], v, { min: 0, max: 17 }))
      .filter((v): v is number => v !== undefined);
  }
  const privilege = r.oneOf([...path, 'privilege'], c.privilege, ['USER', 'OPERATOR', 'ADMINISTRATOR'] as const) ?? 'ADMINISTRATOR';
  const allowWeakCipherSuites = r.boolean([...path, 'allowWeakCipherSuites'], c.allowWeakCipherSuites) ?? false;
  const solTakeover = r.boolean([...path, 'solTakeover'], c.solTakeover) ?? false;
  if (!allowWeakCipherSuites) {
    cipherSuites.forEach((s, i) => {
      if (s < 3) r.problem([...path, 'cipherSuite'], `cipher suite ${s} has no or weak authentication; set allowWeakCipherSuites: true to use it (entry ${i})`);
    });
  }
  if (!host || password === undefined) return undefined;
  return { host, port, user, password, kg, cipherSuites, privilege, allowWeakCipherSuites, solTakeover };
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object') {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}
