import { IpmiError } from '../../protocols/errors.js';
import { decodeChannelAuthCaps } from '../../protocols/ipmi/channel-auth-caps.js';
import { decodeChassisStatus } from '../../protocols/ipmi/chassis.js';
import { decodeDeviceId } from '../../protocols/ipmi/device-id.js';
import { cipherSuite } from '../../protocols/ipmi/cipher-suites.js';
import { ClientHandshake } from '../../protocols/ipmi/handshake.js';
import { passwordKey, type SessionKeys } from '../../protocols/ipmi/keys.js';
import { decodeIpmiRequest, decodeIpmiResponse } from '../../protocols/ipmi/message.js';
import { decodeOpenSessionRequest, decodeOpenSessionResponse, decodeRakp1, decodeRakp2, decodeRakp3, decodeRakp4 } from '../../protocols/ipmi/rakp.js';
import { decodeRmcpPacket } from '../../protocols/ipmi/rmcp-packet.js';
import { sealPacket } from '../../protocols/ipmi/session-crypto.js';
import { SessionCodec } from '../../protocols/ipmi/session-codec.js';
import { SolEngine } from '../../protocols/ipmi/sol-engine.js';
import { decodeActivatePayloadResponse, decodeSolPacket } from '../../protocols/ipmi/sol-packet.js';
import type { FuzzTarget } from '../types.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const K = hex('510c4528b48a1aa7a8138efd70bd13ee2caaece6');
const KEYS: SessionKeys = { sik: K, k1: K, k2: K, aesKey: K.subarray(0, 16) };
const SUITES = [3, 17].map((id) => cipherSuite(id));

/** Real datagram layouts (IPMI v2.0 §13): Get Channel Auth Caps, an Open Session Response, sealed suite 3 and 17 packets. */
export const IPMI_SEEDS: readonly Buffer[] = [
  hex('0600ff07 00 00000000 00000000 10 811c632000 38 00 0197060300000000 07'),
  hex('0600ff07 06 11 00000000 00000000 2400 00 00 04 00 a4a3a2a0 82070000 0000000801000000 0100000801000000 0200000801000000'),
  sealPacket(SUITES[0]!, KEYS, { payloadType: 0, sessionId: 7, sessionSeq: 1, payload: hex('811c632000 3800 07') }),
  sealPacket(SUITES[1]!, KEYS, { payloadType: 1, sessionId: 7, sessionSeq: 2, payload: hex('03000000 4849') }),
];

/** Every decoder a datagram from a BMC (or from anyone on the UDP port) reaches. */
export const IPMI_DECODERS: readonly ((b: Buffer) => unknown)[] = [
  (b) => decodeRmcpPacket(b),
  (b) => decodeRmcpPacket(b, 12),
  (b) => decodeRmcpPacket(b, 16),
  decodeIpmiResponse,
  decodeIpmiRequest,
  decodeChannelAuthCaps,
  decodeChassisStatus,
  decodeDeviceId,
  decodeOpenSessionRequest,
  decodeOpenSessionResponse,
  decodeRakp1,
  (b) => decodeRakp2(b, 20),
  (b) => decodeRakp3(b, 32),
  (b) => decodeRakp4(b, 12),
  decodeSolPacket,
  decodeActivatePayloadResponse,
  (b) => new SessionCodec({ suite: SUITES[0]!, keys: KEYS, outboundSessionId: 1, inboundSessionId: 7 }).open(b),
  (b) => new SessionCodec({ suite: SUITES[1]!, keys: KEYS, outboundSessionId: 1, inboundSessionId: 7 }).open(b),
  (b) => {
    const hs = new ClientHandshake({
      suite: SUITES[0]!,
      userName: Buffer.from('admin'),
      kuid: passwordKey('secret'),
      privilege: 4,
      tag: 0,
      consoleSessionId: 0xa0a2a3a4,
    });
    hs.start();
    return hs.receive(b);
  },
  (b) => new SolEngine({ maxCharsPerPacket: 28 }).receive(decodeSolPacket(b)),
];

/** RMCP/RMCP+, RAKP, the session codec (suites 3 and 17) and SOL: the input's first byte picks the decoder. */
export const ipmi: FuzzTarget = {
  name: 'ipmi',
  description: 'IPMI 2.0: RMCP/RMCP+ packets, RAKP 1-4 and Open Session, session codec (suites 3 and 17), IPMI messages, SOL packets and engine',
  coverage: ['/protocols/ipmi/'],
  seeds: () => IPMI_SEEDS.flatMap((s) => IPMI_DECODERS.map((_, i) => Buffer.concat([Buffer.from([i]), s]))),
  run(input) {
    if (input.length === 0) return 'empty';
    const i = input[0]! % IPMI_DECODERS.length;
    IPMI_DECODERS[i]!(input.subarray(1));
    return `decoder-${i}`;
  },
  expected: (err) => err instanceof IpmiError,
};
