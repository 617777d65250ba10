/** The validated, frozen configuration the rest of the gateway reads. See docs/config.md. */
import type { AtenConsoleConfig } from '../sources/aten/aten-config.js';
import type { OpenBmcConsoleConfig } from '../sources/openbmc/openbmc-config.js';
import type { JavaConfig } from '../sources/jnlp/java-config.js';
import type { JnlpConsoleConfig } from '../sources/jnlp/jnlp-config.js';
import type { RecordingConfig } from '../recording/recording-config.js';
import type { MediaConfig, PowerProtocol, RedfishConfig } from '../redfish/redfish-config.js';
import type { RateLimitConfig } from '../api/rate-limit.js';
import type { WebConfig } from '../api/embedding.js';
import type { TlsConfig } from '../net/tls.js';
import type { DispatchKeysConfig } from '../dispatch/message-auth.js';

export interface TokenConfig {
  token: string;
  pin: string | undefined;
  /** Server ids this token may open; "*" means all. */
  servers: readonly string[];
  name: string | undefined;
}

export interface OperatorConfig {
  token: string;
  name: string | undefined;
}

export interface VncConsoleConfig {
  type: 'vnc';
  host: string;
  port: number;
  password: string | undefined;
  /** Ask the BMC for a shared session (RFB ClientInit shared-flag). */
  shared: boolean;
  /** Upper bound of one connect + handshake attempt. */
  connectTimeoutMs: number;
  /** Encodings to ask the BMC for, by name, in preference order; empty = the gateway's default list. */
  encodings: readonly string[];
  /** TLS security types (18, VeNCrypt 19): take when offered (prefer), insist (require), never (off). */
  tls: 'prefer' | 'require' | 'off';
  /** Accept an X509 certificate that does not verify. */
  insecureTls: boolean;
  /** Allow TLS 1.0/1.1 and legacy ciphers for this BMC. */
  legacyTls: boolean;
  /** PEM text of the CA certificate(s) X509 certificates are verified against (read from `ca:` at load). */
  ca: string | undefined;
  /** User name for VeNCrypt's Plain subtypes. */
  user: string | undefined;
}

export type ConsoleConfig = VncConsoleConfig | AtenConsoleConfig | OpenBmcConsoleConfig | JnlpConsoleConfig;

export interface IpmiConfig {
  host: string;
  port: number;
  user: string;
  password: string;
  kg: string | undefined;
  cipherSuites: readonly number[];
  privilege: 'USER' | 'OPERATOR' | 'ADMINISTRATOR';
  allowWeakCipherSuites: boolean;
  solTakeover: boolean;
}

export interface ServerConfig {
  id: string;
  name: string | undefined;
  location: string | undefined;
  console: ConsoleConfig | undefined;
  ipmi: IpmiConfig | undefined;
  /** Redfish access (power, boot override, virtual media); src/redfish/. */
  redfish: RedfishConfig | undefined;
  /** Which protocol power and boot actions use (the default is resolved: ipmi, else redfish, else none). */
  power: PowerProtocol | undefined;
}

export interface SessionsConfig {
  /** End a session that has had no viewer for this long. */
  idleTimeoutMs: number;
  /** End a session with no input from any viewer for this long (0 = never). */
  inputIdleTimeoutMs: number;
  /** Viewers are warned this long before an input-idle end. */
  inputIdleWarningMs: number;
  /** End a session this old, whatever happens in it (0 = never). */
  maxLifetimeMs: number;
  /** Viewers per session (people, not the recorder). */
  maxViewers: number;
  /** Live sessions per gateway. */
  maxSessions: number;
  /** WebSocket ping period toward viewers; one missed answer drops the viewer. */
  pingIntervalMs: number;
  /** Close URL calls: attempts and the timeout of each. */
  closeUrlAttempts: number;
  closeUrlTimeoutMs: number;
  /** A one-time viewer URL not used within this time expires. */
  urlTtlMs: number;
  /** Reconnect attempts to a BMC that dropped stop after this long; the session then ends. */
  reconnectBudgetMs: number;
  /** Where close URLs may point (`public`, networks, hosts; see CloseUrlPolicy). */
  closeUrlAllow: readonly string[];
  /** Relay RFB BMCs' updates as they came to viewers that keep up (src/viewer/relay.ts). */
  relay: boolean;
}

/** `dispatch:` — requests for servers in other locations go through RabbitMQ to agents there. */
export interface DispatchConfig {
  amqp: string;
  role: 'front' | 'agent' | 'both';
  /** The location whose requests this agent consumes (role agent / both). */
  location: string | undefined;
  /** Name of the durable direct exchange; queues and the announcement exchange derive from it. */
  exchange: string;
  /** Upper bound of a dispatched request: the message's expiration and the front's wait. */
  requestTimeoutMs: number;
  /** Unacknowledged requests one agent works on at once. */
  prefetch: number;
  announceIntervalMs: number;
  /** Stable name of this agent (defaults to location + host name + a random suffix). */
  agentId: string | undefined;
  /** HMAC keys every request, reply and announcement is signed with. */
  keys: DispatchKeysConfig;
  /** How far apart the clocks of fronts and agents may be. */
  clockSkewMs: number;
}

export interface GatewayConfig {
  listen: { host: string; port: number };
  publicUrl: string;
  tokens: readonly TokenConfig[];
  operators: readonly OperatorConfig[];
  servers: readonly ServerConfig[];
  sessions: SessionsConfig;
  /** Session recording (src/recording); undefined = nothing is recorded. */
  recording?: RecordingConfig | undefined;
  dispatch?: DispatchConfig | undefined;
  /** Virtual media: the hosts an inserted image URL may name; undefined = no URL is accepted. */
  media?: MediaConfig | undefined;
  /** How Java viewers run (`jnlp` consoles, `fallback: jnlp`); defaults when the file has no `java:`. */
  java?: JavaConfig | undefined;
  log: { level: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent' };
  /** Proxies whose X-Forwarded-For is believed (addresses, CIDRs, or proxy-addr's names); empty = none. */
  trustProxy: readonly string[];
  /** Limits on failed authentications. */
  rateLimit: RateLimitConfig;
  /** Which panel origins may frame the pages. */
  web: WebConfig;
  /** HTTPS on the gateway's own listener; undefined = plain HTTP (behind a TLS proxy). */
  tls: TlsConfig | undefined;
  /** The audit trail's file; undefined = audit records go to the log only. */
  audit: { file: string | undefined };
  /** Where the gateway keeps state across restarts (crash journal, self-signed certificate). */
  stateDir: string | undefined;
  /** Worker processes holding the console sessions (src/workers/); count 0 = in this process. */
  workers: WorkersConfig;
  /** The path the config was read from, or undefined for the built-in demo config. */
  source: string | undefined;
}

export interface WorkersConfig {
  /** Worker processes; 0 or 1… 0 keeps every session in the gateway's process (the default). */
  count: number;
  /** A worker that has not reported for this long is taken for hung, killed and replaced. */
  heartbeatTimeoutMs: number;
}

export const DEFAULT_WORKER_HEARTBEAT_TIMEOUT_MS = 5000;
