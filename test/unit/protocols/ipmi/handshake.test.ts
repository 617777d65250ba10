import { describe, expect, it } from 'vitest';
import { cipherSuite } from '../../../../protocols/ipmi/cipher-suites.js';
import { PayloadType } from '../../../../protocols/ipmi/constants.js';
import { ClientHandshake } from '../../../../protocols/ipmi/handshake.js';
import { passwordKey } from '../../../../protocols/ipmi/keys.js';
import { decodeRmcpPacket, encodeV20Packet } from '../../../../protocols/ipmi/rmcp-packet.js';
import { checkWholeAndTruncated, expectCode, hex } from './helpers.js';

// The suite-3 exchange of notes §1.9 replayed through the client state machine. BMC messages are
// written out by hand from the byte layouts of notes §1.4–1.5 (not produced by our encoders).
const SIDM_WIRE = 'a4a3a2a0';
const SIDC_WIRE = '82070000';
const RM = '79e05bbd091ae85330cdafba3a1387ff';
const RC = '65587dc9dd97fc268b3962aed35b75a9';
const GUID = 'a123456789abcdefa123456789abcdef';
const RAKP2_CODE = '7c15bf128a22c7c00a5d2eeefdb64047032fae88';
const RAKP3_CODE = '03c0be5d0fbae7899fc7b85fd1c9d466aae1dd30';
const RAKP4_ICV = '476a8a45b964f8003dda934e';

const setup = (type: number, payload: string) => encodeV20Packet({ payloadType: type, encrypted: false, sessionId: 0, sessionSeq: 0, payload: hex(payload) });
const OPEN_RSP = `00 00 04 00 ${SIDM_WIRE} ${SIDC_WIRE} 0000000801000000 0100000801000000 0200000801000000`;
const RAKP2 = `00 00 0000 ${SIDM_WIRE} ${RC} ${GUID} ${RAKP2_CODE}`;
const RAKP4 = `00 00 0000 ${SIDM_WIRE} ${RAKP4_ICV}`;

function handshake(password = 'secret', suiteId = 3) {
  return new ClientHandshake({
    suite: cipherSuite(suiteId),
    userName: Buffer.from('admin'),
    kuid: passwordKey(password),
    privilege: 4,
    consoleSessionId: hex(SIDM_WIRE).readUInt32LE(0),
    tag: 0,
    rm: hex(RM),
  });
}

describe('ClientHandshake (suite 3 vector)', () => {
  it('sends the captured Open Session Request, RAKP1 and RAKP3, and derives the captured keys', () => {
    const hs = handshake();
    const open = hs.start();
    // notes §1.4: the request payload as ipmitool sent it (we ask for privilege 4 where ipmitool sends 0).
    expect(open.toString('hex')).toBe(
      hex(`0600ff07 06 10 00000000 00000000 2000 00 04 0000 ${SIDM_WIRE} 0000000801000000 0100000801000000 0200000801000000`).toString('hex'),
    );
    const s1 = hs.receive(setup(PayloadType.OPEN_SESSION_RESPONSE, OPEN_RSP));
    if (s1.type !== 'send') throw new Error('expected RAKP1');
    expect(s1.datagram.subarray(16).toString('hex')).toBe(
      hex(`00 000000 ${SIDC_WIRE} ${RM} 14 0000 05 ${Buffer.from('admin').toString('hex')}`).toString('hex'),
    );
    const s2 = hs.receive(setup(PayloadType.RAKP2, RAKP2));
    if (s2.type !== 'send') throw new Error('expected RAKP3');
    expect(s2.datagram.subarray(16).toString('hex')).toBe(hex(`00 00 0000 ${SIDC_WIRE} ${RAKP3_CODE}`).toString('hex'));
    const s3 = hs.receive(setup(PayloadType.RAKP4, RAKP4));
    if (s3.type !== 'established') throw new Error('expected established');
    expect(s3.keys.sik.toString('hex')).toBe('b75e0575b2650ec402aee0d5ae26dccb0407250e');
    expect(s3.bmcSessionId).toBe(0x782);
    expect(s3.codec.outboundSessionId).toBe(0x782);
  });

  it('takes each BMC message whole; every truncation of it is an IpmiError', () => {
    const msgs = [setup(PayloadType.OPEN_SESSION_RESPONSE, OPEN_RSP), setup(PayloadType.RAKP2, RAKP2), setup(PayloadType.RAKP4, RAKP4)];
    msgs.forEach((msg, step) => {
      checkWholeAndTruncated(msg, (b) => {
        const hs = handshake();
        hs.start();
        for (let i = 0; i < step; i++) hs.receive(msgs[i]!);
        const r = hs.receive(b);
        return r.type === 'send' ? r.datagram.subarray(0, 16 + 8).toString('hex') : r.type;
      });
    });
  });

  it('names a wrong password at RAKP2', () => {
    const hs = handshake('wrong');
    hs.start();
    hs.receive(setup(PayloadType.OPEN_SESSION_RESPONSE, OPEN_RSP));
    expectCode(() => hs.receive(setup(PayloadType.RAKP2, RAKP2)), 'IPMI_ERR_BAD_PASSWORD');
  });

  it('maps RMCP+ statuses to their own errors', () => {
    const at = (status: string, stage: 'open' | 'rakp2' | 'rakp4') => {
      const hs = handshake();
      hs.start();
      if (stage === 'open') return () => hs.receive(setup(0x11, `00 ${status} 00 00 ${SIDM_WIRE}`));
      hs.receive(setup(0x11, OPEN_RSP));
      if (stage === 'rakp2') return () => hs.receive(setup(0x13, `00 ${status} 0000 ${SIDM_WIRE}`));
      hs.receive(setup(0x13, RAKP2));
      return () => hs.receive(setup(0x15, `00 ${status} 0000 ${SIDM_WIRE}`));
    };
    expectCode(at('04', 'open'), 'IPMI_ERR_CIPHER_SUITE_REJECTED');
    expectCode(at('11', 'open'), 'IPMI_ERR_CIPHER_SUITE_REJECTED');
    expectCode(at('01', 'open'), 'IPMI_ERR_RMCPP_STATUS');
    const unknown = expectCode(at('0d', 'rakp2'), 'IPMI_ERR_UNKNOWN_USER');
    expect(unknown.message).toContain('0x0D unauthorized name');
    expectCode(at('09', 'rakp2'), 'IPMI_ERR_PRIVILEGE_REJECTED');
    expectCode(at('0f', 'rakp4'), 'IPMI_ERR_BAD_PASSWORD');
  });

  it('a bad RAKP4 ICV (a wrong Kg) is IPMI_ERR_BAD_RAKP4', () => {
    const hs = new ClientHandshake({
      suite: cipherSuite(3),
      userName: Buffer.from('admin'),
      kuid: passwordKey('secret'),
      kg: hex('0102030405'),
      privilege: 4,
      consoleSessionId: hex(SIDM_WIRE).readUInt32LE(0),
      tag: 0,
      rm: hex(RM),
    });
    hs.start();
    hs.receive(setup(0x11, OPEN_RSP));
    hs.receive(setup(0x13, RAKP2));
    expectCode(() => hs.receive(setup(0x15, RAKP4)), 'IPMI_ERR_BAD_RAKP4');
  });

  it('drops stale replies (other tag, other payload, other console session) as IPMI_ERR_STALE_MESSAGE', () => {
    const hs = handshake();
    hs.start();
    expectCode(() => hs.receive(setup(0x11, OPEN_RSP.replace(/^00/, '07'))), 'IPMI_ERR_STALE_MESSAGE');
    expectCode(() => hs.receive(setup(0x13, RAKP2)), 'IPMI_ERR_STALE_MESSAGE');
    expectCode(() => hs.receive(setup(0x11, OPEN_RSP.replace(SIDM_WIRE, '01020304'))), 'IPMI_ERR_STALE_MESSAGE');
    // …and still completes afterwards.
    expect(hs.receive(setup(0x11, OPEN_RSP)).type).toBe('send');
  });

  it('refuses a BMC that answers with other algorithms than asked', () => {
    const hs = handshake();
    hs.start();
    expectCode(() => hs.receive(setup(0x11, OPEN_RSP.replace('0200000801000000', '0200000800000000'))), 'IPMI_ERR_CIPHER_SUITE_REJECTED');
  });

  it('asks for suite 17 algorithms (3, 4, 1)', () => {
    const open = decodeRmcpPacket(handshake('secret', 17).start());
    if (open.type !== 'v20') throw new Error('v20');
    expect(open.payload.subarray(8).toString('hex')).toBe('000000080300000001000008040000000200000801000000');
  });
});
