import type { PrivilegeName } from '../../protocols/ipmi/constants.js';

/**
 * One server's IPMI access, as the gateway's config hands it over (issue 5, "Config").
 * `kg` is the BMC key in hex (like ipmitool -y), optional "0x" prefix, at most 20 bytes.
 */
export interface IpmiTarget {
  readonly host: string;
  /** UDP port, normally 623. */
  readonly port: number;
  readonly user: string;
  readonly password: string;
  readonly kg?: string;
  /** Suites to try in order; default [17, 3]. A suite the BMC refuses makes us try the next. */
  readonly cipherSuites: readonly number[];
  readonly privilege: PrivilegeName;
  /** Permit suites 0–2 (no or partial protection). Off unless set. */
  readonly allowWeakCipherSuites?: boolean;
  /** Allow SOL to deactivate a payload another (stale) session holds, then activate it for us. */
  readonly solTakeover?: boolean;
}

/** A pino-compatible logger (pino's methods take (object, message)). Passwords and keys are never logged. */
export interface IpmiLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export const silentLogger: IpmiLogger = Object.freeze({
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
});

/** Timing of one session; defaults follow ipmitool (1 s, +1 s per retry, 4 tries) and notes §1.8. */
export interface IpmiSessionOptions {
  /** First wait for a reply; each retry waits `retryBackoffMs` longer. */
  readonly timeoutMs?: number;
  readonly retryBackoffMs?: number;
  /** Sends of one request (first + retransmissions). */
  readonly attempts?: number;
  /**
   * Get Device ID after this long without a command, so the BMC does not drop the session
   * (ipmi_sim drops idle sessions after 30 s, the spec default is 60 s; ipmitool uses 15 s).
   */
  readonly keepAliveMs?: number;
  /** Requests queued on one session beyond which new calls fail with IPMI_ERR_BUSY. */
  readonly maxQueuedRequests?: number;
  readonly logger?: IpmiLogger;
}

/** Where a target is, for logs and audit records: never the password or Kg. */
export function describeTarget(t: IpmiTarget): { host: string; port: number; user: string } {
  return { host: t.host, port: t.port, user: t.user };
}
