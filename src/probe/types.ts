/**
 * `bmc-gateway probe HOST`: what one look at a BMC found (docs/ARCHITECTURE.md, "Probe"). Each probe
 * (one file per thing probed in this folder) returns Findings; suggest.ts turns them into the
 * `console:` / `ipmi:` / `redfish:` blocks of a server entry; report.ts prints both.
 */

/** What the operator asked for. Credentials are held here only; nothing in a Finding carries them. */
export interface ProbeOptions {
  /** BMC address: a name, IPv4, or IPv6 (without brackets). */
  readonly host: string;
  /** TCP ports where RFB or ATEN iKVM may answer (default 5900, 5901, 63630). */
  readonly rfbPorts: readonly number[];
  /** The web interface's HTTPS port (Supermicro pages, Redfish, bmcweb): default 443. */
  readonly webPort: number;
  /** RMCP (IPMI over LAN) UDP port: default 623. */
  readonly ipmiPort: number;
  /** Upper bound of each step (connect, read, HTTP request, IPMI answer). */
  readonly timeoutMs: number;
  readonly user?: string | undefined;
  readonly password?: string | undefined;
  /** VNC Authentication password where it differs from `password` (iDRAC's VNC service has its own). */
  readonly vncPassword?: string | undefined;
  /**
   * Send credentials over TLS whose certificate does not verify (self-signed: what most BMCs have).
   * Looking needs no such permission: unauthenticated requests never carry a secret.
   */
  readonly insecureTls: boolean;
}

/** Which probe a finding comes from. */
export type ProbeName = 'rfb' | 'aten-tcp' | 'web-tls' | 'supermicro-web' | 'redfish' | 'redfish-system' | 'bmcweb-kvm' | 'ipmi';

/**
 * - `found`: the protocol answered (with credentials: and accepted them, unless `problem` says otherwise);
 * - `absent`: nothing of it there (closed port, silence, another protocol);
 * - `problem`: it answered, and something stands in the way (refused password, unsupported variant).
 */
export type Outcome = 'found' | 'absent' | 'problem';

export interface Finding {
  readonly probe: ProbeName;
  /** Where, for people: `tcp/5900`, `https/443`, `udp/623`. */
  readonly where: string;
  readonly outcome: Outcome;
  /** One line for people. Never a secret. */
  readonly summary: string;
  /** What was seen, JSON-safe, for `--json` and for suggest.ts. Never a secret. */
  readonly facts: object;
  /** Requests this probe made, in words (so an operator can tell what the BMC saw). */
  readonly requests: readonly string[];
}

/** How sure a suggested block is. */
export type Confidence = 'verified' | 'seen' | 'guess';

/** One config block the findings support. */
export interface Suggestion {
  readonly block: 'console' | 'ipmi' | 'redfish';
  readonly confidence: Confidence;
  /** The keys; every password is null (filled in by the operator: `check-config` refuses null). */
  readonly config: Readonly<Record<string, unknown>>;
  /** Why, in one line. */
  readonly because: string;
}

export interface ProbeReport {
  readonly host: string;
  readonly startedAt: string;
  readonly durationMs: number;
  /** Whether credentials were given (never what they were). */
  readonly withCredentials: boolean;
  readonly findings: readonly Finding[];
  /** The best block of each kind (console, ipmi, redfish) and the runners-up. */
  readonly chosen: readonly Suggestion[];
  readonly alternatives: readonly Suggestion[];
}
