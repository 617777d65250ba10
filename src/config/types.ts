/** The validated, frozen configuration the rest of the gateway reads. See docs/config.md. */

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
}

export type ConsoleConfig = VncConsoleConfig;

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
  /** Close URL calls: attempts and the timeout of each. */
  closeUrlAttempts: number;
  closeUrlTimeoutMs: number;
  /** A one-time viewer URL not used within this time expires. */
  urlTtlMs: number;
  /** Reconnect attempts to a BMC that dropped stop after this long; the session then ends. */
  reconnectBudgetMs: number;
}

export interface GatewayConfig {
  listen: { host: string; port: number };
  publicUrl: string;
  tokens: readonly TokenConfig[];
  operators: readonly OperatorConfig[];
  servers: readonly ServerConfig[];
  sessions: SessionsConfig;
  log: { level: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent' };
  /** The path the config was read from, or undefined for the built-in demo config. */
  source: string | undefined;
}
