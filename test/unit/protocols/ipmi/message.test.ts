import { describe, expect, it } from 'vitest';
import { describeCompletionCode, describeRmcpPlusStatus } from '../../../../protocols/ipmi/completion-codes.js';
import { decodeIpmiRequest, decodeIpmiResponse, encodeIpmiRequest, encodeIpmiResponse, ipmiChecksum } from '../../../../protocols/ipmi/message.js';
import { checkWholeAndTruncated, expectCode, hex } from './helpers.js';

describe('IPMI LAN messages', () => {
  it('checksums as the spec and the captures do', () => {
    expect(ipmiChecksum(hex('2018'))).toBe(0xc8);
    expect(ipmiChecksum(hex('811c'))).toBe(0x63);
    expect(ipmiChecksum(Buffer.alloc(0))).toBe(0);
  });

  it('encodes Set Session Privilege as in the suite-3 capture (notes §1.7)', () => {
    expect(encodeIpmiRequest({ netFn: 6, cmd: 0x3b, rqSeq: 1, data: Buffer.of(4) }).toString('hex')).toBe('2018c881043b043c');
  });

  it('decodes a response (ipmi_sim auth caps) and refuses bad checksums', () => {
    const rsp = hex('811c632000 38 00 0197060300000000 07');
    const r = checkWholeAndTruncated(rsp, decodeIpmiResponse);
    expect(r).toMatchObject({ netFn: 7, cmd: 0x38, rqSeq: 0, completionCode: 0 });
    const bad1 = Buffer.from(rsp);
    bad1[2] = 0x64;
    expectCode(() => decodeIpmiResponse(bad1), 'IPMI_ERR_BAD_CHECKSUM');
    const bad2 = Buffer.from(rsp);
    bad2[rsp.length - 1] = 0;
    expectCode(() => decodeIpmiResponse(bad2), 'IPMI_ERR_BAD_CHECKSUM');
    expectCode(() => decodeIpmiResponse(encodeIpmiRequest({ netFn: 6, cmd: 1, rqSeq: 1, data: Buffer.of(1) })), 'IPMI_ERR_BAD_RESPONSE');
  });

  it('round-trips requests and responses (responder role)', () => {
    const req = decodeIpmiRequest(encodeIpmiRequest({ netFn: 0, cmd: 2, rqSeq: 63, data: Buffer.of(5) }));
    expect({ ...req, data: [...req.data] }).toEqual({ netFn: 0, cmd: 2, rqSeq: 63, data: [5] });
    const res = decodeIpmiResponse(encodeIpmiResponse({ netFn: 1, cmd: 2, rqSeq: 63, completionCode: 0xd4, data: Buffer.alloc(0) }));
    expect(res.completionCode).toBe(0xd4);
    expectCode(() => encodeIpmiRequest({ netFn: 6, cmd: 1, rqSeq: 64, data: Buffer.alloc(0) }), 'IPMI_ERR_BAD_ARGUMENT');
  });

  it('names completion codes and RMCP+ statuses in words', () => {
    expect(describeCompletionCode(0xd4)).toBe('0xD4 insufficient privilege');
    expect(describeCompletionCode(0xc1)).toBe('0xC1 invalid command');
    expect(describeCompletionCode(0x80, 0x06, 0x48)).toBe('0x80 payload already active on another session');
    expect(describeCompletionCode(0x80, 0x06, 0x49)).toBe('0x80 payload already deactivated');
    expect(describeCompletionCode(0x80)).toBe('0x80 command-specific error');
    expect(describeRmcpPlusStatus(0x0d)).toBe('0x0D unauthorized name');
  });
});
