import { IpmiError } from '../../protocols/errors.js';
import { AppCmd, NetFn, PayloadType } from '../../protocols/ipmi/constants.js';
import { IpmiCompletionCodeError } from '../../protocols/ipmi/completion-codes.js';
import { decodeIpmiResponse, encodeIpmiRequest, RQ_SEQ_MODULO, type IpmiResponse } from '../../protocols/ipmi/message.js';
import type { SessionCodec } from '../../protocols/ipmi/session-codec.js';
import { establishSession, getChannelAuthCaps, type Timing } from './session-setup.js';
import { resolveTarget, type ResolvedTarget } from './target.js';
import { describeTarget, silentLogger, type IpmiLogger, type IpmiSessionOptions, type IpmiTarget } from './types.js';
import { UdpChannel } from './udp-channel.js';

/** CC 0xCF: a BMC's answer to a retransmitted request it is still working on; keep waiting (ipmitool does). */
const CC_DUPLICATE_REQUEST = 0xcf;

export interface RequestOptions {
  /** What the request does, in words, for errors ("Chassis Control"). */
  readonly what?: string;
  /** Completion codes returned instead of thrown (besides 0). */
  readonly acceptCompletionCodes?: readonly number[];
  /** Override the session's attempts for this request. */
  readonly attempts?: number;
}

interface Pending {
  readonly netFn: number;
  readonly cmd: number;
  readonly rqSeq: number;
  resolve(res: IpmiResponse): void;
}

/**
 * One authenticated RMCP+ session to a BMC over UDP: requests are sent one at a time (BMCs and
 * ipmitool work that way), retransmitted with the same rqSeq and a new session sequence number, and
 * matched on (netFn + 1, cmd, rqSeq). Get Device ID keeps an idle session alive. SOL payloads are
 * handed to the one registered SOL handler. close() sends Close Session and releases the socket.
 */
export class IpmiSession {
  readonly target: IpmiTarget;
  readonly cipherSuite: number;
  readonly #channel: UdpChannel;
  readonly #codec: SessionCodec;
  readonly #timing: Timing;
  readonly #keepAliveMs: number;
  readonly #maxQueued: number;
  readonly #logger: IpmiLogger;
  readonly #bmcSessionId: number;
  #rqSeq = 0;
  #pending: Pending | null = null;
  #tail: Promise<unknown> = Promise.resolve();
  #queued = 0;
  #holds = 0;
  #keepAliveTimer: NodeJS.Timeout | null = null;
  #solHandler: ((payload: Buffer) => void) | null = null;
  #closing: Promise<void> | null = null;
  #closeListeners: ((err: Error | null) => void)[] = [];
  #rejectPending: ((err: Error) => void) | null = null;
  lastUsedAt = Date.now();
  droppedDatagrams = 0;

  private constructor(r: ResolvedTarget, channel: UdpChannel, codec: SessionCodec, bmcSessionId: number, timing: Timing, o: IpmiSessionOptions) {
    this.target = r.target;
    this.cipherSuite = codec.suite.id;
    this.#channel = channel;
    this.#codec = codec;
    this.#bmcSessionId = bmcSessionId;
    this.#timing = timing;
    this.#keepAliveMs = o.keepAliveMs ?? 15_000;
    this.#maxQueued = o.maxQueuedRequests ?? 64;
    this.#logger = o.logger ?? silentLogger;
    channel.onDatagram((dg) => this.#onDatagram(dg));
  }

  /**
   * Validates the target, probes the channel, runs the RMCP+ handshake (trying the configured suites
   * in order) and raises the session to the configured privilege. Throws IpmiError: IPMI_ERR_BAD_CONFIG,
   * IPMI_ERR_WEAK_CIPHER_SUITE, IPMI_ERR_TIMEOUT, IPMI_ERR_UNKNOWN_USER, IPMI_ERR_BAD_PASSWORD, …
   */
  static async open(target: IpmiTarget, o: IpmiSessionOptions = {}): Promise<IpmiSession> {
    const r = resolveTarget(target);
    const logger = o.logger ?? silentLogger;
    const timing: Timing = { timeoutMs: o.timeoutMs ?? 1000, retryBackoffMs: o.retryBackoffMs ?? 1000, attempts: o.attempts ?? 4 };
    const channel = await UdpChannel.open(target.host, target.port);
    try {
      const caps = await getChannelAuthCaps(channel, r, timing, logger);
      if (!caps.supportsIpmi20) throw new IpmiError('IPMI_ERR_NO_RMCPP', 'the BMC channel does not support IPMI v2.0 (RMCP+) sessions', 'channelAuthCaps');
      if (caps.kgSet && !r.kg) throw new IpmiError('IPMI_ERR_KG_REQUIRED', 'the BMC has a Kg (BMC key) set; configure kg for this server', 'kg');
      const est = await establishSession(channel, r, timing, logger);
      const session = new IpmiSession(r, channel, est.codec, est.bmcSessionId, timing, o);
      await session.request(NetFn.APP, AppCmd.SET_SESSION_PRIVILEGE_LEVEL, Buffer.of(r.privilege), { what: 'Set Session Privilege Level' });
      logger.info({ ...describeTarget(target), cipherSuite: session.cipherSuite }, 'ipmi: session open');
      return session;
    } catch (err) {
      channel.close();
      throw err;
    }
  }

  get closed(): boolean {
    return this.#closing !== null;
  }

  /** Requests queued or in flight, SOL holds included: the registry does not reap a busy session. */
  get busy(): boolean {
    return this.#queued > 0 || this.#holds > 0;
  }

  /** Keeps the session from being reaped while held (an open SOL console); returns the release. */
  hold(): () => void {
    this.#holds++;
    let released = false;
    return () => {
      if (!released) {
        released = true;
        this.#holds--;
        this.lastUsedAt = Date.now();
      }
    };
  }

  onClose(listener: (err: Error | null) => void): () => void {
    this.#closeListeners.push(listener);
    return () => {
      this.#closeListeners = this.#closeListeners.filter((l) => l !== listener);
    };
  }

  /**
   * Sends one IPMI request and resolves with the response (completion code 0, or one listed in
   * `acceptCompletionCodes`); other codes throw IpmiCompletionCodeError ("0xD4 insufficient privilege").
   */
  request(netFn: number, cmd: number, data: Uint8Array = Buffer.alloc(0), o: RequestOptions = {}): Promise<IpmiResponse> {
    if (this.#closing) return Promise.reject(closedError());
    if (this.#queued >= this.#maxQueued)
      return Promise.reject(new IpmiError('IPMI_ERR_BUSY', `${this.#queued} requests already queued on this session`, 'queue'));
    this.#queued++;
    const run = this.#tail.then(() => this.#transact(netFn, cmd, data, o));
    this.#tail = run.catch(() => {});
    return run.finally(() => {
      this.#queued--;
      this.lastUsedAt = Date.now();
      this.#armKeepAlive();
    });
  }

  get hasSolHandler(): boolean {
    return this.#solHandler !== null;
  }

  setSolHandler(handler: ((payload: Buffer) => void) | null): void {
    this.#solHandler = handler;
  }

  /** Seals and sends one SOL payload (fire and forget: SOL has its own ACKs). */
  sendSol(payload: Buffer): void {
    if (this.#closing) return;
    this.#channel.send(this.#codec.seal(PayloadType.SOL, payload));
  }

  /** Sends Close Session (best effort, one try) and releases the socket. Idempotent. */
  close(): Promise<void> {
    return this.#shutdown(null, true);
  }

  async #transact(netFn: number, cmd: number, data: Uint8Array, o: RequestOptions, internal = false): Promise<IpmiResponse> {
    if (this.#closing && !internal) throw closedError();
    this.#clearKeepAlive();
    this.#rqSeq = (this.#rqSeq % (RQ_SEQ_MODULO - 1)) + 1;
    const rqSeq = this.#rqSeq;
    const message = encodeIpmiRequest({ netFn, cmd, rqSeq, data });
    const attempts = o.attempts ?? this.#timing.attempts;
    const what = o.what ?? `command netFn 0x${netFn.toString(16)} cmd 0x${cmd.toString(16)}`;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      if (this.#closing && !internal) throw closedError();
      this.#channel.send(this.#codec.seal(PayloadType.IPMI, message));
      const res = await this.#waitReply(netFn + 1, cmd, rqSeq, this.#timing.timeoutMs + (attempt - 1) * this.#timing.retryBackoffMs);
      if (res === null) {
        this.#logger.debug({ host: this.target.host, what, attempt }, 'ipmi: no reply, retransmitting');
        continue;
      }
      if (res.completionCode === 0 || o.acceptCompletionCodes?.includes(res.completionCode)) return res;
      throw new IpmiCompletionCodeError(res.completionCode, netFn, cmd, what);
    }
    const err = new IpmiError('IPMI_ERR_TIMEOUT', `no answer to ${what} from ${this.target.host}:${this.target.port} after ${attempts} tries`, 'timeout');
    // A session that stops answering is gone (the BMC may have dropped it): close it so the registry opens a new one.
    if (!internal) void this.#shutdown(err, false);
    throw err;
  }

  #waitReply(netFn: number, cmd: number, rqSeq: number, ms: number): Promise<IpmiResponse | null> {
    return new Promise((resolve, reject) => {
      const done = (res: IpmiResponse | null) => {
        clearTimeout(timer);
        this.#pending = null;
        this.#rejectPending = null;
        resolve(res);
      };
      const timer = setTimeout(() => done(null), ms);
      this.#pending = { netFn, cmd, rqSeq, resolve: (res) => done(res) };
      this.#rejectPending = (err) => {
        clearTimeout(timer);
        this.#pending = null;
        this.#rejectPending = null;
        reject(err);
      };
    });
  }

  #onDatagram(dg: Buffer): void {
    let opened;
    try {
      opened = this.#codec.open(dg);
    } catch (err) {
      // Forged, damaged, replayed or stale datagrams are dropped; they must not end the session.
      this.droppedDatagrams++;
      this.#logger.debug({ host: this.target.host, code: (err as IpmiError).code, err: (err as Error).message }, 'ipmi: dropped datagram');
      return;
    }
    if (opened.payloadType === PayloadType.SOL) {
      this.#solHandler?.(opened.payload);
      return;
    }
    if (opened.payloadType !== PayloadType.IPMI) return;
    let res: IpmiResponse;
    try {
      res = decodeIpmiResponse(opened.payload);
    } catch (err) {
      this.droppedDatagrams++;
      this.#logger.debug({ host: this.target.host, code: (err as IpmiError).code }, 'ipmi: dropped undecodable response');
      return;
    }
    const p = this.#pending;
    if (!p || res.netFn !== p.netFn || res.cmd !== p.cmd || res.rqSeq !== p.rqSeq) return; // late reply to an earlier try
    if (res.completionCode === CC_DUPLICATE_REQUEST) return;
    p.resolve(res);
  }

  #armKeepAlive(): void {
    this.#clearKeepAlive();
    if (this.#closing || this.#queued > 0) return;
    this.#keepAliveTimer = setTimeout(() => {
      this.#keepAliveTimer = null;
      this.request(NetFn.APP, AppCmd.GET_DEVICE_ID, Buffer.alloc(0), { what: 'Get Device ID (keep-alive)' }).catch((err: unknown) => {
        this.#logger.warn({ host: this.target.host, err: (err as Error).message }, 'ipmi: keep-alive failed');
      });
    }, this.#keepAliveMs);
    this.#keepAliveTimer.unref();
  }

  #clearKeepAlive(): void {
    if (this.#keepAliveTimer) clearTimeout(this.#keepAliveTimer);
    this.#keepAliveTimer = null;
  }

  #shutdown(err: Error | null, sendClose: boolean): Promise<void> {
    if (this.#closing) return this.#closing;
    this.#closing = (async () => {
      this.#clearKeepAlive();
      this.#rejectPending?.(closedError());
      // Wait for the request in flight to unwind so Close Session does not share its rqSeq slot.
      await this.#tail;
      if (sendClose) {
        const data = Buffer.alloc(4);
        data.writeUInt32LE(this.#bmcSessionId, 0);
        try {
          await this.#transact(NetFn.APP, AppCmd.CLOSE_SESSION, data, { what: 'Close Session', attempts: 1 }, true);
        } catch (e) {
          this.#logger.debug({ host: this.target.host, err: (e as Error).message }, 'ipmi: Close Session not answered');
        }
      }
      this.#channel.close();
      this.#solHandler = null;
      this.#logger.info({ ...describeTarget(this.target), err: err?.message }, 'ipmi: session closed');
      for (const l of this.#closeListeners.splice(0)) l(err);
    })();
    return this.#closing;
  }
}

function closedError(): IpmiError {
  return new IpmiError('IPMI_ERR_SESSION_CLOSED', 'the IPMI session is closed', 'session');
}
