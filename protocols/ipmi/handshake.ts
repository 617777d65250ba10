import { randomBytes } from 'node:crypto';
import { IpmiError } from '../errors.js';
import type { CipherSuite } from './cipher-suites.js';
import { PayloadType, RAKP_NAME_ONLY_LOOKUP } from './constants.js';
import { rmcpPlusStatusError } from './completion-codes.js';
import { deriveSessionKeys, type SessionKeys } from './keys.js';
import {
  decodeOpenSessionResponse,
  decodeRakp2,
  decodeRakp4,
  encodeOpenSessionRequest,
  encodeRakp1,
  encodeRakp3,
  rakp3AuthCode,
  verifyRakp2,
  verifyRakp4,
  type RakpContext,
} from './rakp.js';
import { decodeRmcpPacket, encodeV20Packet } from './rmcp-packet.js';
import { SessionCodec } from './session-codec.js';

/**
 * The console side of RMCP+ session establishment (IPMI v2.0 §13.15–13.23) as a pure state machine:
 * Open Session Request → Response, RAKP1 → RAKP2, RAKP3 → RAKP4, then a SessionCodec with the keys.
 * Setup messages travel unauthenticated with session ID 0 in the header.
 *
 * A reply that belongs to an earlier attempt (other tag, other payload type, other session ID) throws
 * IPMI_ERR_STALE_MESSAGE, which a caller drops; every other throw ends this attempt.
 */

export interface HandshakeOptions {
  readonly suite: CipherSuite;
  /** User name bytes (≤ 16). */
  readonly userName: Buffer;
  /** Kuid: the password bytes (≤ 20). */
  readonly kuid: Buffer;
  /** Kg when the BMC has one; SIK is keyed with it instead of Kuid (§13.31). */
  readonly kg?: Buffer | null;
  /** Requested privilege level 1..4. */
  readonly privilege: number;
  /** SIDm; random non-zero when not given. */
  readonly consoleSessionId?: number;
  /** Message tag (echoed by the BMC); random when not given. */
  readonly tag?: number;
  /** Fixed Rm for tests; random otherwise. */
  readonly rm?: Buffer;
}

export type HandshakeStep =
  | { readonly type: 'send'; readonly datagram: Buffer }
  | {
      readonly type: 'established';
      readonly codec: SessionCodec;
      readonly keys: SessionKeys;
      readonly consoleSessionId: number;
      readonly bmcSessionId: number;
      readonly bmcGuid: Buffer;
      readonly maxPrivilege: number;
    };

type State = 'start' | 'open-session' | 'rakp2' | 'rakp4' | 'done';

export class ClientHandshake {
  readonly #o: HandshakeOptions;
  readonly consoleSessionId: number;
  readonly #tag: number;
  readonly #rm: Buffer;
  readonly #role: number;
  #state: State = 'start';
  #bmcSessionId = 0;
  #maxPrivilege = 0;
  #ctx: RakpContext | null = null;

  constructor(o: HandshakeOptions) {
    this.#o = o;
    this.consoleSessionId = (o.consoleSessionId ?? randomBytes(4).readUInt32LE(0) | 1) >>> 0;
    this.#tag = (o.tag ?? randomBytes(1)[0]!) & 0xff;
    this.#rm = o.rm ?? randomBytes(16);
    this.#role = (o.privilege & 0x0f) | RAKP_NAME_ONLY_LOOKUP;
  }

  /** The Open Session Request datagram that starts the exchange. */
  start(): Buffer {
    if (this.#state !== 'start') throw new IpmiError('IPMI_ERR_BAD_STATE', 'handshake already started', 'state');
    this.#state = 'open-session';
    const s = this.#o.suite;
    return setupDatagram(
      PayloadType.OPEN_SESSION_REQUEST,
      encodeOpenSessionRequest({
        tag: this.#tag,
        maxPrivilege: this.#o.privilege,
        consoleSessionId: this.consoleSessionId,
        authAlgorithm: s.authAlgorithm,
        integrityAlgorithm: s.integrityAlgorithm,
        confidentialityAlgorithm: s.confidentialityAlgorithm,
      }),
    );
  }

  /** Feeds one inbound datagram; returns what to send next or the established session. */
  receive(datagram: Buffer): HandshakeStep {
    const packet = decodeRmcpPacket(datagram, 0);
    if (packet.type !== 'v20') throw stale('IPMI v1.5 packet during RMCP+ setup');
    const s = this.#o.suite;
    switch (this.#state) {
      case 'open-session': {
        if (packet.payloadType !== PayloadType.OPEN_SESSION_RESPONSE) throw stale(`payload type 0x${packet.payloadType.toString(16)}`);
        const r = decodeOpenSessionResponse(packet.payload);
        this.#checkTagAndId(r.tag, r.consoleSessionId, r.status);
        if (r.status !== 0) throw rmcpPlusStatusError(r.status, 'Open Session');
        if (r.authAlgorithm !== s.authAlgorithm || r.integrityAlgorithm !== s.integrityAlgorithm || r.confidentialityAlgorithm !== s.confidentialityAlgorithm) {
          throw new IpmiError('IPMI_ERR_CIPHER_SUITE_REJECTED', `BMC answered with other algorithms than cipher suite ${s.id}`, 'openSessionResponse');
        }
        if (r.bmcSessionId === 0) throw new IpmiError('IPMI_ERR_BAD_SESSION_SETUP', 'BMC session ID 0', 'bmcSessionId');
        this.#bmcSessionId = r.bmcSessionId;
        this.#maxPrivilege = r.maxPrivilege;
        this.#state = 'rakp2';
        return {
          type: 'send',
          datagram: setupDatagram(
            PayloadType.RAKP1,
            encodeRakp1({
              tag: this.#tag,
              bmcSessionId: this.#bmcSessionId,
              rm: this.#rm,
              role: this.#role,
              userName: this.#o.userName,
            }),
          ),
        };
      }
      case 'rakp2': {
        if (packet.payloadType !== PayloadType.RAKP2) throw stale(`payload type 0x${packet.payloadType.toString(16)}`);
        const r = decodeRakp2(packet.payload, s.keyExchangeAuthCodeLength);
        this.#checkTagAndId(r.tag, r.consoleSessionId, r.status);
        if (r.status !== 0) throw rmcpPlusStatusError(r.status, 'RAKP2');
        const ctx: RakpContext = {
          suite: s,
          consoleSessionId: this.consoleSessionId,
          bmcSessionId: this.#bmcSessionId,
          rm: this.#rm,
          rc: Buffer.from(r.rc),
          bmcGuid: Buffer.from(r.bmcGuid),
          role: this.#role,
          userName: this.#o.userName,
        };
        verifyRakp2(ctx, this.#o.kuid, r.keyExchangeAuthCode);
        this.#ctx = ctx;
        this.#state = 'rakp4';
        const code = s.authHash === null ? Buffer.alloc(0) : rakp3AuthCode(ctx, this.#o.kuid);
        return {
          type: 'send',
          datagram: setupDatagram(PayloadType.RAKP3, encodeRakp3({ tag: this.#tag, status: 0, bmcSessionId: this.#bmcSessionId, keyExchangeAuthCode: code })),
        };
      }
      case 'rakp4': {
        if (packet.payloadType !== PayloadType.RAKP4) throw stale(`payload type 0x${packet.payloadType.toString(16)}`);
        const r = decodeRakp4(packet.payload, s.authHash === null ? 0 : s.rakp4IcvLength);
        this.#checkTagAndId(r.tag, r.consoleSessionId, r.status);
        if (r.status !== 0) throw rmcpPlusStatusError(r.status, 'RAKP4');
        const ctx = this.#ctx!;
        const keys = deriveSessionKeys(s, {
          key: this.#o.kg && this.#o.kg.length > 0 ? this.#o.kg : this.#o.kuid,
          rm: ctx.rm,
          rc: ctx.rc,
          role: this.#role,
          userName: this.#o.userName,
        });
        verifyRakp4(ctx, keys.sik, r.integrityCheckValue);
        this.#state = 'done';
        const codec = new SessionCodec({ suite: s, keys, outboundSessionId: this.#bmcSessionId, inboundSessionId: this.consoleSessionId });
        return {
          type: 'established',
          codec,
          keys,
          consoleSessionId: this.consoleSessionId,
          bmcSessionId: this.#bmcSessionId,
          bmcGuid: Buffer.from(ctx.bmcGuid),
          maxPrivilege: this.#maxPrivilege,
        };
      }
      default:
        throw stale(`datagram in state ${this.#state}`);
    }
  }

  #checkTagAndId(tag: number, consoleSessionId: number, status: number): void {
    if (tag !== this.#tag) throw stale(`message tag ${tag}, expected ${this.#tag}`);
    // Error replies may carry a zero session ID (ipmi_sim does for some statuses).
    if (consoleSessionId !== this.consoleSessionId && !(status !== 0 && consoleSessionId === 0)) {
      throw stale(`console session ID 0x${consoleSessionId.toString(16)}`);
    }
  }
}

function stale(what: string): IpmiError {
  return new IpmiError('IPMI_ERR_STALE_MESSAGE', `unexpected ${what} during session setup`, 'payloadType');
}

function setupDatagram(payloadType: number, payload: Buffer): Buffer {
  return encodeV20Packet({ payloadType, encrypted: false, sessionId: 0, sessionSeq: 0, payload });
}
