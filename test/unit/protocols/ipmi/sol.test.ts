import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SolEngine } from '../../../../protocols/ipmi/sol-engine.js';
import {
  decodeActivatePayloadResponse,
  decodeSolPacket,
  encodeActivateSolData,
  encodeSolPacket,
  type SolPacket,
} from '../../../../protocols/ipmi/sol-packet.js';
import { checkWholeAndTruncated, expectCode, hex } from './helpers.js';

const pkt = (sequence: number, ackSequence: number, acceptedCount: number, control: number, data = ''): SolPacket => ({
  sequence,
  ackSequence,
  acceptedCount,
  control,
  data: Buffer.from(data, 'latin1'),
});

describe('SOL payload codec', () => {
  it('decodes the exchange observed between ipmitool and ipmi_sim (notes §3.2)', () => {
    const d = (h: string) => {
      const p = checkWholeAndTruncated(
        hex(h),
        (b) => {
          const r = decodeSolPacket(b);
          return { ...r, data: r.data.toString('latin1') };
        },
        4,
      );
      return p;
    };
    expect(d('02 00 00 00')).toEqual({ sequence: 2, ackSequence: 0, acceptedCount: 0, control: 0, data: '' });
    expect(d('01 00 00 00 68 69')).toEqual({ sequence: 1, ackSequence: 0, acceptedCount: 0, control: 0, data: 'hi' });
    expect(d('00 01 02 00')).toEqual({ sequence: 0, ackSequence: 1, acceptedCount: 2, control: 0, data: '' });
    expect(d('03 00 00 00 48 49')).toEqual({ sequence: 3, ackSequence: 0, acceptedCount: 0, control: 0, data: 'HI' });
    expect(encodeSolPacket(pkt(0, 3, 2, 0)).toString('hex')).toBe('00030200');
    expect(encodeSolPacket(pkt(1, 0, 0, 0, 'hi')).toString('hex')).toBe('010000006869');
  });

  it('refuses reserved sequence bits and data on an ACK-only packet', () => {
    expectCode(() => decodeSolPacket(hex('10 00 00 00')), 'IPMI_ERR_BAD_SOL_PACKET');
    expectCode(() => decodeSolPacket(hex('01 20 00 00')), 'IPMI_ERR_BAD_SOL_PACKET');
    expectCode(() => decodeSolPacket(hex('00 01 01 00 41')), 'IPMI_ERR_BAD_SOL_PACKET');
    expectCode(() => decodeSolPacket(hex('01 00 00')), 'IPMI_ERR_TRUNCATED');
  });

  it('Activate Payload: request as ipmitool sends it, response as ipmi_sim answers', () => {
    expect(encodeActivateSolData().toString('hex')).toBe('0101c6000000');
    const r = decodeActivatePayloadResponse(hex('00000000 2000 0040 9725 ffff'));
    expect(r).toEqual({ inboundPayloadSize: 32, outboundPayloadSize: 0x4000, port: 9623, vlan: null });
    expectCode(() => decodeActivatePayloadResponse(hex('00000000 2000 0040 9725')), 'IPMI_ERR_TRUNCATED');
    expectCode(() => decodeActivatePayloadResponse(hex('00000000 0400 0040 9725 ffff')), 'IPMI_ERR_BAD_RESPONSE');
  });
});

describe('SolEngine', () => {
  it('primes with an empty seq-1 packet, then sends data from seq 2 (ipmi_sim duplicate-seq quirk)', () => {
    const e = new SolEngine({ maxCharsPerPacket: 28, primeWithEmptyPacket: true });
    e.write(Buffer.from('root\r'));
    const p1 = e.next()!;
    expect(p1).toMatchObject({ sequence: 1, data: Buffer.alloc(0) });
    expect(e.next()).toBeNull(); // one in flight
    e.receive(pkt(0, 1, 0, 0));
    const p2 = e.next()!;
    expect(p2.sequence).toBe(2);
    expect(p2.data.toString()).toBe('root\r');
  });

  it('splits writes into packets of the BMC size, never over 255, and wraps 15 → 1', () => {
    const e = new SolEngine({ maxCharsPerPacket: 1000 });
    e.write(Buffer.alloc(600, 0x41));
    const sizes: number[] = [];
    const seqs: number[] = [];
    for (let p = e.next(); p; p = e.next()) {
      sizes.push(p.data.length);
      seqs.push(p.sequence);
      e.receive(pkt(0, p.sequence, p.data.length, 0));
    }
    expect(sizes).toEqual([255, 255, 90]);
    const w = new SolEngine({ maxCharsPerPacket: 1 });
    w.write(Buffer.alloc(17));
    const s: number[] = [];
    for (let p = w.next(); p; p = w.next()) {
      s.push(p.sequence);
      w.receive(pkt(0, p.sequence, 1, 0));
    }
    expect(s).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 1, 2]);
  });

  it('sends BREAK on the next packet, with or without characters', () => {
    const e = new SolEngine({ maxCharsPerPacket: 10 });
    e.sendBreak();
    const p = e.next()!;
    expect(p).toMatchObject({ sequence: 1, control: 0x10 });
    expect(p.data.length).toBe(0);
    e.receive(pkt(0, 1, 0, 0));
    e.write(Buffer.from('x'));
    expect(e.next()!.control).toBe(0);
  });

  it('resends the unaccepted tail of a partial ACK under the next sequence', () => {
    const e = new SolEngine({ maxCharsPerPacket: 10 });
    e.write(Buffer.from('abcdefghij'));
    const p = e.next()!;
    const r = e.receive(pkt(0, p.sequence, 4, 0));
    expect(r.answered).toBe(true);
    const q = e.next()!;
    expect(q.sequence).toBe(p.sequence + 1);
    expect(q.data.toString()).toBe('efghij');
  });

  it('retransmits the same packet on tick and gives up after maxAttempts', () => {
    const e = new SolEngine({ maxCharsPerPacket: 10, maxAttempts: 3 });
    e.write(Buffer.from('x'));
    const p = e.next()!;
    expect(e.tick()).toBe(p);
    expect(e.tick()).toBe(p);
    expectCode(() => e.tick(), 'IPMI_ERR_SOL_NO_ACK');
  });

  it('pauses on NACK / character transfer unavailable and resumes on a later packet or tick', () => {
    const e = new SolEngine({ maxCharsPerPacket: 10 });
    e.write(Buffer.from('hello'));
    const p = e.next()!;
    e.receive(pkt(0, p.sequence, 0, 0x40 | 0x20));
    expect(e.next()).toBeNull();
    expect(e.busy).toBe(true);
    e.receive(pkt(0, 0, 0, 0)); // status without the bits: the BMC can take characters again
    const q = e.next()!;
    expect(q.data.toString()).toBe('hello');
    e.receive(pkt(0, q.sequence, 0, 0x40));
    expect(e.next()).toBeNull();
    expect(e.tick()!.data.toString()).toBe('hello');
  });

  it('ACKs every data packet, delivers only the new tail of a retransmission, and ignores late duplicates', () => {
    const e = new SolEngine({ maxCharsPerPacket: 10 });
    let r = e.receive(pkt(2, 0, 0, 0));
    expect(r.ack).toMatchObject({ sequence: 0, ackSequence: 2, acceptedCount: 0 });
    expect(r.data).toBeNull();
    r = e.receive(pkt(3, 0, 0, 0, 'HI'));
    expect(r.data!.toString()).toBe('HI');
    expect(r.ack).toMatchObject({ ackSequence: 3, acceptedCount: 2 });
    r = e.receive(pkt(3, 0, 0, 0, 'HI'));
    expect(r.data).toBeNull();
    expect(r.ack).toMatchObject({ ackSequence: 3, acceptedCount: 2 });
    r = e.receive(pkt(3, 0, 0, 0, 'HI THERE'));
    expect(r.data!.toString()).toBe(' THERE');
    r = e.receive(pkt(2, 0, 0, 0, 'old'));
    expect(r.data).toBeNull();
    expect(r.ack).not.toBeNull();
    r = e.receive(pkt(4, 0, 0, 0x10));
    expect(r.deactivating).toBe(true);
    expect(e.receive(pkt(0, 9, 1, 0)).ack).toBeNull(); // ACKs are never ACKed
  });

  it('takes at most 255 characters of a packet (the accepted count is one byte) and says so', () => {
    const e = new SolEngine({ maxCharsPerPacket: 10 });
    const big = Buffer.alloc(300, 0x42);
    let r = e.receive({ sequence: 1, ackSequence: 0, acceptedCount: 0, control: 0, data: big });
    expect(r.data!.length).toBe(255);
    expect(r.ack!.acceptedCount).toBe(255);
    // The BMC sends the rest under its next sequence number.
    r = e.receive({ sequence: 2, ackSequence: 0, acceptedCount: 0, control: 0, data: big.subarray(255) });
    expect(r.data!.length).toBe(45);
  });

  it('two engines over a lossy, duplicating link deliver every byte in order', () => {
    for (let round = 0; round < 5; round++) {
      const a = new SolEngine({ maxCharsPerPacket: 28, primeWithEmptyPacket: true, maxAttempts: 1000 });
      const b = new SolEngine({ maxCharsPerPacket: 200, maxAttempts: 1000 });
      const aToB = randomBytes(5000 + round * 997);
      const bToA = randomBytes(3000 + round * 431);
      a.write(aToB);
      b.write(bToA);
      const atA: Buffer[] = [];
      const atB: Buffer[] = [];
      const queue: { to: 'a' | 'b'; p: SolPacket }[] = [];
      const link = (to: 'a' | 'b', p: SolPacket | null) => {
        if (!p) return;
        const roll = Math.random();
        if (roll < 0.1) return; // lost
        queue.push({ to, p: decodeSolPacket(encodeSolPacket(p)) });
        if (roll > 0.95) queue.push({ to, p }); // duplicated
      };
      for (let step = 0; step < 200_000 && (Buffer.concat(atB).length < aToB.length || Buffer.concat(atA).length < bToA.length); step++) {
        link('b', a.next());
        link('a', b.next());
        const item = queue.shift();
        if (!item) {
          link('b', a.tick());
          link('a', b.tick());
          continue;
        }
        const [me, out] = item.to === 'a' ? [a, atA] : [b, atB];
        const r = me.receive(item.p);
        if (r.data) out.push(Buffer.from(r.data));
        link(item.to === 'a' ? 'b' : 'a', r.ack);
      }
      expect(Buffer.concat(atB).equals(aToB)).toBe(true);
      expect(Buffer.concat(atA).equals(bToA)).toBe(true);
    }
  });
});
