import { fork, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import type { ReloadableConfig } from '../config/reload.js';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { TLSSocket } from 'node:tls';
import { join } from 'node:path';
import { AggregatorRegistry, type Registry } from 'prom-client';
import type { Principal } from '../api/auth.js';
import type { ViewerStatus } from '../api/api-types.js';
import { outcomeOf } from '../audit/audit-trail.js';
import type { EqFields, GatewayContext } from '../context.js';
import type { DispatchCall, WirePrincipal } from '../dispatch/types.js';
import { ForwardedError, GatewayError } from '../errors.js';
import { PROJECT_ROOT } from '../paths.js';
import { markCutShort } from '../recording/recording-routes.js';
import type { CrashJournal } from '../session/crash-journal.js';
import type { EndCode } from '../session/session.js';
import { HEARTBEAT_MS, type FromWorker, type ToWorker } from './protocol.js';

/** The worker's entry point: always the compiled file (under vitest too: `npm run build` first). */
export const WORKER_ENTRY = join(PROJECT_ROOT, 'dist', 'src', 'workers', 'worker-main.js');

/** A front's call to a worker that gets no answer within this is failed (opens wait for the BMC: connectTimeout is far below). */
const CALL_TIMEOUT_MS = 120_000;
/** Viewer keys remembered (which worker issued them), oldest dropped first. */
const KEYS_MAX = 20_000;
/** A worker that dies within this of its start is restarted after a growing pause (a crash loop must not spin). */
const QUICK_DEATH_MS = 10_000;

interface BookEntry {
  server: string;
  urls: Set<string>;
  /** Close URL calls not yet settled (after the end); the front calls them again if the worker dies. */
  unsettled: Set<string>;
  end?: { code: string; reason: string; at: string };
}

interface Slot {
  index: number;
  child: ChildProcess | undefined;
  pid: number | undefined;
  ready: boolean;
  startedAt: number;
  lastBeat: number;
  /** Why the front killed it (hung), to say so when it exits. */
  killedFor: string | undefined;
  /** The worker's sessions as it reported them (live, and ended with close URL calls in flight). */
  book: Map<string, BookEntry>;
  recordings: Set<string>;
  /** Opens sent to this worker and not answered, by server: the server stays pinned to it meanwhile. */
  opening: Map<string, number>;
  pending: Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>;
  quickDeaths: number;
  ready$: Promise<void> | undefined;
  /** Viewer sockets handed to this worker whose send has not completed (see #sendSocket). */
  sending: Set<Socket>;
}

/** What the front remembers of a viewer key. */
interface KeyInfo {
  slot: number;
  /** The worker generation (pid) that issued it: a replaced worker's keys are dead. */
  pid: number;
  sessionId: string;
  viewOnly: boolean;
}

/** Sessions of a worker that died, for the page's status call: why its console ended. */
interface DeadSession {
  server: string;
  reason: string;
}

export interface WorkerInfo {
  index: number;
  pid: number | undefined;
  ready: boolean;
  sessions: number;
}

/**
 * The front's side of `workers:` (docs/ARCHITECTURE.md, "Worker processes"): N child processes,
 * each holding whole console sessions. The front authenticates, routes every console call (eq.php
 * `novnc`, REST sessions) to the worker that holds — or will hold — the server's session, and hands
 * each viewer's TCP socket to that worker before the WebSocket handshake. A worker that exits or
 * stops sending heartbeats (killed then) ends only its sessions: their close URLs are called with
 * `worker-crash`, their pages learn why from the status call, the audit trail and crash journal say
 * so, and a new worker takes its place.
 */
export class WorkerPool {
  readonly #ctx: GatewayContext;
  readonly #journal: CrashJournal | undefined;
  readonly #slots: Slot[] = [];
  readonly #keys = new Map<string, KeyInfo>();
  readonly #dead = new Map<string, DeadSession>();
  /** Where each server's session is (or is being opened): the pooling rule "one session per server" across workers. */
  readonly #pins = new Map<string, number>();
  #n = 0;
  #closing = false;
  /** Socket pairs for relaying TLS viewers to workers (made on the first one). */
  #pairs: SocketPairs | undefined;
  #watchdog: NodeJS.Timeout | undefined;

  constructor(ctx: GatewayContext, journal: CrashJournal | undefined) {
    this.#ctx = ctx;
    this.#journal = journal;
    // The front's registry counts the workers' sessions too (sessions.maxSessions, /healthz, the agent's load).
    ctx.registry.elsewhere = () => this.sessionCount();
  }

  get size(): number {
    return this.#slots.length;
  }

  async start(count: number): Promise<void> {
    if (!existsSync(WORKER_ENTRY)) throw new Error(`workers: ${WORKER_ENTRY} is missing; run \`npm run build\` (the worker processes run the compiled code)`);
    for (let i = 0; i < count; i++) {
      this.#slots.push({
        index: i,
        child: undefined,
        pid: undefined,
        ready: false,
        startedAt: 0,
        lastBeat: 0,
        killedFor: undefined,
        book: new Map(),
        recordings: new Set(),
        opening: new Map(),
        pending: new Map(),
        quickDeaths: 0,
        ready$: undefined,
        sending: new Set(),
      });
    }
    await Promise.all(this.#slots.map((s) => this.#spawn(s)));
    const timeout = this.#ctx.config.workers.heartbeatTimeoutMs;
    this.#watchdog = setInterval(
      () => {
        const now = Date.now();
        for (const s of this.#slots) {
          if (!s.child || !s.ready || s.killedFor) continue;
          if (now - s.lastBeat > timeout) {
            s.killedFor = `it sent no heartbeat for ${Math.round((now - s.lastBeat) / 100) / 10} s (workers.heartbeatTimeout ${timeout / 1000} s): a hung event loop`;
            this.#ctx.log.error(
              { event: 'worker-hung', worker: s.index, pid: s.pid, silentMs: now - s.lastBeat },
              'worker process stopped answering; killing it',
            );
            s.child.kill('SIGKILL');
          }
        }
      },
      Math.min(HEARTBEAT_MS * 2, timeout / 2),
    );
    this.#watchdog.unref();
  }

  /** The worker processes, for /healthz and tests. */
  info(): WorkerInfo[] {
    return this.#slots.map((s) => ({ index: s.index, pid: s.pid, ready: s.ready, sessions: [...s.book.values()].filter((e) => !e.end).length }));
  }

  /** Live console sessions in every worker. */
  sessionCount(): number {
    return this.info().reduce((a, w) => a + w.sessions, 0);
  }

  /** Recordings being written by the workers (the listing marks them live). */
  liveRecordings(): string[] {
    return this.#slots.flatMap((s) => [...s.recordings]);
  }

  /** Which worker holds a session (tests and the thumbnail route). */
  workerOf(sessionId: string): number | undefined {
    return this.#slots.find((s) => s.book.has(sessionId))?.index;
  }

  #spawn(s: Slot): Promise<void> {
    // Of the front's Node flags only the GC one passes on (README, "Node's memory reducer"): not
    // --inspect or --cpu-prof, which would clash between processes.
    const execArgv = process.execArgv.filter((a) => a === '--no-memory-reducer');
    const child = fork(WORKER_ENTRY, [], { serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv });
    s.child = child;
    s.pid = child.pid;
    s.ready = false;
    s.killedFor = undefined;
    s.startedAt = Date.now();
    s.lastBeat = Date.now();
    s.ready$ = new Promise<void>((resolve, reject) => {
      const onExit = (code: number | null, signal: string | null) =>
        reject(new Error(`worker ${s.index} exited before it was ready (code ${code}, signal ${signal})`));
      child.once('exit', onExit);
      child.on('message', (m: FromWorker) => {
        if (m.t === 'ready') {
          child.off('exit', onExit);
          s.ready = true;
          s.lastBeat = Date.now();
          resolve();
        }
      });
    });
    child.on('message', (m: FromWorker) => this.#onMessage(s, child, m));
    child.on('exit', (code, signal) => this.#onExit(s, child, code, signal));
    child.on('error', (err) => this.#ctx.log.error({ event: 'worker-error', worker: s.index, err: err.message }, 'worker process error'));
    const init: ToWorker = { t: 'init', index: s.index, config: this.#ctx.config };
    child.send(init);
    this.#ctx.log.info({ event: 'worker-started', worker: s.index, pid: child.pid }, 'worker process started');
    return s.ready$;
  }

  #onMessage(s: Slot, child: ChildProcess, m: FromWorker): void {
    if (s.child !== child) return;
    switch (m.t) {
      case 'hb':
        s.lastBeat = Date.now();
        return;
      case 'reply': {
        const p = s.pending.get(m.n);
        if (!p) return;
        s.pending.delete(m.n);
        clearTimeout(p.timer);
        if (m.ok) p.resolve(m.result);
        // Any documented code (GW_, RFB_ …) with its status, to the caller unchanged, as from a dispatch agent.
        else p.reject(new ForwardedError(m.error));
        return;
      }
      case 'audit':
        this.#ctx.audit.record(m.entry);
        return;
      case 'opened':
        s.book.set(m.id, { server: m.server, urls: new Set(m.urls), unsettled: new Set() });
        this.#pins.set(m.server, s.index);
        this.#journal?.opened(m.id, 'console', m.server, m.urls);
        return;
      case 'url':
        s.book.get(m.id)?.urls.add(m.url);
        this.#journal?.closeUrlAdded(m.id, m.url);
        return;
      case 'ended': {
        const e = s.book.get(m.id);
        if (!e) return;
        e.end = { code: m.code, reason: m.reason, at: new Date().toISOString() };
        e.unsettled = new Set(e.urls);
        this.#journal?.ended(m.id, m.code as EndCode, m.reason);
        this.#ctx.metrics.sessionsEnded.inc({ reason: m.code });
        if (e.unsettled.size === 0) s.book.delete(m.id);
        this.#unpin(e.server);
        return;
      }
      case 'settled': {
        const e = s.book.get(m.id);
        e?.unsettled.delete(m.url);
        if (e?.end && e.unsettled.size === 0) s.book.delete(m.id);
        this.#journal?.settled(m.id, m.url);
        return;
      }
      case 'recording':
        if (m.live) s.recordings.add(m.id);
        else s.recordings.delete(m.id);
        return;
      case 'ready':
      case 'closed':
        return;
    }
  }

  /** A server's pin goes when no worker holds a live session for it and no open is on its way. */
  #unpin(server: string): void {
    const at = this.#pins.get(server);
    if (at === undefined) return;
    const s = this.#slots[at]!;
    const live = [...s.book.values()].some((e) => e.server === server && !e.end);
    if (!live && !s.opening.get(server)) this.#pins.delete(server);
  }

  #onExit(s: Slot, child: ChildProcess, code: number | null, signal: string | null): void {
    if (s.child !== child) return;
    s.child = undefined;
    s.ready = false;
    const why = s.killedFor ?? (signal ? `it was killed by ${signal}` : `it exited with code ${code}`);
    for (const p of s.pending.values()) {
      clearTimeout(p.timer);
      p.reject(new GatewayError('GW_ERR_WORKER_LOST', `the worker process holding this console stopped (${why}); try again`));
    }
    s.pending.clear();
    s.opening.clear();
    releaseUnacknowledged(child, s.sending);
    if (this.#closing) {
      // A clean shutdown: the worker ended its sessions and called their close URLs itself.
      s.book.clear();
      return;
    }
    this.#ctx.log.error(
      { event: 'worker-died', worker: s.index, pid: child.pid, code, signal, why, sessions: s.book.size },
      'worker process stopped; ending its sessions and replacing it',
    );
    this.#endBook(s, why);
    for (const id of s.recordings) {
      try {
        if (this.#ctx.config.recording) markCutShort(this.#ctx.config.recording.dir, id, 'worker-crash');
      } catch (err) {
        this.#ctx.log.error({ event: 'recording-recover-failed', recording: id, err: (err as Error).message }, 'cannot mark a recording cut short');
      }
    }
    s.recordings.clear();
    for (const [server, at] of this.#pins) if (at === s.index) this.#pins.delete(server);
    const quick = Date.now() - s.startedAt < QUICK_DEATH_MS;
    s.quickDeaths = quick ? s.quickDeaths + 1 : 0;
    const delay = quick ? Math.min(30_000, 500 * 2 ** Math.min(s.quickDeaths, 6)) : 0;
    setTimeout(() => {
      if (this.#closing || s.child) return;
      this.#spawn(s).catch((err: Error) =>
        this.#ctx.log.error({ event: 'worker-start-failed', worker: s.index, err: err.message }, 'a replacement worker failed to start'),
      );
    }, delay).unref();
  }

  /** The dead worker's sessions: ended with `worker-crash`, close URLs called, audited, journaled. */
  #endBook(s: Slot, why: string): void {
    const endedAt = new Date().toISOString();
    const reason = `the gateway's worker process holding this console stopped unexpectedly (${why})`;
    const notifier = this.#ctx.registry.closeNotifier;
    for (const [id, e] of s.book) {
      if (e.end) {
        // Ended before the crash, close URL calls still in flight there: call them again from here, with their own code.
        for (const url of e.unsettled)
          notifier.notify(url, { sessionId: id, serverId: e.server, code: e.end.code as EndCode, reason: e.end.reason, endedAt: e.end.at });
        continue;
      }
      this.#ctx.audit.record({
        action: 'console.end',
        who: 'gateway',
        kind: 'gateway',
        server: e.server,
        session: id,
        outcome: 'ok',
        detail: { endCode: 'worker-crash', reason },
      });
      this.#ctx.metrics.sessionsEnded.inc({ reason: 'worker-crash' });
      this.#journal?.ended(id, 'worker-crash' as EndCode, reason);
      if (this.#dead.size >= KEYS_MAX) this.#dead.delete(this.#dead.keys().next().value!);
      this.#dead.set(id, { server: e.server, reason });
      for (const url of e.urls) notifier.notify(url, { sessionId: id, serverId: e.server, code: 'worker-crash', reason, endedAt });
    }
    s.book.clear();
  }

  #request(s: Slot, m: ToWorker & { n: number }): Promise<unknown> {
    const child = s.child;
    if (!child || !s.ready) return Promise.reject(new GatewayError('GW_ERR_WORKER_LOST', `worker ${s.index} is being replaced; try again`));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        s.pending.delete(m.n);
        reject(new GatewayError('GW_ERR_WORKER_LOST', `worker ${s.index} did not answer within ${CALL_TIMEOUT_MS / 1000} s`));
      }, CALL_TIMEOUT_MS);
      s.pending.set(m.n, { resolve, reject, timer });
      child.send(m);
    });
  }

  /** The worker a new session goes to: the server's if it has one, else the least loaded. */
  #slotFor(serverId: string): Slot {
    const pinned = this.#pins.get(serverId);
    if (pinned !== undefined) return this.#slots[pinned]!;
    const live = this.#slots.filter((s) => s.ready);
    if (live.length === 0) throw new GatewayError('GW_ERR_WORKER_LOST', 'no worker process is running (they are being replaced); try again');
    const opening = (s: Slot) => [...s.opening.values()].reduce((a, b) => a + b, 0);
    const load = (s: Slot) => [...s.book.values()].filter((e) => !e.end).length + opening(s);
    // sessions.maxSessions is for the whole gateway (the front's Java viewer consoles and every
    // worker's sessions: registry.total()), and sessions still opening in a worker count too.
    const max = this.#ctx.config.sessions.maxSessions;
    if (this.#ctx.registry.total() + this.#slots.reduce((a, s) => a + opening(s), 0) >= max) {
      throw new GatewayError('GW_ERR_TOO_MANY_SESSIONS', `the gateway already holds its maximum of ${max} console sessions (sessions.maxSessions)`);
    }
    const best = live.reduce((a, b) => (load(b) < load(a) ? b : a));
    this.#pins.set(serverId, best.index);
    return best;
  }

  /**
   * A console call (eq.php `novnc`, REST open/list/get/end), run in the worker that holds the session.
   * The principal travels as the dispatch agents' WirePrincipal (src/dispatch/types.ts).
   */
  async run(principal: Principal, call: DispatchCall, fields?: EqFields): Promise<Record<string, unknown>> {
    const wire = this.#wirePrincipal(principal);
    if (call.type === 'eq' && fields) {
      // Rebuild the forwarded fields from the caller's view (secrets stay here).
      const forwarded: Record<string, string> = {};
      for (const k of ['id', 'closeurl', 'view_only', 'request_id']) {
        const v = fields.get(k);
        if (v !== undefined) forwarded[k] = v;
      }
      call = { type: 'eq', action: call.action, fields: forwarded };
    }
    switch (call.type) {
      case 'eq':
      case 'open': {
        const serverId = call.type === 'open' ? call.serverId : (call.fields.id ?? '');
        let s: Slot;
        try {
          s = this.#slotFor(serverId);
        } catch (err) {
          // Refused here, before any worker saw it: the audit record a worker's ConsoleService would write.
          const e = err as GatewayError;
          this.#ctx.audit.record({
            action: 'console.open',
            who: principal.name,
            kind: principal.kind,
            from: principal.from,
            server: serverId,
            outcome: outcomeOf(e.code),
            code: e.code,
            message: e.message,
          });
          throw err;
        }
        s.opening.set(serverId, (s.opening.get(serverId) ?? 0) + 1);
        try {
          const result = (await this.#request(s, { t: 'call', n: ++this.#n, principal: wire, call })) as Record<string, unknown>;
          const url = typeof result.scope === 'string' ? result.scope : typeof result.url === 'string' ? result.url : undefined;
          const sessionId = typeof result.key === 'string' ? result.key : typeof result.id === 'string' ? result.id : undefined;
          const key = url?.slice(url.lastIndexOf('/') + 1);
          if (key && sessionId && s.pid !== undefined) {
            if (this.#keys.size >= KEYS_MAX) this.#keys.delete(this.#keys.keys().next().value!);
            const viewOnly = call.type === 'open' ? call.viewOnly : call.fields.view_only === '1' || call.fields.view_only === 'true';
            this.#keys.set(key, { slot: s.index, pid: s.pid, sessionId, viewOnly });
          }
          return result;
        } finally {
          const left = (s.opening.get(serverId) ?? 1) - 1;
          if (left > 0) s.opening.set(serverId, left);
          else s.opening.delete(serverId);
          this.#unpin(serverId);
        }
      }
      case 'list': {
        const answers = await Promise.all(
          this.#slots.filter((s) => s.ready).map((s) => this.#request(s, { t: 'call', n: ++this.#n, principal: wire, call }).catch(() => ({ sessions: [] }))),
        );
        return { sessions: answers.flatMap((a) => (a as { sessions: unknown[] }).sessions) };
      }
      case 'get':
      case 'end': {
        const s = this.#slots.find((x) => x.book.get(call.sessionId) && !x.book.get(call.sessionId)!.end);
        if (!s) throw new GatewayError('GW_ERR_UNKNOWN_SESSION', `no live session "${call.sessionId}"`);
        return (await this.#request(s, { t: 'call', n: ++this.#n, principal: wire, call })) as Record<string, unknown>;
      }
    }
  }

  #wirePrincipal(p: Principal): WirePrincipal {
    const from = p.from === undefined ? {} : { from: p.from };
    if (p.kind === 'operator') return { kind: p.kind, name: p.name, servers: '*', ...from };
    return { kind: p.kind, name: p.name, servers: this.#ctx.config.servers.filter((s) => p.mayOpen(s.id)).map((s) => s.id), ...from };
  }

  /** The worker that issued a key, while that very process lives. */
  #keySlot(key: string): { slot: Slot; info: KeyInfo } | { dead: KeyInfo } | undefined {
    const info = this.#keys.get(key);
    if (!info) return undefined;
    const slot = this.#slots[info.slot]!;
    if (slot.pid !== info.pid || !slot.ready) return { dead: info };
    return { slot, info };
  }

  /** Whether a worker issued this viewer key (alive or not): else it is the front's own (Java viewer consoles). */
  issued(key: string): boolean {
    return this.#keys.has(key);
  }

  /** The console page's question (viewer-routes.ts keyPreview), asked of the worker that issued the key. */
  async keyPreview(key: string): Promise<{ known: boolean; png: Buffer | undefined }> {
    const k = this.#keySlot(key);
    if (!k || 'dead' in k) return { known: false, png: undefined };
    const answer = (await this.#request(k.slot, { t: 'page', n: ++this.#n, key }).catch(() => undefined)) as
      { known: boolean; png: Uint8Array | undefined } | undefined;
    if (!answer) return { known: false, png: undefined };
    return { known: answer.known, png: answer.png ? asBuffer(answer.png) : undefined };
  }

  /** `GET /api/v1/viewer/:key/status`, asked of the worker that issued the key; a dead worker's keys say so. */
  async viewerStatus(key: string): Promise<ViewerStatus> {
    const k = this.#keySlot(key);
    if (!k) throw new GatewayError('GW_ERR_VIEWER_URL_INVALID', 'this console URL is unknown or has expired');
    if ('dead' in k) return this.#deadStatus(k.dead);
    try {
      return (await this.#request(k.slot, { t: 'status', n: ++this.#n, key })) as ViewerStatus;
    } catch (err) {
      // The page asks as soon as its socket closes: when the worker died, that is often before the
      // front has seen the exit, and the question dies with the worker. The answer is the same.
      if (err instanceof GatewayError && err.code === 'GW_ERR_WORKER_LOST') return this.#deadStatus(k.info);
      throw err;
    }
  }

  #deadStatus(info: KeyInfo): ViewerStatus {
    const d = this.#dead.get(info.sessionId);
    return {
      state: 'ended',
      viewOnly: info.viewOnly,
      warning: null,
      warningCode: null,
      reason: d?.reason ?? 'the gateway process holding this console stopped unexpectedly',
      code: 'worker-crash',
    };
  }

  /**
   * A viewer's upgrade request (Origin already checked): its TCP socket goes to the worker holding
   * the session, which answers the handshake. False when no live worker issued the key.
   */
  handOffViewer(
    key: string,
    socket: Socket,
    req: { ip: string; method: string; url: string; headers: Record<string, string | string[] | undefined> },
  ): boolean {
    const k = this.#keySlot(key);
    if (!k || 'dead' in k || !k.slot.child) return false;
    const m: ToWorker = { t: 'viewer', key, ip: req.ip, method: req.method, url: req.url, headers: req.headers };
    const slot = k.slot;
    const child = slot.child;
    if (!(socket instanceof TLSSocket)) {
      this.#sendSocket(slot, m, socket);
      return true;
    }
    // A TLS connection cannot be moved to another process: its keys and sequence numbers live here.
    // This process keeps the TLS and hands the worker one end of a local stream socket pair instead,
    // relaying the plain bytes between the two (the worker sees a socket like any other).
    socket.pause();
    Promise.resolve()
      .then(() => this.#bridge().pair())
      .then(([mine, theirs]) => {
        const cut = (err?: Error) => {
          if (err) this.#ctx.log.debug({ event: 'viewer-bridge-closed', worker: slot.index, err: err.message }, 'a TLS viewer relay closed');
          socket.destroy();
          mine.destroy();
        };
        mine.on('error', cut).on('close', () => cut());
        socket.on('error', cut).on('close', () => cut());
        socket.pipe(mine);
        mine.pipe(socket);
        if (socket.destroyed) return cut(new Error('the browser went away'));
        if (slot.child !== child) return cut(new Error('the worker was replaced'));
        this.#sendSocket(slot, m, theirs);
      })
      .catch((err: Error) => {
        // E.g. no writable temporary directory for the relay's socket (TMPDIR; a read-only root file system).
        this.#ctx.log.error({ event: 'viewer-handoff-failed', worker: slot.index, err: err.message }, 'a TLS viewer could not be relayed to its worker');
        socket.destroy();
      });
    return true;
  }

  /** Sends a viewer's socket to a worker: from then on the worker owns the connection. */
  #sendSocket(slot: Slot, m: ToWorker, socket: Socket): void {
    const child = slot.child;
    if (!child) {
      socket.destroy();
      return;
    }
    // Node's child_process tracks sockets of a net.Server sent to children so that server.close()
    // can ask the children about them; once such a child has exited, that poll never finishes and
    // server.close() hangs (observed on Node 20: _usingWorkers stays set with an empty list). The
    // worker owns the connection from here on, so the front does not track it that way.
    (socket as unknown as { server: unknown }).server = null;
    // Stop this process reading the connection before it is shared. child_process keeps the front's
    // copy of the descriptor open until the worker acknowledges it (NODE_HANDLE_ACK), and it is still
    // reading into a discarding callback (observed on Node 20): bytes the browser sends in that window
    // (its RFB version once the worker's 101 and greeting are out) went to the front and were lost, and
    // the console hung before ServerInit (about 1 viewer in 25 with a busy front;
    // test/integration/workers/viewer-handoff.test.ts). Node has no public call that stops a net.Socket's
    // handle reading (pause() only stops 'data' events), hence the handle's own readStop().
    (socket as unknown as { _handle: { readStop(): number } | null })._handle?.readStop();
    // Until its send completes the socket is this worker's to cut if it dies (#onExit): a handle sent
    // while the previous one awaits the worker's acknowledgement waits in child_process's queue.
    slot.sending.add(socket);
    child.send(m, socket, (err) => {
      slot.sending.delete(socket);
      // Sent: this process's handle was detached by child_process; the socket object still counts as
      // one of the server's connections (socket._server): destroying it closes no descriptor and lets
      // the count drop. Not sent: the viewer is cut.
      if (err)
        this.#ctx.log.warn({ event: 'viewer-handoff-failed', worker: slot.index, err: err.message }, 'a viewer socket could not be handed to its worker');
      socket.destroy();
    });
  }

  #bridge(): SocketPairs {
    if (!this.#pairs || this.#pairs.broken) {
      this.#pairs?.close();
      this.#pairs = new SocketPairs();
    }
    return this.#pairs;
  }

  /** The session's thumbnail, rendered in its worker; undefined when no worker holds it. */
  async thumbnail(sessionId: string, width: number): Promise<{ png: Buffer; server: string } | undefined> {
    const s = this.#slots.find((x) => x.book.get(sessionId) && !x.book.get(sessionId)!.end);
    if (!s) return undefined;
    const png = (await this.#request(s, { t: 'thumbnail', n: ++this.#n, sessionId, width })) as Uint8Array | null;
    return png ? { png: asBuffer(png), server: s.book.get(sessionId)!.server } : undefined;
  }

  /** The front's metrics and every worker's, summed by prom-client's aggregator (gauges and counters add up). */
  async metrics(front: object[]): Promise<Registry> {
    const parts = await Promise.all(this.#slots.filter((s) => s.ready).map((s) => this.#request(s, { t: 'metrics', n: ++this.#n }).catch(() => [])));
    return AggregatorRegistry.aggregate([front, ...(parts as object[])]);
  }

  /**
   * SIGHUP reload: every live worker takes the new servers, tokens and operators (a worker forked
   * later gets them in its init, from the front's config) and ends the sessions of removed and changed
   * servers. Answers how many live sessions that ends, by the front's book.
   */
  reload(next: ReloadableConfig, removed: string[], changed: string[]): number {
    let ending = 0;
    for (const s of this.#slots) {
      for (const e of s.book.values()) if (!e.end && (removed.includes(e.server) || changed.includes(e.server))) ending++;
      if (s.child?.connected)
        s.child.send({ t: 'reload', servers: next.servers, tokens: next.tokens, operators: next.operators, removed, changed } satisfies ToWorker);
    }
    return ending;
  }

  /**
   * Tests only: asks worker `index` to spin its event loop for `ms` (it obeys only with
   * BMCGW_WORKER_TEST_HOOKS=1 in its environment, inherited from this process).
   */
  testBusyLoop(index: number, ms: number): void {
    this.#slots[index]?.child?.send({ t: 'test-busy-loop', ms } satisfies ToWorker);
  }

  /** Shutdown: each worker ends its sessions (close URLs called there, up to 3 s) and exits; killed after 8 s. */
  async close(reason: string): Promise<void> {
    this.#closing = true;
    clearInterval(this.#watchdog);
    this.#pairs?.close();
    await Promise.all(
      this.#slots.map(async (s) => {
        const child = s.child;
        if (!child) return;
        const exited = new Promise<void>((r) => child.once('exit', () => r()));
        try {
          child.send({ t: 'close', reason } satisfies ToWorker);
        } catch {
          // the channel is already gone; it exits by itself
        }
        const timer = setTimeout(() => child.kill('SIGKILL'), 8000);
        await exited;
        clearTimeout(timer);
      }),
    );
  }
}

/**
 * A worker died with viewer sockets on their way to it: closes this process's copies, which Node
 * forgets. child_process passes one handle at a time and waits for the child's NODE_HANDLE_ACK before
 * it closes its own copy of the descriptor (kept for a retransmission) and sends the next one, which
 * wait in a queue. When the child dies first, the channel's end is handled by `disconnect()`, which
 * postpones `_disconnect()` — the only place that closes the unacknowledged copy — until that queue
 * flushes, which it never does; the queued handles' send callbacks are never called (Node 20,
 * lib/internal/child_process.js, setupChannel; observed: test/integration/workers/workers.test.ts,
 * viewers arriving at a stopped worker stayed connected to nothing). Each would leave a browser
 * hanging, and the queued ones keep the front's HTTP server from closing.
 */
function releaseUnacknowledged(child: ChildProcess, queued: Set<Socket>): void {
  for (const socket of queued) socket.destroy();
  queued.clear();
  const internal = child as unknown as { _pendingMessage?: { handle?: { close?: () => void } } | null };
  try {
    internal._pendingMessage?.handle?.close?.();
  } catch {
    // already closed
  }
  internal._pendingMessage = null;
}

/** A Buffer over bytes from a worker: the IPC channel's structured clone delivers Buffers as plain Uint8Arrays. */
function asBuffer(u: Uint8Array): Buffer {
  return Buffer.from(u.buffer, u.byteOffset, u.byteLength);
}

/**
 * Connected pairs of local stream sockets, as socketpair(2) would give (Node has no such call): a
 * listener on a Unix socket in a private directory (mkdtemp: mode 0700, this user only), one connect
 * at a time so that each accepted socket is the other end of the connect just made.
 */
class SocketPairs {
  readonly #dir: string;
  readonly #path: string;
  readonly #server: Server;
  readonly #listening: Promise<void>;
  #waiting: ((s: Socket) => void) | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  /** The listener failed: the next viewer makes a new one. */
  broken = false;

  constructor() {
    try {
      this.#dir = mkdtempSync(join(tmpdir(), 'bmcgw-relay-'));
    } catch (err) {
      throw new Error(`cannot make the TLS viewer relay's socket directory in ${tmpdir()} (set TMPDIR to a writable directory): ${(err as Error).message}`);
    }
    this.#path = join(this.#dir, 's');
    // pauseOnConnect: the accepted end must not read before it is sent to a worker.
    this.#server = createServer({ pauseOnConnect: true }, (s) => {
      const w = this.#waiting;
      this.#waiting = undefined;
      if (w) w(s);
      else s.destroy();
    });
    this.#server.unref();
    this.#listening = new Promise((resolve, reject) => {
      this.#server.once('error', (err) => {
        this.broken = true;
        reject(new Error(`cannot listen on the TLS viewer relay's socket ${this.#path}: ${err.message}`));
      });
      this.#server.listen(this.#path, () => resolve());
    });
    this.#listening.catch(() => undefined);
  }

  /** [this process's end, the end to send]. */
  pair(): Promise<[Socket, Socket]> {
    const next = this.#queue.then(
      () =>
        new Promise<[Socket, Socket]>((resolve, reject) => {
          let mine: Socket | undefined;
          const timer = setTimeout(() => {
            this.#waiting = undefined;
            mine?.destroy();
            reject(new Error('the local relay socket did not connect within 5 s'));
          }, 5000);
          this.#waiting = (theirs) => {
            clearTimeout(timer);
            resolve([mine!, theirs]);
          };
          this.#listening.then(() => {
            mine = createConnection(this.#path);
            mine.once('error', (err) => {
              clearTimeout(timer);
              this.#waiting = undefined;
              reject(err);
            });
          }, reject);
        }),
    );
    this.#queue = next.catch(() => undefined);
    return next;
  }

  close(): void {
    this.#server.close();
    rmSync(this.#dir, { recursive: true, force: true });
  }
}
