import { readFile, writeFile } from 'node:fs/promises';
import { Ast2100Decoder, type Ast2100FrameResult, type Ast2100HeaderByte1 } from '../../../protocols/aten/ast2100/decoder.js';
import { decodeHermon, HERMON_SUBHEADER_BYTES, HERMON_TILE_BYTES, type HermonResult } from '../../../protocols/aten/hermon.js';
import { ProtocolError } from '../../../protocols/errors.js';
import { Framebuffer } from '../../../protocols/rfb/framebuffer.js';
import { encodePng } from '../../util/png.js';
import { parseToolArgs, type ToolIo } from './tool-args.js';

/**
 * `bmc-gateway aten-frame FILE [--width W --height H] --out frame.png` — decodes one captured
 * AST2100 or Hermon frame (the rectangle payload, as hex text or binary) to PNG, for bug reports
 * from the field. It prints how many blocks of each kind it decoded and whether the data ended
 * exactly at the end-of-frame code. Without a size it tries the usual console modes and keeps the
 * one that decodes cleanly. Exit code: 0 clean, 1 no size decodes cleanly, 2 usage or I/O error.
 *
 * "Cleanly" for AST2100: no error, the end-of-frame code followed only by padding, and — when
 * guessing the size of a frame without positioned blocks, i.e. a full frame — exactly one block per
 * MCU of the screen (the stream carries no size: the block parse does not depend on it, so the
 * block count is what pins it down). For Hermon: no error, no tile off
 * screen, and a raw frame exactly width × height pixels long.
 */

export const USUAL_MODES: readonly (readonly [number, number])[] = [
  [640, 480],
  [720, 400],
  [800, 600],
  [1024, 768],
  [1152, 864],
  [1280, 800],
  [1280, 1024],
  [1366, 768],
  [1440, 900],
  [1600, 1200],
  [1680, 1050],
  [1920, 1080],
  [1920, 1200],
];

const USAGE =
  'usage: bmc-gateway aten-frame FILE [--width W --height H] --out frame.png [--encoding auto|ast2100|hermon] [--header-byte1 chroma|advance] [--ast2100-header HEX]\n';

export type FrameToolIo = ToolIo;

type Attempt =
  | { width: number; height: number; clean: boolean; full?: boolean; error?: ProtocolError; kind: 'ast2100'; result?: Ast2100FrameResult; fb: Framebuffer }
  | { width: number; height: number; clean: boolean; full?: boolean; error?: ProtocolError; kind: 'hermon'; result?: HermonResult; fb: Framebuffer };

export async function atenFrameCommand(argv: string[], io: FrameToolIo = process): Promise<number> {
  const parsed = parseToolArgs(
    argv,
    'aten-frame',
    USAGE,
    {
      width: { type: 'string' },
      height: { type: 'string' },
      out: { type: 'string' },
      encoding: { type: 'string', default: 'auto' },
      'header-byte1': { type: 'string', default: 'chroma' },
      // A raw video-engine dump (e.g. OpenBMC's test frames) has no ATEN header: give its 4 bytes.
      'ast2100-header': { type: 'string' },
    },
    io,
  );
  if (typeof parsed === 'number') return parsed;
  const { values, positionals } = parsed;
  if (positionals.length !== 1 || !values.out) {
    io.stderr.write(USAGE);
    return 2;
  }
  const byte1 = values['header-byte1'];
  if (byte1 !== 'chroma' && byte1 !== 'advance') {
    io.stderr.write(`--header-byte1 must be chroma or advance\n${USAGE}`);
    return 2;
  }
  let sizes: (readonly [number, number])[] = [...USUAL_MODES];
  if (values.width !== undefined || values.height !== undefined) {
    const w = Number(values.width);
    const h = Number(values.height);
    if (!Number.isInteger(w) || !Number.isInteger(h) || w < 1 || h < 1 || w > 8192 || h > 8192) {
      io.stderr.write(`--width and --height must both be given, 1..8192\n${USAGE}`);
      return 2;
    }
    sizes = [[w, h]];
  }
  const header = values['ast2100-header'];
  if (header !== undefined && !/^[0-9a-fA-F]{8}$/.test(header)) {
    io.stderr.write(`--ast2100-header takes the 4 header bytes as 8 hex digits (e.g. 000001bc: selectors 0/0, 4:4:4)\n${USAGE}`);
    return 2;
  }
  let data: Buffer;
  try {
    data = parseFrameFile(await readFile(positionals[0]!));
  } catch (e) {
    io.stderr.write(`cannot read ${positionals[0]}: ${(e as Error).message}\n`);
    return 2;
  }
  if (header !== undefined) data = Buffer.concat([Buffer.from(header, 'hex'), data]);
  // A capture may include the FramebufferUpdate / rectangle header: then it gives size and encoding.
  const wrapped = unwrapRect(data);
  if (wrapped) {
    io.stdout.write(
      `${positionals[0]}: rectangle header ${wrapped.width}x${wrapped.height}, encoding 0x${wrapped.encoding.toString(16)}, ${wrapped.payload.length} bytes of data\n`,
    );
    data = wrapped.payload;
    if (values.width === undefined) sizes = [[wrapped.width, wrapped.height]];
  }
  const kind = values.encoding === 'auto' ? (wrapped ? (wrapped.encoding === 0x57 ? 'ast2100' : 'hermon') : guessEncoding(data)) : values.encoding;
  if (kind !== 'ast2100' && kind !== 'hermon') {
    io.stderr.write(`--encoding must be auto, ast2100 or hermon\n${USAGE}`);
    return 2;
  }
  io.stdout.write(`${positionals[0]}: ${data.length} bytes, ${kind === 'ast2100' ? describeAstHeader(data) : describeHermonHeader(data)}\n`);

  const attempts: Attempt[] = sizes.map(([w, h]) => attempt(kind, data, w, h, byte1, sizes.length > 1));
  for (const a of attempts) io.stdout.write(`  ${a.width}x${a.height}: ${describe(a)}\n`);
  const clean = attempts.filter((a) => a.clean);
  // Keep the clean one; with an explicit size, still draw what decoded so the report can show it.
  // A Hermon tile frame with one tile per tile of the screen pins its size; prefer such a match.
  const chosen = clean.find((a) => a.full) ?? clean[0] ?? (sizes.length === 1 && !attempts[0]!.error ? attempts[0] : undefined);
  if (clean.length > 1 && chosen)
    io.stdout.write(`  several sizes decode cleanly (${clean.map((a) => `${a.width}x${a.height}`).join(', ')}); keeping ${chosen.width}x${chosen.height}\n`);
  if (chosen) {
    try {
      await writeFile(values.out, encodePng(chosen.fb.width, chosen.fb.height, chosen.fb.data));
    } catch (e) {
      io.stderr.write(`cannot write ${values.out}: ${(e as Error).message}\n`);
      return 2;
    }
    io.stdout.write(`wrote ${values.out} (${chosen.width}x${chosen.height})\n`);
  }
  if (clean.length === 0) {
    io.stdout.write('no size decodes cleanly\n');
    return 1;
  }
  return 0;
}

/** Hex text (whitespace and a leading 0x ignored) or, failing that, the bytes themselves. */
export function parseFrameFile(file: Buffer): Buffer {
  const text = file.toString('latin1').replace(/0x/gi, '').replace(/\s+/g, '');
  if (text.length > 0 && text.length % 2 === 0 && /^[0-9a-fA-F]+$/.test(text)) return Buffer.from(text, 'hex');
  return file;
}

/**
 * Strips a FramebufferUpdate header (00, pad, u16 1) and/or the 20-byte ATEN rectangle header
 * (x, y, w, h, s32 encoding, u32 mode, u32 dataLen) when their dataLen matches the rest of the file
 * exactly and the encoding is an ATEN video one.
 */
export function unwrapRect(d: Buffer): { width: number; height: number; encoding: number; payload: Buffer } | undefined {
  for (const off of [4, 0]) {
    if (off === 4 && !(d.length >= 24 && d[0] === 0 && d.readUInt16BE(2) === 1)) continue;
    if (d.length < off + 20) continue;
    const enc = d.readInt32BE(off + 8);
    const len = d.readUInt32BE(off + 16);
    const w = d.readUInt16BE(off + 4);
    const h = d.readUInt16BE(off + 6);
    if ((enc === 0x57 || enc === 0x59 || enc === 0) && len === d.length - off - 20 && w > 0 && h > 0 && w <= 8192 && h <= 8192) {
      return { width: w, height: h, encoding: enc, payload: d.subarray(off + 20) };
    }
  }
  return undefined;
}

function guessEncoding(data: Buffer): 'ast2100' | 'hermon' {
  if (data.length >= 4 && data[0]! < 12 && data[1]! < 12 && (data.readUInt16BE(2) === 444 || data.readUInt16BE(2) === 422)) return 'ast2100';
  return 'hermon';
}

function describeAstHeader(d: Buffer): string {
  if (d.length < 4) return 'too short for an AST2100 header';
  const sub = d.readUInt16BE(2);
  return `AST2100 header ${d.subarray(0, 4).toString('hex')}: selectors ${d[0]} and ${d[1]}, ${sub === 422 ? '4:2:0 (16x16 MCUs)' : sub === 444 ? '4:4:4 (8x8 MCUs)' : `unknown subsampling ${sub}`}`;
}

function describeHermonHeader(d: Buffer): string {
  if (d.length < HERMON_SUBHEADER_BYTES) return 'too short for a Hermon sub-header';
  return d[0] === 1 ? `Hermon raw frame, ${d.length - HERMON_SUBHEADER_BYTES} pixel bytes` : `Hermon sub-type ${d[0]}, ${d.readUInt32BE(2)} tiles`;
}

function attempt(kind: 'ast2100' | 'hermon', data: Buffer, width: number, height: number, byte1: Ast2100HeaderByte1, guessing: boolean): Attempt {
  const fb = new Framebuffer(width, height);
  if (kind === 'ast2100') {
    const dec = new Ast2100Decoder({ headerByte1: byte1 });
    try {
      const result = dec.decodeFrame(data, fb);
      const positioned = Object.keys(result.blocks).some((k) => k.endsWith('-positioned'));
      const grid = Math.ceil(width / (result.header.subsampling === 444 ? 8 : 16)) * Math.ceil(height / (result.header.subsampling === 444 ? 8 : 16));
      const full = !positioned && result.totalBlocks === grid;
      return {
        kind,
        width,
        height,
        fb,
        result,
        full, // More unpositioned blocks than MCUs would draw some twice: the size is wrong.
        clean: result.endedExactly && (positioned || (guessing ? full : result.totalBlocks <= grid)),
      };
    } catch (e) {
      if (!(e instanceof ProtocolError)) throw e;
      const result = dec.lastResult;
      return result ? { kind, width, height, fb, result, clean: false, error: e } : { kind, width, height, fb, clean: false, error: e };
    }
  }
  try {
    const result = decodeHermon(data, fb);
    const exact =
      result.subType === 'raw'
        ? data.length - HERMON_SUBHEADER_BYTES === width * height * 2
        : result.tilesOutside === 0 && data.length - HERMON_SUBHEADER_BYTES === result.tiles * HERMON_TILE_BYTES;
    const full = result.subType === 'raw' || result.tiles === Math.ceil(width / 16) * Math.ceil(height / 16);
    return { kind, width, height, fb, result, full, clean: exact };
  } catch (e) {
    if (!(e instanceof ProtocolError)) throw e;
    return { kind, width, height, fb, clean: false, error: e };
  }
}

function describe(a: Attempt): string {
  const parts: string[] = [];
  if (a.kind === 'ast2100' && a.result) {
    const r = a.result;
    const counts =
      Object.entries(r.blocks)
        .map(([k, n]) => `${k} ${n}`)
        .join(', ') || 'none';
    parts.push(`${r.totalBlocks} blocks (${counts})`);
    if (r.endOfFrame) {
      parts.push(
        r.endedExactly
          ? `ended exactly at the end-of-frame code (${r.trailingBits} padding bits)`
          : `end-of-frame code with ${r.trailingBits} bits of data after it`,
      );
      const grid = Math.ceil(a.width / (r.header.subsampling === 444 ? 8 : 16)) * Math.ceil(a.height / (r.header.subsampling === 444 ? 8 : 16));
      parts.push(`${grid} MCUs on screen`);
    } else {
      parts.push('no end-of-frame code reached');
    }
  } else if (a.kind === 'hermon' && a.result) {
    const r = a.result;
    parts.push(r.subType === 'raw' ? 'raw frame' : `${r.tiles} tiles, ${r.tilesOutside} off screen`);
  }
  if (a.error) parts.push(`error ${a.error.code}: ${a.error.message}`);
  parts.push(a.clean ? 'CLEAN' : 'not clean');
  return parts.join('; ');
}
