import { ByteQueue } from '../byte-queue.js';
import { FbsError } from '../errors.js';
import { FBS_LIMITS } from '../limits.js';

/** One block of a recording: a piece of the server-to-client RFB stream and when it was received. */
export interface FbsBlock {
  /** The block's data without padding. A view into the pushed chunk when possible: copy to keep it. */
  data: Buffer;
  /** Milliseconds since the recording started. */
  timestampMs: number;
}

const SIGNATURE_BYTES = 12;

/**
 * Reads an FBS 001.xxx file incrementally (format: see fbs-writer.ts): push chunks as they are read
 * from disk, get every whole block now available. A block split across chunks is returned once
 * all of it (padding and timestamp included) has arrived.
 *
 * Errors (FbsError): FBS_ERR_BAD_SIGNATURE (not "FBS 001.ddd\n"; TightVNC's player accepts any
 * three digits after the dot, and so do we), FBS_ERR_TOO_LARGE (a block length over
 * FBS_LIMITS.maxBlockBytes, checked before waiting for the data), and, from `end()`,
 * FBS_ERR_TRUNCATED when the file stops inside the signature or a block: everything before the
 * last whole block has already been returned, so a player shows the recording up to a crash.
 */
export class FbsReader {
  readonly #q = new ByteQueue();
  #signature = false;
  #blocks = 0;
  #error: FbsError | undefined;

  /** Whole blocks returned so far. */
  get blocks(): number {
    return this.#blocks;
  }

  /** Appends a chunk and returns every block now complete. Keeps a reference to `chunk`. */
  push(chunk: Uint8Array): FbsBlock[] {
    this.write(chunk);
    const out: FbsBlock[] = [];
    for (let b = this.next(); b; b = this.next()) out.push(b);
    return out;
  }

  /** Appends a chunk without reading from it (then call `next()`). Keeps a reference to `chunk`. */
  write(chunk: Uint8Array): void {
    if (this.#error) throw this.#error;
    this.#q.push(chunk);
  }

  /** The next whole block, or undefined until more input arrives. After a throw, throws again. */
  next(): FbsBlock | undefined {
    if (this.#error) throw this.#error;
    try {
      if (!this.#signature) {
        if (!this.#q.has(SIGNATURE_BYTES)) return undefined;
        checkSignature(this.#q.consume(SIGNATURE_BYTES));
        this.#signature = true;
      }
      return this.#block();
    } catch (err) {
      if (err instanceof FbsError) this.#error = err;
      throw err;
    }
  }

  /** The input has ended: throws FBS_ERR_TRUNCATED if it stopped inside the signature or a block. */
  end(): void {
    if (this.#error) throw this.#error;
    if (!this.#signature) {
      throw new FbsError('FBS_ERR_TRUNCATED', `file ends after ${this.#q.length} of the ${SIGNATURE_BYTES} signature bytes`, 'signature');
    }
    if (this.#q.length > 0) {
      throw new FbsError(
        'FBS_ERR_TRUNCATED',
        `file ends inside block ${this.#blocks + 1} (${this.#q.length} bytes of it present); the ${this.#blocks} whole blocks before it are usable`,
        'block',
      );
    }
  }

  #block(): FbsBlock | undefined {
    const q = this.#q;
    if (!q.has(4)) return undefined;
    const length = q.peekUint32BE(0);
    if (length > FBS_LIMITS.maxBlockBytes) {
      throw new FbsError('FBS_ERR_TOO_LARGE', `block ${this.#blocks + 1} claims ${length} bytes (limit ${FBS_LIMITS.maxBlockBytes})`, 'block.length');
    }
    const padded = (length + 3) & ~3;
    const total = 4 + padded + 4;
    if (!q.has(total)) return undefined;
    const timestampMs = q.peekUint32BE(4 + padded);
    q.skip(4);
    const data = q.consume(length);
    q.skip(padded - length + 4);
    this.#blocks++;
    return { data, timestampMs };
  }
}

function checkSignature(sig: Buffer): void {
  // "FBS 001." then three decimal digits and a newline (TightVNC FbsInputStream's check).
  const ok = sig.subarray(0, 8).toString('latin1') === 'FBS 001.' && sig[11] === 0x0a && [8, 9, 10].every((i) => sig[i]! >= 0x30 && sig[i]! <= 0x39);
  if (!ok) throw new FbsError('FBS_ERR_BAD_SIGNATURE', `not an FBS 001.xxx file (starts with ${JSON.stringify(sig.toString('latin1'))})`, 'signature');
}

/**
 * A whole file at once: the blocks up to the last whole one, and the error that stopped reading
 * (truncation or corruption), if any. Never throws for bad input.
 */
export function readFbs(file: Uint8Array): { blocks: FbsBlock[]; error: FbsError | undefined } {
  const reader = new FbsReader();
  const blocks: FbsBlock[] = [];
  try {
    // Block by block, so the blocks before a corrupt length are kept.
    reader.write(file);
    for (let b = reader.next(); b; b = reader.next()) blocks.push(b);
    reader.end();
    return { blocks, error: undefined };
  } catch (err) {
    if (err instanceof FbsError) return { blocks, error: err };
    throw err;
  }
}
