/** Packet captures (libpcap, pcapng) and TCP stream reassembly, without I/O. */
export { CaptureReader, captureFormatOf, type CapturedPacket, type CaptureFormat } from './capture-reader.js';
export { decodeTcpFrame, type DecodedFrame, type TcpSegment } from './tcp-packet.js';
export { TcpReassembler, type ReassembledStream, type StreamChunk, type TcpConnection } from './tcp-reassembly.js';
