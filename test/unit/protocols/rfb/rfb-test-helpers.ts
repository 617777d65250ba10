import { expect } from 'vitest';
import { ProtocolError } from '../../../../protocols/errors.js';

/** Concatenates byte arrays and numbers (each number one byte) into a Buffer. */
export function bytes(...parts: (Uint8Array | number[] | string | number)[]): Buffer {
  return Buffer.concat(parts.map((p) => (typeof p === 'number' ? Buffer.from([p]) : typeof p === 'string' ? Buffer.from(p, 'latin1') : Buffer.from(p))));
}

export const u16 = (v: number): number[] => [(v >> 8) & 0xff, v & 0xff];
export const u32 = (v: number): number[] => [(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];
export const s32 = (v: number): number[] => u32(v >>> 0);

/**
 * The ways every parser test feeds a vector: whole, split in two at every offset, one byte at a
 * time. Each entry is a list of chunks (copies, so a parser keeping views cannot see later edits).
 */
export function splits(data: Uint8Array): { name: string; chunks: Buffer[] }[] {
  const out: { name: string; chunks: Buffer[] }[] = [{ name: 'whole', chunks: [Buffer.from(data)] }];
  for (let i = 1; i < data.length; i++) {
    out.push({ name: `split at ${i}`, chunks: [Buffer.from(data.subarray(0, i)), Buffer.from(data.subarray(i))] });
  }
  const single: Buffer[] = [];
  for (let i = 0; i < data.length; i++) single.push(Buffer.from(data.subarray(i, i + 1)));
  out.push({ name: 'byte by byte', chunks: single });
  return out;
}

/**
 * Runs `run` (which builds a fresh parser and feeds it the chunks) for every split of `data` and
 * checks each gives the same result as the whole vector; returns that result.
 */
export function sameForEverySplit<T>(data: Uint8Array, run: (chunks: Buffer[]) => T): T {
  const all = splits(data);
  const whole = run(all[0]!.chunks);
  for (const s of all.slice(1)) {
    expect(run(s.chunks), s.name).toEqual(whole);
  }
  return whole;
}

/** Checks that feeding `data` in every split throws a ProtocolError with `code` (and returns the whole-vector error). */
export function throwsForEverySplit(data: Uint8Array, run: (chunks: Buffer[]) => unknown, code: string): ProtocolError {
  let first: ProtocolError | undefined;
  for (const s of splits(data)) {
    let caught: unknown;
    try {
      run(s.chunks);
    } catch (err) {
      caught = err;
    }
    expect(caught, `${s.name}: expected ${code}`).toBeInstanceOf(ProtocolError);
    expect((caught as ProtocolError).code, s.name).toBe(code);
    first ??= caught as ProtocolError;
  }
  return first!;
}

export { prng } from '../../../helpers/prng.js';

/** Random chunking of `data` (1..maxChunk bytes a chunk). */
export function randomChunks(data: Uint8Array, rnd: () => number, maxChunk = 64): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < data.length;) {
    const n = 1 + Math.floor(rnd() * maxChunk);
    out.push(Buffer.from(data.subarray(i, i + n)));
    i += n;
  }
  return out;
}

/** Copies `data` with a few random bytes changed, inserted or removed. */
export function mutate(data: Uint8Array, rnd: () => number): Buffer {
  const b = [...data];
  const edits = 1 + Math.floor(rnd() * 4);
  for (let e = 0; e < edits; e++) {
    const at = Math.floor(rnd() * (b.length + 1));
    const kind = rnd();
    if (kind < 0.6 && b.length > 0) b[Math.min(at, b.length - 1)] = Math.floor(rnd() * 256);
    else if (kind < 0.8) b.splice(at, 0, Math.floor(rnd() * 256));
    else b.splice(at, 1);
  }
  return Buffer.from(b);
}

/** Asserts that `fn` either returns or throws a ProtocolError subclass — never anything else. */
export function onlyProtocolErrors(fn: () => unknown, context: string): void {
  try {
    fn();
  } catch (err) {
    if (!(err instanceof ProtocolError)) {
      throw new Error(`${context}: non-protocol error escaped: ${(err as Error)?.stack ?? String(err)}`);
    }
  }
}

/**
 * noVNC 1.7's own message encoders (core/rfb.js `RFB.messages`), the reference for what a browser
 * sends us. core/rfb.js touches a few browser globals at import time; minimal stand-ins let it load
 * in Node. The functions only push bytes into the socket object they are given.
 */
export type NoVncMessages = Record<string, (sock: NoVncSock, ...args: unknown[]) => void>;

export class NoVncSock {
  #bytes: number[] = [];
  sQpush8(v: number): void {
    this.#bytes.push(v);
  }
  sQpush16(v: number): void {
    this.#bytes.push((v >> 8) & 0xff, v & 0xff);
  }
  sQpush32(v: number): void {
    this.#bytes.push((v >> 24) & 0xff, (v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff);
  }
  sQpushString(s: string): void {
    for (const c of s) this.#bytes.push(c.charCodeAt(0));
  }
  sQpushBytes(b: Uint8Array): void {
    this.#bytes.push(...b);
  }
  flush(): void {}
  /** Everything pushed, as noVNC's Uint8Array send queue would hold it (values truncated to bytes). */
  take(): Buffer {
    const out = Buffer.from(Uint8Array.from(this.#bytes));
    this.#bytes = [];
    return out;
  }
}

export async function loadNoVncMessages(): Promise<NoVncMessages> {
  const g = globalThis as Record<string, unknown>;
  g.window ??= globalThis;
  g.addEventListener ??= () => {};
  g.removeEventListener ??= () => {};
  g.navigator ??= { userAgent: 'node', platform: 'Linux' };
  g.document ??= { createElement: () => ({ getContext: () => null, style: {} }), addEventListener() {}, documentElement: {} };
  g.MutationObserver ??= class {
    observe(): void {}
    disconnect(): void {}
  };
  g.WebSocket ??= class {
    static CONNECTING = 0;
    static OPEN = 1;
    static CLOSING = 2;
    static CLOSED = 3;
  };
  g.RTCDataChannel ??= class {};
  // core/rfb.js logs a harmless "Scrollbar test exception" without a DOM; keep test output clean.
  const error = console.error;
  const log = console.log;
  console.error = () => {};
  console.log = () => {};
  try {
    const mod = (await import('@novnc/novnc')) as { default: { messages: NoVncMessages } };
    return mod.default.messages;
  } finally {
    console.error = error;
    console.log = log;
  }
}
