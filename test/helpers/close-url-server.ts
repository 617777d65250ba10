import { createServer, type Server } from 'node:http';

export interface CloseCall {
  query: Record<string, string>;
  body: { sessionId: string; serverId: string; code: string; reason: string; endedAt: string };
}

/** A real HTTP server standing in for a hosting panel's close URL; records every call. */
export async function startCloseUrlServer(
  opts: { failFirst?: number } = {},
): Promise<{ url: string; calls: CloseCall[]; attempts: number; close: () => Promise<void> }> {
  const calls: CloseCall[] = [];
  let attempts = 0;
  let failures = opts.failFirst ?? 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      attempts++;
      if (failures > 0) {
        failures--;
        res.writeHead(503).end();
        return;
      }
      const u = new URL(req.url ?? '/', 'http://x');
      calls.push({ query: Object.fromEntries(u.searchParams), body: JSON.parse(Buffer.concat(chunks).toString() || '{}') });
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}/close.php?panel=1`,
    calls,
    get attempts() {
      return attempts;
    },
    close: () => new Promise((r) => server.close(() => r())),
  };
}
