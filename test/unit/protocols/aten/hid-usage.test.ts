import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { hidUsageForKey, hidUsageFromKeysym, hidUsageFromScancode } from '../../../../protocols/aten/hid-usage.js';

const here = dirname(fileURLToPath(import.meta.url));
// noVNC's own KeyboardEvent.code → XT scancode table (what the browser will send us), read from the installed package.
const XT_URL = pathToFileURL(resolve(here, '../../../../node_modules/@novnc/novnc/core/input/xtscancodes.js')).href;

// KeyboardEvent.code → HID usage, written from the USB HID Usage Tables §10 (independent of the scancode table).
const CODE_TO_HID: Record<string, number> = {
  Enter: 0x28,
  Escape: 0x29,
  Backspace: 0x2a,
  Tab: 0x2b,
  Space: 0x2c,
  Minus: 0x2d,
  Equal: 0x2e,
  BracketLeft: 0x2f,
  BracketRight: 0x30,
  Backslash: 0x31,
  Semicolon: 0x33,
  Quote: 0x34,
  Backquote: 0x35,
  Comma: 0x36,
  Period: 0x37,
  Slash: 0x38,
  CapsLock: 0x39,
  PrintScreen: 0x46,
  ScrollLock: 0x47,
  Pause: 0x48,
  Insert: 0x49,
  Home: 0x4a,
  PageUp: 0x4b,
  Delete: 0x4c,
  End: 0x4d,
  PageDown: 0x4e,
  ArrowRight: 0x4f,
  ArrowLeft: 0x50,
  ArrowDown: 0x51,
  ArrowUp: 0x52,
  NumLock: 0x53,
  NumpadDivide: 0x54,
  NumpadMultiply: 0x55,
  NumpadSubtract: 0x56,
  NumpadAdd: 0x57,
  NumpadEnter: 0x58,
  NumpadDecimal: 0x63,
  IntlBackslash: 0x64,
  ContextMenu: 0x65,
  Power: 0x66,
  NumpadEqual: 0x67,
  NumpadComma: 0x85,
  IntlRo: 0x87,
  KanaMode: 0x88,
  IntlYen: 0x89,
  Convert: 0x8a,
  NonConvert: 0x8b,
  Lang1: 0x90,
  Lang2: 0x91,
  ControlLeft: 0xe0,
  ShiftLeft: 0xe1,
  AltLeft: 0xe2,
  MetaLeft: 0xe3,
  ControlRight: 0xe4,
  ShiftRight: 0xe5,
  AltRight: 0xe6,
  MetaRight: 0xe7,
  AudioVolumeMute: 0x7f,
  AudioVolumeUp: 0x80,
  AudioVolumeDown: 0x81,
};
for (let i = 0; i < 26; i++) CODE_TO_HID[`Key${String.fromCharCode(65 + i)}`] = 0x04 + i;
for (let i = 1; i <= 9; i++) CODE_TO_HID[`Digit${i}`] = 0x1d + i;
CODE_TO_HID.Digit0 = 0x27;
for (let i = 1; i <= 9; i++) CODE_TO_HID[`Numpad${i}`] = 0x58 + i;
CODE_TO_HID.Numpad0 = 0x62;
for (let i = 1; i <= 12; i++) CODE_TO_HID[`F${i}`] = 0x39 + i;
for (let i = 13; i <= 24; i++) CODE_TO_HID[`F${i}`] = 0x68 + i - 13;

/** noVNC's conversion of its 0xE0xx scancodes to the RFB/QEMU keycode (core/rfb.js getRFBkeycode). */
const rfbKeycode = (xt: number) => (xt >> 8 === 0xe0 && (xt & 0xff) < 0x7f ? (xt & 0xff) | 0x80 : xt);

describe('HID usages', () => {
  it('every key noVNC can send as a scancode maps to the usage of that physical key', async () => {
    const xt = (await import(XT_URL)).default as Record<string, number>;
    let checked = 0;
    for (const [code, usage] of Object.entries(CODE_TO_HID)) {
      expect(xt[code], code).toBeDefined();
      expect(hidUsageFromScancode(rfbKeycode(xt[code]!)), code).toBe(usage);
      expect(hidUsageFromScancode(xt[code]!), `${code} in 0xE0xx form`).toBe(usage);
      checked++;
    }
    expect(checked).toBeGreaterThan(100);
  });

  it('keysyms map to the US-layout key, shifted symbols to their unshifted key', () => {
    const cases: [number, number][] = [
      [0x61, 0x04],
      [0x41, 0x04],
      [0x7a, 0x1d],
      [0x31, 0x1e],
      [0x21, 0x1e],
      [0x30, 0x27],
      [0x29, 0x27],
      [0x40, 0x1f],
      [0x20, 0x2c],
      [0x5f, 0x2d],
      [0x7c, 0x31],
      [0x7e, 0x35],
      [0x3f, 0x38],
      [0xff0d, 0x28],
      [0xff1b, 0x29],
      [0xff08, 0x2a],
      [0xff09, 0x2b],
      [0xffbe, 0x3a],
      [0xffc9, 0x45],
      [0xff52, 0x52],
      [0xffff, 0x4c],
      [0xffe3, 0xe0],
      [0xffe1, 0xe1],
      [0xffe9, 0xe2],
      [0xffeb, 0xe3],
      [0xfe03, 0xe6],
      [0xffe5, 0x39],
      [0xff7f, 0x53],
      [0xff14, 0x47],
      [0xffb7, 0x5f],
      [0xff8d, 0x58],
      [0xffaf, 0x54],
    ];
    for (const [sym, usage] of cases) expect(hidUsageFromKeysym(sym), sym.toString(16)).toBe(usage);
    expect(hidUsageFromKeysym(0xe9)).toBeUndefined(); // é: no key on a US layout
  });

  it('prefers the scancode (physical key) over the keysym', () => {
    // AZERTY: the key at the position of Q types "a": keysym 'a', scancode 0x10 → usage of Q (0x14).
    expect(hidUsageForKey(0x61, 0x10)).toBe(0x14);
    expect(hidUsageForKey(0x61)).toBe(0x04);
    expect(hidUsageForKey(0x61, 0)).toBe(0x04);
    expect(hidUsageForKey(0x61, 0x7f)).toBe(0x04); // unknown scancode → keysym
  });
});
