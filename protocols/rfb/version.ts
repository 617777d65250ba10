import { RfbError } from '../errors.js';

/** The three published protocol versions (rfbproto §7.1.1 ProtocolVersion). */
export type RfbVersion = '3.3' | '3.7' | '3.8';

/** A ProtocolVersion message is exactly 12 ASCII bytes: "RFB xxx.yyy\n". */
export const PROTOCOL_VERSION_BYTES = 12;

const VERSION_RE = /^RFB (\d{3})\.(\d{3})\n$/;

export interface VersionNumber {
  major: number;
  minor: number;
}

/** Parses a ProtocolVersion message; anything not of the form "RFB xxx.yyy\n" is RFB_ERR_BAD_VERSION. */
export function parseProtocolVersion(bytes: Uint8Array, field = 'ProtocolVersion'): VersionNumber {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('latin1');
  const m = VERSION_RE.exec(text);
  if (!m) {
    throw new RfbError('RFB_ERR_BAD_VERSION', `not an RFB version banner: ${JSON.stringify(text)}`, field);
  }
  return { major: Number(m[1]), minor: Number(m[2]) };
}

export function encodeProtocolVersion(version: RfbVersion): Buffer {
  return Buffer.from(version === '3.3' ? 'RFB 003.003\n' : version === '3.7' ? 'RFB 003.007\n' : 'RFB 003.008\n', 'latin1');
}

/**
 * Client role: the version we answer a server's offer with — the highest we speak that is not above
 * the offer (§7.1.1: "A client should never request a protocol version higher than that offered").
 *
 * - 3.x below 3.7 (3.5 from old software, 3.6 from UltraVNC) are 3.3 handshakes (§7.1.1 on 3.5;
 *   noVNC core/rfb.js treats 3.6 the same).
 * - Above 3.8 (Apple's 3.889, Intel AMT's 4.0, RealVNC's 4.1 and 5.0) we answer 3.8: those servers
 *   accept a 3.8 client (noVNC core/rfb.js maps all of them to 3.8).
 * - Majors below 3 (e.g. "RFB 000.000", the UltraVNC repeater) are not RFB servers we can talk to.
 */
export function clientVersionFor(offer: VersionNumber): RfbVersion {
  if (offer.major < 3) {
    throw new RfbError('RFB_ERR_BAD_VERSION', `server offers RFB ${offer.major}.${offer.minor}, we need 3.3 or later`, 'ProtocolVersion');
  }
  if (offer.major > 3 || offer.minor >= 8) return '3.8';
  if (offer.minor === 7) return '3.7';
  return '3.3';
}

/**
 * Server role (we offered 3.8): the handshake a client's reply selects.
 *
 * - 3.3, 3.7, 3.8 as themselves; other 3.x below 3.7 as 3.3 (§7.1.1: "3.5 ... should be interpreted
 *   by all servers as 3.3").
 * - A reply above our 3.8 breaks §7.1.1, but the clients known to do it (Apple's 3.889) speak the 3.8
 *   handshake, so we run 3.8 rather than drop them.
 */
export function serverVersionFor(reply: VersionNumber): RfbVersion {
  if (reply.major < 3) {
    throw new RfbError('RFB_ERR_BAD_VERSION', `client asks for RFB ${reply.major}.${reply.minor}, we need 3.3 or later`, 'ProtocolVersion');
  }
  if (reply.major > 3 || reply.minor >= 8) return '3.8';
  if (reply.minor === 7) return '3.7';
  return '3.3';
}
