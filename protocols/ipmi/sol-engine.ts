import { IpmiError } from '../errors.js';
import { IPMI_LIMITS } from '../limits.js';
import { nextSolSequence, SolOperation, SolStatus, type SolPacket } from './sol-packet.js';

/**
 * The SOL character-stream rules (IPMI v2.0 §15.9–15.11, notes §3.3) without sockets or timers: the
 * caller seals/sends the packets it returns and calls tick() from its retransmission timer.
 *
 * Outbound: one data packet in flight at a time (as ipmitool, FreeIPMI and go-ipmi do); a partial ACK
 * sends the unaccepted tail again under the next sequence number; a NACK or "character transfer
 * unavailable" pauses sending until the BMC signals it can take characters again or the next tick.
 * Inbound: every packet with a sequence number is ACKed; a retransmission (same sequence) may carry
 * more data appended, and only the new tail is delivered; an older sequence is a late duplicate.
 */

export interface SolEngineOptions {
  /** Characters per outbound packet: Activate Payload's inbound size − 4, at most 255. */
  readonly maxCharsPerPacket: number;
  /** Sends of one packet (first + retransmissions) before giving up. */
  readonly maxAttempts?: number;
  /**
   * Send an empty packet with sequence 1 before any data. ipmi_sim does not reset its last-accepted
   * sequence on a new activation and silently drops a first data packet whose sequence equals the
   * previous session's last one (notes §4.5, verified); an empty first packet absorbs that.
   */
  readonly primeWithEmptyPacket?: boolean;
  /** write() returns false once this many bytes wait (like a stream's highWaterMark). */
  readonly highWaterMark?: number;
}

export interface SolReceiveResult {
  /** New characters from the BMC (a view into the packet's buffer), or null. */
  readonly data: Buffer | null;
  /** ACK-only packet to send at once, or null. */
  readonly ack: SolPacket | null;
  /** Our in-flight packet was answered (ACK, partial ACK or NACK): the caller may stop its timer. */
  readonly answered: boolean;
  readonly deactivating: boolean;
  readonly overrun: boolean;
  readonly breakDetected: boolean;
}

interface InFlight {
  readonly packet: SolPacket;
  attempts: number;
  readonly prime: boolean;
}

const DUPLICATE_DISTANCE = 7; // "more than half the 15-space behind" is new, not a late duplicate

export class SolEngine {
  readonly #maxChars: number;
  readonly #maxAttempts: number;
  readonly #highWaterMark: number;
  #queue: Buffer[] = [];
  #queued = 0;
  #inFlight: InFlight | null = null;
  #nextSeq = 1;
  #paused = false;
  #primePending: boolean;
  #lastInSeq = 0;
  #lastInLength = 0;
  /** Operation bits (e.g. BREAK) for the next packet we send. */
  #pendingOperation = 0;

  constructor(o: SolEngineOptions) {
    this.#maxChars = Math.max(1, Math.min(o.maxCharsPerPacket, IPMI_LIMITS.maxSolCharsPerPacket));
    this.#maxAttempts = o.maxAttempts ?? 10;
    this.#highWaterMark = o.highWaterMark ?? 1 << 20;
    this.#primePending = o.primeWithEmptyPacket ?? false;
  }

  get queuedBytes(): number {
    return this.#queued + (this.#inFlight?.packet.data.length ?? 0);
  }

  /** Something waits for an answer or for the pause to end: the caller keeps its timer running. */
  get busy(): boolean {
    return this.#inFlight !== null || (this.#paused && this.#queued > 0);
  }

  /** Queues characters (copied). Returns false when the queue is above the high-water mark. */
  write(data: Uint8Array): boolean {
    if (data.length > 0) {
      this.#queue.push(Buffer.from(data));
      this.#queued += data.length;
    }
    return this.queuedBytes < this.#highWaterMark;
  }

  /**
   * Asks the BMC to send a serial BREAK (operation bit 4, §15.9), e.g. for a Linux magic SysRq. It rides
   * on the next packet, which may carry no characters (ipmitool's `~B` does the same).
   */
  sendBreak(): void {
    this.#pendingOperation |= SolOperation.GENERATE_BREAK;
  }

  /** The next packet to send, when none is in flight and the BMC is not pausing us. */
  next(): SolPacket | null {
    if (this.#inFlight || this.#paused) return null;
    if (this.#primePending) {
      this.#primePending = false;
      return this.#send(Buffer.alloc(0), true);
    }
    if (this.#queued === 0 && this.#pendingOperation === 0) return null;
    return this.#send(this.#take(this.#maxChars), false);
  }

  /**
   * Called by the retransmission timer: resends the in-flight packet (same sequence), or ends a pause
   * and sends the next packet. Throws IPMI_ERR_SOL_NO_ACK after maxAttempts sends of one packet.
   */
  tick(): SolPacket | null {
    const f = this.#inFlight;
    if (f) {
      if (f.attempts >= this.#maxAttempts) {
        this.#inFlight = null;
        // The priming packet is a workaround, not data: a BMC that never ACKs it costs nothing.
        if (f.prime) return this.next();
        throw new IpmiError('IPMI_ERR_SOL_NO_ACK', `SOL packet ${f.packet.sequence} not acknowledged after ${f.attempts} sends`, 'ackSequence');
      }
      f.attempts++;
      return f.packet;
    }
    this.#paused = false;
    return this.next();
  }

  receive(p: SolPacket): SolReceiveResult {
    let answered = false;
    const f = this.#inFlight;
    if (p.ackSequence !== 0 && f && p.ackSequence === f.packet.sequence) {
      answered = true;
      this.#inFlight = null;
      const sent = f.packet.data;
      const nack = (p.control & SolStatus.NACK) !== 0;
      const accepted = nack ? 0 : Math.min(p.acceptedCount, sent.length);
      if (accepted < sent.length) this.#unshift(sent.subarray(accepted));
      // NACK, or an ACK that took nothing of a non-empty packet: the BMC's buffer is full (§15.10).
      if (nack || (accepted === 0 && sent.length > 0)) this.#paused = true;
    }
    if ((p.control & SolStatus.CHARACTER_TRANSFER_UNAVAILABLE) !== 0) this.#paused = true;
    else if (!answered && this.#paused && (p.control & SolStatus.NACK) === 0) this.#paused = false;

    let data: Buffer | null = null;
    let ack: SolPacket | null = null;
    if (p.sequence !== 0) {
      // The accepted-count field is one byte (§15.9): of a longer packet we take 255 characters and
      // say so, and the BMC sends the rest again, as after any partial ACK.
      const take = Math.min(p.data.length, 0xff);
      if (p.sequence === this.#lastInSeq) {
        // A retransmission, possibly with characters appended (§15.9; ipmitool check_sol_packet_for_new_data).
        if (take > this.#lastInLength) {
          data = p.data.subarray(this.#lastInLength, take);
          this.#lastInLength = take;
        }
      } else if (this.#lastInSeq !== 0 && (this.#lastInSeq - p.sequence + 15) % 15 <= DUPLICATE_DISTANCE) {
        // A late copy of an older packet: ACK it again, deliver nothing.
      } else {
        this.#lastInSeq = p.sequence;
        this.#lastInLength = take;
        if (take > 0) data = p.data.subarray(0, take);
      }
      ack = { sequence: 0, ackSequence: p.sequence, acceptedCount: take, control: 0, data: Buffer.alloc(0) };
    }
    return {
      data,
      ack,
      answered,
      deactivating: (p.control & SolStatus.DEACTIVATING) !== 0,
      overrun: (p.control & SolStatus.TRANSMIT_OVERRUN) !== 0,
      breakDetected: (p.control & SolStatus.BREAK_DETECTED) !== 0,
    };
  }

  #send(data: Buffer, prime: boolean): SolPacket {
    const control = prime ? 0 : this.#pendingOperation;
    if (!prime) this.#pendingOperation = 0;
    const packet: SolPacket = { sequence: this.#nextSeq, ackSequence: 0, acceptedCount: 0, control, data };
    this.#nextSeq = nextSolSequence(this.#nextSeq);
    this.#inFlight = { packet, attempts: 1, prime };
    return packet;
  }

  #take(n: number): Buffer {
    if (this.#queued === 0) return Buffer.alloc(0);
    const parts: Buffer[] = [];
    let got = 0;
    while (got < n && this.#queue.length > 0) {
      const head = this.#queue[0]!;
      const want = n - got;
      if (head.length <= want) {
        parts.push(head);
        this.#queue.shift();
        got += head.length;
      } else {
        parts.push(head.subarray(0, want));
        this.#queue[0] = head.subarray(want);
        got += want;
      }
    }
    this.#queued -= got;
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts, got);
  }

  #unshift(data: Buffer): void {
    if (data.length === 0) return;
    this.#queue.unshift(data);
    this.#queued += data.length;
  }
}
