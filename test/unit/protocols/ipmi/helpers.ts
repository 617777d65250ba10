import { expect } from 'vitest';
import { IpmiError } from '../../../../protocols/errors.js';

export const hex = (s: string): Buffer => Buffer.from(s.replace(/[\s|]+/g, ''), 'hex');

/** Runs fn and returns the IpmiError it throws (fails the test on anything else). */
export function ipmiErrorOf(fn: () => unknown): IpmiError {
  try {
    fn();
  } catch (err) {
    if (!(err instanceof IpmiError)) throw new Error(`expected IpmiError, got ${String(err)}`);
    return err;
  }
  throw new Error('expected an IpmiError, nothing was thrown');
}

export function expectCode(fn: () => unknown, code: string): IpmiError {
  const err = ipmiErrorOf(fn);
  expect(err.code).toBe(code);
  return err;
}

/**
 * UDP hands over whole datagrams, so the "split at every offset" rule becomes: (1) every strict prefix
 * of a datagram (a truncated one) is refused with an IpmiError, never a crash; (2) the same bytes at
 * any byte offset inside a larger allocation decode identically (no reliance on Buffer.buffer/offset 0);
 * (3) a datagram re-assembled from two pieces split at any offset decodes identically.
 */
export function checkWholeAndTruncated<T>(datagram: Buffer, decode: (b: Buffer) => T, selfDelimitedFrom = Infinity): T {
  const whole = decode(Buffer.from(datagram));
  const normal = JSON.stringify(whole);
  for (let cut = 0; cut < datagram.length; cut++) {
    // A SOL payload has no length of its own (the RMCP+ header carries it): past its 4-byte header a
    // prefix is a valid shorter packet, so only shorter prefixes must be refused there.
    if (cut < selfDelimitedFrom) ipmiErrorOf(() => decode(Buffer.from(datagram.subarray(0, cut))));
    else decode(Buffer.from(datagram.subarray(0, cut)));
    const joined = Buffer.concat([datagram.subarray(0, cut), datagram.subarray(cut)]);
    expect(JSON.stringify(decode(joined))).toBe(normal);
  }
  for (let offset = 1; offset < 8; offset++) {
    const big = Buffer.alloc(datagram.length + 16, 0xee);
    datagram.copy(big, offset);
    expect(JSON.stringify(decode(big.subarray(offset, offset + datagram.length)))).toBe(normal);
  }
  return whole;
}
