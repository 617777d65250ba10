import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A BMC that drops and comes back: a loopback TCP relay in front of a demo RFB server. `drop(ms)`
 * cuts every connection and refuses new ones (closed at once) for `ms`, as a BMC rebooting or a
 * flapping switch port would.
 */
export class FlakyRelay {
  readonly #server: Server;
  readonly #target: number;
  readonly #sockets = new Set<Socket>();
  #downUntil = 0;
  port = 0;

  private constructor(target: number) {
    this.#target = target;
    this.#server = createServer((client) => {
      if (this.down) {
        client.destroy();
        return;
      }
      const upstream = connect({ host: '127.0.0.1', port: this.#target });
      for (const s of [client, upstream]) {
        this.#sockets.add(s);
        s.on('close', () => this.#sockets.delete(s));
        s.on('error', () => undefined);
      }
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
  }

  static async start(target: number): Promise<FlakyRelay> {
    const r = new FlakyRelay(target);
    await new Promise<void>((resolve) => r.#server.listen(0, '127.0.0.1', resolve));
    r.port = (r.#server.address() as { port: number }).port;
    return r;
  }

  get down(): boolean {
    return Date.now() < this.#downUntil;
  }

  drop(ms: number): void {
    this.#downUntil = Date.now() + ms;
    for (const s of this.#sockets) s.destroy();
  }

  close(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    return new Promise((r) => this.#server.close(() => r()));
  }
}
