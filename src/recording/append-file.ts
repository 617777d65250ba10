import { close, fdatasync, openSync, write } from 'node:fs';

/**
 * A file written by appending, in order, without blocking the event loop: one write in flight at a
 * time, the rest queued (bounded by `maxPendingBytes`). Data is fdatasync'ed every `syncEveryMs`
 * while there is unsynced data, so a crash of the gateway or the machine loses at most about that
 * much. The first error (ENOSPC, EIO, a full queue…) stops the file for good and is reported once
 * through `onError`; later appends are dropped. Nothing here ever throws at the caller after open.
 */
export class AppendFile {
  readonly path: string;
  #fd: number | undefined;
  readonly #queue: Buffer[] = [];
  #pending = 0;
  #writing = false;
  #dirty = false;
  #syncing = false;
  #closing: Promise<void> | undefined;
  #closeWaiter: (() => void) | undefined;
  #error: Error | undefined;
  #bytes = 0;
  #idleWaiters: (() => void)[] = [];
  readonly #timer: NodeJS.Timeout;
  readonly #maxPending: number;
  readonly #onError: (err: Error) => void;
  /** Called whenever the queue has emptied (the writer may produce more). */
  onDrain: (() => void) | undefined;

  /** Creates the file (never overwrites: flag "wx" unless `flags` says otherwise); throws if that fails. */
  constructor(path: string, opts: { onError: (err: Error) => void; syncEveryMs?: number; maxPendingBytes?: number; flags?: string }) {
    this.path = path;
    this.#fd = openSync(path, opts.flags ?? 'wx', 0o600);
    this.#onError = opts.onError;
    this.#maxPending = opts.maxPendingBytes ?? 8 * 1024 * 1024;
    this.#timer = setInterval(() => this.#sync(), opts.syncEveryMs ?? 1000);
    this.#timer.unref();
  }

  get failed(): Error | undefined {
    return this.#error;
  }

  /** Bytes written so far (not counting the queue). */
  get bytesWritten(): number {
    return this.#bytes;
  }

  /** True while something is queued or being written. */
  get busy(): boolean {
    return this.#writing || this.#queue.length > 0;
  }

  /** Resolves once nothing is queued or being written (at once if so already, or after a failure). */
  idle(): Promise<void> {
    if (!this.busy || this.#error) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** Queues `buf` (kept by reference: do not mutate it). */
  append(buf: Buffer): void {
    if (this.#error || this.#closing || buf.length === 0) return;
    if (this.#pending + buf.length > this.#maxPending) {
      this.#fail(new Error(`more than ${this.#maxPending} bytes waiting to be written to ${this.path} (disk too slow)`));
      return;
    }
    this.#queue.push(buf);
    this.#pending += buf.length;
    this.#pump();
  }

  /** Writes what is queued, syncs, closes. Safe to call more than once. */
  close(): Promise<void> {
    this.#closing ??= new Promise<void>((resolve) => {
      clearInterval(this.#timer);
      this.#closeWaiter = resolve;
      this.#maybeFinish();
    });
    return this.#closing;
  }

  #pump(): void {
    if (this.#writing || this.#fd === undefined) return;
    if (this.#error) return this.#settleFailed();
    if (this.#queue.length === 0) {
      for (const w of this.#idleWaiters.splice(0)) w();
      this.#maybeFinish();
      this.onDrain?.();
      return;
    }
    const buf = this.#queue.length === 1 ? this.#queue[0]! : Buffer.concat(this.#queue);
    this.#queue.length = 0;
    this.#writing = true;
    this.#writeAll(buf, 0);
  }

  #writeAll(buf: Buffer, off: number): void {
    write(this.#fd!, buf, off, buf.length - off, null, (err, n) => {
      if (err || this.#error) {
        this.#writing = false;
        if (err) this.#fail(err);
        this.#settleFailed();
        return;
      }
      this.#bytes += n;
      if (off + n < buf.length) {
        this.#writeAll(buf, off + n);
        return;
      }
      this.#pending -= buf.length;
      this.#writing = false;
      this.#dirty = true;
      this.#pump();
    });
  }

  #sync(done?: () => void): void {
    if (!this.#dirty || this.#syncing || this.#fd === undefined || this.#error) {
      done?.();
      return;
    }
    this.#dirty = false;
    this.#syncing = true;
    fdatasync(this.#fd, (err) => {
      this.#syncing = false;
      if (err) this.#fail(err);
      if (this.#error) this.#settleFailed();
      done?.();
    });
  }

  #maybeFinish(): void {
    if (!this.#closeWaiter || this.busy || this.#syncing) return;
    const resolve = this.#closeWaiter;
    this.#closeWaiter = undefined;
    this.#sync(() => this.#release(resolve));
  }

  #release(resolve: () => void): void {
    const fd = this.#fd;
    this.#fd = undefined;
    if (fd === undefined) return resolve();
    close(fd, () => resolve());
  }

  #fail(err: Error): void {
    if (this.#error) return;
    this.#error = err;
    this.#queue.length = 0;
    this.#pending = 0;
    clearInterval(this.#timer);
    this.#onError(err);
    this.#settleFailed();
  }

  /** After a failure: once no write or sync is in flight, close the fd and let close() resolve. */
  #settleFailed(): void {
    for (const w of this.#idleWaiters.splice(0)) w();
    if (this.#writing || this.#syncing) return;
    const resolve = this.#closeWaiter ?? (() => undefined);
    this.#closeWaiter = undefined;
    this.#release(resolve);
  }
}
