import { describe, expect, it } from 'vitest';
import {
  encodeAtenFramebufferUpdateRequest,
  encodeAtenKeepAlive,
  encodeAtenKeyEvent,
  encodeAtenMouseMode,
  encodeAtenPointerEvent,
  encodeAtenVideoSettings,
} from '../../../../protocols/aten/client-messages.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

// Expected bytes written by hand from the layouts in notes §4 (lens.rb, decaffeine-ipmi keyevent_encoding test).
describe('ATEN client messages', () => {
  it('KeyEvent: 18 bytes with the HID usage as u32 at offset 5', () => {
    expect(encodeAtenKeyEvent(0x04, true)).toEqual(hex('04 00 01 00 00 00000004 000000000000000000'));
    expect(encodeAtenKeyEvent(0xe0, false)).toEqual(hex('04 00 00 00 00 000000e0 000000000000000000'));
    expect(encodeAtenKeyEvent(0xff39, true)).toHaveLength(18);
  });

  it('PointerEvent: 18 bytes, absolute u16 x/y at 3 and 5', () => {
    expect(encodeAtenPointerEvent(1023, 767, 0b101)).toEqual(hex('05 00 05 03ff 02ff 0000000000000000000000'));
  });

  it('keep-alive, mouse mode, video settings, FBUR', () => {
    expect(encodeAtenKeepAlive()).toEqual(hex('15 00000001 00000000'));
    expect(encodeAtenMouseMode()).toEqual(hex('36 00 01'));
    expect(encodeAtenMouseMode(2)).toEqual(hex('36 00 02'));
    expect(encodeAtenVideoSettings(4, 7, 422)).toEqual(hex('32 04 07 01a6'));
    expect(encodeAtenVideoSettings(11, 11, 444)).toEqual(hex('32 0b 0b 01bc'));
    expect(encodeAtenFramebufferUpdateRequest(false)).toEqual(hex('03 00 0000 0000 0000 0000'));
    expect(encodeAtenFramebufferUpdateRequest(true, 0, 0, 1024, 768)).toEqual(hex('03 01 0000 0000 0400 0300'));
  });

  it('rejects values that do not fit their fields', () => {
    expect(() => encodeAtenPointerEvent(65536, 0, 0)).toThrow(expect.objectContaining({ code: 'ATEN_ERR_ARGUMENT', field: 'PointerEvent.x' }));
    expect(() => encodeAtenKeyEvent(-1, true)).toThrow(expect.objectContaining({ code: 'ATEN_ERR_ARGUMENT' }));
    expect(() => encodeAtenMouseMode(4)).toThrow(expect.objectContaining({ code: 'ATEN_ERR_ARGUMENT' }));
    expect(() => encodeAtenVideoSettings(12, 0, 444)).toThrow(expect.objectContaining({ code: 'ATEN_ERR_ARGUMENT' }));
    expect(() => encodeAtenVideoSettings(1, 1, 420)).toThrow(expect.objectContaining({ code: 'ATEN_ERR_ARGUMENT' }));
  });
});
