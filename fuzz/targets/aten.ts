import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ast2100Decoder } from '../../protocols/aten/ast2100/decoder.js';
import { AtenClientHandshake } from '../../protocols/aten/handshake.js';
import { decodeHermon } from '../../protocols/aten/hermon.js';
import { AtenServerMessageReader } from '../../protocols/aten/server-messages.js';
import { AtenVideoDecoder } from '../../protocols/aten/video-decoder.js';
import { ProtocolError } from '../../protocols/errors.js';
import { Framebuffer } from '../../protocols/rfb/framebuffer.js';
import { bmcStreamOfFile, filesIn, hexFile, SHARED_FIXTURES } from '../seeds.js';
import { chunks, type FuzzTarget } from '../types.js';

const ATEN = join(SHARED_FIXTURES, 'aten');
const isProtocolError = (err: unknown) => err instanceof ProtocolError;

/** What a Supermicro BMC sends: the ATEN handshake, its messages, and the video drawn into a framebuffer. */
export const atenBmcStream: FuzzTarget = {
  name: 'aten-bmc-stream',
  description:
    'ATEN iKVM client role: AtenClientHandshake, AtenServerMessageReader (both 0x37 lengths), AtenVideoDecoder (AST2100, Hermon) — seeds: captured sessions of real boards',
  coverage: ['/protocols/aten/', '/protocols/byte-queue'],
  seeds: () => [...filesIn(join(ATEN, 'handshakes'), '.pcap'), ...filesIn(join(ATEN, 'sessions'), '.pcap')].map(bmcStreamOfFile),
  run(input) {
    const hs = new AtenClientHandshake({ username: 'fuzz', password: 'fuzz' });
    // The 0x37 body length is per board: let the input's length choose, so both are fuzzed.
    let reader: AtenServerMessageReader | undefined;
    const video = new AtenVideoDecoder();
    const fb = new Framebuffer(1, 1);
    const seen = new Set<string>();
    const take = (msgs: ReturnType<AtenServerMessageReader['push']>) => {
      for (const m of msgs) {
        seen.add(m.type);
        if (m.type !== 'framebuffer-update') continue;
        for (const rect of m.rects) {
          try {
            seen.add(video.decodeRect(rect, fb).encoding);
          } catch (err) {
            // A bad frame is dropped and the stream goes on (AtenSource does the same).
            if (!isProtocolError(err)) throw err;
            seen.add(`bad-${err.code}`);
          }
        }
      }
    };
    for (const chunk of chunks(input)) {
      if (!reader) {
        const step = hs.receive(chunk);
        if (!step.serverInit) continue;
        reader = new AtenServerMessageReader({ mouseInfoBodyBytes: input.length % 2 === 0 ? 2 : 3 });
        if (step.rest && step.rest.length > 0) take(reader.push(step.rest));
        continue;
      }
      take(reader.push(chunk));
    }
    return reader ? [...seen].sort().join(',') : 'handshake';
  },
  expected: isProtocolError,
};

/** Screen sizes a video frame is decoded at; the input's first byte picks one (and the header-byte-1 reading). */
const SIZES: readonly [number, number][] = [
  [1024, 768],
  [800, 600],
  [1280, 1024],
  [640, 480],
  [16, 16],
  [64, 48],
  [720, 400],
  [1920, 1080],
];

function sized(index: number, frame: Buffer): Buffer {
  return Buffer.concat([Buffer.from([index]), frame]);
}

export const ast2100: FuzzTarget = {
  name: 'ast2100',
  description: 'AST2100 video frames (Ast2100Decoder, both header byte 1 readings) — seeds: captured frames from ATEN and ASPEED hardware',
  coverage: ['/protocols/aten/ast2100/'],
  maxInputBytes: 128 * 1024,
  seeds: () => {
    const out: Buffer[] = [];
    const frame4 = join(ATEN, 'ast2100-frame4.hex');
    try {
      out.push(sized(0, hexFile(frame4)));
    } catch {
      // no shared fixtures here
    }
    const prefix = Buffer.from([0x00, 0x00, 0x01, 0xbc]);
    for (const f of filesIn(join(ATEN, 'aspeed'), '.bin'))
      out.push(sized(f.includes('800x600') ? 1 : 0, Buffer.concat([prefix, readFileSync(f).subarray(0, 96 * 1024)])));
    // The session capture's frames are in its TCP stream; the handshake target covers them.
    out.push(sized(4, Buffer.from('0505 01a6 0000 0000'.replace(/ /g, ''), 'hex')));
    return out;
  },
  run(input) {
    if (input.length === 0) return 'empty';
    const [w, h] = SIZES[input[0]! % SIZES.length]!;
    const r = new Ast2100Decoder({ headerByte1: input[0]! & 0x80 ? 'advance' : 'chroma' }).decodeFrame(input.subarray(1), new Framebuffer(w, h));
    return Object.keys(r.blocks).sort().join(',');
  },
  expected: isProtocolError,
};

export const hermon: FuzzTarget = {
  name: 'hermon',
  description: 'Hermon video payloads (decodeHermon: 16x16 tiles and raw frames)',
  coverage: ['/protocols/aten/hermon'],
  seeds: () => {
    const tiles = Buffer.alloc(10 + 2 * 518);
    tiles.writeUInt32BE(2, 2);
    tiles[10 + 4] = 0; // row 0, column 0
    tiles[10 + 518 + 4] = 1; // row 1, column 3
    tiles[10 + 518 + 5] = 3;
    const raw = Buffer.alloc(10 + 16 * 16 * 2, 0x1f);
    raw[0] = 1;
    return [sized(4, tiles), sized(4, raw), sized(5, tiles)];
  },
  run(input) {
    if (input.length === 0) return 'empty';
    const [w, h] = SIZES[input[0]! % SIZES.length]!;
    const r = decodeHermon(input.subarray(1), new Framebuffer(w, h));
    return `${r.subType}:${Math.min(r.tiles, 8)}:${r.tilesOutside > 0}`;
  },
  expected: isProtocolError,
};
