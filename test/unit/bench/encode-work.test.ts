import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { deflateSync } from 'node:zlib';
import { encodeWork, InflateOnlyTight } from '../../../bench/encode-work.js';
import { ByteQueue } from '../../../protocols/byte-queue.js';
import { Encoding } from '../../../protocols/rfb/constants.js';

const recordings = join(__dirname, '../../../fixtures/recordings');

describe('encode-work --inflate-only (the floor under goal 4)', () => {
  for (const name of ['tigervnc-xterm-scroll.fbs', 'qemu-busybox-typing.fbs']) {
    it(`reads ${name} as the gateway's decoder does: every update, every byte`, () => {
      const path = join(recordings, name);
      const full = encodeWork({ path, viewers: 0, loops: 3, verify: false, share: false, chunk: 65536 });
      const inflateOnly = encodeWork({ path, viewers: 0, loops: 3, verify: false, share: false, chunk: 65536, inflateOnly: true });
      expect(full.updatesIn).toBeGreaterThan(50);
      expect(inflateOnly.updatesIn).toBe(full.updatesIn);
      expect(inflateOnly.bytesIn).toBe(full.bytesIn);
    });
  }

  it('inflates each rectangle: data that is not zlib fails as it does in the gateway', () => {
    const rect = { x: 0, y: 0, width: 4, height: 4, encoding: Encoding.Tight };
    const pixels = Buffer.alloc(4 * 4 * 3, 0x7f); // Copy filter: 3-byte TPIXELs
    const good = deflateSync(pixels);
    const q = new ByteQueue();
    q.push(Buffer.concat([Buffer.from([0x00, good.length]), good])); // basic compression, stream 0, no filter byte
    expect(new InflateOnlyTight().decodeRect(q, rect)).toBe(true);
    expect(q.has(1)).toBe(false); // the whole rectangle consumed
    const bad = Buffer.from(good);
    bad[0] = 0x07; // CM must be 8 (RFC 1950 §2.2)
    q.push(Buffer.concat([Buffer.from([0x01, bad.length]), bad])); // stream 0 reset first
    expect(() => new InflateOnlyTight().decodeRect(q, rect)).toThrow(/zlib header/);
  });

  it("is the harness's own check: viewers' streams decoded again end on the shadow framebuffer", () => {
    const path = join(recordings, 'tigervnc-xterm-scroll.fbs');
    expect(encodeWork({ path, viewers: 3, loops: 1, verify: true, share: true }).mismatched).toBe(0);
  });
});
