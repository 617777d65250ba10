import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CaptureReader, captureFormatOf, type CapturedPacket } from '../../../../protocols/pcap/capture-reader.js';
import { PcapError } from '../../../../protocols/errors.js';
import { splits } from '../../../helpers/aten/feed.js';
import { prng } from '../../../helpers/prng.js';
import { ethernetTcp, pcapFile, pcapngFile, pcapRecords, type TestPacket } from '../../../helpers/pcap-files.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');
const X10 = join(ROOT, '../shared/fixtures/aten/sessions/X10SRi-F_1.89.pcap');

const packets: TestPacket[] = [
  {
    timeUs: 1_453_794_146_123_456,
    frame: ethernetTcp({ src: '10.0.0.1', dst: '10.0.0.2', sport: 1, dport: 2, seq: 7, payload: Buffer.from('RFB 003.008\n') }),
  },
  { timeUs: 1_453_794_146_500_001, frame: ethernetTcp({ src: '10.0.0.2', dst: '10.0.0.1', sport: 2, dport: 1, seq: 9, padded: true }) },
  // Cut by the snap length: 30 of its 74 bytes captured.
  {
    timeUs: 1_453_794_147_000_000,
    frame: ethernetTcp({ src: '10.0.0.1', dst: '10.0.0.2', sport: 1, dport: 2, seq: 19, payload: Buffer.alloc(20, 1) }).subarray(0, 30),
    originalLength: 74,
  },
];

function readAll(file: Buffer, chunks: Buffer[] = [file]): CapturedPacket[] {
  const r = new CaptureReader();
  const out: CapturedPacket[] = [];
  for (const c of chunks) for (const p of r.push(c)) out.push({ ...p, data: Buffer.from(p.data) });
  r.end();
  return out;
}

function expectPackets(got: CapturedPacket[], linkType = 1, exactUs = true): void {
  expect(got).toHaveLength(packets.length);
  got.forEach((p, i) => {
    expect(p.linkType).toBe(linkType);
    expect(p.data.equals(packets[i]!.frame)).toBe(true);
    expect(p.originalLength).toBe(packets[i]!.originalLength ?? packets[i]!.frame.length);
    if (exactUs) expect(p.timeUs).toBe(packets[i]!.timeUs);
    else expect(Math.abs(p.timeUs - packets[i]!.timeUs)).toBeLessThan(1);
  });
}

describe('CaptureReader: libpcap', () => {
  for (const [name, o] of [
    ['little-endian, microseconds (tcpdump on x86)', {}],
    ['big-endian, microseconds', { bigEndian: true }],
    ['little-endian, nanoseconds', { nanos: true }],
    ['big-endian, nanoseconds, Linux cooked link type', { bigEndian: true, nanos: true, linkType: 113 }],
  ] as const) {
    it(`${name}: every packet, whole, split at every byte and one byte at a time`, () => {
      const file = pcapFile(packets, o);
      expect(captureFormatOf(file)).toBe('pcap');
      for (const s of splits(file)) expectPackets(readAll(file, s.chunks), 'linkType' in o ? o.linkType : 1, !('nanos' in o));
    });
  }

  it('reads the real X10SRi-F capture: 391 Ethernet packets, times in order', () => {
    const got = readAll(readFileSync(X10));
    expect(got).toHaveLength(391);
    expect(new Set(got.map((p) => p.linkType))).toEqual(new Set([1]));
    for (let i = 1; i < got.length; i++) expect(got[i]!.timeUs).toBeGreaterThanOrEqual(got[i - 1]!.timeUs);
  });
});

describe('CaptureReader: pcapng', () => {
  for (const [name, o] of [
    ['little-endian, default microsecond resolution, with blocks to skip', { extraBlocks: true }],
    ['big-endian, nanosecond resolution (if_tsresol 9)', { bigEndian: true, tsresol: 9 }],
    ['little-endian, binary resolution 2^-20 (if_tsresol 0x94)', { tsresol: 0x94 }],
  ] as const) {
    it(`${name}: every packet, whole, split at every byte and one byte at a time`, () => {
      const file = pcapngFile(packets, o);
      expect(captureFormatOf(file)).toBe('pcapng');
      for (const s of splits(file)) expectPackets(readAll(file, s.chunks), 1, !('tsresol' in o));
    });
  }

  it('Simple Packet Blocks: data cut to the packet length, no times', () => {
    const got = readAll(pcapngFile(packets.slice(0, 2), { simple: true }));
    expect(got.map((p) => p.data.equals(packets[got.indexOf(p)]!.frame))).toEqual([true, true]);
    expect(got.map((p) => p.timeUs)).toEqual([0, 0]);
  });

  it('the real capture converted to pcapng gives the same packets', () => {
    const { linkType, packets: recs } = pcapRecords(readFileSync(X10));
    const a = readAll(readFileSync(X10));
    const b = readAll(pcapngFile(recs, { linkType }));
    expect(b).toEqual(a);
  });
});

describe('CaptureReader: bad files', () => {
  const err = (file: Buffer, code: string) => {
    expect(() => readAll(file)).toThrow(expect.objectContaining({ code }));
  };

  it('names what is wrong with a typed error', () => {
    err(Buffer.from('RFB 003.008\n'), 'PCAP_ERR_NOT_A_CAPTURE');
    err(Buffer.alloc(0), 'PCAP_ERR_TRUNCATED');
    const v1 = pcapFile(packets);
    v1.writeUInt16LE(1, 4);
    err(v1, 'PCAP_ERR_VERSION');
    const huge = pcapFile(packets);
    huge.writeUInt32LE(0x7fffffff, 24 + 8);
    err(huge, 'PCAP_ERR_LIMIT');
    err(pcapFile(packets).subarray(0, 60), 'PCAP_ERR_TRUNCATED');
    const ng = pcapngFile(packets);
    const badBom = Buffer.from(ng);
    badBom.writeUInt32LE(0x12345678, 8);
    err(badBom, 'PCAP_ERR_BAD_BLOCK');
    const badTrailer = Buffer.from(ng);
    badTrailer.writeUInt32LE(9999, ng.readUInt32LE(4) - 4);
    err(badTrailer, 'PCAP_ERR_BAD_BLOCK');
    const oddLength = Buffer.from(ng);
    oddLength.writeUInt32LE(13, 4);
    err(oddLength, 'PCAP_ERR_BAD_BLOCK');
    const bigBlock = Buffer.from(ng);
    bigBlock.writeUInt32LE(0x7ffffff0, 4);
    err(bigBlock, 'PCAP_ERR_LIMIT');
    // A packet for interface 3 when the section describes one.
    const shb = ng.readUInt32LE(4);
    const idb = ng.readUInt32LE(shb + 4);
    const badIface = Buffer.from(ng);
    badIface.writeUInt32LE(3, shb + idb + 8);
    err(badIface, 'PCAP_ERR_BAD_BLOCK');
  });

  it('a truncated file gives every whole packet first, then PCAP_ERR_TRUNCATED from end()', () => {
    const file = pcapFile(packets);
    const r = new CaptureReader();
    expect(r.push(file.subarray(0, file.length - 5))).toHaveLength(2);
    expect(() => r.end()).toThrow(expect.objectContaining({ code: 'PCAP_ERR_TRUNCATED' }));
  });

  it('fuzz: flipped bits, cuts and random bytes only ever raise PcapError', () => {
    const rnd = prng(0x9cab);
    const real = readFileSync(X10);
    const bases = [real.subarray(0, 4000), pcapngFile(pcapRecords(real).packets.slice(0, 20)), pcapFile(packets)];
    for (let i = 0; i < 600; i++) {
      const b = Buffer.from(bases[i % 3]!);
      for (let k = 0; k < 1 + (i % 5); k++) {
        const j = Math.floor(rnd() * b.length);
        b[j] = b[j]! ^ (1 << Math.floor(rnd() * 8));
      }
      const cut = i % 4 === 0 ? b.subarray(0, Math.floor(rnd() * b.length)) : b;
      try {
        readAll(cut, [cut.subarray(0, 100), cut.subarray(100)]);
      } catch (e) {
        expect(e).toBeInstanceOf(PcapError);
      }
    }
  });
});
