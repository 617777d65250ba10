import { describe, expect, it } from 'vitest';
import { decodeTcpFrame, type TcpSegment } from '../../../../protocols/pcap/tcp-packet.js';
import { TcpReassembler } from '../../../../protocols/pcap/tcp-reassembly.js';
import { prng } from '../../../helpers/prng.js';
import { conversation, ethernetTcp, ipTcp, type TestPacket } from '../../../helpers/pcap-files.js';

const seg = (frame: Buffer, linkType = 1): TcpSegment => {
  const d = decodeTcpFrame(linkType, frame);
  if (d.kind !== 'tcp') throw new Error(`skipped: ${d.reason}`);
  return d.segment;
};

function reassemble(packets: TestPacket[]) {
  const r = new TcpReassembler();
  for (const p of packets) {
    const d = decodeTcpFrame(1, p.frame);
    if (d.kind === 'tcp') r.add(d.segment, p.timeUs);
  }
  return r.finish();
}

const SERVER = Buffer.from(Array.from({ length: 10_000 }, (_, i) => (i * 7 + (i >> 8)) & 0xff));
const CLIENT = Buffer.from('RFB 003.008\n' + 'x'.repeat(300));

describe('decodeTcpFrame', () => {
  const o = { src: '192.168.1.10', dst: '10.0.0.1', sport: 5900, dport: 40001, seq: 0xfffffff0, payload: Buffer.from('hello') };

  it('Ethernet, 802.1Q, raw IP, Linux cooked (SLL and SLL2), BSD loopback, IPv6', () => {
    const ip = ipTcp(o);
    const sll = Buffer.concat([Buffer.alloc(14), Buffer.from([0x08, 0x00]), ip]);
    const sll2 = Buffer.concat([Buffer.from([0x08, 0x00]), Buffer.alloc(18), ip]);
    const nullLe = Buffer.concat([Buffer.from([2, 0, 0, 0]), ip]);
    const loop = Buffer.concat([Buffer.from([0, 0, 0, 2]), ip]);
    for (const [lt, f] of [
      [1, ethernetTcp(o)],
      [1, ethernetTcp({ ...o, vlan: 42 })],
      [101, ip],
      [12, ip],
      [228, ip],
      [113, sll],
      [276, sll2],
      [0, nullLe],
      [108, loop],
    ] as const) {
      const s = seg(f, lt);
      expect(s, `link type ${lt}`).toMatchObject({ src: '192.168.1.10:5900', dst: '10.0.0.1:40001', seq: 0xfffffff0, syn: false, fin: false, missing: 0 });
      expect(s.payload.toString()).toBe('hello');
    }
    const v6 = seg(ethernetTcp({ ...o, src: 'fe80::1', dst: '2001:db8::42:1' }));
    expect([v6.src, v6.dst]).toEqual(['[fe80::1]:5900', '[2001:db8::42:1]:40001']);
  });

  it('drops Ethernet padding by the IP length; reports what a snap length cut off', () => {
    const padded = ethernetTcp({ ...o, payload: Buffer.from('a'), padded: true });
    expect(padded.length).toBe(60);
    expect(seg(padded).payload.toString()).toBe('a');
    const cut = seg(ethernetTcp({ ...o, payload: Buffer.alloc(100) }).subarray(0, 14 + 20 + 20 + 30));
    expect([cut.payload.length, cut.missing]).toEqual([30, 70]);
  });

  it('skips what is not TCP, with the reason, and never throws on garbage', () => {
    const udp = ipTcp(o);
    udp[9] = 17;
    expect(decodeTcpFrame(101, udp)).toEqual({ kind: 'skipped', reason: 'IP protocol 17' });
    const frag = ipTcp(o);
    frag.writeUInt16BE(0x2000, 6);
    expect(decodeTcpFrame(101, frag)).toEqual({ kind: 'skipped', reason: 'IPv4 fragment' });
    expect(decodeTcpFrame(147, ipTcp(o))).toEqual({ kind: 'skipped', reason: 'link type 147' });
    const arp = ethernetTcp(o);
    arp.writeUInt16BE(0x0806, 12);
    expect(decodeTcpFrame(1, arp)).toEqual({ kind: 'skipped', reason: 'ethertype 0x0806' });
    const rnd = prng(6);
    for (let i = 0; i < 3000; i++) {
      const f = Buffer.from(Array.from({ length: Math.floor(rnd() * 80) }, () => Math.floor(rnd() * 256)));
      if (i % 2) f[0] = 0x45;
      expect(() => decodeTcpFrame([0, 1, 101, 113, 276][i % 5]!, f)).not.toThrow();
    }
  });
});

describe('TcpReassembler', () => {
  it('one clean connection: both directions whole, from the SYN to the FIN, times from the capture', () => {
    const pkts = conversation({ server: SERVER, client: CLIENT, handshake: true });
    const [c, ...more] = reassemble(pkts);
    expect(more).toHaveLength(0);
    const { a, b } = c!;
    expect(a.src).toBe('10.0.0.1:40000'); // the client's SYN came first
    expect(b.data.equals(SERVER)).toBe(true);
    expect(a.data.equals(CLIENT)).toBe(true);
    expect([b.fromStart, b.toEnd, b.holes, b.duplicateSegments, b.outOfOrderSegments]).toEqual([true, true, [], 0, 0]);
    expect(b.chunks.map((x) => x.length).reduce((s, n) => s + n, 0)).toBe(SERVER.length);
    expect(b.chunks[0]!.timeUs).toBe(pkts[2]!.timeUs);
  });

  it('retransmissions, duplicates, overlaps and any order give the same bytes; chunk times never go back', () => {
    const base = conversation({ server: SERVER, mss: 700, handshake: true, serverIsn: 0xfffff000 }); // wraps the sequence space
    const rnd = prng(42);
    for (let round = 0; round < 40; round++) {
      const pkts = [...base];
      // Duplicate some, re-send some with an overlapping start, shuffle a window of them.
      for (let k = 0; k < 5; k++) pkts.splice(Math.floor(rnd() * pkts.length), 0, pkts[2 + Math.floor(rnd() * (pkts.length - 3))]!);
      const f = pkts[5]!.frame;
      const s = seg(f);
      pkts.push({
        timeUs: pkts.at(-1)!.timeUs + 1,
        frame: ethernetTcp({ src: '10.0.0.2', dst: '10.0.0.1', sport: 5900, dport: 40000, seq: (s.seq + 100) >>> 0, payload: s.payload.subarray(100) }),
      });
      for (let k = 0; k < 10; k++) {
        const i = 2 + Math.floor(rnd() * (pkts.length - 2));
        const j = Math.min(pkts.length - 1, i + 1 + Math.floor(rnd() * 4));
        [pkts[i], pkts[j]] = [pkts[j]!, pkts[i]!];
      }
      const { b } = reassemble(pkts)[0]!;
      expect(b.data.equals(SERVER), `round ${round}`).toBe(true);
      expect(b.holes).toEqual([]);
      expect(b.duplicateSegments).toBeGreaterThanOrEqual(5);
      expect(b.retransmittedBytes).toBeGreaterThan(0);
      for (let i = 1; i < b.chunks.length; i++) expect(b.chunks[i]!.timeUs).toBeGreaterThanOrEqual(b.chunks[i - 1]!.timeUs);
    }
    const swapped = [...base];
    [swapped[4], swapped[5]] = [swapped[5]!, swapped[4]!];
    expect(reassemble(swapped)[0]!.b.outOfOrderSegments).toBe(1);
  });

  it('a capture that starts and ends mid-stream: from the lowest sequence number seen, to the last byte', () => {
    const pkts = conversation({ server: SERVER, mss: 1000 }).slice(3, 8); // no SYN, no FIN, starts at byte 3000
    const { a } = reassemble([pkts[1]!, pkts[0]!, ...pkts.slice(2)])[0]!;
    expect([a.fromStart, a.toEnd]).toEqual([false, false]);
    expect(a.data.equals(SERVER.subarray(3000, 8000))).toBe(true);
  });

  it('lost segments are holes, reported where they are; the rest is kept', () => {
    const pkts = conversation({ server: SERVER, mss: 1000, handshake: true });
    const lost = pkts.filter((_, i) => i !== 4 && i !== 5); // server bytes 2000..3999
    const { b } = reassemble(lost)[0]!;
    expect(b.holes).toEqual([{ offset: 2000, missingBytes: 2000 }]);
    expect(b.data.equals(Buffer.concat([SERVER.subarray(0, 2000), SERVER.subarray(4000)]))).toBe(true);
    expect(b.chunks.some((c) => c.offset === 2000)).toBe(true);
  });
});
