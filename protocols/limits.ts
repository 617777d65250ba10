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
  // ATEN iKVM (protocols/aten). A 1920x1200 Hermon raw frame is 4.6 MB; AST2100 frames are smaller.
  /** Payload (`dataLen`) of one ATEN video rectangle. */
  maxAtenRectBytes: 16 << 20,
  /** Rectangles in one ATEN FramebufferUpdate (real boards send 1). */
  maxAtenRects: 16,
  /** Side of the cursor bitmap in an ATEN 0x04 cursor message (hardware cursors are 64x64). */
  maxAtenCursorSide: 256,
  /** Tiles in one Hermon 16x16-tile payload (1920x1200 is 9000 tiles). */
  maxHermonTiles: 65536,
});

/** IPMI / RMCP+ (protocols/ipmi). */
export const IPMI_LIMITS = Object.freeze({
  /**
   * Largest RMCP+ payload length we accept in a session header. ipmi_sim declares an outbound SOL
   * payload size of 0x4000 (notes §3.1); IV, confidentiality pad and headers add well under 4 KiB.
   */
  maxPayloadBytes: 0x4000 + 4096,
  /** Largest UDP datagram we read at all (IPv4 UDP maximum). */
  maxDatagramBytes: 65507,
  /**
   * SOL characters per packet we send: the accepted-character-count field is one byte (IPMI v2.0
   * §15.9), so a packet can never have more than 255 characters acknowledged.
   */
  maxSolCharsPerPacket: 255,
});

/** RFB pseudo-encodings (protocols/rfb/server-message-reader.ts). */
export const RFB_LIMITS = Object.freeze({
  /**
   * Cursor pseudo-encoding size. The spec sets none; X11 and Windows cursors are at most 256x256
   * even at large accessibility sizes, so 1024 leaves room and bounds one cursor to 4 MiB.
   */
  maxCursorWidth: 1024,
  maxCursorHeight: 1024,
});

/** FBS 001.000 recordings (protocols/fbs). */
export const FBS_LIMITS = Object.freeze({
  /**
   * Largest block we read. rfbproxy and vnc-reflector write one block per socket read (a few KiB);
   * our recorder writes at most FBS_LIMITS.writeBlockBytes. 16 MiB leaves room for other writers
   * while bounding what one corrupt length field can make us wait for and allocate.
   */
  maxBlockBytes: 16 * 1024 * 1024,
  /** Our writer splits longer data into blocks of this size (same timestamp), so any reader copes. */
  writeBlockBytes: 1024 * 1024,
});

/** Packet captures (protocols/pcap): libpcap and pcapng files, TCP reassembly. */
export const PCAP_LIMITS = Object.freeze({
  /**
   * Captured length of one packet. libpcap's and Wireshark's largest snap length is 262144
   * (MAXIMUM_SNAPLEN, WTAP_MAX_PACKET_SIZE_STANDARD); a record claiming more is a corrupt file.
   */
  maxPacketBytes: 262144,
  /** One pcapng block of any type (packet blocks are also held to maxPacketBytes of data). */
  maxBlockBytes: 16 * 1024 * 1024,
  /** pcapng interfaces in one section. */
  maxInterfaces: 1024,
  /**
   * TCP payload kept for reassembly, all connections together. A KVM session is a few MB a minute;
   * a capture of everything a host did is what this stops (capture the BMC only: see README).
   */
  maxReassembledBytes: 512 * 1024 * 1024,
  /** TCP connections followed at once. */
  maxTcpFlows: 65536,
});
