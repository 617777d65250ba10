import { createServer, type Server, type Socket } from 'node:net';
import { TightEncoder } from '../../../protocols/rfb/encodings/tight.js';
import type { Framebuffer } from '../../../protocols/rfb/framebuffer.js';
import { DemoClient, type DemoClientHost } from './demo-client.js';
import { DemoConsole } from './demo-console.js';

export interface DemoServerOptions {
  /** Listening address; 127.0.0.1 by default (the demo is for this machine only). */
  host?: string;
  /** 0 (the default) lets the kernel pick a free port. */
  port?: number;
  /** VNC Authentication password; without one (or with '') the server offers security type None. */
  password?: string;
  /** Framebuffer size, 1024x768 by default; at least 720x240. */
  width?: number;
  height?: number;
  /** Clock/cursor-blink period; 0 stops the clock (tests that need a screen that changes only on input). */
  tickMs?: number;
  /** Told why a client was dropped: a ProtocolError for bad bytes or a wrong password, else the socket error. */
  onClientError?: (err: Error) => void;
}

export interface DemoServer {
  host: string;
  port: number;
  password: string | undefined;
  /** Stops listening, closes every client and the clock. */
  close(): Promise<void>;
}

/** Cursor blink and clock period. */
export const DEMO_TICK_MS = 500;
/** More simultaneous clients than this are turned away (each holds a dirty list and a socket). */
export const MAX_DEMO_CLIENTS = 32;
export const DEMO_DESKTOP_NAME = 'bmc-gateway demo';

/**
 * Starts the built-in demo: an RFB server of our own on loopback drawing a text console (header
 * clock, boot log, a prompt that echoes typed lines), so `bmc-gateway serve` without a config shows
 * the whole browser ⇄ gateway ⇄ RFB server path working. Built only from the project's protocols/rfb
 * codecs; the gateway reaches it as an ordinary `vnc` console.
 */
export async function startDemoServer(opts: DemoServerOptions = {}): Promise<DemoServer> {
  const demo = new DemoRfbServer(opts);
  try {
    await demo.listen(opts.host ?? '127.0.0.1', opts.port ?? 0);
  } catch (err) {
    await demo.close();
    throw err;
  }
  return { host: demo.host, port: demo.port, password: demo.password, close: () => demo.close() };
}

class DemoRfbServer implements DemoClientHost {
  readonly password: string | undefined;
  readonly desktopName = DEMO_DESKTOP_NAME;
  readonly tight = new TightEncoder();
  readonly #console: DemoConsole;
  readonly #clients = new Set<DemoClient>();
  readonly #server: Server;
  readonly #timer: NodeJS.Timeout | undefined;
  readonly #onClientError: ((err: Error) => void) | undefined;
  host = '';
  port = 0;

  constructor(opts: DemoServerOptions) {
    this.password = opts.password === '' ? undefined : opts.password;
    this.#onClientError = opts.onClientError;
    this.#console = new DemoConsole(opts.width ?? 1024, opts.height ?? 768, new Date());
    this.#console.render(); // draw the first screen now; no client can have damage yet
    this.#server = createServer((socket) => this.#accept(socket));
    const tickMs = opts.tickMs ?? DEMO_TICK_MS;
    if (tickMs > 0) {
      this.#timer = setInterval(() => {
        this.#console.tick(new Date());
        this.flush();
      }, tickMs);
      // The gateway's own listeners keep the process alive; a forgotten demo must not.
      this.#timer.unref();
    }
  }

  get fb(): Framebuffer {
    return this.#console.fb;
  }

  listen(host: string, port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen({ host, port }, () => {
        this.#server.off('error', reject);
        const address = this.#server.address();
        if (address === null || typeof address === 'string') {
          reject(new Error('demo server: listening socket has no TCP address'));
          return;
        }
        this.host = address.address;
        this.port = address.port;
        resolve();
      });
    });
  }

  key(keysym: number): void {
    this.#console.key(keysym);
  }

  paste(text: string): void {
    this.#console.paste(text);
  }

  pointer(x: number, y: number, buttonMask: number): void {
    this.#console.pointer(x, y, buttonMask);
  }

  flush(): void {
    const rects = this.#console.render();
    for (const c of this.#clients) {
      c.damage(rects);
      c.serve();
    }
  }

  closed(client: DemoClient, err?: Error): void {
    this.#clients.delete(client);
    if (err && this.#onClientError) this.#onClientError(err);
  }

  async close(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    for (const c of this.#clients) c.close();
    this.#clients.clear();
    if (!this.#server.listening) return;
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #accept(socket: Socket): void {
    if (this.#clients.size >= MAX_DEMO_CLIENTS) {
      socket.destroy();
      return;
    }
    this.#clients.add(new DemoClient(socket, this));
  }
}
