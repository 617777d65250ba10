import { createServer, type Server, type Socket } from 'node:net';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { ClientMessageReader, type ClientMessage } from '../../../../../protocols/rfb/client-messages.js';
import { Encoding, RGBX_PIXEL_FORMAT } from '../../../../../protocols/rfb/constants.js';
import { encodeServerInit, ServerHandshake } from '../../../../../protocols/rfb/server-handshake.js';
import { encodeFramebufferUpdateHeader, encodeRectHeader } from '../../../../../protocols/rfb/server-messages.js';
import type { VncConsoleConfig } from '../../../../../src/config/types.js';
import { VncSource } from '../../../../../src/sources/vnc/vnc-source.js';
import { until } from '../../../../helpers/gateway-calls.js';
import { recordingSink } from '../../../../helpers/source-sink.js';

/** A FramebufferUpdate of one 1x1 Raw rectangle at (x, 0), in the RGBX format the source asks for. */
function update(x: number): Buffer {
  return Buffer.concat([encodeFramebufferUpdateHeader(1), encodeRectHeader({ x, y: 0, width: 1, height: 1 }, Encoding.Raw), Buffer.from([x, 0, 0, 0])]);
}

/** An RFB 3.8 server with no security that records the client's messages after the handshake. */
function server(): Promise<{ srv: Server; port: number; client: Promise<Socket>; messages: ClientMessage[] }> {
  const messages: ClientMessage[] = [];
  let resolveClient!: (s: Socket) => void;
  const client = new Promise<Socket>((r) => (resolveClient = r));
  const srv = createServer((sock) => {
    const hs = new ServerHandshake();
    sock.write(hs.start());
    sock.on('error', () => {});
    let reader: ClientMessageReader | undefined;
    sock.on('data', (d) => {
      if (reader) {
        messages.push(...reader.push(d));
        return;
      }
      const r = hs.receive(d);
      for (const s of r.send) sock.write(s);
      if (r.done) {
        reader = new ClientMessageReader();
        sock.write(encodeServerInit({ width: 64, height: 16, pixelFormat: RGBX_PIXEL_FORMAT, name: 'fbur' }));
        resolveClient(sock);
      }
    });
  });
  return new Promise((resolve) => srv.listen(0, '127.0.0.1', () => resolve({ srv, port: (srv.address() as { port: number }).port, client, messages })));
}

const requests = (ms: ClientMessage[]) => ms.filter((m) => m.type === 'framebuffer-update-request');

/** Polls `cond` every 5 ms, up to 5 s (the gateway-calls helper). */
const waitFor = (what: string, cond: () => boolean): Promise<true> => until(what, () => Promise.resolve(cond() || undefined), 5000, 5);

describe('VncSource: FramebufferUpdateRequests', () => {
  const cleanup: (() => void)[] = [];
  afterEach(() => {
    for (const c of cleanup.splice(0)) c();
  });

  it('asks once per chunk read, however many updates the chunk completed, and once again for each later update', async () => {
    const { srv, port, client, messages } = await server();
    const sink = recordingSink(64, 16);
    let ends = 0;
    sink.updateEnd = () => void ends++;
    const cfg: VncConsoleConfig = {
      type: 'vnc',
      host: '127.0.0.1',
      port,
      password: undefined,
      shared: true,
      connectTimeoutMs: 5000,
      encodings: ['raw'],
      tls: 'off',
      insecureTls: false,
      legacyTls: false,
      ca: undefined,
      user: undefined,
    };
    const src = new VncSource(cfg, pino({ level: 'silent' }), { reconnectBudgetMs: 1000 });
    cleanup.push(
      () => src.close(),
      () => srv.close(),
    );
    src.start(sink);
    let sock: Socket | undefined;
    void client.then((s) => (sock = s));
    await waitFor(`the handshake (sink: ${sink.events.join(', ')})`, () => sock !== undefined);
    await waitFor('the first, full request', () => requests(messages).length === 1);
    expect(requests(messages)[0]).toMatchObject({ incremental: false, width: 64, height: 16 });

    // Three updates in one write (a server sending unasked, as a replay or continuous updates do).
    sock!.write(Buffer.concat([update(0), update(1), update(2)]));
    await waitFor('three updates', () => ends === 3);
    await waitFor('an incremental request', () => requests(messages).length === 2);
    // Nothing more comes for those three: one request outstanding, as the source keeps it.
    await new Promise((r) => setTimeout(r, 100));
    expect(requests(messages)).toHaveLength(2);
    expect(requests(messages)[1]).toMatchObject({ incremental: true, x: 0, y: 0, width: 64, height: 16 });

    // Each update in a write of its own is answered with a request of its own.
    for (let i = 0; i < 3; i++) {
      sock!.write(update(3 + i));
      await waitFor(`request ${3 + i}`, () => requests(messages).length === 3 + i);
    }
    expect(ends).toBe(6);
    expect([...sink.fb.getRgbx(0, 0, 6, 1)].filter((_, i) => i % 4 === 0)).toEqual([0, 1, 2, 3, 4, 5]); // every update drawn
  });
});
