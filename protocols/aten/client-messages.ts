import { AtenError } from '../errors.js';
import { AtenClientMessageType as T, AtenMouseMode, Ast2100Subsampling } from './constants.js';

/*
 * Encoders for what an ATEN client sends. Layouts agreed by chicken-aten-ikvm lens.rb, aten-proxy,
 * kelleyk/noVNC, go-rfb, decaffeine-ipmi, ikvmt and ATENtion (see notes §4). All multi-byte fields
 * are big-endian. Each function returns a new Buffer.
 */

function checkU(value: number, bits: 8 | 16 | 32, field: string): void {
  if (!Number.isInteger(value) || value < 0 || value >= 2 ** bits) {
    throw new AtenError('ATEN_ERR_ARGUMENT', `${value} is not a u${bits}`, field);
  }
}

/**
 * KeyEvent, 18 bytes: 04, 0 (ATENtion: "encrypted" flag, 0 = clear), down, 0, 0, u32 key, 9 × 0.
 * `usage` is a USB HID usage ID from the keyboard page 0x07 (a = 0x04, Enter = 0x28, LCtrl = 0xE0),
 * not an X keysym: the BMC builds the HID report from it. Modifiers are separate key events.
 */
export function encodeAtenKeyEvent(usage: number, down: boolean): Buffer {
  checkU(usage, 32, 'KeyEvent.usage');
  const b = Buffer.alloc(18);
  b[0] = T.KeyEvent;
  b[2] = down ? 1 : 0;
  b.writeUInt32BE(usage, 5);
  return b;
}

/**
 * PointerEvent, 18 bytes: 05, 0, buttonMask, u16 x, u16 y, 11 × 0. Coordinates are absolute
 * framebuffer pixels. Button bits: 0 left, 1 middle, 2 right (RFB's order).
 */
export function encodeAtenPointerEvent(x: number, y: number, buttonMask: number): Buffer {
  checkU(x, 16, 'PointerEvent.x');
  checkU(y, 16, 'PointerEvent.y');
  checkU(buttonMask, 8, 'PointerEvent.button-mask');
  const b = Buffer.alloc(18);
  b[0] = T.PointerEvent;
  b[2] = buttonMask;
  b.writeUInt16BE(x, 3);
  b.writeUInt16BE(y, 5);
  return b;
}

/**
 * The heartbeat, 9 bytes: 15, u32 1, u32 0. ATENtion sends it every 3 s: without it its BMC kept
 * streaming video but stopped servicing keyboard, mouse and power. Harmless where not needed.
 */
export function encodeAtenKeepAlive(): Buffer {
  return Buffer.from([T.KeepAlive, 0, 0, 0, 1, 0, 0, 0, 0]);
}

/** Mouse mode, 3 bytes: 36, 0, mode (1 absolute, 2 relative, 3 single). Sent once after connecting. */
export function encodeAtenMouseMode(mode: number = AtenMouseMode.Absolute): Buffer {
  if (mode !== AtenMouseMode.Absolute && mode !== AtenMouseMode.Relative && mode !== AtenMouseMode.Single) {
    throw new AtenError('ATEN_ERR_ARGUMENT', `mouse mode ${mode} is not 1, 2 or 3`, 'MouseMode.mode');
  }
  return Buffer.from([T.MouseMode, 0, mode]);
}

/**
 * AST2100 video quality, 5 bytes: 32, luma QT selector, chroma QT selector (0..11, 11 = best),
 * u16 subsampling (444 or 422) — kelleyk's atenChangeVideoSettings.
 */
export function encodeAtenVideoSettings(lumaSelector: number, chromaSelector: number, subsampling: number): Buffer {
  for (const [v, f] of [
    [lumaSelector, 'luma'],
    [chromaSelector, 'chroma'],
  ] as const) {
    if (!Number.isInteger(v) || v < 0 || v > 11) throw new AtenError('ATEN_ERR_ARGUMENT', `${v} is not a selector 0..11`, `VideoSettings.${f}`);
  }
  if (subsampling !== Ast2100Subsampling.Yuv444 && subsampling !== Ast2100Subsampling.Yuv420) {
    throw new AtenError('ATEN_ERR_ARGUMENT', `${subsampling} is not 444 or 422`, 'VideoSettings.subsampling');
  }
  const b = Buffer.alloc(5);
  b[0] = T.VideoSettings;
  b[1] = lumaSelector;
  b[2] = chromaSelector;
  b.writeUInt16BE(subsampling, 3);
  return b;
}

/**
 * The standard FramebufferUpdateRequest (10 bytes). ATEN ignores the rectangle and sends video only
 * in answer to these: one non-incremental request after ServerInit (and after a resize or while the
 * screen shows "no signal"), then one incremental request per update received.
 */
export function encodeAtenFramebufferUpdateRequest(incremental: boolean, x = 0, y = 0, width = 0, height = 0): Buffer {
  checkU(x, 16, 'FramebufferUpdateRequest.x');
  checkU(y, 16, 'FramebufferUpdateRequest.y');
  checkU(width, 16, 'FramebufferUpdateRequest.width');
  checkU(height, 16, 'FramebufferUpdateRequest.height');
  const b = Buffer.alloc(10);
  b[0] = T.FramebufferUpdateRequest;
  b[1] = incremental ? 1 : 0;
  b.writeUInt16BE(x, 2);
  b.writeUInt16BE(y, 4);
  b.writeUInt16BE(width, 6);
  b.writeUInt16BE(height, 8);
  return b;
}
