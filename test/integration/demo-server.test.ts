import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ProtocolError } from '../../protocols/errors.js';
import {
  encodeClientCutText,
  encodeFramebufferUpdateRequest,
  encodeKeyEvent,
  encodePointerEvent,
  encodeSetEncodings,
  encodeSetPixelFormat,
} from '../../protocols/rfb/client-messages.js';
import { Encoding, RGBX_PIXEL_FORMAT } from '../../protocols/rfb/constants.js';
import { DEMO_STYLES } from '../../src/sources/demo/demo-console.js';
import { startDemoServer, type DemoServer, type DemoServerOptions } from '../../src/sources/demo/demo-server.js';
import { colourCount, findText } from '../unit/src/sources/demo/screen-helpers.js';
import { mutate, prng } from '../unit/protocols/rfb/rfb-test-helpers.js';
import { TestRfbClient } from './demo-rfb-client.js';

const XK_Return = 0xff0d;

let server: DemoServer | undefined;
const clients: TestRfbClient[] = [];
const clientErrors: Error[] = [];

async function start(opts: DemoServerOptions = {}): Promise<DemoServer> {
  server = await startDemoServer({ onClientError: (err) => clientErrors.push(err), ...opts });
  return server;
}

async function client(opts: { password?: string; encodings?: number[] } = {}): Promise<TestRfbClient> {
  const c = await TestRfbClient.connect(server!.port, opts);
  clients.push(c);
  return c;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await server?.close();
  server = undefined;
  clientErrors.length = 0;
});

describe('demo RFB server over loopback TCP', () => {
  it('listens on 127.0.0.1 on an ephemeral port and sends a non-blank first frame (Tight)', async () => {
    const s = await start();
    expect(s.host).toBe('127.0.0.1');
    expect(s.port).toBeGreaterThan(0);
    expect(s.password).toBeUndefined();
    const c = await client();
    expect(c.serverInit).toMatchObject({ width: 1024, height: 768, name: 'bmc-gateway demo', version: '3.8' });
    await c.update(false);
    expect(c.messages.some((m) => m.type === 'rect' && m.encoding === Encoding.Tight)).toBe(true);
    expect(colourCount(c.fb!)).toBeGreaterThan(3);
    expect(findText(c.fb!, 'bmc-gateway demo console', DEMO_STYLES.header)).toEqual({ col: 1, row: 0 });
    expect(findText(c.fb!, 'demo login:', DEMO_STYLES.prompt)).toBeDefined();
  });

  it('echoes "hello" + Return: the screen changes and shows the glyphs', async () => {
    await start({ tickMs: 0 });
    const c = await client();
    await c.update(false);
    const before = Buffer.from(c.fb!.data);
    expect(findText(c.fb!, 'hello', DEMO_STYLES.input)).toBeUndefined();
    c.typeText('hello');
    c.key(XK_Return);
    // Incremental requests until the echo is on screen (several updates may carry the keystrokes).
    for (let i = 0; i < 20 && !findText(c.fb!, 'you typed: hello', DEMO_STYLES.normal); i++) await c.update(true);
    expect(c.fb!.data.equals(before)).toBe(false);
    const typed = findText(c.fb!, 'hello', DEMO_STYLES.input);
    const echo = findText(c.fb!, 'you typed: hello', DEMO_STYLES.normal);
    expect(typed).toBeDefined();
    expect(echo).toEqual({ col: 0, row: typed!.row + 1 });
    expect(findText(c.fb!, 'demo$ ', DEMO_STYLES.prompt)?.row).toBeLessThanOrEqual(typed!.row);
  });

  it('shows pointer events in the header', async () => {
    await start({ tickMs: 0 });
    const c = await client();
    await c.update(false);
    c.socket.write(encodePointerEvent({ buttonMask: 1, x: 10, y: 20 }));
    await c.update(true);
    expect(findText(c.fb!, 'pointer 10,20 L', DEMO_STYLES.header)).toBeDefined();
  });

  it('holds an incremental request until something changes, answers a non-incremental one at once', async () => {
    await start({ tickMs: 0 });
    const c = await client();
    await c.update(false);
    const n = c.updates;
    c.socket.write(encodeFramebufferUpdateRequest({ incremental: true, x: 0, y: 0, width: 1024, height: 768 }));
    await sleep(300);
    expect(c.updates).toBe(n); // nothing changed: no update
    c.key(0x41); // 'A'
    await c.waitFor(() => c.updates > n);
    // Only the changed cells came, not the whole screen.
    const from = c.messages.slice(0, -1).findLastIndex((m) => m.type === 'update-end') + 1;
    const rects = c.messages.slice(from).filter((m) => m.type === 'rect');
    const pixels = rects.reduce((sum, r) => sum + (r.type === 'rect' ? r.width * r.height : 0), 0);
    expect(pixels).toBeGreaterThan(0);
    expect(pixels).toBeLessThan((1024 * 768) / 10);
    await c.update(false, 1000);
  });

  it('updates flow by themselves with the clock running', async () => {
    await start({ tickMs: 100 });
    const c = await client();
    await c.update(false);
    await c.update(true, 2000);
    await c.update(true, 2000);
  });

  it('serves a Raw-only client, and several clients see the same typing', async () => {
    await start({ tickMs: 0 });
    const a = await client();
    const b = await client({ encodings: [Encoding.Raw] });
    await a.update(false);
    await b.update(false);
    expect(b.messages.filter((m) => m.type === 'rect').every((m) => m.type === 'rect' && m.encoding === Encoding.Raw)).toBe(true);
    a.typeText('shared');
    a.key(XK_Return);
    for (const c of [a, b]) {
      for (let i = 0; i < 20 && !findText(c.fb!, 'you typed: shared', DEMO_STYLES.normal); i++) await c.update(true);
      expect(findText(c.fb!, 'you typed: shared', DEMO_STYLES.normal)).toBeDefined();
    }
    expect(b.fb!.data.equals(a.fb!.data)).toBe(true);
  });

  it('converts to a 16-bpp pixel format with Raw', async () => {
    await start({ tickMs: 0 });
    const sock = connect({ host: '127.0.0.1', port: server!.port });
    const got: Buffer[] = [];
    sock.on('data', (b: Buffer) => got.push(b));
    await new Promise((r) => sock.once('connect', r));
    // 3.8, None, shared; then RGB565 and a 4x2 non-incremental request at 0,0 (the header bar).
    sock.write('RFB 003.008\n');
    sock.write(Buffer.from([1, 1]));
    const pf565 = {
      bitsPerPixel: 16,
      depth: 16,
      bigEndian: false,
      trueColour: true,
      redMax: 31,
      greenMax: 63,
      blueMax: 31,
      redShift: 11,
      greenShift: 5,
      blueShift: 0,
    };
    sock.write(encodeSetPixelFormat(pf565));
    sock.write(encodeFramebufferUpdateRequest({ incremental: false, x: 0, y: 0, width: 4, height: 2 }));
    const initBytes = 12 + 2 + 4 + 24 + 'bmc-gateway demo'.length;
    const want = initBytes + 4 + 12 + 4 * 2 * 2;
    for (let i = 0; i < 50 && Buffer.concat(got).length < want; i++) await sleep(20);
    sock.destroy();
    const all = Buffer.concat(got);
    expect(all.length).toBe(want);
    const update = all.subarray(initBytes);
    expect([...update.subarray(0, 4)]).toEqual([0, 0, 0, 1]);
    expect(update.readInt32BE(4 + 8)).toBe(Encoding.Raw);
    // Header background 6c b4 e8 in RGB565: r 0x6c*31/255=13, g 0xb4*63/255=44, b 0xe8*31/255=28.
    const [r, g, b] = DEMO_STYLES.header.bg;
    const expected = (Math.floor((r * 31 + 127) / 255) << 11) | (Math.floor((g * 63 + 127) / 255) << 5) | Math.floor((b * 31 + 127) / 255);
    expect(update.readUInt16LE(16)).toBe(expected);
  });

  it('with a password: the right one is accepted, a wrong one refused, none at all fails', async () => {
    const s = await start({ password: 's3cret' });
    expect(s.password).toBe('s3cret');
    const ok = await client({ password: 's3cret' });
    await ok.update(false);
    expect(colourCount(ok.fb!)).toBeGreaterThan(3);
    await expect(TestRfbClient.connect(s.port, { password: 'wrong' })).rejects.toMatchObject({ code: 'RFB_ERR_AUTH_FAILED' });
    await expect(TestRfbClient.connect(s.port, {})).rejects.toMatchObject({ code: 'RFB_ERR_PASSWORD_REQUIRED' });
    await ok.waitFor(() => clientErrors.some((e) => (e as ProtocolError).code === 'RFB_ERR_AUTH_FAILED'));
    // The authenticated client is unaffected.
    await ok.update(false);
  });

  it('drops a client that sends garbage with a typed error, and only that client', async () => {
    await start({ tickMs: 0 });
    const good = await client();
    await good.update(false);
    const bad = await client();
    await bad.update(false);
    bad.socket.write(Buffer.from([0xee, 1, 2, 3, 4, 5]));
    await bad.waitFor(() => bad.closed, 3000);
    expect(clientErrors[0]).toBeInstanceOf(ProtocolError);
    expect((clientErrors[0] as ProtocolError).code).toBe('RFB_ERR_UNKNOWN_MESSAGE');
    // Garbage instead of a ProtocolVersion.
    const raw = connect({ host: '127.0.0.1', port: server!.port });
    raw.on('error', () => {});
    raw.resume(); // 'close' comes only after the stream has been read to its end
    raw.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await new Promise((r) => raw.once('close', r));
    expect(clientErrors.map((e) => (e as ProtocolError).code)).toContain('RFB_ERR_BAD_VERSION');
    good.typeText('still here');
    good.key(XK_Return);
    for (let i = 0; i < 20 && !findText(good.fb!, 'you typed: still here', DEMO_STYLES.normal); i++) await good.update(true);
    expect(findText(good.fb!, 'you typed: still here', DEMO_STYLES.normal)).toBeDefined();
  });

  it('does not queue updates for a client that stops reading (backpressure)', async () => {
    await start({ tickMs: 0 });
    const c = await client({ encodings: [Encoding.Raw] });
    await c.update(false);
    const n = c.updates;
    c.socket.pause();
    // 40 full Raw frames would be 120 MiB; the server may only have the kernel's buffers in flight.
    // Spaced out, so that each would be answered on its own if the server ignored backpressure.
    for (let i = 0; i < 40; i++) {
      c.socket.write(encodeFramebufferUpdateRequest({ incremental: false, x: 0, y: 0, width: 1024, height: 768 }));
      await sleep(10);
    }
    await sleep(100);
    c.socket.resume();
    await c.waitFor(() => c.updates > n);
    // Read until the server has nothing more to say (bounded: 100 x 200 ms).
    for (let i = 0, last = -1; i < 100 && c.received !== last; i++) {
      last = c.received;
      await sleep(200);
    }
    // Requests that arrive while the socket drains merge into one: a few updates, not 40.
    expect(c.updates - n).toBeLessThan(15);
    await c.update(false);
  });

  it('fuzz: mutated and random client streams only close that client with a ProtocolError', async () => {
    await start({ tickMs: 0 });
    const good = await client();
    await good.update(false);
    const rnd = prng(0xdec0de);
    const valid = Buffer.concat([
      encodeSetPixelFormat(RGBX_PIXEL_FORMAT),
      encodeSetEncodings([Encoding.Tight, Encoding.Raw]),
      encodeFramebufferUpdateRequest({ incremental: false, x: 0, y: 0, width: 64, height: 64 }),
      encodeKeyEvent({ down: true, keysym: 0x61 }),
      encodePointerEvent({ buttonMask: 1, x: 5, y: 5 }),
      encodeClientCutText('hi'),
    ]);
    for (let i = 0; i < 40; i++) {
      const sock = connect({ host: '127.0.0.1', port: server!.port });
      sock.on('error', () => {});
      sock.resume();
      const closed = new Promise((r) => sock.once('close', r));
      const handshake = Buffer.from('RFB 003.008\n\x01\x01', 'latin1');
      const body = i % 4 === 3 ? Buffer.from(Array.from({ length: 64 }, () => Math.floor(rnd() * 256))) : mutate(valid, rnd);
      sock.write(i % 5 === 4 ? mutate(Buffer.concat([handshake, body]), rnd) : Buffer.concat([handshake, body]));
      await Promise.race([closed, sleep(100)]);
      sock.destroy();
      await closed;
    }
    for (const e of clientErrors) {
      const ok = e instanceof ProtocolError || /^E[A-Z]+$/.test((e as NodeJS.ErrnoException).code ?? '');
      expect(ok, String(e)).toBe(true);
    }
    expect(clientErrors.some((e) => e instanceof ProtocolError)).toBe(true);
    good.key(XK_Return); // ends whatever line the fuzzed key events and pastes left behind
    good.typeText('ok');
    good.key(XK_Return);
    for (let i = 0; i < 20 && !findText(good.fb!, 'you typed: ok', DEMO_STYLES.normal); i++) await good.update(true);
    expect(findText(good.fb!, 'you typed: ok', DEMO_STYLES.normal)).toBeDefined();
  });

  it('rejects when the port is taken, and treats an empty password as none', async () => {
    const s = await start({ password: '' });
    expect(s.password).toBeUndefined();
    const c = await client();
    await c.update(false);
    await expect(startDemoServer({ port: s.port })).rejects.toMatchObject({ code: 'EADDRINUSE' });
  });

  it('close() ends every client and stops listening', async () => {
    const s = await start();
    const a = await client();
    const b = await client();
    await s.close();
    server = undefined;
    await a.waitFor(() => a.closed);
    await b.waitFor(() => b.closed);
    await expect(TestRfbClient.connect(s.port)).rejects.toBeDefined();
  });
});
