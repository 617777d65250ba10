/**
 * Errors raised by the pure codecs in protocols/.
 *
 * Every error carries a stable `code` (RFB_ERR_*, ATEN_ERR_*, IPMI_ERR_*, FBS_ERR_*, PCAP_ERR_*) and, where one
 * piece of input was at fault, the protocol `field` that was wrong. Bad bytes from a peer are always
 * one of these; anything else escaping a parser is a bug (a fuzz test checks this).
 * The mapping to HTTP status / WebSocket close code happens in src/errors.ts, not here.
 */
export class ProtocolError extends Error {
  readonly code: string;
  readonly field: string | undefined;

  constructor(code: string, message: string, field?: string) {
    super(field ? `${field}: ${message}` : message);
    this.name = 'ProtocolError';
    this.code = code;
    this.field = field;
  }
}

export class RfbError extends ProtocolError {
  constructor(code: `RFB_ERR_${string}`, message: string, field?: string) {
    super(code, message, field);
    this.name = 'RfbError';
  }
}

export class AtenError extends ProtocolError {
  constructor(code: `ATEN_ERR_${string}`, message: string, field?: string) {
    super(code, message, field);
    this.name = 'AtenError';
  }
}

export class IpmiError extends ProtocolError {
  constructor(code: `IPMI_ERR_${string}`, message: string, field?: string) {
    super(code, message, field);
    this.name = 'IpmiError';
  }
}

export class FbsError extends ProtocolError {
  constructor(code: `FBS_ERR_${string}`, message: string, field?: string) {
    super(code, message, field);
    this.name = 'FbsError';
  }
}

export class PcapError extends ProtocolError {
  constructor(code: `PCAP_ERR_${string}`, message: string, field?: string) {
    super(code, message, field);
    this.name = 'PcapError';
  }
}
