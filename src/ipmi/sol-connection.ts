import { IpmiError } from '../../protocols/errors.js';
import { cipherSuite } from '../../protocols/ipmi/cipher-suites.js';
import { AppCmd, NetFn } from '../../protocols/ipmi/constants.js';
import { IpmiCompletionCodeError } from '../../protocols/ipmi/completion-codes.js';
import { SolEngine } from '../../protocols/ipmi/sol-engine.js';
import {
  decodeActivatePayloadResponse,
  decodeSolPacket,
  encodeActivateSolData,
  encodeDeactivateSolData,
  encodeSolPacket,
  SOL_HEADER_LENGTH,
  type SolPacket,
} from '../../protocols/ipmi/sol-packet.js';
import type { IpmiSession } from './ipmi-session.js';
import { silentLogger, type IpmiLogger } from './types.js';

const CC_PAYLOAD_ALREADY_ACTIVE = 0x80;
const UNHEARD_LIMIT = 64 * 1024; // Activate: active on another session; Deactivate: already deactivated

export type SolCloseReason =
  | { readonly type: 'closed' }
  | { readonly type: 'bmc-deactivated' }
  | { readonly type: 'session-lost'; readonly error: Error | null }
  | { readonly type: 'error'; readonly error: Error };

export interface SolOptions {
  /** SOL instance, 1 unless the BMC has more (ipmi_sim's history buffer is instance 2). */
  readonly instance?: number;
  /** Deactivate a payload another session holds, then activate it for us (notes §3.4). */
  readonly takeover?: boolean;
  /** Retransmission interval for our SOL packets (FreeIPMI ipmiconsole: 500 ms). */
  readonly retransmitMs?: number;
  /** Sends of one packet before the console is declared dead (FreeIPMI: 10). */
  readonly maxAttempts?: number;
  /** write() returns false above this many queued bytes; 'drain' listeners run once it empties. */
  readonly highWaterMark?: number;
  readonly logger?: IpmiLogger;
}

/**
 * A Serial-over-LAN console on an open session (IPMI v2.0 §15, §24; notes §3): activates the SOL
 * payload (taking it over from a stale session when allowed), carries bytes both ways with ACKs and
 * retransmission (protocols/ipmi/sol-engine.ts), and deactivates on close.
 */
export class SolConnection {
  readonly #session: IpmiSession;
  readonly #instance: number;
  readonly #engine: SolEngine;
  readonly #retransmitMs: number;
  readonly #logger: IpmiLogger;
  readonly #release: () => void;
  readonly #unlistenSession: () => void;
  #timer: NodeJS.Timeout | null = null;
  #dataListeners: ((bytes: Buffer) => void)[] = [];
  /** Characters that came before the first onData listener (a banner right after activation). */
  #unheard: Buffer[] | null = [];
  #unheardBytes = 0;
  #closeListeners: ((reason: SolCloseReason) => void)[] = [];
  #drainListeners: (() => void)[] = [];
  #needDrain = false;
  #closing: Promise<void> | null = null;
  #closeReason: SolCloseReason | null = null;

  private constructor(session: IpmiSession, instance: number, engine: SolEngine, release: () => void, o: SolOptions) {
    this.#session = session;
    this.#instance = instance;
    this.#engine = engine;
    this.#retransmitMs = o.retransmitMs ?? 500;
    this.#logger = o.logger ?? silentLogger;
    this.#release = release;
    this.#unlistenSession = session.onClose((err) => {
      void this.#finish({ type: 'session-lost', error: err }, false);
    });
  }

  /** Activates SOL on `session`. Throws IPMI_ERR_SOL_ALREADY_ACTIVE, IPMI_ERR_SOL_BUSY, IpmiCompletionCodeError, … */
  static async open(session: IpmiSession, o: SolOptions = {}): Promise<SolConnection> {
    const instance = o.instance ?? 1;
    const suite = cipherSuite(session.cipherSuite, true);
    const release = session.hold();
    // Packets may arrive before the Activate Payload reply (ipmi_sim sends an empty SOL packet at once): queue them.
    const early: Buffer[] = [];
    let target: ((payload: Buffer) => void) | null = null;
    if (session.hasSolHandler) {
      release();
      throw new IpmiError('IPMI_ERR_SOL_BUSY', 'a SOL console is already open on this session', 'sol');
    }
    session.setSolHandler((payload) => (target ? target(payload) : early.length < 64 && early.push(Buffer.from(payload))));
    try {
      const activate = () =>
        session.request(NetFn.APP, AppCmd.ACTIVATE_PAYLOAD, encodeActivateSolData(instance, suite.encrypted, suite.integrityHash !== null), {
          what: 'Activate Payload (SOL)',
          acceptCompletionCodes: [CC_PAYLOAD_ALREADY_ACTIVE],
        });
      let res = await activate();
      if (res.completionCode === CC_PAYLOAD_ALREADY_ACTIVE) {
        if (!(o.takeover ?? session.target.solTakeover ?? false)) {
          throw new IpmiError('IPMI_ERR_SOL_ALREADY_ACTIVE', 'SOL is already active on another session (0x80); allow solTakeover to take it over', 'sol');
        }
        (o.logger ?? silentLogger).warn({ host: session.target.host }, 'ipmi: taking over SOL from another session');
        await session.request(NetFn.APP, AppCmd.DEACTIVATE_PAYLOAD, encodeDeactivateSolData(instance), {
          what: 'Deactivate Payload (SOL takeover)',
          acceptCompletionCodes: [CC_PAYLOAD_ALREADY_ACTIVE],
        });
        res = await activate();
        if (res.completionCode !== 0)
          throw new IpmiCompletionCodeError(res.completionCode, NetFn.APP, AppCmd.ACTIVATE_PAYLOAD, 'Activate Payload (SOL, after takeover)');
      }
      const info = decodeActivatePayloadResponse(res.data);
      // ipmitool also refuses SOL on another port; some BMCs send the port big-endian, so accept the byte swap.
      const swapped = ((info.port & 0xff) << 8) | (info.port >> 8);
      if (info.port !== session.target.port && swapped !== session.target.port) {
        throw new IpmiError('IPMI_ERR_UNSUPPORTED', `BMC wants SOL on UDP port ${info.port}, not the session port`, 'port');
      }
      const engine = new SolEngine({
        maxCharsPerPacket: info.inboundPayloadSize - SOL_HEADER_LENGTH,
        primeWithEmptyPacket: true,
        ...(o.maxAttempts !== undefined ? { maxAttempts: o.maxAttempts } : {}),
        ...(o.highWaterMark !== undefined ? { highWaterMark: o.highWaterMark } : {}),
      });
      const sol = new SolConnection(session, instance, engine, release, o);
      target = (payload) => sol.#onPayload(payload);
      for (const p of early) sol.#onPayload(p);
      sol.#pump();
      return sol;
    } catch (err) {
      session.setSolHandler(null);
      release();
      throw err;
    }
  }

  /** Characters from the host. What arrived before the first listener is handed to it first. */
  onData(listener: (bytes: Buffer) => void): () => void {
    this.#dataListeners.push(listener);
    const unheard = this.#unheard;
    if (unheard) {
      this.#unheard = null;
      if (unheard.length > 0)
        queueMicrotask(() => {
          for (const b of unheard) listener(b);
        });
    }
    return () => {
      this.#dataListeners = this.#dataListeners.filter((l) => l !== listener);
    };
  }

  onClose(listener: (reason: SolCloseReason) => void): () => void {
    if (this.#closeReason) {
      const reason = this.#closeReason;
      queueMicrotask(() => listener(reason));
    } else {
      this.#closeListeners.push(listener);
    }
    return () => {
      this.#closeListeners = this.#closeListeners.filter((l) => l !== listener);
    };
  }

  /** Called once the queue has emptied after write() returned false. */
  onDrain(listener: () => void): () => void {
    this.#drainListeners.push(listener);
    return () => {
      this.#drainListeners = this.#drainListeners.filter((l) => l !== listener);
    };
  }

  /** Queues bytes for the BMC (copied). Returns false above the high-water mark: wait for onDrain. */
  write(bytes: Uint8Array): boolean {
    if (this.#closing) return false;
    const ok = this.#engine.write(bytes);
    if (!ok) this.#needDrain = true;
    this.#pump();
    return ok;
  }

  /** Sends a serial BREAK to the host (for a Linux magic SysRq, for example). */
  sendBreak(): void {
    if (this.#closing) return;
    this.#engine.sendBreak();
    this.#pump();
  }

  get closed(): boolean {
    return this.#closing !== null;
  }

  /** Characters written and not yet acknowledged by the BMC (queued or in flight). */
  get unacknowledgedBytes(): number {
    return this.#engine.queuedBytes;
  }

  /** Deactivates the payload and releases the session. Idempotent. */
  close(): Promise<void> {
    return this.#finish({ type: 'closed' }, true);
  }

  #send(p: SolPacket): void {
    this.#session.sendSol(encodeSolPacket(p));
  }

  #pump(): void {
    if (this.#closing) return;
    const p = this.#engine.next();
    if (p) {
      this.#send(p);
      this.#restartTimer();
    }
    if (this.#needDrain && this.#engine.queuedBytes === 0) {
      this.#needDrain = false;
      for (const l of [...this.#drainListeners]) l();
    }
  }

  #restartTimer(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    if (!this.#engine.busy || this.#closing) return;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      let p: SolPacket | null;
      try {
        p = this.#engine.tick();
      } catch (err) {
        void this.#finish({ type: 'error', error: err as Error }, true);
        return;
      }
      if (p) this.#send(p);
      this.#restartTimer();
    }, this.#retransmitMs);
  }

  #onPayload(payload: Buffer): void {
    if (this.#closing) return;
    let packet: SolPacket;
    try {
      packet = decodeSolPacket(payload);
    } catch (err) {
      this.#logger.debug({ host: this.#session.target.host, code: (err as IpmiError).code }, 'ipmi: dropped bad SOL packet');
      return;
    }
    const r = this.#engine.receive(packet);
    if (r.ack) this.#send(r.ack);
    if (r.overrun) this.#logger.warn({ host: this.#session.target.host }, 'ipmi: BMC reports SOL transmit overrun (characters lost on its side)');
    if (r.data && r.data.length > 0) this.#deliver(r.data);
    if (r.deactivating) {
      void this.#finish({ type: 'bmc-deactivated' }, false);
      return;
    }
    if (r.answered) {
      this.#restartTimer();
      this.#pump();
    } else if (!this.#timer) {
      this.#restartTimer();
    }
  }

  #deliver(data: Buffer): void {
    if (this.#unheard) {
      // Bounded: only until the first listener comes; a console nobody listens to must not grow memory.
      if (this.#unheardBytes + data.length <= UNHEARD_LIMIT) {
        this.#unheard.push(Buffer.from(data));
        this.#unheardBytes += data.length;
      }
      return;
    }
    for (const l of [...this.#dataListeners]) l(data);
  }

  #finish(reason: SolCloseReason, deactivate: boolean): Promise<void> {
    if (this.#closing) return this.#closing;
    this.#closeReason = reason;
    this.#closing = (async () => {
      if (this.#timer) clearTimeout(this.#timer);
      this.#timer = null;
      this.#unlistenSession();
      if (deactivate && !this.#session.closed) {
        try {
          await this.#session.request(NetFn.APP, AppCmd.DEACTIVATE_PAYLOAD, encodeDeactivateSolData(this.#instance), {
            what: 'Deactivate Payload (SOL)',
            acceptCompletionCodes: [CC_PAYLOAD_ALREADY_ACTIVE],
          });
        } catch (err) {
          this.#logger.warn({ host: this.#session.target.host, err: (err as Error).message }, 'ipmi: SOL deactivate failed');
        }
      }
      this.#session.setSolHandler(null);
      this.#release();
      for (const l of this.#closeListeners.splice(0)) l(reason);
    })();
    return this.#closing;
  }
}
