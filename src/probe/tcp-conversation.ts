import { connect } from 'node:net';
import type { Duplex } from 'node:stream';

/**
 * One bounded TCP exchange with a BMC port, for the probes: connect, hand every chunk to `feed`
 * (a pure handshake's `receive`), write what it returns, stop when it says done. Every way it can
 * go is an outcome, never a throw, so a probe reports what happened in words:
 *
 * - `refused`: nothing listens (RST); `unreachable`: no route, no such host;
 * - `no-connect`: no answer to the connection attempt within the timeout (a filtered port);
 * - `silent`: connected, and the peer said nothing within the timeout (a server that waits for the
 *   client to speak first: TLS, HTTP…);
 * - `stalled`: the peer sent something, then nothing more within the timeout;
 * - `closed`: the peer closed before `feed` was done;
 * - `error`: `feed` threw (the bytes were not what it expects: usually a ProtocolError);
 * - `done`: `feed` returned a value.
 *
 * The timeout bounds the connect and each wait for bytes; `signal` ends everything at once.
 */
export type TcpOutcome<T> =
  | { kind: 'done'; value: T; received: number; stream?: Duplex }
  | { kind: 'refused' | 'unreachable'; message: string }
  | { kind: 'no-connect' | 'silent' }
  | { kind: 'stalled' | 'closed'; received: number }
  | { kind: 'error'; error: unknown; received: number }
  | { kind: 'aborted' };

export interface FeedResult<T> {
  send: readonly Uint8Array[];
  done?: T;
}

export function converse<T>(host: string, port: number, o: ConverseOptions<T>, feed: (chunk: Buffer) => FeedResult<T>): Promise<TcpOutcome<T>> {
  return converseOn(connect({ host, port, noDelay: true }), false, o, feed);
}

export interface ConverseOptions<T> {
  timeoutMs: number;
  signal: AbortSignal;
  /**
   * For a `done` value this says true to: hand the stream over open (`done.stream`, our listeners
   * removed) instead of closing it — the RFB handshake that continues inside TLS.
   */
  keep?: (value: T) => boolean;
}

/**
 * The same over any byte stream: a TCP socket still connecting (`connected` false: it emits
 * `connect`), or one already open (a TLS socket, bmcweb's KVM WebSocket as a WebSocketBytePipe).
 */
export function converseOn<T>(stream: Duplex, connected: boolean, o: ConverseOptions<T>, feed: (chunk: Buffer) => FeedResult<T>): Promise<TcpOutcome<T>> {
  return new Promise((resolve) => {
    if (o.signal.aborted) {
      stream.destroy();
      resolve({ kind: 'aborted' });
      return;
    }
    let received = 0;
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    const detach = () => {
      clearTimeout(timer);
      o.signal.removeEventListener('abort', onAbort);
      stream.off('connect', onConnect);
      stream.off('data', onData);
      stream.off('error', onError);
      stream.off('close', onClose);
    };
    const finish = (outcome: TcpOutcome<T>) => {
      if (settled) return;
      settled = true;
      detach();
      if (outcome.kind === 'done' && o.keep?.(outcome.value)) {
        stream.on('error', () => {}); // until the next owner listens
        resolve({ ...outcome, stream });
        return;
      }
      stream.destroy();
      resolve(outcome);
    };
    const onAbort = () => finish({ kind: 'aborted' });
    const rearm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => finish(received === 0 ? { kind: 'silent' } : { kind: 'stalled', received }), o.timeoutMs);
    };
    const onConnect = () => {
      connected = true;
      rearm();
    };
    const onData = (chunk: Buffer) => {
      if (settled) return;
      received += chunk.length;
      rearm();
      let step: FeedResult<T>;
      try {
        step = feed(chunk);
      } catch (error) {
        finish({ kind: 'error', error, received });
        return;
      }
      for (const b of step.send) stream.write(b);
      if (step.done !== undefined) finish({ kind: 'done', value: step.done, received });
    };
    const onError = (err: NodeJS.ErrnoException) => {
      if (connected) {
        finish({ kind: 'closed', received });
        return;
      }
      const code = err.code ?? '';
      if (code === 'ECONNREFUSED') finish({ kind: 'refused', message: 'connection refused' });
      else finish({ kind: 'unreachable', message: `${code || 'error'}: ${err.message}` });
    };
    const onClose = () => finish({ kind: 'closed', received });
    o.signal.addEventListener('abort', onAbort, { once: true });
    if (connected) rearm();
    else {
      timer = setTimeout(() => finish({ kind: 'no-connect' }), o.timeoutMs);
      stream.once('connect', onConnect);
    }
    stream.on('data', onData);
    stream.on('error', onError);
    stream.on('close', onClose);
  });
}

/** The outcomes that mean "nothing of this protocol here", in words. */
export function describeAbsence(o: TcpOutcome<unknown>, timeoutMs: number): string | undefined {
  switch (o.kind) {
    case 'refused':
      return 'closed (connection refused)';
    case 'unreachable':
      return `unreachable (${o.message})`;
    case 'no-connect':
      return `no answer to the connection attempt within ${timeoutMs} ms (filtered?)`;
    case 'silent':
      return `connected, but nothing was sent within ${timeoutMs} ms`;
    case 'aborted':
      return 'stopped (the probe ran out of time)';
    default:
      return undefined;
  }
}
