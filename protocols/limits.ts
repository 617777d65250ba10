/**
 * Every length and count that comes off the wire is checked against one of these before anything is
 * allocated or waited for (STYLE habit 3). One place, so a reviewer sees all of them at once.
 */
export const LIMITS = Object.freeze({
  /** Largest framebuffer we accept from a server: 8K UHD. RFB allows 65535x65535, no BMC needs it. */
  maxFramebufferWidth: 8192,
  maxFramebufferHeight: 8192,
  /** ServerCutText / ClientCutText: clipboard text past this is refused. */
  maxCutTextBytes: 1 << 20,
  /** ServerInit desktop name; security failure reason strings. */
  maxNameBytes: 4096,
  maxReasonBytes: 4096,
  /** SetEncodings: a client listing more encodings than this is refused. */
  maxEncodings: 512,
  /** Number of security types a server may offer. */
  maxSecurityTypes: 64,
  /** Compressed-data length of one Zlib/Tight/ZRLE rectangle. */
  maxCompressedRectBytes: 64 << 20,
  /** SetColourMapEntries entries. */
  maxColourMapEntries: 65536,
});
