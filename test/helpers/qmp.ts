import { connect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * A minimal QMP (QEMU Machine Protocol) client over a unix socket: JSON objects separated by CRLF,
 * a greeting, then `qmp_capabilities`, then commands whose replies carry our `id` back
 * (docs/interop/qmp-spec.txt, sections 2.2-2.4). Asynchronous events are collected, not interpreted.
 */

export interface QmpEvent {
  event: string;
  data?: unknown;
  timestamp?: { seconds: number; microseconds: number };
}

interface Pending {
  command: string;
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

/** Replies larger than this are a QEMU bug or a wrong socket; refuse rather than buffer forever. */
const MAX_LINE_BYTES = 16 * 1024 * 1024;

export class QmpClient {
  readonly events: QmpEvent[] = [];
  #socket: Socket;
  #buffer = '';
  #nextId = 1;
  #pending = new Map<number, Pending>();
  #greeting: ((ok: boolean) => void) | undefined;
  #closed = false;

  private constructor(socket: Socket) {
    this.#socket = socket;
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => this.#onData(chunk));
    socket.on('error', () => {}); // surfaced through 'close' and the pending commands
    socket.on('close', () => this.#onClose());
  }

  /**
   * Connects to QEMU's `-qmp unix:PATH,server=on,wait=off` socket, retrying until it exists (QEMU
   * creates it while starting up) or `timeoutMs` passes. `alive` lets the caller stop waiting as soon
   * as the QEMU process has exited.
   */
  static async connect(path: string, timeoutMs: number, alive: () => boolean = () => true): Promise<QmpClient> {
    const deadline = Date.now() + timeoutMs;
    let lastError: unknown;
    while (Date.now() < deadline && alive()) {
      try {
        const socket = await openSocket(path);
        const client = new QmpClient(socket);
        await client.#handshake(Math.max(1000, deadline - Date.now()));
        return client;
      } catch (error) {
        lastError = error;
        await sleep(50);
      }
    }
    throw new Error(`QMP socket ${path} did not answer: ${String(lastError ?? 'QEMU exited')}`);
  }

  /** Runs one command; resolves with its `return` value, rejects with the QMP error class and text. */
  execute<T = unknown>(command: string, args?: Record<string, unknown>, timeoutMs = 30_000): Promise<T> {
    if (this.#closed) return Promise.reject(new Error(`QMP ${command}: connection closed`));
    const id = this.#nextId++;
    const message: Record<string, unknown> = { execute: command, id };
    if (args !== undefined) message['arguments'] = args;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new Error(`QMP ${command}: no reply within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#pending.set(id, { command, resolve: resolve as (v: unknown) => void, reject, timer });
      this.#socket.write(`${JSON.stringify(message)}\r\n`);
    });
  }

  close(): void {
    this.#closed = true;
    this.#socket.destroy();
  }

  get closed(): boolean {
    return this.#closed;
  }

  async #handshake(timeoutMs: number): Promise<void> {
    const greeted = new Promise<boolean>((resolve) => {
      this.#greeting = resolve;
    });
    const timer = setTimeout(() => this.#greeting?.(false), timeoutMs);
    const ok = await greeted;
    clearTimeout(timer);
    if (!ok) {
      this.close();
      throw new Error('no QMP greeting');
    }
    // Capabilities negotiation mode accepts only qmp_capabilities (qmp-spec 4.1).
    await this.execute('qmp_capabilities', undefined, timeoutMs);
  }

  #onData(chunk: string): void {
    this.#buffer += chunk;
    if (this.#buffer.length > MAX_LINE_BYTES) {
      this.close();
      return;
    }
    let newline: number;
    while ((newline = this.#buffer.indexOf('\n')) >= 0) {
      const line = this.#buffer.slice(0, newline).trim();
      this.#buffer = this.#buffer.slice(newline + 1);
      if (line !== '') this.#onMessage(line);
    }
  }

  #onMessage(line: string): void {
    let message: Record<string, unknown>;
    try {
      message = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return; // not ours to judge; a reply we cannot read will time out its command
    }
    if ('QMP' in message) {
      this.#greeting?.(true);
      this.#greeting = undefined;
      return;
    }
    if (typeof message['event'] === 'string') {
      this.events.push(message as unknown as QmpEvent);
      return;
    }
    const id = message['id'];
    if (typeof id !== 'number') return;
    const pending = this.#pending.get(id);
    if (pending === undefined) return;
    this.#pending.delete(id);
    clearTimeout(pending.timer);
    const error = message['error'] as { class?: string; desc?: string } | undefined;
    if (error !== undefined) {
      pending.reject(new Error(`QMP ${pending.command}: ${error.class ?? 'Error'}: ${error.desc ?? ''}`));
    } else {
      pending.resolve(message['return']);
    }
  }

  #onClose(): void {
    this.#closed = true;
    this.#greeting?.(false);
    this.#greeting = undefined;
    for (const [id, pending] of this.#pending) {
      clearTimeout(pending.timer);
      pending.reject(new Error(`QMP ${pending.command}: connection closed`));
      this.#pending.delete(id);
    }
  }
}

function openSocket(path: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ path });
    socket.once('connect', () => {
      socket.off('error', reject);
      resolve(socket);
    });
    socket.once('error', reject);
  });
}
