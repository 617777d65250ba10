import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { IpmiError } from '../../../../protocols/errors.js';
import { decodeRmcpPacket } from '../../../../protocols/ipmi/rmcp-packet.js';
import { IPMI_DECODERS as DECODERS, IPMI_SEEDS as SEEDS } from '../../../../fuzz/targets/ipmi.js';
import { prng as rng } from '../../../helpers/prng.js';

function onlyIpmiErrors(input: Buffer): void {
  for (const decode of DECODERS) {
    try {
      decode(input);
    } catch (err) {
      if (!(err instanceof IpmiError)) {
        throw new Error(`non-IpmiError ${String(err)} for input ${input.toString('hex')}`);
      }
    }
  }
}

describe('fuzz: only IpmiError escapes the IPMI decoders', () => {
  it('random datagrams', () => {
    const r = rng(0x1b2c3d);
    for (let i = 0; i < 3000; i++) {
      const len = Math.floor(r() * 120);
      const b = Buffer.alloc(len);
      for (let j = 0; j < len; j++) b[j] = Math.floor(r() * 256);
      // Half of them get a valid RMCP header and RMCP+ auth type so they reach deeper code.
      if (i % 2 === 0 && len >= 6) {
        b[0] = 6;
        b[1] = 0;
        b[2] = 0xff;
        b[3] = 7;
        b[4] = 6;
      }
      onlyIpmiErrors(b);
    }
  });

  it('mutated real datagrams (bit flips, truncation, extension, length fields)', () => {
    const r = rng(0xfeed);
    for (const seed of SEEDS) {
      for (let i = 0; i < 1500; i++) {
        let b = Buffer.from(seed);
        const kind = i % 4;
        if (kind === 0) b[Math.floor(r() * b.length)]! ^= 1 << Math.floor(r() * 8);
        if (kind === 1) b = b.subarray(0, Math.floor(r() * b.length));
        if (kind === 2) b = Buffer.concat([b, Buffer.alloc(Math.floor(r() * 40), Math.floor(r() * 256))]);
        if (kind === 3 && b.length >= 16) b.writeUInt16LE(Math.floor(r() * 0x10000), 14);
        onlyIpmiErrors(b);
      }
    }
  });

  it('an over-long payload length is IPMI_ERR_TOO_LARGE before anything else', () => {
    const b = Buffer.from(SEEDS[2]!);
    b.writeUInt16LE(0xffff, 14);
    expect(() => decodeRmcpPacket(b, 12)).toThrow(expect.objectContaining({ code: 'IPMI_ERR_TOO_LARGE' }));
  });
});

describe('protocols/ipmi stays pure', () => {
  it('imports no sockets, timers, HTTP or logging', () => {
    const dir = join(import.meta.dirname, '../../../../protocols/ipmi');
    for (const f of readdirSync(dir).filter((n) => n.endsWith('.ts'))) {
      const src = readFileSync(join(dir, f), 'utf8');
      expect(src, f).not.toMatch(/from ['"](node:)?(net|dgram|tls|http|https|ws|fastify|undici|pino|timers)['"]/);
      expect(src, f).not.toMatch(/\b(setTimeout|setInterval|setImmediate|console\.(log|warn|error|info|debug))/);
    }
  });
});
