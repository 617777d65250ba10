/**
 * A Supermicro BMC made of a capture, for tests and the benchmark (not shipped): it answers the
 * ATEN handshake with the captured server's own bytes (banner, security types, the 24-byte block,
 * SecurityResult, ServerInit) once the client has sent its part, checks the one-time credentials
 * its web front minted, and then plays the captured server → client messages.
 *
 * Video goes out the way a BMC sends it: one FramebufferUpdate per FramebufferUpdateRequest (notes
 * §4.5; the X10SRi-F capture shows the Java client asking after every update). With `speed: 'max'`
 * a request is answered at once; with 'original' not before the update's captured time (relative to
 * the first update). Other messages (0x39, keep-alives…) go out in order between them. After the
 * last update (of the last loop) the BMC falls silent, as an idle one would not, so a client's
 * watchdog eventually reconnects — and a new connection plays the capture again.
 *
 * The web front is plain HTTP, just enough for the `aten` source: POST /cgi/login.cgi → SID cookie,
 * GET /cgi/url_redirect.cgi?url_name=ikvm|man_ikvm&url_type=jwsk → a JNLP with fresh single-use KVM
 * credentials, GET /cgi/logout.cgi.
 */
import { randomBytes } from 'node:crypto';
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { AtenClientHandshake } from '../protocols/aten/handshake.js';
import { AtenServerStream } from '../protocols/aten/server-stream.js';
import type { BmcStream } from '../src/sources/aten/capture-stream.js';

export interface AtenReplayBmcOptions {
  stream: BmcStream;
  speed: 'max' | 'original';
  /** Play the captured messages this many times on each connection (default 1). */
  loops?: number;
  webUser: string;
  webPassword: string;
  /** A connection has sent its last update. */
  onDone?: (connection: number) => void;
  /** Each FramebufferUpdateRequest, with the connection's count so far (the benchmark's "decoded all" clock). */
  onRequest?: (count: number) => void;
  /**
   * Updates after the first wait for this (so viewers can join before the rest is played). Meanwhile
   * a 0x16 keep-alive goes out every second, as BMCs send them, so the client's watchdog does not
   * take the silence for a dead link.
   */
  gate?: Promise<void>;
  /**
   * Send the captured stream as it is, at once, without waiting for the client, then close: for
   * captures that are corrupt on purpose (fuzzing the source), which cannot be split into steps.
   */
  raw?: boolean;
}

interface Item {
  bytes: Buffer;
  /** Capture time of the message's last byte, µs. */
  timeUs: number;
  update: boolean;
}

/** The captured session cut into what the server said at each step of the handshake, and its messages. */
export interface CapturedSession {
  banner: Buffer;
  securityTypes: Buffer;
  challenge: Buffer;
  securityResult: Buffer;
  serverInit: Buffer;
  messages: Item[];
}

/**
 * Splits a BMC stream at the handshake's steps (found by feeding our own client handshake one byte
 * at a time and noting where it answers) and at its messages (AtenServerStream's event positions).
 * Throws when the capture does not hold the whole handshake or its messages do not parse.
 */
export function splitCapturedSession(stream: BmcStream): CapturedSession {
  const data = stream.data;
  if (!stream.startsWithBanner) throw new Error('the capture starts mid-session: there is no handshake to answer with');
  const hs = new AtenClientHandshake({ username: '', password: '' });
  const cuts: number[] = [];
  for (let i = 0; i < data.length && !hs.done; i++) {
    const step = hs.receive(data.subarray(i, i + 1));
    if (step.send.length > 0 || step.serverInit) cuts.push(i + 1);
  }
  if (!hs.done || cuts.length !== 5) throw new Error('the capture ends inside the handshake');
  const [a, b, c, d, e] = cuts as [number, number, number, number, number];
  const s = new AtenServerStream({ startWith: 'messages' });
  const timeAt = (end: number): number => {
    const chunk = stream.chunks.find((k) => k.offset + k.length >= end);
    return chunk?.timeUs ?? 0;
  };
  const messages: Item[] = [];
  let start = e;
  for (const ev of s.push(data.subarray(e))) {
    if (ev.type === 'error') throw new Error(`the captured messages do not parse at stream offset ${e + ev.position}: ${ev.error.message}`);
    if (ev.type === 'server-init') continue;
    const end = e + ev.end;
    messages.push({ bytes: data.subarray(start, end), timeUs: timeAt(end), update: ev.type === 'update' });
    start = end;
  }
  return {
    banner: data.subarray(0, a),
    securityTypes: data.subarray(a, b),
    challenge: data.subarray(b, c),
    securityResult: data.subarray(c, d),
    serverInit: data.subarray(d, e),
    messages,
  };
}

/** Bytes of each ATEN client message after the handshake (notes §4): what we read and drop. */
const CLIENT_MESSAGE_BYTES: Record<number, number> = { 0x01: 20, 0x03: 10, 0x04: 18, 0x05: 18, 0x07: 3, 0x15: 9, 0x16: 2, 0x32: 5, 0x36: 3, 0x37: 1, 0x3a: 1 };
/** SetEncodings (the Java client sends one): u8 2, pad, u16 count, count × s32. */
const SET_ENCODINGS = 0x02;

export class AtenReplayBmc {
  readonly session: CapturedSession | undefined;
  readonly logins: { user: string; accepted: boolean }[] = [];
  framebufferUpdateRequests = 0;
  updatesSent = 0;
  connections = 0;
  readonly #o: AtenReplayBmcOptions;
  readonly #tokens = new Map<string, string>();
  readonly #sockets = new Set<Socket>();
  #kvm: Server | undefined;
  #web: HttpServer | undefined;

  private constructor(o: AtenReplayBmcOptions) {
    this.#o = o;
    this.session = o.raw ? undefined : splitCapturedSession(o.stream);
    if (this.session && !this.session.messages.some((m) => m.update)) throw new Error('the capture holds no FramebufferUpdate to play');
  }

  static async start(o: AtenReplayBmcOptions): Promise<AtenReplayBmc> {
    const bmc = new AtenReplayBmc(o);
    bmc.#kvm = createServer((s) => bmc.#accept(s));
    bmc.#web = createHttpServer((req, res) => void bmc.#http(req, res));
    for (const srv of [bmc.#kvm, bmc.#web]) {
      await new Promise<void>((resolve, reject) => {
        srv.once('error', reject);
        srv.listen(0, '127.0.0.1', () => resolve());
      });
    }
    return bmc;
  }

  get kvmPort(): number {
    return (this.#kvm!.address() as AddressInfo).port;
  }

  get webPort(): number {
    return (this.#web!.address() as AddressInfo).port;
  }

  /** The `console` of a gateway server that uses this BMC. */
  consoleConfig(): Record<string, unknown> {
    return { type: 'aten', host: '127.0.0.1', webPort: this.webPort, scheme: 'http', user: this.#o.webUser, password: this.#o.webPassword };
  }

  async close(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    this.#web?.closeAllConnections();
    await Promise.all([this.#kvm, this.#web].map((srv) => new Promise<void>((r) => (srv ? srv.close(() => r()) : r()))));
  }

  #accept(socket: Socket): void {
    const id = ++this.connections;
    this.#sockets.add(socket);
    socket.setNoDelay(true);
    socket.on('error', () => {});
    socket.on('close', () => this.#sockets.delete(socket));
    const ses = this.session;
    if (!ses) {
      socket.on('data', () => {});
      socket.end(this.#o.stream.data, () => this.#o.onDone?.(id));
      return;
    }
    let buf: Buffer = Buffer.alloc(0);
    let step = 0; // 0 banner echo, 1 security type, 2 credentials, 3 ClientInit, 4 messages
    let requests = 0;
    const player = new Player(
      socket,
      ses.messages,
      this.#o.loops ?? 1,
      this.#o.speed,
      () => {
        this.updatesSent++;
      },
      () => this.#o.onDone?.(id),
      this.#o.gate,
    );
    socket.write(ses.banner);
    socket.on('data', (d: Buffer) => {
      buf = buf.length ? Buffer.concat([buf, d]) : d;
      for (;;) {
        const need = [12, 1, 48, 1][step];
        if (need !== undefined) {
          if (buf.length < need) return;
          const got = buf.subarray(0, need);
          buf = buf.subarray(need);
          if (step === 2) {
            const user = cstr(got.subarray(0, 24));
            const ok = this.#tokens.get(user) === cstr(got.subarray(24));
            this.logins.push({ user, accepted: ok });
            if (!ok) {
              socket.end(Buffer.from([0, 0, 0, 1]));
              return;
            }
            this.#tokens.delete(user); // single-use, as on a real board
          }
          socket.write([ses.securityTypes, ses.challenge, ses.securityResult, ses.serverInit][step]!);
          step++;
          if (step === 4) player.start();
          continue;
        }
        if (buf.length === 0) return;
        if (buf[0] === SET_ENCODINGS && buf.length < 4) return;
        const len = buf[0] === SET_ENCODINGS ? 4 + 4 * buf.readUInt16BE(2) : CLIENT_MESSAGE_BYTES[buf[0]!];
        if (len === undefined) {
          socket.destroy(); // a client message we cannot frame: a real BMC would drop the client too
          return;
        }
        if (buf.length < len) return;
        if (buf[0] === 0x03) {
          requests++;
          this.framebufferUpdateRequests++;
          player.requested(requests);
          this.#o.onRequest?.(requests);
        }
        buf = buf.subarray(len);
      }
    });
  }

  async #http(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const url = new URL(req.url ?? '/', 'http://bmc/');
    if (req.method === 'POST' && url.pathname === '/cgi/login.cgi') {
      const f = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
      if (f.get('name') !== this.#o.webUser || f.get('pwd') !== this.#o.webPassword) {
        res.writeHead(200, { 'content-type': 'text/html' }).end('<html><script>location.href="/cgi/url_redirect.cgi?url_name=login_alert"</script></html>');
        return;
      }
      res
        .writeHead(200, { 'content-type': 'text/html', 'set-cookie': `SID=${randomBytes(16).toString('hex')}; path=/` })
        .end('<html>url_redirect.cgi?url_name=mainmenu</html>');
      return;
    }
    if (req.method === 'GET' && url.pathname === '/cgi/url_redirect.cgi' && /SID=\w+/.test(req.headers.cookie ?? '')) {
      const user = randomBytes(9).toString('base64url');
      const password = randomBytes(6).toString('base64url');
      this.#tokens.set(user, password);
      const args = ['127.0.0.1', user, password, 'null', String(this.kvmPort), '623', '2', '0'];
      res.writeHead(200, { 'content-type': 'application/x-java-jnlp-file' });
      res.end(
        `<?xml version="1.0" encoding="UTF-8"?>\n<jnlp spec="1.0+"><application-desc main-class="tw.com.aten.ikvm.KVMMain">${args.map((x) => `<argument>${x}</argument>`).join('')}</application-desc></jnlp>\n`,
      );
      return;
    }
    res.writeHead(url.pathname === '/cgi/logout.cgi' ? 200 : 404).end();
  }
}

/** Sends the captured messages: each update when it has been asked for (and, at original speed, not before its time in its loop). */
class Player {
  readonly #socket: Socket;
  readonly #items: Item[];
  readonly #loops: number;
  readonly #speed: 'max' | 'original';
  readonly #onUpdate: () => void;
  readonly #onDone: () => void;
  readonly #firstUpdateUs: number;
  #next = 0;
  #loop = 0;
  #granted = 0;
  #sentUpdates = 0;
  #loopStarted = 0;
  #timer: NodeJS.Timeout | undefined;
  #done = false;
  #gateOpen: boolean;

  constructor(socket: Socket, items: Item[], loops: number, speed: 'max' | 'original', onUpdate: () => void, onDone: () => void, gate?: Promise<void>) {
    this.#gateOpen = !gate;
    const keepAlive = gate ? setInterval(() => socket.writable && socket.write(Buffer.from([0x16, 0x00])), 1000) : undefined;
    socket.on('close', () => clearInterval(keepAlive));
    void gate?.then(() => {
      clearInterval(keepAlive);
      this.#gateOpen = true;
      this.#pump();
    });
    this.#socket = socket;
    this.#items = items;
    this.#loops = loops;
    this.#speed = speed;
    this.#onUpdate = onUpdate;
    this.#onDone = onDone;
    this.#firstUpdateUs = items.find((m) => m.update)!.timeUs;
    socket.on('close', () => clearTimeout(this.#timer));
  }

  start(): void {
    this.#loopStarted = performance.now();
    this.#pump();
  }

  /** The client has now asked for `n` updates in all. */
  requested(n: number): void {
    this.#granted = n;
    this.#pump();
  }

  #pump(): void {
    if (this.#timer || this.#done || this.#socket.destroyed || !this.#loopStarted) return;
    while (!this.#done) {
      const item = this.#items[this.#next]!;
      if (item.update) {
        if (this.#sentUpdates >= this.#granted || (this.#sentUpdates >= 1 && !this.#gateOpen)) return;
        const due = this.#speed === 'original' ? (item.timeUs - this.#firstUpdateUs) / 1000 - (performance.now() - this.#loopStarted) : 0;
        if (due > 1) {
          this.#timer = setTimeout(() => {
            this.#timer = undefined;
            this.#pump();
          }, due);
          return;
        }
        this.#sentUpdates++;
        this.#onUpdate();
      }
      this.#socket.write(item.bytes);
      if (++this.#next === this.#items.length) {
        this.#next = 0;
        this.#loopStarted = performance.now();
        if (++this.#loop === this.#loops) {
          this.#done = true;
          this.#onDone();
        }
      }
    }
  }
}

function cstr(b: Buffer): string {
  const z = b.indexOf(0);
  return b.subarray(0, z < 0 ? b.length : z).toString('latin1');
}
