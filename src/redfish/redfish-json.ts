import { GatewayError } from '../errors.js';

/**
 * BMC JSON is untrusted input: every size, count and string a Redfish service sends is bounded
 * before we use it, and a value of the wrong type is a GW_ERR_BMC_PROTOCOL naming the property —
 * never a TypeError deep in our code. (A ComputerSystem is 5–40 KB on iDRAC, iLO and OpenBMC.)
 */
export const REDFISH_LIMITS = Object.freeze({
  /** One response body. */
  maxBodyBytes: 1 << 20,
  /** Members of a collection we look at, entries of an AllowableValues list. */
  maxMembers: 256,
  /** A string we keep (names, states, messages from the BMC). */
  maxStringChars: 2048,
  /** A resource path (@odata.id, Location, TaskMonitor). */
  maxPathChars: 1024,
  /** A header value we keep (X-Auth-Token, ETag, Location). */
  maxHeaderChars: 4096,
  /** @Message.ExtendedInfo entries we read. */
  maxMessages: 16,
});

export type Json = Record<string, unknown>;

export function protocolError(message: string): GatewayError {
  return new GatewayError('GW_ERR_BMC_PROTOCOL', message);
}

export function isObject(v: unknown): v is Json {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

export function asObject(v: unknown, what: string): Json {
  if (!isObject(v)) throw protocolError(`${what} is not a JSON object`);
  return v;
}

/** An optional string property; longer than the limit, or not a string, is a protocol error. */
export function optString(o: Json, key: string, what: string): string | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw protocolError(`${what}.${key} is not a string`);
  if (v.length > REDFISH_LIMITS.maxStringChars) throw protocolError(`${what}.${key} is longer than ${REDFISH_LIMITS.maxStringChars} characters`);
  return v;
}

export function optBoolean(o: Json, key: string, what: string): boolean | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') throw protocolError(`${what}.${key} is not true or false`);
  return v;
}

export function optObject(o: Json, key: string, what: string): Json | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  return asObject(v, `${what}.${key}`);
}

/** A list of strings (AllowableValues, MediaTypes), bounded; undefined when absent. */
export function optStringList(o: Json, key: string, what: string): string[] | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v)) throw protocolError(`${what}.${key} is not a list`);
  if (v.length > REDFISH_LIMITS.maxMembers) throw protocolError(`${what}.${key} has more than ${REDFISH_LIMITS.maxMembers} entries`);
  return v.map((s, i) => {
    if (typeof s !== 'string' || s.length > 256) throw protocolError(`${what}.${key}[${i}] is not a short string`);
    return s;
  });
}

/**
 * A resource path the BMC gave us (an @odata.id, a Location header, a TaskMonitor). Requests only
 * ever go to the configured host, so a path is all we keep: an absolute URL is reduced to its path
 * (firmware writes its own address there, which may not be the one we reach it by). It must lie
 * under /redfish/v1 (DSP0266 "Resource URI": every Redfish resource does), without "..".
 */
export function checkPath(value: string, what: string): string {
  let p = value;
  if (/^https?:\/\//i.test(p)) {
    try {
      const u = new URL(p);
      p = u.pathname + u.search;
    } catch {
      throw protocolError(`${what} is not a path or URL: "${value.slice(0, 80)}"`);
    }
  }
  if (p.length > REDFISH_LIMITS.maxPathChars) throw protocolError(`${what} is longer than ${REDFISH_LIMITS.maxPathChars} characters`);
  // eslint-disable-next-line no-control-regex
  if (!/^\/redfish\/v1(?:[/?][^\s#\u0000-\u001f]*)?$/.test(p) || p.split(/[/?]/).includes('..')) {
    throw protocolError(`${what} is not a Redfish path (/redfish/v1/…): "${p.slice(0, 80)}"`);
  }
  return p;
}

/** `{"@odata.id": "/redfish/v1/…"}` → the path. */
export function linkPath(v: unknown, what: string): string {
  const o = asObject(v, what);
  const id = o['@odata.id'];
  if (typeof id !== 'string') throw protocolError(`${what} has no "@odata.id"`);
  return checkPath(id, `${what}["@odata.id"]`);
}

export function optLink(o: Json, key: string, what: string): string | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  return linkPath(v, `${what}.${key}`);
}

/** A list of links (`Members`, `Links.ManagedBy`), bounded. */
export function linkList(o: Json, key: string, what: string): string[] {
  const v = o[key];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw protocolError(`${what}.${key} is not a list`);
  if (v.length > REDFISH_LIMITS.maxMembers) throw protocolError(`${what}.${key} has more than ${REDFISH_LIMITS.maxMembers} entries`);
  return v.map((m, i) => linkPath(m, `${what}.${key}[${i}]`));
}

/** Text from the BMC shown to people: control characters removed, bounded. */
export function cleanText(s: string, max = 300): string {
  // eslint-disable-next-line no-control-regex
  const t = s.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  return t.length > max ? `${t.slice(0, max)}…` : t;
}
