import { ByteQueue } from '../byte-queue.js';
import { AtenError } from '../errors.js';
import { LIMITS } from '../limits.js';
import {
  ATEN_BANNERS,
  ATEN_CHALLENGE_BYTES,
  ATEN_CREDENTIAL_FIELD_BYTES,
  ATEN_SECURITY_TYPE,
  ATEN_SERVER_INIT_TRAILER_BYTES,
  type AtenBanner,
} from './constants.js';

/** What the ATEN ServerInit says. Width, height and pixel format are placeholders, not the screen. */
export interface AtenServerInit {
  banner: AtenBanner;
  /** Placeholder size (often 480x640): the real resolution comes with the first video rectangle. */
  width: number;
  height: number;
  /** The 16 PIXEL_FORMAT bytes as sent. ATEN ignores them: Hermon is RGB555, AST2100 is YCbCr. */
  pixelFormat: Buffer;
  name: string;
  /** Trailer bytes 0..7, not understood (Insyde/HTML5 firmware puts a session id in 4..7). */
  trailerUnknown: Buffer;
  /** Trailer bytes 4..7 as a u32 (the session id on firmware that sets it, else 0 or noise). */
  sessionId: number;
  /** Trailer byte 8: IKVMVideoEnable. 0 = the BMC gives this session no video. */
  videoEnabled: boolean;
  /** Trailer byte 9: IKVMKMEnable. 0 = a view-only session (keyboard/mouse ignored). */
  keyboardMouseEnabled: boolean;
  /** Trailer byte 10: IKVMKickEnable. */
  kickEnabled: boolean;
  /** Trailer byte 11: VUSBEnable (virtual media). */
  virtualMediaEnabled: boolean;
}

export interface AtenHandshakeOptions {
  /** JNLP argument 1 (or the HTML5 ticket). ASCII, at most 24 bytes; NUL-padded on the wire. */
  username: string | Uint8Array;
  /** JNLP argument 2. At most 24 bytes. */
  password: string | Uint8Array;
  /** ClientInit shared flag. Both 0 and 1 work on real boards; 1 lets the BMC's own viewer coexist. */
  shared?: boolean;
  /**
   * Send ClientInit in the same write as the credentials instead of after SecurityResult. One
   * proxy (mkrasselt1/supermicro-kvm-html5, X9SCM) needed this because its BMC drops clients that
   * take more than ~100 ms between SecurityResult and ClientInit; a direct client answering from
   * the same `receive()` call is fast enough, so it is off by default.
   */
  pipelineClientInit?: boolean;
  /**
   * Stop once the 24-byte challenge has been read, sending no credentials: the step then carries
   * `challenge` and the handshake is over. For `bmc-gateway probe`, which tells an ATEN KVM port
   * from others without logging in (the real X9-X11 captures in shared/fixtures end at the same
   * point: the capturing client hung up there too). `username`/`password` are then unused.
   */
  stopAtChallenge?: boolean;
}

export interface AtenHandshakeStep {
  /** Bytes to write to the server, in order. */
  send: Buffer[];
  /** Set once, when the ServerInit has been read: the handshake is over. */
  serverInit?: AtenServerInit;
  /** Bytes that arrived after the ServerInit: the first server messages (feed them to the reader). */
  rest?: Buffer;
  /** With `stopAtChallenge`: the 24 opaque bytes (a copy); the handshake is over. */
  challenge?: Buffer;
}

const enum State {
  Banner,
  SecurityTypes,
  Challenge,
  SecurityResult,
  ServerInit,
  Done,
}

/**
 * The client role of the ATEN iKVM handshake (RFB 3.8 with ATEN's deviations), as a pure state
 * machine: feed it what the server sends, write what it returns.
 *
 *   S banner(12) → C the same 12 bytes      (echo verbatim; AST2400 boards send 055.008 and close otherwise)
 *   S n, types[n] → C 16                    (type 16 is ATEN's, no TightVNC tunnel/auth lists follow)
 *   S 24 opaque bytes, discarded            (every working client skips exactly 24)
 *   C user[24] ‖ pass[24]                   (NUL-padded, no DES)
 *   S u32 SecurityResult (0 = OK) → C ClientInit (at once: BMCs time out within ~100 ms)
 *   S ServerInit: w, h, PIXEL_FORMAT, u32 nameLen, name, 12-byte ATEN trailer
 */
export class AtenClientHandshake {
  #q = new ByteQueue();
  #state = State.Banner;
  #banner: AtenBanner | undefined;
  readonly #credentials: Buffer;
  readonly #clientInit: Buffer;
  readonly #pipeline: boolean;
  readonly #stopAtChallenge: boolean;

  constructor(options: AtenHandshakeOptions) {
    this.#credentials = Buffer.concat([credentialField(options.username, 'username'), credentialField(options.password, 'password')]);
    this.#clientInit = Buffer.from([options.shared === false ? 0 : 1]);
    this.#pipeline = options.pipelineClientInit === true;
    this.#stopAtChallenge = options.stopAtChallenge === true;
  }

  get done(): boolean {
    return this.#state === State.Done;
  }

  /** Feeds bytes from the server. Keeps a reference to `chunk` until it is consumed. */
  receive(chunk: Uint8Array): AtenHandshakeStep {
    if (this.#state === State.Done) {
      throw new AtenError('ATEN_ERR_HANDSHAKE_OVER', 'the handshake is finished; feed the message reader', 'handshake');
    }
    this.#q.push(chunk);
    const send: Buffer[] = [];
    for (;;) {
      switch (this.#state) {
        case State.Banner: {
          if (!this.#q.has(12)) return { send };
          const banner = this.#q.consume(12).toString('latin1');
          if (!(ATEN_BANNERS as readonly string[]).includes(banner)) {
            throw new AtenError('ATEN_ERR_VERSION', `unexpected banner ${JSON.stringify(banner)}`, 'ProtocolVersion');
          }
          this.#banner = banner as AtenBanner;
          send.push(Buffer.from(banner, 'latin1'));
          this.#state = State.SecurityTypes;
          break;
        }
        case State.SecurityTypes: {
          if (!this.#q.has(1)) return { send };
          const n = this.#q.peekUint8(0);
          if (n === 0) {
            // Standard RFB 3.8 refusal: u32 reason length + reason.
            if (!this.#q.has(5)) return { send };
            const len = this.#q.peekUint32BE(1);
            if (len > LIMITS.maxReasonBytes) {
              throw new AtenError('ATEN_ERR_LIMIT', `reason of ${len} bytes exceeds ${LIMITS.maxReasonBytes}`, 'security-failure-reason');
            }
            if (!this.#q.has(5 + len)) return { send };
            this.#q.skip(5);
            const reason = this.#q.consume(len).toString('utf8');
            throw new AtenError('ATEN_ERR_SERVER_REFUSED', `server refused the connection: ${reason}`, 'security-types');
          }
          if (!this.#q.has(1 + n)) return { send };
          this.#q.skip(1);
          const types = [...this.#q.consume(n)];
          if (!types.includes(ATEN_SECURITY_TYPE)) {
            throw new AtenError('ATEN_ERR_SECURITY_TYPE', `server offers [${types.join(', ')}], not ATEN's type 16`, 'security-types');
          }
          send.push(Buffer.from([ATEN_SECURITY_TYPE]));
          this.#state = State.Challenge;
          break;
        }
        case State.Challenge: {
          if (!this.#q.has(ATEN_CHALLENGE_BYTES)) return { send };
          if (this.#stopAtChallenge) {
            this.#state = State.Done;
            return { send, challenge: Buffer.from(this.#q.consume(ATEN_CHALLENGE_BYTES)) };
          }
          // Opaque and different on every connection (one capture looks like stack memory); unused.
          this.#q.skip(ATEN_CHALLENGE_BYTES);
          send.push(this.#credentials);
          if (this.#pipeline) send.push(this.#clientInit);
          this.#state = State.SecurityResult;
          break;
        }
        case State.SecurityResult: {
          if (!this.#q.has(4)) return { send };
          const result = this.#q.readUint32BE();
          if (result !== 0) {
            // 1 = refused, 2 = too many attempts (kelleyk/noVNC). Firmware differs on whether a reason
            // string follows, and an expired one-time token just closes the socket, so none is awaited.
            const why = result === 2 ? 'too many authentication attempts' : 'credentials refused (one-time KVM tokens are single-use)';
            throw new AtenError('ATEN_ERR_AUTH_FAILED', `SecurityResult ${result}: ${why}`, 'SecurityResult');
          }
          if (!this.#pipeline) send.push(this.#clientInit);
          this.#state = State.ServerInit;
          break;
        }
        case State.ServerInit: {
          const fixed = 2 + 2 + 16 + 4;
          if (!this.#q.has(fixed)) return { send };
          const nameLen = this.#q.peekUint32BE(20);
          if (nameLen > LIMITS.maxNameBytes) {
            throw new AtenError('ATEN_ERR_LIMIT', `desktop name of ${nameLen} bytes exceeds ${LIMITS.maxNameBytes}`, 'ServerInit.name-length');
          }
          const total = fixed + nameLen + ATEN_SERVER_INIT_TRAILER_BYTES;
          if (!this.#q.has(total)) return { send };
          const b = Buffer.from(this.#q.consume(total)); // copied: it outlives the chunk
          const trailer = b.subarray(fixed + nameLen);
          const serverInit: AtenServerInit = {
            banner: this.#banner!,
            width: b.readUInt16BE(0),
            height: b.readUInt16BE(2),
            pixelFormat: b.subarray(4, 20),
            name: b.subarray(fixed, fixed + nameLen).toString('utf8'),
            trailerUnknown: trailer.subarray(0, 8),
            sessionId: trailer.readUInt32BE(4),
            videoEnabled: trailer[8] !== 0,
            keyboardMouseEnabled: trailer[9] !== 0,
            kickEnabled: trailer[10] !== 0,
            virtualMediaEnabled: trailer[11] !== 0,
          };
          this.#state = State.Done;
          const step: AtenHandshakeStep = { send, serverInit };
          if (this.#q.length > 0) step.rest = Buffer.from(this.#q.drain());
          return step;
        }
        default:
          return { send };
      }
    }
  }
}

function credentialField(value: string | Uint8Array, field: string): Buffer {
  const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : Buffer.from(value);
  if (bytes.length > ATEN_CREDENTIAL_FIELD_BYTES) {
    // A programming/config error, but reported as the typed error so the API can show it.
    throw new AtenError('ATEN_ERR_CREDENTIAL_TOO_LONG', `${bytes.length} bytes; the field holds ${ATEN_CREDENTIAL_FIELD_BYTES}`, field);
  }
  const out = Buffer.alloc(ATEN_CREDENTIAL_FIELD_BYTES);
  bytes.copy(out);
  return out;
}

/**
 * Whether 24 bytes read after choosing security type 16 are a TightVNC capability list rather than
 * ATEN's opaque challenge. Type 16 is "Tight" in rfbproto ("Tight Security Type"): a real TightVNC
 * server sends U32 number-of-tunnels, then (with no tunnels) U32 number-of-auth-types and 16-byte
 * capabilities (U32 code, 4-byte vendor such as "STDV"/"TGHT", 8-byte name such as "VNCAUTH_"). With
 * one auth type that is also 24 bytes, so the content decides: no tunnels, 1..16 auth types, and a
 * first capability whose vendor is four capital letters and whose name is printable. ATEN's block is
 * not that: X9 ones start `abf95fbe`, and the X10/X11 ones that start with four zero bytes carry a
 * large second word or zeros there (shared/fixtures/aten/handshakes; kelleyk/noVNC's detection
 * heuristics in notes §2.2 rest on the same difference).
 */
export function looksLikeTightCapabilities(block: Uint8Array): boolean {
  if (block.length < 24) return false;
  const b = Buffer.from(block.buffer, block.byteOffset, block.length);
  const authTypes = b.readUInt32BE(4);
  if (b.readUInt32BE(0) !== 0 || authTypes < 1 || authTypes > 16) return false;
  const vendor = b.subarray(12, 16).toString('latin1');
  const name = b.subarray(16, 24).toString('latin1');
  return /^[A-Z]{4}$/.test(vendor) && /^[\x21-\x7e]{8}$/.test(name);
}
