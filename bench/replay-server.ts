import { readFile } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { readFbs } from '../protocols/fbs/index.js';
import { playFbs } from '../src/recording/fbs-player.js';

export interface ReplayServerOptions {
  /** The FBS recording every client is shown. */
  path: string;
  /** 1 = the recording's own timing, Infinity = as fast as the client reads. */
  speed: number;
  host?: string;
  /** 0 (default) = any free port. */
  port?: number;
  /** Called just before each block is written (the benchmark's latency probe). */
  onBlock?: (timestampMs: number, bytes: number, connection: number) => void;
  /** Called when a client's replay has sent its last block. */
  onDone?: (connection: number) => void;
  /** Play the recording this many times back to back (the handshake only once); default 1. */
  loops?: number;
  /** When given, only the handshake is sent until this resolves (so viewers can gather first). */
  gate?: Promise<void>;
  /** Bytes sent once after the last loop, before `onDone` (the benchmark's end marker, fbs-screen.ts). */
  end?: Buffer;
}

/** A recording read once for max-speed play: its handshake block, then its other blocks. */
interface Loaded {
  handshake: { data: Buffer; ts: number };
  blocks: { data: Buffer; ts: number }[];
  lastTs: number;
}

/**
 * A BMC made of a recording: accepts RFB clients over TCP and plays the recording to each. A
 * recording starts with an RFB 3.3 server handshake (security None), so any RFB client — the
 * gateway's vnc source, a VNC viewer — connects as to a VNC server. What the client sends (its
 * version, ClientInit, SetPixelFormat, requests, input) is read and dropped; the client must ask
 * for our pixel format, which the gateway always does (RGBX).
 *
 * Backpressure: a block is written only after the previous one left our socket buffer, so "as fast
 * as the client reads" is exactly that. After the last block the connection stays open (an idle
 * BMC), until the client closes it or the server is closed.
 *
 * At max speed the recording is read once, at start, and each block is still one socket write, as
 * the recorded server wrote it, but with no file read, copy or promise per block unless the socket
 * pushes back: read, copied and awaited block by block, the server took 1.4 CPU seconds at N = 100
 * beside the proxy on the same two cores, and its garbage collection was a tenth of its samples
 * (BENCHMARKS.md, "Issue 14, goals 3–6").
 */
export class ReplayServer {
  readonly #server: Server;
  readonly #opts: ReplayServerOptions;
  #loaded: Loaded | undefined;
  readonly #sockets = new Set<Socket>();
  readonly #aborts = new Set<AbortController>();
  #connections = 0;

  private constructor(opts: ReplayServerOptions) {
    this.#opts = opts;
    this.#server = createServer((s) => this.#serve(s));
  }

  static async start(opts: ReplayServerOptions): Promise<ReplayServer> {
    const rs = new ReplayServer(opts);
    if (opts.speed === Infinity) rs.#loaded = load(await readFile(opts.path), opts.path);
    await new Promise<void>((resolve, reject) => {
      rs.#server.once('error', reject);
      rs.#server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
    });
    return rs;
  }

  get port(): number {
    return (this.#server.address() as { port: number }).port;
  }

  /** Connections accepted so far. */
  get connections(): number {
    return this.#connections;
  }

  #serve(sock: Socket): void {
    const n = ++this.#connections;
    const ac = new AbortController();
    this.#sockets.add(sock);
    this.#aborts.add(ac);
    sock.setNoDelay(true);
    sock.on('data', () => undefined);
    sock.on('error', () => ac.abort());
    sock.on('close', () => {
      ac.abort();
      this.#sockets.delete(sock);
      this.#aborts.delete(ac);
    });
    const send = (data: Buffer, ts: number): Promise<void> | void => {
      if (sock.destroyed) {
        ac.abort();
        return;
      }
      this.#opts.onBlock?.(ts, data.length, n);
      if (sock.write(data)) return;
      return new Promise<void>((resolve) => {
        const done = (): void => {
          sock.off('drain', done);
          sock.off('close', done);
          resolve();
        };
        sock.on('drain', done);
        sock.on('close', done);
      });
    };
    void this.#play(n, send, ac).catch(() => sock.destroy());
  }

  async #play(n: number, send: (data: Buffer, ts: number) => Promise<void> | void, ac: AbortController): Promise<void> {
    const loops = this.#opts.loops ?? 1;
    let offset = 0;
    const rec = this.#loaded;
    if (rec) {
      await send(rec.handshake.data, rec.handshake.ts);
      if (this.#opts.gate) await this.#opts.gate;
      for (let loop = 0; loop < loops; loop++) {
        for (const { data, ts } of rec.blocks) {
          if (ac.signal.aborted) return;
          const pushedBack = send(data, ts + offset);
          if (pushedBack) await pushedBack;
        }
        offset += rec.lastTs;
      }
      if (this.#opts.end && !ac.signal.aborted) await send(this.#opts.end, offset);
      this.#opts.onDone?.(n);
      return;
    }
    for (let loop = 0; loop < loops && !ac.signal.aborted; loop++) {
      let index = 0;
      let last = 0;
      const r = await playFbs({
        path: this.#opts.path,
        speed: this.#opts.speed,
        signal: ac.signal,
        send: async (data, ts) => {
          const i = index++;
          last = ts;
          // Later loops skip the handshake block; the gate holds everything after the handshake.
          if (loop > 0 && i === 0) return;
          if (i === 1 && loop === 0 && this.#opts.gate) await this.#opts.gate;
          await send(data, ts + offset);
        },
      });
      if (r.aborted) return;
      offset += last;
    }
    if (this.#opts.end && !ac.signal.aborted) await send(this.#opts.end, offset);
    this.#opts.onDone?.(n);
  }

  async close(): Promise<void> {
    for (const a of this.#aborts) a.abort();
    for (const s of this.#sockets) s.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}

/** A recording's blocks in memory: the handshake block, then the others (copied out of the file once). */
function load(file: Buffer, path: string): Loaded {
  const { blocks, error } = readFbs(file);
  if (error) throw new Error(`${path}: ${error.message}`);
  const [first, ...rest] = blocks;
  if (!first) throw new Error(`${path}: the recording has no blocks`);
  return {
    handshake: { data: Buffer.from(first.data), ts: first.timestampMs },
    blocks: rest.map((b) => ({ data: Buffer.from(b.data), ts: b.timestampMs })),
    lastTs: blocks.at(-1)!.timestampMs,
  };
}

/** `node dist/bench/replay-server.js FILE.fbs [--port N] [--speed 1|4|max]`: serve a recording. */
async function main(argv: string[]): Promise<void> {
  const path = argv.find((a) => !a.startsWith('--'));
  if (!path) {
    process.stderr.write('usage: replay-server FILE.fbs [--port N] [--speed 1|4|max]\n');
    process.exit(2);
  }
  const opt = (name: string): string | undefined => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const speedText = opt('speed') ?? '1';
  const speed = speedText === 'max' ? Infinity : Number(speedText);
  if (!(speed > 0)) throw new Error(`--speed must be a positive number or "max", got ${speedText}`);
  const rs = await ReplayServer.start({ path, speed, port: Number(opt('port') ?? 0) });
  process.stdout.write(`replaying ${path} on 127.0.0.1:${rs.port} at ${speedText}x\n`);
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  main(process.argv.slice(2)).catch((err: Error) => {
    process.stderr.write(`${err.message}\n`);
    process.exit(1);
  });
}
