import { ByteQueue } from '../byte-queue.js';
import { RfbError } from '../errors.js';
import { SecurityType } from './constants.js';
import { PROTOCOL_VERSION_BYTES, encodeProtocolVersion, parseProtocolVersion, serverVersionFor, type RfbVersion } from './version.js';

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
}

type State = 'start' | 'version' | 'security-choice' | 'client-init' | 'done' | 'failed';

/** SecurityResult OK (§7.1.3). */
const SECURITY_RESULT_OK = Buffer.from([0, 0, 0, 0]);

/**
 * The RFB handshake in the server role (a browser's noVNC talks to us), RFC 6143 §7.1–§7.3.
 *
 * We offer version 3.8 and accept 3.3, 3.7 and 3.8 replies (see serverVersionFor for odd ones). The
 * only security type offered is None: the one-time viewer URL that opened the WebSocket is the
 * authorisation, and the browser never learns the BMC's credentials.
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
    if (this.#state !== 'version' && this.#state !== 'security-choice' && this.#state !== 'client-init') {
      throw new Error(`ServerHandshake.receive() called in state ${this.#state}`);
    }
    this.#q.push(chunk);
    const send: Buffer[] = [];
    try {
      while (this.#step(send)) {
        if (this.#done) return { send, done: this.#done, rest: this.#q.drain() };
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
        if (this.#version === '3.3') {
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
        if (chosen !== SecurityType.None) {
          throw new RfbError('RFB_ERR_BAD_SECURITY_TYPE', `client chose security type ${chosen}, we offered only None (1)`, 'security-type');
        }
        // §7.2.1 None: 3.8 continues with SecurityResult, 3.7 goes straight to initialisation.
        if (this.#version === '3.8') send.push(Buffer.from(SECURITY_RESULT_OK));
        this.#state = 'client-init';
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
