import { createCipheriv } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decodeChannelAuthCaps, encodeGetChannelAuthCapsData } from '../../../../protocols/ipmi/channel-auth-caps.js';
import { cipherSuite } from '../../../../protocols/ipmi/cipher-suites.js';
import { PayloadType } from '../../../../protocols/ipmi/constants.js';
import { hmac, type SessionKeys } from '../../../../protocols/ipmi/keys.js';
import { decodeIpmiResponse, encodeIpmiRequest } from '../../../../protocols/ipmi/message.js';
import { decodeRmcpPacket, encodeV15Packet, encodeV20Packet } from '../../../../protocols/ipmi/rmcp-packet.js';
import { openPacket, sealPacket } from '../../../../protocols/ipmi/session-crypto.js';
import { SessionCodec } from '../../../../protocols/ipmi/session-codec.js';
import { checkWholeAndTruncated, expectCode, hex } from './helpers.js';

// Captured bytes (shared/notes/ipmi.md §1.2 and §1.7), not produced by our encoder.
const AUTH_CAPS_REQUEST = hex('0600ff07 00 00000000 00000000 09 2018c881003 88e04b5');
const AUTH_CAPS_RESPONSE = hex('0600ff07 00 00000000 00000000 10 811c632000 38 00 0197060300000000 07');
// Suite 3, Set Session Privilege (admin) from the console to ipmi_sim's session 0x782, seq 3.
const SUITE3_PACKET = hex(`06 00 ff 07 06 c0 82 07 00 00 03 00 00 00 20 00
  c6 d1 be 84 68 98 a3 a8 63 33 9b 9c 6e 05 cc c4
  45 15 d3 b3 6a 5f 90 4a f3 e5 f0 86 36 49 31 30
  ff ff 02 07
  29 41 3b e9 4f 89 63 2f b0 47 82 e1`);
const SUITE3_PLAINTEXT = hex('20 18 c8 81 04 3b 04 3c');
const SUITE3_IV = SUITE3_PACKET.subarray(16, 32);
const K1 = hex('10086b47c16c401dc16d50d7ee9e1285fd098fee');
const K2 = hex('510c4528b48a1aa7a8138efd70bd13ee2caaece6');
const suite3 = cipherSuite(3);
const keys3: SessionKeys = { sik: Buffer.alloc(20), k1: K1, k2: K2, aesKey: K2.subarray(0, 16) };

/** The BMC's view of the captured session: inbound packets carry its own ID 0x782. */
function bmcCodec(): SessionCodec {
  return new SessionCodec({ suite: suite3, keys: keys3, outboundSessionId: 0xa0a2a3a4, inboundSessionId: 0x782 });
}

describe('IPMI v1.5 framing: Get Channel Authentication Capabilities', () => {
  it('encodes the request byte for byte as ipmitool does', () => {
    const msg = encodeIpmiRequest({ netFn: 0x06, cmd: 0x38, rqSeq: 0, data: encodeGetChannelAuthCapsData(4) });
    expect(encodeV15Packet(msg).toString('hex')).toBe(AUTH_CAPS_REQUEST.toString('hex'));
  });

  it("decodes ipmi_sim's response whole, at any offset, and refuses every truncation", () => {
    const caps = checkWholeAndTruncated(AUTH_CAPS_RESPONSE, (b) => {
      const p = decodeRmcpPacket(b);
      if (p.type !== 'v15') throw new Error('expected v1.5');
      const res = decodeIpmiResponse(p.message);
      expect(res).toMatchObject({ netFn: 0x07, cmd: 0x38, completionCode: 0 });
      return decodeChannelAuthCaps(res.data);
    });
    expect(caps).toMatchObject({
      channel: 1,
      extendedData: true,
      supportsIpmi20: true,
      supportsIpmi15: true,
      kgSet: false,
      nonNullUserNames: true,
      nullUserNames: true,
    });
  });

  it('reads the Kg-set bit', () => {
    expect(decodeChannelAuthCaps(hex('01 97 26 03 00000000')).kgSet).toBe(true);
  });
});

describe('RMCP+ authenticated, encrypted packet (suite 3 capture)', () => {
  it('opens the captured packet to the captured plaintext', () => {
    const opened = checkWholeAndTruncated(SUITE3_PACKET, (b) => bmcCodec().open(b));
    expect(opened.payloadType).toBe(PayloadType.IPMI);
    expect(opened.sessionSeq).toBe(3);
    expect(Buffer.from(opened.payload).equals(SUITE3_PLAINTEXT)).toBe(true);
  });

  it('seals the captured plaintext to the captured bytes with the same IV', () => {
    const sealed = sealPacket(suite3, keys3, { payloadType: 0, sessionId: 0x782, sessionSeq: 3, payload: SUITE3_PLAINTEXT, iv: SUITE3_IV });
    expect(sealed.toString('hex')).toBe(SUITE3_PACKET.toString('hex'));
  });

  it('a changed bit anywhere in the authenticated region or the authcode is IPMI_ERR_BAD_AUTHCODE or a named field', () => {
    for (let i = 4; i < SUITE3_PACKET.length; i++) {
      const bad = Buffer.from(SUITE3_PACKET);
      bad[i]! ^= 0x01;
      const err = expectCode(() => bmcCodec().open(bad), expectedCodeForFlip(i));
      expect(err.field).toBeTruthy();
    }
  });

  function expectedCodeForFlip(i: number): string {
    if (i === 4) return 'IPMI_ERR_BAD_AUTH_TYPE'; // 06 → 07
    if (i === 5) return 'IPMI_ERR_BAD_AUTHCODE'; // c0 → c1: payload type SOL, still authenticated: authcode catches it
    if (i >= 6 && i <= 9) return 'IPMI_ERR_WRONG_SESSION_ID';
    if (i >= 10 && i <= 13) return 'IPMI_ERR_BAD_AUTHCODE'; // sequence moved within the window: authcode catches it
    if (i === 14) return 'IPMI_ERR_BAD_INTEGRITY_PAD'; // length 0x21: the trailer is read one byte later
    if (i === 15) return 'IPMI_ERR_TRUNCATED'; // length 0x120: longer than the datagram
    if (i >= 48 && i <= 49) return 'IPMI_ERR_BAD_INTEGRITY_PAD';
    if (i === 50) return 'IPMI_ERR_BAD_INTEGRITY_PAD'; // pad length
    if (i === 51) return 'IPMI_ERR_BAD_INTEGRITY_PAD'; // next header
    return 'IPMI_ERR_BAD_AUTHCODE';
  }

  it('rejects a replay and a sequence out of the window', () => {
    const codec = bmcCodec();
    codec.open(SUITE3_PACKET);
    expectCode(() => codec.open(SUITE3_PACKET), 'IPMI_ERR_REPLAYED_SEQUENCE');
    const far = sealPacket(suite3, keys3, { payloadType: 0, sessionId: 0x782, sessionSeq: 3 + 1000, payload: SUITE3_PLAINTEXT });
    expectCode(() => codec.open(far), 'IPMI_ERR_SEQUENCE_OUT_OF_WINDOW');
    const zero = sealPacket(suite3, keys3, { payloadType: 0, sessionId: 0x782, sessionSeq: 0, payload: SUITE3_PLAINTEXT });
    expectCode(() => codec.open(zero), 'IPMI_ERR_SEQUENCE_OUT_OF_WINDOW');
    // A forged packet (bad authcode) with a fresh sequence does not move the window.
    const next = sealPacket(suite3, keys3, { payloadType: 0, sessionId: 0x782, sessionSeq: 4, payload: SUITE3_PLAINTEXT });
    const forged = Buffer.from(next);
    forged[forged.length - 1]! ^= 0xff;
    expectCode(() => codec.open(forged), 'IPMI_ERR_BAD_AUTHCODE');
    expect(codec.open(next).sessionSeq).toBe(4);
  });

  it('rejects the wrong session ID', () => {
    const other = sealPacket(suite3, keys3, { payloadType: 0, sessionId: 0x783, sessionSeq: 3, payload: SUITE3_PLAINTEXT });
    expectCode(() => bmcCodec().open(other), 'IPMI_ERR_WRONG_SESSION_ID');
  });

  it('rejects unauthenticated and unencrypted packets in a suite-3 session', () => {
    const plain = encodeV20Packet({ payloadType: 0, encrypted: false, sessionId: 0x782, sessionSeq: 3, payload: SUITE3_PLAINTEXT });
    expectCode(() => bmcCodec().open(plain), 'IPMI_ERR_NOT_AUTHENTICATED');
    const authOnly = withAuthCode(encodeV20Packet({ payloadType: 0, encrypted: false, sessionId: 0x782, sessionSeq: 3, payload: SUITE3_PLAINTEXT }, 12));
    expectCode(() => bmcCodec().open(authOnly), 'IPMI_ERR_NOT_ENCRYPTED');
  });

  it('rejects a bad confidentiality pad and a ciphertext that is not whole blocks, behind a valid authcode', () => {
    // plaintext 8 bytes + pad 01..07 + 07 is the valid form; write 01 02 03 04 05 06 09 + 07 instead.
    const badPad = Buffer.concat([SUITE3_PLAINTEXT, hex('01020304050609 07')]);
    const manual = aesCbc(keys3.aesKey, SUITE3_IV, badPad);
    const pkt = withAuthCode(
      encodeV20Packet({ payloadType: 0, encrypted: true, sessionId: 0x782, sessionSeq: 3, payload: Buffer.concat([SUITE3_IV, manual]) }, 12),
    );
    expectCode(() => bmcCodec().open(pkt), 'IPMI_ERR_BAD_CONFIDENTIALITY_PAD');
    const bigPad = aesCbc(keys3.aesKey, SUITE3_IV, Buffer.concat([SUITE3_PLAINTEXT, hex('0102030405060717')]));
    const pkt2 = withAuthCode(
      encodeV20Packet({ payloadType: 0, encrypted: true, sessionId: 0x782, sessionSeq: 3, payload: Buffer.concat([SUITE3_IV, bigPad]) }, 12),
    );
    expectCode(() => bmcCodec().open(pkt2), 'IPMI_ERR_BAD_CONFIDENTIALITY_PAD');
    const ragged = withAuthCode(encodeV20Packet({ payloadType: 0, encrypted: true, sessionId: 0x782, sessionSeq: 3, payload: Buffer.alloc(16 + 15) }, 12));
    expectCode(() => bmcCodec().open(ragged), 'IPMI_ERR_BAD_CIPHERTEXT');
  });

  it('refuses an authenticated packet before a session exists, and trailing bytes', () => {
    expectCode(() => decodeRmcpPacket(SUITE3_PACKET, 0), 'IPMI_ERR_UNEXPECTED_AUTHENTICATION');
    expectCode(() => openPacket(suite3, keys3, Buffer.concat([SUITE3_PACKET, Buffer.of(0)])), 'IPMI_ERR_LENGTH_MISMATCH');
    const setup = encodeV20Packet({ payloadType: 0x10, encrypted: false, sessionId: 0, sessionSeq: 0, payload: Buffer.alloc(32) });
    expectCode(() => decodeRmcpPacket(Buffer.concat([setup, Buffer.of(1)])), 'IPMI_ERR_LENGTH_MISMATCH');
    expectCode(() => decodeRmcpPacket(hex('0600ff06 00')), 'IPMI_ERR_BAD_RMCP_HEADER');
    expectCode(() => decodeRmcpPacket(hex('0600ff07 02 00000000')), 'IPMI_ERR_BAD_AUTH_TYPE');
  });
});

function withAuthCode(packet: Buffer): Buffer {
  hmac('sha1', K1, packet.subarray(4, packet.length - 12)).copy(packet, packet.length - 12, 0, 12);
  return packet;
}

function aesCbc(key: Buffer, iv: Buffer, plain: Buffer): Buffer {
  const c = createCipheriv('aes-128-cbc', key, iv);
  c.setAutoPadding(false);
  return Buffer.concat([c.update(plain), c.final()]);
}
