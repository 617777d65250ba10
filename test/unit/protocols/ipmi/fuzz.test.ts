import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { IpmiError } from '../../../../protocols/errors.js';
import { decodeChannelAuthCaps } from '../../../../protocols/ipmi/channel-auth-caps.js';
import { decodeChassisStatus } from '../../../../protocols/ipmi/chassis.js';
import { decodeDeviceId } from '../../../../protocols/ipmi/device-id.js';
import { cipherSuite } from '../../../../protocols/ipmi/cipher-suites.js';
import { ClientHandshake } from '../../../../protocols/ipmi/handshake.js';
import { passwordKey, type SessionKeys } from '../../../../protocols/ipmi/keys.js';
import { decodeIpmiRequest, decodeIpmiResponse } from '../../../../protocols/ipmi/message.js';
import {
  decodeOpenSessionRequest, decodeOpenSessionResponse, decodeRakp1, decodeRakp2, decodeRakp3, decodeRakp4,
} from '../../../../protocols/ipmi/rakp.js';
import { decodeRmcpPacket } from '../../../../protocols/ipmi/rmcp-packet.js';
import { sealPacket } from '../../../../protocols/ipmi/session-crypto.js';
import { SessionCodec } from '../../../../protocols/ipmi/session-codec.js';
import { SolEngine } from '../../../../protocols/ipmi/sol-engine.js';
import { decodeActivatePayloadResponse, decodeSolPacket } from '../../../../protocols/ipmi/sol-packet.js';
import { hex } from './helpers.js';

/** xorshift32: reproducible "random" input, so a failure can be replayed. */
function rng(seed: number) {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    return x / 0x100000000;
  };
}

const K = hex('510c4528b48a1aa7a8138efd70bd13ee2caaece6');
const keys: SessionKeys = { sik: K, k1: K, k2: K, aesKey: K.subarray(0, 16) };
const suites = [3, 17].map((id) => cipherSuite(id));

const SEEDS: Buffer[] = [
  hex('0600ff07 00 00000000 00000000 10 811c632000 38 00 0197060300000000 07'),
  hex('0600ff07 06 11 00000000 00000000 2400 00 00 04 00 a4a3a2a0 82070000 0000000801000000 0100000801000000 0200000801000000'),
  sealPacket(suites[0]!, keys, { payloadType: 0, sessionId: 7, sessionSeq: 1, payload: hex('811c632000 3800 07') }),
  sealPacket(suites[1]!, keys, { payloadType: 1, sessionId: 7, sessionSeq: 2, payload: hex('03000000 4849') }),
];

const DECODERS: ((b: Buffer) => unknown)[] = [
  (b) => decodeRmcpPacket(b),
  (b) => decodeRmcpPacket(b, 12),
  (b) => decodeRmcpPacket(b, 16),
  decodeIpmiResponse, decodeIpmiRequest, decodeChannelAuthCaps, decodeChassisStatus, decodeDeviceId,
  decodeOpenSessionRequest, decodeOpenSessionResponse, decodeRakp1,
  (b) => decodeRakp2(b, 20), (b) => decodeRakp3(b, 32), (b) => decodeRakp4(b, 12),
  decodeSolPacket, decodeActivatePayloadResponse,
  (b) => new SessionCodec({ suite: suites[0]!, keys, outboundSessionId: 1, inboundSessionId: 7 }).open(b),
  (b) => new SessionCodec({ suite: suites[1]!, keys, outboundSessionId: 1, inboundSessionId: 7 }).open(b),
  (b) => {
    const hs = new ClientHandshake({ suite: suites[0]!, userName: Buffer.from('admin'), kuid: passwordKey('secret'), privilege: 4, tag: 0, consoleSessionId: 0xa0a2a3a4 });
    hs.start();
    return hs.receive(b);
  },
  (b) => new SolEngine({ maxCharsPerPacket: 28 }).receive(decodeSolPacket(b)),
];

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
      if (i % 2 === 0 && len >= 6) { b[0] = 6; b[1] = 0; b[2] = 0xff; b[3] = 7; b[4] = 6; }
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
