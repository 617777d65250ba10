import type { Principal } from '../api/auth.js';
import type { EqFields } from '../context.js';

/** The REST v1 session calls, as data: what the front forwards and an agent runs. */
export type RestCall =
  | { type: 'open'; serverId: string; viewOnly: boolean; closeUrl: string | undefined }
  | { type: 'list' }
  | { type: 'get'; sessionId: string }
  | { type: 'end'; sessionId: string };

/** Any call a front forwards: an eq.php action with its fields (never token/pin), or a REST call. */
export type DispatchCall = { type: 'eq'; action: string; fields: Record<string, string> } | RestCall;

/**
 * Runs API calls where the server lives. The in-process dispatcher (the default) runs them in this
 * gateway; the AMQP one (`dispatch.role: front|both`) sends calls for servers of a location to the
 * agents of that location and returns their answers unchanged.
 */
export interface Dispatcher {
  /**
   * An eq.php action. `body` is the parsed request (token and pin are never forwarded), `fields`
   * its EqFields view for a local run.
   */
  eq(principal: Principal, action: string, body: Record<string, unknown>, fields: EqFields): Promise<Record<string, unknown>>;
  /** A REST session call; `requestId` (Idempotency-Key) makes a retried open answer the first result. */
  rest(principal: Principal, call: RestCall, requestId?: string): Promise<Record<string, unknown>>;
}

/** A principal as it travels to an agent: its name, kind and the server ids it may open there. */
export interface WirePrincipal {
  kind: 'token' | 'operator';
  name: string;
  /** "*" = every server (operators); otherwise the allowed ids of the target location. */
  servers: '*' | string[];
  /** The client's address at the front, for the agent's audit trail. */
  from?: string | undefined;
}

/** `bmcgw.request` message body (JSON), published to the location's (or one agent's) queue. */
export interface WireRequest {
  v: 1;
  /** Request id: the idempotency key (with the principal's name) on the agent. */
  id: string;
  /** Epoch ms after which nobody waits for the answer. */
  deadline: number;
  principal: WirePrincipal;
  call: DispatchCall;
  /**
   * The caller gave the request id (`request_id` / `Idempotency-Key`) and the call is not one a
   * twin may take over: the agent claims the id through the broker before running it, so the call
   * runs once across every agent of the location (src/dispatch/broker-claims.ts). Absent in older fronts' messages.
   */
  claim?: boolean;
}

/** Who answered: shown to operators, and lets the front tag session ids with their owner. */
export interface AgentIdentity {
  id: string;
  location: string;
  url: string;
}

/** `bmcgw.reply` message body (JSON), sent to the front's reply queue with the request's correlation id. */
export type WireReply =
  | { ok: true; result: Record<string, unknown>; agent: AgentIdentity }
  | { ok: false; error: { code: string; message: string; status: number }; agent: AgentIdentity };

/** `bmcgw.announce` message body (JSON), on the fanout exchange, every `announceInterval`. */
export interface AgentAnnouncement extends AgentIdentity {
  version: string;
  /** Live sessions on this agent. */
  load: number;
  /** Epoch ms of the announcement (the agent's clock). */
  at: number;
  /** true when the agent is shutting down cleanly. */
  leaving?: boolean;
}

/**
 * Session ids seen through a front carry their owner: `<agentId>~<sessionId>`, so GET and DELETE
 * go to the agent that holds the session (two agents of one location have different sessions).
 */
export const OWNER_SEPARATOR = '~';

/**
 * Calls that a twin agent may run again when the agent that took them died (the broker redelivers
 * them): opening a console or a serial console, and the REST session calls. Opening twice is
 * harmless — the dead agent's session died with it — and is what "another agent takes over" needs.
 * Every other call with a caller-given request id is claimed and runs at most once.
 */
export function isTakeoverCall(call: DispatchCall): boolean {
  return call.type !== 'eq' || call.action === 'novnc' || call.action === 'sol';
}
