import { IpmiError } from '../errors.js';

/**
 * IPMI completion codes in words (IPMI v2.0 §5.2, table 5-2, plus the command-specific codes we meet).
 * Errors show both the number and the words, e.g. "0xD4 insufficient privilege".
 */
const GENERIC: ReadonlyMap<number, string> = new Map([
  [0x00, 'command completed normally'],
  [0xc0, 'node busy'],
  [0xc1, 'invalid command'],
  [0xc2, 'command invalid for given LUN'],
  [0xc3, 'timeout while processing command'],
  [0xc4, 'out of space'],
  [0xc5, 'reservation cancelled or invalid'],
  [0xc6, 'request data truncated'],
  [0xc7, 'request data length invalid'],
  [0xc8, 'request data field length limit exceeded'],
  [0xc9, 'parameter out of range'],
  [0xca, 'cannot return number of requested data bytes'],
  [0xcb, 'requested sensor, data or record not present'],
  [0xcc, 'invalid data field in request'],
  [0xcd, 'command illegal for specified sensor or record type'],
  [0xce, 'command response could not be provided'],
  [0xcf, 'cannot execute duplicated request'],
  [0xd0, 'SDR repository in update mode'],
  [0xd1, 'device in firmware update mode'],
  [0xd2, 'BMC initialization in progress'],
  [0xd3, 'destination unavailable'],
  [0xd4, 'insufficient privilege'],
  [0xd5, 'not supported in present state'],
  [0xd6, 'sub-function disabled or unavailable'],
  [0xff, 'unspecified error'],
]);

/** Activate Payload (App 0x48) command-specific codes (§24.1, table 24-2). */
const ACTIVATE_PAYLOAD: ReadonlyMap<number, string> = new Map([
  [0x80, 'payload already active on another session'],
  [0x81, 'payload type is disabled'],
  [0x82, 'payload activation limit reached'],
  [0x83, 'cannot activate payload with encryption'],
  [0x84, 'cannot activate payload without encryption'],
]);

/** Deactivate Payload (App 0x49) command-specific codes (§24.2). */
const DEACTIVATE_PAYLOAD: ReadonlyMap<number, string> = new Map([
  [0x80, 'payload already deactivated'],
  [0x81, 'payload type is disabled'],
]);

/** Set Session Privilege Level (App 0x3B, §22.18). */
const SET_SESSION_PRIVILEGE: ReadonlyMap<number, string> = new Map([
  [0x80, 'requested level not available for this user'],
  [0x81, 'requested level exceeds channel or user privilege limit'],
  [0x82, 'cannot disable user level authentication'],
]);

/** Chooses the command-specific table for (netFn, cmd), if any. */
function specificTable(netFn: number, cmd: number): ReadonlyMap<number, string> | undefined {
  if (netFn !== 0x06) return undefined;
  if (cmd === 0x48) return ACTIVATE_PAYLOAD;
  if (cmd === 0x49) return DEACTIVATE_PAYLOAD;
  if (cmd === 0x3b) return SET_SESSION_PRIVILEGE;
  return undefined;
}

/** "0xD4 insufficient privilege"; command-specific codes need netFn (request netFn) and cmd. */
export function describeCompletionCode(cc: number, netFn?: number, cmd?: number): string {
  const hex = `0x${cc.toString(16).toUpperCase().padStart(2, '0')}`;
  const words =
    (netFn !== undefined && cmd !== undefined ? specificTable(netFn, cmd)?.get(cc) : undefined) ??
    GENERIC.get(cc) ??
    (cc >= 0x01 && cc <= 0x7e ? 'OEM-specific error' : cc >= 0x80 && cc <= 0xbe ? 'command-specific error' : 'unknown error');
  return `${hex} ${words}`;
}

/** A command answered with a non-zero completion code. Keeps the numbers for callers that branch on them. */
export class IpmiCompletionCodeError extends IpmiError {
  readonly completionCode: number;
  readonly netFn: number;
  readonly cmd: number;

  constructor(completionCode: number, netFn: number, cmd: number, what: string) {
    super('IPMI_ERR_COMPLETION_CODE', `${what} failed: ${describeCompletionCode(completionCode, netFn, cmd)}`, 'completionCode');
    this.name = 'IpmiCompletionCodeError';
    this.completionCode = completionCode;
    this.netFn = netFn;
    this.cmd = cmd;
  }
}

/** RMCP+ message status codes (Open Session Response, RAKP2, RAKP4; §13.24, table 13-15). */
const RMCPP_STATUS: ReadonlyMap<number, string> = new Map([
  [0x00, 'no errors'],
  [0x01, 'insufficient resources to create a session'],
  [0x02, 'invalid session ID'],
  [0x03, 'invalid payload type'],
  [0x04, 'invalid authentication algorithm'],
  [0x05, 'invalid integrity algorithm'],
  [0x06, 'no matching authentication payload'],
  [0x07, 'no matching integrity payload'],
  [0x08, 'inactive session ID'],
  [0x09, 'invalid role'],
  [0x0a, 'unauthorized role or privilege level requested'],
  [0x0b, 'insufficient resources to create a session at the requested role'],
  [0x0c, 'invalid name length'],
  [0x0d, 'unauthorized name'],
  [0x0e, 'unauthorized GUID'],
  [0x0f, 'invalid integrity check value'],
  [0x10, 'invalid confidentiality algorithm'],
  [0x11, 'no cipher suite match with proposed security algorithms'],
  [0x12, 'illegal or unrecognized parameter'],
]);

export function describeRmcpPlusStatus(status: number): string {
  const hex = `0x${status.toString(16).toUpperCase().padStart(2, '0')}`;
  return `${hex} ${RMCPP_STATUS.get(status) ?? 'unknown status'}`;
}

/**
 * Turns a non-zero RMCP+ status into an error whose code a caller (and an operator) can act on: an
 * unknown user, a refused cipher suite and a refused privilege level each get their own code.
 */
export function rmcpPlusStatusError(status: number, stage: 'Open Session' | 'RAKP2' | 'RAKP4'): IpmiError {
  const text = `${stage} refused by the BMC: ${describeRmcpPlusStatus(status)}`;
  switch (status) {
    case 0x0d:
      return new IpmiError('IPMI_ERR_UNKNOWN_USER', `${text} (the BMC does not know this user name)`, 'status');
    case 0x04:
    case 0x05:
    case 0x10:
    case 0x11:
      return new IpmiError('IPMI_ERR_CIPHER_SUITE_REJECTED', `${text} (the BMC does not support this cipher suite)`, 'status');
    case 0x09:
    case 0x0a:
      return new IpmiError('IPMI_ERR_PRIVILEGE_REJECTED', `${text} (the user may not have this privilege level)`, 'status');
    case 0x0f:
      return new IpmiError('IPMI_ERR_BAD_PASSWORD', `${text} (the BMC rejected our RAKP3: wrong password or Kg)`, 'status');
    default:
      return new IpmiError('IPMI_ERR_RMCPP_STATUS', text, 'status');
  }
}
