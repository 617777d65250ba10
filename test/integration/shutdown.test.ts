import { connect, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { startTestGateway, TEST_TOKEN } from '../helpers/gateway.js';

/** Reads everything the gateway sends on `socket` until it closes the connection. */
function readToClose(socket: Socket): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    socket.on('data', (d: Buffer) => chunks.push(d));
    socket.on('error', reject);
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
  });
}

describe('shutdown with a request in flight', () => {
  it('answers it with Connection: close and closes, instead of keeping its connection for keepAliveTimeout (72 s)', async () => {
    const gw = await startTestGateway({ tokens: [{ token: TEST_TOKEN, servers: ['*'] }], servers: [] });
    // A client still sending its request body when shutdown begins (a slow upload, a slow link).
    const body = `action=list&token=${TEST_TOKEN}`;
    const socket = connect(gw.port, '127.0.0.1');
    await new Promise<void>((r) => socket.once('connect', () => r()));
    const answer = readToClose(socket);
    socket.write(
      `POST /eq.php HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 5)}`,
    );
    await new Promise((r) => setTimeout(r, 200));
    let closed = false;
    const closing = gw.close().then(() => (closed = true));
    await new Promise((r) => setTimeout(r, 300));
    expect(closed, 'the close waits for the request in flight').toBe(false);
    socket.write(body.slice(5));
    const text = await answer;
    // The request is answered (not cut), and its connection is closed by the gateway after it.
    expect(text).toMatch(/^HTTP\/1\.1 \d{3} /);
    expect(text).toMatch(/\r\nconnection: close\r\n/i);
    await closing;
  }, 20_000);
});
