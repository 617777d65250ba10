/**
 * A Supermicro ATEN iKVM BMC simulator for tests and benchmarks (not shipped). It speaks the ATEN
 * handshake and messages (protocols/aten; notes §2-§5) on a loopback TCP port, checks the one-time
 * credentials it issued, sends video in AST2100 (4:2:0 or 4:4:4, made by our test encoder) or Hermon,
 * the no-signal sentinel when the "host" is off, and records the keys, pointer events, keep-alives
 * and other client messages it receives.
 *
 * The same KVM service also runs behind the HTML5 front (simulator-html5.ts): `serve(stream, 'html5')`
 * speaks it on a WebSocket's byte stream the way late X10 to X13 firmware does (banner 055.008,
 * the bootstrap page's one-time ticket instead of JNLP tokens, 0x37 with 3 bytes, 0x16, AST2100 only,
 * SetEncodings ignored).
 *
 * It is built from the public descriptions, like the client, so it is never the only evidence:
 * the decoders are also checked against captured data (ast2100-frame4.hex), the handshake against
 * real X9-X11 captures (test/unit/protocols/aten/handshake-captures.test.ts).
 */
import { randomBytes } from 'node:crypto';
import { createServer, type AddressInfo, type Server } from 'node:net';
import type { Duplex } from 'node:stream';
import { Ast2100Encoder } from './ast2100-encoder.js';
import { encodeHermonTiles } from './hermon-encoder.js';

export interface AtenSimulatorOptions {
  banner?: 'RFB 003.008\n' | 'RFB 055.008\n';
  video?: 'ast2100' | 'hermon';
  /** AST2100 subsampling; 444 also uses VQ blocks for areas of up to four colours. */
  subsampling?: 444 | 422;
  /** AST2100 quality selectors (header bytes 0 and 1). */
  selectors?: [number, number];
  /** Send Hermon with encoding 0 in the rect header, as old firmware does. */
  hermonAsEncoding0?: boolean;
  /** How many KVM sessions at once (real BMCs allow one or two); further ones get SecurityResult 1. */
  maxSessions?: number;
  /** Body length of the 0x37 message this "firmware" sends after ServerInit (2 or 3), or none. */
  mouseInfoBodyBytes?: 2 | 3;
  width?: number;
  height?: number;
  /** Where the HTML5 front expects the ticket in the 48 credential bytes (protocols/aten/html5-ticket.ts). */
  html5TicketLayout?: 'whole' | 'split';
  /** Put this number in every video rectangle's encoding field (e.g. 0x58, which no decoder here knows). */
  videoEncoding?: number;
}

/** The two ways in: the TCP iKVM port (JNLP tokens) or the HTML5 console's WebSocket (bootstrap ticket). */
export type SimulatorFront = 'tcp' | 'html5';
const HTML5_BANNER = 'RFB 055.008\n';

export interface SimulatorKeyEvent {
  usage: number;
  down: boolean;
}
export interface SimulatorPointerEvent {
  x: number;
  y: number;
  buttons: number;
}

interface Session {
  socket: Duplex;
  front: SimulatorFront;
  buf: Buffer;
  state: 'version' | 'type' | 'creds' | 'init' | 'messages';
  sentFrame?: Uint8Array;
  pending: boolean;
  encoder: Ast2100Encoder;
}

/** Bytes a client message occupies, by type (ATEN client messages, notes §4). SetEncodings (0x02) has its own length. */
const CLIENT_MESSAGE_BYTES: Record<number, number> = { 0x03: 10, 0x04: 18, 0x05: 18, 0x15: 9, 0x32: 5, 0x36: 3, 0x37: 1, 0x07: 3 };

export class AtenSimulator {
  readonly options: Required<Omit<AtenSimulatorOptions, 'mouseInfoBodyBytes' | 'html5TicketLayout' | 'videoEncoding'>> & {
    mouseInfoBodyBytes?: 2 | 3;
    html5TicketLayout?: 'whole' | 'split';
    videoEncoding?: number;
  };
  readonly keys: SimulatorKeyEvent[] = [];
  readonly pointer: SimulatorPointerEvent[] = [];
  readonly mouseModes: number[] = [];
  readonly videoSettings: Buffer[] = [];
  keepAlives = 0;
  framesSent = 0;
  framebufferUpdateRequests = 0;
  /** SetEncodings messages received (the HTML5 firmware ignores them and sends AST2100 whatever they say). */
  setEncodingsIgnored = 0;
  /** Credentials presented, and whether they were accepted. */
  readonly logins: { user: string; accepted: boolean; front: SimulatorFront }[] = [];
  #tokens = new Map<string, string>();
  #tickets = new Set<string>();
  #server: Server | undefined;
  #sessions = new Set<Session>();
  #width: number;
  #height: number;
  #screen: Uint8Array;
  #noSignal = false;

  constructor(options: AtenSimulatorOptions = {}) {
    this.options = {
      banner: options.banner ?? 'RFB 003.008\n',
      video: options.video ?? 'ast2100',
      subsampling: options.subsampling ?? 422,
      selectors: options.selectors ?? [7, 7],
      hermonAsEncoding0: options.hermonAsEncoding0 ?? false,
      maxSessions: options.maxSessions ?? 1,
      width: options.width ?? 800,
      height: options.height ?? 600,
      ...(options.mouseInfoBodyBytes ? { mouseInfoBodyBytes: options.mouseInfoBodyBytes } : {}),
      ...(options.html5TicketLayout ? { html5TicketLayout: options.html5TicketLayout } : {}),
      ...(options.videoEncoding !== undefined ? { videoEncoding: options.videoEncoding } : {}),
    };
    this.#width = this.options.width;
    this.#height = this.options.height;
    this.#screen = testPattern(this.#width, this.#height);
  }

  get port(): number {
    return (this.#server!.address() as AddressInfo).port;
  }

  get screen(): { width: number; height: number; rgbx: Uint8Array } {
    return { width: this.#width, height: this.#height, rgbx: this.#screen };
  }

  /** Mints single-use KVM credentials, as fetching the JNLP does on a real BMC. */
  issueCredentials(): { user: string; password: string } {
    const user = randomBytes(12).toString('base64url').slice(0, 15);
    const password = randomBytes(6).toString('base64');
    this.#tokens.set(user, password);
    return { user, password };
  }

  /**
   * Mints a single-use HTML5 console ticket, as serving the bootstrap page does: 24 base64 characters
   * (16 random bytes), the form public clients saw in `entry_value`.
   */
  issueHtml5Ticket(): string {
    const ticket = randomBytes(16).toString('base64');
    this.#tickets.add(ticket);
    return ticket;
  }

  async listen(): Promise<void> {
    this.#server = createServer((s) => {
      s.setNoDelay(true);
      this.serve(s, 'tcp');
    });
    await new Promise<void>((resolve, reject) => {
      this.#server!.once('error', reject);
      this.#server!.listen(0, '127.0.0.1', () => resolve());
    });
  }

  async close(): Promise<void> {
    for (const s of this.#sessions) s.socket.destroy();
    if (this.#server) await new Promise<void>((resolve) => this.#server!.close(() => resolve()));
  }

  /** Replaces the screen (a new size is a resolution change) and answers pending update requests. */
  setScreen(width: number, height: number, rgbx: Uint8Array): void {
    this.#width = width;
    this.#height = height;
    this.#screen = rgbx;
    this.#noSignal = false;
    for (const s of this.#sessions) if (s.pending) this.#sendFrame(s, true);
  }

  /** Host off: answer update requests with the no-signal sentinel rectangle. */
  setNoSignal(on: boolean): void {
    this.#noSignal = on;
    for (const s of this.#sessions) {
      s.sentFrame = undefined;
      if (s.pending) this.#sendFrame(s, false);
    }
  }

  /** Drops every KVM connection (a BMC reset, a network cut). */
  dropSessions(): void {
    for (const s of this.#sessions) s.socket.destroy();
  }

  /** Sends a server message to every session (e.g. a 0x39 kick, a 0x16 keep-alive). */
  broadcast(bytes: Buffer): void {
    for (const s of this.#sessions) if (s.state === 'messages') s.socket.write(bytes);
  }

  /** Runs the KVM service on a byte stream: a TCP connection, or the HTML5 front's WebSocket stream. */
  serve(socket: Duplex, front: SimulatorFront): void {
    const s: Session = { socket, front, buf: Buffer.alloc(0), state: 'version', pending: false, encoder: new Ast2100Encoder() };
    socket.on('data', (d) => {
      s.buf = Buffer.concat([s.buf, d]);
      try {
        this.#drive(s);
      } catch {
        socket.destroy();
      }
    });
    socket.on('error', () => {});
    socket.on('close', () => this.#sessions.delete(s));
    socket.write(this.#banner(s));
  }

  #banner(s: Session): string {
    return s.front === 'html5' ? HTML5_BANNER : this.options.banner;
  }

  #take(s: Session, n: number): Buffer | undefined {
    if (s.buf.length < n) return undefined;
    const out = s.buf.subarray(0, n);
    s.buf = s.buf.subarray(n);
    return out;
  }

  #drive(s: Session): void {
    for (;;) {
      switch (s.state) {
        case 'version': {
          const v = this.#take(s, 12);
          if (!v) return;
          // Anything but the banner echoed verbatim is dropped (on the HTML5 console even 003.008: ikvm-gw M0 §2.3).
          if (v.toString('latin1') !== this.#banner(s)) throw new Error('banner not echoed verbatim');
          s.socket.write(Buffer.from([1, 16]));
          s.state = 'type';
          break;
        }
        case 'type': {
          const t = this.#take(s, 1);
          if (!t) return;
          if (t[0] !== 16) throw new Error('not type 16');
          s.socket.write(randomBytes(24)); // the opaque block real boards send
          s.state = 'creds';
          break;
        }
        case 'creds': {
          const c = this.#take(s, 48);
          if (!c) return;
          const user = cstr(c.subarray(0, 24));
          const pass = cstr(c.subarray(24));
          const ticket = s.front === 'html5' ? this.#html5Ticket(c) : undefined;
          const valid = s.front === 'html5' ? ticket !== undefined : this.#tokens.get(user) === pass;
          const ok = valid && this.#sessions.size < this.options.maxSessions;
          this.logins.push({ user: ticket ?? user, accepted: ok, front: s.front });
          if (!ok) {
            s.socket.end(Buffer.from([0, 0, 0, 1]));
            return;
          }
          // single-use
          if (ticket !== undefined) this.#tickets.delete(ticket);
          else this.#tokens.delete(user);
          s.socket.write(Buffer.from([0, 0, 0, 0]));
          s.state = 'init';
          break;
        }
        case 'init': {
          if (!this.#take(s, 1)) return;
          this.#sessions.add(s);
          const name = Buffer.from('ATEN iKVM Server');
          const init = Buffer.alloc(24 + name.length + 12);
          init.writeUInt16BE(480, 0); // placeholder, portrait, as real boards send
          init.writeUInt16BE(640, 2);
          Buffer.from('2018000100ff00ff00ff100800000000', 'hex').copy(init, 4);
          init.writeUInt32BE(name.length, 20);
          name.copy(init, 24);
          Buffer.from('000000005dfd43d001010101', 'hex').copy(init, 24 + name.length);
          s.socket.write(init);
          // A 0x39 session message arrives before the first frame on real boards (ikvm-gw M0).
          const session = Buffer.alloc(265);
          session[0] = 0x39;
          session.writeUInt32BE(1, 1);
          session.writeUInt32BE(1, 5);
          session.write('0 Administrator 127.0.0.1', 9, 'latin1');
          s.socket.write(session);
          if (s.front === 'html5') {
            // The HTML5 firmware's extra messages (kookyleo/ikvmt protocol.rs): 55 = 0x37 with 3 bytes
            // (mouse mode: absolute), 22 = 0x16 with 1 byte.
            s.socket.write(Buffer.from([0x37, 0, 0, 1]));
            s.socket.write(Buffer.from([0x16, 1]));
          } else if (this.options.mouseInfoBodyBytes) {
            s.socket.write(Buffer.alloc(1 + this.options.mouseInfoBodyBytes, 0).fill(0x37, 0, 1));
          }
          s.state = 'messages';
          break;
        }
        case 'messages': {
          if (s.buf.length === 0) return;
          if (s.buf[0] === 0x02) {
            // SetEncodings: u8 type, pad, u16 count, count × s32. Accepted and ignored: ATEN sends what it sends.
            if (s.buf.length < 4) return;
            if (!this.#take(s, 4 + 4 * s.buf.readUInt16BE(2))) return;
            this.setEncodingsIgnored++;
            continue;
          }
          const len = CLIENT_MESSAGE_BYTES[s.buf[0]!];
          if (len === undefined) throw new Error(`unknown client message 0x${s.buf[0]!.toString(16)}`);
          const m = this.#take(s, len);
          if (!m) return;
          this.#message(s, m);
        }
      }
    }
  }

  /**
   * The ticket the 48 credential bytes carry, if it is one this BMC issued, laid out as configured and
   * with every unused byte zero: `whole` = ticket ‖ NULs, then 24 NULs; `split` = ticket[0..15) ‖ NULs,
   * ticket[15..24) ‖ NULs (protocols/aten/html5-ticket.ts).
   */
  #html5Ticket(c: Buffer): string | undefined {
    for (const ticket of this.#tickets) {
      const t = Buffer.from(ticket, 'latin1');
      const want = Buffer.alloc(48);
      if ((this.options.html5TicketLayout ?? 'whole') === 'whole') t.copy(want);
      else {
        t.copy(want, 0, 0, 15);
        t.copy(want, 24, 15, 24);
      }
      if (want.equals(c)) return ticket;
    }
    return undefined;
  }

  #message(s: Session, m: Buffer): void {
    switch (m[0]) {
      case 0x03:
        this.framebufferUpdateRequests++;
        if (m[1] === 0) s.sentFrame = undefined; // non-incremental: send everything
        s.pending = true;
        this.#sendFrame(s, false);
        break;
      case 0x04:
        this.keys.push({ usage: m.readUInt32BE(5), down: m[2] === 1 });
        break;
      case 0x05:
        this.pointer.push({ buttons: m[2]!, x: m.readUInt16BE(3), y: m.readUInt16BE(5) });
        break;
      case 0x15:
        this.keepAlives++;
        break;
      case 0x36:
        this.mouseModes.push(m[2]!);
        break;
      case 0x32:
        this.videoSettings.push(Buffer.from(m));
        break;
    }
  }

  /** Answers a pending request: full frame if the client has none, changed blocks otherwise, nothing if unchanged. */
  #sendFrame(s: Session, changed: boolean): void {
    if (!s.pending) return;
    if (this.#noSignal) {
      s.pending = false;
      s.socket.write(rect(0xfd80, 0xfe20, this.options.video === 'hermon' && s.front === 'tcp' ? 0x59 : 0x57, Buffer.alloc(10)));
      return;
    }
    const w = this.#width;
    const h = this.#height;
    const prev = s.sentFrame && s.sentFrame.length === w * h * 4 ? s.sentFrame : undefined;
    if (prev && !changed && Buffer.from(prev).equals(Buffer.from(this.#screen))) return; // wait for a change
    let data: Buffer;
    let encoding: number;
    if (this.options.video === 'hermon' && s.front === 'tcp') {
      encoding = this.options.hermonAsEncoding0 ? 0 : 0x59;
      data = encodeHermonTiles(this.#screen, w, h, prev ? changedTiles(prev, this.#screen, w, h) : undefined);
    } else {
      encoding = 0x57;
      const [s0, s1] = this.options.selectors;
      data = s.encoder.encode(this.#screen, w, h, {
        subsampling: this.options.subsampling,
        selector0: s0,
        selector1: s1,
        padWords: 2,
        ...(prev ? { previous: prev } : {}),
      });
    }
    s.pending = false;
    s.sentFrame = Uint8Array.from(this.#screen);
    this.framesSent++;
    s.socket.write(rect(w, h, this.options.videoEncoding ?? encoding, data));
  }
}

function rect(w: number, h: number, encoding: number, data: Buffer): Buffer {
  const hdr = Buffer.alloc(24);
  hdr[0] = 0;
  hdr.writeUInt16BE(1, 2);
  hdr.writeUInt16BE(w, 8);
  hdr.writeUInt16BE(h, 10);
  hdr.writeInt32BE(encoding, 12);
  hdr.writeUInt32BE(0, 16);
  hdr.writeUInt32BE(data.length, 20);
  return Buffer.concat([hdr, data]);
}

function changedTiles(a: Uint8Array, b: Uint8Array, w: number, h: number): { row: number; col: number }[] {
  const out: { row: number; col: number }[] = [];
  for (let row = 0; row < Math.ceil(h / 16); row++) {
    for (let col = 0; col < Math.ceil(w / 16); col++) {
      let diff = false;
      for (let y = row * 16; y < Math.min(h, row * 16 + 16) && !diff; y++) {
        const o = (y * w + col * 16) * 4;
        const e = (y * w + Math.min(w, col * 16 + 16)) * 4;
        if (!Buffer.from(a.buffer, a.byteOffset + o, e - o).equals(Buffer.from(b.buffer, b.byteOffset + o, e - o))) diff = true;
      }
      if (diff) out.push({ row, col });
    }
  }
  return out;
}

function cstr(b: Buffer): string {
  const z = b.indexOf(0);
  return b.subarray(0, z < 0 ? b.length : z).toString('latin1');
}

/** A recognisable picture: colour bars on top, a gradient below, a white frame. */
export function testPattern(width: number, height: number): Uint8Array {
  const bars = [
    [255, 255, 255],
    [255, 255, 0],
    [0, 255, 255],
    [0, 255, 0],
    [255, 0, 255],
    [255, 0, 0],
    [0, 0, 255],
    [0, 0, 0],
  ];
  const p = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 4;
      const c =
        x === 0 || y === 0 || x === width - 1 || y === height - 1
          ? [255, 255, 255]
          : y < height / 2
            ? bars[Math.floor((x * 8) / width)]!
            : [Math.floor((x * 255) / width), Math.floor((y * 255) / height), 128];
      p[o] = c[0]!;
      p[o + 1] = c[1]!;
      p[o + 2] = c[2]!;
    }
  }
  return p;
}
