import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { GatewayError } from '../../../../../src/errors.js';
import { WebSocketBytePipe } from '../../../../../src/sources/openbmc/websocket-byte-pipe.js';

// The Duplex the RFB client and the serial console use over bmcweb's WebSockets, against a ws server
// on loopback.

const servers: WebSocketServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    for (const c of s.clients) c.terminate();
    await new Promise((r) => s.close(r));
  }
});

async function pair(): Promise<{ client: WebSocket; server: WebSocket; messages: Buffer[] }> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  servers.push(wss);
  await new Promise((r) => wss.once('listening', r));
  const messages: Buffer[] = [];
  const server = new Promise<WebSocket>((resolve) =>
    wss.once('connection', (ws) => {
      ws.on('message', (d) => messages.push(Buffer.from(d as Buffer)));
      resolve(ws);
    }),
  );
  const client = new WebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}/`);
  await new Promise((r) => client.once('open', r));
  return { client, server: await server, messages };
}

async function until(cond: () => boolean, what: string): Promise<void> {
  const end = Date.now() + 10_000;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('WebSocketBytePipe', () => {
  it('cuts every write into messages of at most 1024 bytes, in order; writes before attach wait', async () => {
    const { client, messages } = await pair();
    const pipe = new WebSocketBytePipe('test pipe');
    const data = Buffer.from(Array.from({ length: 5000 }, (_, i) => i & 0xff));
    let written = false;
    pipe.write(data.subarray(0, 1024), () => (written = true));
    await new Promise((r) => setTimeout(r, 50));
    expect(written).toBe(false); // nothing to send it on yet
    let connected = false;
    pipe.once('connect', () => (connected = true));
    pipe.attach(client);
    expect(connected).toBe(true);
    pipe.write(data.subarray(1024, 1025));
    pipe.write(data.subarray(1025));
    await until(() => Buffer.concat(messages).length === data.length, 'all bytes at the server');
    expect(written).toBe(true);
    expect(messages.map((m) => m.length)).toEqual([1024, 1, 1024, 1024, 1024, 903]);
    expect(Buffer.concat(messages).equals(data)).toBe(true);
    pipe.destroy();
  });

  it('reads the messages as one byte stream, and pauses the WebSocket while nobody reads', async () => {
    const { client, server } = await pair();
    const pipe = new WebSocketBytePipe('test pipe');
    pipe.attach(client);
    for (let i = 0; i < 40; i++) server.send(Buffer.alloc(4096, i));
    await until(() => client.isPaused, 'the WebSocket paused (the pipe buffer is full)');
    const got: Buffer[] = [];
    pipe.on('data', (d: Buffer) => got.push(d));
    await until(() => Buffer.concat(got).length === 40 * 4096, 'every byte read');
    const all = Buffer.concat(got);
    for (let i = 0; i < 40; i++) expect(all[i * 4096 + 4095]).toBe(i);
    expect(client.isPaused).toBe(false);
    pipe.destroy();
  });

  it("ends with an error carrying the server's close code and reason, and closes the WebSocket when destroyed", async () => {
    const a = await pair();
    const pipe = new WebSocketBytePipe('the KVM WebSocket');
    pipe.attach(a.client);
    const err = new Promise<Error>((resolve) => pipe.once('error', resolve));
    const closed = new Promise<void>((resolve) => pipe.once('close', () => resolve()));
    a.server.close(1000, 'Buffer overrun');
    const e = await err;
    expect(e).toBeInstanceOf(GatewayError);
    expect(e.message).toBe('the BMC closed the KVM WebSocket (code 1000: Buffer overrun)');
    await closed;

    const b = await pair();
    const pipe2 = new WebSocketBytePipe('test pipe');
    pipe2.attach(b.client);
    const serverSaw = new Promise<number>((resolve) => b.server.once('close', (code) => resolve(code)));
    pipe2.destroy();
    expect(await serverSaw).toBe(1000);

    // A WebSocket handed over after the pipe was destroyed is closed at once.
    const c = await pair();
    const pipe3 = new WebSocketBytePipe('test pipe');
    pipe3.destroy();
    const closedToo = new Promise<number>((resolve) => c.server.once('close', (code) => resolve(code)));
    pipe3.attach(c.client);
    expect(await closedToo).toBe(1000);
  });
});
