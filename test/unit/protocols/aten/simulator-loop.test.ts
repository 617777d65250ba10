import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  encodeAtenFramebufferUpdateRequest,
  encodeAtenKeepAlive,
  encodeAtenKeyEvent,
  encodeAtenMouseMode,
  encodeAtenPointerEvent,
} from '../../../../protocols/aten/client-messages.js';
import { AtenClientHandshake, type AtenServerInit } from '../../../../protocols/aten/handshake.js';
import { AtenServerMessageReader, type AtenServerMessage } from '../../../../protocols/aten/server-messages.js';
import { AtenVideoDecoder } from '../../../../protocols/aten/video-decoder.js';
import { ProtocolError } from '../../../../protocols/errors.js';
import { Framebuffer } from '../../../../protocols/rfb/framebuffer.js';
import { AtenSimulator, testPattern } from '../../../helpers/aten/simulator.js';

/**
 * The pure codecs driven over loopback TCP against the simulator: handshake, messages, video,
 * input. A minimal client loop, as a Source would run it.
 */
class TestClient {
  socket!: Socket;
  serverInit?: AtenServerInit;
  readonly fb = new Framebuffer(1, 1);
  readonly messages: AtenServerMessage[] = [];
  error?: ProtocolError;
  #waiters: (() => void)[] = [];

  constructor(
    readonly port: number,
    readonly user: string,
    readonly password: string,
    readonly mouseInfoBodyBytes: 2 | 3 = 2,
  ) {}

  async open(): Promise<void> {
    const hs = new AtenClientHandshake({ username: this.user, password: this.password });
    const reader = new AtenServerMessageReader({ mouseInfoBodyBytes: this.mouseInfoBodyBytes });
    const video = new AtenVideoDecoder();
    this.socket = connect(this.port, '127.0.0.1');
    this.socket.on('error', () => {});
    const onMessages = (msgs: AtenServerMessage[]) => {
      for (const m of msgs) {
        if (m.type === 'framebuffer-update') for (const r of m.rects) video.decodeRect(r, this.fb);
        this.messages.push(m);
      }
    };
    this.socket.on('data', (chunk) => {
      try {
        if (!hs.done) {
          const step = hs.receive(chunk);
          for (const b of step.send) this.socket.write(b);
          if (step.serverInit) {
            this.serverInit = step.serverInit;
            if (step.rest) onMessages(reader.push(step.rest));
          }
        } else {
          onMessages(reader.push(chunk));
        }
      } catch (e) {
        this.error = e as ProtocolError;
        this.socket.destroy();
      }
      this.#wake();
    });
    this.socket.on('close', () => this.#wake());
    await this.until(() => this.serverInit !== undefined || this.error !== undefined || this.socket.destroyed);
  }

  #wake(): void {
    for (const w of this.#waiters.splice(0)) w();
  }

  /** Waits (bounded: 5 s) until `cond` holds. */
  async until(cond: () => boolean): Promise<void> {
    const deadline = Date.now() + 5000;
    while (!cond()) {
      if (Date.now() > deadline) throw new Error('timed out');
      await new Promise<void>((r) => {
        this.#waiters.push(r);
        setTimeout(r, 50);
      });
    }
  }

  updates(): Extract<AtenServerMessage, { type: 'framebuffer-update' }>[] {
    return this.messages.filter((m): m is Extract<AtenServerMessage, { type: 'framebuffer-update' }> => m.type === 'framebuffer-update');
  }
}

function meanAbsError(a: Uint8Array, b: Uint8Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i += 4) s += Math.abs(a[i]! - b[i]!) + Math.abs(a[i + 1]! - b[i + 1]!) + Math.abs(a[i + 2]! - b[i + 2]!);
  return s / ((a.length / 4) * 3);
}

let sim: AtenSimulator | undefined;
const clients: TestClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.socket.destroy();
  await sim?.close();
  sim = undefined;
});

describe('ATEN codecs against the simulator over loopback', () => {
  it('AST2100 4:2:0: handshake, session message, full frame, resolution change, no signal, keys and pointer', async () => {
    sim = new AtenSimulator({ subsampling: 422, selectors: [11, 11] });
    await sim.listen();
    const cred = sim.issueCredentials();
    const c = new TestClient(sim.port, cred.user, cred.password);
    clients.push(c);
    await c.open();
    expect(c.error).toBeUndefined();
    expect(c.serverInit).toMatchObject({ width: 480, height: 640, name: 'ATEN iKVM Server', videoEnabled: true, keyboardMouseEnabled: true });
    c.socket.write(Buffer.concat([encodeAtenFramebufferUpdateRequest(false), encodeAtenMouseMode(), encodeAtenKeepAlive()]));
    await c.until(() => c.updates().length === 1);
    expect(c.messages[0]).toMatchObject({ type: 'session', a: 1, b: 1 });
    expect([c.fb.width, c.fb.height]).toEqual([800, 600]);
    expect(meanAbsError(sim.screen.rgbx, c.fb.data)).toBeLessThan(6);

    // Resolution change: the next frame carries the new size in its rect header.
    c.socket.write(encodeAtenFramebufferUpdateRequest(true));
    sim.setScreen(1024, 768, testPattern(1024, 768));
    await c.until(() => c.updates().length === 2);
    expect([c.fb.width, c.fb.height]).toEqual([1024, 768]);
    expect(meanAbsError(sim.screen.rgbx, c.fb.data)).toBeLessThan(6);

    // A small change: only changed blocks, positioned.
    const next = Uint8Array.from(sim.screen.rgbx);
    for (let y = 300; y < 340; y++) next.fill(0, (y * 1024 + 500) * 4, (y * 1024 + 600) * 4);
    c.socket.write(encodeAtenFramebufferUpdateRequest(true));
    sim.setScreen(1024, 768, next);
    await c.until(() => c.updates().length === 3);
    expect(c.updates()[2]!.rects[0]!.data.length).toBeLessThan(c.updates()[1]!.rects[0]!.data.length / 10);
    expect(meanAbsError(next, c.fb.data)).toBeLessThan(6);

    // Host off: the sentinel rect, reported as no signal, no resize.
    sim.setNoSignal(true);
    c.socket.write(encodeAtenFramebufferUpdateRequest(false));
    await c.until(() => c.updates().length === 4);
    expect(c.updates()[3]).toEqual({ type: 'framebuffer-update', rects: [], noSignal: true, bytes: 34 });
    expect([c.fb.width, c.fb.height]).toEqual([1024, 768]);

    c.socket.write(Buffer.concat([encodeAtenKeyEvent(0x04, true), encodeAtenKeyEvent(0x04, false), encodeAtenPointerEvent(100, 200, 1)]));
    await c.until(() => sim!.pointer.length === 1);
    expect(sim.keys).toEqual([
      { usage: 0x04, down: true },
      { usage: 0x04, down: false },
    ]);
    expect(sim.pointer).toEqual([{ x: 100, y: 200, buttons: 1 }]);
    expect(sim.mouseModes).toEqual([1]);
    expect(sim.keepAlives).toBe(1);
  });

  it('one-time credentials: a reused token and a second session are refused with ATEN_ERR_AUTH_FAILED', async () => {
    sim = new AtenSimulator({ maxSessions: 1 });
    await sim.listen();
    const cred = sim.issueCredentials();
    const a = new TestClient(sim.port, cred.user, cred.password);
    clients.push(a);
    await a.open();
    expect(a.error).toBeUndefined();
    const reuse = new TestClient(sim.port, cred.user, cred.password);
    clients.push(reuse);
    await reuse.open();
    expect(reuse.error?.code).toBe('ATEN_ERR_AUTH_FAILED');
    const fresh = sim.issueCredentials();
    const second = new TestClient(sim.port, fresh.user, fresh.password);
    clients.push(second);
    await second.open();
    expect(second.error?.code).toBe('ATEN_ERR_AUTH_FAILED');
    expect(sim.logins.map((l) => l.accepted)).toEqual([true, false, false]);
  });

  it('Hermon sent as encoding 0, banner 055.008 echoed, 3-byte 0x37 firmware form', async () => {
    sim = new AtenSimulator({ video: 'hermon', hermonAsEncoding0: true, banner: 'RFB 055.008\n', mouseInfoBodyBytes: 3, width: 640, height: 480 });
    await sim.listen();
    const cred = sim.issueCredentials();
    const c = new TestClient(sim.port, cred.user, cred.password, 3);
    clients.push(c);
    await c.open();
    expect(c.serverInit?.banner).toBe('RFB 055.008\n');
    c.socket.write(encodeAtenFramebufferUpdateRequest(false));
    await c.until(() => c.updates().length === 1);
    expect(c.messages.map((m) => m.type)).toEqual(['session', 'mouse-info', 'framebuffer-update']);
    expect(c.updates()[0]!.rects[0]!.encoding).toBe(0);
    expect([c.fb.width, c.fb.height]).toEqual([640, 480]);
    expect(meanAbsError(sim.screen.rgbx, c.fb.data)).toBeLessThan(4); // RGB555 quantisation only
  });

  it('AST2100 4:4:4 with VQ blocks', async () => {
    sim = new AtenSimulator({ subsampling: 444, selectors: [11, 11], width: 640, height: 400 });
    await sim.listen();
    const cred = sim.issueCredentials();
    const c = new TestClient(sim.port, cred.user, cred.password);
    clients.push(c);
    await c.open();
    c.socket.write(encodeAtenFramebufferUpdateRequest(false));
    await c.until(() => c.updates().length === 1);
    expect(meanAbsError(sim.screen.rgbx, c.fb.data)).toBeLessThan(3);
  });
});
