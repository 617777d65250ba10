import { ByteQueue } from '../byte-queue.js';
import { RfbError } from '../errors.js';
import { LIMITS } from '../limits.js';
import { SecurityType } from './constants.js';
import { decodeDisplayString, peekLengthPrefixed } from './rfb-strings.js';
import { readServerInit, type ServerInitMessage } from './server-init.js';
import { PROTOCOL_VERSION_BYTES, clientVersionFor, encodeProtocolVersion, parseProtocolVersion, type RfbVersion } from './version.js';
import { VNC_AUTH_CHALLENGE_BYTES, vncAuthResponse } from './vnc-auth.js';

export interface ClientHandshakeOptions {
  /** VNC Authentication password; without one, a server that insists on it is RFB_ERR_PASSWORD_REQUIRED. */
  password?: string;
  /** ClientInit shared-flag (§7.3.1): true asks the server to keep other clients connected. */
  shared: boolean;
  /**
   * Highest version to answer with (default '3.8'). For servers whose newer handshake is broken, and
   * for tests that need to drive a real server through the 3.3 or 3.7 handshake.
   */
  maxVersion?: RfbVersion;
}

export interface ServerInit extends ServerInitMessage {
  /** The protocol version the handshake ran at. */
  version: RfbVersion;
}

export interface ClientHandshakeResult {
  /** Bytes to write to the server, in order (possibly none). */
  send: Buffer[];
  /** Present once the handshake is finished. */
  serverInit?: ServerInit;
  /** With serverInit: bytes received after ServerInit, the start of the normal message stream. */
  rest?: Buffer;
}

type State = 'version' | 'security-types' | 'security-type-3.3' | 'vnc-challenge' | 'security-result' | 'server-init' | 'done' | 'failed';

/**
 * The RFB handshake in the client role (we talk to a BMC's VNC server), RFC 6143 §7.1–§7.3: versions
 * 3.3, 3.7 and 3.8, security types None and VNC Authentication, then ClientInit / ServerInit.
 *
 * Socket-free: feed every chunk read from the server to `receive()`, write the returned `send`
 * buffers in order, and stop when the result carries `serverInit`; `rest` is what already arrived of
 * the message stream. When the server closes the connection before that, `closed()` gives the error
 * that best explains why (e.g. a 3.8 SecurityResult failure whose reason was cut off).
 *
 * Malformed or refused handshakes throw RfbError: RFB_ERR_BAD_VERSION, RFB_ERR_SERVER_REFUSED (zero
 * security types, or security-type 0 in 3.3; message carries the server's reason),
 * RFB_ERR_NO_SECURITY_TYPE, RFB_ERR_PASSWORD_REQUIRED, RFB_ERR_AUTH_FAILED (with the server's reason
 * in 3.8), RFB_ERR_TOO_LARGE, RFB_ERR_FRAMEBUFFER_SIZE, RFB_ERR_BAD_PIXEL_FORMAT. After a throw the
 * object is dead; calling receive() again is a programming error.
 */
export class ClientHandshake {
  readonly #password: string | undefined;
  readonly #shared: boolean;
  readonly #maxVersion: RfbVersion;
  readonly #q = new ByteQueue();
  #error: RfbError | undefined;
  #serverInit: ServerInit | undefined;
  #state: State = 'version';
  #version: RfbVersion = '3.8';

  constructor(options: ClientHandshakeOptions) {
    this.#password = options.password;
    this.#shared = options.shared;
    this.#maxVersion = options.maxVersion ?? '3.8';
  }

  /** The version agreed on, once the server's ProtocolVersion has been read. */
  get version(): RfbVersion | undefined {
    return this.#state === 'version' ? undefined : this.#version;
  }

  /** Takes the next chunk from the server. Keeps a reference to `chunk` until it is consumed. */
  receive(chunk: Uint8Array): ClientHandshakeResult {
    if (this.#state === 'done' || this.#state === 'failed') {
      throw new Error(`ClientHandshake.receive() called after the handshake ${this.#state === 'done' ? 'finished' : 'failed'}`);
    }
    this.#q.push(chunk);
    const send: Buffer[] = [];
    try {
      while (this.#step(send)) {
        if (this.#serverInit) {
          return { send, serverInit: this.#serverInit, rest: this.#q.drain() };
        }
      }
    } catch (err) {
      this.#state = 'failed';
      if (err instanceof RfbError) this.#error = err;
      throw err;
    }
    return { send };
  }

  /**
   * The error to report when the server closes the connection before the handshake finished. Most
   * servers send their reason first (and receive() has already thrown it); this covers the rest.
   */
  closed(): RfbError {
    // A server that refused us closes the connection next; the refusal already said why.
    if (this.#error) return this.#error;
    switch (this.#state) {
      case 'security-types':
        if (this.#q.has(1) && this.#q.peekUint8(0) === 0) {
          // Zero security types, with the reason string cut off.
          return new RfbError('RFB_ERR_SERVER_REFUSED', 'the server refused the connection (no reason received)', 'security-types');
        }
        break;
      case 'security-type-3.3':
        if (this.#q.has(4) && this.#q.peekUint32BE(0) === 0) {
          return new RfbError('RFB_ERR_SERVER_REFUSED', 'the server refused the connection (no reason received)', 'security-type');
        }
        break;
      case 'security-result':
        if (this.#q.has(4) && this.#q.peekUint32BE(0) !== 0) {
          return new RfbError('RFB_ERR_AUTH_FAILED', 'authentication failed (no reason received)', 'SecurityResult');
        }
        break;
    }
    return new RfbError('RFB_ERR_CLOSED', `the server closed the connection during the handshake (waiting for ${this.#state})`, this.#state);
  }

  /** One state's work; false when more input is needed. */
  #step(send: Buffer[]): boolean {
    const q = this.#q;
    switch (this.#state) {
      case 'version': {
        if (!q.has(PROTOCOL_VERSION_BYTES)) return false;
        const offered = clientVersionFor(parseProtocolVersion(q.consume(PROTOCOL_VERSION_BYTES)));
        // '3.3' < '3.7' < '3.8' as strings too, so this picks the lower of the two.
        this.#version = offered > this.#maxVersion ? this.#maxVersion : offered;
        send.push(encodeProtocolVersion(this.#version));
        this.#state = this.#version === '3.3' ? 'security-type-3.3' : 'security-types';
        return true;
      }
      case 'security-types': {
        // §7.1.2, 3.7 onwards: U8 number-of-security-types, then that many U8 types.
        if (!q.has(1)) return false;
        const count = q.peekUint8(0);
        if (count === 0) return this.#refused(1, 'security-types');
        if (count > LIMITS.maxSecurityTypes) {
          throw new RfbError('RFB_ERR_TOO_LARGE', `${count} security types is over the limit of ${LIMITS.maxSecurityTypes}`, 'number-of-security-types');
        }
        if (!q.has(1 + count)) return false;
        const types = [...q.consume(1 + count).subarray(1)];
        const chosen = this.#choose(types);
        send.push(Buffer.from([chosen]));
        this.#afterSecurityChoice(chosen, send);
        return true;
      }
      case 'security-type-3.3': {
        // §7.1.2, version 3.3: the server decides, one U32 that "may only take the value 0, 1 or 2".
        if (!q.has(4)) return false;
        const type = q.peekUint32BE(0);
        if (type === 0) return this.#refused(4, 'security-type');
        q.skip(4);
        this.#afterSecurityChoice(this.#choose([type]), send);
        return true;
      }
      case 'vnc-challenge': {
        if (!q.has(VNC_AUTH_CHALLENGE_BYTES)) return false;
        send.push(vncAuthResponse(this.#password!, q.consume(VNC_AUTH_CHALLENGE_BYTES)));
        this.#state = 'security-result';
        return true;
      }
      case 'security-result': {
        // §7.1.3: U32 0 = OK, 1 = failed, 2 = failed, too many attempts (Tight); anything else we
        // also take as a failure. Only 3.8 follows a failure with a reason string.
        if (!q.has(4)) return false;
        const status = q.peekUint32BE(0);
        if (status === 0) {
          q.skip(4);
          send.push(this.#clientInit());
          return true;
        }
        const what = status === 2 ? 'authentication failed, too many attempts' : 'authentication failed';
        if (this.#version !== '3.8') {
          throw new RfbError('RFB_ERR_AUTH_FAILED', what, 'SecurityResult');
        }
        const reason = peekLengthPrefixed(q, 4, LIMITS.maxReasonBytes, 'SecurityResult.reason-length');
        if (!reason) return false;
        throw new RfbError('RFB_ERR_AUTH_FAILED', `${what}: ${decodeDisplayString(reason.bytes)}`, 'SecurityResult');
      }
      case 'server-init': {
        const init = readServerInit(q);
        if (!init) return false;
        this.#serverInit = { ...init, version: this.#version };
        this.#state = 'done';
        return true;
      }
      case 'done':
      case 'failed':
        return false;
    }
  }

  /** Picks None when offered (nothing to get wrong), else VNC Authentication if we have a password. */
  #choose(offered: number[]): number {
    if (offered.includes(SecurityType.None)) return SecurityType.None;
    if (offered.includes(SecurityType.VncAuthentication)) {
      if (this.#password === undefined || this.#password === '') {
        throw new RfbError('RFB_ERR_PASSWORD_REQUIRED', 'the server requires VNC Authentication and no password is configured', 'security-types');
      }
      return SecurityType.VncAuthentication;
    }
    throw new RfbError('RFB_ERR_NO_SECURITY_TYPE', `no security type we support (None, VNC Authentication) among [${offered.join(', ')}]`, 'security-types');
  }

  #afterSecurityChoice(chosen: number, send: Buffer[]): void {
    if (chosen === SecurityType.VncAuthentication) {
      this.#state = 'vnc-challenge';
    } else if (this.#version === '3.8') {
      // §7.2.1 None: 3.8 continues with SecurityResult, 3.3 and 3.7 go straight to initialisation.
      this.#state = 'security-result';
    } else {
      send.push(this.#clientInit());
    }
  }

  #clientInit(): Buffer {
    this.#state = 'server-init';
    return Buffer.from([this.#shared ? 1 : 0]);
  }

  /** Zero security types (3.7+) or type 0 (3.3): a U32-prefixed reason follows `headerBytes`. */
  #refused(headerBytes: number, field: string): boolean {
    const reason = peekLengthPrefixed(this.#q, headerBytes, LIMITS.maxReasonBytes, `${field}.reason-length`);
    if (!reason) return false;
    throw new RfbError('RFB_ERR_SERVER_REFUSED', `the server refused the connection: ${decodeDisplayString(reason.bytes)}`, field);
  }
}
