import { ByteQueue } from '../byte-queue.js';
import { RfbError } from '../errors.js';
import { SecurityType } from './constants.js';
import { PROTOCOL_VERSION_BYTES, encodeProtocolVersion, parseProtocolVersion, serverVersionFor, type RfbVersion } from './version.js';
import { VNC_AUTH_CHALLENGE_BYTES, vncAuthResponse } from './vnc-auth.js';

export { encodeServerInit, type ServerInitMessage } from './server-init.js';

export interface ServerHandshakeDone {
  version: RfbVersion;
  /** ClientInit shared-flag (§7.3.1). */
  shared: boolean;
}

export interface ServerHandshakeResult {
  /** Bytes to write to the client, in order (possibly none). */
  send: Buffer[];
  /** Present once ClientInit has arrived: the caller now sends ServerInit (encodeServerInit). */
  done?: ServerHandshakeDone;
  /** With done: bytes received after ClientInit, the start of the client's message stream. */
  rest?: Buffer;
  /**
   * VNC Authentication failed (RFB_ERR_AUTH_FAILED): `send` holds the failed SecurityResult (with
   * its reason in 3.8); write it, then close the connection. The object is dead afterwards.
   */
  refused?: RfbError;
}

export interface ServerHandshakeOptions {
  /**
   * Require VNC Authentication (§7.2.2) instead of offering None. `challenge` is the 16 random
   * bytes for this connection, made by the caller (this module stays free of I/O and randomness);
   * it is copied. Without this option the handshake offers only None, as before.
   */
  vncAuth?: { password: string; challenge: Uint8Array };
}

type State = 'start' | 'version' | 'security-choice' | 'vnc-response' | 'client-init' | 'done' | 'failed';

/** SecurityResult "failed" (§7.1.3); 3.8 follows it with a reason string. */
const SECURITY_RESULT_FAILED = 1;
const AUTH_FAILED_REASON = 'authentication failed';

/** SecurityResult OK (§7.1.3). */
const SECURITY_RESULT_OK = Buffer.from([0, 0, 0, 0]);

/**
 * The RFB handshake in the server role (a browser's noVNC talks to us), RFC 6143 §7.1–§7.3.
 *
 * We offer version 3.8 and accept 3.3, 3.7 and 3.8 replies (see serverVersionFor for odd ones). By
 * default the only security type offered is None: the one-time viewer URL that opened the WebSocket
 * is the authorisation, and the browser never learns the BMC's credentials. With the `vncAuth`
 * option (the built-in demo console, which stands in for a BMC) the only type offered is VNC
 * Authentication; a wrong response ends with a `refused` result instead of a throw, because the
 * failed SecurityResult still has to reach the client.
 *
 * Socket-free: write `start()` (our ProtocolVersion), feed the client's chunks to `receive()`, write
 * `send` in order; when the result has `done`, reply with `encodeServerInit(...)` and hand `rest` to a
 * ClientMessageReader. Throws RfbError RFB_ERR_BAD_VERSION or RFB_ERR_BAD_SECURITY_TYPE (a choice we
 * did not offer); after a throw the object is dead.
 */
export class ServerHandshake {
  readonly #q = new ByteQueue();
  #state: State = 'start';
  #version: RfbVersion = '3.8';
  #done: ServerHandshakeDone | undefined;
  #refused: RfbError | undefined;
  readonly #vncAuth: { password: string; challenge: Buffer } | undefined;

  constructor(options: ServerHandshakeOptions = {}) {
    if (options.vncAuth) {
      if (options.vncAuth.challenge.length !== VNC_AUTH_CHALLENGE_BYTES) {
        throw new Error(`ServerHandshake: the VNC Authentication challenge must be ${VNC_AUTH_CHALLENGE_BYTES} bytes`);
      }
      this.#vncAuth = { password: options.vncAuth.password, challenge: Buffer.from(options.vncAuth.challenge) };
    }
  }

  /** Our ProtocolVersion, the first bytes of the connection. */
  start(): Buffer {
    if (this.#state !== 'start') throw new Error('ServerHandshake.start() called twice');
    this.#state = 'version';
    return encodeProtocolVersion('3.8');
  }

  /** The version agreed on, once the client's ProtocolVersion has been read. */
  get version(): RfbVersion | undefined {
    return this.#state === 'start' || this.#state === 'version' ? undefined : this.#version;
  }

  /** Takes the next chunk from the client. Keeps a reference to `chunk` until it is consumed. */
  receive(chunk: Uint8Array): ServerHandshakeResult {
    if (this.#state !== 'version' && this.#state !== 'security-choice' && this.#state !== 'vnc-response' && this.#state !== 'client-init') {
      throw new Error(`ServerHandshake.receive() called in state ${this.#state}`);
    }
    this.#q.push(chunk);
    const send: Buffer[] = [];
    try {
      while (this.#step(send)) {
        if (this.#done) return { send, done: this.#done, rest: this.#q.drain() };
        if (this.#refused) return { send, refused: this.#refused };
      }
    } catch (err) {
      this.#state = 'failed';
      throw err;
    }
    return { send };
  }

  #step(send: Buffer[]): boolean {
    const q = this.#q;
    switch (this.#state) {
      case 'version': {
        if (!q.has(PROTOCOL_VERSION_BYTES)) return false;
        this.#version = serverVersionFor(parseProtocolVersion(q.consume(PROTOCOL_VERSION_BYTES)));
        if (this.#vncAuth) {
          if (this.#version === '3.3') {
            // §7.1.2, 3.3: the server decides: U32 2, and the challenge follows at once (§7.2.2).
            const type = Buffer.alloc(4);
            type.writeUInt32BE(SecurityType.VncAuthentication, 0);
            send.push(type, Buffer.from(this.#vncAuth.challenge));
            this.#state = 'vnc-response';
          } else {
            send.push(Buffer.from([1, SecurityType.VncAuthentication]));
            this.#state = 'security-choice';
          }
        } else if (this.#version === '3.3') {
          // §7.1.2, 3.3: the server decides and sends a U32; None has no SecurityResult in 3.3 (§7.2.1).
          const type = Buffer.alloc(4);
          type.writeUInt32BE(SecurityType.None, 0);
          send.push(type);
          this.#state = 'client-init';
        } else {
          // §7.1.2, 3.7 onwards: the list of types we support.
          send.push(Buffer.from([1, SecurityType.None]));
          this.#state = 'security-choice';
        }
        return true;
      }
      case 'security-choice': {
        if (!q.has(1)) return false;
        const chosen = q.readUint8();
        if (this.#vncAuth) {
          if (chosen !== SecurityType.VncAuthentication) {
            throw new RfbError('RFB_ERR_BAD_SECURITY_TYPE', `client chose security type ${chosen}, we offered only VNC Authentication (2)`, 'security-type');
          }
          send.push(Buffer.from(this.#vncAuth.challenge));
          this.#state = 'vnc-response';
          return true;
        }
        if (chosen !== SecurityType.None) {
          throw new RfbError('RFB_ERR_BAD_SECURITY_TYPE', `client chose security type ${chosen}, we offered only None (1)`, 'security-type');
        }
        // §7.2.1 None: 3.8 continues with SecurityResult, 3.7 goes straight to initialisation.
        if (this.#version === '3.8') send.push(Buffer.from(SECURITY_RESULT_OK));
        this.#state = 'client-init';
        return true;
      }
      case 'vnc-response': {
        if (!q.has(VNC_AUTH_CHALLENGE_BYTES)) return false;
        const auth = this.#vncAuth!;
        const ok = sameBytes(q.consume(VNC_AUTH_CHALLENGE_BYTES), vncAuthResponse(auth.password, auth.challenge));
        if (ok) {
          // §7.1.3: after VNC Authentication every version sends SecurityResult.
          send.push(Buffer.from(SECURITY_RESULT_OK));
          this.#state = 'client-init';
          return true;
        }
        send.push(encodeSecurityFailure(this.#version));
        this.#refused = new RfbError('RFB_ERR_AUTH_FAILED', 'the client answered the VNC Authentication challenge with the wrong password', 'SecurityResult');
        this.#state = 'failed';
        return true;
      }
      case 'client-init': {
        if (!q.has(1)) return false;
        // §7.3.1: shared-flag, non-zero is true.
        this.#done = { version: this.#version, shared: q.readUint8() !== 0 };
        this.#state = 'done';
        return true;
      }
      case 'start':
      case 'done':
      case 'failed':
        return false;
    }
  }
}

/** SecurityResult failed (§7.1.3); only 3.8 adds a reason string (U32 length + text). */
function encodeSecurityFailure(version: RfbVersion): Buffer {
  if (version !== '3.8') return Buffer.from([0, 0, 0, SECURITY_RESULT_FAILED]);
  const reason = Buffer.from(AUTH_FAILED_REASON, 'latin1');
  const out = Buffer.alloc(8 + reason.length);
  out.writeUInt32BE(SECURITY_RESULT_FAILED, 0);
  out.writeUInt32BE(reason.length, 4);
  reason.copy(out, 8);
  return out;
}

/** Compares in time independent of where the first difference is (the response is a secret's proof). */
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}
