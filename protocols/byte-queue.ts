/**
 * An incremental input buffer for stream parsers (the ws receiver's habit): chunks are appended as
 * they arrive; a parser first asks whether n bytes are buffered, then peeks or consumes them.
 *
 * `consume(n)` returns a view into the chunk when the bytes lie in one chunk, and copies only when a
 * read spans chunks. Views stay valid until the caller lets go of them (chunks are never written to),
 * but a caller that keeps one past the current message should copy it.
 */
export class ByteQueue {
  #chunks: Buffer[] = [];
  /** Bytes of the first chunk already consumed: skipping moves this, not the chunk (no new view a skip). */
  #head = 0;
  #length = 0;

  get length(): number {
    return this.#length;
  }

  /** Appends a chunk. Keeps a reference to it (does not copy); the caller must not mutate it afterwards. */
  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length);
    this.#chunks.push(buf);
    this.#length += buf.length;
  }

  has(n: number): boolean {
    return this.#length >= n;
  }

  /** Byte at offset `i` from the front, without consuming. Caller must have checked `has(i + 1)`. */
  peekUint8(i = 0): number {
    i += this.#head;
    for (const c of this.#chunks) {
      if (i < c.length) return c[i]!;
      i -= c.length;
    }
    throw new RangeError('peek past end of ByteQueue');
  }

  peekUint16BE(i = 0): number {
    return (this.peekUint8(i) << 8) | this.peekUint8(i + 1);
  }

  peekUint32BE(i = 0): number {
    return this.peekUint8(i) * 0x1000000 + ((this.peekUint8(i + 1) << 16) | (this.peekUint8(i + 2) << 8) | this.peekUint8(i + 3));
  }

  /** The first `n` bytes without consuming them (a view when possible, else a copy). */
  peek(n: number): Buffer {
    if (n > this.#length) throw new RangeError('peek past end of ByteQueue');
    if (n === 0) return Buffer.alloc(0);
    const first = this.#chunks[0]!;
    const h = this.#head;
    if (first.length - h >= n) return first.subarray(h, h + n);
    const out = Buffer.allocUnsafe(n);
    let off = 0;
    let start = h;
    for (const c of this.#chunks) {
      const take = Math.min(c.length - start, n - off);
      c.copy(out, off, start, start + take);
      off += take;
      start = 0;
      if (off === n) break;
    }
    return out;
  }

  /** Removes and returns the first `n` bytes (a view into the chunk when possible, else a copy). */
  consume(n: number): Buffer {
    const out = this.peek(n);
    this.skip(n);
    return out;
  }

  skip(n: number): void {
    if (n > this.#length) throw new RangeError('skip past end of ByteQueue');
    this.#length -= n;
    while (n > 0) {
      const left = this.#chunks[0]!.length - this.#head;
      if (left <= n) {
        this.#chunks.shift();
        this.#head = 0;
        n -= left;
      } else {
        this.#head += n;
        n = 0;
      }
    }
  }

  readUint8(): number {
    const v = this.peekUint8(0);
    this.skip(1);
    return v;
  }

  readUint16BE(): number {
    const v = this.peekUint16BE(0);
    this.skip(2);
    return v;
  }

  readUint32BE(): number {
    const v = this.peekUint32BE(0);
    this.skip(4);
    return v;
  }

  /** Everything buffered, consumed. */
  drain(): Buffer {
    return this.consume(this.#length);
  }
}
