import { SecurityType } from '../rfb/constants.js';
import { encodeServerInit, type ServerInitMessage } from '../rfb/server-init.js';
import { encodeProtocolVersion } from '../rfb/version.js';
import { FBS_LIMITS } from '../limits.js';

/**
 * FBS 001.000, the recording format of rfbproxy, vnc-reflector and the TightVNC Java player
 * (checked against the
 * public descriptions: rfbproxy.c's format comment, vnc-reflector's fbs writer, TightVNC player's
 * FbsInputStream, which accepts any three digits after "FBS 001."):
 *
 *   "FBS 001.000\n"                         12-byte signature
 *   then blocks:  U32 length (big-endian)   bytes of server-to-client RFB stream in this block
 *                 data, zero-padded to a multiple of 4
 *                 U32 timestamp (big-endian) milliseconds since the recording started
 *
 * The concatenated block data is the server side of an RFB session as a client saw it, starting
 * with the RFB 3.3 handshake (vnc-reflector writes "RFB 003.003\n", security-type U32 1 = None,
 * then ServerInit), so a player only needs a 3.3 client handshake without a reply channel.
 */
export const FBS_SIGNATURE = Buffer.from('FBS 001.000\n', 'latin1');

/** One block, ready to append to a file. Copies `data` (the caller may reuse it). */
export function encodeFbsBlock(data: Uint8Array, timestampMs: number): Buffer {
  if (!Number.isInteger(timestampMs) || timestampMs < 0 || timestampMs > 0xffffffff) {
    throw new Error(`assert: FBS timestamp ${timestampMs} ms is not a U32`);
  }
  const padded = (data.length + 3) & ~3;
  const out = Buffer.alloc(4 + padded + 4);
  out.writeUInt32BE(data.length, 0);
  out.set(data, 4);
  out.writeUInt32BE(timestampMs, 4 + padded);
  return out;
}

/**
 * `data` as one or more blocks with the same timestamp, none longer than
 * FBS_LIMITS.writeBlockBytes (the RFB stream does not care where blocks split it).
 */
export function encodeFbsBlocks(data: Uint8Array, timestampMs: number): Buffer[] {
  const out: Buffer[] = [];
  for (let off = 0; off < data.length; off += FBS_LIMITS.writeBlockBytes) {
    out.push(encodeFbsBlock(data.subarray(off, off + FBS_LIMITS.writeBlockBytes), timestampMs));
  }
  return out;
}

/**
 * The server side of an RFB 3.3 handshake as a recording starts with it: ProtocolVersion
 * "RFB 003.003\n", security-type U32 1 (None; in 3.3 the server picks, RFC 6143 §7.1.2 / rfbproto
 * "Version 3.3"), then ServerInit. No ClientInit: a recording holds only what the server sent.
 */
export function encodeRfb33ServerPreamble(init: ServerInitMessage): Buffer {
  const security = Buffer.alloc(4);
  security.writeUInt32BE(SecurityType.None, 0);
  return Buffer.concat([encodeProtocolVersion('3.3'), security, encodeServerInit(init)]);
}
