import { beforeAll, describe, expect, it } from 'vitest';
import { LIMITS } from '../../../../protocols/limits.js';
import {
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
} from '../../../../protocols/rfb/client-messages.js';
import { RGBX_PIXEL_FORMAT } from '../../../../protocols/rfb/constants.js';
import {
  NoVncSock,
  bytes,
  loadNoVncMessages,
  mutate,
  onlyProtocolErrors,
  prng,
  randomChunks,
  s32,
  sameForEverySplit,
  throwsForEverySplit,
  u16,
  u32,
  type NoVncMessages,
} from './rfb-test-helpers.js';

const readAll = (chunks: Buffer[]): ClientMessage[] => {
  const r = new ClientMessageReader();
  const out = chunks.flatMap((c) => r.push(c));
  expect(r.buffered, 'nothing left over').toBe(0);
  return out;
};

/** Hand-built from RFC 6143 §7.5 and rfbproto, with the message each should decode to. */
const VECTORS: { name: string; wire: Buffer; message: ClientMessage }[] = [
  {
    name: 'SetPixelFormat (RGBX)',
    wire: bytes([0, 0, 0, 0], [32, 24, 0, 1, ...u16(255), ...u16(255), ...u16(255), 0, 8, 16, 0, 0, 0]),
    message: { type: 'set-pixel-format', pixelFormat: { ...RGBX_PIXEL_FORMAT } },
  },
  {
    name: 'SetEncodings',
    wire: bytes([2, 0], u16(4), s32(7), s32(0), s32(-223), s32(-1063131698)),
    message: { type: 'set-encodings', encodings: [7, 0, -223, -1063131698] },
  },
  { name: 'SetEncodings, empty', wire: bytes([2, 0], u16(0)), message: { type: 'set-encodings', encodings: [] } },
  {
    name: 'FramebufferUpdateRequest',
    wire: bytes([3, 1], u16(10), u16(20), u16(640), u16(480)),
    message: { type: 'framebuffer-update-request', incremental: true, x: 10, y: 20, width: 640, height: 480 },
  },
  { name: 'KeyEvent', wire: bytes([4, 1, 0, 0], u32(0xffe1)), message: { type: 'key-event', down: true, keysym: 0xffe1 } },
  { name: 'PointerEvent', wire: bytes([5, 0x05], u16(1919), u16(1079)), message: { type: 'pointer-event', buttonMask: 5, x: 1919, y: 1079 } },
  { name: 'ClientCutText (Latin-1)', wire: bytes([6, 0, 0, 0], u32(4), [0x63, 0x61, 0x66, 0xe9]), message: { type: 'client-cut-text', text: 'café' } },
  { name: 'ClientCutText, empty', wire: bytes([6, 0, 0, 0], u32(0)), message: { type: 'client-cut-text', text: '' } },
  {
    name: 'QEMU Extended Key Event (Right arrow, 0xe0 0x4d → 0xcd)',
    wire: bytes([255, 0], u16(1), u32(0xff53), u32(0xcd)),
    message: { type: 'qemu-extended-key-event', down: true, keysym: 0xff53, keycode: 0xcd },
  },
  {
    name: 'EnableContinuousUpdates',
    wire: bytes([150, 0], u16(0), u16(0), u16(1024), u16(768)),
    message: { type: 'enable-continuous-updates', enable: false, x: 0, y: 0, width: 1024, height: 768 },
  },
  {
    name: 'SetDesktopSize, one screen',
    wire: bytes([251, 0], u16(1280), u16(720), [1, 0], u32(0xabc), u16(0), u16(0), u16(1280), u16(720), u32(0x80000001)),
    message: { type: 'set-desktop-size', width: 1280, height: 720, screens: [{ id: 0xabc, x: 0, y: 0, width: 1280, height: 720, flags: 0x80000001 }] },
  },
];

describe('ClientMessageReader: hand-built vectors', () => {
  for (const v of VECTORS) {
    it(`${v.name}: decodes the same for every split, and our encoder writes the same bytes`, () => {
      expect(sameForEverySplit(v.wire, readAll)).toEqual([v.message]);
      expect(encodeClientMessage(v.message).toString('hex')).toBe(v.wire.toString('hex'));
    });
  }

  it('all vectors back to back, in every split', () => {
    const wire = Buffer.concat(VECTORS.map((v) => v.wire));
    expect(sameForEverySplit(wire, readAll)).toEqual(VECTORS.map((v) => v.message));
  });

  it('flags are "non-zero is true"', () => {
    expect(readAll([bytes([4, 0x80, 0, 0], u32(0x61))])).toEqual([{ type: 'key-event', down: true, keysym: 0x61 }]);
    expect(readAll([bytes([3, 7], u16(0), u16(0), u16(1), u16(1))])[0]).toMatchObject({ incremental: true });
  });
});

describe('ClientMessageReader against noVNC 1.7’s own encoders (core/rfb.js RFB.messages)', () => {
  let m: NoVncMessages;
  const sock = new NoVncSock();
  beforeAll(async () => {
    m = await loadNoVncMessages();
  });

  it('decodes every message noVNC sends to a server like us, in every split', () => {
    const expected: ClientMessage[] = [];
    m.pixelFormat!(sock, 24, true);
    expected.push({ type: 'set-pixel-format', pixelFormat: { ...RGBX_PIXEL_FORMAT } });
    // noVNC's _sendEncodings list at depth 24 (without H.264, which needs WebCodecs).
    const encs = [1, 7, -260, 16, 21, 5, 2, 6, 0, -32 + 6, -256 + 2, -223, -224, -258, -261, -308, -309, -312, -313, -307, 0xc0a1e5ce, -316, 0x574d5664, -239];
    m.clientEncodings!(sock, encs);
    expected.push({ type: 'set-encodings', encodings: encs.map((e) => e | 0) });
    m.fbUpdateRequest!(sock, false, 0, 0, 1024, 768);
    expected.push({ type: 'framebuffer-update-request', incremental: false, x: 0, y: 0, width: 1024, height: 768 });
    m.keyEvent!(sock, 0xff0d, 1);
    expected.push({ type: 'key-event', down: true, keysym: 0xff0d });
    m.keyEvent!(sock, 0xff0d, 0);
    expected.push({ type: 'key-event', down: false, keysym: 0xff0d });
    m.QEMUExtendedKeyEvent!(sock, 0xff53, 1, 0xe04d);
    expected.push({ type: 'qemu-extended-key-event', down: true, keysym: 0xff53, keycode: 0xcd });
    m.QEMUExtendedKeyEvent!(sock, 0x61, 0, 0x1e);
    expected.push({ type: 'qemu-extended-key-event', down: false, keysym: 0x61, keycode: 0x1e });
    m.pointerEvent!(sock, 100, 200, 0x81); // noVNC masks off bit 7 (the ExtendedMouseButtons marker)
    expected.push({ type: 'pointer-event', buttonMask: 0x01, x: 100, y: 200 });
    m.clientCutText!(sock, Uint8Array.from([0x68, 0x69, 0xe9, 0x3f]));
    expected.push({ type: 'client-cut-text', text: 'hié?' });
    m.enableContinuousUpdates!(sock, true, 0, 0, 800, 600);
    expected.push({ type: 'enable-continuous-updates', enable: true, x: 0, y: 0, width: 800, height: 600 });
    m.setDesktopSize!(sock, 1920, 1080, 7, 0);
    expected.push({ type: 'set-desktop-size', width: 1920, height: 1080, screens: [{ id: 7, x: 0, y: 0, width: 1920, height: 1080, flags: 0 }] });
    const wire = sock.take();
    expect(sameForEverySplit(wire, readAll)).toEqual(expected);
    // And our encoders produce noVNC's bytes for the same messages.
    expect(Buffer.concat(expected.map(encodeClientMessage)).toString('hex')).toBe(wire.toString('hex'));
  });

  it('refuses noVNC’s Extended Clipboard and Fence messages (never negotiated by us)', () => {
    m.clientCutText!(sock, Uint8Array.from([0, 0, 0, 1]), true);
    throwsForEverySplit(sock.take(), readAll, 'RFB_ERR_BAD_VALUE');
    m.clientFence!(sock, 0x80000000, 'abc');
    const err = throwsForEverySplit(sock.take(), readAll, 'RFB_ERR_UNKNOWN_MESSAGE');
    expect(err.message).toContain('248');
  });
});

describe('client message encoders', () => {
  it('write exactly the hand-built bytes', () => {
    expect(encodeSetPixelFormat(RGBX_PIXEL_FORMAT)).toEqual(VECTORS[0]!.wire);
    expect(encodeSetEncodings([7, 0, -223, -1063131698])).toEqual(VECTORS[1]!.wire);
    expect(encodeFramebufferUpdateRequest({ incremental: true, x: 10, y: 20, width: 640, height: 480 })).toEqual(VECTORS[3]!.wire);
    expect(encodeKeyEvent({ down: true, keysym: 0xffe1 })).toEqual(VECTORS[4]!.wire);
    expect(encodePointerEvent({ buttonMask: 5, x: 1919, y: 1079 })).toEqual(VECTORS[5]!.wire);
    expect(encodeQemuExtendedKeyEvent({ down: true, keysym: 0xff53, keycode: 0xcd })).toEqual(VECTORS[8]!.wire);
    expect(encodeEnableContinuousUpdates({ enable: false, x: 0, y: 0, width: 1024, height: 768 })).toEqual(VECTORS[9]!.wire);
    expect(encodeSetDesktopSize({ width: 1280, height: 720, screens: [{ id: 0xabc, x: 0, y: 0, width: 1280, height: 720, flags: 0x80000001 }] })).toEqual(
      VECTORS[10]!.wire,
    );
  });

  it('ClientCutText is Latin-1; characters outside it become "?"', () => {
    expect(encodeClientCutText('é€\n').toString('hex')).toBe(bytes([6, 0, 0, 0], u32(3), [0xe9, 0x3f, 0x0a]).toString('hex'));
  });
});

describe('ClientMessageReader errors (every split)', () => {
  it('unknown message type: RFB_ERR_UNKNOWN_MESSAGE naming it', () => {
    const err = throwsForEverySplit(bytes([7, 0, 0, 0]), readAll, 'RFB_ERR_UNKNOWN_MESSAGE');
    expect(err.message).toContain('7');
    expect(err.field).toBe('message-type');
  });

  it('after an error the reader stays failed: later pushes throw the same error', () => {
    const r = new ClientMessageReader();
    let first: unknown;
    try {
      r.push(bytes([9]));
    } catch (err) {
      first = err;
    }
    expect(() => r.push(VECTORS[4]!.wire)).toThrow(first);
  });

  it('an unknown message after good ones is still an error', () => {
    throwsForEverySplit(bytes(VECTORS[4]!.wire, [1]), readAll, 'RFB_ERR_UNKNOWN_MESSAGE');
  });

  it('QEMU submessage other than 0: RFB_ERR_UNKNOWN_MESSAGE', () => {
    const err = throwsForEverySplit(bytes([255, 1], u16(0)), readAll, 'RFB_ERR_UNKNOWN_MESSAGE');
    expect(err.field).toBe('QemuClientMessage.submessage-type');
  });

  it('SetEncodings count over LIMITS.maxEncodings, refused from the header alone', () => {
    throwsForEverySplit(bytes([2, 0], u16(LIMITS.maxEncodings + 1)), readAll, 'RFB_ERR_TOO_LARGE');
  });

  it('ClientCutText over LIMITS.maxCutTextBytes, refused from the header alone', () => {
    const err = throwsForEverySplit(bytes([6, 0, 0, 0], u32(LIMITS.maxCutTextBytes + 1)), readAll, 'RFB_ERR_TOO_LARGE');
    expect(err.field).toBe('ClientCutText.length');
  });

  it('SetPixelFormat with 24 bits per pixel', () => {
    const wire = Buffer.from(VECTORS[0]!.wire);
    wire[4] = 24;
    throwsForEverySplit(wire, readAll, 'RFB_ERR_BAD_PIXEL_FORMAT');
  });

  it('partial messages yield nothing and stay buffered', () => {
    const r = new ClientMessageReader();
    expect(r.push(VECTORS[1]!.wire.subarray(0, 9))).toEqual([]);
    expect(r.buffered).toBe(9);
    expect(r.push(VECTORS[1]!.wire.subarray(9))).toEqual([VECTORS[1]!.message]);
  });

  it('decoded messages do not alias the input chunk', () => {
    const wire = Buffer.from(VECTORS[6]!.wire);
    const [msg] = new ClientMessageReader().push(wire);
    wire.fill(0);
    expect(msg).toEqual(VECTORS[6]!.message);
  });
});

describe('ClientMessageReader fuzz', () => {
  it('random and mutated streams only ever raise ProtocolError', () => {
    const rnd = prng(7);
    const all = Buffer.concat(VECTORS.map((v) => v.wire));
    for (let i = 0; i < 4000; i++) {
      const input =
        i % 4 === 0
          ? Buffer.from(Array.from({ length: Math.floor(rnd() * 100) }, () => Math.floor(rnd() * 256)))
          : mutate(i % 2 ? all : VECTORS[i % VECTORS.length]!.wire, rnd);
      onlyProtocolErrors(
        () => {
          const r = new ClientMessageReader();
          for (const c of randomChunks(input, rnd, 32)) r.push(c);
        },
        `case ${i}: ${input.toString('hex')}`,
      );
    }
  });
});
