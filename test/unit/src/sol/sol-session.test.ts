import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ServerConfig } from '../../../../src/config/types.js';
import type { IpmiService } from '../../../../src/ipmi/ipmi-service.js';
import type { SolCloseReason, SolConnection } from '../../../../src/ipmi/sol-connection.js';
import { createLogger } from '../../../../src/log.js';
import type { EndCode } from '../../../../src/session/session.js';
import { ipmiSerialTransport } from '../../../../src/sol/ipmi-serial.js';
import { SolSession, type SolViewerPort } from '../../../../src/sol/sol-session.js';

// SolSession's lifecycle over the IPMI serial transport with a fake IpmiService / SolConnection: who activates, who deactivates,
// what happens to input before activation, backpressure, and every way it ends.

class FakeSol {
  written: Buffer[] = [];
  closeCalls = 0;
  breaks = 0;
  accept = true;
  #data: ((b: Buffer) => void)[] = [];
  #drain: (() => void)[] = [];
  #close: ((r: SolCloseReason) => void)[] = [];
  closeGate: Promise<void> = Promise.resolve();
  onData(l: (b: Buffer) => void) {
    this.#data.push(l);
    return () => {};
  }
  onDrain(l: () => void) {
    this.#drain.push(l);
    return () => {};
  }
  onClose(l: (r: SolCloseReason) => void) {
    this.#close.push(l);
    return () => {};
  }
  write(b: Uint8Array) {
    this.written.push(Buffer.from(b));
    return this.accept;
  }
  sendBreak() {
    this.breaks++;
  }
  async close() {
    this.closeCalls++;
    await this.closeGate;
    this.fireClose({ type: 'closed' });
  }
  emit(b: string) {
    for (const l of this.#data) l(Buffer.from(b));
  }
  drain() {
    for (const l of this.#drain) l();
  }
  fireClose(r: SolCloseReason) {
    for (const l of this.#close.splice(0)) l(r);
  }
}

class FakeService {
  sols: FakeSol[] = [];
  opens = 0;
  fail: Error | null = null;
  gate: Promise<void> = Promise.resolve();
  async openSol(): Promise<SolConnection> {
    this.opens++;
    await this.gate;
    if (this.fail) throw this.fail;
    const s = new FakeSol();
    this.sols.push(s);
    return s as unknown as SolConnection;
  }
}

function viewer(id = 'v'): SolViewerPort & { got: string; states: string[]; closedWith: string | null; paused: boolean } {
  const v = {
    id,
    got: '',
    states: [] as string[],
    closedWith: null as string | null,
    paused: false,
    send(b: Buffer) {
      v.got += b.toString();
    },
    notify(m: { type: string; state?: string; text?: string }) {
      v.states.push(m.state ?? `notice: ${m.text}`);
    },
    pause() {
      v.paused = true;
    },
    resume() {
      v.paused = false;
    },
    close(reason: string) {
      v.closedWith = reason;
    },
  };
  return v;
}

const server: ServerConfig = { id: 'srv', name: undefined, location: undefined, console: undefined, ipmi: undefined, redfish: undefined, power: undefined };
const sessions: SolSession[] = [];

function make(service: FakeService, limits = { idleTimeoutMs: 60_000, maxLifetimeMs: 0 }) {
  const ended: { code: EndCode; reason: string }[] = [];
  const s = new SolSession({
    server,
    transport: ipmiSerialTransport(service as unknown as IpmiService, {
      host: 'h',
      port: 623,
      user: 'u',
      password: 'p',
      cipherSuites: [3],
      privilege: 'ADMINISTRATOR',
    }),
    log: createLogger('silent'),
    limits,
    actor: 'tester',
    ended: (_s, code, reason) => ended.push({ code, reason }),
  });
  sessions.push(s);
  return { s, ended };
}

afterEach(() => {
  for (const s of sessions.splice(0)) s.end('test over', 'shutdown');
  vi.useRealTimers();
});

describe('SolSession', () => {
  it('activates on the first viewer only, shares output, deactivates when the last viewer leaves', async () => {
    const svc = new FakeService();
    const { s } = make(svc);
    const a = viewer('a');
    const b = viewer('b');
    await s.attach(a);
    await s.attach(b);
    expect(svc.opens).toBe(1);
    expect(s.state).toBe('active');
    expect(a.states).toEqual(['activating', 'active']);
    expect(b.states).toEqual(['active']);
    svc.sols[0]!.emit('hello');
    expect([a.got, b.got]).toEqual(['hello', 'hello']);
    s.input(b, Buffer.from('x'));
    s.sendBreak(a);
    expect(svc.sols[0]!.written.map(String)).toEqual(['x']);
    expect(svc.sols[0]!.breaks).toBe(1);
    s.detach(a);
    expect(svc.sols[0]!.closeCalls).toBe(0);
    s.detach(b);
    expect(svc.sols[0]!.closeCalls).toBe(1);
    expect(s.state).toBe('idle');
  });

  it('keeps input typed during activation (bounded) and sends it once active', async () => {
    const svc = new FakeService();
    let open!: () => void;
    svc.gate = new Promise((r) => {
      open = r;
    });
    const { s } = make(svc);
    const a = viewer();
    const attached = s.attach(a);
    s.input(a, Buffer.from('early '));
    s.input(a, Buffer.from('bytes'));
    open();
    await attached;
    expect(Buffer.concat(svc.sols[0]!.written).toString()).toBe('early bytes');

    const svc2 = new FakeService();
    svc2.gate = new Promise(() => {}); // never activates
    const { s: s2 } = make(svc2);
    const b = viewer();
    void s2.attach(b);
    s2.input(b, Buffer.alloc(200 * 1024));
    expect(b.closedWith).toBeNull();
    s2.input(b, Buffer.alloc(100 * 1024));
    expect(b.closedWith).toMatch(/too much input/);
  });

  it('pauses every viewer while SOL is above its high-water mark, resumes on drain', async () => {
    const svc = new FakeService();
    const { s } = make(svc);
    const a = viewer('a');
    await s.attach(a);
    svc.sols[0]!.accept = false;
    s.input(a, Buffer.from('big paste'));
    expect(a.paused).toBe(true);
    const late = viewer('late');
    await s.attach(late);
    expect(late.paused).toBe(true);
    svc.sols[0]!.drain();
    expect([a.paused, late.paused]).toEqual([false, false]);
  });

  it('a reload waits for the previous Deactivate Payload before activating again', async () => {
    const svc = new FakeService();
    const { s } = make(svc);
    const a = viewer();
    await s.attach(a);
    let finishClose!: () => void;
    svc.sols[0]!.closeGate = new Promise((r) => {
      finishClose = r;
    });
    s.detach(a);
    const again = viewer();
    const attached = s.attach(again);
    await new Promise((r) => setTimeout(r, 10));
    expect(svc.opens).toBe(1); // not yet: the old console still holds the session's SOL handler
    finishClose();
    await attached;
    expect(svc.opens).toBe(2);
    expect(s.state).toBe('active');
  });

  it('ends when activation fails, when the BMC deactivates SOL, and by end()', async () => {
    const svc = new FakeService();
    svc.fail = Object.assign(new Error('SOL is already active on another session'), { code: 'IPMI_ERR_SOL_ALREADY_ACTIVE' });
    const one = make(svc);
    const v1 = viewer();
    await one.s.attach(v1);
    expect(one.ended).toEqual([
      { code: 'bmc-unreachable', reason: 'SOL activation failed: IPMI_ERR_SOL_ALREADY_ACTIVE: SOL is already active on another session' },
    ]);
    expect(v1.closedWith).toMatch(/^the serial console has ended: SOL activation failed/);

    const svc2 = new FakeService();
    const two = make(svc2);
    const v2 = viewer();
    await two.s.attach(v2);
    svc2.sols[0]!.fireClose({ type: 'bmc-deactivated' });
    expect(two.ended[0]?.code).toBe('bmc-unreachable');
    expect(v2.closedWith).toMatch(/the BMC deactivated SOL/);

    const svc3 = new FakeService();
    const three = make(svc3);
    const v3 = viewer();
    await three.s.attach(v3);
    three.s.end('ended by the API (x)', 'api');
    three.s.end('twice', 'api');
    expect(three.ended).toEqual([{ code: 'api', reason: 'ended by the API (x)' }]);
    expect(svc3.sols[0]!.closeCalls).toBe(1);
    const late = viewer();
    await three.s.attach(late);
    expect(late.closedWith).toBe('the serial console has ended: ended by the API (x)');
  });

  it('ends after idleTimeout without a viewer, and at maxLifetime', () => {
    vi.useFakeTimers();
    const svc = new FakeService();
    const idle = make(svc, { idleTimeoutMs: 1000, maxLifetimeMs: 0 });
    vi.advanceTimersByTime(999);
    expect(idle.ended).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(idle.ended).toEqual([{ code: 'idle', reason: expect.stringMatching(/^no viewer for/) }]);
    const life = make(svc, { idleTimeoutMs: 60_000, maxLifetimeMs: 5000 });
    void life.s.attach(viewer());
    vi.advanceTimersByTime(5000);
    expect(life.ended[0]?.code).toBe('lifetime');
  });
});
