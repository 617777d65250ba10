import { createServer } from 'node:net';

/**
 * Loopback port allocation for tests. "Bind, read the port, close" has an unavoidable race with other
 * processes on the machine (several engineers and vitest workers share it), so helpers that start a
 * server on the returned port retry on "address in use" instead of trusting the answer blindly.
 */

/** QEMU's `-vnc host:N` listens on 5900+N (qemu-options "-vnc"). */
export const VNC_BASE_PORT = 5900;
/** Displays below 50 are left to humans and desktop sessions; 50..99 keeps clear of X11's 6000+. */
export const MIN_TEST_VNC_DISPLAY = 50;
export const MAX_TEST_VNC_DISPLAY = 99;

/** True when 127.0.0.1:`port` can be bound right now. */
export function isPortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => {
      server.close(() => resolve(true));
    });
  });
}

/** A port the kernel picked as free on 127.0.0.1 (bind port 0, read it, close). */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ port: 0, host, exclusive: true }, () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        server.close();
        reject(new Error('listening socket has no TCP address'));
        return;
      }
      const { port } = address;
      server.close(() => resolve(port));
    });
  });
}

/**
 * A VNC display number N >= 50 whose port 5900+N is free on 127.0.0.1. The search starts at a random
 * display so that parallel workers rarely race for the same one; `exclude` skips displays the caller
 * already tried.
 */
export async function freeVncDisplay(exclude: ReadonlySet<number> = new Set()): Promise<number> {
  const span = MAX_TEST_VNC_DISPLAY - MIN_TEST_VNC_DISPLAY + 1;
  const start = Math.floor(Math.random() * span);
  for (let i = 0; i < span; i++) {
    const display = MIN_TEST_VNC_DISPLAY + ((start + i) % span);
    if (exclude.has(display)) continue;
    if (await isPortFree(VNC_BASE_PORT + display)) return display;
  }
  throw new Error(`no free VNC display in ${MIN_TEST_VNC_DISPLAY}..${MAX_TEST_VNC_DISPLAY} on 127.0.0.1`);
}

/**
 * A loopback port nothing listens on right now (bound by the kernel, then closed): for a probe or a
 * client that must meet "connection refused". Another process may take it meanwhile, rarely.
 */
export async function closedPort(host = '127.0.0.1'): Promise<number> {
  return freePort(host);
}
