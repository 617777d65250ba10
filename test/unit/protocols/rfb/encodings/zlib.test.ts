import { describe, expect, it } from 'vitest';
import { Encoding } from '../../../../../protocols/rfb/constants.js';
import { ZlibDecoder } from '../../../../../protocols/rfb/encodings/zlib.js';
import { decodeEverySplit, expectErrorEverySplit, rect, storedZlib, streamedZlib, u32 } from './helpers.js';
import { pat, zlibVector } from './vectors.js';

const Z = Encoding.Zlib;
const framed = (parts: Buffer[]) => Buffer.concat(parts.flatMap((c) => [u32(c.length), c]));

describe('ZlibDecoder', () => {
  it('hand-built stored-block stream across two rectangles', () => {
    const v = zlibVector();
    expect(decodeEverySplit(() => new ZlibDecoder(), v.rects, v.bytes, v.fbW, v.fbH).data.equals(v.want)).toBe(true);
  });

  it("node:zlib's persistent stream: the second rectangle refers back into the first", async () => {
    const a = Buffer.alloc(16 * 8 * 4);
    for (let i = 0; i < 128; i++) a.set([...pat(i), 0], i * 4);
    const b = Buffer.concat([a.subarray(0, 256), a.subarray(0, 256)]); // 16x8 again, repeats of a
    const parts = await streamedZlib([a, b]);
    expect(parts[1]!.length).toBeLessThan(64); // really compressed against history
    const fb = decodeEverySplit(() => new ZlibDecoder(), [rect(0, 0, 16, 8, Z), rect(0, 8, 16, 8, Z)], framed(parts), 16, 16);
    expect(fb.data.subarray(0, a.length).equals(a)).toBe(true);
    expect(fb.data.subarray(a.length).equals(b)).toBe(true);
  });

  it('length over the limit → RFB_ERR_COMPRESSED_LENGTH (before waiting for the data)', () => {
    expectErrorEverySplit(() => new ZlibDecoder(), [rect(0, 0, 2, 2, Z)], u32(0x7fffffff), 'RFB_ERR_COMPRESSED_LENGTH');
    expectErrorEverySplit(() => new ZlibDecoder(), [rect(0, 0, 2, 2, Z)], u32(16 + 2 + 1024 + 1), 'RFB_ERR_COMPRESSED_LENGTH');
  });

  it('data that inflates short → RFB_ERR_ZLIB_TRUNCATED', () => {
    expectErrorEverySplit(() => new ZlibDecoder(), [rect(0, 0, 2, 2, Z)], framed(storedZlib([Buffer.alloc(15)])), 'RFB_ERR_ZLIB_TRUNCATED');
    // a stored block cut off in the middle of its data
    expectErrorEverySplit(
      () => new ZlibDecoder(),
      [rect(0, 0, 2, 2, Z)],
      framed([storedZlib([Buffer.alloc(16)])[0]!.subarray(0, 12)]),
      'RFB_ERR_ZLIB_TRUNCATED',
    );
  });

  it('data that inflates long → RFB_ERR_ZLIB_OVERFLOW', () => {
    expectErrorEverySplit(() => new ZlibDecoder(), [rect(0, 0, 2, 2, Z)], framed(storedZlib([Buffer.alloc(17)])), 'RFB_ERR_ZLIB_OVERFLOW');
  });

  it('corrupt zlib → RFB_ERR_ZLIB_DATA', () => {
    // bad header (CM 7)
    expectErrorEverySplit(
      () => new ZlibDecoder(),
      [rect(0, 0, 1, 1, Z)],
      framed([Buffer.from([0x77, 0x01, 0, 4, 0, 0xfb, 0xff, 1, 2, 3, 4])]),
      'RFB_ERR_ZLIB_DATA',
    );
    // bad FCHECK
    expectErrorEverySplit(
      () => new ZlibDecoder(),
      [rect(0, 0, 1, 1, Z)],
      framed([Buffer.from([0x78, 0x02, 0, 4, 0, 0xfb, 0xff, 1, 2, 3, 4])]),
      'RFB_ERR_ZLIB_DATA',
    );
    // reserved block type 11
    expectErrorEverySplit(() => new ZlibDecoder(), [rect(0, 0, 1, 1, Z)], framed([Buffer.from([0x78, 0x01, 0x06, 0, 0, 0, 0])]), 'RFB_ERR_ZLIB_DATA');
    // stored block whose NLEN is not ~LEN
    expectErrorEverySplit(
      () => new ZlibDecoder(),
      [rect(0, 0, 1, 1, Z)],
      framed([Buffer.from([0x78, 0x01, 0, 4, 0, 0xfa, 0xff, 1, 2, 3, 4])]),
      'RFB_ERR_ZLIB_DATA',
    );
  });
});
