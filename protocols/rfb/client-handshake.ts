import { ByteQueue } from '../byte-queue.js';
import { RfbError } from '../errors.js';
import { LIMITS } from '../limits.js';
import { SecurityType } from './constants.js';
import { decodeDisplayString, peekLengthPrefixed } from './rfb-strings.js';
import { readServerInit, type ServerInitMessage } from './server-init.js';
import { PROTOCOL_VERSION_BYTES, clientVersionFor, encodeProtocolVersion, parseProtocolVersion, type RfbVersion, type VersionNumber } from './version.js';
import { chooseSubtype, chooseTlsType, encodePlainCredentials, SUBTYPES, subtypeName, type StartTls, type SubAuth, type TlsMode } from './tls-security.js';
import { VNC_AUTH_CHALLENGE_BYTES, vncAuthResponse } from './vnc-auth.js';

export type { StartTls, TlsMode } from './tls-security.js';

export interface ClientHandshakeOptions {
  /** VNC Authentication password; without one, a server that insists on it is RFB_ERR_PASSWORD_REQUIRED. */
  password?: string;
  /** User name for VeNCrypt's Plain subtypes (TLSPlain, X509Plain), sent with `password` inside TLS. */
  user?: string;
  /** Whether to take TLS security types (18, 19): default `off`, for callers that cannot start TLS. */
  tls?: TlsMode;
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
  /**
   * Present when the caller must now run a TLS handshake over the connection (after writing `send`)
   * and then call tlsEstablished(); until then receive() must not be called.
   */
  startTls?: StartTls;
}

type State =
  | 'version'
  | 'security-types'
  | 'security-type-3.3'
  | 'vencrypt-version'
  | 'vencrypt-ack'
  | 'vencrypt-subtypes'
  | 'vencrypt-subtype-ack'
  | 'tls'
  | 'tls-security-types'
  | 'vnc-challenge'
  | 'security-result'
  | 'server-init'
  | 'done'
  | 'failed';

/**
 * The RFB handshake in the client role (we talk to a BMC's VNC server), RFC 6143 §7.1–§7.3: versions
 * 3.3, 3.7 and 3.8, security types None and VNC Authentication, then ClientInit / ServerInit; with
 * `tls` not `off`, also TLS (18) and VeNCrypt (19, subtypes TLS/X509 × None/Vnc/Plain; see
 * tls-security.ts). For those the result carries `startTls` at the point where the TLS handshake
 * belongs: the caller wraps the connection in TLS (this class never touches a socket), calls
 * tlsEstablished(), and feeds the decrypted bytes from then on.
 *
 * Socket-free: feed every chunk read from the server to `receive()`, write the returned `send`
 * buffers in order, and stop when the result carries `serverInit`; `rest` is what already arrived of
 * the message stream. When the server closes the connection before that, `closed()` gives the error
 * that best explains why (e.g. a 3.8 SecurityResult failure whose reason was cut off).
 *
 * Malformed or refused handshakes throw RfbError: RFB_ERR_BAD_VERSION, RFB_ERR_SERVER_REFUSED (zero
 * security types, or security-type 0 in 3.3; message carries the server's reason),
 * RFB_ERR_NO_SECURITY_TYPE, RFB_ERR_PASSWORD_REQUIRED, RFB_ERR_AUTH_FAILED (with the server's reason
 * in 3.8), RFB_ERR_TOO_LARGE, RFB_ERR_FRAMEBUFFER_SIZE, RFB_ERR_BAD_PIXEL_FORMAT, RFB_ERR_TLS_REQUIRED,
 * RFB_ERR_VENCRYPT (VeNCrypt version or acknowledgement refused), RFB_ERR_UNEXPECTED_DATA (bytes
 * before the TLS handshake). After a throw the object is dead; calling receive() again is a
 * programming error.
 */
export class ClientHandshake {
  readonly #password: string | undefined;
  readonly #user: string | undefined;
  readonly #tls: TlsMode;
  readonly #shared: boolean;
  readonly #maxVersion: RfbVersion;
  readonly #q = new ByteQueue();
  #error: RfbError | undefined;
  #serverInit: ServerInit | undefined;
  #state: State = 'version';
  #version: RfbVersion = '3.8';
  #startTls: StartTls | undefined;
  /** What follows the TLS handshake. */
  #afterTls: SubAuth | 'security-types' = 'none';
  #serverVersion: VersionNumber | undefined;
  #securityTypes: readonly number[] | undefined;
  #vencryptSubtypes: readonly number[] | undefined;
  #tlsSecurityTypes: readonly number[] | undefined;

  constructor(options: ClientHandshakeOptions) {
    this.#password = options.password;
    this.#user = options.user;
    this.#tls = options.tls ?? 'off';
    this.#shared = options.shared;
    this.#maxVersion = options.maxVersion ?? '3.8';
  }

  /** The version agreed on, once the server's ProtocolVersion has been read. */
  get version(): RfbVersion | undefined {
    return this.#state === 'version' ? undefined : this.#version;
  }

  /** The version the server's ProtocolVersion offered (e.g. 3.889, or ATEN's 55.8), once read. */
  get serverVersion(): VersionNumber | undefined {
    return this.#serverVersion;
  }

  /**
   * The security types the server offered (3.7+), or the one it decided on (3.3), once read; kept
   * after a throw, so a caller that only looks (`bmc-gateway probe`) learns the offer even when none
   * of it is one we speak.
   */
  get securityTypes(): readonly number[] | undefined {
    return this.#securityTypes;
  }

  /** The VeNCrypt subtypes the server offered, once read (same use). */
  get vencryptSubtypes(): readonly number[] | undefined {
    return this.#vencryptSubtypes;
  }

  /** Type 18: the second list, inside TLS, once read (empty: straight to SecurityResult). */
  get tlsSecurityTypes(): readonly number[] | undefined {
    return this.#tlsSecurityTypes;
  }

  /** Takes the next chunk from the server. Keeps a reference to `chunk` until it is consumed. */
  receive(chunk: Uint8Array): ClientHandshakeResult {
    if (this.#state === 'done' || this.#state === 'failed' || this.#state === 'tls') {
      throw new Error(
        `ClientHandshake.receive() called ${this.#state === 'tls' ? 'before tlsEstablished()' : `after the handshake ${this.#state === 'done' ? 'finished' : 'failed'}`}`,
      );
    }
    this.#q.push(chunk);
    return this.#run([]);
  }

  /**
   * The TLS session asked for by `startTls` is up: returns what to send inside it (Plain credentials
   * go first, unasked); feed receive() with the decrypted stream from now on.
   */
  tlsEstablished(): ClientHandshakeResult {
    if (this.#state !== 'tls') throw new Error(`ClientHandshake.tlsEstablished() called in state ${this.#state}`);
    const send: Buffer[] = [];
    switch (this.#afterTls) {
      case 'security-types':
        this.#state = 'tls-security-types';
        break;
      case 'none':
        // rfbproto "Subtypes with None suffix": straight to SecurityResult, whatever the version.
        this.#state = 'security-result';
        break;
      case 'vnc':
        this.#state = 'vnc-challenge';
        break;
      case 'plain':
        send.push(encodePlainCredentials(this.#user!, this.#password!));
        this.#state = 'security-result';
        break;
    }
    return this.#run(send);
  }

  #run(send: Buffer[]): ClientHandshakeResult {
    try {
      while (this.#step(send)) {
        if (this.#serverInit) {
          return { send, serverInit: this.#serverInit, rest: this.#q.drain() };
        }
        if (this.#state === 'tls') {
          // The server speaks next only inside TLS (it waits for our ClientHello): anything already
          // here is not a TLS record we could hand on, and not RFB either.
          if (this.#q.length > 0) {
            throw new RfbError('RFB_ERR_UNEXPECTED_DATA', `${this.#q.length} bytes arrived before the TLS handshake`, 'tls');
          }
          return { send, startTls: this.#startTls! };
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
        this.#serverVersion = parseProtocolVersion(q.consume(PROTOCOL_VERSION_BYTES));
        const offered = clientVersionFor(this.#serverVersion);
        // '3.3' < '3.7' < '3.8' as strings too, so this picks the lower of the two.
        this.#version = offered > this.#maxVersion ? this.#maxVersion : offered;
        send.push(encodeProtocolVersion(this.#version));
        this.#state = this.#version === '3.3' ? 'security-type-3.3' : 'security-types';
        return true;
      }
      case 'security-types': {
        // §7.1.2, 3.7 onwards: U8 number-of-security-types, then that many U8 types.
        if (!q.has(1)) return false;
        if (q.peekUint8(0) === 0) return this.#refused(1, 'security-types');
        return this.#securityTypeList(send, 'number-of-security-types', (types) => {
          this.#securityTypes = types;
          return chooseTlsType(types, this.#tls) ?? this.#choose(types);
        });
      }
      case 'vencrypt-version': {
        // rfbproto "VeNCrypt": U8 major, U8 minor of the highest version the server speaks; we speak
        // 0.2 only (0.1 is not described anywhere current), so we answer 0.2 when the server has it.
        if (!q.has(2)) return false;
        const [major, minor] = [q.peekUint8(0), q.peekUint8(1)];
        q.skip(2);
        if (major === 0 && minor < 2) {
          throw new RfbError('RFB_ERR_VENCRYPT', `the server speaks VeNCrypt ${major}.${minor}; we speak 0.2`, 'VeNCrypt.version');
        }
        send.push(Buffer.from([0, 2]));
        this.#state = 'vencrypt-ack';
        return true;
      }
      case 'vencrypt-ack': {
        // "Non-zero value means failure and connection will be closed."
        if (!q.has(1)) return false;
        const ack = q.readUint8();
        if (ack !== 0) throw new RfbError('RFB_ERR_VENCRYPT', `the server refused VeNCrypt 0.2 (status ${ack})`, 'VeNCrypt.ack');
        this.#state = 'vencrypt-subtypes';
        return true;
      }
      case 'vencrypt-subtypes': {
        // U8 subtypes length, that many U32 subtypes; we answer with one U32.
        if (!q.has(1)) return false;
        const count = q.peekUint8(0);
        if (count > LIMITS.maxSecurityTypes) {
          throw new RfbError('RFB_ERR_TOO_LARGE', `${count} VeNCrypt subtypes is over the limit of ${LIMITS.maxSecurityTypes}`, 'VeNCrypt.subtypes-length');
        }
        if (count === 0) throw new RfbError('RFB_ERR_SERVER_REFUSED', 'the server offers no VeNCrypt subtype', 'VeNCrypt.subtypes-length');
        if (!q.has(1 + 4 * count)) return false;
        const b = q.consume(1 + 4 * count);
        const offered = Array.from({ length: count }, (_, i) => b.readUInt32BE(1 + 4 * i));
        this.#vencryptSubtypes = offered;
        const chosen = chooseSubtype(offered, { password: this.#password, user: this.#user });
        const out = Buffer.alloc(4);
        out.writeUInt32BE(chosen);
        send.push(out);
        const sub = SUBTYPES.get(chosen)!;
        this.#startTls = { kind: sub.kind, securityType: SecurityType.VeNCrypt, subtype: chosen };
        this.#afterTls = sub.auth;
        this.#state = 'vencrypt-subtype-ack';
        return true;
      }
      case 'vencrypt-subtype-ack': {
        // "For TLS and X509 subtypes ... Non-one value means failure and connection will be closed."
        if (!q.has(1)) return false;
        const ack = q.readUint8();
        if (ack !== 1)
          throw new RfbError(
            'RFB_ERR_VENCRYPT',
            `the server refused VeNCrypt subtype ${subtypeName(this.#startTls!.subtype!)} (status ${ack})`,
            'VeNCrypt.subtype-ack',
          );
        this.#state = 'tls';
        return true;
      }
      case 'tls':
        return false;
      case 'tls-security-types': {
        // Type 18 (vino, gtk-vnc's vnc_connection_perform_auth_tls): inside TLS a second U8 count
        // and U8 list; zero types means "straight to SecurityResult".
        if (!q.has(1)) return false;
        if (q.peekUint8(0) === 0) {
          q.skip(1);
          this.#tlsSecurityTypes = [];
          this.#state = 'security-result';
          return true;
        }
        return this.#securityTypeList(send, 'TLS.number-of-security-types', (types) => {
          this.#tlsSecurityTypes = types;
          return this.#choose(types);
        });
      }
      case 'security-type-3.3': {
        // §7.1.2, version 3.3: the server decides, one U32 that "may only take the value 0, 1 or 2".
        if (!q.has(4)) return false;
        const type = q.peekUint32BE(0);
        if (type === 0) return this.#refused(4, 'security-type');
        q.skip(4);
        this.#securityTypes = [type];
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

  /**
   * A non-empty U8 count + U8 types list at the head of the queue (§7.1.2): bounded, then answered
   * with the type `choose` picks, whose exchange follows.
   */
  #securityTypeList(send: Buffer[], field: string, choose: (types: number[]) => number): boolean {
    const count = this.#q.peekUint8(0);
    if (count > LIMITS.maxSecurityTypes) {
      throw new RfbError('RFB_ERR_TOO_LARGE', `${count} security types is over the limit of ${LIMITS.maxSecurityTypes}`, field);
    }
    if (!this.#q.has(1 + count)) return false;
    const chosen = choose([...this.#q.consume(1 + count).subarray(1)]);
    send.push(Buffer.from([chosen]));
    this.#afterSecurityChoice(chosen, send);
    return true;
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
    throw new RfbError(
      'RFB_ERR_NO_SECURITY_TYPE',
      `no security type we support (None, VNC Authentication${this.#tls === 'off' ? '' : ', TLS, VeNCrypt'}) among [${offered.join(', ')}]`,
      'security-types',
    );
  }

  #afterSecurityChoice(chosen: number, send: Buffer[]): void {
    if (chosen === SecurityType.VeNCrypt) {
      this.#state = 'vencrypt-version';
    } else if (chosen === SecurityType.TLS) {
      this.#startTls = { kind: 'anonymous', securityType: SecurityType.TLS };
      this.#afterTls = 'security-types';
      this.#state = 'tls';
    } else if (chosen === SecurityType.VncAuthentication) {
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
