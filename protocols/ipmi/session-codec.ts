import { IpmiError } from '../errors.js';
import type { CipherSuite } from './cipher-suites.js';
import type { SessionKeys } from './keys.js';
import { decodeSessionDatagram, openDecodedPacket, sealPacket } from './session-crypto.js';
import { SequenceWindow } from './sequence-window.js';

/**
 * The pure state of one established RMCP+ session, as seen from one end: which session ID goes on
 * outbound packets and which is expected inbound, the outbound sequence counter, the inbound window.
 * The console sends with the BMC's ID (SIDc) and receives packets carrying its own (SIDm); the BMC
 * role (our test responder) is the mirror image.
 */
export interface SessionCodecOptions {
  readonly suite: CipherSuite;
  readonly keys: SessionKeys;
  /** Session ID written into packets we send (the peer's ID). */
  readonly outboundSessionId: number;
  /** Session ID inbound packets must carry (our ID). */
  readonly inboundSessionId: number;
  /** First outbound sequence number (1 unless a test wants another). */
  readonly firstSequence?: number;
}

export interface OpenedPayload {
  readonly payloadType: number;
  readonly sessionSeq: number;
  readonly payload: Buffer;
}

export class SessionCodec {
  readonly suite: CipherSuite;
  readonly #keys: SessionKeys;
  readonly outboundSessionId: number;
  readonly inboundSessionId: number;
  #nextSeq: number;
  readonly #window = new SequenceWindow();

  constructor(o: SessionCodecOptions) {
    this.suite = o.suite;
    this.#keys = o.keys;
    this.outboundSessionId = o.outboundSessionId >>> 0;
    this.inboundSessionId = o.inboundSessionId >>> 0;
    this.#nextSeq = (o.firstSequence ?? 1) >>> 0 || 1;
  }

  /**
   * Protects one payload with the next outbound sequence number. Every datagram gets a new number,
   * retransmissions included (notes §1.8); 0 is skipped on wrap (§6.12.13).
   */
  seal(payloadType: number, payload: Uint8Array, iv?: Uint8Array): Buffer {
    const sessionSeq = this.#nextSeq;
    this.#nextSeq = (this.#nextSeq + 1) >>> 0 || 1;
    return sealPacket(this.suite, this.#keys, {
      payloadType,
      sessionId: this.outboundSessionId,
      sessionSeq,
      payload,
      ...(iv ? { iv } : {}),
    });
  }

  /**
   * Checks one inbound datagram: framing, session ID, sequence window, authcode, decryption. Throws an
   * IpmiError naming what failed; the window moves only for packets that pass every check.
   */
  open(datagram: Buffer): OpenedPayload {
    const packet = decodeSessionDatagram(this.suite, datagram);
    if (packet.sessionId !== this.inboundSessionId) {
      throw new IpmiError(
        'IPMI_ERR_WRONG_SESSION_ID',
        `packet for session 0x${packet.sessionId.toString(16)}, ours is 0x${this.inboundSessionId.toString(16)}`,
        'sessionId',
      );
    }
    this.#window.check(packet.sessionSeq);
    const opened = openDecodedPacket(this.suite, this.#keys, packet);
    this.#window.commit(packet.sessionSeq);
    return { payloadType: packet.payloadType, sessionSeq: packet.sessionSeq, payload: opened.payload };
  }
}
