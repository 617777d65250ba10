import { deflateSync } from 'node:zlib';
import { ProtocolError } from '../../protocols/errors.js';
import {
  ClientHandshake,
  ClientMessageReader,
  Encoding,
  Framebuffer,
  RGBX_PIXEL_FORMAT,
  ServerHandshake,
  ServerMessageReader,
  encodeClientCutText,
  encodeFramebufferUpdateRequest,
  encodeKeyEvent,
  encodePointerEvent,
  encodeQemuExtendedKeyEvent,
  encodeRectHeader,
  encodeSetDesktopSize,
  encodeSetEncodings,
  encodeSetPixelFormat,
  encodeFramebufferUpdateHeader,
  encodeServerInit,
  encodeBell,
  encodeServerCutText,
  encodeDesktopSizeRect,
} from '../../protocols/rfb/index.js';
import { createDecoders } from '../../protocols/rfb/encodings/index.js';
import { TightEncoder } from '../../protocols/rfb/encodings/tight-encoder.js';
import { ZrleEncoder } from '../../protocols/rfb/encodings/zrle-encoder.js';
import { fbsStream, filesIn, RECORDINGS } from '../seeds.js';
import { chunks, type FuzzTarget } from '../types.js';

const isProtocolError = (err: unknown) => err instanceof ProtocolError;

/** A 3.8 server preamble (version, security None, result OK) and a ServerInit of w×h in RGBX. */
function serverPreamble(w: number, h: number): Buffer {
  return Buffer.concat([
    Buffer.from('RFB 003.008\n'),
    Buffer.from([1, 1]),
    Buffer.alloc(4),
    encodeServerInit({ width: w, height: h, pixelFormat: RGBX_PIXEL_FORMAT, name: 'fuzz' }),
  ]);
}

/** One FramebufferUpdate with a rectangle in each encoding the gateway asks BMCs for, built here. */
function everyEncodingUpdate(): Buffer {
  const fb = new Framebuffer(32, 32);
  for (let y = 0; y < 32; y++) for (let x = 0; x < 32; x++) fb.fillRect(x, y, 1, 1, (x * 8) & 255, (y * 8) & 255, (x ^ y) & 1 ? 255 : 0);
  const raw = Buffer.alloc(8 * 8 * 4, 0x40);
  const rre = Buffer.concat([Buffer.from([0, 0, 0, 1]), Buffer.from([255, 0, 0, 0]), Buffer.from([0, 255, 0, 0]), Buffer.from([0, 1, 0, 1, 0, 2, 0, 2])]);
  // Hextile: one tile, background specified + one subrect in the foreground colour.
  const hextile = Buffer.from([0x02 | 0x04 | 0x08, 9, 9, 9, 0, 200, 200, 200, 0, 1, 0x11, 0x11]);
  const zlibBody = deflateSync(Buffer.alloc(8 * 8 * 4, 0x7f));
  const zlib = Buffer.concat([Buffer.from([0, 0, 0, 0]), zlibBody]);
  zlib.writeUInt32BE(zlibBody.length, 0);
  const rects: Buffer[] = [
    Buffer.concat([encodeRectHeader({ x: 0, y: 0, width: 8, height: 8 }, Encoding.Raw), raw]),
    Buffer.concat([encodeRectHeader({ x: 8, y: 0, width: 8, height: 8 }, Encoding.CopyRect), Buffer.from([0, 0, 0, 0])]),
    Buffer.concat([encodeRectHeader({ x: 16, y: 0, width: 8, height: 8 }, Encoding.RRE), rre]),
    Buffer.concat([encodeRectHeader({ x: 24, y: 0, width: 8, height: 8 }, Encoding.Hextile), hextile]),
    Buffer.concat([encodeRectHeader({ x: 0, y: 8, width: 8, height: 8 }, Encoding.Zlib), zlib]),
    ...new TightEncoder().encodeRect(fb, { x: 0, y: 16, width: 16, height: 16 }),
    ...new ZrleEncoder().encodeRect(fb, { x: 16, y: 16, width: 16, height: 16 }),
  ];
  return Buffer.concat([
    encodeFramebufferUpdateHeader(rects.length),
    ...rects,
    encodeBell(),
    encodeServerCutText('fuzz'),
    encodeFramebufferUpdateHeader(1),
    encodeDesktopSizeRect(40, 30),
  ]);
}

/** What a BMC sends the gateway (RFB client role): the handshake, then every message and encoding into a framebuffer. */
export const rfbBmcStream: FuzzTarget = {
  name: 'rfb-bmc-stream',
  description:
    'RFB client role: ClientHandshake (3.3/3.7/3.8, None, VNC auth, TLS and VeNCrypt up to the TLS start) then ServerMessageReader with every decoder (Raw, CopyRect, RRE, Hextile, Zlib, Tight, ZRLE, pseudo-encodings)',
  coverage: ['/protocols/rfb/', '/protocols/byte-queue'],
  seeds: () => [
    ...filesIn(RECORDINGS, '.fbs').map((f) => fbsStream(f, 8 * 1024)),
    Buffer.concat([serverPreamble(32, 32), everyEncodingUpdate()]),
    // VeNCrypt 0.2 offering X509None and TLSNone (the handshake then asks for TLS: an outcome here).
    Buffer.concat([Buffer.from('RFB 003.008\n'), Buffer.from([2, 19, 18, 0, 2, 0, 2, 0, 0, 1, 4, 0, 0, 1, 3, 1])]),
  ],
  run(input) {
    const hs = new ClientHandshake({ shared: true, password: 'fuzz-pw', user: 'fuzz', tls: 'prefer' });
    let reader: ServerMessageReader | undefined;
    const types = new Set<string>();
    let version = '';
    for (const chunk of chunks(input)) {
      if (!reader) {
        const r = hs.receive(chunk);
        if (r.startTls) return `starttls:${r.startTls.kind}`;
        if (!r.serverInit) continue;
        version = r.serverInit.version;
        reader = new ServerMessageReader({ fb: new Framebuffer(r.serverInit.width, r.serverInit.height), decoders: createDecoders() });
        if (r.rest && r.rest.length > 0) for (const m of reader.push(r.rest)) types.add(m.type);
        continue;
      }
      for (const m of reader.push(chunk)) types.add(m.type);
    }
    return reader ? `${version}:${[...types].sort().join(',')}` : 'handshake';
  },
  expected: isProtocolError,
};

/** What a browser sends the gateway (RFB server role): the handshake, then client messages. */
export const rfbBrowserStream: FuzzTarget = {
  name: 'rfb-browser-stream',
  description: 'RFB server role: ServerHandshake then ClientMessageReader (what noVNC, or anyone with a viewer URL, sends)',
  coverage: ['/protocols/rfb/', '/protocols/byte-queue'],
  seeds: () => {
    const messages = Buffer.concat([
      encodeSetPixelFormat(RGBX_PIXEL_FORMAT),
      encodeSetEncodings([Encoding.Tight, Encoding.CopyRect, Encoding.Raw, Encoding.DesktopSize, Encoding.Cursor, Encoding.QemuExtendedKeyEvent]),
      encodeFramebufferUpdateRequest({ incremental: false, x: 0, y: 0, width: 1024, height: 768 }),
      encodeKeyEvent({ down: true, keysym: 0x61 }),
      encodePointerEvent({ buttonMask: 1, x: 10, y: 20 }),
      encodeClientCutText('hello'),
      encodeQemuExtendedKeyEvent({ down: false, keysym: 0x61, keycode: 0x1e }),
      encodeSetDesktopSize({ width: 800, height: 600, screens: [{ id: 1, x: 0, y: 0, width: 800, height: 600, flags: 0 }] }),
    ]);
    return [
      Buffer.concat([Buffer.from('RFB 003.008\n'), Buffer.from([1, 1]), messages]),
      Buffer.concat([Buffer.from('RFB 003.003\n'), Buffer.from([0]), messages]),
    ];
  },
  run(input) {
    const hs = new ServerHandshake();
    hs.start();
    let reader: ClientMessageReader | undefined;
    const types = new Set<string>();
    for (const chunk of chunks(input)) {
      if (!reader) {
        const r = hs.receive(chunk);
        if (r.refused) return 'refused';
        if (!r.done) continue;
        reader = new ClientMessageReader();
        if (r.rest && r.rest.length > 0) for (const m of reader.push(r.rest)) types.add(m.type);
        continue;
      }
      for (const m of reader.push(chunk)) types.add(m.type);
    }
    return reader ? [...types].sort().join(',') : 'handshake';
  },
  expected: isProtocolError,
};
