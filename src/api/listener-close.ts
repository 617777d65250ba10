import type { Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { Logger } from '../log.js';

/**
 * The HTTP listener's part of a shutdown, bounded. Node's `server.close()` closes the connections
 * idle at that moment and then waits for every other one to end by itself:
 *
 * - A request in flight when shutdown begins is answered, and its keep-alive connection then waits
 *   for the next request for Fastify's `keepAliveTimeout` (72 s) before it closes: shutdown waited
 *   that long (observed: Node 20, Fastify 5; test/integration/shutdown.test.ts). Answers sent once
 *   shutdown has begun say `Connection: close` (RFC 9112 §9.6), so Node closes each after it.
 * - Connections the gateway no longer answers on (hijacked or handed to a worker process) hold the
 *   close until their socket object is destroyed; one a bug forgot would hold it for ever. After the
 *   grace, whatever is still open is closed and the count logged. The listener's own sockets are
 *   tracked here because Node's `server.closeAllConnections()` knows only the connections its HTTP
 *   parser still holds: an upgraded one (every viewer WebSocket) has left that list and would stay.
 */
export class ListenerClose {
  readonly #app: FastifyInstance;
  readonly #open = new Set<Socket>();
  #closing = false;

  constructor(app: FastifyInstance) {
    this.#app = app;
    app.server.on('connection', (socket: Socket) => {
      this.#open.add(socket);
      socket.once('close', () => this.#open.delete(socket));
    });
    app.addHook('onSend', (_req, reply, payload, done) => {
      if (this.#closing) reply.header('connection', 'close');
      done(null, payload);
    });
  }

  /** Shutdown has begun: every answer from now on closes its connection. */
  begin(): void {
    this.#closing = true;
  }

  /** Closes the listener; connections still open after `graceMs` are closed. */
  async close(log: Logger, graceMs: number): Promise<void> {
    this.begin();
    const timer = setTimeout(() => {
      if (this.#open.size === 0) return;
      log.warn(
        { event: 'shutdown-connections-cut', connections: this.#open.size, graceMs },
        `${this.#open.size} connections still open ${graceMs / 1000} s into shutdown; closing them`,
      );
      for (const socket of this.#open) socket.destroy();
    }, graceMs);
    try {
      await this.#app.close();
    } finally {
      clearTimeout(timer);
    }
  }
}
