import { closeSync, fdatasyncSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { GatewayContext } from '../context.js';
import type { Logger } from '../log.js';
import type { CloseNotifier } from './close-notifier.js';
import type { EndCode } from './session.js';

/** What a registry tells the journal (KVM consoles and serial consoles alike). */
export interface SessionJournal {
  opened(id: string, kind: 'console' | 'sol', serverId: string, closeUrls: Iterable<string>): void;
  closeUrlAdded(id: string, url: string): void;
  /** The session ended; its close URL calls are now in flight (each settles with `settled`). */
  ended(id: string, code: EndCode, reason: string): void;
}

type Record =
  | { t: 'open'; id: string; kind: 'console' | 'sol'; server: string; urls: string[]; at: string }
  | { t: 'url'; id: string; url: string }
  | { t: 'end'; id: string; code: string; reason: string; at: string }
  | { t: 'done'; id: string; url: string };

interface Entry {
  kind: 'console' | 'sol';
  server: string;
  urls: Set<string>;
  openedAt: string;
  end?: { code: string; reason: string; at: string };
}

/** The journal is rewritten with only what is live once it holds this many records (and 4× the live ones). */
const COMPACT_AFTER = 1000;
/** Longest line read back (a line is a few hundred bytes; more is a corrupt file). */
const MAX_LINE = 64 * 1024;

/**
 * A small journal of open sessions and their close URLs (`<stateDir>/sessions.journal`), so that a
 * gateway killed with SIGKILL or by the kernel — which cannot call the close URLs of the sessions it
 * held — calls them at its next start, with code `crash`. One JSON line per event, written with
 * write(2) and fdatasync(2) before the call that caused it returns (sessions open a few times a
 * minute: the cost is one sync each). Bounded: rewritten (write, fsync, rename, fsync the folder) with
 * only what is still live once it grows. A session's entry is kept after it ended until each of its
 * close URL calls has settled, so a crash during the retries still reaches the panel (with the
 * session's own end code). A torn last line (a crash mid-write) is ignored.
 */
export class CrashJournal implements SessionJournal {
  readonly #dir: string;
  readonly #path: string;
  readonly #log: Logger;
  readonly #entries = new Map<string, Entry>();
  #fd: number | undefined;
  #records = 0;
  #failed = false;

  constructor(dir: string, log: Logger) {
    this.#dir = dir;
    this.#path = join(dir, 'sessions.journal');
    this.#log = log.child({ component: 'crash-journal' });
  }

  get path(): string {
    return this.#path;
  }

  /**
   * Reads what a previous run left (sessions it held when it died, and close URL calls it had not
   * finished), starts a fresh journal holding those, and returns them to be notified.
   */
  recover(): { id: string; kind: 'console' | 'sol'; server: string; url: string; code: string; reason: string; endedAt: string }[] {
    mkdirSync(this.#dir, { recursive: true, mode: 0o700 });
    let text = '';
    try {
      text = readFileSync(this.#path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
        this.#log.error({ event: 'crash-journal-unreadable', err: (err as Error).message }, 'cannot read the crash journal');
    }
    for (const line of text.split('\n')) {
      if (line === '' || line.length > MAX_LINE) continue;
      let r: Record;
      try {
        r = JSON.parse(line) as Record;
      } catch {
        continue; // the torn last line of a crash, or garbage: what it said is lost, the rest is not
      }
      this.#apply(r);
    }
    const now = new Date().toISOString();
    const out: ReturnType<CrashJournal['recover']> = [];
    for (const [id, e] of this.#entries) {
      e.end ??= { code: 'crash', reason: 'the gateway stopped unexpectedly (killed or crashed) while this session was open', at: now };
      if (e.urls.size === 0) this.#entries.delete(id);
      for (const url of e.urls) out.push({ id, kind: e.kind, server: e.server, url, code: e.end.code, reason: e.end.reason, endedAt: e.end.at });
    }
    this.#compact();
    return out;
  }

  opened(id: string, kind: 'console' | 'sol', serverId: string, closeUrls: Iterable<string>): void {
    this.#write({ t: 'open', id, kind, server: serverId, urls: [...closeUrls], at: new Date().toISOString() });
  }

  closeUrlAdded(id: string, url: string): void {
    if (this.#entries.get(id)?.urls.has(url)) return;
    this.#write({ t: 'url', id, url });
  }

  ended(id: string, code: EndCode, reason: string): void {
    const e = this.#entries.get(id);
    if (!e) return;
    if (e.urls.size === 0) {
      this.#write({ t: 'done', id, url: '' });
      return;
    }
    this.#write({ t: 'end', id, code, reason, at: new Date().toISOString() });
  }

  /** A close URL call finished (answered, refused, or given up after its retries). */
  settled(id: string, url: string): void {
    if (!this.#entries.get(id)?.urls.has(url)) return;
    this.#write({ t: 'done', id, url });
  }

  /** Sessions (live or with calls in flight) the journal holds. */
  get size(): number {
    return this.#entries.size;
  }

  close(): void {
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
  }

  #apply(r: Record): void {
    if (!r || typeof r !== 'object' || typeof r.id !== 'string') return;
    switch (r.t) {
      case 'open':
        if (typeof r.server === 'string' && Array.isArray(r.urls)) {
          this.#entries.set(r.id, {
            kind: r.kind === 'sol' ? 'sol' : 'console',
            server: r.server,
            urls: new Set(r.urls.filter((u) => typeof u === 'string')),
            openedAt: String(r.at),
          });
        }
        break;
      case 'url':
        if (typeof r.url === 'string') this.#entries.get(r.id)?.urls.add(r.url);
        break;
      case 'end': {
        const e = this.#entries.get(r.id);
        if (e) e.end = { code: String(r.code), reason: String(r.reason), at: String(r.at) };
        break;
      }
      case 'done': {
        const e = this.#entries.get(r.id);
        if (!e) break;
        e.urls.delete(r.url);
        if (r.url === '' || (e.end && e.urls.size === 0)) this.#entries.delete(r.id);
        break;
      }
    }
  }

  #write(r: Record): void {
    this.#apply(r);
    if (this.#failed || this.#fd === undefined) return;
    try {
      writeSync(this.#fd, `${JSON.stringify(r)}\n`);
      fdatasyncSync(this.#fd);
      this.#records++;
    } catch (err) {
      this.#fail(err as Error);
      return;
    }
    if (this.#records > COMPACT_AFTER && this.#records > 4 * this.#entries.size) this.#compact();
  }

  /** Rewrites the journal with only what is live: temp file, fsync, rename over, fsync the folder. */
  #compact(): void {
    const lines: string[] = [];
    for (const [id, e] of this.#entries) {
      lines.push(JSON.stringify({ t: 'open', id, kind: e.kind, server: e.server, urls: [...e.urls], at: e.openedAt } satisfies Record));
      if (e.end) lines.push(JSON.stringify({ t: 'end', id, code: e.end.code, reason: e.end.reason, at: e.end.at } satisfies Record));
    }
    const tmp = `${this.#path}.tmp`;
    try {
      const fd = openSync(tmp, 'w', 0o600);
      if (lines.length > 0) writeSync(fd, `${lines.join('\n')}\n`);
      fsyncSync(fd);
      closeSync(fd);
      renameSync(tmp, this.#path);
      const dirFd = openSync(this.#dir, 'r');
      fsyncSync(dirFd);
      closeSync(dirFd);
      if (this.#fd !== undefined) closeSync(this.#fd);
      this.#fd = openSync(this.#path, 'a', 0o600);
      this.#records = lines.length;
    } catch (err) {
      this.#fail(err as Error);
    }
  }

  #fail(err: Error): void {
    if (this.#failed) return;
    this.#failed = true;
    this.#log.error(
      { event: 'crash-journal-failed', file: this.#path, err: err.message },
      'the crash journal cannot be written: sessions open at a crash will not be reported',
    );
  }
}

/**
 * Starts the journal in `dir`: notifies what a previous run left (code `crash`, or the session's own
 * end code when it had ended and its call had not finished), then records the registry's sessions.
 */
export function startCrashJournal(ctx: GatewayContext, dir: string): CrashJournal {
  const journal = new CrashJournal(dir, ctx.log);
  const pending = journal.recover();
  const notifier: CloseNotifier = ctx.registry.closeNotifier;
  notifier.onSettled = (url, notice) => journal.settled(notice.sessionId, url);
  ctx.registry.journal = journal;
  for (const p of pending) {
    ctx.log.warn(
      { event: 'crash-recovered-session', session: p.id, server: p.server, code: p.code },
      'calling the close URL of a session the previous run left',
    );
    ctx.audit.record({
      action: p.code === 'crash' ? `${p.kind}.end` : 'close-url.retry',
      who: 'gateway',
      kind: 'gateway',
      outcome: 'ok',
      server: p.server,
      session: p.id,
      detail: { endCode: p.code, recovered: true },
    });
    notifier.notify(p.url, { sessionId: p.id, serverId: p.server, code: p.code as EndCode | 'crash', reason: p.reason, endedAt: p.endedAt });
  }
  return journal;
}
