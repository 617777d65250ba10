import { IpmiError } from '../errors.js';
import { BMC_SLAVE_ADDRESS, REMOTE_CONSOLE_SWID } from './constants.js';

/**
 * IPMI LAN messages (IPMI v2.0 §13.8, table 13-4): the bytes inside an RMCP+ payload of type IPMI, or
 * inside an IPMI v1.5 session. Requests go console → BMC, responses BMC → console.
 *
 *   request:  rsAddr | netFn<<2|rsLUN | chk1 | rqAddr | rqSeq<<2|rqLUN | cmd | data… | chk2
 *   response: rqAddr | netFn<<2|rqLUN | chk1 | rsAddr | rqSeq<<2|rsLUN | cmd | cc | data… | chk2
 */

export interface IpmiRequest {
  readonly netFn: number;
  readonly cmd: number;
  /** 6-bit request sequence; kept the same when a request is retransmitted (§6.12.13). */
  readonly rqSeq: number;
  readonly data: Uint8Array;
}

export interface IpmiResponse {
  /** The response netFn (request netFn + 1). */
  readonly netFn: number;
  readonly cmd: number;
  readonly rqSeq: number;
  readonly completionCode: number;
  /** A view into the decoded buffer. */
  readonly data: Buffer;
}

export const RQ_SEQ_MODULO = 64;

/** Two's-complement checksum (§13.8): the byte that makes the covered bytes sum to 0 mod 256. */
export function ipmiChecksum(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let sum = 0;
  for (let i = start; i < end; i++) sum = (sum + bytes[i]!) & 0xff;
  return (0x100 - sum) & 0xff;
}

function checkByte(value: number, max: number, field: string): void {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new IpmiError('IPMI_ERR_BAD_ARGUMENT', `must be an integer in 0..${max}, got ${value}`, field);
  }
}

function frame(addr1: number, netFn: number, addr2: number, rqSeq: number, cmd: number, body: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(7 + body.length);
  out[0] = addr1;
  out[1] = (netFn << 2) & 0xff;
  out[2] = ipmiChecksum(out, 0, 2);
  out[3] = addr2;
  out[4] = (rqSeq << 2) & 0xff;
  out[5] = cmd;
  out.set(body, 6);
  out[out.length - 1] = ipmiChecksum(out, 3, out.length - 1);
  return out;
}

export function encodeIpmiRequest(req: IpmiRequest): Buffer {
  checkByte(req.netFn, 0x3f, 'netFn');
  checkByte(req.cmd, 0xff, 'cmd');
  checkByte(req.rqSeq, RQ_SEQ_MODULO - 1, 'rqSeq');
  return frame(BMC_SLAVE_ADDRESS, req.netFn, REMOTE_CONSOLE_SWID, req.rqSeq, req.cmd, req.data);
}

/** Used by test responders (the BMC role). */
export function encodeIpmiResponse(res: { netFn: number; cmd: number; rqSeq: number; completionCode: number; data: Uint8Array }): Buffer {
  checkByte(res.netFn, 0x3f, 'netFn');
  checkByte(res.completionCode, 0xff, 'completionCode');
  const body = Buffer.allocUnsafe(1 + res.data.length);
  body[0] = res.completionCode;
  body.set(res.data, 1);
  return frame(REMOTE_CONSOLE_SWID, res.netFn, BMC_SLAVE_ADDRESS, res.rqSeq, res.cmd, body);
}

function checkFrame(buf: Uint8Array, min: number, what: string): void {
  if (buf.length < min) throw new IpmiError('IPMI_ERR_TRUNCATED', `${what} of ${buf.length} bytes is shorter than ${min}`, 'ipmiMessage');
  if (ipmiChecksum(buf, 0, 2) !== buf[2]) throw new IpmiError('IPMI_ERR_BAD_CHECKSUM', `${what} header checksum mismatch`, 'chk1');
  if (ipmiChecksum(buf, 3, buf.length - 1) !== buf[buf.length - 1]) {
    throw new IpmiError('IPMI_ERR_BAD_CHECKSUM', `${what} body checksum mismatch`, 'chk2');
  }
}

/** Decodes a response; `data` is a view into `buf`. Throws IpmiError on a short message or bad checksum. */
export function decodeIpmiResponse(buf: Buffer): IpmiResponse {
  checkFrame(buf, 8, 'IPMI response');
  const netFn = buf[1]! >> 2;
  if ((netFn & 1) === 0) throw new IpmiError('IPMI_ERR_BAD_RESPONSE', `netFn 0x${netFn.toString(16)} is a request netFn`, 'netFn');
  return {
    netFn,
    cmd: buf[5]!,
    rqSeq: buf[4]! >> 2,
    completionCode: buf[6]!,
    data: buf.subarray(7, buf.length - 1),
  };
}

/** Decodes a request (the BMC role, for test responders); `data` is a view into `buf`. */
export function decodeIpmiRequest(buf: Buffer): IpmiRequest {
  checkFrame(buf, 7, 'IPMI request');
  const netFn = buf[1]! >> 2;
  if ((netFn & 1) !== 0) throw new IpmiError('IPMI_ERR_BAD_REQUEST', `netFn 0x${netFn.toString(16)} is a response netFn`, 'netFn');
  return { netFn, cmd: buf[5]!, rqSeq: buf[4]! >> 2, data: buf.subarray(6, buf.length - 1) };
}
