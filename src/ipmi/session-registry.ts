import { createHash } from 'node:crypto';
import { IpmiSession } from './ipmi-session.js';
import { silentLogger, type IpmiSessionOptions, type IpmiTarget } from './types.js';

export interface IpmiSessionRegistryOptions extends IpmiSessionOptions {
  /** Close a session nobody used for this long (BMCs have few session slots; 4 is common). Default 60 s. */
  readonly idleCloseMs?: number;
  /** How sessions are opened; tests may substitute. */
  readonly openSession?: (target: IpmiTarget, o: IpmiSessionOptions) => Promise<IpmiSession>;
}

interface Entry {
  readonly fingerprint: string;
  readonly session: Promise<IpmiSession>;
}

/**
 * One IPMI session per BMC, shared by concurrent callers (BMCs allow only a few sessions), keyed by
 * host:port:user. A target whose other settings changed (password, suites, …) gets a new session.
 * Sessions idle for `idleCloseMs` are closed; a session that fails is dropped and reopened on demand.
 */
export class IpmiSessionRegistry {
  readonly #o: IpmiSessionRegistryOptions;
  readonly #entries = new Map<string, Entry>();
  readonly #sweeper: NodeJS.Timeout;
  #closed = false;

  constructor(o: IpmiSessionRegistryOptions = {}) {
    this.#o = o;
    const idle = o.idleCloseMs ?? 60_000;
    this.#sweeper = setInterval(() => this.#sweep(idle), Math.max(100, Math.floor(idle / 2)));
    this.#sweeper.unref();
  }

  get size(): number {
    return this.#entries.size;
  }

  /** The shared session for this target, opened if needed. */
  acquire(target: IpmiTarget): Promise<IpmiSession> {
    if (this.#closed) return Promise.reject(new Error('IpmiSessionRegistry is closed'));
    const key = `${target.host}:${target.port}:${target.user}`;
    const fingerprint = fingerprintOf(target);
    const existing = this.#entries.get(key);
    if (existing && existing.fingerprint === fingerprint) return existing.session;
    if (existing) {
      this.#entries.delete(key);
      void existing.session.then(
        (s) => s.close(),
        () => {},
      );
    }
    const open = this.#o.openSession ?? ((t, o) => IpmiSession.open(t, o));
    const session = open(target, this.#o).then((s) => {
      s.onClose(() => {
        if (this.#entries.get(key)?.session === session) this.#entries.delete(key);
      });
      return s;
    });
    this.#entries.set(key, { fingerprint, session });
    session.catch(() => {
      if (this.#entries.get(key)?.session === session) this.#entries.delete(key);
    });
    return session;
  }

  /** Runs `fn` with the shared session, keeping it from being reaped meanwhile. */
  async use<T>(target: IpmiTarget, fn: (session: IpmiSession) => Promise<T>): Promise<T> {
    const session = await this.acquire(target);
    const release = session.hold();
    try {
      return await fn(session);
    } finally {
      release();
    }
  }

  async closeAll(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#sweeper);
    const all = [...this.#entries.values()];
    this.#entries.clear();
    await Promise.all(
      all.map((e) =>
        e.session.then(
          (s) => s.close(),
          () => {},
        ),
      ),
    );
  }

  #sweep(idleMs: number): void {
    const now = Date.now();
    for (const [key, entry] of this.#entries) {
      void entry.session.then(
        (s) => {
          if (!s.closed && !s.busy && now - s.lastUsedAt > idleMs && this.#entries.get(key) === entry) {
            this.#entries.delete(key);
            (this.#o.logger ?? silentLogger).debug({ host: s.target.host }, 'ipmi: closing idle session');
            void s.close();
          }
        },
        () => {},
      );
    }
  }
}

/** A digest of the settings that change what session we get; never stored or logged in clear. */
function fingerprintOf(t: IpmiTarget): string {
  return createHash('sha256')
    .update(JSON.stringify([t.password, t.kg ?? '', [...t.cipherSuites], t.privilege, t.allowWeakCipherSuites === true]))
    .digest('hex');
}
