import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClientHandshake } from '../../../protocols/rfb/client-handshake.js';
import { encodeFramebufferUpdateRequest, encodePointerEvent, encodeSetEncodings, encodeSetPixelFormat } from '../../../protocols/rfb/client-messages.js';
import { Encoding, type PixelFormat } from '../../../protocols/rfb/constants.js';
import { createDecoders, PixelReader } from '../../../protocols/rfb/encodings/index.js';
import { Framebuffer } from '../../../protocols/rfb/framebuffer.js';
import { ServerMessageReader } from '../../../protocols/rfb/server-messages.js';
import { expectConverges, fbImage } from '../../helpers/converge.js';
import { logCollector, eqPhp, startTestGateway, TEST_TOKEN, type TestGateway } from '../../helpers/gateway.js';
import type { RgbImage } from '../../helpers/images.js';
import { startX11vnc, type X11vncServer } from '../../helpers/x11vnc.js';
import { startXvnc, type XvncServer } from '../../helpers/xvnc.js';

/** iDRAC and iBMC take VNC passwords of at most 8 characters; VNC Authentication uses 8 anyway. */
const PASSWORD = 'idrac-8c';
const COMPARED = { x: 0, y: 0, width: 600, height: 380 };
const ENCODINGS = ['zrle', 'tight', 'hextile', 'zlib', 'rre', 'raw'] as const;
/** TigerVNC has no Zlib encoder (it answers with Raw); x11vnc (libvncserver) on the same display has. */
const TIGER_ENCODINGS = ENCODINGS.filter((e) => e !== 'zlib');
const NUMBERS: Record<(typeof ENCODINGS)[number], number> = {
  zrle: Encoding.ZRLE,
  tight: Encoding.Tight,
  hextile: Encoding.Hextile,
  zlib: Encoding.Zlib,
  rre: Encoding.RRE,
  raw: Encoding.Raw,
};

/** An xterm showing the 256 xterm colours as blocks, then a shell: many colours, text, flat areas. */
const COLOURS = [
  '-geometry',
  '80x22+0+0',
  '-e',
  '/bin/sh',
  '-c',
  'i=0; while [ $i -lt 256 ]; do printf "\\033[48;5;%dm %03d" $i $i; i=$((i+1)); done; printf "\\033[0m\\n"; exec /bin/sh',
];

/**
 * A 16-bpp X server (Xvnc -depth 16: RGB565, the shape of iDRAC's 16-bpp depth-15 ServerInit) seen
 * through every upstream decoder, pixel for pixel against xwd's picture of the X screen. The gateway
 * asks such a server for its own format (upstreamPixelFormat), so the 16-bpp paths of the decoders
 * run against the real server; the big-endian byte order and 8 bpp are asked for by a bare client
 * made of the same protocol classes.
 */
describe('pixel formats other than RGBX against a 16-bpp Xvnc', () => {
  let x: XvncServer;
  let x11: X11vncServer;
  let gw: TestGateway;
  const log = logCollector();

  beforeAll(async () => {
    x = await startXvnc({ password: PASSWORD, geometry: '640x400', depth: 16 });
    x.startXterm(COLOURS);
    // X draws the pointer into a 16-bpp screen (xwd sees it, VNC clients get it as a cursor shape):
    // park it in the corner left out of the comparison.
    const parker = await bareClient(x.port, BE565, Encoding.Raw);
    await new Promise<void>((resolve) => parker.socket.write(encodePointerEvent({ x: 639, y: 399, buttonMask: 0 }), () => resolve()));
    parker.close();
    x11 = await startX11vnc(x.display);
    gw = await startTestGateway(
      {
        tokens: [{ token: TEST_TOKEN, servers: ['*'] }],
        servers: [
          ...TIGER_ENCODINGS.map((e) => ({ id: `d16-${e}`, console: { type: 'vnc', host: '127.0.0.1', port: x.port, password: PASSWORD, encodings: [e] } })),
          { id: 'd16-x11vnc-zlib', console: { type: 'vnc', host: '127.0.0.1', port: x11.port, encodings: ['zlib'] } },
          { id: 'd16-copyrect', console: { type: 'vnc', host: '127.0.0.1', port: x.port, password: PASSWORD, encodings: ['raw', 'copyrect'] } },
        ],
      },
      { log: { level: 'trace', stream: log.stream } },
    );
  }, 60_000);

  afterAll(async () => {
    await gw?.close();
    await x11?.stop();
    await x?.stop();
  });

  it.each([...TIGER_ENCODINGS, 'x11vnc-zlib'] as const)('through the gateway, %s at 16 bpp equals the X screen', async (id) => {
    const enc = id === 'x11vnc-zlib' ? 'zlib' : id;
    const { body } = await eqPhp(gw, { action: 'novnc', token: TEST_TOKEN, id: `d16-${id}` });
    expect(body.result, JSON.stringify(body)).toBe('OK');
    const session = gw.registry.get(body.key)!;
    await expectConverges(
      () => fbImage(session.fb),
      () => x.screenshot(),
      `${enc}: shadow framebuffer vs xwd`,
      { region: COMPARED },
    );
    expect(session.stats.upstreamRects[NUMBERS[enc]] ?? 0).toBeGreaterThan(0);
    const line = log
      .text()
      .split('\n')
      .filter((l) => l.includes('"rfb-connected"'))
      .pop()!;
    expect(JSON.parse(line)).toMatchObject({
      serverPixelFormat: '16 bpp depth 16 LE true colour 31/63/31 shifts 11/5/0',
      pixelFormat: '16 bpp depth 16 LE true colour 31/63/31 shifts 11/5/0',
    });
    session.end('test done');
  });

  it('CopyRect from a scrolling xterm at 16 bpp keeps the picture equal', async () => {
    const { body } = await eqPhp(gw, { action: 'novnc', token: TEST_TOKEN, id: 'd16-copyrect' });
    const session = gw.registry.get(body.key)!;
    await expectConverges(
      () => fbImage(session.fb),
      () => x.screenshot(),
      'before scrolling',
      { region: COMPARED },
    );
    const term = x.startXterm([
      '-geometry',
      '40x8+300+250',
      '-e',
      '/bin/sh',
      '-c',
      'i=0; while [ $i -lt 60 ]; do echo "line $i $i $i"; i=$((i+1)); sleep 0.05; done; exec sleep 3600',
    ]);
    await expect.poll(() => session.stats.upstreamRects[Encoding.CopyRect] ?? 0, { timeout: 20_000 }).toBeGreaterThan(0);
    await expectConverges(
      () => fbImage(session.fb),
      () => x.screenshot(),
      'after scrolling',
      { region: COMPARED },
    );
    await term.stop();
    session.end('test done');
  });

  it.each(ENCODINGS)('a client asking for big-endian RGB565 decodes %s equal to the X screen', async (enc) => {
    const c = await bareClient(enc === 'zlib' ? x11.port : x.port, BE565, NUMBERS[enc]);
    try {
      await expectConverges(
        () => c.image(),
        () => x.screenshot(),
        `${enc} big-endian`,
        { region: COMPARED },
      );
      expect(c.rects.get(NUMBERS[enc]) ?? 0, `${enc} rectangles`).toBeGreaterThan(0);
    } finally {
      c.close();
    }
  });

  it('a client asking for 8-bpp BGR233 gets the X screen within what 2-3 bits a channel hold', async () => {
    const bgr233: PixelFormat = {
      bitsPerPixel: 8,
      depth: 8,
      bigEndian: false,
      trueColour: true,
      redMax: 7,
      greenMax: 7,
      blueMax: 3,
      redShift: 0,
      greenShift: 3,
      blueShift: 6,
    };
    for (const enc of [Encoding.ZRLE, Encoding.Hextile]) {
      const c = await bareClient(x.port, bgr233, enc);
      try {
        // The server's own rounding from 5/6 bits to 3/2 is not ours to guess: within one 2-bit step
        // (85) a channel, which still catches swapped or misplaced channels (a full 255 off).
        await expectConverges(
          () => c.image(),
          () => x.screenshot(),
          `8 bpp, encoding ${enc}`,
          { region: COMPARED, tolerance: 85 },
        );
        expect(c.rects.get(enc) ?? 0).toBeGreaterThan(0);
      } finally {
        c.close();
      }
    }
  });

  it('a client asking for an 8-bpp colour map gets SetColourMapEntries from x11vnc and draws the X screen with it', async () => {
    const map: PixelFormat = {
      bitsPerPixel: 8,
      depth: 8,
      bigEndian: false,
      trueColour: false,
      redMax: 0,
      greenMax: 0,
      blueMax: 0,
      redShift: 0,
      greenShift: 0,
      blueShift: 0,
    };
    const c = await bareClient(x11.port, map, Encoding.Hextile);
    try {
      // libvncserver fills the map with a BGR233 cube for colour-map clients of a true-colour screen.
      await expectConverges(
        () => c.image(),
        () => x.screenshot(),
        'colour map',
        { region: COMPARED, tolerance: 85 },
      );
      expect(c.colourMaps()).toBeGreaterThan(0);
    } finally {
      c.close();
    }
  });
});

const BE565: PixelFormat = {
  bitsPerPixel: 16,
  depth: 16,
  bigEndian: true,
  trueColour: true,
  redMax: 31,
  greenMax: 63,
  blueMax: 31,
  redShift: 11,
  greenShift: 5,
  blueShift: 0,
};

/** The protocol classes over TCP: VNC auth, SetPixelFormat(pf), one encoding, updates on and on. */
async function bareClient(
  port: number,
  pf: PixelFormat,
  encoding: number,
): Promise<{ socket: Socket; image: () => RgbImage; close: () => void; rects: Map<number, number>; colourMaps: () => number }> {
  const socket: Socket = connect({ host: '127.0.0.1', port });
  const hs = new ClientHandshake({ shared: true, password: PASSWORD });
  const px = new PixelReader(pf);
  let fb: Framebuffer | undefined;
  let reader: ServerMessageReader | undefined;
  let failure: Error | undefined;
  const rects = new Map<number, number>();
  let colourMaps = 0;
  await new Promise<void>((resolve, reject) => {
    socket.on('error', reject);
    socket.on('data', (chunk: Buffer) => {
      try {
        if (!reader) {
          const r = hs.receive(chunk);
          for (const b of r.send) socket.write(b);
          if (!r.serverInit) return;
          fb = new Framebuffer(r.serverInit.width, r.serverInit.height);
          reader = new ServerMessageReader({ fb, decoders: createDecoders(px), pixels: px });
          socket.write(encodeSetPixelFormat(pf));
          socket.write(encodeSetEncodings([encoding]));
          socket.write(encodeFramebufferUpdateRequest({ incremental: false, x: 0, y: 0, width: fb.width, height: fb.height }));
          resolve();
          if (r.rest?.length) chunk = r.rest;
          else return;
        }
        for (const m of reader.push(chunk)) {
          if (m.type === 'rect') rects.set(m.encoding, (rects.get(m.encoding) ?? 0) + 1);
          if (m.type === 'colour-map') colourMaps++;
          if (m.type === 'update-end') socket.write(encodeFramebufferUpdateRequest({ incremental: true, x: 0, y: 0, width: fb!.width, height: fb!.height }));
        }
      } catch (err) {
        failure = err as Error; // our parsers throw only Error subclasses
        socket.destroy();
      }
    });
  });
  return {
    socket,
    rects,
    colourMaps: () => colourMaps,
    image: () => {
      if (failure) throw failure;
      return fbImage(fb!);
    },
    close: () => socket.destroy(),
  };
}
