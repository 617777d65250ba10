import type { Server } from 'node:net';

/** Listens on 127.0.0.1 on a port from the kernel; rejects on a listen error. */
export function listenOnLoopback(server: Server): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
}
