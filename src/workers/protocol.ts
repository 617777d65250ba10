import type { ReloadableConfig } from '../config/reload.js';
import type { AuditEntry } from '../audit/audit-trail.js';
import type { GatewayConfig } from '../config/types.js';
import type { DispatchCall, WirePrincipal } from '../dispatch/types.js';

/**
 * Messages between the front (the process that listens) and its worker processes, over the
 * child_process IPC channel with `serialization: 'advanced'` (structured clone: Buffers, Maps).
 * The channel is trusted: both ends are this gateway.
 */

/** Front → worker. `n` numbers a request; the worker answers `{ t: 'reply', n }`. */
export type ToWorker =
  | { t: 'init'; index: number; config: GatewayConfig }
  | { t: 'call'; n: number; principal: WirePrincipal; call: DispatchCall }
  | { t: 'status'; n: number; key: string }
  /** The console page's question: is the key unused, and the preview of its console (answers `{ known, png }`). */
  | { t: 'page'; n: number; key: string }
  | { t: 'thumbnail'; n: number; sessionId: string; width: number }
  | { t: 'metrics'; n: number }
  /** Sent with the viewer's TCP socket as the handle: the worker completes the WebSocket upgrade. */
  | { t: 'viewer'; key: string; ip: string; method: string; url: string; headers: Record<string, string | string[] | undefined> }
  | { t: 'close'; reason: string }
  /** SIGHUP reload (server.ts applyConfig): the new servers, tokens and operators; the sessions of `removed` and `changed` servers end with `config-changed`. */
  | ({ t: 'reload'; removed: string[]; changed: string[] } & ReloadableConfig)
  /** Tests only (obeyed when the worker's environment has BMCGW_WORKER_TEST_HOOKS=1): spin the event loop for `ms`, a real hung loop. */
  | { t: 'test-busy-loop'; ms: number };

export type WorkerError = { code: string; message: string; status: number };

/** Worker → front. */
export type FromWorker =
  | { t: 'ready'; pid: number }
  /** Every HEARTBEAT_MS from the worker's event loop: a worker that stops sending is hung. */
  | { t: 'hb' }
  | { t: 'reply'; n: number; ok: true; result: unknown }
  | { t: 'reply'; n: number; ok: false; error: WorkerError }
  | { t: 'audit'; entry: AuditEntry }
  /** The worker's sessions and close URL calls, as the crash journal needs them (src/session/crash-journal.ts). */
  | { t: 'opened'; id: string; server: string; urls: string[] }
  | { t: 'url'; id: string; url: string }
  | { t: 'ended'; id: string; code: string; reason: string }
  | { t: 'settled'; id: string; url: string }
  | { t: 'recording'; id: string; live: boolean }
  | { t: 'closed' };

/** How often a worker reports that its event loop turns. */
export const HEARTBEAT_MS = 250;
