import { connect } from 'node:net';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { ListenerClose } from '../../../../src/api/listener-close.js';
import { logCollector } from '../../../helpers/gateway.js';
import { createLogger } from '../../../../src/log.js';

describe('ListenerClose', () => {
  it('closes a connection nobody ends (hijacked, never answered) once the grace has run out, and says how many', async () => {
    const app = Fastify();
    const listener = new ListenerClose(app);
    app.get('/held', (_req, reply) => {
      reply.hijack(); // the route took the connection over and then forgot it
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const port = (app.server.address() as { port: number }).port;
    const socket = connect(port, '127.0.0.1');
    const gone = new Promise<void>((r) => socket.on('close', () => r()));
    socket.on('error', () => {});
    socket.write('GET /held HTTP/1.1\r\nHost: x\r\n\r\n');
    await new Promise((r) => setTimeout(r, 100));
    const logs = logCollector();
    await listener.close(createLogger('info', logs.stream), 300);
    await gone;
    const cut = logs
      .text()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { event?: string; connections?: number })
      .find((e) => e.event === 'shutdown-connections-cut');
    expect(cut?.connections).toBe(1);
  });

  it('logs nothing when every connection ended by itself', async () => {
    const app = Fastify();
    const listener = new ListenerClose(app);
    app.get('/ok', async () => 'ok');
    await app.listen({ host: '127.0.0.1', port: 0 });
    const port = (app.server.address() as { port: number }).port;
    expect(await (await fetch(`http://127.0.0.1:${port}/ok`)).text()).toBe('ok');
    const logs = logCollector();
    await listener.close(createLogger('info', logs.stream), 300);
    await new Promise((r) => setTimeout(r, 400));
    expect(logs.text()).not.toMatch(/shutdown-connections-cut/);
  });
});
