import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP load balancer on loopback, as any panel operator puts in front of two API fronts: each new
 * connection goes to the next backend in turn; a backend that refuses the connection is skipped (what
 * HAProxy's "redispatch" does), so a dead front costs no request.
 */
export async function startTcpBalancer(backends: readonly number[]): Promise<{ port: number; url: string; picks: number[]; close(): Promise<void> }> {
  let next = 0;
  const picks: number[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.pause();
    const tryBackend = (left: number) => {
      if (left === 0) {
        client.destroy();
        return;
      }
      const port = backends[next++ % backends.length]!;
      const upstream = connect({ host: '127.0.0.1', port });
      let connected = false;
      upstream.once('connect', () => {
        connected = true;
        picks.push(port);
        sockets.add(upstream);
        upstream.on('close', () => sockets.delete(upstream));
        client.pipe(upstream).pipe(client);
        client.resume();
        upstream.on('error', () => client.destroy());
        client.on('error', () => upstream.destroy());
      });
      upstream.once('error', () => {
        if (!connected) tryBackend(left - 1);
      });
    };
    tryBackend(backends.length);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    picks,
    close: () =>
      new Promise((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}
