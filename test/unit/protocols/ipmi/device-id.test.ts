import { describe, expect, it } from 'vitest';
import { BMC_MANUFACTURERS, decodeDeviceId } from '../../../../protocols/ipmi/device-id.js';
import { decodeIpmiResponse, encodeIpmiResponse } from '../../../../protocols/ipmi/message.js';
import { decodeRmcpPacket, encodeV15Packet } from '../../../../protocols/ipmi/rmcp-packet.js';
import { checkWholeAndTruncated, hex } from './helpers.js';

// Get Device ID response data, IPMI v2.0 §20.1 table 20-2, written out by hand: device 0x20, revision 3
// (SDRs bit set), firmware 9 (available bit clear) . 0x08 BCD, IPMI 2.0 (0x02), device support 0x9f,
// manufacturer 0x1291 (LS byte first, 3 bytes), product 0x0f02, 4 auxiliary bytes. ipmi_sim's test BMC
// (test/helpers/ipmi-sim.ts: "mc_add 0x20 0 no-device-sdrs 0x23 9 8 0x9f 0x1291 0xf02") answers the same fields.
const DATA = hex('20 83 09 08 02 9f 911200 020f 00000000');

describe('Get Device ID (§20.1)', () => {
  it('decodes manufacturer, product, firmware and IPMI version', () => {
    expect(decodeDeviceId(DATA)).toEqual({
      deviceId: 0x20,
      deviceRevision: 3,
      firmware: '9.08',
      ipmiVersion: '2.0',
      manufacturerId: 0x1291,
      productId: 0x0f02,
    });
    expect(decodeDeviceId(hex('20 01 81 23 51 00 7c2a00 0100')).ipmiVersion).toBe('1.5');
  });

  it('through RMCP v1.5 framing: whole, at any offset, and every truncation refused', () => {
    const datagram = encodeV15Packet(encodeIpmiResponse({ netFn: 0x07, cmd: 0x01, rqSeq: 5, completionCode: 0, data: DATA }));
    const id = checkWholeAndTruncated(datagram, (b) => {
      const p = decodeRmcpPacket(b);
      if (p.type !== 'v15') throw new Error('expected v1.5');
      return decodeDeviceId(decodeIpmiResponse(p.message).data);
    });
    expect(id.manufacturerId).toBe(0x1291);
  });

  it('names the makers it knows by IANA number (Supermicro 10876 = 0x2a7c)', () => {
    expect(BMC_MANUFACTURERS.get(decodeDeviceId(hex('20 01 81 23 02 00 7c2a00 0100')).manufacturerId)).toBe('Supermicro');
  });
});
