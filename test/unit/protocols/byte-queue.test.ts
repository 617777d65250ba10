import { describe, expect, it } from 'vitest';
import { ByteQueue } from '../../../protocols/byte-queue.js';

describe('ByteQueue', () => {
  it('reads across chunk boundaries and after partial skips as one concatenated buffer would', () => {
    const q = new ByteQueue();
    q.push(Buffer.from([1, 2, 3]));
    q.push(Buffer.alloc(0));
    q.push(Buffer.from([4, 5]));
    q.push(new Uint8Array([6, 7, 8, 9]));
    expect(q.length).toBe(9);
    q.skip(1);
    expect(q.peekUint8(0)).toBe(2);
    expect(q.peekUint16BE(1)).toBe(0x0304);
    expect(q.peekUint32BE(2)).toBe(0x04050607);
    expect([...q.peek(3)]).toEqual([2, 3, 4]);
    expect([...q.consume(1)]).toEqual([2]);
    // Within the first chunk after a skip: a view of it at the right place.
    expect([...q.peek(1)]).toEqual([3]);
    q.skip(2); // the rest of chunk 1 and the first byte of chunk 2
    expect(q.readUint8()).toBe(5);
    expect(q.readUint16BE()).toBe(0x0607);
    expect([...q.drain()]).toEqual([8, 9]);
    expect(q.length).toBe(0);
    expect(() => q.peekUint8(0)).toThrow(RangeError);
    expect(() => q.skip(1)).toThrow(RangeError);
  });

  it('matches a plain buffer over random pushes, peeks, skips and consumes', () => {
    let seed = 11;
    const rand = (n: number): number => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff), seed % n);
    const q = new ByteQueue();
    let model = Buffer.alloc(0);
    let next = 0;
    for (let step = 0; step < 5000; step++) {
      const op = rand(6);
      if (op === 0 || model.length === 0) {
        const chunk = Buffer.from(Array.from({ length: rand(20) }, () => next++ & 0xff));
        q.push(chunk);
        model = Buffer.concat([model, chunk]);
      } else if (op === 1) {
        const n = rand(model.length + 1);
        expect(q.peek(n).equals(model.subarray(0, n))).toBe(true);
      } else if (op === 2) {
        const n = rand(model.length + 1);
        q.skip(n);
        model = model.subarray(n);
      } else if (op === 3) {
        const n = rand(model.length + 1);
        expect(q.consume(n).equals(model.subarray(0, n))).toBe(true);
        model = model.subarray(n);
      } else if (op === 4) {
        const i = rand(model.length);
        expect(q.peekUint8(i)).toBe(model[i]);
      } else if (model.length >= 4) {
        expect(q.peekUint32BE(0)).toBe(model.readUInt32BE(0));
      }
      expect(q.length).toBe(model.length);
      expect(q.has(model.length)).toBe(true);
      expect(q.has(model.length + 1)).toBe(false);
    }
  });

  it('peeked views are not disturbed by later skips (chunks are never written to)', () => {
    const q = new ByteQueue();
    q.push(Buffer.from([10, 20, 30, 40]));
    const view = q.peek(2);
    q.skip(3);
    expect([...view]).toEqual([10, 20]);
    expect([...q.consume(1)]).toEqual([40]);
  });
});
