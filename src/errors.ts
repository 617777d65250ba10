import { ProtocolError } from '../protocols/errors.js';

/**
 * The gateway's own errors. Each code is stable (documented in docs/errors.md, checked by a test)
 * and knows the HTTP status the API answers with and the close reason shown to viewers.
 * The API shows `code` and `message`, never class names or stack traces.
 */
export const GatewayErrorCodes = {
  GW_ERR_BAD_REQUEST: { status: 400, summary: 'the request is malformed or misses a field' },
  GW_ERR_UNKNOWN_ACTION: { status: 400, summary: 'eq.php action not supported' },
  GW_ERR_BAD_TOKEN: { status: 401, summary: 'token missing or not known' },
  GW_ERR_BAD_PIN: { status: 401, summary: 'the token needs a PIN and it was missing or wrong' },
  GW_ERR_FORBIDDEN_SERVER: { status: 403, summary: 'the token may not open this server' },
  GW_ERR_UNKNOWN_SERVER: { status: 404, summary: 'no server with this id in the configuration' },
  GW_ERR_UNKNOWN_SESSION: { status: 404, summary: 'no live session with this id' },
  GW_ERR_NO_CONSOLE: { status: 409, summary: 'the server has no console configured' },
  GW_ERR_NO_IPMI: { status: 409, summary: 'the server has no ipmi configured (serial console), or neither ipmi nor redfish (power, boot device)' },
  GW_ERR_NO_REDFISH: { status: 409, summary: 'the server has no redfish configured (virtual media)' },
  GW_ERR_NOT_FOUND: { status: 404, summary: 'no such route' },
  GW_ERR_VIEWER_URL_INVALID: { status: 404, summary: 'the viewer URL is unknown, expired or already used' },
  GW_ERR_TOO_MANY_VIEWERS: { status: 409, summary: 'the session has its maximum number of viewers' },
  GW_ERR_TOO_MANY_SESSIONS: { status: 503, summary: 'the gateway has its maximum number of sessions' },
  GW_ERR_TOO_MANY_FEEDS: { status: 503, summary: 'the gateway serves its maximum number of live dashboard feeds' },
  GW_ERR_BMC_UNREACHABLE: { status: 502, summary: 'the BMC did not accept a connection' },
  GW_ERR_BMC_AUTH_FAILED: { status: 502, summary: 'the BMC refused the configured password' },
  GW_ERR_BMC_TIMEOUT: { status: 504, summary: 'the BMC stopped answering during the handshake' },
  GW_ERR_BMC_PROTOCOL: { status: 502, summary: 'the BMC sent bytes the gateway could not understand' },
  GW_ERR_BMC_TLS: { status: 502, summary: 'TLS with the BMC failed: handshake refused, certificate not accepted, or no TLS offered where it is required' },
  GW_ERR_BMC_UNSUPPORTED: { status: 502, summary: 'the BMC speaks a variant the gateway cannot (a Java viewer can: fallback: jnlp)' },
  GW_ERR_JAVA_UNAVAILABLE: { status: 503, summary: 'Java viewers cannot run here (no Docker engine or image, no Java, Xvfb or x11vnc)' },
  GW_ERR_TOO_MANY_JAVA_SESSIONS: { status: 503, summary: 'the gateway already runs java.maxSessions Java viewers' },
  GW_ERR_JAVA_VIEWER_EXITED: { status: 502, summary: 'the Java viewer exited or crashed' },
  GW_ERR_SESSION_ENDED: { status: 410, summary: 'the session has ended' },
  GW_ERR_INTERNAL: { status: 500, summary: 'an unexpected error inside the gateway' },
  GW_ERR_WORKER_LOST: { status: 503, summary: 'the worker process holding the console stopped (crashed or hung) while the request ran; it is being replaced' },
  GW_ERR_DISPATCH_UNAVAILABLE: { status: 503, summary: 'the server is in a remote location and the message broker is not reachable' },
  GW_ERR_DISPATCH_TIMEOUT: { status: 504, summary: 'no agent of the location answered before the request deadline' },
  GW_ERR_NO_AGENT: { status: 503, summary: "no agent is consuming the requests of the server's location" },
  GW_ERR_OPERATOR_ONLY: { status: 403, summary: 'this route needs an operator token' },
  GW_ERR_UNKNOWN_RECORDING: { status: 404, summary: 'no recording with this id' },
  GW_ERR_REQUEST_IN_PROGRESS: { status: 409, summary: 'a request with this request_id was started by another agent and its answer is not known' },
  GW_ERR_NOT_REDFISH: { status: 502, summary: 'the BMC does not answer as a Redfish service' },
  GW_ERR_BMC_FORBIDDEN: { status: 502, summary: 'the BMC account lacks the privilege for this action' },
  GW_ERR_REDFISH_NOT_FOUND: { status: 502, summary: 'a Redfish resource the action needs does not exist on the BMC' },
  GW_ERR_ACTION_NOT_ALLOWED: { status: 409, summary: 'the BMC does not allow this action or value' },
  GW_ERR_BMC_BUSY: { status: 503, summary: 'the BMC is busy or temporarily unavailable' },
  GW_ERR_BMC_CONFLICT: { status: 409, summary: 'the BMC refused the change because of its current state' },
  GW_ERR_BMC_LICENSE_REQUIRED: { status: 409, summary: 'the BMC needs a license for this action' },
  GW_ERR_BMC_REJECTED: { status: 502, summary: 'the BMC refused the request' },
  GW_ERR_BMC_FAILED: { status: 502, summary: 'the BMC failed while carrying out the request' },
  GW_ERR_NO_VIRTUAL_MEDIA: { status: 409, summary: 'the BMC has no CD/DVD virtual media' },
  GW_ERR_MEDIA_URL_NOT_ALLOWED: { status: 403, summary: 'the image URL is not on the media.allow list' },
  GW_ERR_MEDIA_FETCH_FAILED: { status: 502, summary: 'the BMC could not fetch the image' },
  GW_ERR_CLOSE_URL_REFUSED: { status: 400, summary: 'the close URL points where sessions.closeUrlAllow does not allow' },
  GW_ERR_RATE_LIMITED: { status: 429, summary: 'too many failed authentications from this address or for this token; retry later' },
  GW_ERR_ORIGIN_REFUSED: { status: 403, summary: 'a browser page of another origin may not use this WebSocket' },
} as const;

export type GatewayErrorCode = keyof typeof GatewayErrorCodes;

export class GatewayError extends Error {
  readonly code: GatewayErrorCode;
  readonly status: number;
  readonly details: Record<string, unknown> | undefined;
  /** HTTP headers the answer carries (e.g. Retry-After with GW_ERR_RATE_LIMITED). */
  readonly headers: Readonly<Record<string, string>> | undefined;

  constructor(code: GatewayErrorCode, message: string, options?: { cause?: unknown; details?: Record<string, unknown>; headers?: Record<string, string> }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'GatewayError';
    this.code = code;
    this.status = GatewayErrorCodes[code].status;
    this.details = options?.details;
    this.headers = options?.headers;
  }
}

/**
 * An error answer produced by another gateway process (an agent, see src/dispatch/), passed on to
 * the caller unchanged: its code may be any documented code (GW_, RFB_, IPMI_ …).
 */
export class ForwardedError extends Error {
  readonly publicError: { code: string; message: string; status: number };
  constructor(publicError: { code: string; message: string; status: number }) {
    super(publicError.message);
    this.name = 'ForwardedError';
    this.publicError = { code: publicError.code, message: publicError.message, status: publicError.status };
  }
}

/** The one place where anything thrown becomes an API-facing `{ code, message, status }` (and the headers it needs). */
export function toPublicError(err: unknown): { code: string; message: string; status: number; headers?: Readonly<Record<string, string>> } {
  if (err instanceof ForwardedError) return { ...err.publicError };
  if (err instanceof GatewayError) return { code: err.code, message: err.message, status: err.status, ...(err.headers ? { headers: err.headers } : {}) };
  if (err instanceof ProtocolError) return { code: err.code, message: err.message, status: 502 };
  const e = err as { statusCode?: number; code?: string; message?: string };
  if (typeof e?.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    // fastify's own validation / body-parser errors
    return { code: 'GW_ERR_BAD_REQUEST', message: e.message ?? 'bad request', status: e.statusCode };
  }
  return { code: 'GW_ERR_INTERNAL', message: 'internal error', status: 500 };
}
