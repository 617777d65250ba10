/**
 * The RFB protocol, both roles, without I/O. Encodings live in ./encodings (createDecoders() etc.).
 *
 * Client role (gateway → BMC): ClientHandshake, then client-message encoders (encodeSetPixelFormat,
 * encodeSetEncodings, encodeFramebufferUpdateRequest, key/pointer events…) and ServerMessageReader.
 * Server role (browser → gateway): ServerHandshake + encodeServerInit, ClientMessageReader, and the
 * server-message encoders (encodeFramebufferUpdateHeader, encodeRectHeader, pseudo-rectangles…).
 */
export { ClientHandshake, type ClientHandshakeOptions, type ClientHandshakeResult, type ServerInit } from './client-handshake.js';
export { ServerHandshake, type ServerHandshakeDone, type ServerHandshakeOptions, type ServerHandshakeResult } from './server-handshake.js';
export { encodeServerInit, readServerInit, type ServerInitMessage } from './server-init.js';
export {
  ClientMessageReader,
  encodeClientCutText,
  encodeClientMessage,
  encodeEnableContinuousUpdates,
  encodeFramebufferUpdateRequest,
  encodeKeyEvent,
  encodePointerEvent,
  encodeQemuExtendedKeyEvent,
  encodeSetDesktopSize,
  encodeSetEncodings,
  encodeSetPixelFormat,
  type ClientMessage,
} from './client-messages.js';
export {
  RECT_COUNT_UNTIL_LAST_RECT,
  RECT_HEADER_BYTES,
  encodeBell,
  encodeCursorRect,
  encodeDesktopNameRect,
  encodeDesktopSizeRect,
  encodeEndOfContinuousUpdates,
  encodeExtendedDesktopSizeRect,
  encodeFramebufferUpdateHeader,
  encodeLastRect,
  encodeQemuExtendedKeyEventRect,
  encodeQemuLedStateRect,
  encodeRectHeader,
  encodeServerCutText,
  encodeSetColourMapEntries,
} from './server-messages.js';
export { READER_PSEUDO_ENCODINGS, ServerMessageReader, type Colour, type ServerMessage, type ServerMessageReaderOptions } from './server-message-reader.js';
export { vncAuthResponse, vncAuthKey, VNC_AUTH_CHALLENGE_BYTES } from './vnc-auth.js';
export {
  clientVersionFor,
  encodeProtocolVersion,
  parseProtocolVersion,
  serverVersionFor,
  PROTOCOL_VERSION_BYTES,
  type RfbVersion,
  type VersionNumber,
} from './version.js';
export { PIXEL_FORMAT_BYTES, readPixelFormat, writePixelFormat } from './pixel-format.js';
export { SCREEN_BYTES, readScreens, writeScreens, type Screen } from './screen-layout.js';
export { decodeDisplayString, decodeLatin1, encodeLatin1 } from './rfb-strings.js';
export { Encoding, ClientMessageType, ServerMessageType, SecurityType, RGBX_PIXEL_FORMAT, isRgbxFormat, type PixelFormat } from './constants.js';
export { Framebuffer, type Rect } from './framebuffer.js';
