import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { AtenSource, type AtenSourceOptions } from '../../../../../src/sources/aten/aten-source.js';
import { selfSignedCertificate } from '../../../../helpers/aten/self-signed.js';
import { AtenSimulator, testPattern } from '../../../../helpers/aten/simulator.js';
import { AtenSimulatorWeb } from '../../../../helpers/aten/simulator-web.js';
import { FakeSink } from '../../../../helpers/aten/fake-sink.js';

async function until(cond: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 8000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function meanAbsError(a: Uint8Array, b: Uint8Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i += 4) s += Math.abs(a[i]! - b[i]!) + Math.abs(a[i + 1]! - b[i + 1]!) + Math.abs(a[i + 2]! - b[i + 2]!);
  return s / ((a.length / 4) * 3);
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(opts: { password?: string } = {}) {
  const cert = selfSignedCertificate();
  const kvm = new AtenSimulator({ selectors: [11, 11] });
  await kvm.listen();
  cleanups.push(() => kvm.close());
  const web = new AtenSimulatorWeb(kvm, { username: 'ADMIN', password: 'secret', tls: { key: cert.key, cert: cert.cert } });
  await web.listen();
  cleanups.push(() => web.close());
  const options: AtenSourceOptions = {
    web: { host: `127.0.0.1:${web.port}`, username: 'ADMIN', password: opts.password ?? 'secret', insecureTls: true, timeoutMs: 3000 },
    connectTimeoutMs: 3000,
    reconnectBudgetMs: 2000,
    keepAliveMs: 100,
    noSignalPollMs: 100,
  };
  const source = new AtenSource(options, pino({ level: 'silent' }));
  const sink = new FakeSink();
  cleanups.push(() => source.close());
  return { kvm, web, source, sink };
}

describe('AtenSource against the simulator (HTTPS web login + ATEN KVM on loopback)', () => {
  it('logs in, connects at the real resolution, follows changes, sends keep-alives, maps keys, polls on no signal, logs out on close', async () => {
    const { kvm, web, source, sink } = await setup();
    source.start(sink);
    await until(() => sink.events.includes('connected 800x600'), 'connected');
    expect([sink.fb.width, sink.fb.height]).toEqual([800, 600]);
    expect(meanAbsError(kvm.screen.rgbx, sink.fb.data)).toBeLessThan(6);
    expect(kvm.mouseModes).toEqual([1]);

    kvm.setScreen(1024, 768, testPattern(1024, 768));
    await until(() => sink.events.includes('resized 1024x768'), 'resize');
    await until(() => meanAbsError(kvm.screen.rgbx, sink.fb.data) < 6, 'picture after resize');

    // Keys by physical key (scancode) and by keysym; pointer clamped to the screen.
    source.input({ type: 'key', down: true, keysym: 0x61, scancode: 0x10 }); // AZERTY "a" on the Q key
    source.input({ type: 'key', down: false, keysym: 0x61, scancode: 0x10 });
    source.input({ type: 'key', down: true, keysym: 0xff0d });
    source.input({ type: 'pointer', x: 5000, y: 10, buttonMask: 1 });
    await until(() => kvm.pointer.length === 1, 'pointer');
    expect(kvm.keys).toEqual([
      { usage: 0x14, down: true },
      { usage: 0x14, down: false },
      { usage: 0x28, down: true },
    ]);
    expect(kvm.pointer).toEqual([{ x: 1023, y: 10, buttons: 1 }]);
    await until(() => kvm.keepAlives >= 2, 'keep-alives');

    kvm.setNoSignal(true);
    const before = kvm.framebufferUpdateRequests;
    await until(() => kvm.framebufferUpdateRequests >= before + 3, 'no-signal polling');
    expect([sink.fb.width, sink.fb.height]).toEqual([1024, 768]); // never resized to the sentinel
    kvm.setNoSignal(false);
    await until(() => meanAbsError(kvm.screen.rgbx, sink.fb.data) < 6, 'video back');

    source.close();
    await until(() => web.logouts === 1, 'logout');
    expect(sink.error).toBeUndefined();
  });

  it('a refused web login fails the source with GW_ERR_BMC_AUTH_FAILED', async () => {
    const { source, sink } = await setup({ password: 'wrong' });
    source.start(sink);
    await until(() => sink.error !== undefined, 'failure');
    expect(sink.error).toMatchObject({ code: 'GW_ERR_BMC_AUTH_FAILED' });
  });

  it('reconnects with fresh credentials when the KVM link drops', async () => {
    const { kvm, source, sink } = await setup();
    source.start(sink);
    await until(() => sink.events.includes('connected 800x600'), 'connected');
    kvm.dropSessions();
    await until(() => sink.events.filter((e) => e.startsWith('connected')).length === 2, 'reconnected');
    expect(kvm.logins.filter((l) => l.accepted)).toHaveLength(2);
    expect(new Set(kvm.logins.map((l) => l.user)).size).toBe(2);
  });
});
