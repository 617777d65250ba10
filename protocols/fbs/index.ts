/** FBS 001.000 recordings (rfbproxy / vnc-reflector / TightVNC player format), without I/O. */
export { FbsReader, readFbs, type FbsBlock } from './fbs-reader.js';
export { FBS_SIGNATURE, encodeFbsBlock, encodeFbsBlocks, encodeRfb33ServerPreamble } from './fbs-writer.js';
