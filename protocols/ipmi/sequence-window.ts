import { IpmiError } from '../errors.js';

/**
 * Inbound session sequence numbers of one RMCP+ session (IPMI v2.0 §6.12.13): 32-bit, never 0 in a
 * session, may arrive out of order. We accept a number at most `behind` below the highest seen (once)
 * or at most `ahead` above it, and refuse a replay or anything further off. ipmi_sim uses ±16 (notes
 * §1.8); the spec's text says 8 behind and 8 ahead, ±16/+32 is what BMCs and clients (ruipmi: 32) do.
 *
 * `check()` only looks; `commit()` records — the caller commits only after the packet authenticated,
 * as ipmi_sim does, so a forged packet cannot move the window.
 */
export class SequenceWindow {
  readonly #behind: number;
  readonly #ahead: number;
  #highest = 0;
  #started = false;
  /** Bit i set = highest − 1 − i was seen. */
  #seen = 0n;

  constructor(behind = 16, ahead = 32) {
    this.#behind = behind;
    this.#ahead = ahead;
  }

  /** Throws IPMI_ERR_REPLAYED_SEQUENCE or IPMI_ERR_SEQUENCE_OUT_OF_WINDOW. */
  check(seq: number): void {
    if (seq === 0) throw new IpmiError('IPMI_ERR_SEQUENCE_OUT_OF_WINDOW', 'session sequence 0 is not valid inside a session', 'sessionSeq');
    // The first packet of a session sets the window: BMCs start at 1, but nothing in the spec forbids
    // another start, and a replay from an earlier session cannot pass this session's authcode.
    if (!this.#started) return;
    const diff = (seq - this.#highest) | 0; // signed distance on the 32-bit circle
    if (diff === 0) throw new IpmiError('IPMI_ERR_REPLAYED_SEQUENCE', `session sequence ${seq} was already received`, 'sessionSeq');
    if (diff > this.#ahead || -diff > this.#behind) {
      throw new IpmiError('IPMI_ERR_SEQUENCE_OUT_OF_WINDOW', `session sequence ${seq} is outside the window around ${this.#highest}`, 'sessionSeq');
    }
    if (diff < 0 && ((this.#seen >> BigInt(-diff - 1)) & 1n) === 1n) {
      throw new IpmiError('IPMI_ERR_REPLAYED_SEQUENCE', `session sequence ${seq} was already received`, 'sessionSeq');
    }
  }

  commit(seq: number): void {
    if (!this.#started) {
      this.#started = true;
      this.#highest = seq >>> 0;
      return;
    }
    const diff = (seq - this.#highest) | 0;
    const mask = (1n << BigInt(this.#behind)) - 1n;
    if (diff > 0) {
      this.#seen = ((this.#seen << BigInt(diff)) | (1n << BigInt(diff - 1))) & mask;
      this.#highest = seq >>> 0;
    } else if (diff < 0) {
      this.#seen |= 1n << BigInt(-diff - 1);
    }
  }

  /** Convenience for callers that need no authentication between the two. */
  accept(seq: number): void {
    this.check(seq);
    this.commit(seq);
  }
}
